/*
 * What a reader of a report sees, on real runs (tests/harness) read back by taskleak-report: the
 * program's frames only, in every format, with the blocking call on top; wait objects by name;
 * suppression hints that, applied, silence their group and nothing else; dumps as full reports.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tlr_test.h"

#define RUN(...)                                                                                   \
    ({                                                                                             \
        const char *a_[] = {__VA_ARGS__, NULL};                                                    \
        tlr_run(a_);                                                                               \
    })

/* Text that would show a frame of the detector. */
static const char *const DETECTOR_MARKS[] = {"libtaskleak", "tl_block",  "ipose_",
                                             "tl_stack",    "tl_thread", "tl_gor"};

static void assert_no_detector_text(const char *what, const char *text)
{
    for (size_t i = 0; i < sizeof DETECTOR_MARKS / sizeof DETECTOR_MARKS[0]; i++)
        ck_assert_msg(!strstr(text, DETECTOR_MARKS[i]), "%s shows %s:\n%s", what, DETECTOR_MARKS[i],
                      text);
}

/* Every frame of every stack of rep lies outside the detector and is named like program code. */
static void assert_no_detector_frame(json_t *rep)
{
    size_t i, k;
    json_t *st, *f;
    json_t *mods = json_object_get(rep, "modules");
    json_array_foreach(json_object_get(rep, "stacks"), i, st)
    {
        json_array_foreach(json_object_get(st, "frames"), k, f)
        {
            json_t *m = json_object_get(f, "module");
            const char *path =
                json_is_integer(m)
                    ? th_str(json_array_get(mods, (size_t)json_integer_value(m)), "path")
                    : NULL;
            const char *fn = th_str(f, "function");
            ck_assert_msg(!path || !strstr(path, "libtaskleak"), "a frame in %s", path);
            ck_assert_msg(!fn || (strncmp(fn, "tl_", 3) && strncmp(fn, "ipose_", 6)), "frame %s",
                          fn);
        }
    }
}

/* Each group's blocked stack starts with the call its first unit made, by name and no address. */
static void assert_call_on_top(json_t *rep)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(rep, "groups"), i, g)
    {
        json_t *bs = json_object_get(g, "blocked_stack");
        json_t *u = th_unit(rep, json_string_value(json_array_get(json_object_get(g, "units"), 0)));
        if (json_is_null(bs) || !u || json_is_null(json_object_get(u, "wait")))
            continue;
        json_t *top = json_array_get(json_object_get(th_stack(rep, bs), "frames"), 0);
        ck_assert_str_eq(th_str(top, "function"), th_str(json_object_get(u, "wait"), "call"));
        ck_assert(json_is_null(json_object_get(top, "ip")));
    }
}

static void check_program(const char *prog, const char *top_call)
{
    static const char *const formats[] = {"text", "json", "folded", "html"};
    struct th_run pr;
    ck_assert_int_eq(th_run_simple(&pr, prog, "grace=300ms"), 0);
    json_t *rep = th_report(&pr, "exit", pr.pid);
    ck_assert_msg(rep != NULL, "%s: no exit report; stderr: %s", prog, pr.err);
    ck_assert_msg(json_array_size(json_object_get(rep, "groups")) > 0, "%s: no groups", prog);
    assert_no_detector_frame(rep);
    assert_call_on_top(rep);
    assert_no_detector_text("the detector's text", pr.err);
    ck_assert_msg(strstr(pr.err, top_call), "%s: no %s in %s", prog, top_call, pr.err);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        struct tlr_cli_run r = RUN("--format", formats[i], pr.dir);
        ck_assert_msg(r.status == 1, "%s %s: status %d %s", prog, formats[i], r.status, r.err);
        assert_no_detector_text(formats[i], r.out);
        tlr_run_free(&r);
    }
    json_decref(rep);
    th_run_free(&pr);
}

START_TEST(no_detector_frame_in_any_format_for_threads_tasks_or_static_gor)
{
    check_program("demo_pool", "    #0  pthread_cond_wait\n    #1  pool_worker");
    check_program("gor_demo_mixed", "    #0  gor_chan_recv\n    #1  worker");
    check_program("gor_demo_mixed_static", "    #0  pthread_cond_wait\n    #1  stats_flusher");
}
END_TEST

/* The unit blocked in a stack through function fn (not by start function: under ASan every
 * thread starts in the sanitizer's interceptor). */
static json_t *unit_blocked_in(json_t *rep, const char *fn)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        json_t *bs = json_object_get(u, "blocked_stack");
        if (!json_is_null(bs) && th_stack_has(rep, bs, fn))
            return u;
    }
    ck_abort_msg("no unit blocked in %s", fn);
    return NULL;
}

