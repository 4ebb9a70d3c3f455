/*
 * The gor leak corpus under the detector (issue 7): every goroutine-leak pattern of
 * tests/scenarios/gor_leak_*.c must come out of the exit report as one group of tasks with the
 * right verdict, wait reason and count, the creating function in its creation stack, the blocked
 * function in its blocked stack, and a `created_by` chain back to the unit that spawned it; every
 * fixed twin (gor_fixed_*.c) must report nothing while the detector still saw its tasks.
 *
 * Each expectation is a row of data; the tests are one sentence each over those rows.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tl_gor.h"

/* Sleeping and ticking tasks are not in durable waits, so grace runs in full: 1 s (the default)
 * leaves slow machines and sanitizer builds time to park every task before the verdict. */
#define LEAK_OPTIONS "grace=1s:threshold=0"

struct leak_case {
    const char *prog;
    const char *verdict;      /* "leaked" or "deadlocked" */
    const char *reason;       /* the group's wait reason */
    int count;                /* tasks in the group */
    int status;               /* the program's exit status under the detector */
    const char *start;        /* the leaked tasks' start function */
    const char *blocked_fn;   /* a function named in the blocked stack */
    const char *creator_fn;   /* a function named in the creation stack (the one calling gor_go) */
    const char *const *chain; /* start functions up the created_by chain, NULL-terminated */
};

struct fixed_case {
    const char *prog;
    long tasks; /* tasks the program spawns, gor_main's included */
};

static const char *const from_main[] = {"main_task", NULL};

static const struct leak_case RANGE = {"gor_leak_range_unclosed",
                                       "leaked",
                                       "chan receive",
                                       1,
                                       76,
                                       "consume",
                                       "consume",
                                       "main_task",
                                       from_main};
static const struct leak_case SEND = {"gor_leak_send_after_timeout",
                                      "leaked",
                                      "chan send",
                                      1,
                                      76,
                                      "slow_query",
                                      "slow_query",
                                      "fetch",
                                      from_main};
static const struct leak_case TICKER = {
    "gor_leak_ticker", "leaked",       "chan receive", 1,        76,
    "watch_status",    "watch_status", "main_task",    from_main};
static const struct leak_case CTX = {
    "gor_leak_ctx_not_passed", "leaked", "select", 1, 76, "fetch_part", "fetch_part",
    "handle_request",          from_main};
static const struct leak_case SPAWN = {"gor_leak_unbounded_spawn",
                                       "leaked",
                                       "sleep",
                                       100,
                                       76,
                                       "slow_job",
                                       "slow_job",
                                       "dispatch",
                                       from_main};
static const struct leak_case NILCH = {"gor_leak_nil_chan",
                                       "leaked",
                                       "chan receive (nil chan)",
                                       1,
                                       76,
                                       "listen_events",
                                       "listen_events",
                                       "main_task",
                                       from_main};
static const struct leak_case NOCASE = {"gor_leak_select_no_cases",
                                        "leaked",
                                        "select (no cases)",
                                        1,
                                        76,
                                        "serve",
                                        "serve",
                                        "main_task",
                                        from_main};
static const char *const three_up[] = {"run_session", "accept_loop", "main_task", NULL};
static const struct leak_case DEEP = {
    "gor_leak_three_deep", "leaked",      "chan receive", 1,       76,
    "read_frames",         "read_frames", "run_session",  three_up};
static const struct leak_case PTHREAD = {"gor_leak_task_in_pthread_lock",
                                         "leaked",
                                         "mutex lock",
                                         1,
                                         76,
                                         "update_cache",
                                         "update_cache",
                                         "main_task",
                                         from_main};
static const char *const from_thread[] = {NULL};
/* gor's global deadlock: the gate fails it with exitcode (deadlocked is in the default fail_on),
 * not gor's own status 2. */
static const struct leak_case WG = {"gor_leak_wg_error_path",
                                    "deadlocked",
                                    "WaitGroup wait",
                                    1,
                                    76,
                                    "main_task",
                                    "main_task",
                                    "main",
                                    from_thread};

