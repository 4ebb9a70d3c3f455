/*
 * Death tests: the runtime's panics and its deadlock exit, each in its own process
 * (tests/scenarios/gor_rt_death.c, run without the detector), plus the programs that must not
 * be called deadlocked (blocked only on a timer, an fd, or a plain thread that will send).
 */
#include <dlfcn.h>

#include "gor_check.h"
#include "gor_impl.h"
#include "harness.h"

static void run_case(struct th_run *r, const char *what, const char *const *env)
{
    const char *argv[] = {what, NULL};
    struct th_opts o = {
        .prog = "gor_rt_death", .argv = argv, .no_preload = true, .env = env, .timeout_s = 30};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert(!r->timed_out);
}

static const struct {
    const char *what, *message;
} panics[] = {
    {"send-closed", "gor: panic: send on closed channel"},
    {"close-closed", "gor: panic: close of closed channel"},
    {"negative-wg", "gor: panic: sync: negative WaitGroup counter"},
    {"unlock-unlocked", "gor: panic: sync: unlock of unlocked mutex"},
};

START_TEST(misuse_panics_with_one_clear_line_and_aborts)
{
    struct th_run r;
    run_case(&r, panics[_i].what, NULL);
    ck_assert_int_eq(r.status, 128 + 6); /* SIGABRT */
    ck_assert_msg(th_contains(r.err, panics[_i].message), "stderr: %s", r.err);
    th_run_free(&r);
}
END_TEST

START_TEST(global_deadlock_exits_2_with_a_task_dump)
{
    struct th_run r;
    run_case(&r, "deadlock", NULL);
    ck_assert_int_eq(r.status, 2);
    ck_assert(th_contains(r.err, "gor: fatal: all tasks are asleep - deadlock!"));
    ck_assert(th_contains(r.err, "[WaitGroup wait, "));
    ck_assert(th_contains(r.err, "task 2 stuck-receiver [chan receive, "));
    /* static functions of an executable that exports nothing: named from its symbol table */
    ck_assert_msg(th_contains(r.err, "started at run ("), "stderr: %s", r.err);
    ck_assert_msg(th_contains(r.err, "started at recv_forever ("), "stderr: %s", r.err);
    ck_assert(!th_contains(r.out, "returned"));
    th_run_free(&r);
}
END_TEST

static void a_static_function(void *arg)
{
    (void)arg;
}

START_TEST(the_dump_names_static_functions_and_never_guesses)
{
    char name[64];
    const char *mod;
    uintptr_t off;
    gor_symname((const void *)a_static_function, name, sizeof name, &mod, &off);
    ck_assert_str_eq(name, "a_static_function"); /* the runner exports nothing: .symtab */
    ck_assert_msg(th_contains(mod, "check_all"), "module %s", mod);
    ck_assert_uint_gt(off, 0);
    gor_symname((const void *)a_static_function, name, sizeof name, &mod, &off);
    ck_assert_str_eq(name, "a_static_function");         /* the remembered answer */
    void *exported = dlsym(RTLD_DEFAULT, "json_object"); /* jansson's, not a stub in the runner */
    ck_assert_ptr_nonnull(exported);
    gor_symname(exported, name, sizeof name, &mod, &off);
    ck_assert_str_eq(name, "json_object");
    ck_assert_msg(th_contains(mod, "libjansson"), "module %s", mod);
    gor_symname(NULL, name, sizeof name, &mod, &off);
    ck_assert_str_eq(name, "?");
    ck_assert_str_eq(mod, "?");
    static const char data[] = "not code";
    gor_symname(data, name, sizeof name, &mod, &off); /* no FUNC symbol covers it */
    ck_assert_str_eq(name, "?");
}
END_TEST

START_TEST(waiting_on_timers_fds_or_threads_is_not_a_deadlock)
{
    static const char *const cases[] = {"timer-only", "fd-wait", "thread-sends-later"};
    struct th_run r;
    run_case(&r, cases[_i], NULL);
    ck_assert_msg(r.status == 0, "%s: status %d, stderr: %s", cases[_i], r.status, r.err);
    ck_assert(th_contains(r.out, "returned"));
    ck_assert(!th_contains(r.err, "deadlock"));
    th_run_free(&r);
}
END_TEST

START_TEST(stack_overflow_never_passes_silently)
{
    /* guarded stacks fault; unguarded ones (GOR_STACK_GUARDS=0) panic at the next switch */
    static const char *const env0[] = {"GOR_STACK=65536", NULL};
    static const char *const env1[] = {"GOR_STACK=65536", "GOR_STACK_GUARDS=0", NULL};
    struct th_run r;
    run_case(&r, "stack-overflow", _i == 0 ? env0 : env1);
    ck_assert_int_ne(r.status, 0);
    ck_assert(!th_contains(r.out, "returned"));
    if (_i == 1 && !TH_SANITIZE)
        ck_assert_msg(th_contains(r.err, "gor: panic: stack overflow in task"), "%s", r.err);
    th_run_free(&r);
}
END_TEST

Suite *make_gor_death_suite(void)
{
    Suite *s = suite_create("gor_death");
    TCase *tc = tcase_create("death");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, misuse_panics_with_one_clear_line_and_aborts, 0,
                        (int)(sizeof panics / sizeof panics[0]));
    tcase_add_test(tc, global_deadlock_exits_2_with_a_task_dump);
    tcase_add_test(tc, the_dump_names_static_functions_and_never_guesses);
    tcase_add_loop_test(tc, waiting_on_timers_fds_or_threads_is_not_a_deadlock, 0, 3);
    tcase_add_loop_test(tc, stack_overflow_never_passes_silently, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
