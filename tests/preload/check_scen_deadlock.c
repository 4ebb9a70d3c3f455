/*
 * The whole process asleep (issue 14): the watchdog proves that no unit can ever move again, writes
 * a "deadlock" report, says "taskleak: all threads are asleep - deadlock!" and ends the run with
 * exitcode (on_deadlock=all); with on_deadlock=any also a wait-for cycle while others run; with
 * on_deadlock=report it only reports. Programs that are merely idle (a server in accept or
 * epoll_wait, a daemon in sigwait or in sem_wait with a SIGTERM handler, a pool with a timer) are
 * never ended. These are hostile-host cases 61 (the whole process asleep inside exit(): the
 * atexit and destructor tests) and 62 (idle by design: the "idle" tests) of docs/hostile-hosts.md.
 * Scenario programs: tests/scenarios/dl_*.c; each test bounds the whole run with a generous
 * harness timeout and asserts on the JSON report and text.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define DL_FAST "threshold=1s:interval=200ms"
#define DL_LINE "taskleak: all threads are asleep - deadlock!"

static void run_prog(struct th_run *r, const char *prog, const char *options, const char *a1,
                     const char *a2, double timeout_s)
{
    const char *argv[] = {a1, a2, NULL};
    struct th_opts o = {.prog = prog, .options = options, .argv = argv, .timeout_s = timeout_s};
    ck_assert_int_eq(th_run(&o, r), 0);
}

static void run_ended(struct th_run *r, const char *prog, const char *options, const char *mode)
{
    run_prog(r, prog, options, mode, NULL, 60);
    ck_assert_msg(!r->timed_out, "%s %s hung; stderr:\n%s", prog, mode, r->err);
}

/* The unit whose start function or blocked stack names fn. */
static json_t *unit_in(json_t *rep, const char *fn)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *s = th_str(u, "start");
        if ((s != NULL && strcmp(s, fn) == 0) ||
            th_stack_has(rep, json_object_get(u, "blocked_stack"), fn))
            return u;
    }
    return NULL;
}

static const char *reason_of(json_t *u)
{
    return th_str(json_object_get(u, "wait"), "reason");
}

/* The deadlock report of a shutdown join: the worker in its condition wait and the joiner, both
 * deadlocked, the text line first. joiner_fn: a function on the joiner's blocked stack. */
static void check_shutdown_deadlock(struct th_run *r, const char *joiner_fn)
{
    ck_assert_msg(r->status == 76, "status %d; stderr:\n%s", r->status, r->err);
    json_t *rep = th_report(r, "deadlock", r->pid);
    ck_assert_msg(rep != NULL, "no deadlock report; stderr:\n%s", r->err);
    ck_assert_str_eq(th_str(rep, "kind"), "deadlock");
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 2);
    ck_assert_int_eq(th_summary(rep, "alive"), 2);
    json_t *worker = unit_in(rep, "wait_for_stop"), *joiner = unit_in(rep, joiner_fn);
    ck_assert(worker != NULL && joiner != NULL && worker != joiner);
    ck_assert_str_eq(th_str(worker, "verdict"), "deadlocked");
    ck_assert_str_eq(reason_of(worker), "cond wait");
    ck_assert_str_eq(th_str(joiner, "verdict"), "deadlocked");
    ck_assert_str_eq(reason_of(joiner), "join");
    json_decref(rep);
    const char *line = strstr(r->err, DL_LINE),
               *header = strstr(r->err, "taskleak: deadlock report:");
    ck_assert_msg(line != NULL && header != NULL && line < header, "stderr:\n%s", r->err);
    ck_assert(line == r->err || line[-1] == '\n');
    ck_assert(th_contains(r->out, "worker waiting"));
    ck_assert(!th_contains(r->out, "joined"));
}

/* dl_shutdown_join in `mode` ends by itself with its deadlock report, never through the exit
 * gate (no exit report). */
static void check_shutdown_hang(const char *mode, const char *joiner_fn)
{
    struct th_run r;
    run_ended(&r, "dl_shutdown_join", DL_FAST, mode);
    check_shutdown_deadlock(&r, joiner_fn);
    ck_assert_int_eq(th_count_reports(&r, ".exit."), 0);
    th_run_free(&r);
}

