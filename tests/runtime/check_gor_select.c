/* gor_select: readiness, uniform choice, timeouts, NULL cases, wake-ups, stress. */
#include "gor_check.h"

static void random_main(void *arg)
{
    gor_chan *a = gor_chan_make(sizeof(int), 1), *b = gor_chan_make(sizeof(int), 1);
    int counts[2] = {0, 0}, one = 1, got;
    for (int i = 0; i < 4000; i++) {
        gor_chan_send(a, &one);
        gor_chan_send(b, &one);
        gor_case cs[2] = {{a, GOR_RECV, &got, false}, {b, GOR_RECV, &got, false}};
        int r = gor_select(cs, 2, -1);
        ck_assert(r == 0 || r == 1);
        ck_assert(cs[r].ok);
        counts[r]++;
        gor_chan_recv(r == 0 ? b : a, &got); /* drain the other one */
    }
    /* uniform: each side ~2000; 1700 is > 9 standard deviations away */
    ck_assert_int_gt(counts[0], 1700);
    ck_assert_int_gt(counts[1], 1700);
    gor_chan_unref(a);
    gor_chan_unref(b);
    (void)arg;
}

START_TEST(select_chooses_uniformly_among_ready_cases)
{
    gt_run(1, random_main, NULL);
}
END_TEST

static void timeout_main(void *arg)
{
    gor_chan *c = gor_chan_make(sizeof(int), 0);
    int v;
    gor_case cs[2] = {{c, GOR_RECV, &v, false}, {NULL, GOR_RECV, &v, false}};
    ck_assert_int_eq(gor_select(cs, 2, 0), GOR_TIMEOUT); /* Go's default case */
    int64_t t0 = gor_now();
    ck_assert_int_eq(gor_select(cs, 2, 20 * GT_MS), GOR_TIMEOUT);
    ck_assert_int_ge(gor_now() - t0, 20 * GT_MS);
    ck_assert_int_lt(gor_now() - t0, 5000 * GT_MS);
    ck_assert_int_eq(gor_select(NULL, 0, 0), GOR_TIMEOUT);
    ck_assert_int_eq(gor_select(cs + 1, 1, 5 * GT_MS), GOR_TIMEOUT); /* only a NULL case */
    gor_chan_unref(c);
    (void)arg;
}

START_TEST(select_times_out_and_never_picks_null_cases)
{
    gt_run(2, timeout_main, NULL);
}
END_TEST

static gor_chan *A, *B;
static int64_t selecting; /* wake_main's task, blocked in its select */

static void send_later(void *arg)
{
    gt_await_blocked(selecting);
    int v = 7;
    gor_chan_send(B, &v);
    (void)arg;
}

static void close_later(void *arg)
{
    gt_await_blocked(selecting);
    gor_chan_close(A);
    (void)arg;
}

static void wake_main(void *arg)
{
    A = gor_chan_make(sizeof(int), 0);
    B = gor_chan_make(sizeof(int), 0);
    int va = -1, vb = -1;
    selecting = gor_self();
    gor_go(send_later, NULL);
    gor_case cs[2] = {{A, GOR_RECV, &va, false}, {B, GOR_RECV, &vb, false}};
    ck_assert_int_eq(gor_select(cs, 2, -1), 1);
    ck_assert_int_eq(vb, 7);
    ck_assert(cs[1].ok);
    gor_go(close_later, NULL);
    ck_assert_int_eq(gor_select(cs, 2, 10000 * GT_MS), 0);
    ck_assert(!cs[0].ok);
    ck_assert_int_eq(va, 0);
    gor_chan_unref(A);
    gor_chan_unref(B);
    (void)arg;
}

START_TEST(blocked_select_wakes_on_send_and_on_close)
{
    gt_run(_i, wake_main, NULL);
}
END_TEST

static void recv_one(void *arg)
{
    int v;
    ck_assert(gor_chan_recv(arg, &v));
    ck_assert_int_eq(v, 99);
}

static void send_case_main(void *arg)
{
    gor_chan *c = gor_chan_make(sizeof(int), 0);
    int v = 99;
    gor_case cs[1] = {{c, GOR_SEND, &v, false}};
    ck_assert_int_eq(gor_select(cs, 1, 0), GOR_TIMEOUT); /* nobody receives */
    gor_wg wg = GOR_WG_INIT;
    gt_go_wg(&wg, recv_one, c);
    ck_assert_int_eq(gor_select(cs, 1, -1), 0);
    gor_wg_wait(&wg);
    gor_chan_unref(c);
    (void)arg;
}

