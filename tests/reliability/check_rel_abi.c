/*
 * Hostile hosts (docs/hostile-hosts.md), the binary interface: callers bound to old symbol
 * versions, C11 threads and C++ std::thread, std::atomic::wait and semaphores, dlsym(RTLD_NEXT)
 * never reached by a tail jump, unwind information on every wrapper and the glibc floor.
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

Suite *make_rel_abi_suite(void)
{
    Suite *s = suite_create("rel_abi");
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
    tcase_add_test(hosts,
                   the_detector_never_tail_jumps_into_dlsym_so_rtld_next_resolves_from_itself);
    tcase_add_test(
        hosts,
        the_unwind_check_passes_the_detector_and_flags_a_library_built_without_unwind_tables);
    tcase_add_test(hosts,
                   the_glibc_floor_check_passes_the_detector_and_names_what_needs_a_newer_glibc);
    suite_add_tcase(s, hosts);
    return s;
}
