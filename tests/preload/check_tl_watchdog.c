/*
 * tl_watchdog's light scan on hand-made registry units (what counts as stuck, and when the
 * signature moves), and bounded memory under thread churn: after many threads created and joined
 * through the detector's own creation path, the registry is back to its start size and the stack
 * table holds only the distinct stacks.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_real.h"
#include "tl_registry.h"
#include "tl_stack.h"
#include "tl_thread.h"
#include "tl_watchdog.h"

#define SEC 1000000000LL

static struct tl_unit *fake_unit(int state, bool durable, int64_t since_ns)
{
    struct tl_unit *u = tl_registry_new(0x1000, 0, false);
    ck_assert_ptr_nonnull(u);
    u->wait.reason = durable ? "mutex lock" : "sleep";
    u->wait.durable = durable;
    u->wait.since_ns = since_ns;
    atomic_store(&u->wstate, state);
    return u;
}

static struct tl_wd_scan scan_at(int64_t now)
{
    struct tl_wd_scan s = {.now_ns = now, .threshold_ns = 10 * SEC};
    tl_watchdog_scan(&s);
    return s;
}

START_TEST(only_durable_waits_older_than_the_threshold_are_stuck)
{
    int64_t now = 1000 * SEC;
    struct tl_unit *u[5] = {
        fake_unit(TL_WS_BLOCKED, true, now - 11 * SEC),   /* stuck */
        fake_unit(TL_WS_BLOCKED, true, now - 9 * SEC),    /* too recent */
        fake_unit(TL_WS_BLOCKED, false, now - 60 * SEC),  /* a sleep: external */
        fake_unit(TL_WS_RUNNING, true, now - 60 * SEC),   /* not blocked now */
        fake_unit(TL_WS_UNWINDING, true, now - 20 * SEC), /* pinned by a snapshot: still blocked */
    };
    struct tl_unit *runtime = fake_unit(TL_WS_BLOCKED, true, now - 60 * SEC);
    runtime->internal = true; /* a runtime thread (gor's worker): never a finding */
    struct tl_wd_scan s = scan_at(now);
    ck_assert_int_ge(s.units, 6);
    ck_assert_int_eq(s.stuck, 2);
    tl_registry_exit(runtime);
    atomic_store(&u[4]->wstate, TL_WS_BLOCKED); /* the "snapshot" is done with it */
    for (int i = 0; i < 5; i++)
        tl_registry_exit(u[i]);
}
END_TEST

START_TEST(the_signature_moves_when_a_stuck_unit_makes_progress)
{
    int64_t now = 1000 * SEC;
    struct tl_unit *a = fake_unit(TL_WS_BLOCKED, true, now - 20 * SEC);
    struct tl_unit *b = fake_unit(TL_WS_BLOCKED, true, now - 20 * SEC);
    struct tl_wd_scan s1 = scan_at(now), s2 = scan_at(now + SEC);
    ck_assert_int_eq(s1.stuck, 2);
    ck_assert(s1.signature == s2.signature); /* nothing moved: nothing to report anew */
    atomic_fetch_add(&b->progress, 2);       /* b woke up and blocked again at once */
    struct tl_wd_scan s3 = scan_at(now + 2 * SEC);
    ck_assert_int_eq(s3.stuck, 2);
    ck_assert(s3.signature != s2.signature);
    tl_registry_exit(a);
    tl_registry_exit(b);
    ck_assert_int_eq(scan_at(now).stuck, 0);
}
END_TEST

static void *nothing(void *arg)
{
    return arg;
}

static void churn(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_t t;
        /* two call sites: two distinct creation stacks */
        int rc = (i & 1) ? tl_thread_create(tl_real.pthread_create, &t, NULL, nothing, NULL)
                         : tl_thread_create(tl_real.pthread_create, &t, NULL, nothing, &t);
        ck_assert_int_eq(rc, 0);
        pthread_join(t, NULL);
    }
}

START_TEST(after_100k_threads_created_and_joined_registry_and_stack_table_are_back_to_size)
{
    setenv("TASKLEAK_OPTIONS", "exit_check=0:threshold=0:dump_signal=0", 1);
    ck_assert(tl_ctx_init());
    churn(1000); /* warm-up: the exit ring fills, the two creation stacks exist */
    size_t live = tl_registry_live(), stacks = tl_stack_count();
    churn(100000);
    ck_assert_int_eq(tl_registry_live(), live);
    ck_assert_int_le(tl_stack_count(), stacks);
    ck_assert_int_ge(tl_registry_created(), 101000);
}
END_TEST

Suite *make_tl_watchdog_suite(void)
{
    Suite *s = suite_create("tl_watchdog");
    TCase *tc = tcase_create("scan");
    tcase_add_test(tc, only_durable_waits_older_than_the_threshold_are_stuck);
    tcase_add_test(tc, the_signature_moves_when_a_stuck_unit_makes_progress);
    suite_add_tcase(s, tc);
    TCase *mem = tcase_create("bounded memory");
    tcase_set_timeout(mem, 300);
    tcase_add_test(mem,
                   after_100k_threads_created_and_joined_registry_and_stack_table_are_back_to_size);
    suite_add_tcase(s, mem);
    return s;
}
