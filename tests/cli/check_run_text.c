/*
 * The text `taskleak run` prints: the report tool's rendering of the exit report's JSON (or of the
 * deadlock or signal report the program was ended with) when it ends, and of each watchdog report
 * and dump as it comes while it runs (file:line from the debug info, the hint, one report and not
 * two), and the detector's own name-only text whenever that cannot be had: a report tool that
 * fails, one that is not there, or a log= the user chose. The exit status is the program's
 * verdict either way; preloaded directly, the texts stay the detector's own.
 */
#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* Runs `taskleak run [cli...] -- thr_leak_pool` with the pieces from build_dir (NULL: this
 * build), the script itself from build_dir/scripts there (it looks beside itself too). */
static void run_pool(struct th_run *r, const char *build_dir, const char *const *cli)
{
    static char script[1024], prog[1024], bdir[1100], pre[600];
    snprintf(script, sizeof script, "%s/scripts/taskleak", build_dir ? build_dir : TH_SRC_DIR);
    snprintf(prog, sizeof prog, "%s/tests/scenarios/thr_leak_pool", TH_BUILD_DIR);
    const char *argv[16] = {script, "run", "--grace", "100ms"};
    int n = 4;
    for (const char *const *a = cli; a && *a && n < 12; a++)
        argv[n++] = *a;
    argv[n++] = "--";
    argv[n++] = prog;
    argv[n] = NULL;
    snprintf(bdir, sizeof bdir, "TASKLEAK_BUILD_DIR=%s", build_dir ? build_dir : TH_BUILD_DIR);
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", th_sanitizer_preload());
    const char *env[] = {bdir, th_sanitizer_preload()[0] ? pre : NULL, NULL};
    struct th_opts o = {
        .prog = "/bin/sh", .argv = argv, .no_preload = true, .env = env, .timeout_s = 120};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "hung; stderr:\n%s", r->err);
    ck_assert_msg(r->status == 76, "status %d; stderr:\n%s", r->status, r->err);
}

/* A build directory with this build's detector and supervisor and, as the report tool, the
 * given shell script (NULL: none at all). */
