/*
 * The report tool's formats for other tools: --format pprof read back by Go's own pprof
 * (go tool pprof -raw, -top, -traces), and --format sarif checked structurally against SARIF
 * 2.1.0 (required properties, versions, the $schema URI, rule and result links). No SARIF schema
 * validator is available offline, so the structure is checked property by property here.
 *
 * The reports come from scenario programs run under the detector (demo_pool: 3 threads in cond
 * wait in pool_worker, 1 in a semaphore wait in shutdown_watcher), and one fixture whose units
 * have names. Assertions name functions and files, never addresses or line numbers.
 */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "harness.h"
#include "tlr_test.h"

#define RUN(...)                                                                                   \
    ({                                                                                             \
        const char *a_[] = {__VA_ARGS__, NULL};                                                    \
        tlr_run(a_);                                                                               \
    })

/* Output of `go tool pprof FLAG FILE` (stdout and stderr), with HOME and GOCACHE in a temporary
 * directory so the test touches nothing of the user's. */
static char *go_pprof(const char *flag, const char *file)
{
    char cmd[2048], out[1024];
    const char *home = tlr_tmpdir();
    snprintf(out, sizeof out, "%s/pprof.out", home);
    snprintf(cmd, sizeof cmd, "HOME='%s' GOCACHE='%s/gocache' go tool pprof %s '%s' >'%s' 2>&1",
             home, home, flag, file, out);
    int rc = system(cmd);
    char *s = tlr_slurp(out);
    ck_assert_msg(rc == 0, "go tool pprof %s failed (%d): %s", flag, rc, s);
    return s;
}

static void leaky_pool(struct th_run *pr)
{
    ck_assert_int_eq(th_run_simple(pr, "demo_pool", "grace=200ms"), 0);
    ck_assert_msg(th_count_reports(pr, "exit") >= 1, "no exit report; stderr: %s", pr->err);
}

/* The line of s that contains needle, copied into buf ("" when none). */
static const char *line_with(const char *s, const char *needle, char *buf, size_t len)
{
    const char *p = strstr(s, needle);
    buf[0] = 0;
    if (!p)
        return buf;
    while (p > s && p[-1] != '\n')
        p--;
    size_t n = strcspn(p, "\n");
    snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), p);
    return buf;
}

START_TEST(a_leaky_pool_as_pprof_reads_back_in_go_tool_pprof)
{
    struct th_run pr;
    char file[512], line[512];
    leaky_pool(&pr);
    snprintf(file, sizeof file, "%s/leak.pb.gz", tlr_tmpdir());
    struct tlr_cli_run r = RUN("--format", "pprof", "-o", file, pr.dir);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "");
    char *raw = go_pprof("-raw", file);
    ck_assert_msg(strstr(raw, "units/count"), "%s", raw);
    ck_assert_ptr_nonnull(strstr(raw, " pool_worker tests/scenarios/demo_pool.c:"));
    ck_assert_ptr_nonnull(strstr(raw, " shutdown_watcher tests/scenarios/demo_pool.c:"));
    ck_assert_ptr_nonnull(strstr(raw, " pthread_cond_wait "));
    ck_assert_ptr_nonnull(strstr(raw, " sem_wait "));
    line_with(raw, "reason:[cond wait]", line, sizeof line);
    ck_assert_msg(strstr(line, "verdict:[leaked]") && strstr(line, "kind:[thread]") &&
                      strstr(line, "process:[demo_pool[") && strstr(line, "stack:[blocked]"),
                  "%s", raw);
    ck_assert_msg(strstr(raw, "wait:[") && strstr(raw, "ms]"), "%s", raw);
    ck_assert_msg(strstr(raw, "\n          3: ") && strstr(raw, "\n          1: "), "%s", raw);
    free(raw);
    char *top = go_pprof("-top", file);
    ck_assert_msg(strstr(top, "File: demo_pool\n") && strstr(top, "Type: units\nTime: ") &&
                      strstr(top, "accounting for 4, 100% of 4 total"),
                  "%s", top);
    line_with(top, " pool_worker", line, sizeof line);
    ck_assert_msg(!strncmp(line, "         0     0%   100%          3 75.00%", 41), "%s", top);
    free(top);
    char *traces = go_pprof("-traces", file);
    ck_assert_msg(strstr(traces, "         3   pthread_cond_wait\n             pool_worker\n"),
                  "%s", traces);
    ck_assert_msg(strstr(traces, "         1   sem_wait\n             shutdown_watcher\n"), "%s",
                  traces);
    free(traces);
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

