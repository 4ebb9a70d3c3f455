/*
 * The `taskleak` command (scripts/taskleak): usage errors, the supervisor's refusals and its
 * fail-closed rule (a detector that did not load vs a report it could not write), dump argument checks, and an installed tree that finds its own pieces.
 */
#include <check.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* Runs scripts/taskleak with args, taking the pieces from build_dir (NULL: this build). */
static int run_cli_from(struct th_run *r, const char *const *args, const char *build_dir)
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
    snprintf(bdir, sizeof bdir, "TASKLEAK_BUILD_DIR=%s", build_dir ? build_dir : TH_BUILD_DIR);
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", th_sanitizer_preload());
    const char *env[] = {bdir, th_sanitizer_preload()[0] ? pre : NULL, NULL};
    o.env = env;
    return th_run(&o, r);
}

static int run_cli(struct th_run *r, const char *const *args)
{
    return run_cli_from(r, args, NULL);
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
    ck_assert(th_contains(r.err, "the detector did not load"));
    ck_assert(th_contains(r.err, "nothing was checked"));
    ck_assert(!th_contains(r.err, "the detector ran"));
    ck_assert(th_contains(r.out, "leaving without exit handlers"));
    th_run_free(&r);
}
END_TEST

/* The report directory is a regular file: the detector runs, cannot write its report there, and
 * its verdict stands (76 for a leak, the program's 0 when clean); nothing says it did not load. */
START_TEST(run_tells_a_report_it_could_not_write_from_a_detector_that_did_not_load)
{
    char dir[] = "/tmp/cli-notdir-XXXXXX", file[64], prog[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/file", dir);
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    static const char *const progs[] = {"thr_leak_pool", "clean_exit"};
    static const int want[] = {76, 0};
    for (int i = 0; i < 2; i++) {
        snprintf(prog, sizeof prog, "%s", th_path(i == 0 ? "tests/scenarios/thr_leak_pool"
                                                          : "tests/scenarios/clean_exit"));
        const char *args[] = {"run", "--grace", "200ms", "--report", file, "--", prog, NULL};
        struct th_run r;
        ck_assert_int_eq(run_cli(&r, args), 0);
        ck_assert_msg(r.status == want[i], "%s: status %d, stderr: %s", progs[i], r.status, r.err);
        ck_assert_msg(th_contains(r.err, "cannot write report") &&
                          th_contains(r.err, "the detector ran in") &&
                          th_contains(r.err, "could not write its report into"),
                      "%s: stderr: %s", progs[i], r.err);
        ck_assert(!th_contains(r.err, "did not load") && !th_contains(r.err, "nothing was checked"));
        th_run_free(&r);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* LD_PRELOAD splits at ':': a detector under such a path would silently not load. */
START_TEST(run_refuses_a_detector_path_with_a_colon_and_fails_closed)
{
    char dir[] = "/tmp/cli-colon-XXXXXX", bdir[128], cmd[2600];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(bdir, sizeof bdir, "%s/a:b", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/lib' && cp '%s' '%s/lib/'", bdir,
             th_path("lib/libtaskleak.so"), bdir);
    ck_assert_int_eq(system(cmd), 0);
    const char *args[] = {"run", "--", "/bin/echo", "ran", NULL};
    struct th_run r;
    ck_assert_int_eq(run_cli_from(&r, args, bdir), 0);
    ck_assert_msg(r.status == 125, "status %d, stderr: %s", r.status, r.err);
    ck_assert(th_contains(r.err, "contains ':'"));
    ck_assert_str_eq(r.out, "");
    th_run_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
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

    const char *forged[] = {"dump", "1\nSUMMARY: taskleak: 0 leaked\x1b", NULL};
    ck_assert_int_eq(run_cli(&r, forged), 0); /* quoted escaped: still one line */
    ck_assert_int_eq(r.status, 125);
    ck_assert_msg(th_contains(r.err, "'1\\nSUMMARY: taskleak: 0 leaked\\x1b' is not a process id\n"),
                  "stderr: %s", r.err);
    ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
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
                          "usr/bin/taskleak-report", "usr/share/man/man1/taskleak-report.1",
                          "usr/bin/taskleak-attach", "usr/share/man/man1/taskleak-attach.1"};
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
    /* ...and finds the installed taskleak-attach. */
    snprintf(cmd, sizeof cmd,
             "cd / && env -u TASKLEAK_BUILD_DIR %s/usr/bin/taskleak attach --help | "
             "grep -q 'usage: taskleak attach'",
             dest);
    ck_assert_msg(system(cmd) == 0, "installed taskleak attach did not run");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dest);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* sh -c 'timeout SECONDS taskleak run -- sig_killed hang' with TMPDIR=DIR (run makes its own
 * report directory there). */
static void run_timed(struct th_run *r, const char *dir, const char *seconds)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "TMPDIR=%s TASKLEAK_BUILD_DIR=%s exec timeout %s sh %s/scripts/taskleak "
             "run --options threshold=60s -- %s hang",
             dir, TH_BUILD_DIR, seconds, TH_SRC_DIR, th_path("tests/scenarios/sig_killed"));
    const char *argv[] = {"-c", cmd, NULL};
    static char pre[600];
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", th_sanitizer_preload());
    const char *env[] = {th_sanitizer_preload()[0] ? pre : NULL, NULL};
    struct th_opts o = {
        .prog = "/bin/sh", .argv = argv, .no_preload = true, .env = env, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "still running; stderr:\n%s", r->err);
}

