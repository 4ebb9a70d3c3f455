/*
 * tl_registry and tl_block without interposition: units appear and disappear, snapshots copy
 * them in batches, a blocked unit's wait and lazily unwound stack come out of a snapshot, labels
 * are inherited, ignore marks, the fork child keeps only its own unit; finished joinable units stay
 * as exited records until a join or a detach, and a reused handle never finds a stale record.
 */
#include <check.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_registry.h"
#include "tl_text.h"

static void setup(void)
{
    struct tl_options o;
    tl_options_defaults(&o);
    tl_stack_set_depth(o.stack_depth);
}

static const struct tl_unit_view *find_seq(const struct tl_snapshot *s, uint64_t seq)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].seq == seq)
            return &s->v[i];
    return NULL;
}

START_TEST(new_units_are_visible_until_they_exit)
{
    struct tl_unit *me = tl_registry_adopt(1);
    ck_assert_ptr_eq(tl_registry_self(), me);
    size_t before = tl_registry_live();
    struct tl_unit *u = tl_registry_new(0x1234, 0, true);
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(tl_registry_live(), before + 1);
    ck_assert_uint_eq(u->creator_seq, 1);
    ck_assert_int_eq(u->creator_task, 0); /* no gor task runs here: the thread is the creator */
    ck_assert_ptr_null(u->creator_hold);
    struct tl_snapshot s;
    ck_assert_int_eq(tl_registry_snapshot(&s, false, 8, 1), 0); /* batch 1: many lock holds */
    const struct tl_unit_view *v = find_seq(&s, u->seq);
    ck_assert_ptr_nonnull(v);
    ck_assert(v->detached);
    ck_assert_uint_eq(v->start, 0x1234);
    ck_assert_int_eq(v->creator_task, 0);
    ck_assert_str_eq(v->inherited_name, "");
    ck_assert(!v->blocked);
    tl_snapshot_free(&s);
    tl_registry_exit(u);
    ck_assert_uint_eq(tl_registry_live(), before);
}
END_TEST

START_TEST(slots_are_reused_and_a_snapshot_sees_every_live_unit)
{
    tl_registry_adopt(1);
    struct tl_unit *u[100];
    for (int i = 0; i < 100; i++)
        u[i] = tl_registry_new(0, 0, false);
    for (int i = 0; i < 100; i += 2)
        tl_registry_exit(u[i]);
    for (int i = 0; i < 100; i += 2)
        u[i] = tl_registry_new(0, 0, false);
    struct tl_snapshot s;
    ck_assert_int_eq(tl_registry_snapshot(&s, false, 8, 7), 0);
    ck_assert_uint_eq(s.n, 101);
    for (int i = 0; i < 100; i++)
        ck_assert_ptr_nonnull(find_seq(&s, u[i]->seq));
    tl_snapshot_free(&s);
}
END_TEST

struct blocker {
    struct tl_unit *unit;
    sem_t entered, release;
};

static __attribute__((noipa)) void wait_in_bracket(struct blocker *b)
{
    struct tl_unit *u = tl_block_begin("semaphore", "sem_wait", &b->release, true);
    sem_post(&b->entered);
    sem_wait(&b->release);
    tl_block_end(u);
}

static void *blocker_main(void *arg)
{
    struct blocker *b = arg;
    tl_registry_attach(b->unit);
    wait_in_bracket(b);
    sem_post(&b->entered);
    return NULL;
}

START_TEST(a_blocked_unit_shows_its_wait_and_a_lazily_unwound_stack)
{
    tl_registry_adopt(1);
    struct blocker b;
    sem_init(&b.entered, 0, 0);
    sem_init(&b.release, 0, 0);
    b.unit = tl_registry_new(0, 0, false);
    pthread_t t;
    pthread_create(&t, NULL, blocker_main, &b);
    sem_wait(&b.entered);
    struct tl_snapshot s;
    ck_assert_int_eq(tl_registry_snapshot(&s, true, 16, 0), 0);
    const struct tl_unit_view *v = find_seq(&s, b.unit->seq);
    ck_assert(v->blocked);
    ck_assert_str_eq(v->wait.reason, "semaphore");
    ck_assert_str_eq(v->wait.call, "sem_wait");
    ck_assert(v->wait.durable);
    ck_assert_uint_eq(v->wait.object, (uintptr_t)&b.release);
    ck_assert_uint_ne(v->blocked_stack, 0);
    int n = 0;
    tl_stack_frames(v->blocked_stack, &n);
    ck_assert_int_ge(n, 2);
    ck_assert_int_eq(atomic_load(&b.unit->wstate), TL_WS_BLOCKED); /* pin released */
    tl_snapshot_free(&s);
    sem_post(&b.release);
    sem_wait(&b.entered);
    ck_assert_int_eq(tl_registry_snapshot(&s, false, 16, 0), 0);
    ck_assert(!find_seq(&s, b.unit->seq)->blocked);
    ck_assert_uint_ge(find_seq(&s, b.unit->seq)->progress, 2);
    tl_snapshot_free(&s);
    pthread_join(t, NULL);
}
END_TEST

