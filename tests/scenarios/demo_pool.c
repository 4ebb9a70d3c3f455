/* The program `make demo` runs under the detector: a small job server with two classic leaks.
 *  1. A worker pool that is started but never shut down: its workers wait on the queue's
 *     condition variable forever ("cond wait").
 *  2. A detached thread waiting for a "shutdown" semaphore nobody posts ("semaphore").
 * The program's own work completes and main returns 0; the detector reports both leaks. */
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>

#define WORKERS 3

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_ready = PTHREAD_COND_INITIALIZER;
static int queue_len, done_jobs;
static sem_t shutdown_requested;

static __attribute__((noipa)) void *pool_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&queue_lock);
    for (;;) {
        while (queue_len == 0)
            pthread_cond_wait(&queue_ready, &queue_lock);
        queue_len--;
        done_jobs++;
    }
    return NULL; /* never reached: nobody tells the pool to stop */
}

static __attribute__((noipa)) void *shutdown_watcher(void *arg)
{
    sem_wait(&shutdown_requested); /* nobody ever posts it */
    return arg;
}

static __attribute__((noipa)) void start_pool(void)
{
    pthread_t t;
    for (int i = 0; i < WORKERS; i++)
        if (pthread_create(&t, NULL, pool_worker, NULL) != 0)
            return;
}

static __attribute__((noipa)) void start_watcher(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, shutdown_watcher, NULL) == 0)
        pthread_detach(t);
}

int main(void)
{
    sem_init(&shutdown_requested, 0, 0);
    start_pool();
    start_watcher();
    pthread_mutex_lock(&queue_lock);
    queue_len = 10;
    pthread_cond_broadcast(&queue_ready);
    pthread_mutex_unlock(&queue_lock);
    for (bool busy = true; busy;) {
        pthread_mutex_lock(&queue_lock);
        busy = done_jobs < 10;
        pthread_mutex_unlock(&queue_lock);
    }
    printf("demo: 10 jobs done, main returns 0\n");
    return 0;
}
