/* For taskleak attach, run WITHOUT the detector: threads are born and die all the time. Two
 * spawner threads each create and join short-lived workers in a loop, so an attach always meets
 * threads being created and exiting while it stops the others. Prints "ready" once both spawners
 * run; runs until killed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static atomic_long done;

static void *worker(void *arg)
{
    atomic_fetch_add(&done, 1);
    return arg;
}

static void *spawner(void *arg)
{
    for (;;) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, worker, NULL);
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
    }
    return arg;
}

int main(void)
{
    pthread_t s1, s2;
    pthread_create(&s1, NULL, spawner, NULL);
    pthread_create(&s2, NULL, spawner, NULL);
    while (atomic_load(&done) < 100)
        usleep(1000);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