/* The group of tasks with this verdict and reason, or NULL. */
static json_t *task_group(json_t *rep, const char *verdict, const char *reason)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(rep, "groups"), i, g)
    {
        const char *v = th_str(g, "verdict"), *k = th_str(g, "kind"), *w = th_str(g, "reason");
        if (v && k && w && !strcmp(v, verdict) && !strcmp(k, "task") && !strcmp(w, reason))
            return g;
    }
    return NULL;
}

/* Number of groups of tasks, whatever their verdict. */
static int task_groups(json_t *rep)
{
    size_t i;
    json_t *g;
    int n = 0;
    json_array_foreach(json_object_get(rep, "groups"), i, g)
    {
        const char *k = th_str(g, "kind");
        n += k && !strcmp(k, "task");
    }
    return n;
}

/* Number of task units with this verdict. */
static int task_units(json_t *rep, const char *verdict)
{
    size_t i;
    json_t *u;
    int n = 0;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *v = th_str(u, "verdict"), *k = th_str(u, "kind");
        n += v && k && !strcmp(v, verdict) && !strcmp(k, "task");
    }
    return n;
}

static json_t *run_and_load(struct th_run *r, const char *prog, int want_status)
{
    struct th_opts o = {.prog = prog, .options = LEAK_OPTIONS, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s timed out", prog);
    ck_assert_msg(r->status == want_status, "%s exited %d, want %d; stderr:\n%s", prog, r->status,
                  want_status, r->err);
    json_t *rep = th_report(r, "exit", r->pid);
    ck_assert_msg(rep != NULL, "%s wrote no exit report; stderr:\n%s", prog, r->err);
    return rep;
}

/* Follows created_by from `unit` through the start functions listed in `chain`; the last link
 * must be a thread. */
static void check_chain(json_t *rep, json_t *unit, const char *const *chain)
{
    json_t *u = unit;
    for (const char *const *want = chain; *want; want++) {
        const char *by = th_str(u, "created_by");
        ck_assert_msg(by && !strncmp(by, "task:", 5), "created_by %s, want a task", by);
        u = th_unit(rep, by);
        ck_assert_msg(u != NULL, "created_by %s is not among the units", by);
        ck_assert_str_eq(th_str(u, "start"), *want);
    }
    const char *by = th_str(u, "created_by");
    ck_assert_msg(by && !strncmp(by, "thread:", 7), "chain ends at %s, want a thread", by);
}

/* Frames of the detector itself in a stack from index `from` on: none may show in a task's
 * stacks, except frame #0 of a task blocked in a pthread call (our wrapper, named like it). */
static int detector_frames(json_t *rep, json_t *stack_id, size_t from)
{
    size_t i;
    json_t *f;
    int n = 0;
    json_array_foreach(json_object_get(th_stack(rep, stack_id), "frames"), i, f)
    {
        if (i < from)
            continue;
        json_t *m = json_object_get(f, "module");
        json_t *mod = json_is_integer(m) ? json_array_get(json_object_get(rep, "modules"),
                                                          (size_t)json_integer_value(m))
                                         : NULL;
        const char *path = th_str(mod, "path");
        n += path != NULL && th_contains(path, "libtaskleak.so");
    }
    return n;
}

static json_t *task_by_start(json_t *rep, const char *start)
{
    return th_unit_by_start(rep, "task", start);
}

static void check_leak(const struct leak_case *c)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, c->prog, c->status);
    json_t *g = task_group(rep, c->verdict, c->reason);
    ck_assert_msg(g != NULL, "%s: no %s task group in \"%s\"", c->prog, c->verdict, c->reason);
    ck_assert_int_eq(json_integer_value(json_object_get(g, "count")), c->count);
    ck_assert_int_eq(task_groups(rep), 1);
    ck_assert_int_eq(task_units(rep, c->verdict), c->count);
    /* Nothing else leaked: not gor's worker threads, not the thread waiting in gor_main. */
    ck_assert_int_eq(th_summary(rep, "leaked"), strcmp(c->verdict, "leaked") ? 0 : c->count);
    ck_assert_msg(th_stack_has(rep, json_object_get(g, "created_stack"), c->creator_fn),
                  "%s: creation stack lacks %s", c->prog, c->creator_fn);
    ck_assert_msg(th_stack_has(rep, json_object_get(g, "blocked_stack"), c->blocked_fn),
                  "%s: blocked stack lacks %s", c->prog, c->blocked_fn);
    ck_assert_int_eq(detector_frames(rep, json_object_get(g, "created_stack"), 0), 0);
    ck_assert_int_eq(detector_frames(rep, json_object_get(g, "blocked_stack"), 1), 0);
    const char *id = json_string_value(json_array_get(json_object_get(g, "units"), 0));
    json_t *u = th_unit(rep, id);
    ck_assert_msg(u != NULL, "%s: group unit %s missing from units", c->prog, id);
    ck_assert_str_eq(th_str(u, "kind"), "task");
    ck_assert_str_eq(th_str(u, "start"), c->start);
    ck_assert_str_eq(th_str(u, "state"), "blocked");
    ck_assert_str_eq(th_str(json_object_get(u, "wait"), "reason"), c->reason);
    check_chain(rep, u, c->chain);
    json_decref(rep);
    th_run_free(&r);
}

