/*
 * tl_deadlock on hand-made report models: cycles found once and in wait-for order, an owner that
 * exited named from the exit ring, the story told in the words of the issue, and the ring's
 * memory bounded.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_deadlock.h"
#include "tl_exits.h"
#include "tl_group.h"
#include "tl_stack.h"
#include "tl_text.h"

#define DEAD_TID 4190000 /* above any pid_max in use here: no such thread */

static void add(struct tl_report *r, const char *id, pid_t tid, uintptr_t obj, pid_t owner)
{
    struct tl_rep_unit *u = &r->units[r->n++];
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", id);
    u->kind = TL_KIND_THREAD;
    u->tid = tid;
    u->state = obj ? "blocked" : "running";
    u->verdict = "leaked";
    u->has_wait = obj != 0;
    u->wait.reason = "mutex lock";
    u->wait.call = "pthread_mutex_lock";
    u->wait.object = obj;
    u->owner_tid = owner;
}

static void model(struct tl_report *r)
{
    memset(r, 0, sizeof *r);
    r->mode = TL_BUILD_EXIT;
    r->units = calloc(8, sizeof *r->units);
    /* 101 -> 102 -> 103 -> 101 is a cycle; 104 waits for 101 (in the cycle, not a member);
     * 105 waits for a mutex whose owner is gone; 106 runs. */
    add(r, "thread:7", 101, 0x1000, 102);
    add(r, "thread:9", 102, 0x2000, 103);
    add(r, "thread:11", 103, 0x3000, 101);
    add(r, "thread:12", 104, 0x3000, 101);
    add(r, "thread:13", 105, 0x4000, DEAD_TID);
    add(r, "thread:14", 106, 0, 0);
}

static void model_free(struct tl_report *r)
{
    for (size_t k = 0; k < r->ndeadlocks; k++)
        free(r->deadlocks[k].members);
    free(r->deadlocks);
    free(r->units);
}

START_TEST(a_three_thread_cycle_is_one_deadlock_in_wait_for_order)
{
    struct tl_report r;
    model(&r);
    tl_deadlock_analyze(&r);
    ck_assert_int_eq(r.ndeadlocks, 2);
    struct tl_deadlock *d = &r.deadlocks[0];
    ck_assert_int_eq(d->count, 3);
    for (size_t k = 0; k < 3; k++) { /* members[k] waits for what members[k+1] holds */
        const struct tl_rep_unit *u = &r.units[d->members[k]];
        const struct tl_rep_unit *next = &r.units[d->members[(k + 1) % 3]];
        ck_assert_int_eq(u->owner_tid, next->tid);
        ck_assert_str_eq(u->owner, next->id);
        ck_assert_str_eq(u->verdict, "deadlocked");
    }
    /* waits on the cycle, not part of it: listed in no entry, but it can never wake either */
    ck_assert_str_eq(r.units[3].verdict, "deadlocked");
    ck_assert_str_eq(r.units[3].owner, "thread:7");
    for (size_t k = 0; k < d->count; k++)
        ck_assert_uint_ne(d->members[k], 3);
    ck_assert_str_eq(r.units[5].verdict, "leaked");
    model_free(&r);
}
END_TEST

START_TEST(a_mutex_whose_owner_exited_makes_its_waiters_deadlocked_and_names_the_owner)
{
    uintptr_t ips[2] = {0x1234, 0x5678};
    tl_stack_id st = tl_stack_intern(ips, 2);
    tl_exits_note(5, DEAD_TID, st);
    tl_stack_unref(st);
    struct tl_report r;
    model(&r);
    tl_deadlock_analyze(&r);
    struct tl_deadlock *d = &r.deadlocks[1];
    ck_assert_int_eq(d->count, 1);
    ck_assert_str_eq(r.units[d->members[0]].id, "thread:13");
    ck_assert_str_eq(r.units[4].verdict, "deadlocked");
    ck_assert_str_eq(r.units[4].owner, "thread:5");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tl_deadlock_text(&r, f);
    fclose(f);
    ck_assert_msg(strstr(buf,
                         "thread:7 holds mutex 0x3000 and waits for mutex 0x1000 held by "
                         "thread:9,\n  which waits for mutex 0x2000 held by thread:11") != NULL,
                  "%s", buf);
    ck_assert_msg(strstr(buf, "owner thread:5 exited while holding mutex 0x4000") != NULL, "%s",
                  buf);
    ck_assert(strstr(buf, "thread:5 was created at:\n      #0  ?? (0x1234)") != NULL);
    free(buf);
    model_free(&r);
}
END_TEST