START_TEST(stack_created_shows_where_the_units_were_started)
{
    struct th_run pr;
    char file[512];
    leaky_pool(&pr);
    snprintf(file, sizeof file, "%s/created.pb.gz", tlr_tmpdir());
    struct tlr_cli_run r = RUN("--format=pprof", "--stack=created", "-o", file, pr.dir);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    char *traces = go_pprof("-traces", file);
    ck_assert_msg(strstr(traces, "         3   start_pool\n             main\n"), "%s", traces);
    ck_assert_msg(strstr(traces, "         1   start_watcher\n             main\n"), "%s", traces);
    ck_assert_msg(strstr(traces, "stack:  created") && !strstr(traces, "pool_worker"), "%s",
                  traces);
    free(traces);
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

START_TEST(unit_names_and_suppressions_reach_the_profile)
{
    char file[512], supp[512];
    const char *d = tlr_tmpdir();
    snprintf(file, sizeof file, "%s/fx.pb.gz", d);
    snprintf(supp, sizeof supp, "%s/supp", d);
    FILE *f = fopen(supp, "w");
    fputs("leak:log_pump\n", f);
    fclose(f);
    struct tlr_cli_run r = RUN("--format", "pprof", "--no-symbolize", "--suppressions", supp, "-o",
                               file, tlr_fixture("leak_threads.json"));
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    char *raw = go_pprof("-raw", file);
    ck_assert_msg(strstr(raw, "unit_name:[worker-0 worker-1 worker-2]"), "%s", raw);
    ck_assert_msg(strstr(raw, " worker_main ") && !strstr(raw, "log_pump"), "%s", raw);
    free(raw);
    tlr_run_free(&r);
}
END_TEST

START_TEST(pprof_to_a_pipe_is_gzip_and_bad_usage_is_one_line_and_status_2)
{
    struct tlr_cli_run r =
        RUN("--format", "pprof", "--no-symbolize", tlr_fixture("leak_threads.json"));
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg((unsigned char)r.out[0] == 0x1f && (unsigned char)r.out[1] == 0x8b,
                  "not gzip: %.20s", r.out);
    tlr_run_free(&r);
    r = RUN("--format", "pprof", "--stack", "leaf", tlr_fixture("leak_threads.json"));
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(tlr_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown --stack \"leaf\" (expected blocked or created)"));
    tlr_run_free(&r);
    r = RUN("--format", "pprof", "-o", "/nonexistent-dir/x.pb.gz",
            tlr_fixture("leak_threads.json"));
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(tlr_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent-dir/x.pb.gz: cannot write:"));
    tlr_run_free(&r);
    r = RUN("--format", "protobuf", tlr_fixture("leak_threads.json"));
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "(expected text, json, html, folded, pprof, sarif or taskleak)"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(pprof_to_a_terminal_is_refused)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    ck_assert(s >= 0);
    char err[] = "/tmp/tlr-err.XXXXXX";
    int fe = mkstemp(err);
    char *argv[] = {(char *)"taskleak-report", (char *)"--format", (char *)"pprof",
                    (char *)tlr_fixture("leak_threads.json"), NULL};
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    dup2(s, 1);
    dup2(fe, 2);
    int status = tlr_cli_main(4, argv);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    char *msg = tlr_slurp(err);
    unlink(err);
    ck_assert_int_eq(status, 2);
    ck_assert_int_eq(tlr_lines(msg), 1);
    ck_assert_msg(strstr(msg, "--format pprof writes gzipped binary data: give -o FILE.pb.gz"),
                  "%s", msg);
    free(msg);
}
END_TEST

/* `taskleak report ARGS` (scripts/taskleak, taking taskleak-report from this build). */
static void taskleak_report(struct th_run *r, const char *const *args)
{
    static char script[1024], bdir[1100], pre[600];
    snprintf(script, sizeof script, "%s/scripts/taskleak", TH_SRC_DIR);
    snprintf(bdir, sizeof bdir, "TASKLEAK_BUILD_DIR=%s", TH_BUILD_DIR);
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s", th_sanitizer_preload());
    const char *argv[16] = {script, "report"},
               *env[] = {bdir, th_sanitizer_preload()[0] ? pre : NULL, NULL};
    for (int n = 2; *args && n < 15; n++)
        argv[n] = *args++;
    struct th_opts o = {
        .prog = "/bin/sh", .argv = argv, .env = env, .no_preload = true, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
}

START_TEST(the_taskleak_command_passes_pprof_and_its_errors_through)
{
    struct th_run r;
    char file[512];
    snprintf(file, sizeof file, "%s/cmd.pb.gz", tlr_tmpdir());
    const char *ok[] = {"--format",
                        "pprof",
                        "--stack",
                        "created",
                        "--no-symbolize",
                        "-o",
                        file,
                        tlr_fixture("gor_tasks.json"),
                        NULL};
    taskleak_report(&r, ok);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    th_run_free(&r);
    char *raw = go_pprof("-raw", file);
    ck_assert_msg(strstr(raw, "kind:[task]") && strstr(raw, "stack:[created]") &&
                      strstr(raw, " gor_go "),
                  "%s", raw);
    free(raw);
    const char *bad[] = {"--format", "pprof", "--stack", "", tlr_fixture("gor_tasks.json"), NULL};
    taskleak_report(&r, bad);
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "--stack needs a value") && tlr_lines(r.err) == 1, "%s", r.err);
    th_run_free(&r);
}
END_TEST

