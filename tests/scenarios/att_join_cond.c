/* For taskleak attach, run WITHOUT the detector: main joins a worker that waits on a condition
 * variable nobody will signal. Every thread is asleep in a durable wait. Prints "ready" once the
 * worker holds the mutex, just before it waits (the wait itself is seen through /proc). */
#include <pthread.h>
#include <stdio.h>

pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t queue_ready = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t started;

static __attribute__((noipa)) void *wait_for_work(void *arg)
{
    pthread_mutex_lock(&queue_lock);
    pthread_barrier_wait(&started);
    for (;;)
        pthread_cond_wait(&queue_ready, &queue_lock);
    return arg;
}

int main(void)
{
    pthread_barrier_init(&started, NULL, 2);
    pthread_t worker;
    pthread_create(&worker, NULL, wait_for_work, NULL);
    pthread_barrier_wait(&started);
    printf("ready %lx\n", (unsigned long)worker);
    fflush(stdout);
    pthread_join(worker, NULL);
    return 0;
}
