/*
 * taskleak in long-running services (issue 18), seen from outside: a service that leaks one task
 * per request is reported "growing" while it runs (watchdog report, log, and the exit report),
 * with metrics that show the climb and pass `promtool check metrics`; its healthy bursty twin is
 * not; a bad metrics= path costs one line and nothing else; a kill at any moment leaves a whole
 * metrics file (hostile case 65).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../report/tlr_test.h"
#include "harness.h"

#define SVC_OPTS "threshold=60s:interval=50ms:growth=2s:growth_min=200:exitcode=0"

/* A fresh directory for a metrics file (removed by the caller with rm_dir). */
static void temp_dir(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/tl-metrics-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_dir(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* The value of the first taskleak_site_units series whose site names fn, -1 when none. */
static long site_units(const char *text, const char *fn)
{
    char needle[128];
    snprintf(needle, sizeof needle, " %s\",", fn);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        if (strncmp(l, "taskleak_site_units{", 20) != 0)
            continue;
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), l);
        if (strstr(line, needle) != NULL)
            return atol(strrchr(line, ' ') + 1);
    }
    return -1;
}

static int promtool_check(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' >&2", path);
    return system(cmd);
}

static json_t *growing_group(json_t *rep)
{
    return th_group(rep, "growing", NULL);
}

START_TEST(a_service_leaking_a_task_per_request_is_reported_growing_and_its_metrics_climb)
{
    char dir[64], opts[256], metrics[128];
    temp_dir(dir, sizeof dir);
    snprintf(metrics, sizeof metrics, "%s/svc.prom", dir);
    snprintf(opts, sizeof opts, "%s:metrics=%s", SVC_OPTS, metrics);
    const char *argv[] = {"leak", metrics, NULL};
    struct th_opts o = {.prog = "gor_svc_growth", .argv = argv, .options = opts, .timeout_s = 90};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(r.status == 0, "status %d (2: never reported growing); stderr:\n%s", r.status,
                  r.err);
    /* While it ran: the watchdog report and the log. */
    json_t *seen = th_report(&r, "growing-seen", r.pid);
    ck_assert_ptr_nonnull(seen);
    json_t *g = growing_group(seen);
    ck_assert_ptr_nonnull(g);
    ck_assert_str_eq(th_str(g, "kind"), "task");
    ck_assert(th_stack_has(seen, json_object_get(g, "created_stack"), "serve_leaky"));
    json_t *growth = json_object_get(g, "growth");
    ck_assert_ptr_nonnull(growth);
    json_int_t now = json_integer_value(json_object_get(growth, "count"));
    json_int_t before = json_integer_value(json_object_get(growth, "count_before"));
    ck_assert_int_ge(now - before, 200);
    ck_assert_int_ge(json_integer_value(json_object_get(growth, "window_ms")), 1500);
    ck_assert(json_number_value(json_object_get(growth, "rate_per_s")) > 0);
    ck_assert_int_eq((int)strlen(th_str(growth, "site")), 16);
    ck_assert_msg(th_contains(r.err, "growing"), "no growing line on the log:\n%s", r.err);
    json_decref(seen);
    /* At exit: still there. */
    json_t *ex = th_report(&r, "exit", r.pid);
    ck_assert_ptr_nonnull(ex);
    ck_assert_ptr_nonnull(growing_group(ex));
    json_decref(ex);
    /* The metrics: the climb, and a file promtool accepts. */
    char early[160], late[160];
    snprintf(early, sizeof early, "%s.early", metrics);
    snprintf(late, sizeof late, "%s.late", metrics);
    char *e = slurp(early), *l = slurp(late);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(l);
    long ne = site_units(e, "handle_leaky"), nl = site_units(l, "handle_leaky");
    ck_assert_msg(ne >= 0 && nl > ne + 200, "no climb: %ld then %ld\n%s", ne, nl, l);
    ck_assert(strstr(l, "growing=\"1\"") != NULL);
    ck_assert_int_eq(promtool_check(late), 0);
    ck_assert_int_eq(promtool_check(metrics), 0);
    free(e);
    free(l);
    /* The report tool loads and renders it. */
    const char *json_args[] = {"--format", "json", r.dir, NULL}, *text_args[] = {r.dir, NULL};
    struct tlr_cli_run js = tlr_run(json_args), tx = tlr_run(text_args);
    ck_assert_msg(strstr(js.out, "\"growth\"") && strstr(js.out, "\"rate_per_s\""), "%s", js.out);
    ck_assert_msg(strstr(tx.out, "  growing: ") && strstr(tx.out, "/s), site "), "%s", tx.out);
    tlr_run_free(&js);
    tlr_run_free(&tx);
    th_run_free(&r);
    rm_dir(dir);
}
END_TEST