START_TEST(a_nested_bracket_is_not_recorded)
{
    struct tl_unit *me = tl_registry_adopt(1);
    struct tl_unit *outer = tl_block_begin("sleep", "nanosleep", NULL, false);
    ck_assert_ptr_eq(outer, me);
    ck_assert_ptr_null(tl_block_begin("futex", "syscall(SYS_futex)", NULL, true));
    ck_assert_str_eq(me->wait.reason, "sleep");
    tl_block_end(outer);
    ck_assert_int_eq(atomic_load(&me->wstate), TL_WS_RUNNING);
}
END_TEST

START_TEST(brackets_keep_errno)
{
    tl_registry_adopt(1);
    errno = 4321;
    struct tl_unit *u = tl_block_begin("sleep", "nanosleep", NULL, false);
    ck_assert_int_eq(errno, 4321);
    tl_block_end(u);
    ck_assert_int_eq(errno, 4321);
}
END_TEST

START_TEST(labels_pass_to_created_units_and_their_descendants)
{
    struct tl_unit *me = tl_registry_adopt(1);
    ck_assert_ptr_null(tl_label_current());
    tl_label_set("test_one");
    struct tl_unit *child = tl_registry_new(0, 0, false);
    ck_assert_str_eq(child->label, "test_one");
    ck_assert_str_eq(child->spawn_label, "test_one"); /* its own children inherit it */
    tl_label_set(NULL);
    ck_assert_ptr_null(tl_label_current());
    ck_assert_str_eq(tl_registry_new(0, 0, false)->label, "");
    (void)me;
}
END_TEST

START_TEST(ignore_all_marks_every_live_unit)
{
    tl_registry_adopt(1);
    tl_registry_new(0, 0, false);
    tl_registry_new(0, 0, false);
    ck_assert_uint_eq(tl_registry_ignore_all(), 3);
    struct tl_snapshot s;
    tl_registry_snapshot(&s, false, 8, 0);
    for (size_t i = 0; i < s.n; i++)
        ck_assert(s.v[i].ignored);
    tl_snapshot_free(&s);
}
END_TEST

static void count_visit(const struct tl_unit *u, void *arg)
{
    (void)u;
    ++*(size_t *)arg;
}

START_TEST(visit_sees_every_unit_in_small_batches)
{
    tl_registry_adopt(1);
    for (int i = 0; i < 50; i++)
        tl_registry_new(0, 0, false);
    size_t n = 0;
    tl_registry_visit(3, count_visit, &n);
    ck_assert_uint_eq(n, 51);
}
END_TEST

