/* gor_introspect_threads: the runtime's own threads (workers, monitor), which are idle, and the
 * per-worker count of switches to a task that a tool compares across two looks to know no task
 * ran in between (taskleak's leak proofs). */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gor_check.h"
#include "gor_introspect.h"

#define MAXT 64

static size_t threads(struct gor_thread_info *t)
{
    size_t n = gor_introspect_threads(t, MAXT);
    ck_assert_uint_le(n, MAXT);
    return n;
}

static int count_role(const struct gor_thread_info *t, size_t n, int role)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        k += t[i].role == role;
    return k;
}

static uint64_t total_runs(const struct gor_thread_info *t, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += t[i].runs;
    return sum;
}

static bool all_idle(const struct gor_thread_info *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!t[i].idle)
            return false;
    return true;
}

/* Polls (bounded, 10 s) until every worker is idle and the monitor is listed. */
static size_t settle(struct gor_thread_info *t)
{
    for (int i = 0; i < 10000; i++) {
        size_t n = threads(t);
        if (all_idle(t, n) && count_role(t, n, GOR_THREAD_MONITOR) == 1)
            return n;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    ck_abort_msg("the workers never went idle");
    return 0;
}

static void inside_main(void *arg)
{
    struct gor_thread_info t[MAXT];
    size_t n = threads(t);
    pid_t me = gettid();
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (t[i].tid == me) { /* the worker running this task is busy and has run it */
            ck_assert_int_eq(t[i].role, GOR_THREAD_WORKER);
            ck_assert_int_eq(t[i].idle, 0);
            ck_assert_uint_ge(t[i].runs, 1);
            found = true;
        }
    ck_assert(found);
    ck_assert_int_eq(count_role(t, n, GOR_THREAD_WORKER), gor_procs());
    (void)arg;
}

START_TEST(workers_and_the_monitor_are_listed_and_a_busy_worker_is_not_idle)
{
    setenv("GOR_PROCS", "2", 1);
    ck_assert_int_eq(gor_main(inside_main, NULL), 0);
}
END_TEST

static void nothing(void *arg)
{
    gor_wg_done(arg);
}

START_TEST(the_run_counts_stand_still_while_nothing_runs_and_move_when_a_task_does)
{
    setenv("GOR_PROCS", "2", 1);
    gor_wg wg = GOR_WG_INIT;
    gor_wg_add(&wg, 1);
    gor_go(nothing, &wg);
    gor_wg_wait(&wg);
    struct gor_thread_info a[MAXT], b[MAXT];
    size_t na = settle(a), nb = threads(b);
    ck_assert_uint_eq(na, nb);
    ck_assert(all_idle(b, nb));
    ck_assert_uint_eq(total_runs(a, na), total_runs(b, nb)); /* nothing ran in between */
    ck_assert_uint_ge(total_runs(a, na), 1);
    for (size_t i = 0; i < na; i++)
        if (a[i].role == GOR_THREAD_MONITOR)
            ck_assert_uint_eq(a[i].runs, 0);
    gor_wg_add(&wg, 1);
    gor_go(nothing, &wg);
    gor_wg_wait(&wg);
    nb = threads(b);
    ck_assert_uint_gt(total_runs(b, nb), total_runs(a, na));
}
END_TEST

START_TEST(a_short_buffer_gets_the_first_threads_and_the_count_of_all)
{
    setenv("GOR_PROCS", "3", 1);
    struct gor_thread_info t[MAXT], one[1];
    ck_assert_int_eq(gor_procs(), 3);
    size_t n = settle(t);
    ck_assert_uint_eq(n, 4); /* three workers and the monitor */
    memset(one, 0, sizeof one);
    ck_assert_uint_eq(gor_introspect_threads(one, 1), n);
    ck_assert_int_eq(one[0].role, GOR_THREAD_WORKER);
    ck_assert_int_gt(one[0].tid, 0);
    ck_assert_uint_eq(gor_introspect_threads(NULL, 0), n);
}
END_TEST

Suite *make_gor_threads_suite(void)
{
    Suite *s = suite_create("gor_threads");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, workers_and_the_monitor_are_listed_and_a_busy_worker_is_not_idle);
    tcase_add_test(tc, the_run_counts_stand_still_while_nothing_runs_and_move_when_a_task_does);
    tcase_add_test(tc, a_short_buffer_gets_the_first_threads_and_the_count_of_all);
    suite_add_tcase(s, tc);
    return s;
}
