/*
 * The watchdog, deadlock cycles and dumps on demand (issue 6), seen from outside: each test runs a
 * scenario program (tests/scenarios/wd_*.c) under the detector and asserts on the JSON reports it
 * left. Programs that must show what the watchdog said while something was still blocked copy the
 * watchdog report themselves (wd_common.h), since it is rewritten once the block ends.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/tlr_test.h"
#include "harness.h"

#define WD_FAST "threshold=1s:interval=200ms"

static const char *str_of(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Whether unit u runs `fn`: its start function, or a frame of its blocked stack (under ASan the
 * start routine we see is the sanitizer's own thread trampoline). */
static bool runs(json_t *rep, json_t *u, const char *fn)
{
    const char *s = str_of(u, "start");
    return (s != NULL && strcmp(s, fn) == 0) ||
           th_stack_has(rep, json_object_get(u, "blocked_stack"), fn);
}

/* The first unit running `fn`, or NULL. */
static json_t *unit_started_by(json_t *rep, const char *fn)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        if (runs(rep, u, fn))
            return u;
    }
    return NULL;
}

static int occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* Lines of text containing both a and b. */
static int lines_with(const char *text, const char *a, const char *b)
{
    int n = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
        n += strstr(buf, a) != NULL && strstr(buf, b) != NULL;
        line = end ? end + 1 : NULL;
    }
    return n;
}

