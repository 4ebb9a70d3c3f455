/* tl_deadlock: the wait-for graph of a report model, its cycles, and their story.
 *
 * Edges come from what a blocked unit waits for and who holds it: for a mutex, the owner tid glibc
 * keeps in the mutex (read by the registry snapshot while the waiter is pinned, never on a fast
 * path); for an rwlock, its writer when glibc records one. Every blocked unit has at most one
 * out-edge, so the graph is a functional graph and its cycles are found in O(units). A cycle is a
 * deadlock: its members get the verdict "deadlocked". A mutex whose owner thread has exited while
 * holding it is a deadlock too (its waiters can never wake): the owner is named from a ring of
 * recently exited threads, with its creation stack.
 *
 * Report time only (mallocs), except tl_deadlock_note_exit (thread exit path: no malloc).
 */
#ifndef TL_DEADLOCK_H
#define TL_DEADLOCK_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "tl_group.h"
#include "tl_stack.h"

/* Finds the cycles of r's wait-for graph and the waiters of mutexes whose owner exited; appends one
 * r->deadlocks entry per cycle (members in wait-for order: members[k] waits for
 * units[members[k]].wait.object, held by members[k + 1], the last by members[0]) and one per
 * orphaned mutex (members: its waiters); sets their verdict "deadlocked", and that of every unit
 * whose waits lead to one of them (a join on a deadlocked thread, a lock one holds), and fills
 * u->owner of every mutex or rwlock waiter whose owner is known. Out of memory: fewer entries,
 * never a crash. Not thread-safe on r; takes no detector lock except the exit ring's. */
void tl_deadlock_analyze(struct tl_report *r);

/* Writes the narrative for r's deadlocks to f ("thread:7 holds mutex 0x... and waits for mutex
 * 0x... held by thread:9, which waits for ..."; "owner thread:5 exited while holding mutex 0x...",
 * with its creation stack). Writes nothing when r has no deadlock. */
void tl_deadlock_text(struct tl_report *r, FILE *f);

/* Records that thread unit `seq` (kernel tid `tid`) is exiting, with its creation stack (the ring
 * takes its own reference). Keeps the last TL_DEADLOCK_EXITS exits: bounded memory. No malloc,
 * errno preserved; safe on any thread's exit path. */
#define TL_DEADLOCK_EXITS 256
void tl_deadlock_note_exit(uint64_t seq, pid_t tid, tl_stack_id created_stack);

/* The most recent exit recorded for tid: its seq (0 when none) and creation stack (a new reference
 * for the caller, 0 when none). */
uint64_t tl_deadlock_exited(pid_t tid, tl_stack_id *stack);

/* Resets the ring's lock in a fork child (the exits it lists stay valid history). */
void tl_deadlock_atfork_child(void);

#endif /* TL_DEADLOCK_H */
