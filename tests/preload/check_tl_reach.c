/*
 * tl_reach over a memory the test describes (arrays of its own, read with memcpy): an object
 * only a root points to is marked, one nothing points to is not; pointers chain through blocks;
 * an interior pointer reaches the whole block; a cycle of blocks nobody else points to stays
 * unmarked; a hole is never traversed (a pointer kept only in a hole proves nothing reachable); an
 * unreadable page is counted, not read; a located segment uses the allocator's blocks (its free
 * ones skipped even when the whole segment must be scanned, a word into no block of theirs marking
 * nothing, a block cut there as a hole never traversed); and a
 * segment cut into a thousand blocks marks exactly the chain it should.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "tl_reach.h"

#define HEAP_WORDS 4096

static _Alignas(64) uintptr_t heap[HEAP_WORDS]; /* the "heap" segment */
static _Alignas(64) uintptr_t globals[64];      /* a root */
static uintptr_t forbidden_lo, forbidden_hi;    /* reads here fail (an unreadable page) */
static struct tl_reach *R;

static _Alignas(64) uintptr_t arena[512]; /* the located segment's memory (tests below) */

/* Reads only inside the described memory, as process_vm_readv would stop at an unmapped page. */
static size_t read_mem(void *ctx, uintptr_t addr, void *buf, size_t len)
{
    (void)ctx;
    const uintptr_t lo[] = {(uintptr_t)heap, (uintptr_t)globals, (uintptr_t)arena};
    const uintptr_t hi[] = {(uintptr_t)(heap + HEAP_WORDS), (uintptr_t)(globals + 64),
                            (uintptr_t)(arena + 512)};
    for (int k = 0; k < 3; k++) {
        if (addr < lo[k] || addr >= hi[k])
            continue;
        size_t ok = hi[k] - addr < len ? hi[k] - addr : len;
        if (forbidden_hi > forbidden_lo && addr < forbidden_hi && addr + ok > forbidden_lo)
            ok = addr < forbidden_lo ? forbidden_lo - addr : 0;
        memcpy(buf, (void *)addr, ok);
        return ok;
    }
    return 0;
}

static uintptr_t H(size_t word)
{
    return (uintptr_t)&heap[word];
}

static void setup(void)
{
    memset(heap, 0, sizeof heap);
    memset(globals, 0, sizeof globals);
    forbidden_lo = forbidden_hi = 0;
    R = tl_reach_new(read_mem, NULL);
    ck_assert_ptr_nonnull(R);
    ck_assert_int_ge(tl_reach_segment(R, H(0), H(HEAP_WORDS)), 0);
    for (size_t b = 0; b < HEAP_WORDS; b += 16) /* 128-byte blocks */
        ck_assert_int_eq(tl_reach_cut(R, H(b), false), 0);
    ck_assert_int_eq(tl_reach_root(R, (uintptr_t)globals, (uintptr_t)(globals + 64)), 0);
}

static void teardown(void)
{
    tl_reach_free(R);
}

static void run(void)
{
    size_t unread = 99;
    ck_assert_int_eq(tl_reach_run(R, &unread), 0);
    ck_assert_uint_eq(unread, 0);
}

START_TEST(a_block_a_root_points_to_is_marked_and_its_neighbour_is_not)
{
    globals[3] = H(32);
    run();
    ck_assert_int_eq(tl_reach_state(R, H(32)), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, H(47)), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, H(48)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, (uintptr_t)&globals[5]), TL_REACH_ROOT);
    ck_assert_int_eq(tl_reach_state(R, (uintptr_t)&R), TL_REACH_UNKNOWN);
}
END_TEST

START_TEST(pointers_chain_through_blocks_and_interior_pointers_count)
{
    globals[0] = H(16) + 40;  /* into the middle of block 1 */
    heap[16 + 9] = H(64) + 8; /* block 1 -> inside block 4 */
    heap[64 + 15] = H(160);   /* block 4 -> block 10 */
    heap[200] = H(300);       /* block 12 (unreached) -> block 18 */
    tl_reach_watch(R, H(165));
    run();
    ck_assert_uint_eq(tl_reach_watched_from(R), (uintptr_t)&heap[64 + 15]);
    ck_assert_int_eq(tl_reach_state(R, H(16)), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, H(70)), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, H(165)), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, H(200)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, H(300)), TL_REACH_UNMARKED);
    ck_assert_uint_ge(tl_reach_scanned(R), sizeof globals + 3 * 128);
}
END_TEST

