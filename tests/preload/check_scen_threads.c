/*
 * Thread scenarios under the detector (issue 5). Each leaky program of tests/scenarios/thr_*.c
 * must come out of its exit report as one group with the right reason, call, count, start
 * function, and the right function names in its blocked and creation stacks; run with an
 * argument, the same program does the right thing and the report (still written) is clean.
 *
 * Expectations are rows of data; every test is one sentence over a row.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define OPTS "grace=300ms:threshold=0"

struct leak_case {
    const char *prog;
    const char *reason;     /* the group's wait reason */
    const char *call;       /* the wrapped function it blocked in */
    int count;              /* threads in the group */
    const char *start;      /* their start function */
    const char *blocked_fn; /* a function named in the blocked stack */
    const char *creator_fn; /* a function named in the creation stack */
    int detached;           /* expected "detached" */
    int durable;            /* expected wait.durable */
};

static const struct leak_case CASES[] = {
    {"thr_leak_pool", "cond wait", "pthread_cond_wait", 4, "pool_worker", "pool_worker",
     "pool_start", 0, 1},
    {"thr_detached_sem", "semaphore", "sem_wait", 1, "await_signal", "await_signal", "spawn_waiter",
     1, 1},
    {"thr_pipe_reader", "IO wait", "read", 1, "read_messages", "read_messages", "start_reader", 0,
     0},
    {"thr_c11", "cond wait", "cnd_wait", 1, "consume_c11", "consume_c11", "start_consumer", 0, 1},
    {"thr_sleeper", "sleep", "nanosleep", 1, "housekeeping_loop", "housekeeping_loop",
     "start_housekeeping", 0, 0},
    {"thr_many_waiters", "cond wait", "pthread_cond_wait", 200, "wait_release", "wait_release",
     "spawn_all", 0, 1},
    {"thr_ctor_main", "cond wait", "pthread_cond_wait", 1, "ctor_worker", "ctor_worker",
     "start_at_load", 0, 1},
};
#define NCASES ((int)(sizeof CASES / sizeof CASES[0]))

static json_t *run_and_load(struct th_run *r, const char *prog, const char *arg,
                            const char *options, int want_status)
{
    const char *argv[] = {arg, NULL};
    struct th_opts o = {.prog = prog, .argv = arg ? argv : NULL, .options = options};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s timed out", prog);
    ck_assert_msg(r->status == want_status, "%s exited %d, want %d; stderr:\n%s", prog, r->status,
                  want_status, r->err);
    json_t *rep = th_report(r, "exit", r->pid);
    ck_assert_msg(rep != NULL, "%s wrote no exit report; stderr:\n%s", prog, r->err);
    return rep;
}

/* The fixed twin of `prog` exits 0 and leaks nothing. */
static void assert_fixed_twin_clean(const char *prog)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, prog, "fixed", OPTS, 0);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    json_decref(rep);
    th_run_free(&r);
}

/* The path of a frame's module ("" when unknown). */
static const char *frame_module(json_t *rep, json_t *frame)
{
    json_t *m = json_object_get(frame, "module");
    if (!json_is_integer(m))
        return "";
    json_t *mod = json_array_get(json_object_get(rep, "modules"), (size_t)json_integer_value(m));
    const char *path = th_str(mod, "path");
    return path ? path : "";
}

/* Frames from index `from` on whose module is the detector itself. */
static int detector_frames(json_t *rep, json_t *stack_id, size_t from)
{
    json_t *frames = json_object_get(th_stack(rep, stack_id), "frames");
    int n = 0;
    for (size_t k = from; k < json_array_size(frames); k++)
        n += th_contains(frame_module(rep, json_array_get(frames, k)), "libtaskleak.so");
    return n;
}

/* Users see their own call first and no detector machinery: frame #0 of the blocked stack is the
 * wrapped call (once), no other frame is ours, and the creation stack has none of ours. */
static void check_precise_stacks(json_t *rep, const struct leak_case *c, json_t *g)
{
    json_t *blocked = json_object_get(g, "blocked_stack");
    json_t *first = json_array_get(json_object_get(th_stack(rep, blocked), "frames"), 0);
    ck_assert_msg(first != NULL, "%s: empty blocked stack", c->prog);
    ck_assert_str_eq(th_str(first, "function"), c->call);
    ck_assert_msg(detector_frames(rep, blocked, 1) == 0, "%s: detector frames below #0", c->prog);
    ck_assert_msg(detector_frames(rep, json_object_get(g, "created_stack"), 0) == 0,
                  "%s: detector frames in the creation stack", c->prog);
}

