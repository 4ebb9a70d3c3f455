/*
 * tl_real: the table of real functions resolves every entry from glibc (the runner is not
 * preloaded, so RTLD_NEXT from it reaches glibc), never to the runner itself, keeps errno, and
 * names the optional entries a libc lacks.
 */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "tl_real.h"

START_TEST(every_entry_resolves_to_glibc_and_errno_is_kept)
{
    errno = 1234;
    ck_assert_int_eq(tl_real_init(), 0);
    ck_assert_int_eq(errno, 1234);
    ck_assert_ptr_eq((void *)tl_real.pthread_mutex_lock, dlsym(RTLD_DEFAULT, "pthread_mutex_lock"));
    ck_assert_ptr_eq((void *)tl_real.sem_clockwait, dlsym(RTLD_DEFAULT, "sem_clockwait"));
    ck_assert(!tl_real_is_self((void *)tl_real.read));
#if defined(__x86_64__)
    ck_assert_ptr_eq((void *)tl_real.pthread_cond_wait_2_2_5,
                     dlvsym(RTLD_DEFAULT, "pthread_cond_wait", "GLIBC_2.2.5"));
    ck_assert_ptr_ne((void *)tl_real.pthread_cond_wait_2_2_5, (void *)tl_real.pthread_cond_wait);
#endif
}
END_TEST

START_TEST(optional_entries_a_libc_lacks_are_named)
{
    char buf[256];
    ck_assert_int_eq(tl_real_init(), 0);
    ck_assert_uint_eq(tl_real_missing(buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "");
    /* as on a libc without them */
    int (*clockwait)(sem_t *, clockid_t, const struct timespec *) = tl_real.sem_clockwait;
    int (*cnd)(cnd_t *, mtx_t *) = tl_real.cnd_wait;
    tl_real.sem_clockwait = NULL;
    tl_real.cnd_wait = NULL;
    ck_assert_uint_eq(tl_real_missing(buf, sizeof buf), 2);
    ck_assert_str_eq(buf, "sem_clockwait, cnd_wait");
    ck_assert_uint_eq(tl_real_missing(buf, 8), 2); /* truncated, still terminated */
    ck_assert_str_eq(buf, "sem_clo");
    tl_real.sem_clockwait = clockwait;
    tl_real.cnd_wait = cnd;
}
END_TEST

Suite *make_tl_real_suite(void)
{
    Suite *s = suite_create("tl_real");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, every_entry_resolves_to_glibc_and_errno_is_kept);
    tcase_add_test(tc, optional_entries_a_libc_lacks_are_named);
    suite_add_tcase(s, tc);
    return s;
}