/* The one signal report under dir (or dir's only subdirectory), parsed; NULL when none. */
static json_t *signal_report_in(const char *dir)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "ls %s/taskleak.*.signal.json %s/taskleak.*/taskleak.*.signal.json 2>/dev/null", dir,
             dir);
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
    run_timed(&r, dir, "5"); /* no --report: run's own directory is kept */
    ck_assert_msg(r.status == 124, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(th_contains(r.err, "was killed by SIGTERM; its reports:"), "stderr:\n%s", r.err);
    ck_assert(th_contains(r.err, ".signal.json"));
    json_t *rep = signal_report_in(dir);
    ck_assert_msg(rep != NULL, "no signal report left in %s", dir);
    ck_assert_str_eq(th_str(rep, "signal"), "SIGTERM");
    ck_assert(th_unit_blocked_in(rep, "stuck_worker") != NULL);
    json_decref(rep);
    th_run_free(&r);
    remove_dir(dir);
}
END_TEST

/* Reads fd until `want` has appeared in everything read so far (false at EOF or after 30 s). */
static bool wait_for(int fd, char *seen, size_t cap, size_t *len, const char *want)
{
    for (int rounds = 0; rounds < 300 && strstr(seen, want) == NULL; rounds++) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(fd, seen + *len, cap - 1 - *len);
        if (n <= 0)
            return false;
        *len += (size_t)n;
        seen[*len] = '\0';
    }
    return strstr(seen, want) != NULL;
}

/* Everything until EOF (30 s at most). */
static void read_to_end(int fd, char *seen, size_t cap, size_t *len)
{
    wait_for(fd, seen, cap, len, "\001never printed\001");
}

static void exec_run(const char *const *run_args, const char *mode)
{
    static char script[1024], prog[1024];
    snprintf(script, sizeof script, "%s/scripts/taskleak", TH_SRC_DIR);
    snprintf(prog, sizeof prog, "%s", th_path("tests/scenarios/sig_killed"));
    const char *argv[16] = {"sh", script, "run"};
    int n = 3;
    for (const char *const *a = run_args; *a && n < 12; a++)
        argv[n++] = *a;
    argv[n++] = "--";
    argv[n++] = prog;
    argv[n++] = mode;
    argv[n] = NULL;
    setenv("TASKLEAK_BUILD_DIR", TH_BUILD_DIR, 1);
    if (th_sanitizer_preload()[0]) {
        setenv("LD_PRELOAD", th_sanitizer_preload(), 1);
        setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0", 0); /* as the harness does */
    }
    execv("/bin/sh", (char *const *)argv);
    _exit(127);
}

/* `taskleak run --report DIR -- sig_killed MODE`, its output on one pipe; once the program said
 * "ready", sig goes to the supervisor's pid alone. Returns the wait status. */