START_TEST(a_shutdown_join_on_a_thread_stuck_in_a_condition_wait_ends_with_a_deadlock_report)
{
    check_shutdown_hang("main", "shutdown_worker");
}
END_TEST

/* Through the supervisor: the deadlock report counts as the detector's word, so taskleak run
 * passes 76 on and does not claim that the detector never ran. */
START_TEST(taskleak_run_passes_a_deadlock_exit_on_as_the_detectors_verdict)
{
    static const char *const cli[] = {"--threshold", "1s", "--options", "interval=200ms", NULL};
    static const char *const argv[] = {"main", NULL};
    struct th_opts o = {.prog = "dl_shutdown_join",
                        .argv = argv,
                        .via_cli = true,
                        .cli_args = cli,
                        .timeout_s = 60};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(!r.timed_out, "hung; stderr:\n%s", r.err);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert(th_contains(r.err, DL_LINE));
    ck_assert_msg(!th_contains(r.err, "no report from"), "stderr:\n%s", r.err);
    ck_assert_int_eq(th_count_reports(&r, "deadlock"), 1);
    th_run_free(&r);
}
END_TEST

START_TEST(the_fixed_shutdown_signals_its_worker_and_exits_cleanly)
{
    struct th_run r;
    run_ended(&r, "dl_shutdown_join", DL_FAST, "fixed");
    ck_assert_int_eq(r.status, 0);
    ck_assert(th_contains(r.out, "joined"));
    ck_assert_int_eq(th_count_reports(&r, "deadlock"), 0);
    ck_assert(!th_contains(r.err, DL_LINE));
    json_t *ex = th_report(&r, "exit", r.pid);
    ck_assert(ex != NULL);
    ck_assert_int_eq(th_summary(ex, "leaked") + th_summary(ex, "deadlocked"), 0);
    json_decref(ex);
    th_run_free(&r);
}
END_TEST

START_TEST(the_same_hang_in_an_atexit_handler_ends_the_same_way)
{
    check_shutdown_hang("atexit", "shutdown_worker");
}
END_TEST

START_TEST(the_same_hang_in_a_destructor_ends_the_same_way)
{
    check_shutdown_hang("dtor", "join_in_destructor");
}
END_TEST

/* "watch": a helper process SIGKILLs the program two seconds after the deadlock report appeared;
 * a program the detector had ended would have exited 76 before that. */
static void check_report_only(const char *options)
{
    struct th_run r;
    run_ended(&r, "dl_shutdown_join", options, "watch");
    ck_assert_msg(r.status == 128 + 9, "status %d; stderr:\n%s", r.status, r.err);
    json_t *rep = th_report(&r, "deadlock", r.pid);
    ck_assert_msg(rep != NULL, "no deadlock report; stderr:\n%s", r.err);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 2);
    json_decref(rep);
    ck_assert(th_contains(r.err, DL_LINE));
    th_run_free(&r);
}

/* A thread created behind the interposer waits too, but its wait cannot be seen: it counts as
 * able to move, so the same hang is never proven (a helper kills the program after 4 s; the
 * proof takes about 1.5 s). */