static void check_fixed(const struct fixed_case *c)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, c->prog, 0);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 0);
    ck_assert_int_eq(task_groups(rep), 0);
    /* The detector did see the tasks: a twin that reports nothing because tasks are invisible
     * would prove nothing. */
    ck_assert_int_eq(th_summary(rep, "tasks_created"), c->tasks);
    json_decref(rep);
    th_run_free(&r);
}

#define LEAK_TEST(name, row)                                                                       \
    START_TEST(name)                                                                               \
    {                                                                                              \
        check_leak(&row);                                                                          \
    }                                                                                              \
    END_TEST
#define FIXED_TEST(name, prog, tasks)                                                              \
    START_TEST(name)                                                                               \
    {                                                                                              \
        const struct fixed_case c = {prog, tasks};                                                 \
        check_fixed(&c);                                                                           \
    }                                                                                              \
    END_TEST

LEAK_TEST(a_range_over_a_channel_never_closed_leaks_the_consumer, RANGE)
LEAK_TEST(a_send_after_the_caller_timed_out_leaks_the_sender, SEND)
LEAK_TEST(a_ticker_never_stopped_leaks_its_listener, TICKER)
LEAK_TEST(a_context_not_passed_down_leaks_the_subtask, CTX)
LEAK_TEST(unbounded_spawning_leaks_every_slow_job_in_one_group, SPAWN)
LEAK_TEST(a_receive_on_a_nil_channel_is_named_so, NILCH)
LEAK_TEST(a_select_with_no_cases_is_named_so, NOCASE)
LEAK_TEST(a_leak_three_spawns_deep_keeps_its_whole_creation_chain, DEEP)
LEAK_TEST(a_skipped_waitgroup_done_is_a_global_deadlock_marked_deadlocked, WG)
LEAK_TEST(a_task_blocked_in_a_pthread_call_shows_as_that_task, PTHREAD)

