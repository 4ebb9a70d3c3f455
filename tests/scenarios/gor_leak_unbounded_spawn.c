/*
 * Leak: unbounded spawning of slow jobs.
 *
 * dispatch() starts one task per job with nothing bounding or awaiting them, and each job is
 * slow (it sleeps far longer than the program lives). When main_task returns, all 100 jobs are
 * still alive: one group of 100 tasks in "sleep" inside slow_job(), created by the main task.
 * Fixed twin: gor_fixed_unbounded_spawn.c (a pool of four workers, awaited).
 */
#include <stdio.h>

#include "gor.h"

enum { JOBS = 100 };

static void slow_job(void *arg)
{
    gor_sleep(3600LL * 1000 * 1000 * 1000); /* an hour: far beyond the program's life */
    printf("job %d done\n", (int)(intptr_t)arg);
}

/* Out of line, as it would be in a real program's own file, so stacks name it. */
static __attribute__((noinline)) void dispatch(void)
{
    for (int i = 0; i < JOBS; i++)
        gor_go(slow_job, (void *)(intptr_t)i); /* bug: no bound, nobody waits */
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
