/*
 * tl_vec: an empty array grows to the minimum, then by doubling, or straight to what is asked
 * when that is more; asking for no more than the capacity changes nothing; elements survive every
 * growth; a byte count past size_t and an allocation the system refuses both return -1 with
 * ENOMEM and leave the array and its capacity as they were (the process goes on: nothing exits).
 * The mapped variant grows the same way off the heap, its new elements zero.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tl_vec.h"

struct item {
    int key;
    char text[12];
};

START_TEST(an_empty_array_grows_to_the_minimum_then_doubles)
{
    struct item *v = NULL;
    size_t cap = 0;
    ck_assert_int_eq(TL_VEC_PUSH_SLOT(v, cap, 0), 0);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(cap, TL_VEC_MIN);
    ck_assert_int_eq(TL_VEC_PUSH_SLOT(v, cap, TL_VEC_MIN), 0);
    ck_assert_uint_eq(cap, 2 * TL_VEC_MIN);
    ck_assert_int_eq(TL_VEC_RESERVE(v, cap, 1000), 0);
    ck_assert_uint_eq(cap, 1000); /* more than double: exactly what was asked */
    free(v);
}
END_TEST

START_TEST(asking_for_no_more_than_the_capacity_changes_nothing)
{
    int *v = NULL;
    size_t cap = 0;
    ck_assert_int_eq(TL_VEC_RESERVE(v, cap, 20), 0);
    int *before = v;
    size_t cap_before = cap;
    for (size_t need = 0; need <= cap_before; need++) {
        ck_assert_int_eq(TL_VEC_RESERVE(v, cap, need), 0);
        ck_assert_ptr_eq(v, before);
        ck_assert_uint_eq(cap, cap_before);
    }
    free(v);
}
END_TEST

START_TEST(elements_survive_every_growth)
{
    struct item *v = NULL;
    size_t n = 0, cap = 0, grown = 0;
    for (int i = 0; i < 5000; i++) {
        size_t old = cap;
        ck_assert_int_eq(TL_VEC_PUSH_SLOT(v, cap, n), 0);
        grown += cap != old;
        v[n] = (struct item){.key = i};
        snprintf(v[n].text, sizeof v[n].text, "#%d", i);
        n++;
    }
    for (int i = 0; i < 5000; i++) {
        char want[12];
        snprintf(want, sizeof want, "#%d", i);
        ck_assert_int_eq(v[i].key, i);
        ck_assert_str_eq(v[i].text, want);
    }
    ck_assert_uint_le(grown, 12); /* doubling: log2(5000 / 8) + 1 growths, not one per push */
    free(v);
}
END_TEST

START_TEST(a_byte_count_past_size_t_fails_and_keeps_the_array)
{
    struct item *v = NULL;
    size_t cap = 0;
    ck_assert_int_eq(TL_VEC_PUSH_SLOT(v, cap, 2), 0);
    v[0] = (struct item){7, "kept"};
    struct item *before = v;
    size_t cap_before = cap;
    errno = 0;
    ck_assert_int_eq(TL_VEC_RESERVE(v, cap, SIZE_MAX / sizeof *v + 1), -1);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_int_eq(TL_VEC_RESERVE(v, cap, SIZE_MAX), -1);
    ck_assert_ptr_eq(v, before);
    ck_assert_uint_eq(cap, cap_before);
    ck_assert_int_eq(v[0].key, 7);
    ck_assert_str_eq(v[0].text, "kept");
    free(v);
}
END_TEST

START_TEST(a_refused_allocation_fails_and_keeps_the_array)
{
    /* 2^46 bytes: more than any test machine's memory and swap, so glibc's malloc refuses it.
     * The sanitizers' allocators abort on such a request instead, unless told otherwise. */
    if (TH_SANITIZE)
        return;
    char *v = NULL;
    size_t cap = 0;
    ck_assert_int_eq(TL_VEC_RESERVE(v, cap, 16), 0);
    memcpy(v, "still here", 11);
    char *before = v;
    errno = 0;
    ck_assert_int_eq(TL_VEC_RESERVE(v, cap, (size_t)1 << 46), -1);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_ptr_eq(v, before);
    ck_assert_uint_eq(cap, 16);
    ck_assert_str_eq(v, "still here");
    free(v);
}
END_TEST

START_TEST(a_mapped_array_grows_the_same_way_off_the_heap_with_zeroed_elements)
{
    long *v = NULL;
    size_t n = 0, cap = 0;
    for (long i = 0; i < 100000; i++) {
        ck_assert_int_eq(TL_VEC_PUSH_SLOT_MAPPED(v, cap, n), 0);
        ck_assert_int_eq(v[n], 0); /* fresh pages of the mapping */
        v[n++] = i * 3;
    }
    ck_assert_uint_ge(cap, 100000);
    ck_assert_uint_lt(cap, 2 * 100000);
    for (long i = 0; i < 100000; i++)
        ck_assert_int_eq(v[i], i * 3);
    long *before = v;
    size_t cap_before = cap;
    ck_assert_int_eq(TL_VEC_RESERVE_MAPPED(v, cap, SIZE_MAX / sizeof *v + 1), -1);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_ptr_eq(v, before);
    ck_assert_uint_eq(cap, cap_before);
    ck_assert_int_eq(munmap(v, cap * sizeof *v), 0);
}
END_TEST

Suite *make_tl_vec_suite(void)
{
    Suite *s = suite_create("tl_vec");
    TCase *tc = tcase_create("growth");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, an_empty_array_grows_to_the_minimum_then_doubles);
    tcase_add_test(tc, asking_for_no_more_than_the_capacity_changes_nothing);
    tcase_add_test(tc, elements_survive_every_growth);
    tcase_add_test(tc, a_byte_count_past_size_t_fails_and_keeps_the_array);
    tcase_add_test(tc, a_refused_allocation_fails_and_keeps_the_array);
    tcase_add_test(tc, a_mapped_array_grows_the_same_way_off_the_heap_with_zeroed_elements);
    suite_add_tcase(s, tc);
    return s;
}
