/* A thread pool that is never shut down: its 4 workers wait on the queue's condition variable
 * when main returns. Expected: one group of 4 leaked threads, reason "cond wait", call
 * pthread_cond_wait, pool_worker in the blocked stack, pool_start in the creation stack.
 * Any argument: shut the pool down properly first (the correct twin, reports nothing). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#define WORKERS 4

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t work;
    int queued;
    bool stop;
    pthread_t threads[WORKERS];
};

static __attribute__((noipa)) void *pool_worker(void *arg)
{
    struct pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->queued == 0 && !p->stop)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->stop)
            break;
        p->queued--;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static __attribute__((noipa)) void pool_start(struct pool *p)
{
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&p->threads[i], NULL, pool_worker, p);
}

static __attribute__((noipa)) void pool_stop(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(p->threads[i], NULL);
}

int main(int argc, char **argv)
{
    static struct pool p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, {0}};
    pool_start(&p);
    pthread_mutex_lock(&p.lock);
    p.queued = 8;
    pthread_cond_broadcast(&p.work);
    pthread_mutex_unlock(&p.lock);
    if (argc > 1)
        pool_stop(&p);
    printf("pool done\n");
    return 0;
}
