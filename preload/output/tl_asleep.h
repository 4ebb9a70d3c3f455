/* tl_asleep: one look at whether the whole process is asleep ("all threads are asleep -
 * deadlock!"), for the watchdog to prove on two looks one interval apart.
 *
 * A look says "asleep" when every unit of the process (threads and gor tasks, our own machinery
 * and gor's runtime threads left out) sits in a durable wait begun at least `threshold` ago, the
 * kernel shows none of their threads runnable (/proc/self/task/N/stat), and no thread of the
 * process is unknown to us (a thread created behind the interposer may be doing anything, so it
 * counts as able to move). A durable wait is one that only another unit of this process can end;
 * the interposers already call IO, sleeps, timed waits, signal waits and waits on process-shared
 * objects external. One more case is decided here, at look time, because it depends on the
 * program's state now: a semaphore wait is external while the program has a signal handler
 * installed (sem_post is async-signal-safe, so a daemon parked in sem_wait until its SIGTERM
 * handler posts is healthy). The detector's own handlers do not count.
 *
 * The look also gives a signature of every unit's progress counter: two asleep looks with the same
 * signature, one interval apart, mean that nothing moved in between and nothing ever can.
 *
 * Watchdog thread only (mallocs, reads /proc); never on a program's fast path.
 */
#ifndef TL_ASLEEP_H
#define TL_ASLEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl_asleep_look {
    bool asleep;        /* every unit asleep as above */
    size_t units;       /* units looked at (threads and tasks) */
    uint64_t signature; /* of (unit, progress) over every unit; order-independent */
};

/* Takes one look. threshold_ns: how old every durable wait must be. */
void tl_asleep_look(struct tl_asleep_look *l, int64_t threshold_ns);

/* True when the program (not the detector) has a handler installed for a signal that another
 * process can send: anything but the synchronous faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
 * SIGTRAP, SIGSYS), which only the faulting thread's own instruction raises in practice. */
bool tl_asleep_program_handles_signals(void);

#endif /* TL_ASLEEP_H */
