/* Watchdog scenario: the classic ABBA deadlock between two threads.
 *
 * lock_a_then_b takes A then B, lock_b_then_a takes B then A; a barrier makes sure each holds its
 * first lock before asking for the second, so they deadlock every time. The main thread waits
 * for the watchdog report naming the deadlock (copied to taskleak.<pid>.while-deadlocked.json),
 * then exits: the exit gate must tell the same story.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "wd_common.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static __attribute__((noinline)) void *lock_a_then_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(&lock_b);
    return NULL;
}

static __attribute__((noinline)) void *lock_b_then_a(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(&lock_a);
    return NULL;
}

int main(void)
{
    pthread_t t1, t2;
    pthread_barrier_init(&both_hold_one, NULL, 2);
    pthread_create(&t1, NULL, lock_a_then_b, NULL);
    pthread_create(&t2, NULL, lock_b_then_a, NULL);
    printf("lock_a=%p lock_b=%p\n", (void *)&lock_a, (void *)&lock_b);
    fflush(stdout);
    wd_copy_report("watchdog", "\"deadlocked\"", "while-deadlocked", 8.0);
    exit(0);
}