START_TEST(its_healthy_bursty_twin_is_never_reported_growing)
{
    char dir[64], opts[256];
    temp_dir(dir, sizeof dir);
    snprintf(opts, sizeof opts, "%s:fail_on=growing:exitcode=76:metrics=%s/b.prom", SVC_OPTS, dir);
    const char *argv[] = {"bursty", "6", NULL};
    struct th_opts o = {.prog = "gor_svc_growth", .argv = argv, .options = opts, .timeout_s = 90};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_msg(!th_contains(r.err, "growing"), "reported:\n%s", r.err);
    json_t *ex = th_report(&r, "exit", r.pid);
    ck_assert_ptr_nonnull(ex);
    ck_assert_ptr_null(growing_group(ex));
    json_decref(ex);
    char path[128];
    snprintf(path, sizeof path, "%s/b.prom", dir);
    ck_assert_int_eq(promtool_check(path), 0);
    th_run_free(&r);
    rm_dir(dir);
}
END_TEST

START_TEST(fail_on_growing_fails_the_gate_of_the_leaking_service)
{
    char dir[64], opts[256], metrics[128];
    temp_dir(dir, sizeof dir);
    snprintf(metrics, sizeof metrics, "%s/f.prom", dir);
    snprintf(opts, sizeof opts,
             "threshold=60s:interval=50ms:growth=2s:growth_min=200:fail_on=growing:metrics=%s",
             metrics);
    const char *argv[] = {"leak", metrics, NULL};
    struct th_opts o = {.prog = "gor_svc_growth", .argv = argv, .options = opts, .timeout_s = 90};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    const char *args[] = {r.dir, NULL}; /* the report tool's gate fails on it as the process did */
    struct tlr_cli_run tx = tlr_run(args);
    ck_assert_msg(tx.status == 1 && strstr(tx.out, "growing"), "status %d:\n%s", tx.status, tx.out);
    tlr_run_free(&tx);
    th_run_free(&r);
    rm_dir(dir);
}
END_TEST

START_TEST(a_bad_metrics_path_costs_one_line_and_the_program_runs_on)
{
    struct th_run r;
    ck_assert_int_eq(
        th_run_simple(&r, "gor_svc_growth", "metrics=/proc/self/no/such/dir/m.prom:exitcode=0"), 0);
    ck_assert_int_eq(r.status, 0);
    int lines = 0;
    for (const char *p = r.err; (p = strstr(p, "metrics=")) != NULL; p++)
        lines++;
    ck_assert_msg(lines == 1, "%d lines about metrics:\n%s", lines, r.err);
    ck_assert(th_contains(r.err, "/proc/self/no/such/dir/m.prom"));
    th_run_free(&r);
}
END_TEST

START_TEST(a_metrics_symlink_is_replaced_never_followed)
{
    char dir[64], opts[256], link[128], target[128];
    temp_dir(dir, sizeof dir);
    snprintf(link, sizeof link, "%s/l.prom", dir);
    snprintf(target, sizeof target, "%s/victim", dir);
    FILE *f = fopen(target, "w");
    ck_assert_ptr_nonnull(f);
    fputs("precious\n", f);
    fclose(f);
    ck_assert_int_eq(symlink(target, link), 0);
    snprintf(opts, sizeof opts, "interval=50ms:exitcode=0:metrics=%s", link);
    const char *argv[] = {"bursty", "1", NULL};
    struct th_opts o = {.prog = "gor_svc_growth", .argv = argv, .options = opts, .timeout_s = 60};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_int_eq(r.status, 0);
    char *v = slurp(target);
    ck_assert_str_eq(v, "precious\n");
    free(v);
    struct stat st;
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(promtool_check(link), 0);
    th_run_free(&r);
    rm_dir(dir);
}
END_TEST

