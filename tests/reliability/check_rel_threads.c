/*
 * Hostile hosts (docs/hostile-hosts.md), threads the detector did not make or cannot unwind:
 * raw clone, AIO and SIGEV_THREAD timers, the detector dlopened into a running process, 16 KiB
 * stacks, single-threaded programs, the mutex a cond wait reacquires, the ways a thread ends, many
 * parked threads dumped, and frames without unwind information.
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

/* ---- cases 11, 13, 42, 49: foreign threads, late load, tiny stacks, one thread ---- */

START_TEST(raw_clone_aio_and_sigev_thread_timers_run_and_are_never_a_deadlock)
{
    const char *args[] = {"foreign", NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args, REL_OPTS ":exitcode=0:fail_on=leaked,deadlocked", true, 30);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "clone shared=42 status=0\naio wrote 11\ntimer fired 3\n");
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 0);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    { /* glibc's helper threads were created behind the interposer: marked so */
        if (strcmp(th_str(u, "verdict") ? th_str(u, "verdict") : "", "leaked") == 0)
            ck_assert_msg(json_is_true(json_object_get(u, "unknown_origin")),
                          "%s leaked without unknown_origin", th_str(u, "id"));
    }
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(dlopen_of_the_detector_into_a_running_process_finds_the_existing_threads)
{
    const char *args[] = {"dlopen", th_path("lib/libtaskleak.so"), NULL};
    char lib[1024];
    snprintf(lib, sizeof lib, "%s", args[1]);
    args[1] = lib;
    struct th_run r;
    rel_run(&r, "rel_misc", args, NULL, false, 30);
    ck_assert_msg(r.status == 0, "status %d; out:\n%s\nstderr:\n%.1500s", r.status, r.out, r.err);
    ck_assert_str_eq(r.out, "active 1\ncheck returned 2\njoined\n");
    ck_assert(!th_contains(r.err, "static TLS"));
    ck_assert_msg(th_contains(r.err, "thread:?"), "the check did not list the threads it found");
    th_run_free(&r);
}
END_TEST

START_TEST(a_thread_with_a_16k_stack_can_block_create_and_be_dumped)
{
    const char *args[] = {"small_stack", NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args, REL_OPTS, true, 30);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%.1500s", r.status, r.err);
    ck_assert_str_eq(r.out, "small stack 16384 ok\n");
    json_t *dump = th_report(&r, "dump-1", r.pid);
    ck_assert_ptr_nonnull(dump);
    json_t *g = th_group(dump, NULL, "semaphore");
    char *text = json_dumps(dump, 0);
    ck_assert_msg(g != NULL || th_contains(text, "small_worker"),
                  "the parked small-stack thread is not in the dump");
    free(text);
    json_decref(dump);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_single_threaded_program_gets_no_watchdog_thread)
{
    const char *args[] = {"single", NULL};
    char *out = rel_same_as_baseline("rel_misc", args, 30);
    ck_assert_str_eq(out, "tasks 1 single_threaded 1\n");
    free(out);
}
END_TEST

/* ---- cases 8, 34, 41 ---- */

START_TEST(a_mutex_reacquired_inside_cond_wait_is_owned_and_its_deadlock_found)
{
    const char *args[] = {"cond_owner", NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args,
            "grace=200ms:threshold=1s:interval=200ms:fail_on=leaked,deadlocked", true, 60);
    ck_assert_int_eq(r.status, 76);
    json_t *rep = rel_exit_report(&r);
    ck_assert_msg(th_summary(rep, "deadlocked") == 2, "units: %s", rel_units(rep));
    ck_assert_int_eq(json_array_size(json_object_get(rep, "deadlocks")), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(threads_ending_by_return_or_deep_pthread_exit_joined_or_detached_end_once)
{
    const char *args[] = {"thread_exits", NULL};
    struct th_run r;
    json_t *rep = rel_run_clean(&r, "rel_misc", args, NULL, 30, "four threads ended\n");
    ck_assert_int_eq(th_summary(rep, "threads_created"), 4);
    ck_assert_int_eq(th_summary(rep, "alive"), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(dumping_a_thousand_parked_threads_opens_no_lasting_fd)
{
    const char *args[] = {"many_stacks", NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args, REL_OPTS, true, 60);
    ck_assert_int_eq(r.status, 0);
    int before = (int)strtol(strstr(r.out, "before ") + 7, NULL, 10);
    int after = (int)strtol(strstr(r.out, "after ") + 6, NULL, 10);
    ck_assert_msg(after == before, "fds %d -> %d", before, after);
    json_t *dump = th_report(&r, "dump-1", r.pid);
    ck_assert_ptr_nonnull(dump);
    size_t i, parked = 0;
    json_t *u;
    json_array_foreach(json_object_get(dump, "units"), i, u)
    {
        const char *why = th_str(json_object_get(u, "wait"), "reason");
        parked += why && strcmp(why, "semaphore") == 0;
    }
    ck_assert_int_eq(parked, 1000);
    json_decref(dump);
    th_run_free(&r);
}
END_TEST

/* ---- case 40: frames without unwind information ---- */

START_TEST(a_thread_blocked_below_a_frame_without_cfi_is_dumped_without_harm)
{
    const char *args[] = {"no_cfi", NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "no-cfi thread joined\n");
    json_t *dump = th_report(&r, "dump-1", r.pid);
    ck_assert_ptr_nonnull(dump);
    json_t *u = th_unit(dump, "thread:2");
    ck_assert_ptr_nonnull(u);
    ck_assert_str_eq(th_str(json_object_get(u, "wait"), "reason"), "semaphore");
    ck_assert(th_stack_has(dump, json_object_get(u, "blocked_stack"), "wait_flag"));
    json_decref(dump);
    th_run_free(&r);
}
END_TEST

Suite *make_rel_threads_suite(void)
{
    Suite *s = suite_create("rel_threads");
    TCase *hosts = tcase_create("hosts");
    tcase_set_timeout(hosts, 150);
    tcase_add_test(hosts, raw_clone_aio_and_sigev_thread_timers_run_and_are_never_a_deadlock);
    tcase_add_test(hosts, dlopen_of_the_detector_into_a_running_process_finds_the_existing_threads);
    if (!TH_SANITIZE) /* ASan's own frames do not fit in 16 KiB */
        tcase_add_test(hosts, a_thread_with_a_16k_stack_can_block_create_and_be_dumped);
    tcase_add_test(hosts, a_single_threaded_program_gets_no_watchdog_thread);
    tcase_add_test(hosts, a_mutex_reacquired_inside_cond_wait_is_owned_and_its_deadlock_found);
    tcase_add_test(hosts,
                   threads_ending_by_return_or_deep_pthread_exit_joined_or_detached_end_once);
    tcase_add_test(hosts, dumping_a_thousand_parked_threads_opens_no_lasting_fd);
    tcase_add_test(hosts, a_thread_blocked_below_a_frame_without_cfi_is_dumped_without_harm);
    suite_add_tcase(s, hosts);
    return s;
}