START_TEST(select_can_send)
{
    gt_run(1, send_case_main, NULL);
}
END_TEST

/* Stress: selectors over the same two channels from both directions; nothing may be lost. */
static atomic_long total;

static void selector(void *arg)
{
    long v;
    gor_chan *a = A, *b = B;
    while (a != NULL || b != NULL) { /* a closed channel's case becomes NULL: never chosen */
        gor_case cs[2] = {{a, GOR_RECV, &v, false}, {b, GOR_RECV, &v, false}};
        int r = gor_select(cs, 2, -1);
        if (cs[r].ok)
            atomic_fetch_add(&total, v);
        else if (r == 0)
            a = NULL;
        else
            b = NULL;
    }
    (void)arg;
}

static void feeder(void *arg)
{
    for (long i = 1; i <= 5000; i++) {
        gor_case cs[2] = {{A, GOR_SEND, &i, false}, {B, GOR_SEND, &i, false}};
        gor_select(cs, 2, -1);
    }
    (void)arg;
}

static void stress_main(void *arg)
{
    A = gor_chan_make(sizeof(long), 0);
    B = gor_chan_make(sizeof(long), 3);
    gor_wg sel = GOR_WG_INIT, feed = GOR_WG_INIT;
    for (int i = 0; i < 4; i++) {
        gt_go_wg(&sel, selector, NULL);
        gt_go_wg(&feed, feeder, NULL);
    }
    gor_wg_wait(&feed);
    gor_chan_close(A);
    gor_chan_close(B);
    gor_wg_wait(&sel);
    ck_assert_int_eq(atomic_load(&total), 4L * 5000 * 5001 / 2);
    gor_chan_unref(A);
    gor_chan_unref(B);
    (void)arg;
}

START_TEST(selects_on_shared_channels_lose_no_wakeup)
{
    static const int procs[] = {1, 2, 4};
    gt_run(procs[_i], stress_main, NULL);
}
END_TEST

/* Timeouts racing with sends: every value sent is received exactly once, even when the
 * receiver's timer fires while a sender is handing it a value. */
static atomic_long recv_sum;

static void paced_sender(void *arg)
{
    for (long i = 1; i <= 3000; i++) {
        gor_chan_send(A, &i);
        if (i % 5 == 0)
            gor_sleep(GT_MS); /* about when the receivers' timeouts fire */
    }
    gor_wg_done(arg);
}

static void timed_receiver(void *arg)
{
    long v;
    for (;;) {
        gor_case cs[1] = {{A, GOR_RECV, &v, false}};
        int r = gor_select(cs, 1, GT_MS);
        if (r == 0 && !cs[0].ok)
            break;
        if (r == 0)
            atomic_fetch_add(&recv_sum, v);
    }
    (void)arg;
}

static void race_main(void *arg)
{
    A = gor_chan_make(sizeof(long), 0);
    gor_wg snd = GOR_WG_INIT, rcv = GOR_WG_INIT;
    for (int i = 0; i < 3; i++)
        gt_go_wg(&rcv, timed_receiver, NULL);
    gor_wg_add(&snd, 1);
    gor_go(paced_sender, &snd);
    gor_wg_wait(&snd);
    gor_chan_close(A);
    gor_wg_wait(&rcv);
    ck_assert_int_eq(atomic_load(&recv_sum), 3000L * 3001 / 2);
    gor_chan_unref(A);
    (void)arg;
}

START_TEST(timeouts_racing_with_sends_lose_no_value)
{
    gt_run(1 + _i, race_main, NULL);
}
END_TEST

Suite *make_gor_select_suite(void)
{
    Suite *s = suite_create("gor_select");
    TCase *tc = tcase_create("select");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, select_chooses_uniformly_among_ready_cases);
    tcase_add_test(tc, select_times_out_and_never_picks_null_cases);
    tcase_add_loop_test(tc, blocked_select_wakes_on_send_and_on_close, 1, 3);
    tcase_add_test(tc, select_can_send);
    tcase_add_loop_test(tc, selects_on_shared_channels_lose_no_wakeup, 0, 3);
    tcase_add_loop_test(tc, timeouts_racing_with_sends_lose_no_value, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
