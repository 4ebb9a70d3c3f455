/* main leaves with pthread_exit while its workers finish; one worker is cancelled while it waits
 * on a condition variable and joined by another. The process must exit 0 when the last thread
 * ends, and the exit report (written by that last thread) must hold no leak: neither the exited
 * main thread nor the cancelled worker. No argument variants: this program has no leak. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "await_common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static _Atomic pid_t victim_tid;

static void unlock_on_cancel(void *m)
{
    pthread_mutex_unlock(m);
}

static void *wait_forever(void *arg)
{
    pthread_mutex_lock(&lock);
    await_publish(&victim_tid);
    pthread_cleanup_push(unlock_on_cancel, &lock);
    for (;;)
        pthread_cond_wait(&never, &lock);
    pthread_cleanup_pop(1);
    return arg;
}

static void *canceller(void *arg)
{
    pthread_t victim = *(pthread_t *)arg;
    await_blocked(&victim_tid, SYS_futex); /* in its condition wait */
    pthread_cancel(victim);
    void *ret = NULL;
    pthread_join(victim, &ret);
    printf("victim %s\n", ret == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
    return NULL;
}

int main(void)
{
    static pthread_t victim, killer;
    pthread_create(&victim, NULL, wait_forever, NULL);
    pthread_create(&killer, NULL, canceller, &victim);
    pthread_detach(killer);
    pthread_exit(NULL);
}
