/* Time: gor_now, gor_sleep, gor_after, tickers. Timing asserts are sanity bounds only. */
#include "gor_check.h"

static void sleep_main(void *arg)
{
    int64_t t0 = gor_now();
    gor_sleep(10 * GT_MS);
    int64_t dt = gor_now() - t0;
    ck_assert_int_ge(dt, 10 * GT_MS);
    ck_assert_int_lt(dt, 5000 * GT_MS);
    gor_sleep(0);
    gor_sleep(-5);
    (void)arg;
}

START_TEST(sleep_waits_at_least_its_duration)
{
    gt_run(_i, sleep_main, NULL);
}
END_TEST

static atomic_int woke;

static void sleeper(void *arg)
{
    int64_t t0 = gor_now();
    int64_t d = (int64_t)(long)arg;
    gor_sleep(d);
    ck_assert_int_ge(gor_now() - t0, d);
    atomic_fetch_add(&woke, 1);
}

static void many_sleep_main(void *arg)
{
    gor_wg wg = GOR_WG_INIT;
    for (long i = 0; i < 10000; i++)
        gt_go_wg(&wg, sleeper, (void *)((i % 50 + 1) * GT_MS));
    gor_wg_wait(&wg);
    ck_assert_int_eq(atomic_load(&woke), 10000);
    (void)arg;
}

START_TEST(ten_thousand_sleepers_all_wake)
{
    gt_run(2, many_sleep_main, NULL);
}
END_TEST

static void after_main(void *arg)
{
    int64_t t0 = gor_now(), when = 0;
    gor_chan *c = gor_after(5 * GT_MS);
    ck_assert_ptr_nonnull(c);
    ck_assert(gor_chan_recv(c, &when));
    ck_assert_int_ge(when, t0 + 5 * GT_MS);
    ck_assert_uint_eq(gor_chan_len(c), 0);
    gor_case cs[1] = {{c, GOR_RECV, &when, false}};
    ck_assert_int_eq(gor_select(cs, 1, 20 * GT_MS), GOR_TIMEOUT); /* fires once only */
    gor_chan_unref(c);
    gor_chan_unref(gor_after(1000 * GT_MS)); /* dropped before it fires: no leak, no crash */
    (void)arg;
}

START_TEST(after_fires_once_with_the_time)
{
    gt_run(1, after_main, NULL);
}
END_TEST

static void ticker_main(void *arg)
{
    gor_ticker *t = gor_ticker_new(2 * GT_MS);
    ck_assert_ptr_nonnull(t);
    int64_t prev = 0, now;
    for (int i = 0; i < 5; i++) {
        ck_assert(gor_chan_recv(gor_ticker_chan(t), &now));
        ck_assert_int_gt(now, prev);
        prev = now;
    }
    gor_ticker_stop(t);
    gor_sleep(10 * GT_MS); /* a stopped ticker's timer must not fire into freed memory */
    (void)arg;
}

START_TEST(ticker_ticks_until_stopped)
{
    gt_run(2, ticker_main, NULL);
}
END_TEST

START_TEST(plain_threads_sleep_and_wait_on_timers)
{
    int64_t t0 = gor_now();
    gor_sleep(3 * GT_MS);
    ck_assert_int_ge(gor_now() - t0, 3 * GT_MS);
    gor_chan *c = gor_after(3 * GT_MS);
    int64_t when;
    ck_assert(gor_chan_recv(c, &when));
    gor_chan_unref(c);
}
END_TEST

static int long_timer_pending; /* its address is the "with a long timer" flag */

static void long_sleeper(void *arg)
{
    gor_sleep(60000 * GT_MS); /* keeps the poller in a long wait; gor_main does not wait for it */
    (void)arg;
}

/* A short sleep wakes promptly, both alone and when it must cut a long poller wait short (the
 * earlier timer has to interrupt the worker blocked in epoll until the 60 s deadline). */
static void prompt_sleep_main(void *arg)
{
    if (arg != NULL) {
        /* Parked: from now on the poller's wait runs to the 60 s deadline, unless cut short. */
        gt_await_blocked(gor_go(long_sleeper, NULL));
    }
    for (int i = 0; i < 5; i++) {
        int64_t t0 = gor_now();
        gor_sleep(20 * GT_MS);
        int64_t dt = gor_now() - t0;
        ck_assert_int_ge(dt, 20 * GT_MS);
        ck_assert_int_lt(dt, 200 * GT_MS);
    }
}

START_TEST(a_twenty_ms_sleep_wakes_within_two_hundred_ms)
{
    gt_run(1 + _i / 2, prompt_sleep_main, _i % 2 ? &long_timer_pending : NULL);
}
END_TEST

Suite *make_gor_timer_suite(void)
{
    Suite *s = suite_create("gor_timer");
    TCase *tc = tcase_create("timer");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, sleep_waits_at_least_its_duration, 1, 3);
    tcase_add_loop_test(tc, a_twenty_ms_sleep_wakes_within_two_hundred_ms, 0, 4);
    tcase_add_test(tc, ten_thousand_sleepers_all_wake);
    tcase_add_test(tc, after_fires_once_with_the_time);
    tcase_add_test(tc, ticker_ticks_until_stopped);
    tcase_add_test(tc, plain_threads_sleep_and_wait_on_timers);
    suite_add_tcase(s, tc);
    return s;
}