static void fake_build(char *dir, const char *tool)
{
    char path[512], target[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/lib", dir);
    snprintf(target, sizeof target, "%s/lib", TH_BUILD_DIR);
    ck_assert_int_eq(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/libexec", dir);
    snprintf(target, sizeof target, "%s/libexec", TH_BUILD_DIR);
    ck_assert_int_eq(symlink(target, path), 0);
    snprintf(path, sizeof path, "%s/scripts", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/scripts/taskleak", dir);
    snprintf(target, sizeof target, "%s/scripts/taskleak", TH_SRC_DIR);
    ck_assert_int_eq(symlink(target, path), 0);
    if (tool == NULL)
        return;
    snprintf(path, sizeof path, "%s/bin", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/bin/taskleak-report", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s\n", tool);
    fclose(f);
    ck_assert_int_eq(chmod(path, 0755), 0);
}

static void remove_fake(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Times NEEDLE occurs in S. */
static int times(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* One text per report: the rendered one, not the detector's name-only text as well (both open
 * with the same first line and close with the same SUMMARY line; only the frames differ). */
static void rendered_once(const struct th_run *r, const char *first, const char *name_only)
{
    ck_assert_msg(times(r->err, first) == 1 &&
                      times(r->err, " report: ") == times(r->err, "SUMMARY: "),
                  "stderr:\n%s", r->err);
    ck_assert_msg(!th_contains(r->err, name_only), "stderr:\n%s", r->err);
}

/* The same for a watchdog, which may speak more than once (a second group crossing the threshold
 * a look later, on a loaded machine): every report rendered once, none as name-only text too. */
static void each_rendered_once(const struct th_run *r, const char *first, const char *name_only)
{
    ck_assert_msg(times(r->err, first) >= 1 &&
                      times(r->err, " report: ") == times(r->err, "SUMMARY: "),
                  "stderr:\n%s", r->err);
    ck_assert_msg(!th_contains(r->err, name_only), "stderr:\n%s", r->err);
}

/* The in-process text: name-only frames under its "exit report" headline. */
static void is_in_process_text(const struct th_run *r)
{
    ck_assert_msg(th_contains(r->err, "taskleak: exit report: 4 leaked"), "stderr:\n%s", r->err);
    ck_assert_msg(th_contains(r->err, "    #1  pool_worker (thr_leak_pool+0x"), "stderr:\n%s",
                  r->err);
    ck_assert_msg(!th_contains(r->err, "thr_leak_pool.c:"), "stderr:\n%s", r->err);
}

START_TEST(the_exit_report_is_rendered_with_file_and_line)
{
    struct th_run r;
    run_pool(&r, NULL, NULL);
    ck_assert_msg(th_contains(r.err, "\n4 threads [cond wait, "), "stderr:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "    #1  tests/scenarios/thr_leak_pool.c:") &&
                      th_contains(r.err, ": pool_worker\n"),
                  "stderr:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, ": main\n") || th_contains(r.err, ": pool_start\n"),
                  "stderr:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "  to silence: suppressions line 'leak:pool_worker'\n"),
                  "stderr:\n%s", r.err);
    /* one report, not the detector's and the tool's one after the other */
    rendered_once(&r, "taskleak: exit report: 4 leaked", "pool_worker (thr_leak_pool+0x");
    const char *first = strstr(r.err, "SUMMARY: taskleak:");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_null(strstr(first + 1, "SUMMARY: taskleak:"));
    th_run_free(&r);
}
END_TEST

START_TEST(a_report_tool_that_fails_leaves_the_detectors_own_text)
{
    char dir[] = "/tmp/tl_runtext.XXXXXX";
    fake_build(dir, "echo 'taskleak-report: broken' >&2; exit 2");
    struct th_run r;
    run_pool(&r, dir, NULL);
    is_in_process_text(&r);
    th_run_free(&r);
    remove_fake(dir);
}
END_TEST

START_TEST(without_a_report_tool_the_detector_prints_as_it_runs)
{
    char dir[] = "/tmp/tl_runtext.XXXXXX";
    fake_build(dir, NULL);
    struct th_run r;
    run_pool(&r, dir, NULL);
    is_in_process_text(&r);
    th_run_free(&r);
    remove_fake(dir);
}
END_TEST

START_TEST(a_log_file_the_user_chose_gets_the_text)
{
    char dir[] = "/tmp/tl_runtext.XXXXXX", log[600], opt[700];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(log, sizeof log, "%s/log", dir);
    snprintf(opt, sizeof opt, "log=%s", log);
    const char *cli[] = {"--options", opt, NULL};
    struct th_run r;
    run_pool(&r, NULL, cli);
    ck_assert_msg(!th_contains(r.err, "SUMMARY: taskleak:"), "stderr:\n%s", r.err);
    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    ck_assert_msg(strstr(buf, "taskleak: exit report: 4 leaked"), "log:\n%s", buf);
    th_run_free(&r);
    remove_fake(dir);
}
END_TEST

/* Runs `taskleak ARGS...` from the source tree as a user's shell would (no preload of ours, the
 * build directory known); "%P" in ARGS stands for the build's scenario program SCENARIO. */
static void run_taskleak(struct th_run *r, const char *scenario, const char *const *args)
{
    static char script[1024], prog[1024], bdir[1100], pre[600];
    const char *argv[16];
    size_t n = 0;
    snprintf(script, sizeof script, "%s/scripts/taskleak", TH_SRC_DIR);
    snprintf(prog, sizeof prog, "%s/tests/scenarios/%s", TH_BUILD_DIR, scenario);
    argv[n++] = script;
    for (; *args != NULL && n < 15; args++)
        argv[n++] = strcmp(*args, "%P") == 0 ? prog : *args;
    argv[n] = NULL;
    snprintf(bdir, sizeof bdir, "TASKLEAK_BUILD_DIR=%s", TH_BUILD_DIR);
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", th_sanitizer_preload());
    const char *env[] = {bdir, th_sanitizer_preload()[0] ? pre : NULL, NULL};
    struct th_opts o = {
        .prog = "/bin/sh", .argv = argv, .no_preload = true, .env = env, .timeout_s = 120};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s timed out; stderr:\n%s", scenario, r->err);
}

/* A program the watchdog ends because all its threads are asleep: its deadlock report is its last
 * word, rendered the same way, Go's line first. */
START_TEST(a_deadlock_that_ends_the_program_is_rendered_with_file_and_line)
{
    const char *args[] = {"run", "--threshold", "1s",   "--options", "interval=200ms",
                          "--",  "%P",          "main", NULL};
    struct th_run r;
    run_taskleak(&r, "dl_shutdown_join", args);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.err, "taskleak: all threads are asleep - deadlock!\n"),
                  "stderr:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "tests/scenarios/dl_shutdown_join.c:"), "stderr:\n%s", r.err);
    rendered_once(&r, "taskleak: deadlock report:", "wait_for_stop (dl_shutdown_join+0x");
    th_run_free(&r);
}
END_TEST

/* A forked child inherits the options: its leak is rendered too, never dropped. */
START_TEST(a_forked_childs_report_is_rendered_too)
{
    const char *args[] = {"run", "--grace", "100ms", "--", "%P", NULL};
    struct th_run r;
    run_taskleak(&r, "thr_fork_child", args);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.err, "\n1 thread [cond wait, ") &&
                      th_contains(r.err, "    #1  tests/scenarios/thr_fork_child.c:") &&
                      th_contains(r.err, ": child_waiter\n"),
                  "stderr:\n%s", r.err);
    rendered_once(&r, "taskleak: exit report:", "child_waiter (thr_fork_child+0x");
    th_run_free(&r);
}
END_TEST

/* A hung program ended by SIGTERM (a CI timeout): its signal report is its last word. */
START_TEST(a_program_killed_by_a_signal_gets_its_report_rendered_with_file_and_line)
{
    const char *args[] = {"run", "--", "%P", "term", NULL};
    struct th_run r;
    run_taskleak(&r, "sig_killed", args);
    ck_assert_msg(r.status == 128 + SIGTERM, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.err, "tests/scenarios/sig_killed.c:") &&
                      th_contains(r.err, ": stuck_worker"),
                  "stderr:\n%s", r.err);
    rendered_once(&r, "taskleak: signal report:", "stuck_worker (sig_killed+0x"); /* one text */
    th_run_free(&r);
}
END_TEST