static const char *object_name(json_t *rep, const char *fn)
{
    return th_str(json_object_get(unit_blocked_in(rep, fn), "wait"), "object_name");
}

START_TEST(wait_objects_are_named_global_member_heap_and_stack)
{
    struct th_run pr;
    ck_assert_int_eq(th_run_simple(&pr, "thr_named_objects", "grace=300ms"), 0);
    json_t *rep = th_report(&pr, "exit", pr.pid);
    ck_assert_msg(rep != NULL, "no exit report; stderr: %s", pr.err);
    json_t *owner = unit_blocked_in(rep, "owner_main");
    const char *oid = th_str(owner, "id");
    char on_stack[64];
    snprintf(on_stack, sizeof on_stack, "stack of %s", oid);
    ck_assert_str_eq(object_name(rep, "wait_global"), "cache_lock");
    ck_assert_str_eq(object_name(rep, "wait_member"), "stats+16");
    ck_assert_str_eq(object_name(rep, "wait_heap"), "heap");
    ck_assert_str_eq(object_name(rep, "wait_stack"), on_stack);
    ck_assert_str_eq(object_name(rep, "owner_main"), "never");
    json_t *w = json_object_get(unit_blocked_in(rep, "wait_global"), "wait");
    ck_assert_str_eq(th_str(w, "owner"), oid);
    char line[128];
    snprintf(line, sizeof line, "  waits for mutex cache_lock (thr_named_objects+0x");
    ck_assert_msg(strstr(pr.err, line), "%s", pr.err);
    snprintf(line, sizeof line, "), held by %s%s", oid,
             th_sanitizer_preload()[0] ? "" : " owner_main\n");
    ck_assert_msg(strstr(pr.err, line), "%s", pr.err);
    struct tlr_cli_run r = RUN(pr.dir);
    ck_assert_msg(strstr(r.out, "  waits for mutex stats+16 (thr_named_objects+0x"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "  waits for mutex 0x") && strstr(r.out, " (heap)"), "%s", r.out);
    tlr_run_free(&r);
    r = RUN("--format", "json", pr.dir);
    ck_assert_msg(strstr(r.out, "\"object_name\"") && strstr(r.out, "\"stats+16\""), "%s", r.out);
    tlr_run_free(&r);
    json_decref(rep);
    th_run_free(&pr);
}
END_TEST

START_TEST(a_deadlock_cycle_names_its_mutexes_in_both_tools)
{
    struct th_run pr;
    ck_assert_int_eq(th_run_simple(&pr, "wd_abba", "threshold=300ms:interval=100ms:grace=100ms"),
                     0);
    ck_assert_msg(strstr(pr.err, "and waits for mutex lock_"), "%s", pr.err);
    struct tlr_cli_run r = RUN(pr.dir);
    /* the cycle in the detector's own sentence, the objects named and placed alike */
    ck_assert_msg(strstr(r.out, "wait for each other in a cycle:\n"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "waits for mutex lock_a (wd_abba+0x"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "waits for mutex lock_b (wd_abba+0x"), "%s", r.out);
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

/* A mutex whose owner exited: the report tool tells it in the detector's words. */
START_TEST(an_orphaned_mutex_reads_alike_in_both_tools)
{
    struct th_run pr;
    ck_assert_int_eq(th_run_simple(&pr, "wd_orphan", "threshold=1s:interval=200ms:grace=200ms"), 0);
    const char *line = "owner thread:2 exited while holding mutex lock (wd_orphan+0x";
    ck_assert_msg(strstr(pr.err, line), "%s", pr.err);
    struct tlr_cli_run r = RUN(pr.dir);
    ck_assert_msg(strstr(r.out, line) && strstr(r.out, "its 1 waiter(s) can never wake:\n"), "%s",
                  r.out);
    ck_assert_msg(strstr(r.out, " blocked in pthread_mutex_lock for "), "%s", r.out);
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

/* The hints of a run's text, in order ("leak:pool_worker", ...). */
static size_t hints_of(const char *text, char hints[][128], size_t max)
{
    static const char mark[] = "to silence: suppressions line '";
    size_t n = 0;
    for (const char *p = strstr(text, mark); p && n < max; p = strstr(p + 1, mark)) {
        p += strlen(mark);
        snprintf(hints[n], 128, "%.*s", (int)strcspn(p, "'"), p);
        n++;
    }
    return n;
}

/* Runs prog with each hint of its first run as the only suppression: exactly the group the hint
 * was printed for (same count) is suppressed, and every other group is still reported. */
static void round_trip(const char *prog)
{
    struct th_run first;
    char hints[16][128], opts[700], path[600];
    const char *dir = tlr_tmpdir();
    ck_assert_int_eq(th_run_simple(&first, prog, "grace=300ms"), 0);
    json_t *rep = th_report(&first, "exit", first.pid);
    ck_assert_ptr_nonnull(rep);
    size_t ngroups = json_array_size(json_object_get(rep, "groups"));
    long leaked = th_summary(rep, "leaked");
    size_t n = hints_of(first.err, hints, 16);
    ck_assert_msg(n == ngroups && n > 0, "%s: %zu hints for %zu groups\n%s", prog, n, ngroups,
                  first.err);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(!strstr(hints[i], "start_thread") && !strstr(hints[i], "clone"), "%s",
                      hints[i]);
        long count = (long)json_integer_value(
            json_object_get(json_array_get(json_object_get(rep, "groups"), i), "count"));
        snprintf(path, sizeof path, "%s/hint%zu.supp", dir, i);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "%s\n", hints[i]);
        fclose(f);
        snprintf(opts, sizeof opts, "grace=300ms:suppressions=%s", path);
        struct th_run again;
        ck_assert_int_eq(th_run_simple(&again, prog, opts), 0);
        json_t *rep2 = th_report(&again, "exit", again.pid);
        ck_assert_ptr_nonnull(rep2);
        ck_assert_msg(th_summary(rep2, "suppressed") == count, "%s: '%s' suppressed %ld, not %ld",
                      prog, hints[i], th_summary(rep2, "suppressed"), count);
        ck_assert_int_eq(th_summary(rep2, "leaked"), leaked - count);
        ck_assert_uint_eq(json_array_size(json_object_get(rep2, "groups")), ngroups - 1);
        json_decref(rep2);
        th_run_free(&again);
    }
    json_decref(rep);
    th_run_free(&first);
}

