/*
 * Two precision points of how gor tasks are reported (issue 9, gor polish), on real programs:
 *
 * - The detector starts every task through a trampoline of its own; nothing the user sees may
 *   name it. gor's fatal global-deadlock dump and the report's units must name the program's
 *   functions (tests/scenarios/gor_trampoline_deadlock.c).
 * - A thread created by a task is created by that task, as in Go: created_by "task:N", with the
 *   task's chain kept in the report after the task exited, and the creation stack the task's own,
 *   ending at its start function (tests/scenarios/gor_task_thread_leak.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/tlr_test.h"
#include "harness.h"

#define OPTIONS "grace=1s:threshold=0"

/* The value printed after `key ` on a line of the program's stdout, as text (static buffer). */
static const char *printed(const struct th_run *r, const char *key)
{
    static char val[64];
    const char *p = strstr(r->out, key);
    ck_assert_msg(p != NULL, "the program did not print \"%s\"; stdout:\n%s", key, r->out);
    ck_assert_int_eq(sscanf(p + strlen(key), " %63s", val), 1);
    return val;
}

/* The line of gor's dump about task `id`, copied (static buffer). */
static const char *dump_line(const struct th_run *r, int id)
{
    static char line[512];
    char head[32];
    snprintf(head, sizeof head, "\ntask %d ", id);
    const char *p = strstr(r->err, head);
    ck_assert_msg(p != NULL, "gor's dump has no task %d; stderr:\n%s", id, r->err);
    snprintf(line, sizeof line, "%.*s", (int)strcspn(p + 1, "\n"), p + 1);
    return line;
}

static void run_deadlock(struct th_run *r, bool preload)
{
    /* gor prints its own dump and exits 2 when the detector lets it: with deadlocked left out of
     * fail_on. By default the detector ends the run first, with its report and exitcode (76):
     * check_scen_gor's WaitGroup deadlock holds that. */
    struct th_opts o = {.prog = "gor_trampoline_deadlock",
                        .options = OPTIONS ":fail_on=leaked",
                        .no_preload = !preload,
                        .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "gor_trampoline_deadlock timed out");
    ck_assert_msg(r->status == 2, "exited %d, want 2; stderr:\n%s", r->status, r->err);
    ck_assert(th_contains(r->err, "gor: fatal: all tasks are asleep - deadlock!"));
}

/* Task 1 (main_task) and task 2 (stuck_worker) are named by their own addresses in the dump. */
static void check_dump_names_the_program(const struct th_run *r)
{
    const char *line = dump_line(r, 1);
    ck_assert_msg(th_contains(line, printed(r, "main_task")), "task 1: %s", line);
    ck_assert_msg(th_contains(line, "started at main_task ("), "task 1: %s", line);
    ck_assert_msg(th_contains(line, "[WaitGroup wait, "), "task 1: %s", line);
    line = dump_line(r, 2);
    ck_assert_msg(th_contains(line, printed(r, "stuck_worker")), "task 2: %s", line);
    ck_assert_msg(th_contains(line, "started at stuck_worker ("), "task 2: %s", line);
    ck_assert_msg(th_contains(line, "[chan receive, "), "task 2: %s", line);
    const char *dump = strstr(r->err, "gor: fatal:"); /* after the detector's own report */
    ck_assert_msg(!th_contains(dump, "tl_gor"), "the detector shows in:\n%s", dump);
    ck_assert_msg(!th_contains(dump, "libtaskleak"), "the detector shows in:\n%s", dump);
}

START_TEST(gors_deadlock_dump_names_the_programs_functions_under_the_detector)
{
    struct th_run r;
    run_deadlock(&r, true);
    check_dump_names_the_program(&r);
    th_run_free(&r);
}
END_TEST

START_TEST(gors_deadlock_dump_names_the_same_functions_without_the_detector)
{
    struct th_run r;
    run_deadlock(&r, false);
    check_dump_names_the_program(&r);
    ck_assert_int_eq(th_count_reports(&r, NULL), 0);
    th_run_free(&r);
}
END_TEST

START_TEST(the_deadlock_reports_units_start_at_the_programs_functions)
{
    struct th_run r;
    run_deadlock(&r, true);
    json_t *rep = th_report(&r, "exit", r.pid);
    ck_assert_msg(rep != NULL, "no exit report; stderr:\n%s", r.err);
    json_t *t1 = th_unit(rep, "task:1"), *t2 = th_unit(rep, "task:2");
    ck_assert_msg(t1 != NULL && t2 != NULL, "tasks missing; stderr:\n%s", r.err);
    ck_assert_str_eq(th_str(t1, "start"), "main_task");
    ck_assert_str_eq(th_str(t2, "start"), "stuck_worker");
    ck_assert_str_eq(th_str(t2, "verdict"), "deadlocked");
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *start = th_str(u, "start");
        ck_assert_msg(start == NULL || !th_contains(start, "tl_gor"), "%s starts at %s",
                      th_str(u, "id"), start);
    }
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

static json_t *run_thread_leak(struct th_run *r, char *task, size_t n)
{
    struct th_opts o = {.prog = "gor_task_thread_leak", .options = OPTIONS, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "gor_task_thread_leak timed out");
    ck_assert_msg(r->status == 76, "exited %d, want 76; stderr:\n%s", r->status, r->err);
    snprintf(task, n, "task:%s", printed(r, "poller task"));
    json_t *rep = th_report(r, "exit", r->pid);
    ck_assert_msg(rep != NULL, "no exit report; stderr:\n%s", r->err);
    return rep;
}

