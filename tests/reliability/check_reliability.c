/*
 * Hostile hosts (issue 9, docs/hostile-hosts.md): the detector inside hosts that are
 * unusual in one way each. Exit paths are in check_rel_exit.c, processes and files in
 * check_rel_proc.c; this suite has the calls themselves (errno, EINTR, signal handlers,
 * cancellation, mutex kinds, symbol versions, C11, C++, foreign threads, late dlopen, tiny
 * stacks, single-threaded programs, static binaries, link variants, preload chains, hostile
 * options). Where the detector must be invisible the run is compared byte for byte with a run
 * without it; where it must see something the JSON report is checked.
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

/* ---- cases 4-5: symbol versions ---- */

START_TEST(a_caller_bound_to_pthread_cond_wait_at_glibc_2_2_5_reaches_the_compat_condvar)
{
    const char *args[] = {"cond", NULL};
    struct th_run r;
    rel_run(&r, "rel_symver", args, REL_OPTS, true, 30);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%.1500s", r.status, r.err);
    ck_assert_str_eq(r.out, "timed wait: ETIMEDOUT\nwoken, canary intact\n");
    th_run_free(&r);
}
END_TEST

START_TEST(a_thread_parked_in_the_compat_cond_wait_is_reported_as_a_cond_wait)
{
    const char *args[] = {"condleak", NULL};
    struct th_run r;
    rel_run(&r, "rel_symver", args, REL_OPTS, true, 30);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%.1500s", r.status, r.err);
    ck_assert_str_eq(r.out, "parked\n");
    json_t *rep = rel_exit_report(&r);
    json_t *g = th_group(rep, "leaked", "cond wait");
    ck_assert_msg(g != NULL, "no leaked cond wait; units: %s", rel_units(rep));
    ck_assert_int_eq(json_integer_value(json_object_get(g, "count")), 1);
    ck_assert(th_stack_has(rep, json_object_get(g, "blocked_stack"), "park_in_old_cond_wait"));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(pthread_create_at_glibc_2_2_5_and_at_glibc_2_34_are_both_recorded)
{
    const char *args[] = {"create", NULL};
    struct th_run r;
    rel_run(&r, "rel_symver", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 76);
    ck_assert_str_eq(r.out, "create@2.2.5 0\ncreate@2.34 0\n");
    json_t *rep = rel_exit_report(&r);
#if TH_SANITIZE
    /* ASan's interceptor starts every thread through its own start routine */
    ck_assert_int_eq(th_summary(rep, "leaked"), 2);
    json_decref(rep);
    th_run_free(&r);
    return;
#endif
    int seen_225 = 0, seen_234 = 0;
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *start = th_str(u, "start");
        seen_225 += start && strcmp(start, "park_225") == 0;
        seen_234 += start && strcmp(start, "park_234") == 0;
    }
    ck_assert_msg(seen_225 == 1 && seen_234 == 1, "units: %s", rel_units(rep));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* ---- cases 7, 9, 10: C11 and C++ ---- */

START_TEST(c11_threads_mutexes_and_conditions_are_recorded_like_pthreads)
{
    const char *args[] = {"c11_ok", NULL};
    struct th_run r;
    json_t *rep = rel_run_clean(&r, "rel_misc", args, NULL, 30, "c11 joined 7\n");
    ck_assert_int_eq(th_summary(rep, "threads_created"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_c11_abba_deadlock_is_reported_as_one_cycle_of_two)
{
    const char *args[] = {"c11_abba", NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args,
            "grace=200ms:threshold=1s:interval=200ms:fail_on=leaked,deadlocked", true, 60);
    ck_assert_int_eq(r.status, 76);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "deadlocked"), 2);
    ck_assert_int_eq(json_array_size(json_object_get(rep, "deadlocks")), 1);
    json_t *g = th_group(rep, "deadlocked", "mutex lock");
    ck_assert_ptr_nonnull(g);
    ck_assert_msg(th_stack_has(rep, json_object_get(g, "blocked_stack"), "lock_ab"),
                  "lock_ab not in the blocked stack");
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_leaked_std_thread_waiting_on_a_condition_variable_is_reported)
{
    const char *args[] = {"leak", NULL};
    struct th_run r;
    rel_run(&r, "rel_cxx", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 76);
    json_t *rep = rel_exit_report(&r);
    json_t *g = th_group(rep, "leaked", "cond wait");
    ck_assert_msg(g != NULL, "units: %s", rel_units(rep));
    ck_assert_int_eq(json_integer_value(json_object_get(g, "count")), 1);
    ck_assert_int_eq(th_summary(rep, "leaked"), 1);
    ck_assert(th_stack_has(rep, json_object_get(g, "blocked_stack"), "pthread_cond_wait"));
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_joined_std_thread_is_not_a_leak)
{
    const char *args[] = {"fixed", NULL};
    struct th_run r;
    rel_run(&r, "rel_cxx", args, REL_OPTS, true, 30);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%.1500s", r.status, r.err);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    ck_assert_int_eq(th_summary(rep, "threads_created"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(cpp20_atomic_wait_and_semaphores_through_syscall_futex_behave_unchanged)
{
    const char *args[] = {"atomic", NULL};
    char *out = rel_same_as_baseline("rel_cxx", args, 60);
    ck_assert_str_eq(out, "rounds 2000 final 0 timed acquire 0\n");
    free(out);
}
END_TEST

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

/* ---- cases 25, 28, 53 ---- */

START_TEST(two_hundred_short_lived_children_each_write_one_clean_report)
{
    const char *args[] = {"-c", "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done", NULL};
    struct th_opts o = {.prog = "/bin/sh", .argv = args, .options = REL_OPTS, .timeout_s = 120};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert(!r.timed_out);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    /* the 200 children, plus the shell's own unless it leaves with _exit (dash does) */
    int reports = th_count_reports(&r, ".exit.json");
    ck_assert_msg(reports == 200 || reports == 201, "%d exit reports", reports);
    ck_assert_int_eq(th_count_reports(&r, NULL), reports); /* and nothing else */
    th_run_free(&r);
}
END_TEST

START_TEST(an_app_that_blocks_our_signal_and_sigwaits_for_it_gets_every_one)
{
    const char *args[] = {"sigwait", NULL};
    char *out = rel_same_as_baseline("rel_misc", args, 30);
    ck_assert_str_eq(out, "sigwait got 3\n");
    free(out);
}
END_TEST

START_TEST(a_deepbind_plugin_runs_and_its_threads_are_recorded_or_warned_about)
{
    char plugin[1024];
    snprintf(plugin, sizeof plugin, "%s", th_path("tests/reliability/librelplugin.so"));
    const char *args[] = {"deepbind", plugin, NULL};
    struct th_run r;
    rel_run(&r, "rel_misc", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "plugin returned 1\n");
    json_t *rep = rel_exit_report(&r);
    ck_assert_msg(th_summary(rep, "threads_created") == 1 || th_contains(r.err, "DEEPBIND"),
                  "the plugin's thread was neither recorded nor warned about; stderr:\n%s", r.err);
    ck_assert_msg(th_contains(r.err, "RTLD_DEEPBIND") && th_contains(r.err, plugin),
                  "the warning does not name the plugin; stderr:\n%s", r.err);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* The dlopen interposer jumps to glibc's, so glibc still sees the program as the caller: a
 * plugin found only through the program's $ORIGIN-relative DT_RUNPATH loads, its thread is
 * recorded, and a load without RTLD_DEEPBIND warns about nothing. */
START_TEST(a_plugin_found_through_the_callers_origin_runpath_loads_through_the_wrapper)
{
    struct th_run r;
    rel_run(&r, "rel_origin", NULL, REL_OPTS, true, 30);
    ck_assert_msg(r.status == 0, "status %d; stdout:\n%s", r.status, r.out);
    ck_assert_str_eq(r.out, "origin plugin returned 1\n");
    ck_assert_msg(!th_contains(r.err, "DEEPBIND"), "a plain dlopen warned:\n%s", r.err);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "threads_created"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* ---- case 2: dlsym(RTLD_NEXT) is never reached by a tail jump ---- */

/* Lines of `objdump -d LIB` outside the PLT stubs that jump (not call) to dlsym or dlvsym,
 * written to `out`; returns how many. */
static int tail_jumps_to_dlsym(const char *lib, char *out, size_t cap)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "objdump -d '%s'", lib);
    FILE *p = popen(cmd, "r");
    char line[512];
    int n = 0, lines = 0;
    bool in_plt = false;
    out[0] = 0;
    ck_assert_ptr_nonnull(p);
    while (fgets(line, sizeof line, p)) {
        lines++;
        if (strstr(line, ">:\n")) /* a symbol header: "0000... <name>:" */
            in_plt = strstr(line, "@plt>:") != NULL || strstr(line, "<.plt") != NULL;
        else if (!in_plt && strstr(line, "jmp") &&
                 (strstr(line, "<dlsym") || strstr(line, "<dlvsym"))) {
            n++;
            strncat(out, line, cap - strlen(out) - 1);
        }
    }
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_int_gt(lines, 1000); /* objdump really disassembled it */
    return n;
}

START_TEST(the_detector_never_tail_jumps_into_dlsym_so_rtld_next_resolves_from_itself)
{
    char lib[1024], found[4096];
    snprintf(lib, sizeof lib, "%s", th_path("lib/libtaskleak.so"));
    ck_assert_msg(tail_jumps_to_dlsym(lib, found, sizeof found) == 0,
                  "tail jumps into dlsym (RTLD_NEXT would resolve from the caller's caller):\n%s",
                  found);
}
END_TEST

/* ---- case 33: every wrapper has unwind information ---- */

/* Runs `sh scripts/check-static.sh MODE FILE [ARG]` (from the source root, where make check runs)
 * with stderr into `err`; returns its exit status. */
static int static_check(const char *mode, const char *file, const char *arg, char *err, size_t cap)
{
    char cmd[1400];
    ck_assert_msg(access("scripts/check-static.sh", R_OK) == 0,
                  "run from the source root: scripts/check-static.sh not found");
    snprintf(cmd, sizeof cmd, "sh scripts/check-static.sh %s '%s' %s 2>&1", mode, file,
             arg != NULL ? arg : "");
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(err, 1, cap - 1, p);
    err[n] = 0;
    int st = pclose(p);
    ck_assert(WIFEXITED(st));
    return WEXITSTATUS(st);
}

START_TEST(the_unwind_check_passes_the_detector_and_flags_a_library_built_without_unwind_tables)
{
    char lib[1024], out[4096];
    snprintf(lib, sizeof lib, "%s", th_path("lib/libtaskleak.so"));
    ck_assert_msg(static_check("--unwind", lib, NULL, out, sizeof out) == 0,
                  "wrappers without unwind info:\n%s", out);
    snprintf(lib, sizeof lib, "%s", th_path("tests/reliability/librelnocfi.so"));
    ck_assert_msg(static_check("--unwind", lib, NULL, out, sizeof out) == 1,
                  "control not flagged:\n%s", out);
    ck_assert_msg(strstr(out, "rel_nocfi_triple has no unwind info") &&
                      strstr(out, "rel_nocfi_next has no unwind info"),
                  "control's functions not named:\n%s", out);
}
END_TEST

/* ---- case 6: a build that needs a newer glibc than documented is caught before release ---- */

START_TEST(the_glibc_floor_check_passes_the_detector_and_names_what_needs_a_newer_glibc)
{
    char lib[1024], out[8192];
    snprintf(lib, sizeof lib, "%s", th_path("lib/libtaskleak.so"));
    ck_assert_msg(static_check("--glibc-floor", lib, "2.34", out, sizeof out) == 0,
                  "the detector needs more than glibc 2.34:\n%s", out);
    /* Control: one release lower, the pthread and dl functions that moved into libc in 2.34 */
    ck_assert_int_eq(static_check("--glibc-floor", lib, "2.33", out, sizeof out), 1);
    ck_assert_msg(strstr(out, "pthread_key_create needs GLIBC_2.34, newer than the floor 2.33"),
                  "control's symbol not named:\n%s", out);
}
END_TEST

/* ---- case 3: the gor runtime dlopened after start, first channel calls racing ---- */

START_TEST(a_late_dlopened_gor_runtime_takes_32_simultaneous_first_channel_calls)
{
    static const char *const MODES[] = {"global", "local"}; /* RTLD_GLOBAL, RTLD_LOCAL */
    char gor[1024];
    snprintf(gor, sizeof gor, "%s", th_path("lib/libgor.so"));
    const char *args[] = {gor, MODES[_i], NULL};
    struct th_run r;
    json_t *rep =
        rel_run_clean(&r, "rel_lategor", args, NULL, 60, "threads 32 sum 496 own-ok 32\n");
    ck_assert_int_ge(th_summary(rep, "threads_created"), 32);
    json_decref(rep);
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

/* ---- case 39 ---- */

START_TEST(loading_a_plugin_whose_constructor_creates_threads_races_stack_capture_without_deadlock)
{
    char plugin[1024];
    snprintf(plugin, sizeof plugin, "%s", th_path("tests/reliability/librelctor.so"));
    const char *args[] = {"load_race", plugin, NULL};
    struct th_run r;
    json_t *rep = rel_run_clean(&r, "rel_misc", args, NULL, 90, "loads 2000, creators ran 1\n");
    ck_assert_int_ge(th_summary(rep, "threads_created"), 2000 + 2);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* ---- case 43: set-user-ID programs ---- */

/* Runs NAME (copied into dir by rel_nobody_copies) as user nobody through setpriv (root only), with
 * dir's copy of the detector in LD_PRELOAD. */
static void run_as_nobody(struct th_run *r, const char *dir, const char *name)
{
    char prog[1100], preload[2300], opts[600];
    snprintf(prog, sizeof prog, "%s/%s", dir, name);
    const char *asan = th_sanitizer_preload();
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s%s%s/libtaskleak.so", asan, asan[0] ? " " : "",
             dir);
    snprintf(opts, sizeof opts, "TASKLEAK_OPTIONS=%s", REL_OPTS);
    const char *args[] = {"--reuid=65534", "--regid=65534", "--clear-groups", prog, NULL};
    const char *env[] = {preload, opts, NULL};
    struct th_opts o = {.prog = "/usr/bin/setpriv",
                        .argv = args,
                        .no_preload = true,
                        .env = env,
                        .timeout_s = 30};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert(!r->timed_out);
}

START_TEST(a_setuid_program_runs_without_the_detector_and_its_status_is_untouched)
{
    if (getuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0) {
        fprintf(stderr, "skipped: needs root and setpriv to run a set-user-ID program\n");
        return;
    }
    const char *progs[] = {"rel_leak", "rel_leak_suid", NULL};
    char dir[64];
    rel_nobody_copies(dir, sizeof dir, progs);
    struct th_run r;
    run_as_nobody(&r, dir, "rel_leak"); /* control: an ordinary copy does load the detector */
    ck_assert_msg(r.status == 76, "control run: status %d; stderr:\n%s", r.status, r.err);
    th_run_free(&r);
    run_as_nobody(&r, dir, "rel_leak_suid");
    ck_assert_msg(r.status == 0, "set-user-ID run: status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "leak program done\n");
    ck_assert_msg(!th_contains(r.err, "taskleak"), "the detector spoke:\n%s", r.err);
    ck_assert_int_eq(th_count_reports(&r, NULL), 0);
    th_run_free(&r);
    rel_nobody_copies_remove(dir);
}
END_TEST

/* Runs rel_secure (or its set-user-ID copy) as nobody in a private mount namespace whose /etc has
 * an ld.so.preload listing the detector (an overlay: the machine's /etc is never touched). The
 * programs and the detector are run from copies in dir/bin, which nobody can read wherever the
 * checkout sits (rel_nobody_copies). The
 * options are hostile for a privileged process: a report directory anyone may write and an exit
 * status of 99. (No verbosity: setpriv, which execs the program in the same pid, runs as real
 * root with a live detector and would print its start line.) */
static void run_with_ld_so_preload(struct th_run *r, const char *dir, const char *name)
{
    char script[4096], opts[1200];
    snprintf(script, sizeof script,
             "mount --make-rprivate / && "
             "mount -t overlay overlay -o lowerdir=/etc,upperdir=%s/up,workdir=%s/work /etc && "
             "exec setpriv --reuid=65534 --regid=65534 --clear-groups %s/bin/%s",
             dir, dir, dir, name);
    snprintf(opts, sizeof opts, "TASKLEAK_OPTIONS=report=%s/rep:exitcode=99:grace=50ms", dir);
    const char *args[] = {"-m", "/bin/sh", "-c", script, NULL};
    const char *env[] = {opts, NULL};
    struct th_opts o = {
        .prog = "/usr/bin/unshare", .argv = args, .no_preload = true, .env = env, .timeout_s = 30};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert(!r->timed_out);
}

static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int n = 0;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d != NULL)
        closedir(d);
    return n;
}

START_TEST(a_setuid_program_with_the_detector_in_ld_so_preload_finds_it_inert)
{
    if (TH_SANITIZE || getuid() != 0 || access("/usr/bin/setpriv", X_OK) != 0 ||
        access("/usr/bin/unshare", X_OK) != 0) {
        /* SANITIZE: the ASan runtime would have to lead /etc/ld.so.preload too */
        fprintf(stderr, "skipped: needs root, setpriv and unshare, and a build without ASan\n");
        return;
    }
    char dir[] = "/tmp/rel-ldsopreload-XXXXXX", path[1200];
    ck_assert(mkdtemp(dir) != NULL);
    const char *subdirs[] = {"up", "work", "rep"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, subdirs[i]);
        ck_assert_int_eq(mkdir(path, 0755), 0);
    }
    snprintf(path, sizeof path, "%s/rep", dir);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    ck_assert_int_eq(chmod(path, 01777), 0);
    const char *progs[] = {"rel_secure", "rel_secure_suid", NULL};
    char bin[64], cmd[1400];
    rel_nobody_copies(bin, sizeof bin, progs);
    snprintf(cmd, sizeof cmd, "mv %s %s/bin", bin, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/up/ld.so.preload", dir);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fprintf(f, "%s/bin/libtaskleak.so\n", dir);
    fclose(f);
    snprintf(path, sizeof path, "%s/rep", dir);

    struct th_run r;
    /* Control: an ordinary copy gets a live detector from /etc/ld.so.preload and these options. */
    run_with_ld_so_preload(&r, dir, "rel_secure");
    ck_assert_msg(r.status == 99, "control run: status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "detector mapped: yes\nSIGUSR2 handler: installed\nthreads: 3\n");
    ck_assert_int_eq(count_entries(path), 1);
    th_run_free(&r);

    /* The set-user-ID copy runs with euid root: the detector is mapped but does nothing at all. */
    char rm[1400];
    snprintf(rm, sizeof rm, "rm -f %s/*", path);
    ck_assert_int_eq(system(rm), 0);
    run_with_ld_so_preload(&r, dir, "rel_secure_suid");
    ck_assert_msg(r.status == 0, "set-user-ID run: status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "detector mapped: yes\nSIGUSR2 handler: default\nthreads: 2\n");
    ck_assert_msg(!th_contains(r.err, "taskleak"), "the detector spoke:\n%s", r.err);
    ck_assert_int_eq(count_entries(path), 0);
    th_run_free(&r);
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    ck_assert_int_eq(system(rm), 0);
}
END_TEST

/* ---- gor linked statically: what the detector cannot see, and the documented way out ---- */

START_TEST(
    gor_linked_statically_shows_its_runtime_threads_and_the_documented_suppression_hides_them)
{
    /* The program does not export gor's introspection interface, so its tasks are not tracked and
     * gor's worker and monitor threads look like the program's own (taskleak(7), LIMITATIONS). */
    const char *none[] = {NULL};
    struct th_run r;
    rel_run(&r, "rel_gor_static", none, REL_OPTS, true, 60);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%.2000s", r.status, r.err);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "tasks_created"), 0);
    ck_assert_int_ge(th_summary(rep, "leaked"), 2);
    if (!TH_SANITIZE) /* ASan's interceptor starts every thread through its own routine */
        ck_assert_ptr_nonnull(th_unit_by_start(rep, "thread", "gor_worker_main"));
    json_decref(rep);
    th_run_free(&r);
    /* thread:gor-* matches them by the names gor gives its threads; the program is correct */
    char supp[] = "/tmp/rel-gor-supp-XXXXXX", opts[256];
    int fd = mkstemp(supp);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "thread:gor-*\n", 13), 13);
    close(fd);
    snprintf(opts, sizeof opts, "%s:suppressions=%s", REL_OPTS, supp);
    rel_run(&r, "rel_gor_static", none, opts, true, 60);
    unlink(supp);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%.2000s", r.status, r.err);
    rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "leaked"), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* ---- cases 50, 51, 54: static, link variants, preload chains ---- */

START_TEST(the_supervisor_refuses_a_static_binary_and_fails_closed)
{
    struct th_opts o = {.prog = rel_prog("rel_static"), .via_cli = true, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert_msg(th_contains(r.err, "statically linked"), "stderr:\n%s", r.err);
    ck_assert_str_eq(r.out, "");
    th_run_free(&r);
}
END_TEST

START_TEST(the_supervisor_refuses_a_32_bit_program_and_fails_closed)
{
    struct th_opts o = {.prog = rel_prog("rel_elf32"), .via_cli = true, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_int_eq(r.status, 125);
    ck_assert_msg(th_contains(r.err, "is a 32-bit program") &&
                      th_contains(r.err, "nothing would be checked"),
                  "stderr:\n%s", r.err);
    ck_assert_str_eq(r.out, "");
    ck_assert_int_eq(th_count_reports(&r, NULL), 0);
    th_run_free(&r);
}
END_TEST

START_TEST(a_z_now_fno_plt_binary_is_fully_intercepted)
{
    struct th_run r;
    rel_run(&r, "rel_leak_now", NULL, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 76);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_group_count(rep, "leaked", "mutex lock"), 1);
    ck_assert_int_eq(th_group_count(rep, "leaked", "cond wait"), 1);
    json_t *g = th_group(rep, "leaked", "mutex lock");
    ck_assert(th_stack_has(rep, json_object_get(g, "created_stack"), "main"));
    json_decref(rep);
    th_run_free(&r);
    const char *fixed[] = {"fixed", NULL};
    rel_run(&r, "rel_leak_now", fixed, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 0);
    rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(another_preload_before_or_after_ours_and_both_tools_work)
{
    char shim[1024], ours[1024], chain[2100], env_preload[2200];
    snprintf(shim, sizeof shim, "%s", th_path("tests/reliability/librelshim.so"));
    snprintf(ours, sizeof ours, "%s", th_path("lib/libtaskleak.so"));
    if (_i == 0)
        snprintf(chain, sizeof chain, "%s:%s", shim, ours);
    else
        snprintf(chain, sizeof chain, "%s:%s", ours, shim);
    snprintf(env_preload, sizeof env_preload, "LD_PRELOAD=%s%s%s", th_sanitizer_preload(),
             th_sanitizer_preload()[0] ? ":" : "", chain);
    const char *env[] = {env_preload, "TASKLEAK_OPTIONS=" REL_OPTS, NULL};
    struct th_opts o = {
        .prog = rel_prog("rel_leak"), .no_preload = true, .env = env, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(!r.timed_out, "timed out");
    ck_assert_msg(r.status == 76, "order %d: status %d; stderr:\n%.1500s", _i, r.status, r.err);
    ck_assert_str_eq(r.out, "leak program done\n");
    ck_assert_msg(th_contains(r.err, "rel_shim: creates=2 locks>0=1"), "shim: %.1500s", r.err);
    ck_assert_msg(th_contains(r.err, "SUMMARY: taskleak: 2 leaked"), "ours: %.1500s", r.err);
    th_run_free(&r);
}
END_TEST

/* ---- case 45: hostile option strings ---- */

struct hostile {
    const char *options;
    const char *named; /* what the message on stderr must name */
};
static const struct hostile HOSTILE[] = {
    {"threshold=abc", "threshold"},
    {"dump_signal=999", "dump_signal"},
    {"dump_signal=-3", "dump_signal"},
    {"log=/nonexistent/dir/%n%s%x", "log"},
    {"stack_depth=99999999999999999999", "stack_depth"},
    {"exitcode=300", "exitcode"},
    {"bogus_key=1", "bogus_key"},
    {"suppressions=/nonexistent/supp", "/nonexistent/supp"},
    {"interval=0", "interval"},
    {"grace=-5s", "grace"},
    {"::::,,,,:threshold=%n%n%n%n", "threshold"},
    {"suppressions=/dev/zero", "/dev/zero: is a character device"},
    {"suppressions=/dev/urandom", "/dev/urandom: is a character device"},
    {"suppressions=/tmp", "/tmp: is a directory"},
    {"suppressions=/proc/self/status", "/proc/self/status: line 1"},
    {"suppressions=/proc/self/fd/0", "/proc/self/fd/0: is a"},
    {"report=/tmp/%q%n", "report"},
    {"log=/tmp/%x/%n", "log"},
    {"dump_signal=SIGNOPE", "dump_signal"},
    {"dump_signal=65", "dump_signal"},
    {"dump_signal=SIGKILL", "dump_signal"},
    {"stack_depth=-99999999999999999999", "stack_depth"},
    {"threshold=1\x1b[2J\x07", "threshold"},
};
#define NHOSTILE ((int)(sizeof HOSTILE / sizeof HOSTILE[0]))

START_TEST(hostile_option_strings_are_rejected_by_name_and_the_program_runs_unchanged)
{
    const struct hostile *h = &HOSTILE[_i];
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, h->options, true, 30);
    ck_assert_msg(r.status == 0, "[%s] status %d", h->options, r.status);
    ck_assert_str_eq(r.out, "mode return\n");
    ck_assert_msg(th_contains(r.err, h->named), "[%s] stderr does not name %s:\n%s", h->options,
                  h->named, r.err);
    for (const char *c = r.err; *c; c++) /* input is quoted escaped: no raw control byte */
        ck_assert_msg((unsigned char)*c >= 0x20 || *c == '\n', "[%s] raw byte 0x%02x on stderr",
                      h->options, (unsigned char)*c);
    json_t *rep = rel_exit_report(&r); /* report=, appended after the junk, still applies */
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_very_long_log_path_is_refused_or_used_without_overflow)
{
    char opts[1700];
    memcpy(opts, "log=/tmp/", 9);
    memset(opts + 9, 'a', sizeof opts - 10);
    opts[sizeof opts - 1] = 0;
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, opts, true, 30);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "mode return\n");
    th_run_free(&r);
}
END_TEST

/* The detector reads its suppressions file before main: a path that is not a regular file (or a
 * link to one that is not) is refused at once with one line naming it, and the program runs as
 * it would without the detector. A FIFO nobody writes and a listening socket used to hang the
 * program for ever; /dev/zero until memory ran out. The run's timeout is the bound. */
START_TEST(a_suppressions_path_that_is_not_a_regular_file_never_holds_up_the_program)
{
    static const char *const shapes[] = {"fifo", "link-to-fifo", "socket", "link-to-zero"};
    char dir[] = "/tmp/rel-supp-XXXXXX", path[256], target[256], opts[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(target, sizeof target, "%s/fifo-target", dir);
    ck_assert_int_eq(mkfifo(target, 0600), 0);
    const char *shape = shapes[_i];
    snprintf(path, sizeof path, "%s/%s", dir, shape);
    int sock = -1;
    if (!strcmp(shape, "fifo")) {
        ck_assert_int_eq(mkfifo(path, 0600), 0);
    } else if (!strcmp(shape, "socket")) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        ck_assert_uint_lt(strlen(path), sizeof a.sun_path);
        memcpy(a.sun_path, path, strlen(path) + 1);
        sock = socket(AF_UNIX, SOCK_STREAM, 0);
        ck_assert_int_eq(bind(sock, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(listen(sock, 1), 0);
    } else {
        ck_assert_int_eq(symlink(!strcmp(shape, "link-to-fifo") ? target : "/dev/zero", path), 0);
    }
    snprintf(opts, sizeof opts, "%s:suppressions=%s", REL_OPTS, path);
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, opts, true, 30);
    ck_assert_msg(r.status == 0, "[%s] status %d", shape, r.status);
    ck_assert_str_eq(r.out, "mode return\n");
    ck_assert_msg(th_contains(r.err, path) && th_contains(r.err, "not a regular file") &&
                      th_contains(r.err, "running without suppressions"),
                  "[%s] stderr:\n%s", shape, r.err);
    json_decref(rel_exit_report(&r));
    th_run_free(&r);
    if (sock >= 0)
        close(sock);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(a_very_long_suppressions_path_is_refused_without_overflow)
{
    static char opts[9000];
    int n = snprintf(opts, sizeof opts, "%s:suppressions=/tmp/", REL_OPTS);
    memset(opts + n, 'b', sizeof opts - (size_t)n - 1);
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, opts, true, 30);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "mode return\n");
    ck_assert_msg(th_contains(r.err, "suppressions"), "stderr:\n%s", r.err);
    th_run_free(&r);
}
END_TEST

/* The text report quotes the program's path (and its thread names and labels): a path holding a
 * newline and a summary of its own must not give the log a second "SUMMARY:" line. */
START_TEST(a_program_path_with_a_newline_cannot_forge_a_summary_line)
{
    char dir[] = "/tmp/rel-name-XXXXXX", prog[256], cmd[1400];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(prog, sizeof prog, "%s/leak\nSUMMARY: taskleak: 0 leaked\x1b[2K", dir);
    snprintf(cmd, sizeof cmd, "cp '%s' \"$(printf '%s/leak\\nSUMMARY: taskleak: 0 leaked\\033[2K')\"",
             rel_prog("rel_leak"), dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(access(prog, X_OK), 0);
    struct th_opts o = {.prog = prog, .options = REL_OPTS, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    int summaries = 0;
    for (const char *p = r.err; (p = strstr(p, "SUMMARY: taskleak:")); p++)
        summaries += p == r.err || p[-1] == '\n';
    ck_assert_msg(summaries == 1, "%d lines start with SUMMARY:\n%s", summaries, r.err);
    ck_assert_msg(th_contains(r.err, "leak\\nSUMMARY: taskleak: 0 leaked\\x1b[2K)"), "%s", r.err);
    th_run_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(each_bad_option_is_named_exactly_once_on_stderr)
{
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, "threshold=abc", true, 30);
    const char *first = strstr(r.err, "for threshold");
    ck_assert_ptr_nonnull(first);
    ck_assert_msg(strstr(first + 1, "for threshold") == NULL, "named twice:\n%s", r.err);
    th_run_free(&r);
}
END_TEST

Suite *make_reliability_suite(void)
{
    Suite *s = suite_create("reliability");
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
    tcase_add_test(hosts,
                   a_caller_bound_to_pthread_cond_wait_at_glibc_2_2_5_reaches_the_compat_condvar);
    tcase_add_test(hosts, a_thread_parked_in_the_compat_cond_wait_is_reported_as_a_cond_wait);
    tcase_add_test(hosts, pthread_create_at_glibc_2_2_5_and_at_glibc_2_34_are_both_recorded);
    tcase_add_test(hosts, c11_threads_mutexes_and_conditions_are_recorded_like_pthreads);
    tcase_add_test(hosts, a_c11_abba_deadlock_is_reported_as_one_cycle_of_two);
    tcase_add_test(hosts, a_leaked_std_thread_waiting_on_a_condition_variable_is_reported);
    tcase_add_test(hosts, a_joined_std_thread_is_not_a_leak);
    tcase_add_test(hosts, cpp20_atomic_wait_and_semaphores_through_syscall_futex_behave_unchanged);
    tcase_add_test(hosts, syscall_passes_every_argument_each_futex_operation_and_mmap_take);
    tcase_add_test(hosts, raw_clone_aio_and_sigev_thread_timers_run_and_are_never_a_deadlock);
    tcase_add_test(hosts, dlopen_of_the_detector_into_a_running_process_finds_the_existing_threads);
    if (!TH_SANITIZE) /* ASan's own frames do not fit in 16 KiB */
        tcase_add_test(hosts, a_thread_with_a_16k_stack_can_block_create_and_be_dumped);
    tcase_add_test(hosts, a_single_threaded_program_gets_no_watchdog_thread);
    tcase_add_test(hosts, a_mutex_reacquired_inside_cond_wait_is_owned_and_its_deadlock_found);
    tcase_add_test(hosts,
                   threads_ending_by_return_or_deep_pthread_exit_joined_or_detached_end_once);
    tcase_add_test(hosts, dumping_a_thousand_parked_threads_opens_no_lasting_fd);
    tcase_add_test(hosts,
                   the_detector_never_tail_jumps_into_dlsym_so_rtld_next_resolves_from_itself);
    tcase_add_test(
        hosts,
        the_unwind_check_passes_the_detector_and_flags_a_library_built_without_unwind_tables);
    tcase_add_test(hosts,
                   the_glibc_floor_check_passes_the_detector_and_names_what_needs_a_newer_glibc);
    tcase_add_loop_test(
        hosts, a_late_dlopened_gor_runtime_takes_32_simultaneous_first_channel_calls, 0, 2);
    tcase_add_test(
        hosts,
        loading_a_plugin_whose_constructor_creates_threads_races_stack_capture_without_deadlock);
    tcase_add_test(hosts, two_hundred_short_lived_children_each_write_one_clean_report);
    tcase_add_test(hosts, an_app_that_blocks_our_signal_and_sigwaits_for_it_gets_every_one);
    /* Case 53: the dlopen interposer warns about RTLD_DEEPBIND plugins (ASan refuses
     * RTLD_DEEPBIND outright). */
    if (!TH_SANITIZE)
        tcase_add_test(hosts, a_deepbind_plugin_runs_and_its_threads_are_recorded_or_warned_about);
    /* ASan's own dlopen interceptor calls (not jumps to) glibc's, so under SANITIZE even a
     * program without the detector cannot load through its $ORIGIN run path. */
    if (!TH_SANITIZE)
        tcase_add_test(hosts,
                       a_plugin_found_through_the_callers_origin_runpath_loads_through_the_wrapper);
    tcase_add_test(hosts, a_thread_blocked_below_a_frame_without_cfi_is_dumped_without_harm);
    tcase_add_test(hosts, a_setuid_program_runs_without_the_detector_and_its_status_is_untouched);
    tcase_add_test(hosts, a_setuid_program_with_the_detector_in_ld_so_preload_finds_it_inert);
    tcase_add_test(hosts, the_supervisor_refuses_a_static_binary_and_fails_closed);
    tcase_add_test(hosts, the_supervisor_refuses_a_32_bit_program_and_fails_closed);
    tcase_add_test(
        hosts,
        gor_linked_statically_shows_its_runtime_threads_and_the_documented_suppression_hides_them);
    tcase_add_test(hosts, a_z_now_fno_plt_binary_is_fully_intercepted);
    tcase_add_loop_test(hosts, another_preload_before_or_after_ours_and_both_tools_work, 0, 2);
    suite_add_tcase(s, hosts);

    TCase *opts = tcase_create("options");
    tcase_set_timeout(opts, 60);
    tcase_add_loop_test(opts,
                        hostile_option_strings_are_rejected_by_name_and_the_program_runs_unchanged,
                        0, NHOSTILE);
    tcase_add_test(opts, a_very_long_log_path_is_refused_or_used_without_overflow);
    tcase_add_loop_test(opts, a_suppressions_path_that_is_not_a_regular_file_never_holds_up_the_program,
                        0, 4);
    tcase_add_test(opts, a_very_long_suppressions_path_is_refused_without_overflow);
    tcase_add_test(opts, a_program_path_with_a_newline_cannot_forge_a_summary_line);
    tcase_add_test(opts, each_bad_option_is_named_exactly_once_on_stderr);
    suite_add_tcase(s, opts);
    return s;
}
