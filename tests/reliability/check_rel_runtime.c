/*
 * hostile case 52 (docs/hostile-hosts.md): the gor runtime built -Bsymbolic, by clang, and with
 * -fno-semantic-interposition (rel_runtime.mk builds each into relrt/<variant>/libgor.so) gives the
 * same reports as the project's own build, and the self-test speaks exactly when a runtime calls
 * a wrapped entry point behind the wrappers in a way a report depends on (relrt_prog.c through
 * relrt_calls.c, linked into the calls_* builds).
 *
 * Programs are linked without a run path; LD_LIBRARY_PATH picks the variant. A report is reduced
 * to a signature of what matters (per group: verdict, kind, reason, count, call, durable, start
 * function, the start functions up the created_by chain, and the function names of the creation
 * and blocked stacks outside libgor and the detector), and the signatures must be equal.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define OPTIONS "grace=1s:threshold=0"
#define WARNING "internal calls not interposable"

static const char *const SCENARIOS[] = {"gor_leak_range_unclosed", "gor_leak_three_deep",
                                        "gor_leak_ctx_not_passed", "gor_timed_select",
                                        "gor_leak_wg_error_path"};

/* Runs build/.../relrt/bin/<prog> against relrt/<variant>/libgor.so. */
static void run_variant(struct th_run *r, const char *prog, const char *variant,
                        const char *options)
{
    static char path[512], libdir[600];
    snprintf(path, sizeof path, "%s", th_path("tests/reliability/relrt/bin"));
    snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", prog);
    snprintf(libdir, sizeof libdir, "LD_LIBRARY_PATH=%s/%s", th_path("tests/reliability/relrt"),
             variant);
    const char *env[] = {libdir, NULL};
    struct th_opts o = {.prog = path, .options = options, .env = env, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s on %s timed out", prog, variant);
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- report signatures ---- */

static bool foreign_module(json_t *rep, json_t *frame)
{
    json_t *m = json_object_get(frame, "module");
    json_t *mod = json_is_integer(m) ? json_array_get(json_object_get(rep, "modules"),
                                                      (size_t)json_integer_value(m))
                                     : NULL;
    const char *path = th_str(mod, "path");
    return path != NULL && (strstr(path, "libgor") || strstr(path, "libtaskleak"));
}

/* Appends the function names of a stack, leaving out libgor's and the detector's frames. */
static void put_stack(json_t *rep, json_t *stack_id, char *buf, size_t n)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(th_stack(rep, stack_id), "frames"), i, f)
    {
        const char *fn = th_str(f, "function");
        if (!foreign_module(rep, f))
            snprintf(buf + strlen(buf), n - strlen(buf), "%s,", fn ? fn : "?");
    }
}

/* Appends the start functions up the created_by chain, ending at "thread". */
static void put_chain(json_t *rep, json_t *u, char *buf, size_t n)
{
    for (int depth = 0; u != NULL && depth < 16; depth++) {
        const char *by = th_str(u, "created_by");
        if (by == NULL || strncmp(by, "task:", 5) != 0) {
            snprintf(buf + strlen(buf), n - strlen(buf), "<%s",
                     by && by[0] == 't' ? "thread" : "?");
            return;
        }
        u = th_unit(rep, by);
        snprintf(buf + strlen(buf), n - strlen(buf), "<%s", u ? th_str(u, "start") : "gone");
    }
}

static void group_line(json_t *rep, json_t *g, char *buf, size_t n)
{
    json_t *u = th_unit(rep, json_string_value(json_array_get(json_object_get(g, "units"), 0)));
    json_t *w = json_object_get(u, "wait");
    snprintf(buf, n, "%s %s [%s] x%lld call=%s durable=%d start=%s by=", th_str(g, "verdict"),
             th_str(g, "kind"), th_str(g, "reason"),
             (long long)json_integer_value(json_object_get(g, "count")), th_str(w, "call"),
             json_is_true(json_object_get(w, "durable")), th_str(u, "start"));
    put_chain(rep, u, buf, n);
    snprintf(buf + strlen(buf), n - strlen(buf), " created=");
    put_stack(rep, json_object_get(g, "created_stack"), buf, n);
    snprintf(buf + strlen(buf), n - strlen(buf), " blocked=");
    put_stack(rep, json_object_get(g, "blocked_stack"), buf, n);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The report's signature: its group lines, sorted, one per line; malloc'd. */
static char *signature(json_t *rep)
{
    json_t *groups = json_object_get(rep, "groups");
    size_t n = json_array_size(groups), i;
    char **lines = calloc(n + 1, sizeof *lines), *out = calloc(1, 2048 * (n + 1));
    ck_assert(lines != NULL && out != NULL);
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        lines[i] = calloc(1, 2048);
        group_line(rep, g, lines[i], 2048);
    }
    qsort(lines, n, sizeof *lines, by_string);
    for (i = 0; i < n; i++) {
        strcat(strcat(out, lines[i]), "\n");
        free(lines[i]);
    }
    free(lines);
    return out;
}

