/*
 * Hostile hosts (docs/hostile-hosts.md), the mutex fast path: the detector locks and unlocks
 * default mutexes in place instead of forwarding, so every other way glibc touches the same mutex
 * (condition waits relocking it, trylock, timedlock, destroy's user count, glibc's own lock
 * reached past the preload, C11 mtx_lock, a fork while it is held) must agree with it. Each run
 * is compared byte for byte with a run without the detector, and its values are checked.
 */
#include "rel_test.h"

static char *lockfast(const char *mode)
{
    const char *args[] = {mode, NULL};
    return rel_same_as_baseline("rel_lockfast", args, 60);
}

START_TEST(the_fast_path_is_on_where_this_suite_runs)
{
    const char *args[] = {"mix", NULL};
    struct th_run r;
    rel_run(&r, "rel_lockfast", args, REL_OPTS ":verbosity=1", true, 60);
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(th_contains(r.err, "default mutexes locked and unlocked in place"),
                  "the probe turned the fast path off; stderr:\n%.2000s", r.err);
    th_run_free(&r);
}
END_TEST

START_TEST(trylock_timedlock_and_destroy_see_a_mutex_taken_in_place)
{
    char *out = lockfast("mix");
    ck_assert_msg(
        th_contains(out, "held                                 lock=1 owner=self users=1"), "%s",
        out);
    ck_assert_msg(th_contains(out, "destroy held                         Device or resource busy"),
                  "%s", out);
    ck_assert_msg(th_contains(out, "timedlock from another thread        Connection timed out"),
                  "%s", out);
    ck_assert_msg(th_contains(out, "unlock of an unknown kind            Invalid argument"), "%s",
                  out);
    free(out);
}
END_TEST

START_TEST(cond_waits_glibc_lock_and_mtx_lock_share_a_mutex_with_the_fast_path)
{
    char *out = lockfast("libc");
    ck_assert_msg(
        th_contains(out, "waiter after cond_wait               lock=1 owner=self users=1"), "%s",
        out);
    ck_assert_msg(th_contains(out, "trylock held by libc lock            Device or resource busy"),
                  "%s", out);
    ck_assert_msg(
        th_contains(out, "after the mixed pairs                lock=0 owner=none users=0"), "%s",
        out);
    ck_assert_msg(th_contains(out, "pthread trylock after mtx_lock       Device or resource busy"),
                  "%s", out);
    ck_assert_msg(th_contains(out, "destroy                              0"), "%s", out);
    free(out);
}
END_TEST

START_TEST(producers_and_consumers_on_condvars_lose_no_item_and_no_wakeup)
{
    char *out = lockfast("condvar");
    ck_assert_msg(th_contains(out, "consumed 80000 of 80000, sum exact"), "%s", out);
    ck_assert_msg(
        th_contains(out, "queue mutex at the end               lock=0 owner=none users=0"), "%s",
        out);
    free(out);
}
END_TEST

START_TEST(our_lock_and_glibcs_own_contend_for_one_mutex_with_exact_counts)
{
    char *out = lockfast("stress");
    ck_assert_msg(th_contains(out, "count 800000 of 800000, nested 50000 of 50000"), "%s", out);
    ck_assert_msg(th_contains(out, "destroy                              0"), "%s", out);
    free(out);
    const char *args[] = {"stress", NULL};
    struct th_run r; /* the nested pairs, always in one order, are no inversion */
    json_t *rep = rel_run_clean(&r, "rel_lockfast", args, NULL, 60,
                                "count 800000 of 800000, nested 50000 of 50000\n"
                                "counter mutex at the end             lock=0 owner=none users=0\n"
                                "destroy                              0\n");
    ck_assert_int_eq(json_array_size(json_object_get(rep, "inversions")), 0);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_child_forked_while_mutexes_are_held_unlocks_and_relocks_them)
{
    char *out = lockfast("fork");
    ck_assert_msg(th_contains(out, "child: trylock of the forker's       Device or resource busy"),
                  "%s", out);
    ck_assert_msg(th_contains(out, "child: lock it                       0"), "%s", out);
    ck_assert_msg(th_contains(out, "child exited 0"), "%s", out);
    ck_assert_msg(th_contains(out, "parent: destroy both                 0"), "%s", out);
    free(out);
}
END_TEST

Suite *make_rel_lockfast_suite(void)
{
    Suite *s = suite_create("rel_lockfast");
    TCase *tc = tcase_create("lockfast");
    tcase_set_timeout(tc, 150);
    tcase_add_test(tc, the_fast_path_is_on_where_this_suite_runs);
    tcase_add_test(tc, trylock_timedlock_and_destroy_see_a_mutex_taken_in_place);
    tcase_add_test(tc, cond_waits_glibc_lock_and_mtx_lock_share_a_mutex_with_the_fast_path);
    tcase_add_test(tc, producers_and_consumers_on_condvars_lose_no_item_and_no_wakeup);
    tcase_add_test(tc, our_lock_and_glibcs_own_contend_for_one_mutex_with_exact_counts);
    tcase_add_test(tc, a_child_forked_while_mutexes_are_held_unlocks_and_relocks_them);
    suite_add_tcase(s, tc);
    return s;
}
