/*
 * tl_group's build takes the options it judges by as a parameter: the same blocked thread is
 * "blocked" in a watchdog report built with threshold=0 and has no verdict under the default
 * threshold or a longer one; stack_depth bounds the blocked stack the build unwinds. The
 * suppressions are a parameter too: a block: pattern naming a function of the blocked stack
 * silences the unit (counted, the pattern kept, the set listed with the report), a leak: pattern
 * of the same function or a block: pattern of another does not, and no set silences nothing. A
 * lock-order inversion is matched the same way, by inversion: patterns of the set given. No
 * detector around it: the units and lock acquisitions are this process's own, recorded by hand.
 */
#include <check.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tl_block.h"
#include "tl_group.h"
#include "tl_inversion.h"
#include "tl_lockorder.h"
#include "tl_options.h"
#include "tl_registry.h"
#include "tl_stack.h"
#include "tl_supp.h"

struct blocker {
    struct tl_unit *unit;
    sem_t entered, release;
    pthread_t thread;
};

static __attribute__((noipa)) void wait_in_bracket(struct blocker *b)
{
    struct tl_unit *u = tl_block_begin("semaphore", "sem_wait", &b->release, true);
    sem_post(&b->entered);
    sem_wait(&b->release);
    tl_block_end(u);
}

static __attribute__((noipa)) void nest(struct blocker *b, int depth)
{
    if (depth > 0)
        nest(b, depth - 1);
    else
        wait_in_bracket(b);
    __asm__ volatile("" ::: "memory"); /* not a tail call: every level stays a frame */
}

static void *blocker_main(void *arg)
{
    struct blocker *b = arg;
    tl_registry_attach(b->unit);
    nest(b, 6);
    return NULL;
}

/* A thread unit blocked in a durable wait (a semaphore) until release(). */
static void block(struct blocker *b)
{
    tl_registry_adopt(1);
    sem_init(&b->entered, 0, 0);
    sem_init(&b->release, 0, 0);
    b->unit = tl_registry_new(0, 0, false);
    ck_assert_ptr_nonnull(b->unit);
    ck_assert_int_eq(pthread_create(&b->thread, NULL, blocker_main, b), 0);
    sem_wait(&b->entered); /* it is inside the bracket now */
}

static void release(struct blocker *b)
{
    sem_post(&b->release);
    pthread_join(b->thread, NULL);
}

static const struct tl_rep_unit *unit_of(const struct tl_report *r, const struct blocker *b)
{
    char id[40];
    snprintf(id, sizeof id, "thread:%llu", (unsigned long long)b->unit->seq);
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->units[i].id, id) == 0)
            return &r->units[i];
    ck_abort_msg("%s is not in the report", id);
    return NULL;
}

/* The verdict the blocked unit gets in a watchdog report built under o. */
static const char *verdict_under(const struct tl_options *o, struct blocker *b)
{
    struct tl_report r;
    ck_assert_int_eq(tl_report_build(&r, TL_BUILD_WATCHDOG, 0, o, NULL), 0);
    ck_assert_ptr_eq(r.opts, o);
    const struct tl_rep_unit *u = unit_of(&r, b);
    ck_assert(u->has_wait && u->wait.durable);
    const char *v = u->verdict;
    tl_report_free(&r);
    return v;
}

START_TEST(a_wait_is_blocked_only_past_the_threshold_the_build_is_given)
{
    struct tl_options o;
    tl_options_defaults(&o);
    o.proof = false;
    struct blocker b;
    block(&b);
    ck_assert_ptr_null(verdict_under(&o, &b)); /* 10s: a fresh wait is not suspected */
    o.threshold_ms = 3600000;
    ck_assert_ptr_null(verdict_under(&o, &b));
    o.threshold_ms = 0; /* every durable wait is past it */
    const char *v = verdict_under(&o, &b);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "blocked");
    release(&b);
}
END_TEST

/* Frames of the blocked unit's stack in an exit report built with stack_depth=depth. */
static int blocked_frames(int depth, struct blocker *b)
{
    struct tl_options o;
    tl_options_defaults(&o);
    o.proof = false;
    o.stack_depth = depth;
    struct tl_report r;
    ck_assert_int_eq(tl_report_build(&r, TL_BUILD_EXIT, 0, &o, NULL), 0);
    int n = 0;
    tl_stack_frames(unit_of(&r, b)->blocked_stack, &n);
    tl_report_free(&r);
    return n;
}

START_TEST(the_blocked_stack_keeps_at_most_stack_depth_frames)
{
    struct blocker b;
    block(&b);
    int deep = blocked_frames(32, &b);
    ck_assert_int_ge(deep, 8); /* the bracket's caller and the seven nest() frames at least */
    ck_assert_int_eq(blocked_frames(3, &b), 3);
    ck_assert_int_eq(blocked_frames(1, &b), 1);
    release(&b);
}
END_TEST

/* A suppression set read from text (one pattern a line). */
static struct tl_supp *supp_of(const char *text)
{
    struct tl_supp *s = tl_supp_new();
    struct tl_supp_error e;
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(tl_supp_read_text(s, "test", text, strlen(text), &e), 0);
    return s;
}