START_TEST(a_task_blocked_in_a_pthread_call_names_the_call_and_its_thread)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, PTHREAD.prog, PTHREAD.status);
    json_t *g = task_group(rep, "leaked", "mutex lock");
    ck_assert_ptr_nonnull(g);
    json_t *u = th_unit(rep, json_string_value(json_array_get(json_object_get(g, "units"), 0)));
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(th_str(json_object_get(u, "wait"), "call"), "pthread_mutex_lock");
    ck_assert_int_gt(json_integer_value(json_object_get(u, "tid")), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_select_with_a_positive_timeout_is_an_external_wait)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "gor_timed_select", 76);
    json_t *u = task_by_start(rep, "poll_with_timeout");
    ck_assert_msg(u != NULL, "no poll_with_timeout task; stderr:\n%s", r.err);
    json_t *w = json_object_get(u, "wait");
    ck_assert_str_eq(th_str(w, "reason"), "select");
    ck_assert_str_eq(th_str(w, "call"), "gor_select");
    ck_assert_msg(json_is_false(json_object_get(w, "durable")), "a timed select reported durable");
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(set_label_labels_the_tasks_and_threads_spawned_after_it_and_their_children)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "gor_labels", 76);
    static const char *const labelled[] = {"labelled_parent", "labelled_child"};
    for (int i = 0; i < 2; i++) {
        json_t *u = task_by_start(rep, labelled[i]);
        ck_assert_msg(u != NULL, "no %s task; stderr:\n%s", labelled[i], r.err);
        ck_assert_msg(th_str(u, "label") != NULL, "%s has no label", labelled[i]);
        ck_assert_str_eq(th_str(u, "label"), "suite-a");
    }
    json_t *thread = th_unit_by_start(rep, "thread", "labelled_thread");
    if (!TH_SANITIZE) { /* ASan hands us its own start routine */
        ck_assert_msg(thread != NULL, "no labelled_thread thread; stderr:\n%s", r.err);
        ck_assert_msg(th_str(thread, "label") != NULL, "a labelled task's thread has no label");
        ck_assert_str_eq(th_str(thread, "label"), "suite-a");
    }
    json_t *before = task_by_start(rep, "unlabelled_waiter");
    ck_assert_ptr_nonnull(before);
    ck_assert_msg(th_str(before, "label") == NULL, "a task spawned before set_label: \"%s\"",
                  th_str(before, "label"));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

FIXED_TEST(closing_the_ranged_channel_leaks_nothing, "gor_fixed_range_unclosed", 3)
FIXED_TEST(a_buffered_reply_leaks_nothing_after_a_timeout, "gor_fixed_send_after_timeout", 2)
FIXED_TEST(a_stopped_ticker_leaks_nothing, "gor_fixed_ticker", 2)
FIXED_TEST(passing_the_context_down_leaks_nothing, "gor_fixed_ctx_not_passed", 2)
FIXED_TEST(a_bounded_awaited_pool_leaks_nothing, "gor_fixed_unbounded_spawn", 5)
FIXED_TEST(a_made_and_closed_channel_leaks_nothing, "gor_fixed_nil_chan", 2)
FIXED_TEST(a_select_with_a_quit_case_leaks_nothing, "gor_fixed_select_no_cases", 2)
FIXED_TEST(awaiting_every_level_leaks_nothing_three_deep, "gor_fixed_three_deep", 4)
FIXED_TEST(a_done_on_every_path_leaks_nothing, "gor_fixed_wg_error_path", 4)
FIXED_TEST(releasing_the_pthread_mutex_leaks_nothing, "gor_fixed_task_in_pthread_lock", 2)

START_TEST(a_program_without_gor_creates_no_tasks)
{
    struct th_run r;
    struct th_opts o = {.prog = "clean_exit", .options = LEAK_OPTIONS, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, &r), 0);
    json_t *rep = th_report(&r, "exit", r.pid); /* its threads are the core's suites' business */
    ck_assert_msg(rep != NULL, "clean_exit wrote no exit report; stderr:\n%s", r.err);
    ck_assert_int_eq(th_summary(rep, "tasks_created"), 0);
    ck_assert_int_eq(task_groups(rep), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(gor_worker_threads_are_not_reported_as_leaked_threads)
{
    struct th_run r;
    json_t *rep = run_and_load(&r, "gor_leak_range_unclosed", 76);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(rep, "groups"), i, g)
        ck_assert_str_eq(th_str(g, "kind"), "task");
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_watchdog_reports_a_task_blocked_past_the_threshold)
{
    struct th_run r;
    const char *argv[] = {"1500", NULL};
    struct th_opts o = {.prog = "gor_leak_range_unclosed",
                        .argv = argv,
                        .options = "threshold=200ms:interval=100ms:grace=1s",
                        .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, &r), 0);
    json_t *rep = th_report(&r, "watchdog", r.pid);
    ck_assert_msg(rep != NULL, "no watchdog report; stderr:\n%s", r.err);
    json_t *g = task_group(rep, "blocked", "chan receive");
    ck_assert_msg(g != NULL, "no blocked task group in the watchdog report");
    ck_assert_int_eq(json_integer_value(json_object_get(g, "count")), 1);
    ck_assert(th_stack_has(rep, json_object_get(g, "blocked_stack"), "consume"));
    ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(g, "wait_ms"), "max")),
                     200);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(without_the_detector_the_leaky_programs_exit_as_written)
{
    static const char *const progs[] = {"gor_leak_range_unclosed", "gor_leak_three_deep",
                                        "gor_leak_unbounded_spawn"};
    for (size_t i = 0; i < sizeof progs / sizeof progs[0]; i++) {
        struct th_run r;
        struct th_opts o = {.prog = progs[i], .no_preload = true, .timeout_s = 30};
        ck_assert_int_eq(th_run(&o, &r), 0);
        ck_assert_int_eq(r.status, 0);
        ck_assert_int_eq(th_count_reports(&r, NULL), 0);
        th_run_free(&r);
    }
}
END_TEST