static void check_group(json_t *rep, const struct leak_case *c)
{
    json_t *g = th_group(rep, "leaked", c->reason);
    ck_assert_msg(g != NULL, "%s: no leaked group \"%s\"", c->prog, c->reason);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "count")), c->count);
    ck_assert_int_eq(json_array_size(json_object_get(rep, "groups")), 1);
    ck_assert_int_eq(th_summary(rep, "leaked"), c->count);
    ck_assert_str_eq(th_str(g, "kind"), "thread");
    ck_assert_msg(th_stack_has(rep, json_object_get(g, "blocked_stack"), c->blocked_fn),
                  "%s: %s not in the blocked stack", c->prog, c->blocked_fn);
    ck_assert_msg(th_stack_has(rep, json_object_get(g, "blocked_stack"), c->call),
                  "%s: %s not in the blocked stack", c->prog, c->call);
    ck_assert_msg(th_stack_has(rep, json_object_get(g, "created_stack"), c->creator_fn),
                  "%s: %s not in the creation stack", c->prog, c->creator_fn);
    check_precise_stacks(rep, c, g);
}

static void check_unit(json_t *rep, const struct leak_case *c)
{
    json_t *g = th_group(rep, "leaked", c->reason);
    const char *id = json_string_value(json_array_get(json_object_get(g, "units"), 0));
    json_t *u = th_unit(rep, id);
    ck_assert_msg(u != NULL, "%s: unit %s missing", c->prog, id);
    if (!TH_SANITIZE) /* ASan's pthread_create runs first and hands us its own start routine */
        ck_assert_str_eq(th_str(u, "start"), c->start);
    ck_assert_str_eq(th_str(u, "state"), "blocked");
    ck_assert_str_eq(th_str(u, "verdict"), "leaked");
    ck_assert_int_eq(json_is_true(json_object_get(u, "detached")), c->detached);
    json_t *w = json_object_get(u, "wait");
    ck_assert_str_eq(th_str(w, "reason"), c->reason);
    ck_assert_str_eq(th_str(w, "call"), c->call);
    ck_assert_int_eq(json_is_true(json_object_get(w, "durable")), c->durable);
    ck_assert_msg(json_integer_value(json_object_get(w, "since_ms")) >= 0, "since_ms negative");
    ck_assert_msg(th_str(u, "created_by") != NULL, "%s: no created_by", c->prog);
}

