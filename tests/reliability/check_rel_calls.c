/*
 * Hostile hosts (docs/hostile-hosts.md), the calls themselves: every wrapped call returns what it
 * returns without the detector (value, errno, EINTR from the program's own signals), signal
 * handlers and cancellation in each wait, syscall's arguments, and the mutex kinds glibc has
 * (robust, error-checking, recursive, priority-inheritance).
 * Where the detector must be invisible the run is compared byte for byte with a run without it;
 * where it must see something the JSON report is checked.
 */
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel_test.h"

/* ---- cases 29-32: results, errno, EINTR, handlers, cancellation ---- */

START_TEST(every_wrapped_call_returns_the_same_value_and_errno_as_without_the_detector)
{
    const char *args[] = {"table", NULL};
    char *out = rel_same_as_baseline("rel_errno", args, 60);
    ck_assert_msg(th_contains(out, "sem_timedwait ETIMEDOUT      ret=-1   errno=ETIMEDOUT"), "%s",
                  out);
    ck_assert_msg(th_contains(out, "futex wait wrong value       ret=-1   errno=EAGAIN"), "%s",
                  out);
    ck_assert_msg(th_contains(out, "mutex_timedlock held         ret=110  errno=untouched"), "%s",
                  out);
    ck_assert_msg(th_contains(out, "syscall bad number           ret=-1   errno=ENOSYS"), "%s",
                  out);
    free(out);
}
END_TEST

START_TEST(app_signals_interrupt_wrapped_calls_exactly_as_without_the_detector)
{
    const char *args[] = {"eintr", NULL};
    char *out = rel_same_as_baseline("rel_errno", args, 60);
    ck_assert_msg(th_contains(out, "read norestart               ret=-1   errno=EINTR"), "%s", out);
    ck_assert_msg(th_contains(out, "read restart                 ret=1    errno=untouched"), "%s",
                  out);
    ck_assert_msg(th_contains(out, "handler ran 8 times"), "%s", out);
    free(out);
}
END_TEST

START_TEST(our_dump_signal_never_surfaces_as_eintr_in_the_app)
{
    const char *args[] = {"dumpsig", NULL};
    struct th_run r;
    rel_run(&r, "rel_errno", args, REL_OPTS, true, 60);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "read across dump signals     ret=4    errno=untouched\n"
                            "join cond waiter             ret=0    errno=untouched\n");
    ck_assert_int_ge(th_count_reports(&r, "dump-"), 1);
    th_run_free(&r);
}
END_TEST

START_TEST(sem_post_from_an_app_signal_handler_100000_times_neither_deadlocks_nor_loses_a_post)
{
    const char *args[] = {"sempost", "100000", NULL};
    struct th_run r;
    rel_run(&r, "rel_errno", args, REL_OPTS, true, 120);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "posted 100000 of 100000\n");
    th_run_free(&r);
}
END_TEST

