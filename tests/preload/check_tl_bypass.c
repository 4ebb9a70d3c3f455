/*
 * tl_bypass (hostile case 52 (docs/hostile-hosts.md)): the ELF decision on small objects built
 * four ways
 * (rel_runtime.mk: libst_*.so, where st_caller calls the exported st_entry from inside), the
 * verdict on libgor built in each mode (relrt/<variant>/libgor.so), and the message wording.
 * Objects are dlopen'ed RTLD_LOCAL into the test process and read from memory, as at attach.
 */
#include <check.h>
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tl_bypass.h"

struct holder {
    uintptr_t addr;
    struct dl_phdr_info info; /* the object holding addr */
    bool found;
};

static int find_holder(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct holder *h = arg;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const Elf64_Phdr *p = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + p->p_vaddr;
        if (p->p_type == PT_LOAD && h->addr >= lo && h->addr < lo + p->p_memsz) {
            h->info = *info;
            h->found = true;
            return 1;
        }
    }
    return 0;
}

/* Opens a built object (path under the build directory) and finds its dl_phdr_info through the
 * address of `sym`. The handle is left open: the test process is a fork. */
static struct dl_phdr_info open_object(const char *rel, const char *sym)
{
    void *h = dlopen(th_path(rel), RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(h != NULL, "dlopen %s: %s", rel, dlerror());
    struct holder ho = {.addr = (uintptr_t)dlsym(h, sym)};
    ck_assert_msg(ho.addr != 0, "%s lacks %s", rel, sym);
    dl_iterate_phdr(find_holder, &ho);
    ck_assert(ho.found);
    return ho.info;
}

enum { ENTRY, ALONE, MISSING, NUSE };

/* Inspects libst_<how>.so for st_entry, st_alone and a name it does not define. */
static bool inspect_st(const char *how, struct tl_bypass_use *u)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tests/reliability/relrt/libst_%s.so", how);
    struct dl_phdr_info info = open_object(rel, "st_entry");
    memset(u, 0, NUSE * sizeof *u);
    u[ENTRY].name = "st_entry";
    u[ALONE].name = "st_alone";
    u[MISSING].name = "st_not_there";
    bool symbolic = false;
    ck_assert_int_eq(tl_bypass_inspect(&info, u, NUSE, &symbolic), 0);
    ck_assert_msg(u[ENTRY].addr != 0 && u[ALONE].addr != 0, "%s: definitions not found", how);
    ck_assert_uint_eq(u[MISSING].addr, 0);
    ck_assert_msg(!tl_bypass_bypassed(&u[ALONE], symbolic), "%s: st_alone is never called", how);
    ck_assert(!tl_bypass_bypassed(&u[MISSING], symbolic));
    return symbolic;
}

START_TEST(a_plainly_linked_object_calls_itself_through_a_relocation_a_wrapper_sees)
{
    struct tl_bypass_use u[NUSE];
    bool symbolic = inspect_st("plain", u);
    ck_assert(!symbolic);
    ck_assert_uint_ge(u[ENTRY].relocs, 1);
    ck_assert_uint_eq(u[ENTRY].direct, 0);
    ck_assert(!tl_bypass_bypassed(&u[ENTRY], symbolic));
}
END_TEST

START_TEST(a_bsymbolic_object_is_flagged_symbolic_and_its_inside_call_bypasses)
{
    struct tl_bypass_use u[NUSE];
    bool symbolic = inspect_st("bsym", u);
    ck_assert(symbolic);
    ck_assert_uint_ge(u[ENTRY].direct, 1);
    ck_assert(tl_bypass_bypassed(&u[ENTRY], symbolic));
}
END_TEST

START_TEST(no_semantic_interposition_turns_the_inside_call_into_a_direct_call)
{
    struct tl_bypass_use u[NUSE];
    bool symbolic = inspect_st("nosi", u);
    ck_assert(!symbolic);
    ck_assert_uint_eq(u[ENTRY].relocs, 0);
    ck_assert_uint_ge(u[ENTRY].direct, 1);
    ck_assert(tl_bypass_bypassed(&u[ENTRY], symbolic));
}
END_TEST