static void run_ok(struct th_run *r, const char *prog, const char *options, const char *arg)
{
    const char *argv[] = {arg, NULL};
    struct th_opts o = {
        .prog = prog, .options = options, .argv = arg ? argv : NULL, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s timed out; stderr:\n%s", prog, r->err);
}

START_TEST(a_thread_blocked_on_a_mutex_is_reported_while_blocked_with_its_owner_and_stack)
{
    struct th_run r;
    run_ok(&r, "wd_mutex_hold", WD_FAST, NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert(th_contains(r.out, "done"));
    json_t *rep = th_report(&r, "while-blocked", 0);
    ck_assert_msg(rep != NULL, "no watchdog report while blocked; stderr:\n%s", r.err);
    ck_assert_str_eq(str_of(rep, "kind"), "watchdog");
    json_t *waiter = unit_started_by(rep, "wait_for_lock");
    json_t *holder = unit_started_by(rep, "hold_lock");
    ck_assert(waiter != NULL && holder != NULL);
    ck_assert_str_eq(str_of(waiter, "verdict"), "blocked");
    json_t *wait = json_object_get(waiter, "wait");
    ck_assert_str_eq(str_of(wait, "reason"), "mutex lock");
    ck_assert_str_eq(str_of(wait, "owner"), str_of(holder, "id"));
    ck_assert(th_stack_has(rep, json_object_get(waiter, "blocked_stack"), "wait_for_lock"));
    ck_assert(th_group_count(rep, "blocked", "mutex lock") >= 1);
    /* said once when it crossed the threshold; at most one repeat (doubling) before it ended */
    ck_assert_int_eq(lines_with(r.err, "[mutex lock,", "(new)"), 1);
    ck_assert_int_le(lines_with(r.err, "[mutex lock,", "blocked ("), 2);
    json_decref(rep);
    json_t *ex = th_report(&r, "exit", r.pid);
    ck_assert(ex != NULL);
    ck_assert_int_eq(th_summary(ex, "leaked"), 0);
    ck_assert_int_eq(th_summary(ex, "deadlocked"), 0);
    json_decref(ex);
    th_run_free(&r);
}
END_TEST

START_TEST(a_reader_blocked_on_an_rwlock_names_the_writer_as_owner)
{
    struct th_run r;
    run_ok(&r, "wd_rwlock", WD_FAST, NULL);
    ck_assert_int_eq(r.status, 0);
    json_t *rep = th_report(&r, "while-blocked", 0);
    ck_assert_msg(rep != NULL, "no watchdog report while blocked; stderr:\n%s", r.err);
    json_t *reader = unit_started_by(rep, "read_later");
    json_t *writer = unit_started_by(rep, "write_slowly");
    ck_assert(reader != NULL && writer != NULL);
    ck_assert_str_eq(str_of(reader, "verdict"), "blocked");
    json_t *wait = json_object_get(reader, "wait");
    ck_assert_str_eq(str_of(wait, "reason"), "rwlock read");
    ck_assert_str_eq(str_of(wait, "owner"), str_of(writer, "id"));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(threshold_zero_turns_the_watchdog_off)
{
    struct th_run r;
    run_ok(&r, "wd_mutex_hold", "threshold=0:interval=100ms", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(th_count_reports(&r, "watchdog"), 0);
    ck_assert(!th_contains(r.err, "taskleak: watchdog:"));
    th_run_free(&r);
}
END_TEST

START_TEST(fail_on_blocked_fails_the_gate_after_a_long_block)
{
    struct th_run r;
    run_ok(&r, "wd_mutex_hold", WD_FAST ":fail_on=blocked", NULL);
    ck_assert_int_eq(r.status, 76);
    th_run_free(&r);
}
END_TEST

/* The ABBA report names both threads, both mutexes (as printed by the program) and both stacks. */
static void check_abba(json_t *rep, const char *out)
{
    json_t *ab = unit_started_by(rep, "lock_a_then_b"), *ba = unit_started_by(rep, "lock_b_then_a");
    ck_assert(ab != NULL && ba != NULL);
    ck_assert_str_eq(str_of(ab, "verdict"), "deadlocked");
    ck_assert_str_eq(str_of(ba, "verdict"), "deadlocked");
    ck_assert(th_stack_has(rep, json_object_get(ab, "blocked_stack"), "lock_a_then_b"));
    ck_assert(th_stack_has(rep, json_object_get(ba, "blocked_stack"), "lock_b_then_a"));
    json_t *dl = json_object_get(rep, "deadlocks");
    ck_assert_int_eq(json_array_size(dl), 1);
    json_t *d = json_array_get(dl, 0), *units = json_object_get(d, "units");
    json_t *objects = json_object_get(d, "objects");
    ck_assert_int_eq(json_array_size(units), 2);
    ck_assert_int_eq(json_array_size(objects), 2);
    const char *u0 = json_string_value(json_array_get(units, 0));
    const char *u1 = json_string_value(json_array_get(units, 1));
    ck_assert(u0 && u1);
    ck_assert((!strcmp(u0, str_of(ab, "id")) && !strcmp(u1, str_of(ba, "id"))) ||
              (!strcmp(u0, str_of(ba, "id")) && !strcmp(u1, str_of(ab, "id"))));
    unsigned long a = 0, b = 0;
    ck_assert(sscanf(strstr(out, "lock_a="), "lock_a=%lx lock_b=%lx", &a, &b) == 2);
    char sa[32], sb[32];
    snprintf(sa, sizeof sa, "0x%lx", a);
    snprintf(sb, sizeof sb, "0x%lx", b);
    const char *o0 = json_string_value(json_array_get(objects, 0));
    const char *o1 = json_string_value(json_array_get(objects, 1));
    ck_assert((!strcmp(o0, sa) && !strcmp(o1, sb)) || (!strcmp(o0, sb) && !strcmp(o1, sa)));
    /* each member waits for the object listed beside it */
    json_t *w0 = json_object_get(th_unit(rep, u0), "wait");
    ck_assert_str_eq(str_of(w0, "object"), o0);
    ck_assert_str_eq(str_of(w0, "owner"), u1);
}

/* Runs a cycle scenario (it copies the watchdog's deadlock report aside, then exits) and checks
 * the watchdog's and the exit report with `check`; the exit gate fails with 76. */
static void run_cycle(struct th_run *r, const char *prog, void (*check)(json_t *, const char *))
{
    run_ok(r, prog, WD_FAST ":grace=200ms:fail_on=leaked,deadlocked", NULL);
    ck_assert_int_eq(r->status, 76);
    json_t *wd = th_report(r, "while-deadlocked", 0);
    ck_assert_msg(wd != NULL, "no watchdog deadlock report; stderr:\n%s", r->err);
    check(wd, r->out);
    json_decref(wd);
    json_t *ex = th_report(r, "exit", r->pid);
    ck_assert(ex != NULL);
    check(ex, r->out);
    ck_assert_int_eq(th_summary(ex, "deadlocked"), 2);
    json_decref(ex);
}

START_TEST(an_abba_deadlock_is_named_at_the_watchdog_and_at_exit)
{
    struct th_run r;
    run_cycle(&r, "wd_abba", check_abba);
    ck_assert(th_contains(r.err, "and waits for mutex lock_")); /* named: lock_a, lock_b */
    ck_assert(th_contains(r.err, "which waits for mutex lock_"));
    th_run_free(&r);
}
END_TEST

/* The join cycle: main joins the worker, the worker waits for the mutex main holds. */
static void check_join_cycle(json_t *rep, const char *out)
{
    json_t *worker = unit_started_by(rep, "reload_config"), *main_unit = th_unit(rep, "thread:1");
    ck_assert(worker != NULL && main_unit != NULL);
    ck_assert_str_eq(str_of(worker, "verdict"), "deadlocked");
    ck_assert_str_eq(str_of(main_unit, "verdict"), "deadlocked");
    unsigned long lock = 0, handle = 0;
    ck_assert(sscanf(strstr(out, "config_lock="), "config_lock=%lx worker=%lx", &lock, &handle) ==
              2);
    char slock[32], shandle[32];
    snprintf(slock, sizeof slock, "0x%lx", lock);
    snprintf(shandle, sizeof shandle, "0x%lx", handle);
    json_t *mw = json_object_get(main_unit, "wait"), *ww = json_object_get(worker, "wait");
    ck_assert_str_eq(str_of(mw, "reason"), "join");
    ck_assert_str_eq(str_of(mw, "object"), shandle);
    ck_assert_str_eq(str_of(mw, "owner"), str_of(worker, "id"));
    ck_assert_str_eq(str_of(ww, "reason"), "mutex lock");
    ck_assert_str_eq(str_of(ww, "object"), slock);
    ck_assert_str_eq(str_of(ww, "owner"), "thread:1");
    json_t *dl = json_object_get(rep, "deadlocks");
    ck_assert_int_eq(json_array_size(dl), 1);
    ck_assert_int_eq(json_array_size(json_object_get(json_array_get(dl, 0), "units")), 2);
    ck_assert(th_stack_has(rep, json_object_get(worker, "blocked_stack"), "reload_config"));
    ck_assert(th_stack_has(rep, json_object_get(main_unit, "blocked_stack"), "main"));
}

START_TEST(a_thread_joining_a_worker_that_waits_for_its_mutex_is_a_deadlock)
{
    struct th_run r;
    run_cycle(&r, "wd_join_cycle", check_join_cycle);
    ck_assert_msg(th_contains(r.err, "and waits to join thread:"), "%s", r.err);
    ck_assert_msg(th_contains(r.err, "  waits to join thread:"), "%s", r.err); /* the group */
    ck_assert_msg(th_contains(r.err, "which waits for mutex config_lock (wd_join_cycle+0x"), "%s",
                  r.err);
    /* taskleak-report tells the cycle from the exit report in the detector's own words */
    char exit_file[600];
    snprintf(exit_file, sizeof exit_file, "%s/taskleak.%d.exit.json", r.dir, r.pid);
    const char *args[] = {exit_file, NULL};
    struct tlr_cli_run t = tlr_run(args);
    ck_assert_msg(th_contains(t.out, "  thread:1 holds mutex config_lock (wd_join_cycle+0x") &&
                      th_contains(t.out, ") and waits to join thread:2,\n"),
                  "%s", t.out);
    ck_assert_msg(th_contains(t.out, "  which waits for mutex config_lock (wd_join_cycle+0x"),
                  "%s", t.out);
    tlr_run_free(&t);
    th_run_free(&r);
}
END_TEST

START_TEST(a_mutex_whose_owner_exited_holding_it_is_a_deadlock_naming_that_owner)
{
    struct th_run r;
    run_ok(&r, "wd_orphan", WD_FAST ":grace=200ms", NULL);
    json_t *rep = th_report(&r, "while-orphaned", 0);
    ck_assert_msg(rep != NULL, "no watchdog report naming the orphan; stderr:\n%s", r.err);
    json_t *waiter = unit_started_by(rep, "wait_forever");
    ck_assert(waiter != NULL);
    ck_assert_str_eq(str_of(waiter, "verdict"), "deadlocked");
    json_t *wait = json_object_get(waiter, "wait");
    ck_assert_str_eq(str_of(wait, "owner"), "thread:2"); /* leave_locked, gone */
    ck_assert_ptr_null(th_unit(rep, "thread:2"));
    json_t *d = json_array_get(json_object_get(rep, "deadlocks"), 0);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "units"), 0)),
                     str_of(waiter, "id"));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(d, "objects"), 0)),
                     str_of(wait, "object"));
    ck_assert(th_contains(r.err, "owner thread:2 exited while holding mutex lock (wd_orphan+0x"));
    json_decref(rep);
    json_t *ex = th_report(&r, "exit", r.pid);
    ck_assert(ex != NULL);
    ck_assert_int_eq(th_summary(ex, "deadlocked"), 1);
    json_decref(ex);
    th_run_free(&r);
}
END_TEST

