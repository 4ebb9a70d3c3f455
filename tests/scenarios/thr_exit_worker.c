/* exit() called from a worker thread while main is blocked joining it, and another worker blocks
 * on a semaphore forever. Expected: status 76, exactly 1 leaked thread (the semaphore waiter):
 * neither the exiting worker (it runs the gate) nor main (it only waits for the exiting worker)
 * is a leak. Any argument: the semaphore is posted first (status 0, nothing leaked). */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "await_common.h"

static sem_t never, waiter_done;
static int fixed;
static _Atomic pid_t main_tid;

static __attribute__((noipa)) void *stuck_waiter(void *arg)
{
    sem_wait(&never);
    sem_post(&waiter_done);
    return arg;
}

static __attribute__((noipa)) void *exiting_worker(void *arg)
{
    await_blocked(&main_tid, SYS_futex); /* main sleeps in pthread_join */
    if (fixed) {
        sem_post(&never);
        sem_wait(&waiter_done);
    }
    printf("worker calls exit\n");
    exit(0);
    return arg;
}

int main(int argc, char **argv)
{
    fixed = argc > 1;
    sem_init(&never, 0, 0);
    sem_init(&waiter_done, 0, 0);
    pthread_t w, x;
    pthread_create(&w, NULL, stuck_waiter, NULL);
    pthread_detach(w);
    await_publish(&main_tid);
    pthread_create(&x, NULL, exiting_worker, NULL);
    pthread_join(x, NULL);
    return 3; /* never reached */
}
