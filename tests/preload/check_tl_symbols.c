/*
 * tl_symbols: the module map (main program path from /proc/self/exe, its build id, libc present,
 * load bias applied), symbolization of a static function of this very binary (only .symtab names
 * it), of an exported libc function (.dynsym, shared object bias), of an assembly function without
 * a size (nearest lower symbol), of captured return addresses (ip - 1), and NULL for addresses no
 * module maps.
 */
#include <check.h>
#include <stddef.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_stack.h"
#include "tl_symbols.h"

__attribute__((noinline)) static int static_marker_function(int x)
{
    __asm__ volatile("" : "+r"(x));
    return x * 3 + 1;
}

/* A function written in assembly with no .size directive: its symbol has st_size 0. */
__asm__(".text\n"
        ".type tl_test_asm_nosize,@function\n"
        "tl_test_asm_nosize:\n"
        "  nop\n  nop\n  nop\n  nop\n"
        "  ret\n");
void tl_test_asm_nosize(void);

static uintptr_t return_address;

__attribute__((noinline)) static void capturing_callee(void)
{
    uintptr_t ips[4];
    int n = tl_stack_capture(ips, 4, 1); /* skip ourselves: ips[0] returns into the caller */
    return_address = n > 0 ? ips[0] : 0;
    __asm__ volatile("");
}

__attribute__((noinline)) static void named_caller(void)
{
    capturing_callee();
    __asm__ volatile("");
}

static int main_module(const struct tl_modmap *m)
{
    uintptr_t off;
    return tl_modmap_find(m, (uintptr_t)static_marker_function, &off);
}

START_TEST(modmap_names_the_main_program_and_libc)
{
    char exe[PATH_MAX];
    struct tl_modmap *m = tl_modmap_take();
    ck_assert_ptr_nonnull(m);
    ck_assert_int_ge(tl_modmap_count(m), 2);
    int i = main_module(m);
    ck_assert_int_ge(i, 0);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    ck_assert_str_eq(tl_modmap_path(m, i), exe);
    const char *bid = tl_modmap_build_id(m, i);
    ck_assert_uint_ge(strlen(bid), 16); /* Debian's gcc links a build id in by default */
    ck_assert_uint_eq(strspn(bid, "0123456789abcdef"), strlen(bid));
    bool libc = false;
    for (int k = 0; k < tl_modmap_count(m); k++)
        libc |= strstr(tl_modmap_path(m, k), "libc.so") != NULL;
    ck_assert(libc);
    tl_modmap_free(m);
}
END_TEST

START_TEST(find_gives_the_offset_from_the_load_bias)
{
    struct tl_modmap *m = tl_modmap_take();
    uintptr_t off = 0, ip = (uintptr_t)static_marker_function;
    int i = tl_modmap_find(m, ip, &off);
    ck_assert_int_ge(i, 0);
    ck_assert_uint_eq(off, ip - tl_modmap_base(m, i));
    ck_assert_int_eq(tl_modmap_find(m, 0x10, &off), -1);
    ck_assert_int_eq(tl_modmap_find(m, 0x10, NULL), -1);
    tl_modmap_free(m);
}
END_TEST

START_TEST(a_static_function_of_the_test_binary_is_named)
{
    struct tl_modmap *m = tl_modmap_take();
    uintptr_t ip = (uintptr_t)static_marker_function, off = 99;
    ck_assert_int_eq(static_marker_function(1), 4);
    ck_assert_str_eq(tl_symbolize(m, ip), "static_marker_function");
    ck_assert_str_eq(tl_symbolize_off(m, ip + 2, &off), "static_marker_function");
    ck_assert_uint_eq(off, 2);
    tl_modmap_free(m);
}
END_TEST

START_TEST(an_exported_libc_function_is_named_through_the_shared_object_bias)
{
    struct tl_modmap *m = tl_modmap_take();
    void *fn = dlsym(RTLD_DEFAULT, "getpid");
    ck_assert_ptr_nonnull(fn);
    const char *name = tl_symbolize(m, (uintptr_t)fn + 1);
    ck_assert_ptr_nonnull(name);
    ck_assert_ptr_nonnull(strstr(name, "getpid"));
    tl_modmap_free(m);
}
END_TEST

