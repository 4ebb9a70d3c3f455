/*
 * Fixed twin of gor_leak_wg_error_path.c: every path out of the worker goes through one exit that
 * calls gor_wg_done, so the main task's wait ends even though worker 1 fails.
 */
#include <stdio.h>

#include "gor.h"

static gor_wg all_done = GOR_WG_INIT;

static int do_work(int n)
{
    return n == 1 ? -1 : 0;
}

static void worker(void *arg)
{
    int n = (int)(intptr_t)arg;
    if (do_work(n) < 0)
        printf("worker %d failed\n", n);
    gor_wg_done(&all_done);
}

static void main_task(void *arg)
{
    gor_wg_add(&all_done, 3);
    for (int i = 0; i < 3; i++)
        gor_go(worker, (void *)(intptr_t)i);
    gor_wg_wait(&all_done);
    puts("all done");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
