/*
 * The report tool on reports real programs wrote: scenario programs run under the detector
 * (tests/harness), then taskleak-report reads their report directory. Assertions name
 * functions and source files (paths as the compiler recorded them, relative to the tree), never
 * line numbers or addresses, so the scenarios may change without breaking this suite.
 */
#include <check.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tlr_test.h"

#define RUN(...)                                                                                   \
    ({                                                                                             \
        const char *a_[] = {__VA_ARGS__, NULL};                                                    \
        tlr_run(a_);                                                                               \
    })

/* True when out has a frame "FILE:LINE: FN", the place-first form of a symbolized frame. */
static bool has_place(const char *out, const char *file, const char *fn)
{
    size_t fl = strlen(file), nl = strlen(fn);
    for (const char *p = strstr(out, file); p != NULL; p = strstr(p + 1, file)) {
        const char *q = p + fl;
        if (*q++ != ':' || !isdigit((unsigned char)*q))
            continue;
        while (isdigit((unsigned char)*q))
            q++;
        if (q[0] == ':' && q[1] == ' ' && strncmp(q + 2, fn, nl) == 0)
            return true;
    }
    return false;
}

START_TEST(a_leaky_pool_reads_back_grouped_and_symbolized)
{
    struct th_run pr;
    ck_assert_int_eq(th_run_simple(&pr, "demo_pool", "grace=200ms"), 0);
    ck_assert_msg(th_count_reports(&pr, "exit") >= 1, "no exit report; stderr: %s", pr.err);
    struct tlr_cli_run r = RUN(pr.dir);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    ck_assert_msg(!strncmp(r.out, "taskleak: exit report: 4 leaked,", 32), "%.200s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "3 threads [cond wait"));
    ck_assert_ptr_nonnull(strstr(r.out, "1 thread [semaphore"));
    ck_assert(has_place(r.out, "tests/scenarios/demo_pool.c", "pool_worker"));
    ck_assert(has_place(r.out, "tests/scenarios/demo_pool.c", "start_pool"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nSUMMARY: taskleak: 4 leaked"));
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

START_TEST(a_real_report_is_its_own_baseline_and_a_fixed_program_passes)
{
    struct th_run leaky, fixed;
    char base[512];
    ck_assert_int_eq(th_run_simple(&leaky, "demo_pool", "grace=200ms"), 0);
    ck_assert_msg(th_count_reports(&leaky, "exit") >= 1, "no exit report; stderr: %s", leaky.err);
    snprintf(base, sizeof base, "%s/base.json", tlr_tmpdir());
    struct tlr_cli_run r = RUN("--format", "json", "-o", base, leaky.dir);
    ck_assert_int_eq(r.status, 1);
    tlr_run_free(&r);
    r = RUN("--baseline", base, "--fail-on", "new", leaky.dir);
    ck_assert_msg(r.status == 0, "%s", r.out);
    tlr_run_free(&r);
    ck_assert_int_eq(th_run_simple(&fixed, "clean_exit", "grace=200ms"), 0);
    ck_assert_msg(th_count_reports(&fixed, "exit") >= 1, "no exit report; stderr: %s", fixed.err);
    r = RUN(fixed.dir);
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    tlr_run_free(&r);
    th_run_free(&leaky);
    th_run_free(&fixed);
}
END_TEST

START_TEST(unjoined_threads_read_back_grouped_counted_and_failing)
{
    struct th_run pr;
    const char *argv[] = {"pool", NULL};
    struct th_opts o = {.prog = "thr_unjoined", .argv = argv, .options = "grace=200ms"};
    ck_assert_int_eq(th_run(&o, &pr), 0);
    ck_assert_msg(pr.status == 76, "status %d; stderr: %s", pr.status, pr.err);
    struct tlr_cli_run r = RUN(pr.dir);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    ck_assert_msg(
        !strncmp(r.out, "taskleak: exit report: 0 leaked, 0 deadlocked, 0 blocked, 4 unjoined", 68),
        "%.200s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "4 threads unjoined: finished, never joined or detached"));
    ck_assert(has_place(r.out, "tests/scenarios/thr_unjoined.c", "pool_start"));
    ck_assert_ptr_nonnull(
        strstr(r.out, "\nSUMMARY: taskleak: 0 leaked, 0 deadlocked, 0 blocked, 4 unjoined"));
    tlr_run_free(&r);
    r = RUN("--format", "json", pr.dir);
    json_t *j = json_loads(r.out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "summary"), "unjoined")),
                     4);
    json_t *proc = json_array_get(json_object_get(j, "processes"), 0);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(proc, "summary"), "unjoined")), 4);
    json_decref(j);
    tlr_run_free(&r);
    r = RUN("--format", "html", pr.dir); /* the summary table's unjoined column holds the 4 */
    ck_assert_ptr_nonnull(strstr(r.out, "<th>blocked</th><th>unjoined</th>"));
    ck_assert_ptr_nonnull(strstr(r.out, "<td>0</td><td>4</td><td>0</td>"));
    ck_assert_ptr_nonnull(strstr(r.out, "data-verdict=\"unjoined\""));
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

START_TEST(a_lock_order_inversion_reads_back_names_both_paths_and_fails_the_gate)
{
    struct th_run pr;
    const char *argv[] = {"abba", NULL};
    struct th_opts o = {.prog = "thr_lockorder", .argv = argv, .options = "grace=100ms"};
    ck_assert_int_eq(th_run(&o, &pr), 0);
    ck_assert_msg(th_count_reports(&pr, "exit") >= 1, "no exit report; stderr: %s", pr.err);
    struct tlr_cli_run r = RUN(pr.dir);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "\ntaskleak: lock-order inversion (potential deadlock) 1: 2 locks "
                                "taken in a cycle: mutex "),
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "  to silence: suppressions line 'inversion:"), "%s", r.out);
    ck_assert(has_place(r.out, "tests/scenarios/thr_lockorder.c", "path_ab"));
    ck_assert(has_place(r.out, "tests/scenarios/thr_lockorder.c", "path_ba"));
    ck_assert_ptr_nonnull(strstr(r.out, ", 1 lock-order inversion; 1 failing"));
    tlr_run_free(&r);
    r = RUN("--format", "json", pr.dir);
    ck_assert_ptr_nonnull(strstr(r.out, "\"inversions\": ["));
    ck_assert_ptr_nonnull(strstr(r.out, "\"held_stack\": ["));
    tlr_run_free(&r);
    r = RUN("--format", "html", pr.dir);
    ck_assert_ptr_nonnull(strstr(r.out, "<section id=\"inversions\">"));
    ck_assert_ptr_nonnull(strstr(r.out, "path_ba"));
    tlr_run_free(&r);
    r = RUN("--fail-on", "none", pr.dir);
    ck_assert_int_eq(r.status, 0);
    tlr_run_free(&r);
    char supp[512];
    snprintf(supp, sizeof supp, "%s/inv.supp", tlr_tmpdir());
    FILE *f = fopen(supp, "w");
    ck_assert_ptr_nonnull(f);
    fputs("inversion:path_ba\n", f);
    fclose(f);
    r = RUN("--suppressions", supp, pr.dir);
    ck_assert_msg(r.status == 0, "%s", r.out);
    ck_assert_ptr_null(strstr(r.out, "lock-order inversion (potential deadlock)"));
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

