/* WaitGroup and mutex. */
#include <pthread.h>

#include "gor_check.h"

static gor_mutex M = GOR_MUTEX_INIT;
static long shared;

static void incr(void *arg)
{
    for (int i = 0; i < 20000; i++) {
        gor_mutex_lock(&M);
        long v = shared;
        if (i % 97 == 0)
            gor_yield(); /* hold the lock across a switch: others must queue */
        shared = v + 1;
        gor_mutex_unlock(&M);
    }
    (void)arg;
}

static void mutex_main(void *arg)
{
    gor_wg wg;
    gor_wg_init(&wg);
    for (int i = 0; i < 8; i++)
        gt_go_wg(&wg, incr, NULL);
    gor_wg_wait(&wg);
    ck_assert_int_eq(shared, 8 * 20000);
    (void)arg;
}

START_TEST(mutex_excludes_under_contention)
{
    static const int procs[] = {1, 2, 4};
    gt_run(procs[_i], mutex_main, NULL);
}
END_TEST

static void *thread_incr(void *arg)
{
    incr(arg);
    return NULL;
}

static void mixed_main(void *arg)
{
    gor_wg wg = GOR_WG_INIT;
    for (int i = 0; i < 8; i++)
        gt_go_wg(&wg, incr, NULL);
    gor_wg_wait(&wg);
    (void)arg;
}

START_TEST(plain_threads_and_tasks_share_a_mutex)
{
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, thread_incr, NULL), 0);
    gt_run(2, mixed_main, NULL);
    pthread_join(th, NULL);
    ck_assert_int_eq(shared, 9 * 20000);
}
END_TEST

START_TEST(trylock_fails_while_held)
{
    gor_mutex m;
    gor_mutex_init(&m);
    ck_assert(gor_mutex_trylock(&m));
    ck_assert(!gor_mutex_trylock(&m));
    gor_mutex_unlock(&m);
    ck_assert(gor_mutex_trylock(&m));
    gor_mutex_unlock(&m);
}
END_TEST

static atomic_int done_count;

static void slow_done(void *arg)
{
    gor_sleep(GT_MS);
    atomic_fetch_add(&done_count, 1);
    gor_wg_done(arg);
}

static void waiter(void *arg)
{
    gor_wg_wait(arg);
    ck_assert_int_eq(atomic_load(&done_count), 50);
}

static void wg_main(void *arg)
{
    gor_wg wg = GOR_WG_INIT, waiters = GOR_WG_INIT;
    gor_wg_wait(&wg); /* zero: returns at once */
    gor_wg_add(&wg, 50);
    for (int i = 0; i < 5; i++)
        gt_go_wg(&waiters, waiter, &wg); /* several waiters, all released */
    for (int i = 0; i < 50; i++)
        gor_go(slow_done, &wg);
    gor_wg_wait(&wg);
    ck_assert_int_eq(atomic_load(&done_count), 50);
    gor_wg_wait(&waiters);
    (void)arg;
}

START_TEST(waitgroup_releases_every_waiter_at_zero)
{
    gt_run(2, wg_main, NULL);
}
END_TEST

Suite *make_gor_sync_suite(void)
{
    Suite *s = suite_create("gor_sync");
    TCase *tc = tcase_create("sync");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, mutex_excludes_under_contention, 0, 3);
    tcase_add_test(tc, plain_threads_and_tasks_share_a_mutex);
    tcase_add_test(tc, trylock_fails_while_held);
    tcase_add_test(tc, waitgroup_releases_every_waiter_at_zero);
    suite_add_tcase(s, tc);
    return s;
}
