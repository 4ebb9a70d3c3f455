/* Watchdog scenario: a thread exits while holding a mutex, and another waits for it forever.
 *
 * leave_locked takes the mutex and returns without unlocking it; wait_forever then blocks on it.
 * Its waiter can never wake, so the watchdog must call it deadlocked and name the exited owner
 * (copied to taskleak.<pid>.while-orphaned.json); the program then exits.
 */
#include <pthread.h>
#include <stdlib.h>

#include "wd_common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void *leave_locked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    return NULL; /* the bug: no unlock */
}

static __attribute__((noinline)) void *wait_forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t owner, waiter;
    pthread_create(&owner, NULL, leave_locked, NULL);
    pthread_join(owner, NULL);
    pthread_create(&waiter, NULL, wait_forever, NULL);
    wd_copy_report("watchdog", "\"deadlocked\"", "while-orphaned", 8.0);
    exit(0);
}
