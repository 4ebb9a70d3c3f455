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
#endif
