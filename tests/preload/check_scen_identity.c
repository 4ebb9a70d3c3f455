/*
 * Identity and places (issue 14): relative report= and log= name directories under the one the
 * program started in, even when it chdirs before exiting, and `taskleak dump` looks there too;
 * process.exe and argv are the program as started, even when it rewrites its title. Runs
 * tests/scenarios/thr_identity.c, which leaves one thread unjoined so every run has a finding.
 * These are the reliability matrix's hostile cases 59 (a program chdirs, then exits, with relative
 * report=/log=) and 60 (a program rewrites its argv or title).
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

static char base[64];

/* A fresh directory with start/ and elsewhere/ inside; base holds its path. */
static void make_dirs(void)
{
    char p[128];
    snprintf(base, sizeof base, "/tmp/tl_cwd.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(p, sizeof p, "%s/start", base);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/elsewhere", base);
    ck_assert_int_eq(mkdir(p, 0700), 0);
}

static void remove_dirs(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    ck_assert_int_eq(system(cmd), 0);
}

static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

static char *slurp(const char *path)
{
    static char buf[65536];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n > 0 ? buf : NULL;
}

START_TEST(a_program_that_chdirs_before_exit_reports_where_it_started)
{
    make_dirs();
    char script[1024], path[256];
    snprintf(script, sizeof script,
             "cd '%s/start' && TASKLEAK_OPTIONS='report=reports:log=tl.%%p.log:grace=300ms' "
             "exec '%s/tests/scenarios/thr_identity' chdir ../elsewhere",
             base, TH_BUILD_DIR);
    const char *argv[] = {"-c", script, NULL};
    struct th_opts o = {.prog = "/bin/sh", .argv = argv};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(r.status == 76, "status %d: %s", r.status, r.err);
    snprintf(path, sizeof path, "%s/start/reports/taskleak.%d.exit.json", base, r.pid);
    json_t *rep = json_load_file(path, 0, NULL);
    ck_assert_msg(rep != NULL, "no report at %s; stderr: %s", path, r.err);
    ck_assert_int_eq(th_summary(rep, "unjoined"), 1);
    const char *dir = th_str(json_object_get(rep, "options"), "report");
    ck_assert_msg(dir && !strncmp(dir, base, strlen(base)), "report option %s", dir);
    snprintf(path, sizeof path, "%s/start/tl.%d.log", base, r.pid);
    const char *log = slurp(path);
    ck_assert_msg(log && th_contains(log, "1 thread unjoined"), "log %s: %s", path, log);
    snprintf(path, sizeof path, "%s/elsewhere", base);
    ck_assert_int_eq(entries(path), 0); /* nothing where it went */
    json_decref(rep);
    th_run_free(&r);
    remove_dirs();
}
END_TEST

/* Runs thr_identity MODE under the detector: it fails with 76 (its unjoined worker); its exit
 * report. */
static json_t *run_identity(struct th_run *r, const char *mode)
{
    const char *argv[] = {mode, NULL};
    struct th_opts o = {.prog = "thr_identity", .argv = argv, .options = "grace=300ms"};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(r->status == 76, "%s: status %d: %s", mode, r->status, r->err);
    json_t *rep = th_report(r, "exit", r->pid);
    ck_assert_ptr_nonnull(rep);
    return rep;
}

START_TEST(a_program_that_rewrites_its_title_is_named_as_it_started)
{
    struct th_run r;
    json_t *rep = run_identity(&r, "title");
    json_t *proc = json_object_get(rep, "process"), *av = json_object_get(proc, "argv");
    ck_assert_int_eq(json_array_size(av), 2);
    const char *a0 = json_string_value(json_array_get(av, 0)), *exe = th_str(proc, "exe");
    ck_assert_msg(a0 && th_contains(a0, "tests/scenarios/thr_identity"), "argv[0] %s", a0);
    ck_assert_str_eq(json_string_value(json_array_get(av, 1)), "title");
    ck_assert_msg(exe && th_contains(exe, "/tests/scenarios/thr_identity"), "exe %s", exe);
    char *text = json_dumps(proc, 0);
    ck_assert(!th_contains(text, "rewritten-title"));
    free(text);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_exit_report_names_the_owner_of_a_lock_the_exiting_thread_holds)
{
    struct th_run r;
    json_t *rep = run_identity(&r, "owner");
    json_t *w = th_unit_by_verdict(rep, "leaked"); /* the waiter; the worker is unjoined */
    ck_assert_ptr_nonnull(w);
    json_t *wait = json_object_get(w, "wait");
    ck_assert_str_eq(th_str(wait, "reason"), "mutex lock");
    ck_assert_str_eq(th_str(wait, "owner"), "thread:1");
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* Starts thr_identity wait in start/ with report=reports, waits for "ready"; *in is its stdin. */
static pid_t start_waiting(int *in)
{
    int to[2], from[2];
    ck_assert_int_eq(pipe(to), 0);
    ck_assert_int_eq(pipe(from), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char start[128], prog[1024];
        snprintf(start, sizeof start, "%s/start", base);
        snprintf(prog, sizeof prog, "%s/tests/scenarios/thr_identity", TH_BUILD_DIR);
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[1]);
        close(from[0]);
        if (chdir(start) != 0) /* as a shell starts it: PWD names the directory */
            _exit(127);
        setenv("PWD", start, 1);
        setenv("TASKLEAK_OPTIONS", "report=reports:grace=100ms", 1);
        setenv("LD_PRELOAD", th_path("lib/libtaskleak.so"), 1);
        execl(prog, prog, "wait", "../elsewhere", (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    char buf[16] = "";
    ck_assert_int_gt(read(from[0], buf, sizeof buf - 1), 0);
    ck_assert_msg(!strncmp(buf, "ready", 5), "%s", buf);
    close(from[0]);
    *in = to[1];
    return pid;
}

START_TEST(taskleak_dump_looks_for_the_report_where_the_program_started)
{
    if (TH_SANITIZE) /* the instrumented detector needs its runtime first in LD_PRELOAD */
        return;
    make_dirs();
    int in;
    pid_t pid = start_waiting(&in);
    char script[1024], pidtxt[32], want[256];
    snprintf(script, sizeof script, "%s/scripts/taskleak", TH_SRC_DIR);
    snprintf(pidtxt, sizeof pidtxt, "%d", (int)pid);
    const char *argv[] = {script, "dump", pidtxt, NULL};
    struct th_opts o = {.prog = "/bin/sh", .argv = argv, .no_preload = true, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    close(in);
    int st;
    waitpid(pid, &st, 0);
    snprintf(want, sizeof want, "%s/start/reports/taskleak.%d.dump-1.json", base, (int)pid);
    ck_assert_msg(r.status == 0 && th_contains(r.out, want), "status %d out %s err %s", r.status,
                  r.out, r.err);
    json_t *d = json_load_file(want, 0, NULL);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(th_str(d, "kind"), "dump");
    json_decref(d);
    th_run_free(&r);
    remove_dirs();
}
END_TEST

Suite *make_scen_identity_suite(void)
{
    Suite *s = suite_create("scen_identity");
    TCase *t = tcase_create("identity");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, a_program_that_chdirs_before_exit_reports_where_it_started);
    tcase_add_test(t, a_program_that_rewrites_its_title_is_named_as_it_started);
    tcase_add_test(t, the_exit_report_names_the_owner_of_a_lock_the_exiting_thread_holds);
    tcase_add_test(t, taskleak_dump_looks_for_the_report_where_the_program_started);
    suite_add_tcase(s, t);
    return s;
}
