/*
 * Scenario tests of the signal report (tl_sigreport): a hung program killed by SIGTERM, SIGINT,
 * SIGHUP or SIGQUIT at the default disposition leaves a "signal" report and still dies by that
 * signal; a program with its own handler (installed before or after the detector starts, with
 * signal() or sigaction and SA_RESETHAND|SA_SIGINFO) keeps it and gets no report from us; queries
 * show SIG_DFL. Every program here is tests/scenarios/sig_killed.c, killed from a child process
 * of its own once it waits (no sleeps, no timing). Reliability matrix rows 57 and 58 (issue 15's
 * in-tree copy) are this suite and the supervisor's tests in check_cli.c.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define SIG_OPTS "threshold=60s:grace=200ms:exitcode=0"

static void run_mode(struct th_run *r, const char *mode, const char *options)
{
    const char *args[] = {mode, NULL};
    struct th_opts o = {.prog = "sig_killed",
                        .argv = args,
                        .options = options ? options : SIG_OPTS,
                        .timeout_s = 30};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s: the program outlived its signal; stderr:\n%s", mode, r->err);
}

/* The signal report of a killed hung program: the stuck worker with its wait and stacks. */
static void assert_signal_report(const struct th_run *r, const char *signame)
{
    json_t *rep = th_report(r, "signal", r->pid);
    ck_assert_msg(rep != NULL, "no signal report; stderr:\n%s", r->err);
    ck_assert_str_eq(th_str(rep, "kind"), "signal");
    ck_assert_str_eq(th_str(rep, "signal"), signame);
    json_t *w = th_unit_blocked_in(rep, "stuck_worker");
    ck_assert_msg(w != NULL, "stuck worker not listed");
    ck_assert_str_eq(th_str(json_object_get(w, "wait"), "reason"), "cond wait");
    ck_assert_str_eq(th_str(w, "verdict"), "leaked");
#if !TH_SANITIZE /* under ASan every thread starts in its interceptor */
    ck_assert_str_eq(th_str(w, "start"), "stuck_worker");
#endif
    json_t *main_unit = th_unit(rep, "thread:1");
    ck_assert_msg(main_unit != NULL, "main thread not listed");
    ck_assert_str_eq(th_str(json_object_get(main_unit, "wait"), "reason"), "join");
    ck_assert(json_is_null(json_object_get(main_unit, "verdict")));
    ck_assert_int_eq(th_count_reports(r, ".exit.json"), 0);
    json_decref(rep);
    ck_assert_msg(th_contains(r->err, "taskleak: signal report:"), "stderr:\n%s", r->err);
    ck_assert(th_contains(r->err, "stuck_worker"));
}

START_TEST(a_hung_program_killed_by_sigterm_leaves_a_signal_report_and_dies_by_sigterm)
{
    struct th_run r;
    run_mode(&r, "term", NULL);
    ck_assert_int_eq(r.signaled, SIGTERM);
    assert_signal_report(&r, "SIGTERM");
    ck_assert(th_contains(r.err, "the program is being killed by SIGTERM"));
    th_run_free(&r);
}
END_TEST

static const struct {
    const char *mode, *name;
    int sig;
} OTHERS[] = {{"int", "SIGINT", SIGINT}, {"hup", "SIGHUP", SIGHUP}};

START_TEST(sigint_and_sighup_leave_their_report_and_keep_their_status)
{
    struct th_run r;
    run_mode(&r, OTHERS[_i].mode, NULL);
    ck_assert_int_eq(r.signaled, OTHERS[_i].sig);
    assert_signal_report(&r, OTHERS[_i].name);
    th_run_free(&r);
}
END_TEST

START_TEST(sigquit_prints_the_dump_on_stderr_writes_the_report_and_dies_by_sigquit)
{
    struct th_run r;
    char log[128], path[128];
    snprintf(log, sizeof log, SIG_OPTS ":log=/tmp/scen_signal.%d.log", (int)getpid());
    run_mode(&r, "quit", log); /* the log away from stderr */
    ck_assert_int_eq(r.signaled, SIGQUIT);
    assert_signal_report(&r, "SIGQUIT"); /* the dump is on stderr all the same */
    snprintf(path, sizeof path, "/tmp/scen_signal.%d.log", (int)getpid());
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no log file");
    char line[256] = "";
    ck_assert(fgets(line, sizeof line, f) != NULL);
    ck_assert_msg(strstr(line, "taskleak: signal report:") != NULL, "log: %s", line);
    fclose(f);
    unlink(path);
    th_run_free(&r);
}
END_TEST