START_TEST(every_hint_silences_its_own_group_and_nothing_else)
{
    round_trip("demo_pool");
    round_trip("thr_named_objects");
}
END_TEST

START_TEST(no_hint_is_offered_where_every_candidate_would_silence_another_group_too)
{
    /* main joins a thread blocked on a mutex: main's own frames (main, _start) are in that
     * thread's creation stack too, so no line silences main's group alone */
    struct th_run pr;
    ck_assert_int_eq(
        th_run_simple(&pr, "wd_mutex_hold", "threshold=300ms:interval=100ms:grace=100ms"), 0);
    ck_assert_msg(strstr(pr.err, "to silence: suppressions line 'block:wait_for_lock'"), "%s",
                  pr.err);
    ck_assert_msg(strstr(pr.err, "  to silence: threshold=0\n"), "%s", pr.err);
    ck_assert_msg(!strstr(pr.err, "'block:main'") && !strstr(pr.err, "'block:_start'"), "%s",
                  pr.err);
    th_run_free(&pr);
}
END_TEST

START_TEST(a_stripped_librarys_thread_is_hinted_by_the_export_that_created_it)
{
    struct th_run pr;
    char hints[4][128];
    ck_assert_int_eq(th_run_simple(&pr, "thr_stripped_lib", "grace=300ms"), 0);
    ck_assert_msg(strstr(pr.err, "    #1  ?? (libstripworkers.so+0x"), "%s", pr.err);
    /* its condition lies in the library's .bss, past the file's pages: placed, never "heap" */
    ck_assert_msg(strstr(pr.err, "  waits for condition variable libstripworkers.so+0x"), "%s",
                  pr.err);
    json_t *rep = th_report(&pr, "exit", pr.pid);
    ck_assert_msg(rep != NULL, "no exit report; stderr: %s", pr.err);
    json_t *w = json_object_get(th_unit_blocked_in(rep, "pthread_cond_wait"), "wait");
    ck_assert_msg(json_is_null(json_object_get(w, "object_name")), "named %s",
                  th_str(w, "object_name"));
    json_decref(rep);
    ck_assert_uint_eq(hints_of(pr.err, hints, 4), 1);
    ck_assert_str_eq(hints[0], "leak:libfoo_start_workers");
    th_run_free(&pr);
}
END_TEST

START_TEST(a_dump_is_a_full_report_the_tool_renders_with_the_main_thread)
{
    struct th_run pr;
    char dump[512];
    ck_assert_int_eq(th_run_simple(&pr, "thr_api", "grace=200ms"), 0);
    json_t *d = th_report(&pr, "dump-1", pr.pid);
    ck_assert_msg(d != NULL, "no dump; stderr: %s", pr.err);
    ck_assert_uint_gt(json_array_size(json_object_get(d, "groups")), 0);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(d, "units"), i, u)
    {
        if (strcmp(th_str(u, "id"), "thread:1") != 0)
            ck_assert_msg(!json_is_null(json_object_get(u, "created_stack")), "%s",
                          th_str(u, "id"));
    }
    ck_assert_msg(strstr(pr.err, "  created by: main thread\n"), "%s", pr.err);
    snprintf(dump, sizeof dump, "%s/taskleak.%d.dump-1.json", pr.dir, pr.pid);
    struct tlr_cli_run r = RUN(dump);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "  created by: main thread\n"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\nSUMMARY: taskleak: "), "%s", r.out);
    ck_assert_msg(!strstr(r.out, " in 0 groups"), "%s", r.out);
    tlr_run_free(&r);
    json_decref(d);
    th_run_free(&pr);
}
END_TEST

