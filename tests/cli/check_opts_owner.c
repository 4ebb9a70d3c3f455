/*
 * The options check of scripts/check-static.sh (make check runs it): the detector's options have
 * one writer, the start-up path, and so do the suppressions loaded under them. This tree passes;
 * small trees built here with one fault each (a module reading options through the context, one
 * parsing them itself, one keeping a writable copy, one reading the suppressions through the
 * context, one loading them itself) fail it naming the line, and a module holding a const pointer
 * or taking the suppressions as a parameter passes, so the check cannot pass by accident.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_tree.h"
#include "harness.h"

/* Runs the options check on root (NULL: this checkout). */
static void run_check(struct th_run *r, const char *root)
{
    static char script[1024];
    snprintf(script, sizeof script, "%s/scripts/check-static.sh", TH_SRC_DIR);
    const char *argv[] = {script, "--options-owner", root != NULL ? root : TH_SRC_DIR, NULL};
    struct th_opts o = {.prog = "/bin/sh", .argv = argv, .no_preload = true, .timeout_s = 60};
    ck_assert_int_eq(th_run(&o, r), 0);
}

/* A small tree that passes: the owner parses, a module receives a const pointer. */
static void clean_tree(char *root, size_t n)
{
    snprintf(root, n, "/tmp/tl_opts_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    ft_put(root, "preload/base/tl_options.c",
        "void tl_options_defaults(struct tl_options *o) { (void)o; }\n");
    ft_put(root, "preload/interpose/tl_ctx.c",
        "static struct tl_options options;\n"
        "void load(void) { tl_options_parse(&options, getenv(\"TASKLEAK_OPTIONS\")); }\n");
    ft_put(root, "preload/output/tl_gate.c",
        "static const struct tl_options *opt;\n"
        "void tl_gate_init(const struct tl_options *o) { opt = o; }\n");
    ft_put(root, "common/tl_fmt.c", "int tl_fmt(void);\n");
    ft_put(root, "common/tl_supp.c",
        "struct tl_supp *tl_supp_load(const char *p, const char *i, char *e, size_t n);\n");
    ft_put(root, "preload/analysis/tl_inversion.c",
        "void tl_inversion_collect(struct tl_report *r, struct tl_supp *s) { use(r, s); }\n");
}

/* Builds the clean tree plus one fault, runs the check and expects it to fail naming `want`. */
static void expect_fault(const char *rel, const char *text, const char *want)
{
    ft_expect_fault(clean_tree, run_check, rel, text, want);
}

START_TEST(this_tree_has_one_writer_of_the_options)
{
    struct th_run r;
    run_check(&r, NULL);
    ck_assert_msg(r.status == 0, "status %d:\n%s", r.status, r.err);
    th_run_free(&r);
}
END_TEST

START_TEST(a_module_reading_options_through_the_context_fails)
{
    expect_fault("preload/record/tl_thread.c", "int d(void) { return tl_ctx.opts.stack_depth; }\n",
                 "preload/record/tl_thread.c:1:");
}
END_TEST

START_TEST(a_module_parsing_options_itself_fails)
{
    expect_fault("preload/output/tl_watchdog.c",
                 "void f(struct x *o) { tl_options_parse(o, getenv(\"TASKLEAK_OPTIONS\")); }\n",
                 "preload/output/tl_watchdog.c:1:");
}
END_TEST

START_TEST(a_module_keeping_a_writable_copy_fails)
{
    expect_fault("common/tl_supp.c", "static struct tl_options mine;\n", "common/tl_supp.c:1:");
}
END_TEST

START_TEST(a_module_reading_suppressions_through_the_context_fails)
{
    expect_fault("preload/analysis/tl_group.c",
                 "const char *m(void) { return tl_supp_match(tl_ctx.supp, 0, 0, 0, 0); }\n",
                 "preload/analysis/tl_group.c:1:");
}
END_TEST

START_TEST(a_module_loading_suppressions_itself_fails)
{
    expect_fault("preload/output/tl_report.c",
                 "void f(void) { s = tl_supp_load(\"x\", NULL, NULL, 0); }\n",
                 "preload/output/tl_report.c:1:");
}
END_TEST

Suite *make_opts_owner_suite(void)
{
    Suite *s = suite_create("opts_owner");
    TCase *tc = tcase_create("options check");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, this_tree_has_one_writer_of_the_options);
    tcase_add_test(tc, a_module_reading_options_through_the_context_fails);
    tcase_add_test(tc, a_module_parsing_options_itself_fails);
    tcase_add_test(tc, a_module_keeping_a_writable_copy_fails);
    tcase_add_test(tc, a_module_reading_suppressions_through_the_context_fails);
    tcase_add_test(tc, a_module_loading_suppressions_itself_fails);
    suite_add_tcase(s, tc);
    return s;
}
