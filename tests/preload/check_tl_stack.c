/*
 * tl_stack: capture lands in the caller (skip works), interning deduplicates and reference counts
 * (a million intern/unref cycles leave only live stacks), ids are reused, concurrent interning is
 * consistent, a saved context of a thread blocked elsewhere unwinds through its own function,
 * errno is kept, and the fork handlers leave a usable table in the child.
 */
#define UNW_LOCAL_ONLY
#include <check.h>
#include <errno.h>
#include <libunwind.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_stack.h"

/* Generous bound for "this return address lies inside that function". */
#define FN_SPAN 2048

static bool inside(uintptr_t ip, void (*fn)(void))
{
    return ip > (uintptr_t)fn && ip < (uintptr_t)fn + FN_SPAN;
}

static uintptr_t cap_ips[TL_STACK_MAX_FRAMES];
static int cap_n;

__attribute__((noinline)) static void capture_here(void)
{
    cap_n = tl_stack_capture(cap_ips, 16, 0);
    __asm__ volatile(""); /* keep the call from becoming a tail call */
}

__attribute__((noinline)) static void capture_skip_one(void)
{
    cap_n = tl_stack_capture(cap_ips, 16, 1);
    __asm__ volatile("");
}

__attribute__((noinline)) static void outer_caller(void)
{
    capture_skip_one();
    __asm__ volatile("");
}

START_TEST(capture_starts_in_the_caller_and_skip_drops_frames)
{
    capture_here();
    ck_assert_int_ge(cap_n, 2);
    ck_assert(inside(cap_ips[0], capture_here));
    outer_caller();
    ck_assert_int_ge(cap_n, 2);
    ck_assert(inside(cap_ips[0], outer_caller));
}
END_TEST

START_TEST(capture_respects_max_and_keeps_errno)
{
    errno = EXDEV;
    cap_n = tl_stack_capture(cap_ips, 1, 0);
    ck_assert_int_eq(cap_n, 1);
    ck_assert_int_eq(errno, EXDEV);
    ck_assert_int_eq(tl_stack_capture(cap_ips, 0, 0), 0);
}
END_TEST

START_TEST(interning_deduplicates_and_reference_counts)
{
    uintptr_t a[] = {0x1000, 0x2000, 0x3000}, b[] = {0x1000, 0x2000, 0x3001};
    tl_stack_id ia = tl_stack_intern(a, 3);
    tl_stack_id ia2 = tl_stack_intern(a, 3);
    tl_stack_id ib = tl_stack_intern(b, 3);
    ck_assert_uint_ne(ia, 0);
    ck_assert_uint_eq(ia, ia2);
    ck_assert_uint_ne(ia, ib);
    ck_assert_uint_eq(tl_stack_count(), 2);
    int n;
    const uintptr_t *f = tl_stack_frames(ia, &n);
    ck_assert_int_eq(n, 3);
    ck_assert(memcmp(f, a, sizeof a) == 0);
    tl_stack_unref(ia);
    ck_assert_uint_eq(tl_stack_count(), 2); /* one reference left */
    tl_stack_unref(ia);
    ck_assert_uint_eq(tl_stack_count(), 1);
    ck_assert_ptr_null(tl_stack_frames(ia, &n));
    ck_assert_int_eq(n, 0);
    tl_stack_ref(ib);
    tl_stack_unref(ib);
    ck_assert_uint_eq(tl_stack_count(), 1);
    tl_stack_unref(ib);
    ck_assert_uint_eq(tl_stack_count(), 0);
}
END_TEST

START_TEST(a_prefix_is_a_different_stack)
{
    uintptr_t a[] = {1, 2, 3};
    ck_assert_uint_ne(tl_stack_intern(a, 3), tl_stack_intern(a, 2));
    ck_assert_uint_eq(tl_stack_count(), 2);
}
END_TEST

START_TEST(empty_and_unknown_ids_are_harmless)
{
    int n = 5;
    uintptr_t a[] = {1};
    ck_assert_uint_eq(tl_stack_intern(a, 0), 0);
    ck_assert_uint_eq(tl_stack_intern(a, TL_STACK_MAX_FRAMES + 1), 0);
    ck_assert_ptr_null(tl_stack_frames(0, &n));
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(tl_stack_frames(12345, &n));
    tl_stack_ref(0);
    tl_stack_unref(0);
    tl_stack_unref(999);
    ck_assert_uint_eq(tl_stack_count(), 0);
}
END_TEST