/* Builds a watchdog report with threshold=0 under the suppressions s; returns the pattern that
 * silenced b's unit (NULL: none) and checks the verdict and the counts agree with it. */
static const char *suppressed_by(struct tl_supp *s, struct blocker *b)
{
    struct tl_options o;
    tl_options_defaults(&o);
    o.proof = false;
    o.threshold_ms = 0;
    struct tl_report r;
    ck_assert_int_eq(tl_report_build(&r, TL_BUILD_WATCHDOG, 0, &o, s), 0);
    ck_assert_ptr_eq(r.supp, s);
    const struct tl_rep_unit *u = unit_of(&r, b);
    const char *p = u->suppressed;
    if (p != NULL) {
        ck_assert_ptr_null(u->verdict);
        ck_assert_uint_ge(r.suppressed, 1);
    } else {
        ck_assert_ptr_nonnull(u->verdict);
        ck_assert_str_eq(u->verdict, "blocked");
    }
    tl_report_free(&r);
    return p;
}

START_TEST(the_suppressions_the_build_is_given_silence_the_unit_they_match)
{
    struct blocker b;
    block(&b);
    ck_assert_ptr_null(suppressed_by(NULL, &b));
    struct tl_supp *other = supp_of("block:no_such_function\nleak:nest\n");
    ck_assert_ptr_null(suppressed_by(other, &b));
    ck_assert_uint_eq(tl_supp_matched(other, 0) + tl_supp_matched(other, 1), 0);
    struct tl_supp *mine = supp_of("leak:blocker_main\nblock:nes*\n");
    const char *p = suppressed_by(mine, &b);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, "block:nes*");
    ck_assert_uint_eq(tl_supp_matched(mine, 1), 1);
    ck_assert_uint_eq(tl_supp_matched(mine, 0), 0);
    release(&b);
    tl_supp_free(other);
    tl_supp_free(mine);
}
END_TEST

/* Two locks taken in both orders by this thread. The call sites handed to the lock-order record
 * are getpid's address: in libc, outside this test program, whose own frames the record ignores as
 * the detector's, and not one a sanitizer intercepts (fputs would resolve to ASan's wrapper, a
 * frame the record drops as the sanitizer's, leaving the stacks empty). */
static void take_both_orders(void)
{
    static int a, b;
    uintptr_t ip = (uintptr_t)&getpid, sp = (uintptr_t)__builtin_frame_address(0);
    tl_lo_acquired_slow(&a, 0, ip, sp);
    tl_lo_acquired_slow(&b, 0, ip, sp);
    tl_lo_released_slow(&b);
    tl_lo_released_slow(&a);
    tl_lo_acquired_slow(&b, 0, ip, sp);
    tl_lo_acquired_slow(&a, 0, ip, sp);
    tl_lo_released_slow(&a);
    tl_lo_released_slow(&b);
}

/* The pattern that silenced the one inversion of a report built under s (NULL: none); the counts
 * agree with it. */
static const char *inversion_suppressed_by(struct tl_supp *s)
{
    struct tl_options o;
    tl_options_defaults(&o);
    o.proof = false;
    struct tl_report r;
    ck_assert_int_eq(tl_report_build(&r, TL_BUILD_WATCHDOG, 0, &o, s), 0);
    ck_assert_uint_eq(r.ninversions, 1);
    const char *p = r.inversions[0].suppressed;
    ck_assert_uint_eq(r.inverted, p == NULL ? 1 : 0);
    tl_report_free(&r);
    return p;
}

START_TEST(an_inversion_is_silenced_only_by_an_inversion_pattern_the_build_is_given)
{
    tl_registry_adopt(1);
    tl_lo_start(true, false);
    take_both_orders();
    ck_assert_ptr_null(inversion_suppressed_by(NULL));
    struct tl_supp *other = supp_of("inversion:no_such_function\nblock:*\nleak:*\n");
    ck_assert_ptr_null(inversion_suppressed_by(other));
    struct tl_supp *mine = supp_of("leak:*\ninversion:*\n");
    const char *p = inversion_suppressed_by(mine);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, "inversion:*");
    ck_assert_uint_eq(tl_supp_matched(mine, 1), 1);
    ck_assert_uint_eq(tl_supp_matched(other, 1) + tl_supp_matched(other, 2), 0);
    tl_supp_free(other);
    tl_supp_free(mine);
}
END_TEST

Suite *make_tl_group_suite(void)
{
    Suite *s = suite_create("tl_group");
    TCase *t = tcase_create("options");
    tcase_set_timeout(t, 20);
    tcase_add_test(t, a_wait_is_blocked_only_past_the_threshold_the_build_is_given);
    tcase_add_test(t, the_blocked_stack_keeps_at_most_stack_depth_frames);
    tcase_add_test(t, the_suppressions_the_build_is_given_silence_the_unit_they_match);
    suite_add_tcase(s, t);
    TCase *inv = tcase_create("inversions");
    tcase_set_timeout(inv, 20);
    tcase_add_test(inv, an_inversion_is_silenced_only_by_an_inversion_pattern_the_build_is_given);
    suite_add_tcase(s, inv);
    return s;
}
