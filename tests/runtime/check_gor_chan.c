/* Channels: rendezvous, FIFO, close semantics, len/cap, refcounts, plain threads, nil. */
#include <pthread.h>
#include <string.h>

#include "gor_check.h"
#include "gor_introspect.h"

static gor_chan *C;
static atomic_int sent;

static void send_one(void *arg)
{
    int v = 42;
    gor_chan_send(C, &v);
    atomic_store(&sent, 1);
    (void)arg;
}

static void rendezvous_main(void *arg)
{
    C = gor_chan_make(sizeof(int), 0);
    gor_go(send_one, NULL); /* runs first and blocks: nobody receives yet */
    for (int i = 0; i < 10; i++)
        gor_yield();
    ck_assert_int_eq(atomic_load(&sent), 0);
    int v = 0;
    ck_assert(gor_chan_recv(C, &v));
    ck_assert_int_eq(v, 42);
    while (atomic_load(&sent) == 0)
        gor_yield();
    gor_chan_unref(C);
    (void)arg;
}

START_TEST(unbuffered_send_waits_for_a_receiver)
{
    gt_run(_i, rendezvous_main, NULL);
}
END_TEST

static void producer(void *arg)
{
    long n = (long)arg;
    for (long i = 0; i < n; i++)
        gor_chan_send(C, &i);
    gor_chan_close(C);
}

static void fifo_main(void *arg)
{
    size_t cap = (size_t)(long)arg;
    C = gor_chan_make(sizeof(long), cap);
    ck_assert_uint_eq(gor_chan_cap(C), cap);
    gor_go(producer, (void *)10000L);
    long v, expect = 0;
    while (gor_chan_recv(C, &v))
        ck_assert_int_eq(v, expect++);
    ck_assert_int_eq(expect, 10000);
    gor_chan_unref(C);
}

START_TEST(values_arrive_in_send_order)
{
    static const long caps[] = {0, 1, 7, 100000};
    gt_run(1 + _i % 2, fifo_main, (void *)caps[_i / 2]);
}
END_TEST

static gor_wg WG = GOR_WG_INIT;
static atomic_int closed_seen;

static void recv_until_closed(void *arg)
{
    int v = 123;
    ck_assert(!gor_chan_recv(C, &v));
    ck_assert_int_eq(v, 0); /* zeroed on close */
    atomic_fetch_add(&closed_seen, 1);
    gor_wg_done(&WG);
    (void)arg;
}

static void close_main(void *arg)
{
    C = gor_chan_make(sizeof(int), 0);
    for (int i = 0; i < 10; i++) {
        gor_wg_add(&WG, 1);
        gor_go(recv_until_closed, NULL);
    }
    gor_chan_close(C);
    gor_wg_wait(&WG);
    ck_assert_int_eq(atomic_load(&closed_seen), 10);
    gor_chan_unref(C);
    (void)arg;
}

START_TEST(close_wakes_every_receiver)
{
    gt_run(2, close_main, NULL);
}
END_TEST

static void drain_main(void *arg)
{
    gor_chan *c = gor_chan_make(sizeof(int), 4);
    for (int i = 1; i <= 3; i++)
        gor_chan_send(c, &i);
    ck_assert_uint_eq(gor_chan_len(c), 3);
    gor_chan_close(c);
    int v;
    for (int i = 1; i <= 3; i++) {
        ck_assert(gor_chan_recv(c, &v));
        ck_assert_int_eq(v, i);
    }
    ck_assert(!gor_chan_recv(c, &v));
    ck_assert(!gor_chan_recv(c, NULL));
    ck_assert_uint_eq(gor_chan_len(c), 0);
    ck_assert_ptr_eq(gor_chan_ref(c), c);
    gor_chan_unref(c);
    gor_chan_unref(c);
    (void)arg;
}

START_TEST(closed_channel_drains_then_reports_not_ok)
{
    gt_run(1, drain_main, NULL);
}
END_TEST

static void *thread_sender(void *arg)
{
    for (long i = 1; i <= 1000; i++)
        gor_chan_send(C, &i);
    gor_chan_close(C);
    return arg;
}

static void thread_main(void *arg)
{
    long v, sum = 0;
    while (gor_chan_recv(C, &v))
        sum += v;
    ck_assert_int_eq(sum, 1000 * 1001 / 2);
    (void)arg;
}

START_TEST(plain_threads_send_to_tasks)
{
    C = gor_chan_make(sizeof(long), (size_t)_i); /* unbuffered and buffered */
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, thread_sender, NULL), 0);
    gt_run(2, thread_main, NULL);
    pthread_join(th, NULL);
    gor_chan_unref(C);
}
END_TEST