START_TEST(a_sizeless_assembly_function_gets_the_nearest_lower_symbol)
{
    struct tl_modmap *m = tl_modmap_take();
    ck_assert_str_eq(tl_symbolize(m, (uintptr_t)tl_test_asm_nosize + 3), "tl_test_asm_nosize");
    tl_modmap_free(m);
}
END_TEST

START_TEST(a_captured_return_address_minus_one_names_the_caller)
{
    struct tl_modmap *m = tl_modmap_take();
    named_caller();
    ck_assert_uint_ne(return_address, 0);
    ck_assert_str_eq(tl_symbolize(m, return_address - 1), "named_caller");
    tl_modmap_free(m);
}
END_TEST

START_TEST(unmapped_addresses_have_no_name)
{
    struct tl_modmap *m = tl_modmap_take();
    ck_assert_ptr_null(tl_symbolize(m, 0));
    ck_assert_ptr_null(tl_symbolize(m, 0x10));
    int on_stack;
    ck_assert_ptr_null(tl_symbolize(m, (uintptr_t)&on_stack));
    tl_modmap_free(m);
    tl_modmap_free(NULL);
}
END_TEST

START_TEST(repeated_lookups_reuse_the_cached_table)
{
    struct tl_modmap *m = tl_modmap_take();
    const char *a = tl_symbolize(m, (uintptr_t)static_marker_function);
    const char *b = tl_symbolize(m, (uintptr_t)static_marker_function);
    ck_assert_ptr_eq(a, b); /* same arena string: loaded once */
    tl_modmap_free(m);
}
END_TEST

struct sample_stats {
    long hits, misses;
    int lock;
};
struct sample_stats tl_test_stats = {1, 2, 3}; /* a global variable: an OBJECT symbol */
static int tl_test_local_var = 4;              /* a static one: named from .symtab */

START_TEST(variables_are_named_with_the_offset_of_a_member)
{
    struct tl_modmap *m = tl_modmap_take();
    uintptr_t off = 99;
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(tl_symbolize_data(m, (uintptr_t)&tl_test_stats, &off), "tl_test_stats");
    ck_assert_uint_eq(off, 0);
    ck_assert_str_eq(tl_symbolize_data(m, (uintptr_t)&tl_test_stats.lock, &off), "tl_test_stats");
    ck_assert_uint_eq(off, offsetof(struct sample_stats, lock));
    ck_assert_str_eq(tl_symbolize_data(m, (uintptr_t)&tl_test_local_var, NULL),
                     "tl_test_local_var");
    int on_stack = tl_test_local_var;
    ck_assert_ptr_null(tl_symbolize_data(m, (uintptr_t)&on_stack, NULL));
    /* functions are not variables, and the reverse */
    ck_assert_ptr_null(tl_symbolize_data(m, (uintptr_t)static_marker_function, NULL));
    const char *fn = tl_symbolize(m, (uintptr_t)&tl_test_stats);
    ck_assert_msg(fn == NULL, "%s", fn);
    tl_modmap_free(m);
}
END_TEST

Suite *make_tl_symbols_suite(void)
{
    Suite *s = suite_create("tl_symbols");
    TCase *tc = tcase_create("modules and names");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, modmap_names_the_main_program_and_libc);
    tcase_add_test(tc, find_gives_the_offset_from_the_load_bias);
    tcase_add_test(tc, a_static_function_of_the_test_binary_is_named);
    tcase_add_test(tc, an_exported_libc_function_is_named_through_the_shared_object_bias);
    tcase_add_test(tc, a_sizeless_assembly_function_gets_the_nearest_lower_symbol);
    tcase_add_test(tc, a_captured_return_address_minus_one_names_the_caller);
    tcase_add_test(tc, unmapped_addresses_have_no_name);
    tcase_add_test(tc, repeated_lookups_reuse_the_cached_table);
    tcase_add_test(tc, variables_are_named_with_the_offset_of_a_member);
    suite_add_tcase(s, tc);
    return s;
}