START_TEST(a_thread_created_behind_the_interposer_keeps_the_process_from_being_called_asleep)
{
    struct th_run r;
    run_ended(&r, "dl_shutdown_join", DL_FAST, "hidden");
    ck_assert_msg(r.status == 128 + 9, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_int_eq(th_count_reports(&r, "deadlock"), 0);
    ck_assert(!th_contains(r.err, DL_LINE));
    ck_assert(th_contains(r.err, "taskleak: watchdog:")); /* the watchdog did look */
    th_run_free(&r);
}
END_TEST

START_TEST(on_deadlock_report_reports_and_leaves_the_program_alone)
{
    check_report_only(DL_FAST ":on_deadlock=report");
}
END_TEST

START_TEST(exitcode_zero_reports_the_deadlock_without_ending_the_program)
{
    check_report_only(DL_FAST ":exitcode=0");
}
END_TEST

/* An idle program, woken from outside after 2.5 s: many watchdog looks past the threshold. */
static void check_idle(const char *mode)
{
    struct th_run r;
    char want[64];
    run_prog(&r, "dl_idle", "threshold=300ms:interval=100ms", mode, "2500", 60);
    ck_assert_msg(!r.timed_out, "dl_idle %s hung; stderr:\n%s", mode, r.err);
    ck_assert_msg(r.status == 0, "dl_idle %s: status %d; stderr:\n%s", mode, r.status, r.err);
    snprintf(want, sizeof want, "woken: %s\n", mode);
    ck_assert_msg(th_contains(r.out, want), "stdout: %s", r.out);
    ck_assert_int_eq(th_count_reports(&r, "deadlock"), 0);
    ck_assert(!th_contains(r.err, DL_LINE));
    th_run_free(&r);
}

START_TEST(a_server_idle_in_accept_is_never_ended)
{
    check_idle("accept");
}
END_TEST

START_TEST(a_server_idle_in_epoll_wait_is_never_ended)
{
    check_idle("epoll");
}
END_TEST

START_TEST(a_daemon_in_sigwait_is_never_ended)
{
    check_idle("sigwait");
}
END_TEST

START_TEST(a_daemon_parked_in_sem_wait_until_its_sigterm_handler_posts_is_never_ended)
{
    check_idle("sem");
}
END_TEST

START_TEST(a_pool_parked_on_a_condition_with_a_timer_thread_is_never_ended)
{
    check_idle("pool");
}
END_TEST

START_TEST(a_wait_on_a_process_shared_condition_another_process_signals_is_never_ended)
{
    check_idle("pshared");
}
END_TEST

START_TEST(on_deadlock_any_ends_the_run_on_an_abba_cycle_while_main_still_works)
{
    struct th_run r;
    run_prog(&r, "dl_abba_busy", "threshold=500ms:interval=100ms:on_deadlock=any", "40", NULL, 60);
    ck_assert_msg(!r.timed_out, "dl_abba_busy hung; stderr:\n%s", r.err);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert(!th_contains(r.out, "done working"));
    json_t *rep = th_report(&r, "deadlock", r.pid);
    ck_assert_msg(rep != NULL, "no deadlock report; stderr:\n%s", r.err);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 2);
    ck_assert_int_eq(json_array_size(json_object_get(rep, "deadlocks")), 1);
    json_t *a = unit_in(rep, "lock_a_then_b"), *b = unit_in(rep, "lock_b_then_a");
    json_t *main_unit = th_unit(rep, "thread:1");
    ck_assert(a != NULL && b != NULL && main_unit != NULL);
    ck_assert_str_eq(th_str(a, "verdict"), "deadlocked");
    ck_assert_str_eq(th_str(b, "verdict"), "deadlocked");
    ck_assert(th_str(main_unit, "verdict") == NULL);
    json_decref(rep);
    ck_assert(!th_contains(r.err, DL_LINE)); /* not the whole process */
    ck_assert(th_contains(r.err, "taskleak: deadlock report:"));
    th_run_free(&r);
}
END_TEST

START_TEST(by_default_an_abba_cycle_while_main_still_works_does_not_end_the_run)
{
    struct th_run r;
    run_prog(&r, "dl_abba_busy", "threshold=500ms:interval=100ms", "3", NULL, 60);
    ck_assert_msg(!r.timed_out, "dl_abba_busy hung; stderr:\n%s", r.err);
    /* main ran to its end; the exit gate then fails the run on the cycle (deadlocked is in the
     * default fail_on) */
    ck_assert_int_eq(r.status, 76);
    ck_assert(th_contains(r.out, "done working"));
    ck_assert_int_eq(th_count_reports(&r, "deadlock"), 0);
    th_run_free(&r);
}
END_TEST

/* gor's runtime proves its own "all tasks are asleep" first (within a few of its 10 ms looks);
 * the detector's report agrees with it and the watchdog adds no second, different verdict. */
START_TEST(gor_tasks_all_blocked_on_channels_end_by_the_runtimes_own_check_consistently)
{
    struct th_run r;
    /* fail_on=leaked: with deadlocked in it (the default) the detector ends the run from gor's
     * hook with its own status, before the runtime prints its dump */
    run_ended(&r, "gor_leak_wg_error_path", "threshold=100ms:interval=50ms:fail_on=leaked", NULL);
    ck_assert(th_contains(r.err, "gor: fatal: all tasks are asleep - deadlock!"));
    json_t *ex = th_report(&r, "exit", r.pid);
    ck_assert_msg(ex != NULL, "no exit report; stderr:\n%s", r.err);
    ck_assert_int_ge(th_summary(ex, "deadlocked"), 1);
    ck_assert_int_eq(th_summary(ex, "leaked"), 0);
    json_decref(ex);
    ck_assert_int_eq(th_count_reports(&r, "deadlock"), 0);
    th_run_free(&r);
}
END_TEST