static int run_and_signal(const char *dir, const char *mode, int sig, char *seen, size_t cap)
{
    int p[2];
    size_t len = 0;
    ck_assert_int_eq(pipe(p), 0);
    const char *run_args[] = {"--report", dir, "--options", "threshold=60s:grace=100ms", NULL};
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        exec_run(run_args, mode);
    }
    close(p[1]);
    seen[0] = '\0';
    ck_assert_msg(wait_for(p[0], seen, cap, &len, "ready"), "output:\n%s", seen);
    kill(pid, sig);
    read_to_end(p[0], seen, cap, &len);
    close(p[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static const struct {
    const char *mode, *name;
    int sig;
} KILLS[] = {{"hang", "SIGTERM", SIGTERM},
             {"hang", "SIGINT", SIGINT},
             {"hang", "SIGHUP", SIGHUP},
             {"hang", "SIGQUIT", SIGQUIT},
             {"group", "SIGTERM", SIGTERM}};

START_TEST(run_forwards_a_signal_to_the_program_and_exits_128_plus_n_listing_its_report)
{
    char dir[] = "/tmp/th-cli-sig.XXXXXX", seen[65536];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core); /* SIGQUIT's core */
    int st = run_and_signal(dir, KILLS[_i].mode, KILLS[_i].sig, seen, sizeof seen);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + KILLS[_i].sig,
                  "%s %s: status 0x%x; output:\n%s", KILLS[_i].mode, KILLS[_i].name, st, seen);
    char line[64];
    snprintf(line, sizeof line, "was killed by %s; its reports:", KILLS[_i].name);
    ck_assert_msg(th_contains(seen, line), "output:\n%s", seen);
    ck_assert(th_contains(seen, ".signal.json"));
    json_t *rep = signal_report_in(dir);
    ck_assert_msg(rep != NULL, "%s: no signal report", KILLS[_i].name);
    ck_assert_str_eq(th_str(rep, "signal"), KILLS[_i].name);
    ck_assert(th_unit_blocked_in(rep, "stuck_worker") != NULL);
    json_decref(rep);
    remove_dir(dir);
}
END_TEST

START_TEST(run_forwards_sigusr1_and_returns_the_program_status)
{
    char dir[] = "/tmp/th-cli-sig.XXXXXX", seen[65536];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    int st = run_and_signal(dir, "group", SIGUSR1, seen, sizeof seen);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 5, "status 0x%x; output:\n%s", st, seen);
    ck_assert(th_contains(seen, "usr1\n"));
    ck_assert(signal_report_in(dir) == NULL);
    remove_dir(dir);
}
END_TEST

START_TEST(ctrl_c_on_the_terminal_reaches_the_program_exactly_once)
{
    char seen[8192] = "";
    size_t len = 0;
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL); /* a session whose foreground group is run's */
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        const char *run_args[] = {"--grace", "100ms", NULL};
        exec_run(run_args, "count_int");
    }
    ck_assert_msg(wait_for(master, seen, sizeof seen, &len, "ready"), "tty:\n%s", seen);
    ck_assert_int_eq(write(master, "\003", 1), 1); /* Ctrl-C: SIGINT to the foreground group */
    ck_assert_msg(wait_for(master, seen, sizeof seen, &len, "int\r\n"), "tty:\n%s", seen);
    kill(pid, SIGUSR1); /* forwarded after a second SIGINT would have been */
    ck_assert_msg(wait_for(master, seen, sizeof seen, &len, "ints "), "tty:\n%s", seen);
    read_to_end(master, seen, sizeof seen, &len);
    int st = 0;
    waitpid(pid, &st, 0);
    close(master);
    ck_assert_msg(strstr(seen, "ints 1") != NULL, "tty:\n%s", seen);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x; tty:\n%s", st, seen);
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
    tcase_add_test(tc, run_tells_a_report_it_could_not_write_from_a_detector_that_did_not_load);
    tcase_add_test(tc, run_refuses_a_detector_path_with_a_colon_and_fails_closed);
    tcase_add_test(tc, dump_rejects_a_bad_pid);
    tcase_add_test(tc, installed_tree_finds_its_pieces);
    suite_add_tcase(s, tc);
    TCase *sig = tcase_create("signals");
    tcase_set_timeout(sig, 120);
    tcase_add_test(sig, timeout_around_run_ends_the_hung_program_and_leaves_its_signal_report);
    tcase_add_loop_test(
        sig, run_forwards_a_signal_to_the_program_and_exits_128_plus_n_listing_its_report, 0, 5);
    tcase_add_test(sig, run_forwards_sigusr1_and_returns_the_program_status);
    tcase_add_test(sig, ctrl_c_on_the_terminal_reaches_the_program_exactly_once);
    suite_add_tcase(s, sig);
    return s;
}