START_TEST(a_fork_child_keeps_only_the_forking_thread)
{
    struct tl_unit *me = tl_registry_adopt(1);
    for (int i = 0; i < 5; i++)
        tl_registry_new(0, 0, false);
    tl_registry_atfork_prepare();
    pid_t pid = fork();
    if (pid == 0) {
        tl_registry_atfork_child();
        int ok = tl_registry_live() == 1 && tl_registry_self() == me &&
                 atomic_load(&me->tid) == gettid();
        struct tl_unit *u = tl_registry_new(0, 0, false); /* the lock works in the child */
        _exit(ok && u != NULL && tl_registry_live() == 2 ? 0 : 1);
    }
    tl_registry_atfork_parent();
    int st;
    waitpid(pid, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_uint_eq(tl_registry_live(), 6);
}
END_TEST

START_TEST(self_id_names_the_calling_thread)
{
    char buf[32];
    ck_assert_int_eq(tl_registry_self_id(buf, sizeof buf), -1);
    tl_registry_adopt(1);
    ck_assert_int_gt(tl_registry_self_id(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "thread:1");
}
END_TEST

/* A unit published with a made-up pthread_t, as tl_thread does once pthread_create returned. */
static struct tl_unit *new_with_handle(bool detached, uintptr_t h)
{
    struct tl_unit *u = tl_registry_new(0x10, 0, detached);
    ck_assert_ptr_nonnull(u);
    tl_registry_set_handle(u->slot, u->seq, (pthread_t)h);
    return u;
}

START_TEST(finished_joinable_units_stay_as_exited_records_until_joined_or_detached)
{
    tl_registry_adopt(1);
    size_t live = tl_registry_live(), exited = tl_registry_exited();
    struct tl_unit *a = new_with_handle(false, 0xa000), *b = new_with_handle(false, 0xb000);
    struct tl_unit *d = new_with_handle(true, 0xd000);
    uint64_t aseq = a->seq, dseq = d->seq;
    struct tl_join_ref ra;
    tl_registry_join_ref((pthread_t)0xa000, &ra); /* before the join, as the interposer does */
    ck_assert_uint_eq(ra.seq, aseq);
    tl_registry_finish(a);
    tl_registry_finish(b);
    tl_registry_finish(d); /* detached: forgotten at once */
    ck_assert_uint_eq(tl_registry_live(), live);
    ck_assert_uint_eq(tl_registry_exited(), exited + 2);
    struct tl_snapshot s;
    ck_assert_int_eq(tl_registry_snapshot(&s, false, 8, 3), 0);
    const struct tl_unit_view *v = find_seq(&s, aseq);
    ck_assert_ptr_nonnull(v);
    ck_assert(v->exited && v->exited_ns > 0 && !v->blocked);
    ck_assert_ptr_null(find_seq(&s, dseq));
    tl_snapshot_free(&s);
    size_t seen = 0;
    tl_registry_visit(2, count_visit, &seen); /* the light scan sees live units only */
    ck_assert_uint_eq(seen, tl_registry_live());
    tl_registry_joined(&ra, (pthread_t)0xa000);
    ck_assert_uint_eq(tl_registry_exited(), exited + 1);
    tl_registry_set_detached((pthread_t)0xb000); /* detaching a finished thread is as good */
    ck_assert_uint_eq(tl_registry_exited(), exited);
    ck_assert_int_eq(tl_registry_snapshot(&s, false, 8, 3), 0);
    ck_assert_ptr_null(find_seq(&s, aseq));
    tl_snapshot_free(&s);
}
END_TEST

START_TEST(a_new_thread_given_a_finished_threads_handle_drops_the_stale_record)
{
    tl_registry_adopt(1);
    size_t exited = tl_registry_exited();
    struct tl_unit *old = new_with_handle(false, 0xe000);
    tl_registry_finish(old); /* then joined behind our back: glibc may reuse 0xe000 */
    ck_assert_uint_eq(tl_registry_exited(), exited + 1);
    struct tl_unit *fresh = new_with_handle(false, 0xe000);
    ck_assert_uint_eq(tl_registry_exited(), exited);
    struct tl_join_ref r;
    tl_registry_join_ref((pthread_t)0xe000, &r);
    ck_assert_uint_eq(r.seq, fresh->seq);
    tl_registry_exit(fresh);
    tl_registry_join_ref((pthread_t)0xe000, &r);
    ck_assert_uint_eq(r.seq, 0);
}
END_TEST

START_TEST(durations_read_like_go_dumps)
{
    char b[32];
    tl_text_duration(350, b, sizeof b);
    ck_assert_str_eq(b, "350ms");
    tl_text_duration(14999, b, sizeof b);
    ck_assert_str_eq(b, "14s");
    tl_text_duration(200000, b, sizeof b);
    ck_assert_str_eq(b, "3m20s");
}
END_TEST

Suite *make_tl_registry_suite(void)
{
    Suite *s = suite_create("tl_registry");
    TCase *t = tcase_create("registry");
    tcase_add_checked_fixture(t, setup, NULL);
    tcase_set_timeout(t, 20);
    tcase_add_test(t, new_units_are_visible_until_they_exit);
    tcase_add_test(t, slots_are_reused_and_a_snapshot_sees_every_live_unit);
    tcase_add_test(t, a_blocked_unit_shows_its_wait_and_a_lazily_unwound_stack);
    tcase_add_test(t, a_nested_bracket_is_not_recorded);
    tcase_add_test(t, brackets_keep_errno);
    tcase_add_test(t, labels_pass_to_created_units_and_their_descendants);
    tcase_add_test(t, ignore_all_marks_every_live_unit);
    tcase_add_test(t, visit_sees_every_unit_in_small_batches);
    tcase_add_test(t, a_fork_child_keeps_only_the_forking_thread);
    tcase_add_test(t, self_id_names_the_calling_thread);
    tcase_add_test(t, durations_read_like_go_dumps);
    tcase_add_test(t, finished_joinable_units_stay_as_exited_records_until_joined_or_detached);
    tcase_add_test(t, a_new_thread_given_a_finished_threads_handle_drops_the_stale_record);
    suite_add_tcase(s, t);
    return s;
}
