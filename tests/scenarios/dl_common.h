/* Helpers shared by the whole-process-deadlock scenario programs (tests/scenarios/dl_*.c).
 *
 * An idle program is woken from OUTSIDE the process, the way a real one is (a client connects, an
 * operator sends SIGTERM): dl_later forks a helper process that waits, then acts on the parent.
 * The helper is another process, so it is no unit of the program under test and cannot end any of
 * its waits except by the outside means under test. The wait is only "long enough for the watchdog
 * to have looked several times": a slow machine makes the test slower, never wrong.
 */
#ifndef DL_COMMON_H
#define DL_COMMON_H

#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Forks a helper that sleeps `ms` (in raw nanosleep calls: the helper is not traced either way),
 * then runs act(arg, parent pid) and _exits. The sleep is not for ordering: how long the program
 * stays idle is the case under test (nothing inside it can tell when it may be woken). */
static inline void dl_later(int ms, void (*act)(void *arg, pid_t parent), void *arg)
{
    pid_t parent = getpid();
    if (fork() != 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
    act(arg, parent);
    _exit(0);
}

#endif
