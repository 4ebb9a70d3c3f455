/*
 * gor's wait table (runtime/slot.c): gor_introspect_waits reads each task's state and wait from a
 * dense table of slots, one per stack, instead of from the task registry. These tests hold it to
 * the registry's word: the same live tasks as a full snapshot while stacks are recycled, nothing
 * of a parent's tasks in a forked child, and no stale or doubled task while tasks come and go
 * under a concurrent look.
 */
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gor_check.h"
#include "gor_introspect.h"

enum { MANY = 2000 };

static void recv_once(void *arg)
{
    gor_chan_recv(arg, NULL);
}

static int by_id(const void *a, const void *b)
{
    int64_t x = ((const struct gor_task_wait *)a)->id, y = ((const struct gor_task_wait *)b)->id;
    return (x > y) - (x < y);
}

/* Yields until n tasks are blocked (they are known to be spawned and on their way to block). */
static void until_blocked(size_t n)
{
    static struct gor_task_wait w[2 * MANY];
    for (;;) {
        size_t got = gor_introspect_waits(w, 2 * MANY, NULL), blocked = 0;
        for (size_t i = 0; i < got; i++)
            blocked += w[i].state == GOR_TASK_BLOCKED;
        if (blocked >= n)
            return;
        gor_yield();
    }
}

/* The ids gor_introspect_waits returns equal a full snapshot's, with the same states and waits. */
static void waits_equal_snapshot(void)
{
    static struct gor_task_info info[2 * MANY];
    static struct gor_task_wait w[2 * MANY];
    size_t total = 0, n = gor_introspect_snapshot(info, 2 * MANY, &total);
    size_t wtotal = 0, wn = gor_introspect_waits(w, 2 * MANY, &wtotal);
    ck_assert_uint_eq(wtotal, total);
    ck_assert_uint_eq(wn, n);
    qsort(w, wn, sizeof *w, by_id);
    for (size_t i = 0; i < n; i++) {
        struct gor_task_wait key = {.id = info[i].id};
        const struct gor_task_wait *m = bsearch(&key, w, wn, sizeof *w, by_id);
        ck_assert_msg(m != NULL, "task %lld missing from the waits", (long long)info[i].id);
        ck_assert_int_eq(m->state, info[i].state);
        ck_assert_ptr_eq(m->wait_reason, info[i].wait_reason);
        ck_assert_int_eq(m->wait_since_ns, info[i].wait_since_ns);
    }
}

static void recycle_main(void *arg)
{
    gor_chan *first = gor_chan_make(0, 0), *second = gor_chan_make(0, 0);
    gor_wg wg;
    gor_wg_init(&wg);
    for (int i = 0; i < MANY; i++)
        gt_go_wg(&wg, recv_once, first);
    until_blocked(MANY);
    waits_equal_snapshot();
    gor_chan_close(first); /* all of them exit: their stacks, and slots, go back to the pool */
    gor_wg_wait(&wg);
    int64_t oldest_new = 0;
    for (int i = 0; i < MANY / 2; i++) { /* these reuse the freed stacks */
        gor_wg_add(&wg, 1);
        struct gt_job *j = malloc(sizeof *j);
        ck_assert_ptr_nonnull(j);
        *j = (struct gt_job){recv_once, second, &wg};
        int64_t id = gor_go(gt_job_main, j);
        oldest_new = oldest_new ? oldest_new : id;
    }
    until_blocked(MANY / 2);
    waits_equal_snapshot();
    struct gor_task_wait w[8];
    size_t total = 0;
    ck_assert_uint_eq(gor_introspect_waits(w, 8, &total), 8);
    ck_assert_uint_eq(total, MANY / 2 + 1);
    static struct gor_task_wait all[2 * MANY];
    size_t n = gor_introspect_waits(all, 2 * MANY, NULL);
    for (size_t i = 0; i < n; i++) /* none of the exited tasks is left */
        ck_assert(all[i].id == gor_self() || all[i].id >= oldest_new);
    gor_chan_close(second);
    gor_wg_wait(&wg);
    gor_chan_unref(first);
    gor_chan_unref(second);
    (void)arg;
}