START_TEST(freed_ids_are_reused)
{
    uintptr_t a[] = {7, 8}, b[] = {9, 10};
    tl_stack_id ia = tl_stack_intern(a, 2);
    tl_stack_unref(ia);
    tl_stack_id ib = tl_stack_intern(b, 2);
    ck_assert_uint_eq(ia, ib);
    int n;
    const uintptr_t *f = tl_stack_frames(ib, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_uint_eq(f[0], 9);
}
END_TEST

__attribute__((noinline)) static tl_stack_id site(int which)
{
    uintptr_t ips[32];
    int n = tl_stack_capture(ips, 32, 0);
    ips[0] += (uintptr_t)which; /* three distinct "call sites" without three functions */
    return tl_stack_intern(ips, n);
}

START_TEST(a_million_cycles_leave_only_live_stacks)
{
    size_t most = 0; /* asserting inside the loop would cost Check a write per check */
    tl_stack_id live = site(0);
    for (int i = 0; i < 1000000; i++) {
        tl_stack_id id = site(i % 3);
        size_t c = tl_stack_count();
        most = c > most ? c : most;
        tl_stack_unref(id);
    }
    ck_assert_uint_le(most, 3);
    ck_assert_uint_eq(tl_stack_count(), 1);
    tl_stack_unref(live);
    ck_assert_uint_eq(tl_stack_count(), 0);
}
END_TEST

static void *churn(void *arg)
{
    uintptr_t ips[4] = {0x10, 0x20, 0x30, 0};
    uintptr_t seed = (uintptr_t)arg;
    for (int i = 0; i < 100000; i++) {
        ips[3] = (seed * 7 + (uintptr_t)i) % 16;
        tl_stack_id id = tl_stack_intern(ips, 4);
        int n;
        const uintptr_t *f = tl_stack_frames(id, &n);
        if (id == 0 || n != 4 || f[3] != ips[3])
            return (void *)1;
        tl_stack_unref(id);
    }
    return NULL;
}

START_TEST(concurrent_interning_stays_consistent)
{
    pthread_t t[8];
    uintptr_t held_ips[] = {0x10, 0x20, 0x30, 5};
    tl_stack_id held = tl_stack_intern(held_ips, 4);
    for (uintptr_t i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, churn, (void *)i), 0);
    for (int i = 0; i < 8; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        ck_assert_ptr_null(rv);
    }
    ck_assert_uint_eq(tl_stack_count(), 1);
    int n;
    ck_assert_uint_eq(tl_stack_frames(held, &n)[3], 5);
}
END_TEST

START_TEST(hash_depends_on_every_frame_and_their_order)
{
    uintptr_t a[] = {1, 2, 3}, b[] = {3, 2, 1}, c[] = {1, 2, 4};
    ck_assert_uint_eq(tl_stack_hash(a, 3), tl_stack_hash(a, 3));
    ck_assert_uint_ne(tl_stack_hash(a, 3), tl_stack_hash(b, 3));
    ck_assert_uint_ne(tl_stack_hash(a, 3), tl_stack_hash(c, 3));
    ck_assert_uint_ne(tl_stack_hash(a, 3), tl_stack_hash(a, 2));
}
END_TEST

/* A thread saves its context and blocks on a pipe; the test unwinds the saved context from
 * another thread, as the detector does for a blocked unit. */
static unw_context_t blocked_ctx;
static int ready_pipe[2], release_pipe[2];

__attribute__((noinline)) static void blocked_function(void)
{
    char c;
    unw_getcontext(&blocked_ctx);
    ck_assert_int_eq(write(ready_pipe[1], "r", 1), 1);
    ck_assert_int_eq(read(release_pipe[0], &c, 1), 1);
    __asm__ volatile("");
}

static void *blocked_thread(void *arg)
{
    blocked_function();
    return arg;
}

