/*
 * A thread leaked by a gor task (issue 9, gor polish): the thread's creator is the task, as in
 * Go the creator of work is the goroutine, not the OS thread that happened to run it.
 *
 * main_task starts start_poller, a task that creates a pthread (poll_forever) and returns. The
 * thread waits on a semaphore nobody posts: it is leaked at exit. Its created_by must be
 * start_poller's task, and the chain start_poller -> main_task -> the main thread must stay in
 * the report although both tasks have exited. The program prints start_poller's task id on
 * stdout ("poller task N") so a test knows which task to expect.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>

#include "gor.h"

static sem_t never;

static void *poll_forever(void *arg)
{
    sem_wait(&never); /* bug: nobody posts; the thread outlives everything */
    return arg;
}

static void start_poller(void *arg)
{
    gor_chan *started = arg;
    pthread_t t;
    printf("poller task %lld\n", (long long)gor_self());
    fflush(stdout);
    if (pthread_create(&t, NULL, poll_forever, NULL) == 0)
        pthread_detach(t);
    gor_chan_send(started, &t);
}

static void main_task(void *arg)
{
    gor_chan *started = gor_chan_make(sizeof(pthread_t), 1);
    gor_go(start_poller, started);
    gor_chan_recv(started, NULL);
    gor_chan_unref(started);
    (void)arg;
}

int main(void)
{
    sem_init(&never, 0, 0);
    return gor_main(main_task, NULL);
}
