/*
 * make demo, second program: a leaked gor task group beside a leaked thread.
 *
 * Three fan-out workers range over a jobs channel that the dispatcher never closes, so each is
 * left in "chan receive" after the jobs are done; a plain thread started to flush statistics
 * waits on a condition nobody signals. main_task returns once the results are in. The number of
 * workers is the first argument (default 3).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "gor.h"

struct fanout {
    gor_chan *jobs;
    gor_chan *results;
};

static void worker(void *arg)
{
    struct fanout *f = arg;
    int job;
    while (gor_chan_recv(f->jobs, &job)) { /* bug: jobs is never closed */
        int r = job * job;
        gor_chan_send(f->results, &r);
    }
}

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stats_due = PTHREAD_COND_INITIALIZER;
static int stats_flush;

static void *stats_flusher(void *arg)
{
    pthread_mutex_lock(&stats_lock);
    while (!stats_flush) /* bug: nobody ever sets stats_flush */
        pthread_cond_wait(&stats_due, &stats_lock);
    pthread_mutex_unlock(&stats_lock);
    return arg;
}

static void main_task(void *arg)
{
    int nworkers = *(int *)arg;
    static struct fanout f;
    pthread_t t;
    f.jobs = gor_chan_make(sizeof(int), 0);
    f.results = gor_chan_make(sizeof(int), 4);
    for (int i = 0; i < nworkers; i++)
        gor_go(worker, &f);
    pthread_create(&t, NULL, stats_flusher, NULL);
    pthread_detach(t);
    int sum = 0, r;
    for (int i = 1; i <= 4; i++)
        gor_chan_send(f.jobs, &i);
    for (int i = 1; i <= 4; i++) {
        gor_chan_recv(f.results, &r);
        sum += r;
    }
    printf("demo: sum of squares %d, main task returns\n", sum);
}

int main(int argc, char **argv)
{
    int nworkers = argc > 1 ? atoi(argv[1]) : 3;
    return gor_main(main_task, &nworkers);
}