START_TEST(control_bytes_in_a_report_reach_neither_format_raw)
{
    char path[512], file[512];
    const char *d = tlr_tmpdir();
    snprintf(path, sizeof path, "%s/ctl.json", d);
    snprintf(file, sizeof file, "%s/ctl.pb.gz", d);
    char *rep = tlr_slurp(tlr_fixture("leak_threads.json"));
    char *at = strstr(rep, "\"worker-0\"");
    ck_assert_ptr_nonnull(at);
    FILE *f = fopen(path, "w");
    fprintf(f, "%.*s\"w\\u001b[31m\\nSUMMARY: x\"%s", (int)(at - rep), rep, at + 10);
    fclose(f);
    free(rep);
    struct tlr_cli_run r = RUN("--format", "pprof", "--no-symbolize", "-o", file, path);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    tlr_run_free(&r);
    char *raw = go_pprof("-raw", file);
    ck_assert_msg(strstr(raw, "unit_name:[w?[31m?SUMMARY: x worker-1") && !strchr(raw, '\x1b'),
                  "%s", raw);
    free(raw);
    r = RUN("--format", "sarif", "--no-symbolize", path);
    ck_assert_msg(r.status == 1 && !strchr(r.out, '\x1b'), "status %d: %s", r.status, r.err);
    tlr_run_free(&r);
}
END_TEST

/* Asserts o[key] is a non-empty string and returns it. */
static const char *str_at(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    ck_assert_msg(s && *s, "missing string \"%s\"", key);
    return s;
}

/* The structural rules of SARIF 2.1.0 every log must satisfy, plus taskleak's own: returns the
 * results array. */