/* SIGKILL at many different moments of a service rewriting its metrics every 10 ms: the file is
 * always a whole one (the last complete write), never torn. */
START_TEST(a_kill_during_a_metrics_write_leaves_the_previous_file_whole)
{
    char dir[64], opts[256], metrics[128];
    temp_dir(dir, sizeof dir);
    snprintf(metrics, sizeof metrics, "%s/k.prom", dir);
    snprintf(opts, sizeof opts, "interval=10ms:threshold=60s:metrics=%s", metrics);
    const char *argv[] = {"bursty", "60", NULL};
    for (int i = 0; i < 8; i++) {
        struct th_opts o = {.prog = "gor_svc_growth", .argv = argv, .options = opts,
                            .timeout_s = 0.4 + 0.037 * i};
        struct th_run r;
        ck_assert_int_eq(th_run(&o, &r), 0);
        ck_assert(r.timed_out);
        char *t = slurp(metrics);
        ck_assert_ptr_nonnull(t);
        size_t n = strlen(t);
        ck_assert_msg(n > 0 && t[n - 1] == '\n' &&
                          strstr(t, "taskleak_watchdog_scan_seconds ") != NULL,
                      "torn file after kill %d:\n%s", i, t);
        ck_assert_int_eq(promtool_check(metrics), 0);
        free(t);
        th_run_free(&r);
    }
    rm_dir(dir);
}
END_TEST

/* `taskleak top --once PID` on a running service: its sites by live units and its waits. */
START_TEST(taskleak_top_shows_the_sites_and_waits_of_a_running_process)
{
    char dir[64], env_opts[256], metrics[128], env_pre[1100];
    temp_dir(dir, sizeof dir);
    snprintf(metrics, sizeof metrics, "%s/t.prom", dir);
    snprintf(env_opts, sizeof env_opts, "TASKLEAK_OPTIONS=interval=50ms:exitcode=0:metrics=%s",
             metrics);
    const char *san = th_sanitizer_preload(); /* an ASan-built detector needs ASan first */
    snprintf(env_pre, sizeof env_pre, "LD_PRELOAD=%s%s%s", san, san[0] ? ":" : "",
             th_path("lib/libtaskleak.so"));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char *envp[] = {env_opts, env_pre, NULL};
        static char a0[] = "gor_svc_growth", a1[] = "bursty", a2[] = "60";
        char *argv[] = {a0, a1, a2, NULL};
        execve(th_path("tests/scenarios/gor_svc_growth"), argv, envp);
        _exit(127);
    }
    char *t = NULL; /* handshake: the service's metrics name its bursts' handler */
    for (int i = 0; i < 600 && (t == NULL || site_units(t, "main_task") < 0); i++) {
        free(t);
        usleep(50000);
        t = slurp(metrics);
    }
    free(t);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "sh %s/scripts/taskleak top --once %d", TH_SRC_DIR, (int)pid);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ck_assert_msg(st == 0, "top failed:\n%s", out);
    char head[64];
    snprintf(head, sizeof head, "taskleak top: pid %d:", (int)pid);
    ck_assert_msg(strstr(out, head) && strstr(out, " main_task\n") && strstr(out, "OLDEST") &&
                      strstr(out, "  join\n"),
                  "top printed:\n%s", out);
    rm_dir(dir);
}
END_TEST

Suite *make_scen_services_suite(void)
{
    Suite *s = suite_create("scen_services");
    TCase *tc = tcase_create("growing");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, a_service_leaking_a_task_per_request_is_reported_growing_and_its_metrics_climb);
    tcase_add_test(tc, its_healthy_bursty_twin_is_never_reported_growing);
    tcase_add_test(tc, fail_on_growing_fails_the_gate_of_the_leaking_service);
    suite_add_tcase(s, tc);
    TCase *m = tcase_create("metrics");
    tcase_set_timeout(m, 120);
    tcase_add_test(m, a_bad_metrics_path_costs_one_line_and_the_program_runs_on);
    tcase_add_test(m, a_metrics_symlink_is_replaced_never_followed);
    tcase_add_test(m, a_kill_during_a_metrics_write_leaves_the_previous_file_whole);
    tcase_add_test(m, taskleak_top_shows_the_sites_and_waits_of_a_running_process);
    suite_add_tcase(s, m);
    return s;
}
