/* A forgotten detached waiter: a detached thread waits on a semaphore nobody posts.
 * Expected: 1 leaked thread, detached, reason "semaphore", call sem_wait, await_signal in the
 * blocked stack, spawn_waiter in the creation stack. Any argument: the semaphore is posted and
 * the waiter finishes before exit (the correct twin). */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

static sem_t ready, done;

static __attribute__((noipa)) void *await_signal(void *arg)
{
    sem_wait(&ready);
    sem_post(&done);
    return arg;
}

static __attribute__((noipa)) void spawn_waiter(void)
{
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &a, await_signal, NULL);
    pthread_attr_destroy(&a);
}

int main(int argc, char **argv)
{
    sem_init(&ready, 0, 0);
    sem_init(&done, 0, 0);
    spawn_waiter();
    if (argc > 1) {
        sem_post(&ready);
        sem_wait(&done);
    }
    printf("main done\n");
    return 0;
}