START_TEST(a_single_threaded_program_blocked_in_read_gets_its_report_from_the_handler)
{
    struct th_run r;
    run_mode(&r, "single", NULL);
    ck_assert_int_eq(r.signaled, SIGTERM);
    json_t *rep = th_report(&r, "signal", r.pid);
    ck_assert_msg(rep != NULL, "no signal report; stderr:\n%s", r.err);
    json_t *main_unit = th_unit(rep, "thread:1");
    ck_assert(main_unit != NULL);
    ck_assert_str_eq(th_str(json_object_get(main_unit, "wait"), "call"), "read");
    ck_assert(th_stack_has(rep, json_object_get(main_unit, "blocked_stack"), "block_in_read"));
    ck_assert_int_eq(th_summary(rep, "alive"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_fork_child_killed_by_sigterm_writes_its_own_report_and_dies_by_it)
{
    struct th_run r;
    run_mode(&r, "fork", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(th_contains(r.out, "child signaled 15"), "stdout:\n%s", r.out);
    ck_assert_int_eq(th_count_reports(&r, ".signal.json"), 1);
    char parents[64];
    snprintf(parents, sizeof parents, "taskleak.%d.signal", r.pid);
    ck_assert_int_eq(th_count_reports(&r, parents), 0); /* the child's, not the parent's */
    json_t *rep = th_report(&r, "signal", 0);
    ck_assert(rep != NULL);
    ck_assert_str_eq(th_str(json_object_get(th_unit(rep, "thread:1"), "wait"), "call"), "read");
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

static const struct {
    const char *mode;
    int signaled, status;
} OWN[] = {
    {"own_before", SIGTERM, 128 + SIGTERM}, /* preinit_array: before the detector starts */
    {"own_after", SIGTERM, 128 + SIGTERM},  /* sigaction, SA_RESETHAND | SA_SIGINFO */
    {"own_exit", 0, 3},                     /* signal(); the handler exits 3 */
};

START_TEST(a_program_with_its_own_sigterm_handler_keeps_it_and_gets_no_report_from_us)
{
    struct th_run r;
    run_mode(&r, OWN[_i].mode, NULL);
    ck_assert_msg(th_contains(r.out, "handler ran"), "%s: stdout:\n%s", OWN[_i].mode, r.out);
    ck_assert_int_eq(r.signaled, OWN[_i].signaled);
    ck_assert_int_eq(r.status, OWN[_i].status);
    ck_assert_int_eq(th_count_reports(&r, ".signal.json"), 0);
    ck_assert(!th_contains(r.err, "signal report"));
    th_run_free(&r);
}
END_TEST

START_TEST(sigaction_and_signal_show_the_program_sig_dfl_not_our_handler)
{
    struct th_run r;
    run_mode(&r, "view", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "dfl dfl dfl dfl\nsignal returned dfl\n");
    th_run_free(&r);
}
END_TEST

START_TEST(an_inherited_ignored_signal_stays_ignored_and_is_not_ours)
{
    /* nohup-style: SIGHUP ignored across exec; we install nothing over it */
    const char *argv[] = {"-c", "trap '' HUP; exec \"$0\" view", NULL, NULL};
    char prog[1024];
    snprintf(prog, sizeof prog, "%s", th_path("tests/scenarios/sig_killed"));
    argv[2] = prog;
    struct th_opts o = {.prog = "/bin/sh", .argv = argv, .options = SIG_OPTS, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "ign dfl dfl dfl\nsignal returned dfl\n");
    th_run_free(&r);
}
END_TEST

/* Hostile deliveries: each must end the process by the signal and leave one whole report. */
static const struct {
    const char *mode;
    const char *signals; /* the signals it may die by, as "|NAME|" strings */
} HOSTILE[] = {
    {"storm", "|SIGTERM|SIGINT|"}, /* more signals while the report is built */
    {"masked", "|SIGTERM|"},       /* the thread that gets it is not main */
    {"thread", "|SIGTERM|"},       /* sent to one thread, not the process */
    {"traffic", "|SIGTERM|"},      /* lock traffic through our wrappers meanwhile */
};

START_TEST(hostile_deliveries_still_end_the_process_by_the_signal_with_one_report)
{
    struct th_run r;
    char name[16];
    run_mode(&r, HOSTILE[_i].mode, NULL);
    snprintf(name, sizeof name, "|%s|", r.signaled == SIGINT ? "SIGINT" : "SIGTERM");
    ck_assert_msg(r.signaled != 0 && strstr(HOSTILE[_i].signals, name) != NULL,
                  "%s: status %d signaled %d; stderr:\n%s", HOSTILE[_i].mode, r.status, r.signaled,
                  r.err);
    ck_assert_int_eq(th_count_reports(&r, NULL), 1);
    json_t *rep = th_report(&r, "signal", r.pid);
    ck_assert_msg(rep != NULL, "%s: no signal report; stderr:\n%s", HOSTILE[_i].mode, r.err);
    snprintf(name, sizeof name, "|%s|", th_str(rep, "signal"));
    ck_assert_msg(strstr(HOSTILE[_i].signals, name) != NULL, "signal %s", name);
    ck_assert(th_unit_blocked_in(rep, "stuck_worker") != NULL);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

Suite *make_scen_signal_suite(void)
{
    Suite *s = suite_create("scen_signal");
    TCase *tc = tcase_create("killed");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_hung_program_killed_by_sigterm_leaves_a_signal_report_and_dies_by_sigterm);
    tcase_add_loop_test(tc, sigint_and_sighup_leave_their_report_and_keep_their_status, 0, 2);
    tcase_add_test(tc, sigquit_prints_the_dump_on_stderr_writes_the_report_and_dies_by_sigquit);
    tcase_add_test(tc, a_single_threaded_program_blocked_in_read_gets_its_report_from_the_handler);
    tcase_add_test(tc, a_fork_child_killed_by_sigterm_writes_its_own_report_and_dies_by_it);
    tcase_add_loop_test(tc, hostile_deliveries_still_end_the_process_by_the_signal_with_one_report,
                        0, 4);
    suite_add_tcase(s, tc);
    TCase *own = tcase_create("own");
    tcase_set_timeout(own, 60);
    tcase_add_loop_test(
        own, a_program_with_its_own_sigterm_handler_keeps_it_and_gets_no_report_from_us, 0, 3);
    tcase_add_test(own, sigaction_and_signal_show_the_program_sig_dfl_not_our_handler);
    tcase_add_test(own, an_inherited_ignored_signal_stays_ignored_and_is_not_ours);
    suite_add_tcase(s, own);
    return s;
}