START_TEST(a_saved_context_unwinds_through_the_blocked_function)
{
    pthread_t t;
    char c;
    uintptr_t ips[64];
    ck_assert_int_eq(pipe(ready_pipe), 0);
    ck_assert_int_eq(pipe(release_pipe), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, blocked_thread, NULL), 0);
    ck_assert_int_eq(read(ready_pipe[0], &c, 1), 1);
    int n = tl_stack_unwind_context(&blocked_ctx, ips, 64);
    ck_assert_int_ge(n, 2);
    ck_assert(inside(ips[0], blocked_function));
    bool found_thread_fn = false;
    for (int i = 1; i < n; i++)
        found_thread_fn |=
            ips[i] > (uintptr_t)blocked_thread && ips[i] < (uintptr_t)blocked_thread + FN_SPAN;
    ck_assert(found_thread_fn);
    ck_assert_int_eq(tl_stack_unwind_context(&blocked_ctx, ips, 1), 1);
    ck_assert_int_eq(write(release_pipe[1], "g", 1), 1);
    pthread_join(t, NULL);
}
END_TEST

START_TEST(fork_handlers_leave_a_usable_table_in_the_child)
{
    uintptr_t a[] = {42, 43};
    tl_stack_id id = tl_stack_intern(a, 2);
    tl_stack_atfork_prepare();
    pid_t pid = fork();
    if (pid == 0) {
        tl_stack_atfork_child();
        int n;
        uintptr_t b[] = {44};
        bool ok = tl_stack_intern(a, 2) == id && tl_stack_intern(b, 1) != 0 &&
                  tl_stack_frames(id, &n) != NULL && n == 2 && tl_stack_count() == 2;
        _exit(ok ? 0 : 1);
    }
    tl_stack_atfork_parent();
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_uint_eq(tl_stack_count(), 1); /* the parent still works too */
    tl_stack_unref(id);
    ck_assert_uint_eq(tl_stack_count(), 0);
}
END_TEST

START_TEST(clear_empties_the_table)
{
    uintptr_t a[] = {1}, b[] = {2};
    tl_stack_intern(a, 1);
    tl_stack_intern(b, 1);
    tl_stack_clear();
    ck_assert_uint_eq(tl_stack_count(), 0);
    ck_assert_uint_ne(tl_stack_intern(a, 1), 0);
}
END_TEST

START_TEST(a_blocked_stack_starts_with_the_call_the_program_made)
{
    /* Linked into the test program, nothing is the detector's by module: only the bracket's own
     * frame (ips[0]) goes, and the call frame stands in its place. */
    uintptr_t ips[4] = {0x1000, 0x2000, 0x3000, tl_stack_call_frame("stale")};
    int n = tl_stack_strip_own(ips, 4, "sem_wait");
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(tl_stack_frame_call(ips[0]), "sem_wait");
    ck_assert_uint_eq(ips[1], 0x2000);
    ck_assert_uint_eq(ips[2], 0x3000); /* a call frame found below the top is dropped */
    ck_assert_ptr_null(tl_stack_frame_call(ips[1]));
    ck_assert_int_eq(tl_stack_strip_own(ips, 0, "sem_wait"), 0);
    uintptr_t plain[2] = {0x1000, 0x2000};
    ck_assert_int_eq(tl_stack_strip_own(plain, 2, NULL), 2); /* creation stacks keep their top */
    ck_assert_uint_eq(plain[0], 0x1000);
}
END_TEST

Suite *make_tl_stack_suite(void)
{
    Suite *s = suite_create("tl_stack");
    TCase *cap = tcase_create("capture");
    tcase_set_timeout(cap, 30);
    tcase_add_test(cap, capture_starts_in_the_caller_and_skip_drops_frames);
    tcase_add_test(cap, capture_respects_max_and_keeps_errno);
    tcase_add_test(cap, a_saved_context_unwinds_through_the_blocked_function);
    suite_add_tcase(s, cap);
    TCase *tab = tcase_create("table");
    tcase_set_timeout(tab, 120);
    tcase_add_test(tab, interning_deduplicates_and_reference_counts);
    tcase_add_test(tab, a_prefix_is_a_different_stack);
    tcase_add_test(tab, empty_and_unknown_ids_are_harmless);
    tcase_add_test(tab, freed_ids_are_reused);
    tcase_add_test(tab, a_million_cycles_leave_only_live_stacks);
    tcase_add_test(tab, concurrent_interning_stays_consistent);
    tcase_add_test(tab, hash_depends_on_every_frame_and_their_order);
    tcase_add_test(tab, fork_handlers_leave_a_usable_table_in_the_child);
    tcase_add_test(tab, clear_empties_the_table);
    tcase_add_test(tab, a_blocked_stack_starts_with_the_call_the_program_made);
    suite_add_tcase(s, tab);
    return s;
}