/* The part of S from "taskleak: deadlock 1:" (after AFTER, when given) up to the next line that
 * starts a report or its SUMMARY, without the blank line that ends it. */
static char *deadlock_section(const char *s, const char *after)
{
    const char *from = after ? strstr(s, after) : s;
    ck_assert_msg(from != NULL, "no '%s' in:\n%s", after, s);
    const char *a = strstr(from, "\ntaskleak: deadlock 1:");
    ck_assert_msg(a != NULL, "no deadlock section in:\n%s", from);
    const char *b = a + 1, *e = NULL;
    while ((b = strchr(b, '\n')) != NULL && e == NULL) {
        b++;
        if (!strncmp(b, "SUMMARY: ", 9) || (!strncmp(b, "taskleak: ", 10) &&
                                            strncmp(b, "taskleak: deadlock ", 19) != 0))
            e = b;
    }
    size_t n = e ? (size_t)(e - a) : strlen(a);
    while (n > 0 && a[n - 1] == '\n')
        n--;
    return strndup(a, n);
}

/* A real deadlock: the detector's exit text and the tool's rendering of that exit report's JSON
 * tell it in the same words (one assembly, tl_render_deadlock). */
START_TEST(a_real_deadlock_reads_the_same_in_both_texts)
{
    struct th_run pr;
    char path[600];
    ck_assert_int_eq(th_run_simple(&pr, "wd_abba", "threshold=1s:interval=100ms"), 0);
    snprintf(path, sizeof path, "%s/taskleak.%d.exit.json", pr.dir, pr.pid);
    struct tlr_cli_run r = RUN("--no-symbolize", path);
    char *want = deadlock_section(pr.err, "taskleak: exit report:");
    char *got = deadlock_section(r.out, NULL);
    ck_assert_msg(!strcmp(want, got), "the detector's:\n%s\nthe tool's:\n%s", want, got);
    free(want);
    free(got);
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

Suite *make_tlr_scenarios_suite(void)
{
    Suite *s = suite_create("tlr_scenarios");
    TCase *t = tcase_create("scenarios");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, a_leaky_pool_reads_back_grouped_and_symbolized);
    tcase_add_test(t, a_real_report_is_its_own_baseline_and_a_fixed_program_passes);
    tcase_add_test(t, unjoined_threads_read_back_grouped_counted_and_failing);
    tcase_add_test(t, a_lock_order_inversion_reads_back_names_both_paths_and_fails_the_gate);
    tcase_add_test(t, a_real_deadlock_reads_the_same_in_both_texts);
    suite_add_tcase(s, t);
    return s;
}