START_TEST(waiters_of_one_orphaned_mutex_share_one_entry_and_another_mutex_gets_its_own)
{
    struct tl_report r;
    model(&r);
    add(&r, "thread:15", 107, 0x5000, DEAD_TID); /* another mutex of the same dead owner */
    add(&r, "thread:16", 108, 0x4000, DEAD_TID); /* a second waiter of thread:13's mutex */
    tl_deadlock_analyze(&r);
    ck_assert_int_eq(r.ndeadlocks, 3); /* the cycle, mutex 0x4000, mutex 0x5000 */
    const struct tl_deadlock *a = &r.deadlocks[1], *b = &r.deadlocks[2];
    ck_assert_int_eq(a->count, 2);
    ck_assert_str_eq(r.units[a->members[0]].id, "thread:13");
    ck_assert_str_eq(r.units[a->members[1]].id, "thread:16");
    ck_assert_int_eq(b->count, 1);
    ck_assert_str_eq(r.units[b->members[0]].id, "thread:15");
    for (size_t i = 4; i < r.n; i++)
        if (r.units[i].has_wait)
            ck_assert_str_eq(r.units[i].verdict, "deadlocked");
    model_free(&r);
}
END_TEST

START_TEST(a_dump_lists_deadlocks_without_giving_verdicts)
{
    struct tl_report r;
    model(&r);
    r.mode = TL_BUILD_DUMP;
    for (size_t i = 0; i < r.n; i++)
        r.units[i].verdict = NULL;
    tl_deadlock_analyze(&r);
    ck_assert_int_ge(r.ndeadlocks, 1);
    for (size_t i = 0; i < r.n; i++)
        ck_assert_ptr_null(r.units[i].verdict);
    model_free(&r);
}
END_TEST

START_TEST(the_exit_ring_keeps_only_the_latest_exits_and_their_stack_references)
{
    size_t before = tl_stack_count();
    for (int i = 0; i < 10 * TL_EXITS_MAX; i++) {
        uintptr_t ips[1] = {(uintptr_t)(0x100000 + i)};
        tl_stack_id st = tl_stack_intern(ips, 1);
        tl_exits_note((uint64_t)i + 1, 50000 + i, st);
        tl_stack_unref(st);
    }
    ck_assert_int_le(tl_stack_count(), before + TL_EXITS_MAX);
    tl_stack_id st;
    ck_assert_int_eq(tl_exits_find(50000 + 10 * TL_EXITS_MAX - 1, &st),
                     10 * TL_EXITS_MAX);
    ck_assert_int_ne(st, 0);
    tl_stack_unref(st);
    ck_assert_int_eq(tl_exits_find(50000, &st), 0); /* pushed out long ago */
    ck_assert_int_eq(st, 0);
}
END_TEST

/* A join as an edge: thread:20 joins thread:21, which waits for the mutex thread:20 holds; a
 * timed join (it ends by itself) and a join of an unknown handle are no edges. */
