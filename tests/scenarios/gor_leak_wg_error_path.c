/*
 * Leak (global deadlock): a WaitGroup Done skipped on an error path.
 *
 * Three workers each call gor_wg_done when they succeed, but worker 1 fails and returns early
 * without it. main_task waits on the WaitGroup forever; every other task has finished, so no task
 * can ever wake it: the runtime reports "all tasks are asleep - deadlock!" and exits with status 2.
 * The detector must mark the main task `deadlocked` in "WaitGroup wait".
 * Fixed twin: gor_fixed_wg_error_path.c.
 */
#include <stdio.h>

#include "gor.h"

static gor_wg all_done = GOR_WG_INIT;

static int do_work(int n)
{
    return n == 1 ? -1 : 0; /* worker 1 fails */
}

static void worker(void *arg)
{
    int n = (int)(intptr_t)arg;
    if (do_work(n) < 0) {
        printf("worker %d failed\n", n);
        return; /* bug: gor_wg_done(&all_done) skipped */
    }
    gor_wg_done(&all_done);
}

static void main_task(void *arg)
{
    gor_wg_add(&all_done, 3);
    for (int i = 0; i < 3; i++)
        gor_go(worker, (void *)(intptr_t)i);
    gor_wg_wait(&all_done);
    puts("all done"); /* never reached */
}

int main(void)
{
    int rc = gor_main(main_task, NULL);
    puts("main returned"); /* never reached; also keeps main's frame (no tail call) */
    return rc;
}
