/*
 * tl_lockgraph without a process: an ABBA pair is a cycle found from either edge, a consistent
 * order is none, a three-lock cycle comes back in order, read-read does not invert but read-write
 * does, a gate lock held around every edge hides the cycle until one edge is seen without it,
 * forgetting a lock removes its edges (heap reuse forms no phantom cycle) and memory stays
 * bounded by live locks, and a graph with thousands of locks still answers.
 */
#include <check.h>
#include <string.h>

#include "tl_lockgraph.h"

static struct tl_lg g;

static void setup(void)
{
    tl_lg_init(&g);
}

static void teardown(void)
{
    tl_lg_fini(&g);
}

static uint32_t add_gated(uintptr_t from, uintptr_t to, unsigned mode, const uintptr_t *gate,
                          unsigned ngate)
{
    struct tl_lg_edge e;
    memset(&e, 0, sizeof e);
    e.from = from;
    e.to = to;
    e.mode = mode;
    e.unit = 1;
    for (unsigned k = 0; k < ngate; k++)
        e.gate[k] = gate[k];
    e.ngate = ngate;
    ck_assert_uint_eq(tl_lg_find(&g, from, to, mode), 0);
    uint32_t id = tl_lg_add(&g, &e);
    ck_assert_uint_ne(id, 0);
    ck_assert_uint_eq(tl_lg_find(&g, from, to, mode), id);
    return id;
}

static uint32_t add(uintptr_t from, uintptr_t to, unsigned mode)
{
    return add_gated(from, to, mode, NULL, 0);
}

static size_t cycle(uint32_t id)
{
    uint32_t out[TL_LG_CYCLE_MAX];
    return tl_lg_cycle(&g, id, out, TL_LG_CYCLE_MAX);
}

START_TEST(two_locks_taken_in_opposite_orders_form_a_cycle)
{
    uint32_t ab = add(0x1000, 0x2000, 0);
    ck_assert_uint_eq(cycle(ab), 0);
    uint32_t ba = add(0x2000, 0x1000, 0);
    uint32_t out[TL_LG_CYCLE_MAX];
    ck_assert_uint_eq(tl_lg_cycle(&g, ba, out, TL_LG_CYCLE_MAX), 2);
    ck_assert_uint_eq(out[0], ba);
    ck_assert_uint_eq(out[1], ab);
    ck_assert_uint_eq(cycle(ab), 2);
}
END_TEST

START_TEST(one_consistent_order_forms_no_cycle)
{
    uint32_t ids[4] = {add(0x10, 0x20, 0), add(0x20, 0x30, 0), add(0x10, 0x30, 0),
                       add(0x30, 0x40, 0)};
    for (int k = 0; k < 4; k++)
        ck_assert_uint_eq(cycle(ids[k]), 0);
    ck_assert_uint_eq(tl_lg_edges(&g), 4);
    ck_assert_uint_eq(tl_lg_nodes(&g), 4);
}
END_TEST

START_TEST(a_three_lock_cycle_comes_back_in_order)
{
    uint32_t ab = add(0xa0, 0xb0, 0), bc = add(0xb0, 0xc0, 0);
    uint32_t ca = add(0xc0, 0xa0, 0), out[TL_LG_CYCLE_MAX];
    ck_assert_uint_eq(tl_lg_cycle(&g, ca, out, TL_LG_CYCLE_MAX), 3);
    ck_assert_uint_eq(out[0], ca);
    ck_assert_uint_eq(out[1], ab);
    ck_assert_uint_eq(out[2], bc);
    ck_assert_uint_eq(tl_lg_cycle(&g, ca, out, 2), 0); /* longer than the caller's room */
}
END_TEST

START_TEST(readers_on_both_sides_do_not_invert_but_a_writer_does)
{
    /* rd(A) then rd(B), and rd(B) then rd(A): readers never wait for readers. */
    add(0xa0, 0xb0, TL_LG_HELD_READ | TL_LG_ACQ_READ);
    uint32_t ba = add(0xb0, 0xa0, TL_LG_HELD_READ | TL_LG_ACQ_READ);
    ck_assert_uint_eq(cycle(ba), 0);
    /* rd(A) then wr(B) and wr(B) then rd(A): still no lock where both sides read?  A is held by a
     * reader in the first and acquired by a reader in the second: readers share A. */
    uint32_t ab_w = add(0xa0, 0xb0, TL_LG_HELD_READ);
    uint32_t ba_w = add(0xb0, 0xa0, TL_LG_ACQ_READ);
    ck_assert_uint_eq(cycle(ba_w), 0);
    ck_assert_uint_eq(cycle(ab_w), 0);
    /* wr(A) then wr(B) against rd(B)... then wr(A): B is written on one side: a real cycle. */
    uint32_t ab_ww = add(0xa0, 0xb0, 0);
    uint32_t ba_rw = add(0xb0, 0xa0, TL_LG_HELD_READ);
    ck_assert_uint_eq(cycle(ba_rw), 2);
    ck_assert_uint_eq(cycle(ab_ww), 2);
}
END_TEST