START_TEST(a_join_of_a_thread_that_waits_for_the_joiners_mutex_is_a_cycle)
{
    struct tl_report r;
    memset(&r, 0, sizeof r);
    r.mode = TL_BUILD_EXIT;
    r.units = calloc(4, sizeof *r.units);
    add(&r, "thread:20", 201, 0xb000, 0);
    add(&r, "thread:21", 202, 0x5000, 201);
    add(&r, "thread:22", 203, 0xa000, 0);
    add(&r, "thread:23", 204, 0xc000, 0);
    r.units[0].handle = 0xa000;
    r.units[1].handle = 0xb000;
    r.units[2].handle = 0xd000;
    r.units[3].handle = 0xe000;
    const size_t joiners[] = {0, 2, 3};
    for (size_t k = 0; k < 3; k++) {
        struct tl_rep_unit *u = &r.units[joiners[k]];
        u->wait.reason = "join";
        u->wait.call = k == 1 ? "pthread_timedjoin_np" : "pthread_join";
        u->wait.durable = k != 1;
    }
    r.units[1].wait.durable = true;
    tl_deadlock_analyze(&r);
    ck_assert_int_eq(r.ndeadlocks, 1);
    ck_assert_int_eq(r.deadlocks[0].count, 2);
    ck_assert_str_eq(r.units[0].owner, "thread:21");
    ck_assert_str_eq(r.units[1].owner, "thread:20");
    ck_assert_str_eq(r.units[0].verdict, "deadlocked");
    ck_assert_str_eq(r.units[1].verdict, "deadlocked");
    ck_assert_str_eq(r.units[2].owner, ""); /* timed: no edge */
    ck_assert_str_eq(r.units[2].verdict, "leaked");
    ck_assert_str_eq(r.units[3].owner, ""); /* joins no thread we know */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    tl_deadlock_text(&r, f);
    fclose(f);
    ck_assert_msg(strstr(buf, "thread:20 holds mutex 0x5000 and waits to join thread:21,\n  which "
                              "waits for mutex 0x5000 held by thread:20.") != NULL,
                  "%s", buf);
    free(buf);
    model_free(&r);
}
END_TEST

/* A chain into a cycle: thread:32 joins thread:31, which waits for a mutex thread:7 (in the cycle)
 * holds; both can never wake and are deadlocked, neither is listed in the cycle's entry. A join of
 * a thread that runs (thread:14) is no deadlock. */
START_TEST(units_whose_waits_lead_into_a_cycle_are_deadlocked_too)
{
    struct tl_report r;
    model(&r);
    add(&r, "thread:31", 107, 0x6000, 101);
    add(&r, "thread:32", 108, 0xf000, 0);
    r.units[0].handle = 0xa100;
    r.units[5].handle = 0xa600;
    r.units[6].handle = 0xf000;
    r.units[7].wait.reason = "join";
    r.units[7].wait.call = "pthread_join";
    r.units[7].wait.durable = true;
    tl_deadlock_analyze(&r);
    ck_assert_str_eq(r.units[6].verdict, "deadlocked");
    ck_assert_str_eq(r.units[7].owner, "thread:31");
    ck_assert_str_eq(r.units[7].verdict, "deadlocked");
    ck_assert_str_eq(r.units[5].verdict, "leaked");
    ck_assert_int_eq(r.deadlocks[0].count, 3);
    model_free(&r);
    model(&r); /* now thread:32 joins the running thread:14 */
    add(&r, "thread:32", 108, 0xa600, 0);
    r.units[5].handle = 0xa600;
    r.units[6].wait.reason = "join";
    r.units[6].wait.durable = true;
    tl_deadlock_analyze(&r);
    ck_assert_str_eq(r.units[6].owner, "thread:14");
    ck_assert_str_eq(r.units[6].verdict, "leaked");
    model_free(&r);
}
END_TEST

Suite *make_tl_deadlock_suite(void)
{
    Suite *s = suite_create("tl_deadlock");
    TCase *tc = tcase_create("graph");
    tcase_add_test(tc, a_three_thread_cycle_is_one_deadlock_in_wait_for_order);
    tcase_add_test(tc, a_join_of_a_thread_that_waits_for_the_joiners_mutex_is_a_cycle);
    tcase_add_test(tc, units_whose_waits_lead_into_a_cycle_are_deadlocked_too);
    tcase_add_test(tc, a_mutex_whose_owner_exited_makes_its_waiters_deadlocked_and_names_the_owner);
    tcase_add_test(tc,
                   waiters_of_one_orphaned_mutex_share_one_entry_and_another_mutex_gets_its_own);
    tcase_add_test(tc, a_dump_lists_deadlocks_without_giving_verdicts);
    tcase_add_test(tc, the_exit_ring_keeps_only_the_latest_exits_and_their_stack_references);
    suite_add_tcase(s, tc);
    return s;
}
