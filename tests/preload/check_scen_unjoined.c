/*
 * The unjoined verdict (issue 14): a joinable thread that finished and was never joined nor
 * detached is "unjoined" (state "exited") at the exit gate and at taskleak_check(), fails the run
 * by default (status 76), and is forgotten by every kind of join and detach. Runs
 * tests/scenarios/thr_unjoined.c in its modes; every assertion is on the JSON report, plus the
 * lines of the text report people read.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define OPTS "grace=300ms:threshold=0"

static json_t *run_mode(struct th_run *r, const char *mode, const char *extra, const char *options,
                        int want_status)
{
    const char *argv[] = {mode, extra, NULL};
    struct th_opts o = {.prog = "thr_unjoined", .argv = argv, .options = options};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "thr_unjoined %s timed out", mode);
    ck_assert_msg(r->status == want_status, "thr_unjoined %s exited %d, want %d; stderr:\n%s", mode,
                  r->status, want_status, r->err);
    json_t *rep = th_report(r, "exit", r->pid);
    ck_assert_msg(rep != NULL, "thr_unjoined %s wrote no exit report; stderr:\n%s", mode, r->err);
    return rep;
}

/* Every unit of the report with this verdict has state "exited", start `start`, and a finish
 * time; returns how many there are. */
static int unjoined_units(json_t *rep, const char *start)
{
    int n = 0;
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *v = th_str(u, "verdict");
        if (v == NULL || strcmp(v, "unjoined") != 0)
            continue;
        ck_assert_str_eq(th_str(u, "state"), "exited");
        if (!TH_SANITIZE) /* ASan's pthread_create runs first and hands us its own start */
            ck_assert_str_eq(th_str(u, "start"), start);
        ck_assert(json_is_null(json_object_get(u, "wait")));
        ck_assert(json_integer_value(json_object_get(u, "exited_ms")) >= 0);
        n++;
    }
    return n;
}

START_TEST(a_pool_destroyed_without_joins_is_four_unjoined_threads_and_fails_the_run)
{
    struct th_run r;
    json_t *rep = run_mode(&r, "pool", NULL, OPTS, 76);
    ck_assert_int_eq(th_summary(rep, "unjoined"), 4);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    ck_assert_int_eq(th_summary(rep, "alive"), 0);
    json_t *g = th_group(rep, "unjoined", NULL);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "count")), 4);
    ck_assert(json_is_null(json_object_get(g, "blocked_stack")));
    ck_assert(th_stack_has(rep, json_object_get(g, "created_stack"), "pool_start"));
    ck_assert_int_eq(unjoined_units(rep, "pool_worker"), 4);
    json_t *fail_on = json_object_get(json_object_get(rep, "options"), "fail_on");
    ck_assert_int_eq(json_array_size(fail_on), 4); /* the default gate */
    ck_assert_str_eq(json_string_value(json_array_get(fail_on, 2)), "unjoined");
    ck_assert_str_eq(json_string_value(json_array_get(fail_on, 3)), "inversion");
    ck_assert_msg(th_contains(r.err, "\n4 threads unjoined: finished, never joined or detached\n"),
                  "%s", r.err);
    ck_assert(TH_SANITIZE || th_contains(r.err, "  created by thread:1, start pool_worker:\n"));
    ck_assert(
        th_contains(r.err, "SUMMARY: taskleak: 0 leaked, 0 deadlocked, 0 blocked, 4 unjoined"));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* Modes whose threads are all joined or detached one way or another. */
static const char *const CLEAN[] = {"fixed", "late", "c11", "dump"};

START_TEST(joined_late_detached_tryjoined_timedjoined_and_c11_threads_are_clean)
{
    struct th_run r;
    json_t *rep = run_mode(&r, CLEAN[_i], NULL, OPTS, 0);
    ck_assert_int_eq(th_summary(rep, "unjoined"), 0);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(rep, "groups")), 0);
    ck_assert_msg(!th_contains(r.err, "exit report") && !th_contains(r.err, " unjoined"), "%s: %s",
                  CLEAN[_i], r.err);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* Other ways to finish unjoined: pthread_exit (two of three; the third is joined), a C11 thread. */
static const struct {
    const char *mode, *start;
    int count;
} ENDED[] = {{"exit", "exit_worker", 2}, {"c11leak", "c11_worker", 1}};

