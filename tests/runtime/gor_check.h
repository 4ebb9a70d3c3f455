/*
 * Helpers shared by the gor Check suites: run a body as the gor_main task with a chosen worker
 * count (each Check test is a fresh forked process, so GOR_PROCS set here takes effect), and a
 * few tiny task bodies. Header-only: every suite includes it.
 */
#ifndef GOR_CHECK_H
#define GOR_CHECK_H

#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "gor.h"
#include "gor_introspect.h"

static inline void gt_run(int procs, void (*fn)(void *), void *arg)
{
    char buf[16];
    snprintf(buf, sizeof buf, "%d", procs);
    setenv("GOR_PROCS", buf, 1);
    ck_assert_int_eq(gor_main(fn, arg), 0);
}

/* A WaitGroup-counted task: `fn(arg)` then wg_done. */
struct gt_job {
    void (*fn)(void *);
    void *arg;
    gor_wg *wg;
};

static inline void gt_job_main(void *p)
{
    struct gt_job *j = p;
    j->fn(j->arg);
    gor_wg_done(j->wg);
    free(j);
}

static inline void gt_go_wg(gor_wg *wg, void (*fn)(void *), void *arg)
{
    struct gt_job *j = malloc(sizeof *j);
    ck_assert_ptr_nonnull(j);
    *j = (struct gt_job){fn, arg, wg};
    gor_wg_add(wg, 1);
    ck_assert_int_gt(gor_go(gt_job_main, j), 0);
}

#define GT_MS 1000000LL

/* Task id's state in the runtime's own registry (enum gor_task_state), -1 when it is not there. */
static inline int gt_task_state(int64_t id)
{
    size_t total = gor_introspect_count() + 16, n;
    struct gor_task_info *info = malloc(total * sizeof *info);
    ck_assert_ptr_nonnull(info);
    n = gor_introspect_snapshot(info, total, NULL);
    int state = -1;
    for (size_t i = 0; i < n && state < 0; i++)
        if (info[i].id == id)
            state = info[i].state;
    free(info);
    return state;
}

/* Returns once task id is parked in a blocking call: a handshake on what the runtime itself
 * says, not a sleep. Callable from a task (it yields) or a plain thread. Fails after 30 s. */
static inline void gt_await_blocked(int64_t id)
{
    ck_assert_int_gt(id, 0);
    for (int64_t end = gor_now() + 30000 * GT_MS; gt_task_state(id) != GOR_TASK_BLOCKED;) {
        ck_assert_msg(gor_now() < end, "task %lld never blocked", (long long)id);
        gor_sleep(GT_MS / 10);
    }
}
#endif