/* ---- the engine's pure parts, without any program or interposition ---- */

START_TEST(a_frame_pointer_walk_follows_the_chain_to_its_end)
{
    uintptr_t stk[32] = {0}, ips[8];
    uintptr_t lo = (uintptr_t)stk, hi = (uintptr_t)(stk + 32);
    stk[2] = (uintptr_t)&stk[8]; /* frame at stk[2] -> frame at stk[8] -> frame at stk[20] */
    stk[3] = 0x1111;
    stk[8] = (uintptr_t)&stk[20];
    stk[9] = 0x2222;
    stk[20] = 0; /* the outermost frame: no caller's frame */
    stk[21] = 0x3333;
    ck_assert_int_eq(tl_gor_walk_frames((uintptr_t)&stk[2], lo, hi, ips, 8), 3);
    ck_assert_uint_eq(ips[0], 0x1111);
    ck_assert_uint_eq(ips[1], 0x2222);
    ck_assert_uint_eq(ips[2], 0x3333);
    ck_assert_int_eq(tl_gor_walk_frames((uintptr_t)&stk[2], lo, hi, ips, 2), 2);
}
END_TEST

START_TEST(a_frame_pointer_walk_never_leaves_its_bounds_or_goes_backwards)
{
    uintptr_t stk[32] = {0}, ips[8];
    uintptr_t lo = (uintptr_t)stk, hi = (uintptr_t)(stk + 32);
    stk[4] = (uintptr_t)&stk[2]; /* points back down: a corrupt chain */
    stk[5] = 0x1111;
    ck_assert_int_eq(tl_gor_walk_frames((uintptr_t)&stk[4], lo, hi, ips, 8), 1);
    stk[4] = hi + 256; /* points past the stack: never read */
    ck_assert_int_eq(tl_gor_walk_frames((uintptr_t)&stk[4], lo, hi, ips, 8), 1);
    ck_assert_int_eq(tl_gor_walk_frames(lo - 64, lo, hi, ips, 8), 0);
    ck_assert_int_eq(tl_gor_walk_frames((uintptr_t)&stk[31], lo, hi, ips, 8), 0);
    ck_assert_int_eq(tl_gor_walk_frames((uintptr_t)&stk[4] + 1, lo, hi, ips, 8), 0);
}
END_TEST

START_TEST(every_gor_wait_reason_names_its_call_and_durability)
{
    bool durable;
    ck_assert_str_eq(tl_gor_reason_call("chan receive (nil chan)", &durable), "gor_chan_recv");
    ck_assert(durable);
    ck_assert_str_eq(tl_gor_reason_call("select (no cases)", &durable), "gor_select");
    ck_assert(durable);
    ck_assert_str_eq(tl_gor_reason_call("WaitGroup wait", &durable), "gor_wg_wait");
    ck_assert(durable);
    ck_assert_str_eq(tl_gor_reason_call("sleep", &durable), "gor_sleep");
    ck_assert(!durable);
    ck_assert_str_eq(tl_gor_reason_call("IO wait", &durable), "gor_fd_wait");
    ck_assert(!durable);
    ck_assert_ptr_null(tl_gor_reason_call("cond wait", &durable));
    ck_assert(!durable);
}
END_TEST