START_TEST(cancelling_a_thread_in_each_wait_runs_its_cleanup_and_leaves_nothing_behind)
{
    const char *args[] = {"cancel", NULL};
    char *out = rel_same_as_baseline("rel_errno", args, 60);
    static const char *const waits[] = {"cond wait", "sem_wait", "join", "read", "nanosleep"};
    for (int i = 0; i < 5; i++) {
        char line[128];
        snprintf(line, sizeof line, "cancel in %s: canceled=1 cleanups=%d mutex_free=1", waits[i],
                 i == 0 ? 2 : 1);
        ck_assert_msg(th_contains(out, line), "missing \"%s\" in\n%s", line, out);
    }
    free(out);
    struct th_run r;
    rel_run(&r, "rel_errno", args, REL_OPTS, true, 60);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    ck_assert_int_eq(th_summary(rep, "alive"), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_cancelled_thread_that_blocks_again_in_its_cleanup_shows_its_new_wait)
{
    const char *args[] = {"relock", NULL};
    struct th_run r;
    rel_run(&r, "rel_errno", args, REL_OPTS, true, 60);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%.1500s", r.status, r.err);
    ck_assert_str_eq(r.out, "relock: canceled=1\n");
    json_t *dump = th_report(&r, "dump-1", r.pid);
    ck_assert_ptr_nonnull(dump);
    json_t *u = th_unit(dump, "thread:2"); /* the cancelled thread, main's first */
    ck_assert_msg(u != NULL, "units: %s", rel_units(dump));
    json_t *wait = json_object_get(u, "wait");
    const char *reason = json_string_value(json_object_get(wait, "reason"));
    ck_assert_msg(reason && strcmp(reason, "mutex lock") == 0, "thread:2 waits in %s",
                  reason ? reason : "nothing");
    ck_assert(th_stack_has(dump, json_object_get(u, "blocked_stack"), "unlock_then_relock"));
    json_decref(dump);
    th_run_free(&r);
}
END_TEST

START_TEST(syscall_passes_every_argument_each_futex_operation_and_mmap_take)
{
    const char *args[] = {"syscall", NULL};
    char *out = rel_same_as_baseline("rel_errno", args, 60);
    static const char *const lines[] = {
        "wait_bitset bitset 0         ret=-1   errno=EINVAL",
        "wait_bitset times out        ret=-1   errno=ETIMEDOUT",
        "wake_bitset its bit          ret=1    errno=0",
        "wake_op stored               ret=7    errno=0",
        "cmp_requeue mismatch         ret=-1   errno=EAGAIN",
        "mmap offset 1                ret=-1   errno=EINVAL",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        ck_assert_msg(th_contains(out, lines[i]), "missing \"%s\" in\n%s", lines[i], out);
    free(out);
}
END_TEST

START_TEST(cancelling_a_cpp_thread_unwinds_its_raii_guard_and_frees_the_mutex)
{
    const char *args[] = {"raii", NULL};
    char *out = rel_same_as_baseline("rel_cxx", args, 60);
    ck_assert_str_eq(out, "raii guard destroyed\ncanceled 1 mutex free 1\n");
    free(out);
}
END_TEST

/* ---- cases 35-36: mutex kinds ---- */

START_TEST(robust_errorcheck_recursive_and_pi_mutexes_return_what_glibc_returns)
{
    char *out = rel_same_as_baseline("rel_mutex", NULL, 60);
    ck_assert_msg(th_contains(out, "robust lock after owner died     Owner died"), "%s", out);
    ck_assert_msg(th_contains(out, "errorcheck self relock           Resource deadlock avoided"),
                  "%s", out);
    ck_assert_msg(th_contains(out, "recursive lock 2                 0"), "%s", out);
    ck_assert_msg(th_contains(out, "pi trylock other thread          Device or resource busy"),
                  "%s", out);
    free(out);
}
END_TEST

START_TEST(self_relocks_that_glibc_refuses_are_not_reported_as_deadlocks)
{
    struct th_run r;
    rel_run(&r, "rel_mutex", NULL, REL_OPTS ":fail_on=leaked,deadlocked", true, 60);
    ck_assert_int_eq(r.status, 0);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    ck_assert_int_eq(json_array_size(json_object_get(rep, "deadlocks")), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

Suite *make_rel_calls_suite(void)
{
    Suite *s = suite_create("rel_calls");
    TCase *calls = tcase_create("calls");
    tcase_set_timeout(calls, 150);
    tcase_add_test(calls,
                   every_wrapped_call_returns_the_same_value_and_errno_as_without_the_detector);
    tcase_add_test(calls, app_signals_interrupt_wrapped_calls_exactly_as_without_the_detector);
    tcase_add_test(calls, our_dump_signal_never_surfaces_as_eintr_in_the_app);
    tcase_add_test(
        calls, sem_post_from_an_app_signal_handler_100000_times_neither_deadlocks_nor_loses_a_post);
    tcase_add_test(calls,
                   cancelling_a_thread_in_each_wait_runs_its_cleanup_and_leaves_nothing_behind);
    tcase_add_test(calls, a_cancelled_thread_that_blocks_again_in_its_cleanup_shows_its_new_wait);
    tcase_add_test(calls, cancelling_a_cpp_thread_unwinds_its_raii_guard_and_frees_the_mutex);
    tcase_add_test(calls, robust_errorcheck_recursive_and_pi_mutexes_return_what_glibc_returns);
    tcase_add_test(calls, self_relocks_that_glibc_refuses_are_not_reported_as_deadlocks);
    suite_add_tcase(s, calls);
    TCase *hosts = tcase_create("hosts");
    tcase_set_timeout(hosts, 150);
    tcase_add_test(hosts, syscall_passes_every_argument_each_futex_operation_and_mmap_take);
    suite_add_tcase(s, hosts);
    return s;
}