/* Runs prog on the variant; returns its report's signature, its status in *status. */
static char *run_signature(const char *prog, const char *variant, int *status, char **err)
{
    struct th_run r;
    run_variant(&r, prog, variant, OPTIONS);
    json_t *rep = th_report(&r, "exit", r.pid);
    ck_assert_msg(rep != NULL, "%s on %s wrote no exit report; stderr:\n%s", prog, variant, r.err);
    char *sig = signature(rep);
    *status = r.status;
    *err = strdup(r.err);
    json_decref(rep);
    th_run_free(&r);
    return sig;
}

/* Every scenario reports the same on the variant as on the project's own build, with no
 * self-test warning on either. */
static void check_same_as_reference(const char *variant)
{
    for (size_t i = 0; i < sizeof SCENARIOS / sizeof SCENARIOS[0]; i++) {
        int ref_status, status;
        char *ref_err, *err;
        char *ref = run_signature(SCENARIOS[i], "ref", &ref_status, &ref_err);
        char *got = run_signature(SCENARIOS[i], variant, &status, &err);
        ck_assert_msg(ref[0] != '\0', "%s: the reference reports nothing", SCENARIOS[i]);
        ck_assert_msg(strcmp(ref, got) == 0, "%s on %s differs:\nref:\n%s%s:\n%s", SCENARIOS[i],
                      variant, ref, variant, got);
        ck_assert_int_eq(status, ref_status);
        ck_assert_msg(!strstr(ref_err, WARNING) && !strstr(err, WARNING), "%s on %s: %s",
                      SCENARIOS[i], variant, err);
        free(ref), free(got), free(ref_err), free(err);
    }
}

START_TEST(gor_linked_bsymbolic_reports_the_leaks_as_the_normal_build_does)
{
    check_same_as_reference("bsym");
}
END_TEST

START_TEST(gor_built_without_semantic_interposition_reports_the_leaks_as_the_normal_build_does)
{
    check_same_as_reference("nosi");
}
END_TEST

START_TEST(gor_built_by_clang_reports_the_leaks_as_the_normal_build_does)
{
    if (access(th_path("tests/reliability/relrt/clang/libgor.so"), F_OK) != 0) {
        fprintf(stderr, "rel_runtime: clang is not installed: the clang build is not tested\n");
        return;
    }
    check_same_as_reference("clang");
}
END_TEST

START_TEST(verbosity_one_adds_one_informative_line_and_the_default_adds_none)
{
    struct th_run r;
    run_variant(&r, "gor_leak_range_unclosed", "bsym", OPTIONS ":verbosity=1");
    ck_assert_int_eq(count_of(r.err, "libgor.so: internal calls checked: "), 1);
    ck_assert_msg(th_contains(r.err, "linked symbolic, but it calls none"), "%s", r.err);
    ck_assert_int_eq(count_of(r.err, WARNING), 0);
    th_run_free(&r);
    run_variant(&r, "gor_leak_range_unclosed", "bsym", OPTIONS);
    ck_assert_int_eq(count_of(r.err, "libgor.so:"), 0);
    th_run_free(&r);
}
END_TEST

/* ---- a runtime that calls its own entry points ---- */

/* Runs relrt_prog on the variant and checks what holds in every build: three leaks; the task the
 * library spawned is recorded with its start, wait and creator. Returns the report; *err gets
 * stderr (malloc'd). */
static json_t *run_prog(const char *variant, char **err)
{
    struct th_run r;
    run_variant(&r, "relrt_prog", variant, OPTIONS);
    ck_assert_msg(r.status == 76, "relrt_prog on %s exited %d; stderr:\n%s", variant, r.status,
                  r.err);
    json_t *rep = th_report(&r, "exit", r.pid);
    ck_assert_msg(rep != NULL, "relrt_prog on %s wrote no exit report; stderr:\n%s", variant,
                  r.err);
    ck_assert_int_eq(th_summary(rep, "leaked"), 3);
    json_t *stuck = th_unit_by_start(rep, "task", "stuck_task");
    ck_assert_msg(stuck != NULL, "%s: the task the library spawned is missing", variant);
    ck_assert_str_eq(th_str(json_object_get(stuck, "wait"), "reason"), "chan receive");
    json_t *parent = th_unit(rep, th_str(stuck, "created_by"));
    ck_assert_msg(parent != NULL, "%s: created_by %s unknown", variant,
                  th_str(stuck, "created_by"));
    ck_assert_str_eq(th_str(parent, "start"), "main_task");
    ck_assert(th_stack_has(rep, json_object_get(stuck, "created_stack"), "main_task"));
    ck_assert(th_stack_has(rep, json_object_get(stuck, "blocked_stack"), "stuck_task"));
    *err = strdup(r.err);
    th_run_free(&r);
    return rep;
}

