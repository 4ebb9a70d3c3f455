/*
 * tl_dynobj: lookups in loaded objects' dynamic sections agree with the dynamic linker's own
 * (asked through libc's own handle, whose scope starts at libc: in SANITIZE builds the runner's
 * global scope answers with ASan's interceptors instead): default versions are
 * returned and hidden ones skipped, names an object only imports are not its definitions, and
 * missing names or objects give NULL.
 */
#include <check.h>
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "tl_dynobj.h"

/* glibc's own definition of name (default version), as the dynamic linker finds it in libc. */
static void *libc_sym(const char *name)
{
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(h);
    void *p = dlsym(h, name);
    dlclose(h);
    return p;
}

START_TEST(a_function_found_in_libc_is_the_one_dlsym_returns)
{
    const char *names[] = {"pthread_mutex_lock", "nanosleep", "sem_timedwait", "read"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_ptr_eq(tl_dynobj_find("libc.so.", names[i]), libc_sym(names[i]));
}
END_TEST

START_TEST(of_two_versions_the_default_one_is_returned)
{
    void *found = tl_dynobj_find("libc.so.", "pthread_cond_wait");
    ck_assert_ptr_nonnull(found);
    ck_assert_ptr_eq(found, libc_sym("pthread_cond_wait"));
#if defined(__x86_64__)
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    void *old = dlvsym(h, "pthread_cond_wait", "GLIBC_2.2.5");
    dlclose(h);
    ck_assert_ptr_nonnull(old);
    ck_assert_ptr_ne(found, old);
#endif
}
END_TEST

START_TEST(missing_names_and_objects_give_null)
{
    ck_assert_ptr_null(tl_dynobj_find("libc.so.", "taskleak_no_such_function"));
    ck_assert_ptr_null(tl_dynobj_find("libtaskleak-no-such-object.so", "malloc"));
    /* libjansson imports malloc from libc but does not define it; json_object it does */
    ck_assert_ptr_null(tl_dynobj_find("libjansson.so", "malloc"));
    ck_assert_ptr_eq(tl_dynobj_find("libjansson.so", "json_object"),
                     dlsym(RTLD_DEFAULT, "json_object"));
}
END_TEST

static int read_libc(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    const char *base = strrchr(info->dlpi_name, '/');
    if (base == NULL || strncmp(base + 1, "libc.so.", 8) != 0)
        return 0;
    return tl_dynobj_read(info, arg) == 0 ? 1 : -1;
}

START_TEST(libc_s_dynamic_section_has_every_table_and_is_not_symbolic)
{
    struct tl_dynobj o;
    ck_assert_int_eq(dl_iterate_phdr(read_libc, &o), 1);
    ck_assert_ptr_nonnull(o.symtab);
    ck_assert_ptr_nonnull(o.strtab);
    ck_assert(o.gnu_hash != NULL || o.sysv_hash != NULL);
    ck_assert_ptr_nonnull(o.versym);
    ck_assert(o.jmprel != NULL || o.rela != NULL);
    ck_assert(!o.symbolic);
    const Elf64_Sym *s = tl_dynobj_function(&o, "sem_wait");
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_eq((void *)(o.base + s->st_value), libc_sym("sem_wait"));
}
END_TEST

Suite *make_tl_dynobj_suite(void)
{
    Suite *s = suite_create("tl_dynobj");
    TCase *tc = tcase_create("lookups");
    tcase_add_test(tc, a_function_found_in_libc_is_the_one_dlsym_returns);
    tcase_add_test(tc, of_two_versions_the_default_one_is_returned);
    tcase_add_test(tc, missing_names_and_objects_give_null);
    tcase_add_test(tc, libc_s_dynamic_section_has_every_table_and_is_not_symbolic);
    suite_add_tcase(s, tc);
    return s;
}
