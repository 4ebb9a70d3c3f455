/* A genuine ABBA deadlock: one thread locks A then B, another B then A, and both block (a barrier
 * makes the interleaving certain). Expected: a "deadlocked" group of 2 with reason "mutex lock",
 * one entry in deadlocks[] naming both threads, each unit's wait.owner naming the other.
 * Any argument: both take the locks in the same order (the correct twin). */
#include <pthread.h>
#include <stdio.h>

#include "await_common.h"

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static int same_order;
static _Atomic pid_t holder_a, holder_b;

static __attribute__((noipa)) void *lock_a_then_b(void *arg)
{
    pthread_mutex_lock(&a);
    pthread_barrier_wait(&both_hold_one);
    await_publish(&holder_a);
    pthread_mutex_lock(&b);
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
    return arg;
}

static __attribute__((noipa)) void *lock_b_then_a(void *arg)
{
    pthread_mutex_lock(&b);
    pthread_barrier_wait(&both_hold_one);
    await_publish(&holder_b);
    pthread_mutex_lock(&a);
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
    return arg;
}

int main(int argc, char **argv)
{
    same_order = argc > 1;
    pthread_barrier_init(&both_hold_one, NULL, same_order ? 1 : 2);
    pthread_t t1, t2;
    pthread_create(&t1, NULL, lock_a_then_b, NULL);
    if (same_order)
        pthread_join(t1, NULL);
    pthread_create(&t2, NULL, same_order ? lock_a_then_b : lock_b_then_a, NULL);
    if (same_order)
        pthread_join(t2, NULL);
    if (!same_order) { /* both sleep in their second lock: the deadlock is complete */
        await_blocked(&holder_a, SYS_futex);
        await_blocked(&holder_b, SYS_futex);
    }
    printf("main done\n");
    return 0;
}