/* The lib_reader thread's wait reason. Found by its blocked stack: under ASan the start
 * function a thread shows is the sanitizer's. */
static const char *reader_reason(json_t *rep)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *k = th_str(u, "kind");
        if (k && !strcmp(k, "thread") &&
            th_stack_has(rep, json_object_get(u, "blocked_stack"), "lib_reader"))
            return th_str(json_object_get(u, "wait"), "reason");
    }
    ck_abort_msg("no thread blocked in lib_reader");
    return NULL;
}

START_TEST(calls_inside_gor_through_its_plt_reach_the_wrappers_and_raise_no_warning)
{
    char *err;
    json_t *rep = run_prog("calls_plt", &err);
    ck_assert_int_eq(count_of(err, WARNING), 0);
    ck_assert_str_eq(reader_reason(rep), "chan receive");
    json_t *sel = th_unit_by_start(rep, "task", "lib_selector");
    ck_assert_ptr_nonnull(sel);
    ck_assert(json_is_false(json_object_get(json_object_get(sel, "wait"), "durable")));
    json_decref(rep);
    free(err);
}
END_TEST

/* The warning: exactly one line, naming the file, the cause and the loss. */
static void check_warning(const char *variant, const char *why)
{
    char *err;
    json_t *rep = run_prog(variant, &err);
    ck_assert_msg(count_of(err, WARNING) == 1, "%s: stderr:\n%s", variant, err);
    const char *line = strstr(err, "taskleak: ");
    while (line != NULL && !strncmp(line, "taskleak: ", 10) && !strstr(line, WARNING))
        line = strstr(line + 1, "taskleak: ");
    ck_assert_ptr_nonnull(line);
    char want[256];
    snprintf(want, sizeof want, "%s/libgor.so: " WARNING " (", variant);
    ck_assert_msg(strstr(line, want) != NULL && strstr(line, why) != NULL, "%s", line);
    ck_assert_msg(strstr(line, "plain threads blocked in gor_chan_recv") != NULL, "%s", line);
    /* What the report shows stays true: the thread sits in gor's futex wait. */
    ck_assert_str_eq(reader_reason(rep), "futex");
    if (strstr(line, "gor_select") != NULL) { /* the library's timed select may time out */
        json_t *wait = json_object_get(th_unit_by_start(rep, "task", "lib_selector"), "wait");
        ck_assert_msg(json_is_false(json_object_get(wait, "durable")), "%s: select durable",
                      variant);
    }
    json_decref(rep);
    free(err);
}

START_TEST(calls_inside_gor_linked_bsymbolic_raise_one_warning_and_threads_show_the_futex)
{
    check_warning("calls_bsym", "DF_SYMBOLIC");
}
END_TEST

START_TEST(calls_to_hidden_aliases_inside_gor_raise_one_warning_and_threads_show_the_futex)
{
    check_warning("calls_hidden", "direct calls to gor_go, gor_chan_recv inside it");
}
END_TEST

Suite *make_rel_runtime_suite(void)
{
    Suite *s = suite_create("rel_runtime");
    TCase *modes = tcase_create("build modes");
    tcase_set_timeout(modes, 240);
    tcase_add_test(modes, gor_linked_bsymbolic_reports_the_leaks_as_the_normal_build_does);
    tcase_add_test(
        modes, gor_built_without_semantic_interposition_reports_the_leaks_as_the_normal_build_does);
    tcase_add_test(modes, gor_built_by_clang_reports_the_leaks_as_the_normal_build_does);
    tcase_add_test(modes, verbosity_one_adds_one_informative_line_and_the_default_adds_none);
    suite_add_tcase(s, modes);
    TCase *calls = tcase_create("internal calls");
    tcase_set_timeout(calls, 120);
    tcase_add_test(calls, calls_inside_gor_through_its_plt_reach_the_wrappers_and_raise_no_warning);
    tcase_add_test(calls,
                   calls_inside_gor_linked_bsymbolic_raise_one_warning_and_threads_show_the_futex);
    tcase_add_test(calls,
                   calls_to_hidden_aliases_inside_gor_raise_one_warning_and_threads_show_the_futex);
    suite_add_tcase(s, calls);
    return s;
}