START_TEST(each_leaky_program_reports_one_group_with_its_reason_call_and_stacks)
{
    const struct leak_case *c = &CASES[_i];
    struct th_run r;
    json_t *rep = run_and_load(&r, c->prog, NULL, OPTS, 76);
    ck_assert_str_eq(th_str(rep, "schema"), "taskleak/1");
    ck_assert_str_eq(th_str(rep, "kind"), "exit");
    check_group(rep, c);
    check_unit(rep, c);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(each_fixed_twin_reports_nothing_and_keeps_its_status)
{
    const struct leak_case *c = &CASES[_i];
    struct th_run r;
    json_t *rep = run_and_load(&r, c->prog, "fixed", OPTS, 0);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    ck_assert_int_eq(th_summary(rep, "alive"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(rep, "groups")), 0);
    ck_assert_msg(th_summary(rep, "threads_created") >= 1, "the detector saw no thread");
    ck_assert_msg(!th_contains(r.err, "SUMMARY:"), "clean run printed a report:\n%s", r.err);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_text_report_names_the_group_and_ends_with_a_summary_line)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_leak_pool", NULL, OPTS, 76);
    ck_assert_msg(th_contains(r.err, "taskleak: exit report: 4 leaked"), "headline:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "4 threads [cond wait,"), "group line:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "pool_worker"), "blocked function:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "created by thread:1"), "creator:\n%s", r.err);
    const char *s = strstr(r.err, "SUMMARY: taskleak: 4 leaked, 0 deadlocked, 0 blocked");
    ck_assert_msg(s != NULL, "no SUMMARY line:\n%s", r.err);
    ck_assert_msg(strchr(s, '\n') != NULL && strchr(s, '\n')[1] == '\0', "SUMMARY is not last");
    ck_assert_msg(th_contains(r.out, "pool done"), "program output lost: %s", r.out);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(exitcode_zero_reports_the_leak_but_keeps_the_program_status)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_leak_pool", NULL, OPTS ":exitcode=0", 0);
    ck_assert_int_eq(th_summary(rep, "leaked"), 4);
    ck_assert_msg(th_contains(r.err, "SUMMARY:"), "no report:\n%s", r.err);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(suppressed_units_are_counted_listed_and_never_fail)
{
    char path[] = "/tmp/tl-supp-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char text[] = "# pool workers are process-lifetime\nleak:pool_worker\nleak:never_used\n";
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    char opts[256];
    snprintf(opts, sizeof opts, "%s:suppressions=%s", OPTS, path);
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_leak_pool", NULL, opts, 0);
    unlink(path);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    ck_assert_int_eq(th_summary(rep, "suppressed"), 4);
    json_t *supp = json_object_get(rep, "suppressions");
    ck_assert_int_eq(json_array_size(supp), 2);
    ck_assert_str_eq(th_str(json_array_get(supp, 0), "pattern"), "leak:pool_worker");
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(supp, 0), "matched")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(supp, 1), "matched")), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(ignore_list_works_like_leak_lines)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_detached_sem", NULL, OPTS ":ignore=await_*", 0);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    ck_assert_int_eq(th_summary(rep, "suppressed"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_leak_only_in_the_fork_child_is_reported_under_the_child_pid)
{
    struct th_run r;
    json_t *parent = run_and_load(&r, "thr_fork_child", NULL, OPTS, 76);
    ck_assert_int_eq(th_summary(parent, "leaked"), 0);
    ck_assert_int_eq(th_count_reports(&r, "exit"), 2);
    const char *p = strstr(r.out, "child pid ");
    ck_assert_msg(p != NULL, "no child pid in: %s", r.out);
    int child = atoi(p + 10);
    json_t *rep = th_report(&r, "exit", child);
    ck_assert_msg(rep != NULL, "no report for child %d", child);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    json_t *g = th_group(rep, "leaked", "cond wait");
    ck_assert_msg(g != NULL, "no child group");
    ck_assert(th_stack_has(rep, json_object_get(g, "blocked_stack"), "child_waiter"));
    ck_assert(th_stack_has(rep, json_object_get(g, "created_stack"), "run_child"));
    json_decref(rep);
    json_decref(parent);
    th_run_free(&r);
}
END_TEST

START_TEST(a_fork_child_that_joins_reports_nothing)
{
    struct th_run r;
    json_t *parent = run_and_load(&r, "thr_fork_child", "fixed", OPTS, 0);
    ck_assert_int_eq(th_summary(parent, "leaked"), 0);
    ck_assert_int_eq(th_count_reports(&r, "exit"), 2);
    json_decref(parent);
    th_run_free(&r);
}
END_TEST

START_TEST(the_api_checks_labels_ignores_and_dumps_in_process)
{
    struct th_run r;
    json_t *exit_rep = run_and_load(&r, "thr_api", NULL, OPTS, 0);
    ck_assert_msg(th_contains(r.out, "active=1\ncheck1=2\ncheck2=0\ndone"), "out: %s", r.out);
    ck_assert_int_eq(th_summary(exit_rep, "leaked"), 0);
    json_t *c1 = th_report(&r, "check-1", r.pid);
    ck_assert_msg(c1 != NULL, "no check-1 report");
    ck_assert_str_eq(th_str(c1, "kind"), "check");
    ck_assert_int_eq(th_summary(c1, "leaked"), 2);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(c1, "units"), i, u)
    {
        ck_assert_str_eq(th_str(u, "label"), "test_spawns_two"); /* grandchild inherits it */
    }
    json_t *c2 = th_report(&r, "check-2", r.pid);
    ck_assert_msg(c2 != NULL, "no check-2 report");
    ck_assert_int_eq(th_summary(c2, "leaked"), 0);
    json_t *d = th_report(&r, "dump-1", r.pid);
    ck_assert_msg(d != NULL, "no dump-1 report");
    ck_assert_str_eq(th_str(d, "kind"), "dump");
    /* every unit: the two threads and the main thread that asked; all of them in groups */
    ck_assert_int_eq(json_array_size(json_object_get(d, "units")), 3);
    ck_assert_ptr_nonnull(th_unit(d, "thread:1"));
    long grouped = 0;
    json_array_foreach(json_object_get(d, "groups"), i, u)
    {
        grouped += (long)json_integer_value(json_object_get(u, "count"));
    }
    ck_assert_int_eq(grouped, 3);
    json_decref(c1);
    json_decref(c2);
    json_decref(d);
    json_decref(exit_rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_api_is_a_no_op_without_the_detector)
{
    struct th_opts o = {.prog = "thr_api", .no_preload = true};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(th_contains(r.out, "active=0\ncheck1=0\ncheck2=0\ndone"), "out: %s", r.out);
    th_run_free(&r);
}
END_TEST