START_TEST(the_waits_match_a_snapshot_while_stacks_are_recycled)
{
    gt_run(2, recycle_main, NULL);
}
END_TEST

/* ---- fork ---- */

static int child_sees_itself_only(void)
{
    struct gor_task_wait w[4];
    size_t total = 0, n = gor_introspect_waits(w, 4, &total);
    if (n != 1 || total != 1)
        return 10;
    if (w[0].id != gor_self() || w[0].state != GOR_TASK_RUNNING)
        return 11;
    return 0;
}

static void fork_main(void *arg)
{
    gor_chan *c = gor_chan_make(0, 0);
    gor_wg wg;
    gor_wg_init(&wg);
    for (int i = 0; i < 100; i++)
        gt_go_wg(&wg, recv_once, c);
    while (gor_introspect_count() < 101)
        gor_yield();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(child_sees_itself_only());
    int status = -1;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    size_t total = 0;
    struct gor_task_wait w[4];
    gor_introspect_waits(w, 4, &total);
    ck_assert_uint_eq(total, 101); /* the parent still sees all of its tasks */
    gor_chan_close(c);
    gor_wg_wait(&wg);
    gor_chan_unref(c);
    (void)arg;
}

START_TEST(a_forked_child_sees_none_of_its_parents_tasks)
{
    gt_run(2, fork_main, NULL);
}
END_TEST

/* ---- a look racing with spawns and exits ---- */

static atomic_bool churn_done;

static void short_task(void *arg)
{
    gor_yield();
    (void)arg;
}

static void churn_main(void *arg)
{
    for (int round = 0; round < 200; round++) {
        gor_wg wg;
        gor_wg_init(&wg);
        for (int i = 0; i < 50; i++) {
            gor_wg_add(&wg, 1);
            struct gt_job *j = malloc(sizeof *j);
            ck_assert_ptr_nonnull(j);
            *j = (struct gt_job){short_task, NULL, &wg};
            ck_assert_int_gt(gor_go(gt_job_main, j), 0);
        }
        gor_wg_wait(&wg);
    }
    atomic_store(&churn_done, true);
    (void)arg;
}

/* A plain thread looking while the tasks churn: every entry is a real task, once per look. */
static void *looker(void *arg)
{
    static struct gor_task_wait w[4096];
    long looks = 0;
    while (!atomic_load(&churn_done) || looks == 0) {
        size_t total = 0, n = gor_introspect_waits(w, 4096, &total);
        ck_assert_uint_eq(n, total);
        qsort(w, n, sizeof *w, by_id);
        for (size_t i = 0; i < n; i++) {
            ck_assert_int_gt(w[i].id, 0);
            ck_assert_int_ge(w[i].state, GOR_TASK_RUNNABLE);
            ck_assert_int_le(w[i].state, GOR_TASK_BLOCKED);
            if (i > 0)
                ck_assert_int_ne(w[i].id, w[i - 1].id);
        }
        looks++;
    }
    return (void *)looks;
}

START_TEST(a_look_during_spawns_and_exits_sees_each_live_task_once)
{
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, looker, NULL), 0);
    gt_run(2, churn_main, NULL);
    void *looks = NULL;
    ck_assert_int_eq(pthread_join(th, &looks), 0);
    ck_assert_ptr_nonnull(looks);
    size_t total = 1;
    struct gor_task_wait w[1];
    ck_assert_uint_eq(gor_introspect_waits(w, 1, &total), 0); /* every slot retired */
    ck_assert_uint_eq(total, 0);
}
END_TEST

Suite *make_gor_slot_suite(void)
{
    Suite *s = suite_create("gor_slot");
    TCase *tc = tcase_create("slot");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, the_waits_match_a_snapshot_while_stacks_are_recycled);
    tcase_add_test(tc, a_forked_child_sees_none_of_its_parents_tasks);
    tcase_add_test(tc, a_look_during_spawns_and_exits_sees_each_live_task_once);
    suite_add_tcase(s, tc);
    return s;
}
