/*
 * The `taskleak` command (scripts/taskleak): usage errors, the supervisor's refusals and its
 * fail-closed rule, dump argument checks, and an installed tree that finds its own pieces.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static int run_cli(struct th_run *r, const char *const *args)
{
    static char script[1024];
    snprintf(script, sizeof script, "%s/scripts/taskleak", TH_SRC_DIR);
    struct th_opts o = {.prog = "/bin/sh", .no_preload = true, .timeout_s = 120};
    const char *argv[32] = {script};
    int n = 1;
    for (const char *const *a = args; *a && n < 31; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    o.argv = argv;
    /* Take the pieces from this build (build/san under SANITIZE=1), with the sanitizer runtime
     * leading LD_PRELOAD when the detector is instrumented. */
    static char bdir[1100], pre[600];
    snprintf(bdir, sizeof bdir, "TASKLEAK_BUILD_DIR=%s", TH_BUILD_DIR);
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", th_sanitizer_preload());
    const char *env[] = {bdir, th_sanitizer_preload()[0] ? pre : NULL, NULL};
    o.env = env;
    return th_run(&o, r);
}

START_TEST(help_prints_usage_and_succeeds)
{
    struct th_run r;
    const char *args[] = {"help", NULL};
    ck_assert_int_eq(run_cli(&r, args), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert(th_contains(r.out, "usage: taskleak run"));
    th_run_free(&r);
}
END_TEST

START_TEST(unknown_command_names_it_and_exits_125)
{
    struct th_run r;
    const char *args[] = {"frobnicate", NULL};
    ck_assert_int_eq(run_cli(&r, args), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert(th_contains(r.err, "unknown command 'frobnicate'"));
    th_run_free(&r);
}
END_TEST

START_TEST(run_without_command_is_a_usage_error)
{
    struct th_run r;
    const char *args[] = {"run", "--grace", "1s", "--", NULL};
    ck_assert_int_eq(run_cli(&r, args), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert(th_contains(r.err, "no command given"));
    th_run_free(&r);
}
END_TEST

START_TEST(run_rejects_an_unknown_flag)
{
    struct th_run r;
    const char *args[] = {"run", "--colour", "--", "/bin/true", NULL};
    ck_assert_int_eq(run_cli(&r, args), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert(th_contains(r.err, "unknown option '--colour'"));
    th_run_free(&r);
}
END_TEST

START_TEST(run_refuses_a_static_program_before_running_it)
{
    struct th_run r;
    char prog[1024];
    snprintf(prog, sizeof prog, "%s", th_path("tests/scenarios/static_hello"));
    const char *args[] = {"run", "--", prog, NULL};
    ck_assert_int_eq(run_cli(&r, args), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert(th_contains(r.err, "statically linked"));
    ck_assert(!th_contains(r.out, "hello from a static program"));
    th_run_free(&r);
}
END_TEST

START_TEST(run_passes_the_program_status_through_when_clean)
{
    struct th_run r;
    char prog[1024];
    snprintf(prog, sizeof prog, "%s", th_path("tests/scenarios/clean_exit"));
    const char *args[] = {"run", "--grace", "200ms", "--", prog, "fail", NULL};
    ck_assert_int_eq(run_cli(&r, args), 0);
    ck_assert_msg(r.status == 3, "status %d, stderr: %s", r.status, r.err);
    ck_assert(th_contains(r.out, "clean"));
    th_run_free(&r);
}
END_TEST

START_TEST(run_fails_closed_when_no_report_was_written)
{
    struct th_run r;
    char prog[1024];
    snprintf(prog, sizeof prog, "%s", th_path("tests/scenarios/quick_exit_clean"));
    const char *args[] = {"run", "--", prog, NULL};
    ck_assert_int_eq(run_cli(&r, args), 0);
    ck_assert_msg(r.status == 125, "status %d, stderr: %s", r.status, r.err);
    ck_assert(th_contains(r.err, "nothing was checked"));
    ck_assert(th_contains(r.out, "leaving without exit handlers"));
    th_run_free(&r);
}
END_TEST

START_TEST(dump_rejects_a_bad_pid)
{
    struct th_run r;
    const char *args[] = {"dump", "12ab", NULL};
    ck_assert_int_eq(run_cli(&r, args), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert(th_contains(r.err, "is not a process id"));
    th_run_free(&r);

    const char *args2[] = {"dump", "1", NULL}; /* init never has the detector loaded */
    ck_assert_int_eq(run_cli(&r, args2), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert(th_contains(r.err, "does not have the detector loaded"));
    th_run_free(&r);
}
END_TEST

/* make install into a staging tree; its taskleak must use the installed pieces. */
START_TEST(installed_tree_finds_its_pieces)
{
    char dest[] = "/tmp/th-install.XXXXXX", cmd[4096], path[4096];
    struct stat st;
    ck_assert_ptr_nonnull(mkdtemp(dest));
    snprintf(cmd, sizeof cmd,
             "make -s -C %s install DESTDIR=%s PREFIX=/usr SANITIZE=%d >%s/install.log 2>&1",
             TH_SRC_DIR, dest, TH_SANITIZE, dest);
    ck_assert_msg(system(cmd) == 0, "make install failed, see %s/install.log", dest);
    const char *want[] = {"usr/bin/taskleak", "usr/include/gor.h", "usr/include/taskleak.h",
                          "usr/lib/pkgconfig/gor.pc", "usr/share/man/man1/taskleak.1",
                          "usr/share/man/man7/taskleak.7", "usr/share/man/man3/gor.3",
                          "usr/lib/libtaskleak.so", "usr/lib/libgor.so", "usr/lib/libgor.a",
                          "usr/bin/taskleak-report", "usr/share/man/man1/taskleak-report.1"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dest, want[i]);
        ck_assert_msg(stat(path, &st) == 0, "missing from the installed tree: %s", want[i]);
    }
    /* The installed command, away from the checkout, runs a program under the installed
     * detector: the exit status of a clean program passes through. */
    snprintf(cmd, sizeof cmd,
             "cd / && env -u TASKLEAK_BUILD_DIR ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD='%s' "
             "%s/usr/bin/taskleak run "
             "--grace 100ms -- %s >/dev/null 2>%s/run.err",
             th_sanitizer_preload(), dest, th_path("tests/scenarios/clean_exit"), dest);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "installed taskleak run failed (%d), see %s/run.err", rc, dest);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dest);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* `taskleak run` under timeout(1): sh -c 'TIMEOUT_ARGS sh taskleak run REPORT -- sig_killed MODE'.
 * REPORT is "--report DIR" or empty (then TMPDIR=DIR, where run makes its own directory). */
static void run_timed(struct th_run *r, const char *dir, const char *timeout_args,
                      const char *report, const char *mode)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "ulimit -c 0; TMPDIR=%s TASKLEAK_BUILD_DIR=%s exec timeout %s sh %s/scripts/taskleak "
             "run %s --options threshold=60s -- %s %s",
             dir, TH_BUILD_DIR, timeout_args, TH_SRC_DIR, report,
             th_path("tests/scenarios/sig_killed"), mode);
    const char *argv[] = {"-c", cmd, NULL};
    static char pre[600];
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", th_sanitizer_preload());
    const char *env[] = {th_sanitizer_preload()[0] ? pre : NULL, NULL};
    struct th_opts o = {.prog = "/bin/sh", .argv = argv, .no_preload = true, .env = env,
                        .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s %s: still running; stderr:\n%s", timeout_args, mode, r->err);
}

/* The one signal report under dir (or dir's only subdirectory), parsed; NULL when none. */
static json_t *signal_report_in(const char *dir)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "ls %s/taskleak.*.signal.json %s/taskleak.*/taskleak.*.signal.json "
             "2>/dev/null", dir, dir);
    FILE *p = popen(cmd, "r");
    char path[1024] = "";
    if (p == NULL || fgets(path, sizeof path, p) == NULL) {
        if (p)
            pclose(p);
        return NULL;
    }
    pclose(p);
    path[strcspn(path, "\n")] = '\0';
    return json_load_file(path, 0, NULL);
}

static void remove_dir(const char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(timeout_around_run_ends_the_hung_program_and_leaves_its_signal_report)
{
    char dir[] = "/tmp/th-cli-sig.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct th_run r;
    run_timed(&r, dir, "3", "", "hang"); /* no --report: run's own directory is kept */
    ck_assert_msg(r.status == 124, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.err, "was killed by SIGTERM; its reports:"), "stderr:\n%s", r.err);
    ck_assert(th_contains(r.err, ".signal.json"));
    json_t *rep = signal_report_in(dir);
    ck_assert_msg(rep != NULL, "no signal report left in %s", dir);
    ck_assert_str_eq(th_str(rep, "signal"), "SIGTERM");
    ck_assert(th_unit_by_start(rep, "thread", "stuck_worker") != NULL);
    json_decref(rep);
    th_run_free(&r);
    remove_dir(dir);
}
END_TEST

static const struct {
    const char *sig, *name;
    int status;
} KILLS[] = {{"TERM", "SIGTERM", 128 + 15},
             {"INT", "SIGINT", 128 + 2},
             {"HUP", "SIGHUP", 128 + 1},
             {"QUIT", "SIGQUIT", 128 + 3}};

START_TEST(run_forwards_a_signal_to_a_program_in_its_own_group_and_exits_128_plus_n)
{
    char dir[] = "/tmp/th-cli-sig.XXXXXX", args[64], report[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(args, sizeof args, "--preserve-status -s %s 3", KILLS[_i].sig);
    snprintf(report, sizeof report, "--report %s", dir);
    struct th_run r;
    run_timed(&r, dir, args, report, "group"); /* timeout's group kill cannot reach it */
    ck_assert_msg(r.status == KILLS[_i].status, "%s: status %d; stderr:\n%s", KILLS[_i].sig,
                  r.status, r.err);
    json_t *rep = signal_report_in(dir);
    ck_assert_msg(rep != NULL, "%s: no signal report", KILLS[_i].sig);
    ck_assert_str_eq(th_str(rep, "signal"), KILLS[_i].name);
    json_decref(rep);
    th_run_free(&r);
    remove_dir(dir);
}
END_TEST

START_TEST(run_forwards_sigusr1_and_returns_the_program_status)
{
    char dir[] = "/tmp/th-cli-sig.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct th_run r;
    run_timed(&r, dir, "--preserve-status -s USR1 3", "", "group");
    ck_assert_msg(r.status == 5, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "ready\nusr1\n");
    json_t *rep = signal_report_in(dir);
    ck_assert(rep == NULL);
    th_run_free(&r);
    remove_dir(dir);
}
END_TEST

Suite *make_cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("taskleak command");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, help_prints_usage_and_succeeds);
    tcase_add_test(tc, unknown_command_names_it_and_exits_125);
    tcase_add_test(tc, run_without_command_is_a_usage_error);
    tcase_add_test(tc, run_rejects_an_unknown_flag);
    tcase_add_test(tc, run_refuses_a_static_program_before_running_it);
    tcase_add_test(tc, run_passes_the_program_status_through_when_clean);
    tcase_add_test(tc, run_fails_closed_when_no_report_was_written);
    tcase_add_test(tc, dump_rejects_a_bad_pid);
    tcase_add_test(tc, installed_tree_finds_its_pieces);
    suite_add_tcase(s, tc);
    TCase *sig = tcase_create("signals");
    tcase_set_timeout(sig, 120);
    tcase_add_test(sig, timeout_around_run_ends_the_hung_program_and_leaves_its_signal_report);
    tcase_add_loop_test(sig, run_forwards_a_signal_to_a_program_in_its_own_group_and_exits_128_plus_n,
                        0, 4);
    tcase_add_test(sig, run_forwards_sigusr1_and_returns_the_program_status);
    suite_add_tcase(s, sig);
    return s;
}
