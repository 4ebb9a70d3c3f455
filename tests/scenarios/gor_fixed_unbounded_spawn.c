/*
 * Fixed twin of gor_leak_unbounded_spawn.c: the jobs go through a channel to a fixed pool of four
 * workers; dispatch() closes the channel and waits for the pool to drain it. Nothing leaks.
 */
#include <stdio.h>

#include "gor.h"

enum { JOBS = 100, WORKERS = 4 };

struct pool {
    gor_chan *jobs;
    gor_wg done;
};

static void worker(void *arg)
{
    struct pool *p = arg;
    int job;
    while (gor_chan_recv(p->jobs, &job))
        gor_sleep(100 * 1000); /* a slow job, kept short so the test stays quick */
    gor_wg_done(&p->done);
}

static void dispatch(void)
{
    struct pool p = {gor_chan_make(sizeof(int), WORKERS), GOR_WG_INIT};
    gor_wg_add(&p.done, WORKERS);
    for (int i = 0; i < WORKERS; i++)
        gor_go(worker, &p);
    for (int i = 0; i < JOBS; i++)
        gor_chan_send(p.jobs, &i);
    gor_chan_close(p.jobs);
    gor_wg_wait(&p.done);
    gor_chan_unref(p.jobs);
}

static void main_task(void *arg)
{
    dispatch();
    puts("dispatched");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
