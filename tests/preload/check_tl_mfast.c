/*
 * tl_mfast: the in-place lock and unlock of a default mutex agree with glibc's own functions (the
 * runner is not preloaded, so pthread_mutex_* here are glibc's), the probe accepts glibc and
 * refuses a lock that leaves other words, and a release wakes a thread blocked in glibc's lock.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "tl_mfast.h"

START_TEST(the_probe_accepts_this_glibc_and_keeps_errno)
{
    errno = 4321;
#if defined(__x86_64__)
    ck_assert(tl_mf_probe(pthread_mutex_lock, pthread_mutex_unlock, pthread_mutex_trylock));
#endif
    ck_assert(!tl_mf_probe(NULL, pthread_mutex_unlock, pthread_mutex_trylock));
    ck_assert_int_eq(errno, 4321);
}
END_TEST

/* A lock that takes the mutex but keeps no user count, as another layout would. */
static int lock_without_users(pthread_mutex_t *m)
{
    int rc = pthread_mutex_lock(m);
    m->__data.__nusers = 0;
    return rc;
}

static int unlock_without_users(pthread_mutex_t *m)
{
    m->__data.__nusers = 1;
    return pthread_mutex_unlock(m);
}

START_TEST(the_probe_refuses_a_protocol_that_differs)
{
    ck_assert(!tl_mf_probe(lock_without_users, unlock_without_users, pthread_mutex_trylock));
}
END_TEST

START_TEST(taken_in_place_glibc_sees_it_held_and_the_other_way_round)
{
    if (!tl_mf_probe(pthread_mutex_lock, pthread_mutex_unlock, pthread_mutex_trylock))
        return; /* another architecture or libc: the wrappers forward */
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, errchk;
    ck_assert(tl_mf_plain(&m));
    ck_assert(tl_mf_take(&m));
    ck_assert_int_eq(m.__data.__owner, gettid());
    ck_assert_int_eq(pthread_mutex_trylock(&m), EBUSY);
    ck_assert_int_eq(pthread_mutex_destroy(&m), EBUSY); /* the user count glibc checks */
    tl_mf_release(&m);
    ck_assert_int_eq(pthread_mutex_trylock(&m), 0);
    ck_assert(!tl_mf_take(&m));
    ck_assert_int_eq(pthread_mutex_unlock(&m), 0);
    ck_assert_int_eq(pthread_mutex_destroy(&m), 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&errchk, &a);
    ck_assert(!tl_mf_plain(&errchk)); /* every other kind stays glibc's */
    pthread_mutex_destroy(&errchk);
}
END_TEST

static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static int g_count;

static void *blocks_in_glibc(void *arg)
{
    pthread_mutex_lock(&g_m); /* blocks: the test holds it */
    g_count++;
    pthread_mutex_unlock(&g_m);
    return arg;
}

START_TEST(a_release_in_place_wakes_a_thread_blocked_in_glibcs_lock)
{
    if (!tl_mf_probe(pthread_mutex_lock, pthread_mutex_unlock, pthread_mutex_trylock))
        return;
    ck_assert(tl_mf_take(&g_m));
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, blocks_in_glibc, NULL), 0);
    /* glibc marks the word 2 (a waiter) before it sleeps on it */
    while (__atomic_load_n(&g_m.__data.__lock, __ATOMIC_ACQUIRE) != 2)
        sched_yield();
    tl_mf_release(&g_m); /* without the wake the join below never returns */
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(g_count, 1);
    ck_assert(tl_mf_take(&g_m));
    tl_mf_release(&g_m);
    ck_assert_int_eq(pthread_mutex_destroy(&g_m), 0);
}
END_TEST

Suite *make_tl_mfast_suite(void)
{
    Suite *s = suite_create("tl_mfast");
    TCase *tc = tcase_create("mfast");
    tcase_add_test(tc, the_probe_accepts_this_glibc_and_keeps_errno);
    tcase_add_test(tc, the_probe_refuses_a_protocol_that_differs);
    tcase_add_test(tc, taken_in_place_glibc_sees_it_held_and_the_other_way_round);
    tcase_add_test(tc, a_release_in_place_wakes_a_thread_blocked_in_glibcs_lock);
    suite_add_tcase(s, tc);
    return s;
}