START_TEST(threads_ended_by_pthread_exit_or_c11_threads_never_joined_are_unjoined)
{
    struct th_run r;
    json_t *rep = run_mode(&r, ENDED[_i].mode, NULL, OPTS, 76);
    ck_assert_int_eq(th_summary(rep, "unjoined"), ENDED[_i].count);
    ck_assert_int_eq(unjoined_units(rep, ENDED[_i].start), ENDED[_i].count);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_mutex_an_unjoined_thread_still_holds_names_it_as_owner)
{
    struct th_run r;
    json_t *rep = run_mode(&r, "holder", NULL, OPTS, 76);
    ck_assert_int_eq(unjoined_units(rep, "keep_locked"), 1);
    json_t *w = th_unit_by_verdict(rep, "deadlocked"); /* the waiter, and the only one */
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 1);
    ck_assert_str_eq(th_str(json_object_get(w, "wait"), "owner"), "thread:2");
    ck_assert_msg(th_contains(r.err, "owner thread:2 exited while holding mutex kept ("), "%s", r.err);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_reused_thread_handle_never_finds_a_stale_record)
{
    struct th_run r;
    json_t *rep = run_mode(&r, "reuse", NULL, OPTS, 76);
    ck_assert_int_eq(th_summary(rep, "unjoined"), 1);
    json_t *g = th_group(rep, "unjoined", NULL);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(g, "units"), 0)),
                     "thread:202"); /* the last one, never one of the 200 joined before it */
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_thread_that_ends_during_grace_without_a_join_is_unjoined_not_clean)
{
    struct th_run r;
    json_t *rep = run_mode(&r, "grace", NULL, "grace=5s:threshold=0", 76);
    ck_assert_int_eq(th_summary(rep, "unjoined"), 1);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    ck_assert_int_eq(unjoined_units(rep, "slow_worker"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(taskleak_check_counts_unjoined_threads_until_they_are_joined)
{
    struct th_run r;
    json_t *rep = run_mode(&r, "check", NULL, OPTS, 0);
    ck_assert_msg(th_contains(r.out, "check: 1 then 0"), "%s", r.out);
    json_t *c1 = th_report(&r, "check-1", r.pid), *c2 = th_report(&r, "check-2", r.pid);
    ck_assert_ptr_nonnull(c1);
    ck_assert_ptr_nonnull(c2);
    ck_assert_int_eq(th_summary(c1, "unjoined"), 1);
    ck_assert_int_eq(unjoined_units(c1, "pool_worker"), 1);
    ck_assert_int_eq(th_summary(c2, "unjoined"), 0);
    ck_assert_int_eq(th_summary(rep, "unjoined"), 0);
    json_decref(c1);
    json_decref(c2);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_dump_of_a_running_program_never_calls_a_thread_unjoined)
{
    struct th_run r;
    json_t *rep = run_mode(&r, "dump", NULL, OPTS, 0);
    json_t *d = th_report(&r, "dump-1", r.pid);
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(th_summary(d, "unjoined"), 0);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(d, "units"), i, u)
        ck_assert_str_ne(th_str(u, "state"), "exited");
    json_decref(d);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* The pool again, with the gate told otherwise: fail_on without unjoined still reports them; a
 * leak: suppression (ignore=) silences them. Either way the program's own status stands. */
static const struct {
    const char *options;
    long unjoined, suppressed;
} OPT_OUT[] = {{OPTS ":fail_on=leaked,deadlocked", 4, 0}, {OPTS ":ignore=pool_start", 0, 4}};

START_TEST(fail_on_without_unjoined_or_a_leak_suppression_keeps_the_status)
{
    struct th_run r;
    json_t *rep = run_mode(&r, "pool", NULL, OPT_OUT[_i].options, 0);
    ck_assert_int_eq(th_summary(rep, "unjoined"), OPT_OUT[_i].unjoined);
    ck_assert_int_eq(th_summary(rep, "suppressed"), OPT_OUT[_i].suppressed);
    ck_assert(th_contains(r.err, "4 threads unjoined") == (OPT_OUT[_i].unjoined == 4));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

#define CHURN "50000"

/* Thread churn: joined threads leave nothing behind, so the resident size after the last of
 * CHURN threads is close to what it was after the first tenth (a record kept per thread would be
 * over 1 KiB each, 45 MiB in all; the bound allows 16 MiB of noise). */
START_TEST(joined_thread_churn_does_not_grow_memory)
{
    struct th_run r;
    const char *argv[] = {"churn", CHURN, NULL};
    struct th_opts o = {.prog = "thr_unjoined", .argv = argv, .options = OPTS, .timeout_s = 280};
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    long early = 0, end = 0;
    const char *line = strstr(r.out, "rss KiB: ");
    ck_assert_msg(line && sscanf(line, "rss KiB: %ld %ld", &early, &end) == 2, "%s", r.out);
    if (!TH_SANITIZE) /* ASan keeps state of its own for every thread that ever ran */
        ck_assert_msg(end - early < 16 * 1024, "RSS grew from %ld to %ld KiB", early, end);
    json_t *rep = th_report(&r, "exit", r.pid);
    ck_assert_int_eq(th_summary(rep, "unjoined"), 0);
    ck_assert_int_eq(th_summary(rep, "threads_created"), atol(CHURN));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

Suite *make_scen_unjoined_suite(void)
{
    Suite *s = suite_create("scen_unjoined");
    TCase *t = tcase_create("unjoined");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, a_pool_destroyed_without_joins_is_four_unjoined_threads_and_fails_the_run);
    tcase_add_loop_test(t, joined_late_detached_tryjoined_timedjoined_and_c11_threads_are_clean, 0,
                        (int)(sizeof CLEAN / sizeof CLEAN[0]));
    tcase_add_loop_test(t, threads_ended_by_pthread_exit_or_c11_threads_never_joined_are_unjoined,
                        0, (int)(sizeof ENDED / sizeof ENDED[0]));
    tcase_add_test(t, a_reused_thread_handle_never_finds_a_stale_record);
    tcase_add_test(t, a_mutex_an_unjoined_thread_still_holds_names_it_as_owner);
    tcase_add_test(t, a_thread_that_ends_during_grace_without_a_join_is_unjoined_not_clean);
    tcase_add_test(t, taskleak_check_counts_unjoined_threads_until_they_are_joined);
    tcase_add_test(t, a_dump_of_a_running_program_never_calls_a_thread_unjoined);
    tcase_add_loop_test(t, fail_on_without_unjoined_or_a_leak_suppression_keeps_the_status, 0,
                        (int)(sizeof OPT_OUT / sizeof OPT_OUT[0]));
    suite_add_tcase(s, t);
    TCase *c = tcase_create("churn");
    tcase_set_timeout(c, 300);
    tcase_add_test(c, joined_thread_churn_does_not_grow_memory);
    suite_add_tcase(s, c);
    return s;
}