/* A thread stuck on a mutex past the threshold while the program runs: the watchdog's report is
 * shown as it comes, rendered by the report tool with file:line (not the detector's name-only
 * text), once, and the program's exit status and output are its own. */
START_TEST(a_watchdog_report_under_run_is_rendered_with_file_and_line)
{
    const char *args[] = {"run", "--threshold", "1s", "--options", "interval=100ms",
                          "--",  "%P",          NULL};
    struct th_run r;
    run_taskleak(&r, "wd_mutex_hold", args);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.out, "done\n"), "stdout:\n%s", r.out);
    ck_assert_msg(th_contains(r.err, "taskleak: watchdog report: 0 leaked, 0 deadlocked, "),
                  "stderr:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "  waits for mutex lock (wd_mutex_hold+0x") &&
                      th_contains(r.err, "    #1  tests/scenarios/wd_mutex_hold.c:") &&
                      th_contains(r.err, ": wait_for_lock\n"),
                  "stderr:\n%s", r.err);
    each_rendered_once(&r, "taskleak: watchdog report:", "wait_for_lock (wd_mutex_hold+0x");
    ck_assert_msg(!th_contains(r.err, "taskleak: watchdog: "), "stderr:\n%s", r.err);
    th_run_free(&r);
}
END_TEST