START_TEST(return_values_errno_and_eintr_are_the_real_calls)
{
    for (int preload = 0; preload < 2; preload++) {
        struct th_opts o = {.prog = "thr_transparency", .no_preload = !preload, .options = OPTS};
        struct th_run r;
        ck_assert_int_eq(th_run(&o, &r), 0);
        ck_assert_msg(r.status == 0 && th_contains(r.out, "all transparent"),
                      "preload=%d status %d:\n%s", preload, r.status, r.out);
        th_run_free(&r);
    }
}
END_TEST

START_TEST(an_abba_deadlock_is_one_cycle_with_owners)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_abba", NULL, OPTS ":fail_on=leaked,deadlocked", 76);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 2);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    json_t *dl = json_object_get(rep, "deadlocks");
    ck_assert_int_eq(json_array_size(dl), 1);
    json_t *ids = json_object_get(json_array_get(dl, 0), "units");
    ck_assert_int_eq(json_array_size(ids), 2);
    for (size_t k = 0; k < 2; k++) {
        json_t *u = th_unit(rep, json_string_value(json_array_get(ids, k)));
        json_t *w = json_object_get(u, "wait");
        ck_assert_str_eq(th_str(w, "reason"), "mutex lock");
        ck_assert_str_eq(th_str(w, "owner"), json_string_value(json_array_get(ids, 1 - k)));
    }
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(same_order_locking_reports_no_deadlock)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_abba", "fixed", OPTS ":fail_on=leaked,deadlocked", 0);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(rep, "deadlocks")), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(both_symbol_versions_of_pthread_create_are_intercepted)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_versions", NULL, OPTS, 76);
    ck_assert_int_eq(th_summary(rep, "leaked"), 2);
    ck_assert_int_eq(th_summary(rep, "threads_created"), 2);
    const char *starts[] = {"via_old_version", "via_new_version"};
    for (int k = 0; k < 2; k++) {
        json_t *u = th_unit_by_start(rep, NULL, starts[k]);
        ck_assert_msg(u != NULL, "no unit started by %s", starts[k]);
        ck_assert_msg(strncmp(th_str(u, "id"), "thread:?", 8) != 0, "%s untracked", starts[k]);
        ck_assert_str_eq(th_str(json_object_get(u, "wait"), "reason"), "cond wait");
    }
    json_decref(rep);
    th_run_free(&r);
    assert_fixed_twin_clean("thr_versions");
}
END_TEST

START_TEST(a_thread_created_behind_the_interposer_is_an_unknown_leak_and_stderr_survives)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_hidden_create", NULL, OPTS, 76);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    json_t *g = th_group(rep, "leaked", NULL);
    json_t *u = th_unit(rep, json_string_value(json_array_get(json_object_get(g, "units"), 0)));
    ck_assert_msg(u != NULL, "no unit");
    ck_assert_msg(strncmp(th_str(u, "id"), "thread:?", 8) == 0, "id %s", th_str(u, "id"));
    ck_assert(json_is_true(json_object_get(u, "unknown_origin")));
    ck_assert_str_eq(th_str(u, "name"), "hidden-worker");
    ck_assert(json_is_null(json_object_get(u, "created_stack")));
    /* its start function, read from its stack's outermost frames; a state, but no wait */
    ck_assert_str_eq(th_str(u, "start"), "hidden_worker");
    const char *st = th_str(u, "state"); /* the kernel's word, asleep or not: one of the two */
    ck_assert_msg(!strcmp(st, "blocked") || !strcmp(st, "running"), "state %s", st);
    ck_assert(json_is_null(json_object_get(u, "wait")));
    ck_assert_msg(th_contains(r.err, "SUMMARY: taskleak: 1 leaked"),
                  "the text report was lost with the program's stderr:\n%s", r.err);
    json_decref(rep);
    th_run_free(&r);
    assert_fixed_twin_clean("thr_hidden_create");
}
END_TEST

