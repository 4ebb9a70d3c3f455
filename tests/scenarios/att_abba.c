/* For taskleak attach, run WITHOUT the detector: a two-mutex deadlock (lock_a then lock_b in one
 * thread, lock_b then lock_a in the other; a barrier makes the interleaving certain). Prints
 * "ready" once both threads hold their first lock, then main waits for them forever (join). */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER, lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

static __attribute__((noipa)) void *take_a_then_b(void *arg)
{
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(&lock_b);
    return arg;
}

static __attribute__((noipa)) void *take_b_then_a(void *arg)
{
    pthread_mutex_lock(&lock_b);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(&lock_a);
    return arg;
}

int main(void)
{
    pthread_barrier_init(&both_hold_one, NULL, 3);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, take_a_then_b, NULL);
    pthread_create(&t2, NULL, take_b_then_a, NULL);
    pthread_barrier_wait(&both_hold_one);
    printf("ready\n");
    fflush(stdout);
    pthread_join(t1, NULL);
    return 0;
}