START_TEST(a_call_to_a_hidden_alias_is_a_direct_call_to_the_entry_point)
{
    struct tl_bypass_use u[NUSE];
    bool symbolic = inspect_st("hidden", u);
    ck_assert(!symbolic);
    ck_assert_uint_ge(u[ENTRY].direct, 1);
    ck_assert(tl_bypass_bypassed(&u[ENTRY], symbolic));
}
END_TEST

START_TEST(a_symbolic_object_that_only_relocates_against_itself_still_bypasses)
{
    /* The dynamic linker binds a symbolic object's own references inside it. */
    struct tl_bypass_use u = {.name = "f", .addr = 0x1000, .relocs = 1};
    ck_assert(tl_bypass_bypassed(&u, true));
    ck_assert(!tl_bypass_bypassed(&u, false));
}
END_TEST

/* ---- libgor in each build mode ---- */

static struct tl_bypass_verdict judge_variant(const char *variant)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tests/reliability/relrt/%s/libgor.so", variant);
    struct dl_phdr_info info = open_object(rel, "gor_chan_recv");
    struct tl_bypass_verdict v;
    ck_assert_int_eq(tl_bypass_judge(&info, &v), 0);
    ck_assert_uint_eq(v.defined, (1u << tl_bypass_entry_count()) - 1);
    return v;
}

static unsigned entry_bit(const char *name)
{
    for (size_t i = 0; i < tl_bypass_entry_count(); i++)
        if (strcmp(tl_bypass_entry_name(i), name) == 0)
            return 1u << i;
    ck_abort_msg("%s is not a wrapped entry point", name);
    return 0;
}

START_TEST(gor_calls_none_of_its_wrapped_entry_points_inside_in_any_build_mode)
{
    static const char *const variants[] = {"ref", "bsym", "nosi", "clang"};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        if (strcmp(variants[i], "clang") == 0 &&
            access(th_path("tests/reliability/relrt/clang"), F_OK) != 0) {
            fprintf(stderr, "tl_bypass: clang is not installed: the clang build is not judged\n");
            continue;
        }
        struct tl_bypass_verdict v = judge_variant(variants[i]);
        ck_assert_msg(v.bypassed == 0, "%s: bypassed mask %#x", variants[i], v.bypassed);
        ck_assert_uint_eq(v.harmful, 0);
        ck_assert(v.symbolic == (strcmp(variants[i], "bsym") == 0));
    }
}
END_TEST

START_TEST(a_runtime_calling_its_entry_points_inside_is_judged_by_how_it_was_linked)
{
    struct tl_bypass_verdict plt = judge_variant("calls_plt");
    ck_assert_uint_eq(plt.bypassed, 0);
    struct tl_bypass_verdict bsym = judge_variant("calls_bsym");
    unsigned want = entry_bit("gor_go") | entry_bit("gor_chan_recv") | entry_bit("gor_select");
    ck_assert_uint_eq(bsym.bypassed, want);
    ck_assert_uint_eq(bsym.harmful, want & ~entry_bit("gor_go")); /* the spawn hook sees tasks */
    struct tl_bypass_verdict hidden = judge_variant("calls_hidden");
    ck_assert_uint_eq(hidden.bypassed, entry_bit("gor_go") | entry_bit("gor_chan_recv"));
    ck_assert_uint_eq(hidden.harmful, entry_bit("gor_chan_recv"));
}
END_TEST

/* ---- the message ---- */

START_TEST(a_harmful_bypass_is_one_warning_naming_the_file_the_cause_and_the_loss)
{
    struct tl_bypass_verdict v = {.symbolic = false,
                                    .defined = 0x1ff,
                                    .bypassed = entry_bit("gor_chan_recv"),
                                    .harmful = entry_bit("gor_chan_recv")};
    char buf[512];
    ck_assert(tl_bypass_format(&v, "/x/libgor.so", buf, sizeof buf));
    ck_assert_msg(strncmp(buf, "/x/libgor.so: internal calls not interposable (", 47) == 0, "%s",
                  buf);
    ck_assert_msg(strstr(buf, "direct calls to gor_chan_recv") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "): plain threads blocked in gor_chan_recv") != NULL, "%s", buf);
    ck_assert_msg(strchr(buf, '\n') == NULL, "one line: %s", buf);
    ck_assert_msg(strstr(buf, "select") == NULL, "no select loss without a select bypass: %s", buf);
}
END_TEST