/* The same program preloaded directly: the watchdog's text is the detector's own, name-only. */
START_TEST(a_watchdog_report_without_run_stays_name_only)
{
    struct th_run r;
    ck_assert_int_eq(th_run_simple(&r, "wd_mutex_hold", "threshold=1s:interval=100ms"), 0);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.err, "taskleak: watchdog: ") &&
                      th_contains(r.err, "wait_for_lock (wd_mutex_hold+0x"),
                  "stderr:\n%s", r.err);
    ck_assert_msg(!th_contains(r.err, "wd_mutex_hold.c:"), "stderr:\n%s", r.err);
    th_run_free(&r);
}
END_TEST

/* A dump the program asks for while it runs (the dump signal) is rendered as it comes too. */
START_TEST(a_dump_under_run_is_rendered_with_file_and_line)
{
    const char *args[] = {"run", "--", "%P", NULL};
    struct th_run r;
    run_taskleak(&r, "wd_dump_many", args);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.out, "dump seen\n"), "stdout:\n%s", r.out);
    ck_assert_msg(th_contains(r.err, "\n1000 threads [cond wait, ") &&
                      th_contains(r.err, "    #1  tests/scenarios/wd_dump_many.c:") &&
                      th_contains(r.err, ": wait_for_go\n"),
                  "stderr:\n%.3000s", r.err);
    rendered_once(&r, "taskleak: dump report:", "wait_for_go (wd_dump_many+0x");
    th_run_free(&r);
}
END_TEST

/* Files of DIR whose names start with "live.". */
static int live_files(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strncmp(e->d_name, "live.", 5) == 0;
    closedir(d);
    return n;
}

/* defer_text set by hand, without taskleak run's supervisor (defer_live): the watchdog's text
 * stays on the log and no live pair is left for nobody to print; with defer_live=1 the pair is
 * left and the log stays quiet, as under taskleak run. */
static void watchdog_with_defer(bool live)
{
    char dir[] = "/tmp/tl_defer.XXXXXX", opts[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(opts, sizeof opts, "threshold=1s:interval=100ms:defer_text=%s%s", dir,
             live ? ":defer_live=1" : "");
    struct th_run r;
    ck_assert_int_eq(th_run_simple(&r, "wd_mutex_hold", opts), 0);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.err, "taskleak: watchdog: ") == !live, "stderr:\n%s", r.err);
    int n = live_files(dir);
    ck_assert_msg(live ? n >= 2 : n == 0, "%d live files in %s", n, dir);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    th_run_free(&r);
}

START_TEST(defer_text_by_hand_leaves_no_live_files_nobody_prints)
{
    watchdog_with_defer(false);
    watchdog_with_defer(true);
}
END_TEST

Suite *make_run_text_suite(void)
{
    Suite *s = suite_create("run_text");
    TCase *tc = tcase_create("run");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, the_exit_report_is_rendered_with_file_and_line);
    tcase_add_test(tc, a_report_tool_that_fails_leaves_the_detectors_own_text);
    tcase_add_test(tc, without_a_report_tool_the_detector_prints_as_it_runs);
    tcase_add_test(tc, a_log_file_the_user_chose_gets_the_text);
    tcase_add_test(tc, a_deadlock_that_ends_the_program_is_rendered_with_file_and_line);
    tcase_add_test(tc, a_forked_childs_report_is_rendered_too);
    tcase_add_test(tc, a_program_killed_by_a_signal_gets_its_report_rendered_with_file_and_line);
    tcase_add_test(tc, a_watchdog_report_under_run_is_rendered_with_file_and_line);
    tcase_add_test(tc, a_watchdog_report_without_run_stays_name_only);
    tcase_add_test(tc, a_dump_under_run_is_rendered_with_file_and_line);
    tcase_add_test(tc, defer_text_by_hand_leaves_no_live_files_nobody_prints);
    suite_add_tcase(s, tc);
    return s;
}