START_TEST(a_cycle_nobody_else_points_to_stays_unmarked)
{
    heap[32] = H(48); /* two blocks pointing at each other, as two deadlocked waiters' objects */
    heap[48] = H(32);
    globals[1] = H(80);
    run();
    ck_assert_int_eq(tl_reach_state(R, H(32)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, H(48)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, H(80)), TL_REACH_MARKED);
}
END_TEST

START_TEST(a_hole_is_never_traversed)
{
    ck_assert_int_eq(tl_reach_cut(R, H(96), true), 0); /* block 6 is a hole */
    globals[0] = H(96) + 16;
    heap[96 + 2] = H(128); /* only the hole points to block 8 */
    run();
    ck_assert_int_eq(tl_reach_state(R, H(100)), TL_REACH_HOLE);
    ck_assert_int_eq(tl_reach_state(R, H(128)), TL_REACH_UNMARKED);
    /* a non-hole block cut inside the hole's span ends it */
    ck_assert_int_eq(tl_reach_state(R, H(112)), TL_REACH_UNMARKED);
}
END_TEST

START_TEST(an_unreadable_page_is_counted_not_read)
{
    globals[0] = H(0);
    heap[3] = H(1024);
    forbidden_lo = H(0);
    forbidden_hi = H(16);
    size_t unread = 0;
    ck_assert_int_eq(tl_reach_run(R, &unread), 0);
    ck_assert_uint_gt(unread, 0);
    ck_assert_int_eq(tl_reach_state(R, H(1024)), TL_REACH_UNMARKED);
}
END_TEST

/* The located segment's "allocator": blocks of 64 bytes, none known above half of it. */

static bool locate64(void *ctx, uintptr_t a, uintptr_t *lo, uintptr_t *hi, bool *hole)
{
    (void)ctx;
    *hole = a >= (uintptr_t)arena + 128 && a < (uintptr_t)arena + 192; /* the third is freed */
    uintptr_t base = (uintptr_t)arena;
    if (a >= base + sizeof arena / 2)
        return false;
    *lo = base + (a - base) / 64 * 64;
    *hi = *lo + 64;
    return true;
}

/* The arena, zeroed, as a segment located by fn. */
static void located_arena(tl_reach_locate_fn fn)
{
    memset(arena, 0, sizeof arena);
    int s = tl_reach_segment(R, (uintptr_t)arena, (uintptr_t)(arena + 512));
    ck_assert_int_ge(s, 0);
    tl_reach_locate(R, s, fn, NULL);
}

START_TEST(a_located_segment_uses_the_allocators_blocks)
{
    located_arena(locate64);
    globals[2] = (uintptr_t)&arena[9]; /* inside the second 64-byte block */
    arena[8] = H(512);
    arena[9] = (uintptr_t)&arena[17]; /* into the freed third block, a hole */
    arena[17] = H(1024);
    run();
    ck_assert_int_eq(tl_reach_state(R, (uintptr_t)&arena[17]), TL_REACH_HOLE);
    ck_assert_int_eq(tl_reach_state(R, H(1024)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, (uintptr_t)&arena[8]), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, (uintptr_t)&arena[0]), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, H(512)), TL_REACH_MARKED);
}
END_TEST

START_TEST(an_unknown_block_of_a_located_segment_marks_all_of_it)
{
    located_arena(locate64);
    globals[2] = (uintptr_t)&arena[400]; /* the allocator knows no block there */
    arena[1] = H(512);
    run();
    ck_assert_int_eq(tl_reach_state(R, (uintptr_t)&arena[0]), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, H(512)), TL_REACH_MARKED);
}
END_TEST

START_TEST(a_located_segment_marked_whole_still_skips_the_allocators_free_blocks)
{
    located_arena(locate64);
    globals[2] = (uintptr_t)&arena[400]; /* unknown memory: the whole segment is scanned */
    arena[17] = H(1024);                 /* a stale word in the freed third block */
    arena[3] = H(512);                   /* a live block's word */
    arena[300] = H(768);                 /* unknown memory's word */
    run();
    ck_assert_int_eq(tl_reach_state(R, H(1024)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, H(512)), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, H(768)), TL_REACH_MARKED);
}
END_TEST