/* Without gor_main the runtime's own check cannot decide (a plain thread it does not know might
 * still send); the detector knows every thread and proves the whole process asleep. */
START_TEST(gor_tasks_blocked_on_channels_with_main_waiting_outside_gor_main_are_proven_asleep)
{
    struct th_run r;
    run_ended(&r, "gor_asleep_plain_main", DL_FAST, NULL);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert(!th_contains(r.out, "reply"));
    ck_assert(th_contains(r.err, DL_LINE));
    json_t *rep = th_report(&r, "deadlock", r.pid);
    ck_assert_msg(rep != NULL, "no deadlock report; stderr:\n%s", r.err);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 2);
    json_t *task = th_unit_by_start(rep, "task", "consumer"), *main_unit = th_unit(rep, "thread:1");
    ck_assert(task != NULL && main_unit != NULL);
    ck_assert_str_eq(th_str(task, "verdict"), "deadlocked");
    ck_assert_str_eq(reason_of(task), "chan receive");
    ck_assert_str_eq(th_str(main_unit, "verdict"), "deadlocked");
    ck_assert_str_eq(reason_of(main_unit), "chan receive");
    json_decref(rep);
    th_run_free(&r);
    run_ended(&r, "gor_asleep_plain_main", DL_FAST, "fixed");
    ck_assert_int_eq(r.status, 0);
    ck_assert(th_contains(r.out, "reply 42"));
    ck_assert_int_eq(th_count_reports(&r, "deadlock"), 0);
    th_run_free(&r);
}
END_TEST

Suite *make_scen_deadlock_suite(void)
{
    Suite *s = suite_create("scen_deadlock");
    TCase *tc = tcase_create("all_asleep");
    tcase_set_timeout(tc, 240);
    tcase_add_test(
        tc, a_shutdown_join_on_a_thread_stuck_in_a_condition_wait_ends_with_a_deadlock_report);
    tcase_add_test(tc, the_fixed_shutdown_signals_its_worker_and_exits_cleanly);
    tcase_add_test(tc, taskleak_run_passes_a_deadlock_exit_on_as_the_detectors_verdict);
    tcase_add_test(tc, the_same_hang_in_an_atexit_handler_ends_the_same_way);
    tcase_add_test(tc, the_same_hang_in_a_destructor_ends_the_same_way);
    tcase_add_test(tc, on_deadlock_report_reports_and_leaves_the_program_alone);
    tcase_add_test(
        tc, a_thread_created_behind_the_interposer_keeps_the_process_from_being_called_asleep);
    tcase_add_test(tc, exitcode_zero_reports_the_deadlock_without_ending_the_program);
    tcase_add_test(tc,
                   gor_tasks_all_blocked_on_channels_end_by_the_runtimes_own_check_consistently);
    tcase_add_test(
        tc, gor_tasks_blocked_on_channels_with_main_waiting_outside_gor_main_are_proven_asleep);
    suite_add_tcase(s, tc);
    TCase *idle = tcase_create("idle");
    tcase_set_timeout(idle, 240);
    tcase_add_test(idle, a_server_idle_in_accept_is_never_ended);
    tcase_add_test(idle, a_server_idle_in_epoll_wait_is_never_ended);
    tcase_add_test(idle, a_daemon_in_sigwait_is_never_ended);
    tcase_add_test(idle,
                   a_daemon_parked_in_sem_wait_until_its_sigterm_handler_posts_is_never_ended);
    tcase_add_test(idle, a_pool_parked_on_a_condition_with_a_timer_thread_is_never_ended);
    tcase_add_test(idle,
                   a_wait_on_a_process_shared_condition_another_process_signals_is_never_ended);
    suite_add_tcase(s, idle);
    TCase *any = tcase_create("on_deadlock");
    tcase_set_timeout(any, 240);
    tcase_add_test(any, on_deadlock_any_ends_the_run_on_an_abba_cycle_while_main_still_works);
    tcase_add_test(any, by_default_an_abba_cycle_while_main_still_works_does_not_end_the_run);
    suite_add_tcase(s, any);
    return s;
}