START_TEST(the_dump_signal_writes_a_dump_of_a_thousand_waiting_threads)
{
    struct th_run r;
    run_ok(&r, "wd_dump_many", NULL, NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(th_contains(r.out, "dump seen"), "stderr:\n%s", r.err);
    json_t *rep = th_report(&r, "dump-1", r.pid);
    ck_assert(rep != NULL);
    ck_assert_str_eq(str_of(rep, "kind"), "dump");
    ck_assert_int_ge(th_summary(rep, "alive"), 1001);
    size_t i, waiting = 0;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *reason = str_of(json_object_get(u, "wait"), "reason");
        waiting += reason && !strcmp(reason, "cond wait") && runs(rep, u, "wait_for_go");
    }
    ck_assert_int_eq(waiting, 1000);
    ck_assert(th_contains(r.err, "dump-1 written to"));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_sigkilled_process_leaves_a_valid_last_watchdog_report)
{
    struct th_run r;
    struct th_opts o = {
        .prog = "wd_killed", .options = "threshold=200ms:interval=50ms", .timeout_s = 3};
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert(r.timed_out);
    ck_assert_int_eq(r.status, 128 + 9);
    json_t *rep = th_report(&r, "watchdog", r.pid);
    ck_assert_msg(rep != NULL, "watchdog report missing or torn; stderr:\n%s", r.err);
    ck_assert_str_eq(str_of(rep, "schema"), "taskleak/1");
    json_t *stuck = unit_started_by(rep, "blocked_forever");
    ck_assert(stuck != NULL);
    ck_assert_str_eq(str_of(stuck, "verdict"), "blocked");
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(the_watchdog_never_keeps_a_process_alive_after_main_calls_pthread_exit)
{
    struct th_run r;
    struct th_opts o = {.prog = "wd_main_exits", .options = WD_FAST, .timeout_s = 10};
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(!r.timed_out, "the process outlived its last thread");
    ck_assert_int_eq(r.status, 0);
    ck_assert(th_contains(r.out, "worker done"));
    th_run_free(&r);
}
END_TEST

START_TEST(a_single_threaded_program_gets_no_watchdog_thread)
{
    struct th_run r;
    run_ok(&r, "wd_single", "threshold=100ms:interval=50ms", NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(th_contains(r.out, "threads 1 single 1"), "out: %s", r.out);
    th_run_free(&r);
}
END_TEST

START_TEST(a_storm_of_dump_signals_during_lock_traffic_changes_nothing_and_coalesces)
{
    struct th_run r;
    run_ok(&r, "wd_storm", NULL, NULL);
    ck_assert_int_eq(r.status, 0);
    ck_assert(th_contains(r.out, "total 800000"));
    int dumps = th_count_reports(&r, ".dump-");
    ck_assert_int_ge(dumps, 1);
    ck_assert_int_lt(dumps, 10000);
    json_t *rep = th_report(&r, "dump-1", r.pid);
    ck_assert(rep != NULL);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

static void check_program_keeps_sigusr2(const char *how)
{
    struct th_run r;
    run_ok(&r, "wd_own_signal", NULL, how);
    ck_assert_msg(r.status == 0, "the program's handler did not run 3 times: %s", r.out);
    ck_assert(th_contains(r.out, "handled 3"));
    ck_assert_int_eq(th_count_reports(&r, "dump"), 0);
    ck_assert_int_eq(occurrences(r.err, "its own handler for SIGUSR2"), 1);
    th_run_free(&r);
}

START_TEST(a_program_that_installs_a_sigusr2_handler_with_sigaction_keeps_it)
{
    check_program_keeps_sigusr2("sigaction");
}
END_TEST

START_TEST(a_program_that_installs_a_sigusr2_handler_with_signal_keeps_it)
{
    check_program_keeps_sigusr2("signal");
}
END_TEST

Suite *make_scen_watchdog_suite(void)
{
    Suite *s = suite_create("scen_watchdog");
    TCase *tc = tcase_create("watchdog");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc,
                   a_thread_blocked_on_a_mutex_is_reported_while_blocked_with_its_owner_and_stack);
    tcase_add_test(tc, a_reader_blocked_on_an_rwlock_names_the_writer_as_owner);
    tcase_add_test(tc, threshold_zero_turns_the_watchdog_off);
    tcase_add_test(tc, fail_on_blocked_fails_the_gate_after_a_long_block);
    tcase_add_test(tc, an_abba_deadlock_is_named_at_the_watchdog_and_at_exit);
    tcase_add_test(tc, a_thread_joining_a_worker_that_waits_for_its_mutex_is_a_deadlock);
    tcase_add_test(tc, a_mutex_whose_owner_exited_holding_it_is_a_deadlock_naming_that_owner);
    tcase_add_test(tc, a_sigkilled_process_leaves_a_valid_last_watchdog_report);
    tcase_add_test(tc, the_watchdog_never_keeps_a_process_alive_after_main_calls_pthread_exit);
    tcase_add_test(tc, a_single_threaded_program_gets_no_watchdog_thread);
    suite_add_tcase(s, tc);
    TCase *dump = tcase_create("dumps");
    tcase_set_timeout(dump, 120);
    tcase_add_test(dump, the_dump_signal_writes_a_dump_of_a_thousand_waiting_threads);
    tcase_add_test(dump, a_storm_of_dump_signals_during_lock_traffic_changes_nothing_and_coalesces);
    tcase_add_test(dump, a_program_that_installs_a_sigusr2_handler_with_sigaction_keeps_it);
    tcase_add_test(dump, a_program_that_installs_a_sigusr2_handler_with_signal_keeps_it);
    suite_add_tcase(s, dump);
    return s;
}
