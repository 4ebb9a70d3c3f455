/*
 * Lock-order inversion between gor tasks: one task takes gor mutex A, parks (a sleep) while
 * holding it, then takes B; a later task takes B then A. Nothing hangs (the tasks run one after
 * the other), yet the detector must report one inversion of the two gor mutexes, each edge's unit
 * a task, and the run must fail with exitcode while printing "ok". A task's held list is its own:
 * parking and resuming on another worker thread must not lose or leak it.
 * Any argument: the fixed twin, both tasks take A then B (no inversion, status 0).
 */
#include <stdio.h>

#include "gor.h"

static gor_mutex a = GOR_MUTEX_INIT, b = GOR_MUTEX_INIT;
static int fixed;

static __attribute__((noipa)) void take(gor_mutex *x, gor_mutex *y)
{
    gor_mutex_lock(x);
    gor_sleep(1000000); /* park holding x */
    gor_mutex_lock(y);
    gor_mutex_unlock(y);
    gor_mutex_unlock(x);
}

static __attribute__((noipa)) void task_ab(void *wg)
{
    take(&a, &b);
    gor_wg_done(wg);
}

static __attribute__((noipa)) void task_ba(void *wg)
{
    if (fixed)
        take(&a, &b);
    else
        take(&b, &a);
    gor_wg_done(wg);
}

static void main_task(void *arg)
{
    (void)arg;
    gor_wg first = GOR_WG_INIT, second = GOR_WG_INIT;
    gor_wg_add(&first, 1);
    gor_go(task_ab, &first);
    gor_wg_wait(&first);
    gor_wg_add(&second, 1);
    gor_go(task_ba, &second);
    gor_wg_wait(&second);
}

int main(int argc, char **argv)
{
    (void)argv;
    fixed = argc > 1;
    int rc = gor_main(main_task, NULL);
    puts("ok");
    return rc;
}