/* The first line of text starting with prefix, without its newline, into buf. */
static const char *line_of(const char *text, const char *prefix, char *buf, size_t size)
{
    const char *p = strstr(text, prefix);
    ck_assert_msg(p != NULL, "no '%s' in:\n%s", prefix, text);
    snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
    return buf;
}

/* A thread seen only in /proc has a state but no wait: both tools head its group with that
 * state ("[blocked]" when the kernel has it asleep), not "[running]" in one, the state in the
 * other. */
START_TEST(a_thread_without_a_known_wait_is_headed_by_its_state_in_both_tools)
{
    struct th_run pr;
    char want[64], mine[256], theirs[256];
    ck_assert_int_eq(th_run_simple(&pr, "thr_hidden_create", "grace=100ms"), 0);
    json_t *rep = th_report(&pr, "exit", pr.pid);
    ck_assert_msg(rep != NULL, "no exit report; stderr: %s", pr.err);
    json_t *g = th_group(rep, "leaked", NULL);
    json_t *u = th_unit(rep, json_string_value(json_array_get(json_object_get(g, "units"), 0)));
    ck_assert_msg(u != NULL && json_is_null(json_object_get(u, "wait")), "%s", pr.err);
    snprintf(want, sizeof want, "\n1 thread [%s]: leaked", th_str(u, "state"));
    struct tlr_cli_run r = RUN(pr.dir);
    ck_assert_str_eq(line_of(r.out, want, theirs, sizeof theirs),
                     line_of(pr.err, want, mine, sizeof mine));
    tlr_run_free(&r);
    json_decref(rep);
    th_run_free(&pr);
}
END_TEST

/* A program started through a symlink to a multi-call binary (redis-server -> redis-check-rdb):
 * the first line names the executable and, after it, the name it was started as, in both tools. */
START_TEST(a_program_started_through_a_symlink_is_named_as_started_in_both_tools)
{
    char dir[] = "/tmp/tl-symlink-XXXXXX", link[96], target[512], mine[256], theirs[256];
    ck_assert(mkdtemp(dir) != NULL);
    snprintf(link, sizeof link, "%s/my-server", dir);
    snprintf(target, sizeof target, "%s/tests/scenarios/thr_named_objects", TH_BUILD_DIR);
    ck_assert_int_eq(symlink(target, link), 0);
    struct th_run pr;
    ck_assert_int_eq(th_run_simple(&pr, link, "grace=300ms"), 0);
    struct tlr_cli_run r = RUN(pr.dir);
    line_of(pr.err, "taskleak: exit report: ", mine, sizeof mine);
    ck_assert_msg(strstr(mine, "thr_named_objects, started as my-server)") != NULL, "%s", mine);
    ck_assert_str_eq(line_of(r.out, "taskleak: exit report: ", theirs, sizeof theirs), mine);
    tlr_run_free(&r);
    th_run_free(&pr);
    unlink(link);
    rmdir(dir);
}
END_TEST

Suite *make_tlr_reports_suite(void)
{
    Suite *s = suite_create("tlr_reports");
    TCase *t = tcase_create("what_readers_see");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, no_detector_frame_in_any_format_for_threads_tasks_or_static_gor);
    tcase_add_test(t, wait_objects_are_named_global_member_heap_and_stack);
    tcase_add_test(t, a_deadlock_cycle_names_its_mutexes_in_both_tools);
    tcase_add_test(t, an_orphaned_mutex_reads_alike_in_both_tools);
    tcase_add_test(t, every_hint_silences_its_own_group_and_nothing_else);
    tcase_add_test(t, no_hint_is_offered_where_every_candidate_would_silence_another_group_too);
    tcase_add_test(t, a_stripped_librarys_thread_is_hinted_by_the_export_that_created_it);
    tcase_add_test(t, a_dump_is_a_full_report_the_tool_renders_with_the_main_thread);
    tcase_add_test(t, a_thread_without_a_known_wait_is_headed_by_its_state_in_both_tools);
    tcase_add_test(t, a_program_started_through_a_symlink_is_named_as_started_in_both_tools);
    suite_add_tcase(s, t);
    return s;
}