static void task_sender(void *arg)
{
    for (long i = 0; i < 100; i++)
        gor_chan_send(C, &i);
    gor_chan_close(C);
    (void)arg;
}

START_TEST(plain_thread_blocks_receiving_from_a_task)
{
    setenv("GOR_PROCS", "2", 1);
    C = gor_chan_make(sizeof(long), 0);
    ck_assert_int_gt(gor_go(task_sender, NULL), 0);
    long v, n = 0;
    while (gor_chan_recv(C, &v))
        ck_assert_int_eq(v, n++);
    ck_assert_int_eq(n, 100);
    ck_assert_int_eq(gor_self(), 0);
    gor_chan_unref(C);
}
END_TEST

static void nil_recv(void *arg)
{
    gor_chan_recv(NULL, NULL);
    ck_abort_msg("receive on a nil channel returned");
    (void)arg;
}

static void nil_main(void *arg)
{
    int64_t id = gor_go(nil_recv, NULL);
    gt_await_blocked(id);
    struct gor_task_info info[16];
    size_t n = gor_introspect_snapshot(info, 16, NULL);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (info[i].id == id) {
            found = true;
            ck_assert_str_eq(info[i].wait_reason, "chan receive (nil chan)");
            ck_assert_int_eq(info[i].state, GOR_TASK_BLOCKED);
        }
    ck_assert(found);
    (void)arg;
}

START_TEST(nil_channel_blocks_forever)
{
    gt_run(1, nil_main, NULL);
}
END_TEST

struct big {
    char bytes[200];
};

static void big_main(void *arg)
{
    gor_chan *c = gor_chan_make(sizeof(struct big), 2);
    struct big b, r;
    memset(&b, 'x', sizeof b);
    gor_chan_send(c, &b);
    ck_assert(gor_chan_recv(c, &r));
    ck_assert_mem_eq(&b, &r, sizeof b);
    gor_chan_unref(c);
    ck_assert_ptr_null(gor_chan_make(1u << 30, 1));
    (void)arg;
}

START_TEST(large_elements_are_copied_whole)
{
    gt_run(1, big_main, NULL);
}
END_TEST

/* Stress: P producers, P consumers, checksum must match, at 1, 2 and 4 workers. */
static atomic_long got;

static void stress_prod(void *arg)
{
    for (long i = 1; i <= 20000; i++)
        gor_chan_send(C, &i);
    (void)arg;
}

static void stress_cons(void *arg)
{
    long v;
    while (gor_chan_recv(C, &v))
        atomic_fetch_add(&got, v);
    (void)arg;
}

static void stress_main(void *arg)
{
    C = gor_chan_make(sizeof(long), (size_t)(long)arg);
    gor_wg prod = GOR_WG_INIT, cons = GOR_WG_INIT;
    for (int i = 0; i < 4; i++) {
        gt_go_wg(&cons, stress_cons, NULL);
        gt_go_wg(&prod, stress_prod, NULL);
    }
    gor_wg_wait(&prod);
    gor_chan_close(C);
    gor_wg_wait(&cons);
    ck_assert_int_eq(atomic_load(&got), 4L * 20000 * 20001 / 2);
    gor_chan_unref(C);
}

START_TEST(many_producers_and_consumers_lose_nothing)
{
    static const int procs[] = {1, 2, 4};
    gt_run(procs[_i % 3], stress_main, (void *)(long)(_i < 3 ? 0 : 16));
}
END_TEST

Suite *make_gor_chan_suite(void)
{
    Suite *s = suite_create("gor_chan");
    TCase *tc = tcase_create("chan");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, unbuffered_send_waits_for_a_receiver, 1, 3);
    tcase_add_loop_test(tc, values_arrive_in_send_order, 0, 8);
    tcase_add_test(tc, close_wakes_every_receiver);
    tcase_add_test(tc, closed_channel_drains_then_reports_not_ok);
    tcase_add_loop_test(tc, plain_threads_send_to_tasks, 0, 2);
    tcase_add_test(tc, plain_thread_blocks_receiving_from_a_task);
    tcase_add_test(tc, nil_channel_blocks_forever);
    tcase_add_test(tc, large_elements_are_copied_whole);
    tcase_add_loop_test(tc, many_producers_and_consumers_lose_nothing, 0, 6);
    suite_add_tcase(s, tc);
    return s;
}
