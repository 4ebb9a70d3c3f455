/* Watchdog scenario: one thread holds a mutex for 2-3 s while another waits for it.
 *
 * With threshold=1s the watchdog must report the waiter while it is blocked (the program copies
 * the watchdog report it sees to taskleak.<pid>.while-blocked.json), naming the holder as owner;
 * then the holder lets go, both threads finish, and the program exits 0 with nothing leaked.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "wd_common.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int held;

static __attribute__((noinline)) void *hold_lock(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    pthread_mutex_lock(&ready_lock);
    held = 1;
    pthread_cond_signal(&ready_cond);
    pthread_mutex_unlock(&ready_lock);
    double start = wd_now();
    usleep(2000000); /* at least 2 s, then until the watchdog has spoken (at most 3 s in all) */
    wd_copy_report("watchdog", "\"blocked\"", "while-blocked", 3.0 - (wd_now() - start));
    pthread_mutex_unlock(&lock);
    return NULL;
}

static __attribute__((noinline)) void *wait_for_lock(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t holder, waiter;
    pthread_create(&holder, NULL, hold_lock, NULL);
    pthread_mutex_lock(&ready_lock);
    while (!held)
        pthread_cond_wait(&ready_cond, &ready_lock);
    pthread_mutex_unlock(&ready_lock);
    pthread_create(&waiter, NULL, wait_for_lock, NULL);
    pthread_join(waiter, NULL);
    pthread_join(holder, NULL);
    puts("done");
    return 0;
}