START_TEST(a_gate_lock_around_every_edge_hides_the_cycle)
{
    uintptr_t gate = 0x9000, other = 0x9100;
    add(0x9000, 0x1000, 0);
    uint32_t ab = add_gated(0x1000, 0x2000, 0, &gate, 1);
    uintptr_t two[2] = {other, gate};
    uint32_t ba = add_gated(0x2000, 0x1000, 0, two, 2);
    ck_assert_uint_eq(cycle(ba), 0);
    /* The same pair is later seen with only `other` held: the gate no longer guards it. */
    ck_assert(tl_lg_narrow_gate(tl_lg_edge(&g, ab), &other, 1));
    ck_assert_uint_eq(tl_lg_edge(&g, ab)->ngate, 0);
    ck_assert(!tl_lg_narrow_gate(tl_lg_edge(&g, ab), &other, 1));
    ck_assert_uint_eq(cycle(ab), 2);
}
END_TEST

START_TEST(a_forgotten_lock_takes_its_edges_along)
{
    add(0x1000, 0x2000, 0);
    add(0x3000, 0x1000, 0);
    add(0x3000, 0x2000, 0);
    ck_assert_uint_eq(tl_lg_forget(&g, 0x1000), 2);
    ck_assert_uint_eq(tl_lg_edges(&g), 1);
    ck_assert_uint_eq(tl_lg_nodes(&g), 2);
    ck_assert_uint_eq(tl_lg_find(&g, 0x1000, 0x2000, 0), 0);
    /* A new lock at the reused address taken in the other order is no inversion. */
    uint32_t ba = add(0x2000, 0x1000, 0);
    ck_assert_uint_eq(cycle(ba), 0);
    ck_assert_uint_eq(tl_lg_forget(&g, 0x4000), 0);
}
END_TEST

START_TEST(memory_follows_the_live_locks_not_the_locks_ever_seen)
{
    uintptr_t outer = 0x100;
    for (uintptr_t k = 0; k < 10000; k++) {
        uintptr_t lock = 0x100000 + (k % 64) * 64; /* heap blocks freed and reused */
        add(outer, lock, 0);
        uint32_t back = add(lock, outer + 8, 0);
        ck_assert_uint_eq(cycle(back), 0);
        ck_assert_uint_eq(tl_lg_forget(&g, lock), 2);
    }
    ck_assert_uint_eq(tl_lg_edges(&g), 0);
    ck_assert_uint_eq(tl_lg_nodes(&g), 0);
    ck_assert_uint_lt(tl_lg_bytes(&g), 64 * 1024);
}
END_TEST

START_TEST(thousands_of_locks_in_a_chain_close_one_long_cycle_only_within_the_limit)
{
    for (uintptr_t k = 0; k < 3000; k++)
        add(0x10000 + k * 16, 0x10000 + (k + 1) * 16, 0);
    ck_assert_uint_eq(tl_lg_edges(&g), 3000);
    uint32_t back = add(0x10000 + 3000 * 16, 0x10000, 0);
    ck_assert_uint_eq(cycle(back), 0); /* 3001 edges: beyond TL_LG_CYCLE_MAX, not reported */
    uint32_t shortcut = add(0x10000 + 5 * 16, 0x10000, 0);
    ck_assert_uint_eq(cycle(shortcut), 6);
}
END_TEST

Suite *make_tl_lockgraph_suite(void)
{
    Suite *s = suite_create("tl_lockgraph");
    TCase *tc = tcase_create("graph");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, two_locks_taken_in_opposite_orders_form_a_cycle);
    tcase_add_test(tc, one_consistent_order_forms_no_cycle);
    tcase_add_test(tc, a_three_lock_cycle_comes_back_in_order);
    tcase_add_test(tc, readers_on_both_sides_do_not_invert_but_a_writer_does);
    tcase_add_test(tc, a_gate_lock_around_every_edge_hides_the_cycle);
    tcase_add_test(tc, a_forgotten_lock_takes_its_edges_along);
    tcase_add_test(tc, memory_follows_the_live_locks_not_the_locks_ever_seen);
    tcase_add_test(tc, thousands_of_locks_in_a_chain_close_one_long_cycle_only_within_the_limit);
    suite_add_tcase(s, tc);
    return s;
}