static json_t *check_sarif_log(json_t *log)
{
    ck_assert_ptr_nonnull(log);
    ck_assert_str_eq(str_at(log, "version"), "2.1.0");
    ck_assert(!strncmp(str_at(log, "$schema"), "https://", 8));
    ck_assert_ptr_nonnull(strstr(str_at(log, "$schema"), "sarif-2.1.0"));
    json_t *runs = json_object_get(log, "runs");
    ck_assert(json_is_array(runs) && json_array_size(runs) == 1);
    json_t *run = json_array_get(runs, 0);
    json_t *drv = json_object_get(json_object_get(run, "tool"), "driver");
    ck_assert_str_eq(str_at(drv, "name"), "taskleak");
    str_at(drv, "version");
    json_t *rules = json_object_get(drv, "rules"), *rule;
    size_t i;
    ck_assert(json_array_size(rules) >= 5);
    json_array_foreach(rules, i, rule)
    {
        ck_assert(!strncmp(str_at(rule, "id"), "taskleak/", 9));
        str_at(json_object_get(rule, "shortDescription"), "text");
        for (size_t k = 0; k < i; k++)
            ck_assert_str_ne(str_at(json_array_get(rules, k), "id"), str_at(rule, "id"));
    }
    json_t *results = json_object_get(run, "results"), *res;
    ck_assert(json_is_array(results));
    json_array_foreach(results, i, res)
    {
        json_t *idx = json_object_get(res, "ruleIndex");
        ck_assert(json_is_integer(idx) && (size_t)json_integer_value(idx) < json_array_size(rules));
        ck_assert_str_eq(str_at(res, "ruleId"),
                         str_at(json_array_get(rules, (size_t)json_integer_value(idx)), "id"));
        const char *level = str_at(res, "level");
        ck_assert(!strcmp(level, "error") || !strcmp(level, "warning"));
        str_at(json_object_get(res, "message"), "text");
        ck_assert(json_is_array(json_object_get(res, "locations")));
    }
    return results;
}

/* The result whose message contains needle. */
static json_t *result_with(json_t *results, const char *needle)
{
    size_t i;
    json_t *res;
    json_array_foreach(results, i, res)
    {
        if (strstr(str_at(json_object_get(res, "message"), "text"), needle))
            return res;
    }
    ck_abort_msg("no result says \"%s\"", needle);
    return NULL;
}

static json_t *phys(json_t *location)
{
    return json_object_get(location, "physicalLocation");
}

