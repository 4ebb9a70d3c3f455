/* Watchdog scenario: a dump of 1000 waiting threads, asked for with the dump signal.
 *
 * 1000 threads (small stacks) wait on one condition variable in wait_for_go; once all of them
 * wait, the program sends itself SIGUSR2, waits for the dump report to appear, then lets every
 * thread go and joins them: nothing leaks, and dump-1 lists the 1000 waiters.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "wd_common.h"

#define WAITERS 1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER, all_wait = PTHREAD_COND_INITIALIZER;
static int waiting, go;

static __attribute__((noinline)) void *wait_for_go(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    if (++waiting == WAITERS)
        pthread_cond_signal(&all_wait);
    while (!go)
        pthread_cond_wait(&go_cond, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    static pthread_t t[WAITERS];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 128 * 1024);
    for (int i = 0; i < WAITERS; i++)
        pthread_create(&t[i], &attr, wait_for_go, NULL);
    pthread_mutex_lock(&mu);
    while (waiting < WAITERS)
        pthread_cond_wait(&all_wait, &mu);
    pthread_mutex_unlock(&mu);
    kill(getpid(), SIGUSR2);
    int got = wd_copy_report("dump-1", "wait_for_go", "dump-seen", 20.0);
    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&go_cond);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < WAITERS; i++)
        pthread_join(t[i], NULL);
    printf("dump %s\n", got == 0 ? "seen" : "missing");
    return 0;
}
