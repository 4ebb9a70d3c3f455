/*
 * tl_wfgraph: the wait-for cycle search shared by the detector (tl_deadlock.c) and taskleak attach,
 * over plain edge arrays: each cycle once, in wait-for order; tails into a cycle are not members
 * but reach it; edges out of range end a path.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tl_wfgraph.h"

struct found {
    size_t n, len[8], first[8];
};

static void collect(void *ctx, const size_t *m, size_t len)
{
    struct found *f = ctx;
    if (f->n < 8) {
        f->len[f->n] = len;
        f->first[f->n] = m[0];
    }
    f->n++;
}

START_TEST(each_cycle_is_found_once_and_tails_are_not_members)
{
    /* 0 -> 1 -> 2 -> 0 (a cycle of three), 3 -> 1 (a tail), 4 -> 5 -> 4 (a pair), 6 alone,
     * 7 -> 99 (out of range: ends) */
    long next[] = {1, 2, 0, 1, 5, 4, -1, 99};
    struct found f = {0};
    ck_assert_int_eq(tl_wfg_cycles(next, 8, collect, &f), 0);
    ck_assert_uint_eq(f.n, 2);
    ck_assert_uint_eq(f.len[0] + f.len[1], 5);
    ck_assert(f.len[0] == 3 || f.len[1] == 3);
}
END_TEST

static size_t members[8], nmembers;

static void keep(void *ctx, const size_t *m, size_t len)
{
    (void)ctx;
    nmembers = len < 8 ? len : 8;
    memcpy(members, m, nmembers * sizeof *m);
}

START_TEST(members_come_in_wait_for_order)
{
    long next[] = {-1, 3, -1, 4, 1}; /* 1 -> 3 -> 4 -> 1 */
    nmembers = 0;
    ck_assert_int_eq(tl_wfg_cycles(next, 5, keep, NULL), 0);
    ck_assert_uint_eq(nmembers, 3);
    for (size_t k = 0; k < 3; k++)
        ck_assert_int_eq(next[members[k]], (long)members[(k + 1) % 3]);
}
END_TEST

START_TEST(reaching_a_dead_unit_follows_edges)
{
    long next[] = {1, 2, -1, 2, -1, 4};
    bool dead[6] = {false, false, true, false, false, false}, reach[6];
    ck_assert_int_eq(tl_wfg_reaches(next, 6, dead, reach), 0);
    ck_assert(reach[0] && reach[1] && reach[2] && reach[3]);
    ck_assert(!reach[4] && !reach[5]);
}
END_TEST

START_TEST(an_empty_graph_has_no_cycle)
{
    struct found f = {0};
    ck_assert_int_eq(tl_wfg_cycles(NULL, 0, collect, &f), 0);
    ck_assert_uint_eq(f.n, 0);
}
END_TEST

Suite *make_tl_wfgraph_suite(void)
{
    Suite *s = suite_create("tl_wfgraph");
    TCase *tc = tcase_create("wfgraph");
    tcase_add_test(tc, each_cycle_is_found_once_and_tails_are_not_members);
    tcase_add_test(tc, members_come_in_wait_for_order);
    tcase_add_test(tc, reaching_a_dead_unit_follows_edges);
    tcase_add_test(tc, an_empty_graph_has_no_cycle);
    suite_add_tcase(s, tc);
    return s;
}