START_TEST(main_pthread_exit_and_cancelled_waiters_are_not_leaks)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_main_exit", NULL, OPTS, 0);
    ck_assert_msg(th_contains(r.out, "victim cancelled"), "out: %s", r.out);
    ck_assert_int_eq(th_summary(rep, "threads_created"), 2);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    ck_assert_int_eq(th_summary(rep, "alive"), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(exit_from_a_worker_reports_only_real_leaks)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_exit_worker", NULL, OPTS, 76);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    json_t *g = th_group(rep, "leaked", "semaphore");
    ck_assert_msg(g != NULL, "no semaphore group");
    ck_assert(th_stack_has(rep, json_object_get(g, "blocked_stack"), "stuck_waiter"));
    ck_assert_ptr_null(th_unit(rep, "thread:1")); /* main only waits for the exiting worker */
    json_decref(rep);
    th_run_free(&r);
    assert_fixed_twin_clean("thr_exit_worker");
}
END_TEST

START_TEST(threads_detached_and_named_right_after_creation_are_reported_so)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "thr_detach_now", NULL, OPTS, 76);
    ck_assert_int_eq(th_summary(rep, "leaked"), 20);
    size_t i, detached = 0, named = 0;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *name = th_str(u, "name");
        detached += json_is_true(json_object_get(u, "detached"));
        named += name != NULL && strncmp(name, "early-", 6) == 0;
    }
    ck_assert_uint_eq(detached, 20);
    ck_assert_uint_eq(named, 20);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

Suite *make_scen_threads_suite(void)
{
    Suite *s = suite_create("scen_threads");
    TCase *t = tcase_create("leaks");
    tcase_set_timeout(t, 60);
    tcase_add_loop_test(t, each_leaky_program_reports_one_group_with_its_reason_call_and_stacks, 0,
                        NCASES);
    tcase_add_loop_test(t, each_fixed_twin_reports_nothing_and_keeps_its_status, 0, NCASES);
    tcase_add_test(t, threads_detached_and_named_right_after_creation_are_reported_so);
    tcase_add_test(t, the_text_report_names_the_group_and_ends_with_a_summary_line);
    suite_add_tcase(s, t);
    TCase *o = tcase_create("options");
    tcase_set_timeout(o, 60);
    tcase_add_test(o, exitcode_zero_reports_the_leak_but_keeps_the_program_status);
    tcase_add_test(o, suppressed_units_are_counted_listed_and_never_fail);
    tcase_add_test(o, ignore_list_works_like_leak_lines);
    suite_add_tcase(s, o);
    TCase *f = tcase_create("fork");
    tcase_set_timeout(f, 60);
    tcase_add_test(f, a_leak_only_in_the_fork_child_is_reported_under_the_child_pid);
    tcase_add_test(f, a_fork_child_that_joins_reports_nothing);
    suite_add_tcase(s, f);
    TCase *a = tcase_create("api_and_transparency");
    tcase_set_timeout(a, 60);
    tcase_add_test(a, the_api_checks_labels_ignores_and_dumps_in_process);
    tcase_add_test(a, the_api_is_a_no_op_without_the_detector);
    tcase_add_test(a, return_values_errno_and_eintr_are_the_real_calls);
    tcase_add_test(a, an_abba_deadlock_is_one_cycle_with_owners);
    tcase_add_test(a, same_order_locking_reports_no_deadlock);
    tcase_add_test(a, exit_from_a_worker_reports_only_real_leaks);
    tcase_add_test(a, main_pthread_exit_and_cancelled_waiters_are_not_leaks);
    if (!TH_SANITIZE) /* an instrumented .symver binary does not load ("unexpected PLT reloc") */
        tcase_add_test(a, both_symbol_versions_of_pthread_create_are_intercepted);
    tcase_add_test(a,
                   a_thread_created_behind_the_interposer_is_an_unknown_leak_and_stderr_survives);
    suite_add_tcase(s, a);
    return s;
}
