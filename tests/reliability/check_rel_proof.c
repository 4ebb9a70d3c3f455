/*
 * Reliability case 66 (docs/hostile-hosts.md): leak proofs while other threads mutate the heap.
 * rel_proof_mutate keeps the only pointer to a waited-on condition variable moving through a heap
 * table while it asks for checks; no check may prove the waiters leaked, none may crash, and every
 * check comes back (the scan of a busy process is in doubt, not stuck).
 */
#include <check.h>
#include <stdio.h>

#include "rel_test.h"

START_TEST(a_heap_mutated_during_the_scan_is_never_proven)
{
    struct th_run r;
    const char *args[] = {"64", NULL};
    rel_run(&r, "rel_proof_mutate", args, "grace=0:threshold=0:lock_order=0", true, 120);
    ck_assert_msg(r.status == 0 && th_contains(r.out, "done"), "status %d; stderr:\n%.2000s",
                  r.status, r.err);
    for (int i = 1; i <= 4; i++) {
        char kind[16];
        snprintf(kind, sizeof kind, "check-%d", i);
        json_t *rep = th_report(&r, kind, r.pid);
        ck_assert_msg(rep != NULL, "no %s report; stderr:\n%.2000s", kind, r.err);
        ck_assert_int_eq(th_summary(rep, "proven"), 0);
        ck_assert_int_ge(th_group_count(rep, "leaked", "cond wait"), 3);
        json_decref(rep);
    }
    th_run_free(&r);
}
END_TEST

Suite *make_rel_proof_suite(void)
{
    Suite *s = suite_create("rel_proof");
    TCase *tc = tcase_create("mutation");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, a_heap_mutated_during_the_scan_is_never_proven);
    suite_add_tcase(s, tc);
    return s;
}
