/*
 * A unit test of a tiny job queue served by one worker thread (the example of examples/ctest).
 * The test pushes jobs, waits for their results and checks them; built with FORGET_SHUTDOWN it
 * never tells the worker to stop, the bug taskleak exists to catch: every assertion passes, yet
 * the worker thread is left blocked on the queue's condition variable when the test ends.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define QUEUE_CAP 16

struct queue {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    pthread_cond_t done;
    int jobs[QUEUE_CAP];
    int head, tail, finished, sum;
    int stopping;
    pthread_t worker;
};

static void *worker_main(void *arg)
{
    struct queue *q = arg;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        while (q->head == q->tail && !q->stopping)
            pthread_cond_wait(&q->ready, &q->lock);
        if (q->head == q->tail)
            break; /* stopping and drained */
        q->sum += q->jobs[q->head++ % QUEUE_CAP] * 2;
        q->finished++;
        pthread_cond_broadcast(&q->done);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

static void queue_start(struct queue *q)
{
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->ready, NULL);
    pthread_cond_init(&q->done, NULL);
    q->head = q->tail = q->finished = q->sum = q->stopping = 0;
    if (pthread_create(&q->worker, NULL, worker_main, q) != 0)
        abort();
}

static void queue_push(struct queue *q, int job)
{
    pthread_mutex_lock(&q->lock);
    q->jobs[q->tail++ % QUEUE_CAP] = job;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
}

static int queue_wait(struct queue *q, int count)
{
    pthread_mutex_lock(&q->lock);
    while (q->finished < count)
        pthread_cond_wait(&q->done, &q->lock);
    int sum = q->sum;
    pthread_mutex_unlock(&q->lock);
    return sum;
}

static void queue_stop(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->stopping = 1;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&q->lock);
    pthread_join(q->worker, NULL);
}

/* Static, not on main's stack: a worker left behind must not wait on memory that exit() reuses. */
static struct queue q;

int main(void)
{
    queue_start(&q);
    for (int i = 1; i <= 10; i++)
        queue_push(&q, i);
    int sum = queue_wait(&q, 10);
    if (sum != 110) {
        fprintf(stderr, "queue_test: sum %d, expected 110\n", sum);
        return 1;
    }
#ifndef FORGET_SHUTDOWN
    queue_stop(&q);
#endif
    printf("queue_test: 10 jobs, sum %d: ok\n", sum);
    return 0;
}
