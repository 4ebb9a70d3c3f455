/* An ABBA deadlock between two threads while the main thread keeps working: not the whole process
 * asleep, but with on_deadlock=any the watchdog still ends the run. The main thread does short
 * sleeps (work) for the number of seconds given as the first argument (default 30), then exits 0;
 * prints "working" when both locks are held, "done working" at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "wd_common.h"

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static __attribute__((noipa)) void *lock_a_then_b(void *arg)
{
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(&lock_b);
    return arg;
}

static __attribute__((noipa)) void *lock_b_then_a(void *arg)
{
    pthread_mutex_lock(&lock_b);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(&lock_a);
    return arg;
}

static __attribute__((noipa)) void keep_working(double seconds)
{
    for (double end = wd_now() + seconds; wd_now() < end;)
        usleep(20000); /* not for ordering: short sleeps are the work that keeps main running */
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 30;
    pthread_t t1, t2;
    pthread_barrier_init(&both_hold_one, NULL, 2);
    pthread_create(&t1, NULL, lock_a_then_b, NULL);
    pthread_create(&t2, NULL, lock_b_then_a, NULL);
    printf("working\n");
    fflush(stdout);
    keep_working(seconds);
    printf("done working\n");
    return 0;
}
