/* Watchdog scenario: a reader waits for an rwlock a writer holds for about 2 s.
 *
 * glibc records the writer's tid in the rwlock, so the watchdog report seen while the reader
 * waits (copied to taskleak.<pid>.while-blocked.json) must name the writer as the owner.
 */
#include <pthread.h>
#include <stdio.h>

#include "wd_common.h"

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t held;

static __attribute__((noinline)) void *write_slowly(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&lock);
    pthread_barrier_wait(&held);
    double start = wd_now();
    usleep(1500000); /* not for ordering: the hold is the case, past the 1 s threshold */
    wd_copy_report("watchdog", "\"rwlock read\"", "while-blocked", 4.0 - (wd_now() - start));
    pthread_rwlock_unlock(&lock);
    return NULL;
}

static __attribute__((noinline)) void *read_later(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&lock);
    pthread_rwlock_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t w, r;
    pthread_barrier_init(&held, NULL, 2);
    pthread_create(&w, NULL, write_slowly, NULL);
    pthread_barrier_wait(&held);
    pthread_create(&r, NULL, read_later, NULL);
    pthread_join(r, NULL);
    pthread_join(w, NULL);
    puts("done");
    return 0;
}