/* The one leaked thread: the only unit of the leaked "semaphore" group. */
static json_t *leaked_thread(json_t *rep)
{
    json_t *g = th_group(rep, "leaked", "semaphore");
    ck_assert_msg(g != NULL, "no leaked semaphore group");
    ck_assert_int_eq(json_integer_value(json_object_get(g, "count")), 1);
    ck_assert_str_eq(th_str(g, "kind"), "thread");
    json_t *u = th_unit(rep, json_string_value(json_array_get(json_object_get(g, "units"), 0)));
    ck_assert_ptr_nonnull(u);
    return u;
}

START_TEST(a_thread_created_by_a_task_is_created_by_that_task)
{
    struct th_run r;
    char task[32];
    json_t *rep = run_thread_leak(&r, task, sizeof task);
    json_t *th = leaked_thread(rep);
    ck_assert_str_eq(th_str(th, "created_by"), task);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    /* The task exited, yet its chain is there: start_poller <- main_task <- the main thread. */
    json_t *poller = th_unit(rep, task);
    ck_assert_msg(poller != NULL, "creator %s is not among the units", task);
    ck_assert_str_eq(th_str(poller, "start"), "start_poller");
    ck_assert_str_eq(th_str(poller, "state"), "exited");
    json_t *main_task = th_unit(rep, th_str(poller, "created_by"));
    ck_assert_msg(main_task != NULL, "%s's creator is missing", task);
    ck_assert_str_eq(th_str(main_task, "start"), "main_task");
    ck_assert_str_eq(th_str(main_task, "created_by"), "thread:1");
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_thread_created_by_a_task_has_the_tasks_stack_as_creation_stack)
{
    struct th_run r;
    char task[32];
    json_t *rep = run_thread_leak(&r, task, sizeof task);
    json_t *frames = json_object_get(
        th_stack(rep, json_object_get(leaked_thread(rep), "created_stack")), "frames");
    ck_assert_uint_ge(json_array_size(frames), 1);
    if (!TH_SANITIZE) /* ASan's pthread_create interposer precedes ours: it is frame #0 there */
        ck_assert_str_eq(th_str(json_array_get(frames, 0), "function"), "start_poller");
    ck_assert_str_eq(th_str(json_array_get(frames, json_array_size(frames) - 1), "function"),
                     "start_poller"); /* the task's stack ends at its start function */
    size_t i;
    json_t *f;
    json_array_foreach(frames, i, f)
    {
        const char *fn = th_str(f, "function");
        ck_assert_msg(fn == NULL || strncmp(fn, "gor_", 4) != 0, "frame #%zu is gor's %s", i, fn);
        ck_assert_msg(fn == NULL || strncmp(fn, "tl_", 3) != 0, "frame #%zu is ours: %s", i, fn);
    }
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_thread_created_by_a_task_is_not_named_after_the_gor_worker)
{
    struct th_run r;
    char task[32];
    json_t *rep = run_thread_leak(&r, task, sizeof task);
    const char *name = th_str(leaked_thread(rep), "name"); /* it never named itself */
    ck_assert_msg(name == NULL || strncmp(name, "gor-", 4) != 0, "named %s", name);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_report_tool_shows_the_task_as_the_threads_creator)
{
    struct th_run pr;
    char task[32], want[64];
    json_decref(run_thread_leak(&pr, task, sizeof task));
    const char *args[] = {pr.dir, NULL};
    struct tlr_cli_run r = tlr_run(args);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    /* Under ASan the detector's pthread_create is reached through ASan's interceptor, whose
     * own trampoline is the start function it sees: only the creator can be asserted there. */
    snprintf(want, sizeof want, "created by %s, start %s", task,
             th_sanitizer_preload()[0] ? "" : "poll_forever:");
    ck_assert_msg(th_contains(r.out, want), "no \"%s\" in:\n%s", want, r.out);
    ck_assert_msg(th_contains(r.out, "start_poller"), "no start_poller in:\n%s", r.out);
    ck_assert_msg(!th_contains(r.out, "gor_task_trampoline"), "gor's frames in:\n%s", r.out);
    tlr_run_free(&r);
    th_run_free(&pr);
}
END_TEST

Suite *make_scen_gor_polish_suite(void)
{
    Suite *s = suite_create("scen_gor_polish");
    TCase *tc = tcase_create("gor_polish");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, gors_deadlock_dump_names_the_programs_functions_under_the_detector);
    tcase_add_test(tc, gors_deadlock_dump_names_the_same_functions_without_the_detector);
    tcase_add_test(tc, the_deadlock_reports_units_start_at_the_programs_functions);
    tcase_add_test(tc, a_thread_created_by_a_task_is_created_by_that_task);
    tcase_add_test(tc, a_thread_created_by_a_task_has_the_tasks_stack_as_creation_stack);
    tcase_add_test(tc, a_thread_created_by_a_task_is_not_named_after_the_gor_worker);
    tcase_add_test(tc, the_report_tool_shows_the_task_as_the_threads_creator);
    suite_add_tcase(s, tc);
    return s;
}