START_TEST(a_leaky_pool_as_sarif_is_a_valid_log_located_in_the_program)
{
    struct th_run pr;
    leaky_pool(&pr);
    struct tlr_cli_run r = RUN("--format", "sarif", pr.dir);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    json_t *log = json_loads(r.out, 0, NULL);
    json_t *results = check_sarif_log(log);
    ck_assert_int_eq(json_array_size(results), 2);
    json_t *pool = result_with(results, "3 threads leaked [cond wait, ");
    ck_assert_str_eq(str_at(pool, "ruleId"), "taskleak/leaked");
    ck_assert_str_eq(str_at(pool, "level"), "error");
    json_t *loc = json_array_get(json_object_get(pool, "locations"), 0);
    json_t *art = json_object_get(phys(loc), "artifactLocation");
    ck_assert_str_eq(str_at(art, "uri"), "tests/scenarios/demo_pool.c");
    ck_assert_str_eq(str_at(art, "uriBaseId"), "%SRCROOT%");
    ck_assert_int_gt(
        json_integer_value(json_object_get(json_object_get(phys(loc), "region"), "startLine")), 0);
    json_t *lg = json_array_get(json_object_get(loc, "logicalLocations"), 0);
    ck_assert_str_eq(str_at(lg, "fullyQualifiedName"), "pool_worker");
    json_t *rel = json_array_get(json_object_get(pool, "relatedLocations"), 0);
    ck_assert_str_eq(
        str_at(json_array_get(json_object_get(rel, "logicalLocations"), 0), "fullyQualifiedName"),
        "start_pool");
    ck_assert_str_eq(str_at(json_object_get(phys(rel), "artifactLocation"), "uri"),
                     "tests/scenarios/demo_pool.c");
    json_t *flow = json_object_get(
        json_array_get(
            json_object_get(json_array_get(json_object_get(pool, "codeFlows"), 0), "threadFlows"),
            0),
        "locations");
    json_t *last = json_object_get(json_array_get(flow, json_array_size(flow) - 1), "location");
    ck_assert_str_eq(str_at(json_object_get(last, "message"), "text"), "cond wait");
    str_at(json_object_get(pool, "partialFingerprints"), "taskleakIdentity/v1");
    json_t *watcher = result_with(results, "1 thread leaked [semaphore, ");
    ck_assert_ptr_nonnull(
        strstr(str_at(json_object_get(watcher, "message"), "text"), "in shutdown_watcher"));
    json_decref(log);
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

START_TEST(sarif_levels_follow_the_gate_and_the_baseline)
{
    struct th_run pr;
    char base[512];
    leaky_pool(&pr);
    snprintf(base, sizeof base, "%s/base.json", tlr_tmpdir());
    struct tlr_cli_run r = RUN("--format", "json", "-o", base, pr.dir);
    tlr_run_free(&r);
    r = RUN("--format", "sarif", "--baseline", base, "--fail-on", "new", pr.dir);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    json_t *log = json_loads(r.out, 0, NULL), *res;
    json_t *results = check_sarif_log(log);
    size_t i;
    ck_assert_int_eq(json_array_size(results), 2);
    json_array_foreach(results, i, res)
    {
        ck_assert_str_eq(str_at(res, "level"), "warning");
        ck_assert_str_eq(str_at(res, "baselineState"), "unchanged");
    }
    json_decref(log);
    tlr_run_free(&r);
    r = RUN("--format", "sarif", "--fail-on", "none", pr.dir);
    log = json_loads(r.out, 0, NULL);
    ck_assert_str_eq(str_at(json_array_get(check_sarif_log(log), 0), "level"), "warning");
    json_decref(log);
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

START_TEST(a_clean_program_gives_an_empty_sarif_run_and_an_inversion_one_result)
{
    struct th_run clean, inv;
    ck_assert_int_eq(th_run_simple(&clean, "clean_exit", "grace=200ms"), 0);
    struct tlr_cli_run r = RUN("--format", "sarif", clean.dir);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    json_t *log = json_loads(r.out, 0, NULL);
    ck_assert_int_eq(json_array_size(check_sarif_log(log)), 0);
    json_decref(log);
    tlr_run_free(&r);
    const char *argv[] = {"abba", NULL};
    struct th_opts o = {.prog = "thr_lockorder", .argv = argv, .options = "grace=100ms"};
    ck_assert_int_eq(th_run(&o, &inv), 0);
    r = RUN("--format", "sarif", inv.dir);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    log = json_loads(r.out, 0, NULL);
    json_t *res = result_with(check_sarif_log(log), "lock-order inversion: 2 locks");
    ck_assert_str_eq(str_at(res, "ruleId"), "taskleak/inversion");
    ck_assert_str_eq(str_at(res, "level"), "error");
    ck_assert_int_eq(json_array_size(json_object_get(res, "codeFlows")), 2);
    json_t *loc = json_array_get(json_object_get(res, "locations"), 0);
    ck_assert_str_eq(str_at(json_object_get(phys(loc), "artifactLocation"), "uri"),
                     "tests/scenarios/thr_lockorder.c");
    json_decref(log);
    tlr_run_free(&r);
    th_run_free(&clean);
    th_run_free(&inv);
}
END_TEST

Suite *make_tlr_export_suite(void)
{
    Suite *s = suite_create("tlr_export");
    TCase *tc = tcase_create("pprof");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_leaky_pool_as_pprof_reads_back_in_go_tool_pprof);
    tcase_add_test(tc, stack_created_shows_where_the_units_were_started);
    tcase_add_test(tc, unit_names_and_suppressions_reach_the_profile);
    tcase_add_test(tc, pprof_to_a_pipe_is_gzip_and_bad_usage_is_one_line_and_status_2);
    tcase_add_test(tc, pprof_to_a_terminal_is_refused);
    tcase_add_test(tc, the_taskleak_command_passes_pprof_and_its_errors_through);
    tcase_add_test(tc, control_bytes_in_a_report_reach_neither_format_raw);
    suite_add_tcase(s, tc);
    tc = tcase_create("sarif");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_leaky_pool_as_sarif_is_a_valid_log_located_in_the_program);
    tcase_add_test(tc, sarif_levels_follow_the_gate_and_the_baseline);
    tcase_add_test(tc, a_clean_program_gives_an_empty_sarif_run_and_an_inversion_one_result);
    suite_add_tcase(s, tc);
    return s;
}