START_TEST(without_gor_in_the_process_there_are_no_tasks)
{
    struct tl_gor_snapshot s;
    ck_assert(!tl_gor_init()); /* the runner links libgor.a but does not export its symbols */
    ck_assert(!tl_gor_present());
    ck_assert_int_eq(tl_gor_snapshot_take(&s, 32), 0);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_uint_eq(tl_gor_tasks_created(), 0);
    ck_assert_int_eq(tl_gor_current_task(), 0);
    ck_assert(!tl_gor_runtime_thread((uintptr_t)tl_gor_init));
    ck_assert(!tl_gor_created_by_runtime(0));
    uint64_t sig = 1;
    ck_assert_int_eq(tl_gor_scan_stuck(0, &sig, NULL, NULL, NULL), 0);
    ck_assert_uint_eq(sig, 0);
    tl_gor_snapshot_free(&s);
}
END_TEST

static TCase *engine_case(void)
{
    TCase *tc = tcase_create("engine");
    tcase_add_test(tc, a_frame_pointer_walk_follows_the_chain_to_its_end);
    tcase_add_test(tc, a_frame_pointer_walk_never_leaves_its_bounds_or_goes_backwards);
    tcase_add_test(tc, every_gor_wait_reason_names_its_call_and_durability);
    tcase_add_test(tc, without_gor_in_the_process_there_are_no_tasks);
    return tc;
}

static TCase *leak_case(void)
{
    TCase *tc = tcase_create("leaks");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_range_over_a_channel_never_closed_leaks_the_consumer);
    tcase_add_test(tc, a_send_after_the_caller_timed_out_leaks_the_sender);
    tcase_add_test(tc, a_ticker_never_stopped_leaks_its_listener);
    tcase_add_test(tc, a_context_not_passed_down_leaks_the_subtask);
    tcase_add_test(tc, unbounded_spawning_leaks_every_slow_job_in_one_group);
    tcase_add_test(tc, a_receive_on_a_nil_channel_is_named_so);
    tcase_add_test(tc, a_select_with_no_cases_is_named_so);
    tcase_add_test(tc, a_leak_three_spawns_deep_keeps_its_whole_creation_chain);
    tcase_add_test(tc, a_skipped_waitgroup_done_is_a_global_deadlock_marked_deadlocked);
    tcase_add_test(tc, a_task_blocked_in_a_pthread_call_shows_as_that_task);
    tcase_add_test(tc, a_task_blocked_in_a_pthread_call_names_the_call_and_its_thread);
    tcase_add_test(tc, gor_worker_threads_are_not_reported_as_leaked_threads);
    tcase_add_test(tc, the_watchdog_reports_a_task_blocked_past_the_threshold);
    tcase_add_test(tc, a_select_with_a_positive_timeout_is_an_external_wait);
    tcase_add_test(tc, set_label_labels_the_tasks_and_threads_spawned_after_it_and_their_children);
    return tc;
}

static TCase *fixed_case(void)
{
    TCase *tc = tcase_create("fixed twins");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, closing_the_ranged_channel_leaks_nothing);
    tcase_add_test(tc, a_buffered_reply_leaks_nothing_after_a_timeout);
    tcase_add_test(tc, a_stopped_ticker_leaks_nothing);
    tcase_add_test(tc, passing_the_context_down_leaks_nothing);
    tcase_add_test(tc, a_bounded_awaited_pool_leaks_nothing);
    tcase_add_test(tc, a_made_and_closed_channel_leaks_nothing);
    tcase_add_test(tc, a_select_with_a_quit_case_leaks_nothing);
    tcase_add_test(tc, awaiting_every_level_leaks_nothing_three_deep);
    tcase_add_test(tc, a_done_on_every_path_leaks_nothing);
    tcase_add_test(tc, releasing_the_pthread_mutex_leaks_nothing);
    tcase_add_test(tc, a_program_without_gor_creates_no_tasks);
    tcase_add_test(tc, without_the_detector_the_leaky_programs_exit_as_written);
    return tc;
}

Suite *make_scen_gor_suite(void)
{
    Suite *s = suite_create("scen_gor");
    suite_add_tcase(s, engine_case());
    suite_add_tcase(s, leak_case());
    suite_add_tcase(s, fixed_case());
    return s;
}