START_TEST(a_bypassed_select_also_says_task_selects_are_reported_external)
{
    unsigned sel = entry_bit("gor_select");
    struct tl_bypass_verdict v = {
        .symbolic = true, .defined = 0x1ff, .bypassed = sel, .harmful = sel};
    char buf[512];
    ck_assert(tl_bypass_format(&v, "libgor.so", buf, sizeof buf));
    ck_assert_msg(strstr(buf, "DF_SYMBOLIC") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "task select waits are reported external") != NULL, "%s", buf);
}
END_TEST

START_TEST(a_harmless_or_absent_bypass_is_only_an_informative_line)
{
    char buf[512];
    struct tl_bypass_verdict go = {.defined = 0x1ff, .bypassed = entry_bit("gor_go")};
    ck_assert(!tl_bypass_format(&go, "libgor.so", buf, sizeof buf));
    ck_assert_msg(strstr(buf, "harmless") != NULL && strstr(buf, "gor_go") != NULL, "%s", buf);
    ck_assert_msg(strstr(buf, "not interposable") == NULL, "%s", buf);
    struct tl_bypass_verdict none = {.symbolic = true, .defined = 0x1ff};
    ck_assert(!tl_bypass_format(&none, "libgor.so", buf, sizeof buf));
    ck_assert_msg(strstr(buf, "calls none") != NULL, "%s", buf);
}
END_TEST

START_TEST(a_tiny_buffer_gets_a_truncated_terminated_line)
{
    struct tl_bypass_verdict v = {
        .defined = 0x1ff, .bypassed = entry_bit("gor_sleep"), .harmful = entry_bit("gor_sleep")};
    char buf[16];
    memset(buf, 'x', sizeof buf);
    ck_assert(tl_bypass_format(&v, "/a/long/path/libgor.so", buf, sizeof buf));
    ck_assert_uint_eq(strlen(buf), sizeof buf - 1);
}
END_TEST

START_TEST(select_waits_count_as_durable_until_a_runtime_hides_its_selects)
{
    /* Nothing in the test process ran the attach-time check. */
    ck_assert(tl_bypass_select_durable_known());
}
END_TEST

Suite *make_tl_bypass_suite(void)
{
    Suite *s = suite_create("tl_bypass");
    TCase *elf = tcase_create("elf");
    tcase_add_test(elf, a_plainly_linked_object_calls_itself_through_a_relocation_a_wrapper_sees);
    tcase_add_test(elf, a_bsymbolic_object_is_flagged_symbolic_and_its_inside_call_bypasses);
    tcase_add_test(elf, no_semantic_interposition_turns_the_inside_call_into_a_direct_call);
    tcase_add_test(elf, a_call_to_a_hidden_alias_is_a_direct_call_to_the_entry_point);
    tcase_add_test(elf, a_symbolic_object_that_only_relocates_against_itself_still_bypasses);
    suite_add_tcase(s, elf);
    TCase *gor = tcase_create("gor");
    tcase_add_test(gor, gor_calls_none_of_its_wrapped_entry_points_inside_in_any_build_mode);
    tcase_add_test(gor, a_runtime_calling_its_entry_points_inside_is_judged_by_how_it_was_linked);
    suite_add_tcase(s, gor);
    TCase *msg = tcase_create("message");
    tcase_add_test(msg, a_harmful_bypass_is_one_warning_naming_the_file_the_cause_and_the_loss);
    tcase_add_test(msg, a_bypassed_select_also_says_task_selects_are_reported_external);
    tcase_add_test(msg, a_harmless_or_absent_bypass_is_only_an_informative_line);
    tcase_add_test(msg, a_tiny_buffer_gets_a_truncated_terminated_line);
    tcase_add_test(msg, select_waits_count_as_durable_until_a_runtime_hides_its_selects);
    suite_add_tcase(s, msg);
    return s;
}