/* An allocator that names the nearest block, as ASan does: blocks of 32 bytes every 64, the 32
 * bytes after each a redzone where no block lies. */
static bool locate_nearest(void *ctx, uintptr_t a, uintptr_t *lo, uintptr_t *hi, bool *hole)
{
    (void)ctx;
    *hole = false;
    *lo = (uintptr_t)arena + (a - (uintptr_t)arena) / 64 * 64;
    *hi = *lo + 32;
    return true;
}

START_TEST(a_word_into_a_located_segments_redzone_marks_nothing_but_one_past_the_end_does)
{
    located_arena(locate_nearest);
    globals[2] = (uintptr_t)&arena[5];  /* the redzone after the first block */
    globals[3] = (uintptr_t)&arena[12]; /* one past the end of the second */
    arena[0] = H(512);
    arena[8] = H(768);
    run();
    ck_assert_int_eq(tl_reach_state(R, (uintptr_t)&arena[0]), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, H(512)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, (uintptr_t)&arena[8]), TL_REACH_MARKED);
    ck_assert_int_eq(tl_reach_state(R, H(768)), TL_REACH_MARKED);
}
END_TEST

START_TEST(a_block_cut_as_a_hole_in_a_located_segment_is_never_traversed)
{
    located_arena(locate64);
    ck_assert_int_eq(tl_reach_cut(R, (uintptr_t)&arena[8], true), 0); /* the second block */
    ck_assert_int_eq(tl_reach_cut(R, (uintptr_t)&arena[16], false), 0);
    globals[2] = (uintptr_t)&arena[9];
    arena[9] = H(512);
    globals[3] = (uintptr_t)&arena[400]; /* unknown memory: the segment is scanned whole */
    arena[10] = H(768);                  /* ...but never the hole */
    arena[300] = H(1024);
    run();
    ck_assert_int_eq(tl_reach_state(R, H(512)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, H(768)), TL_REACH_UNMARKED);
    ck_assert_int_eq(tl_reach_state(R, H(1024)), TL_REACH_MARKED);
}
END_TEST

START_TEST(overlapping_or_misaligned_segments_are_refused)
{
    ck_assert_int_eq(tl_reach_segment(R, H(8), H(24)), -1);
    ck_assert_int_eq(tl_reach_segment(R, (uintptr_t)globals + 8, (uintptr_t)globals + 24), -1);
}
END_TEST

START_TEST(a_long_chain_marks_exactly_its_members)
{
    /* every other block links to the one two further on: 128 marked, 128 not */
    globals[0] = H(0);
    for (size_t b = 0; b + 32 < HEAP_WORDS; b += 32)
        heap[b + 5] = H(b + 32) + 24;
    run();
    for (size_t b = 0; b < HEAP_WORDS; b += 16)
        ck_assert_int_eq(tl_reach_state(R, H(b)),
                         b % 32 == 0 ? TL_REACH_MARKED : TL_REACH_UNMARKED);
}
END_TEST

Suite *make_tl_reach_suite(void)
{
    Suite *s = suite_create("tl_reach");
    TCase *tc = tcase_create("reach");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_block_a_root_points_to_is_marked_and_its_neighbour_is_not);
    tcase_add_test(tc, pointers_chain_through_blocks_and_interior_pointers_count);
    tcase_add_test(tc, a_cycle_nobody_else_points_to_stays_unmarked);
    tcase_add_test(tc, a_hole_is_never_traversed);
    tcase_add_test(tc, an_unreadable_page_is_counted_not_read);
    tcase_add_test(tc, a_located_segment_uses_the_allocators_blocks);
    tcase_add_test(tc, an_unknown_block_of_a_located_segment_marks_all_of_it);
    tcase_add_test(tc, a_located_segment_marked_whole_still_skips_the_allocators_free_blocks);
    tcase_add_test(tc, a_word_into_a_located_segments_redzone_marks_nothing_but_one_past_the_end_does);
    tcase_add_test(tc, a_block_cut_as_a_hole_in_a_located_segment_is_never_traversed);
    tcase_add_test(tc, overlapping_or_misaligned_segments_are_refused);
    tcase_add_test(tc, a_long_chain_marks_exactly_its_members);
    suite_add_tcase(s, tc);
    return s;
}
