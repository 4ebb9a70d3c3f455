/* Contexts: cancel, propagation, deadlines, background, free. */
#include "gor_check.h"

static void wait_done(void *arg)
{
    ck_assert(!gor_chan_recv(gor_ctx_done(arg), NULL));
}

static void cancel_main(void *arg)
{
    gor_ctx *bg = gor_ctx_background();
    ck_assert_ptr_null(gor_ctx_done(bg));
    ck_assert_int_eq(gor_ctx_err(bg), 0);
    gor_ctx *parent = gor_ctx_with_cancel(bg);
    gor_ctx *child = gor_ctx_with_cancel(parent);
    gor_ctx *grandchild = gor_ctx_with_timeout(child, 100000 * GT_MS);
    gor_wg wg = GOR_WG_INIT;
    gt_go_wg(&wg, wait_done, grandchild);
    gt_go_wg(&wg, wait_done, child);
    ck_assert_int_eq(gor_ctx_err(child), 0);
    gor_ctx_cancel(parent);
    gor_wg_wait(&wg);
    ck_assert_int_eq(gor_ctx_err(parent), GOR_CANCELED);
    ck_assert_int_eq(gor_ctx_err(child), GOR_CANCELED);
    ck_assert_int_eq(gor_ctx_err(grandchild), GOR_CANCELED);
    gor_ctx *late = gor_ctx_with_cancel(parent); /* born cancelled */
    ck_assert_int_eq(gor_ctx_err(late), GOR_CANCELED);
    gor_ctx_cancel(parent); /* twice: no effect */
    gor_ctx_free(late);
    gor_ctx_free(parent); /* before its children: they stay valid */
    gor_ctx_free(grandchild);
    gor_ctx_free(child);
    gor_ctx_free(bg);
    (void)arg;
}

START_TEST(cancel_reaches_every_descendant)
{
    gt_run(2, cancel_main, NULL);
}
END_TEST

static void timeout_main(void *arg)
{
    int64_t t0 = gor_now(); /* before the deadline is set: a preemption in between is harmless */
    gor_ctx *c = gor_ctx_with_timeout(gor_ctx_background(), 5 * GT_MS);
    ck_assert(!gor_chan_recv(gor_ctx_done(c), NULL));
    ck_assert_int_ge(gor_now() - t0, 5 * GT_MS);
    ck_assert_int_eq(gor_ctx_err(c), GOR_DEADLINE_EXCEEDED);
    gor_ctx_free(c);
    gor_ctx *d = gor_ctx_with_timeout(gor_ctx_background(), 100000 * GT_MS);
    gor_ctx_free(d); /* cancels and stops the timer */
    (void)arg;
}

START_TEST(timeout_cancels_with_deadline_exceeded)
{
    gt_run(1, timeout_main, NULL);
}
END_TEST

Suite *make_gor_ctx_suite(void)
{
    Suite *s = suite_create("gor_ctx");
    TCase *tc = tcase_create("ctx");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, cancel_reaches_every_descendant);
    tcase_add_test(tc, timeout_cancels_with_deadline_exceeded);
    suite_add_tcase(s, tc);
    return s;
}
