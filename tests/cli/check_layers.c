/*
 * The layer check (scripts/include-graph.py), which make check and make lint run: this tree
 * passes it, and small trees built here with one fault each fail it with a message naming the
 * fault (an upward include, a cycle among modules of one layer, a source at preload/'s top level,
 * the report tool including a detector header), so the check cannot pass by accident.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_tree.h"
#include "harness.h"

/* Runs the check on root (NULL: this checkout). */
static void run_graph(struct th_run *r, const char *root)
{
    static char script[1024];
    snprintf(script, sizeof script, "%s/scripts/include-graph.py", TH_SRC_DIR);
    const char *argv[] = {script, root, NULL};
    struct th_opts o = {
        .prog = "/usr/bin/python3", .argv = argv, .no_preload = true, .timeout_s = 60};
    if (root == NULL)
        argv[1] = NULL;
    ck_assert_int_eq(th_run(&o, r), 0);
}

/* A small layered tree that passes: every layer folder, includes pointing down only. */
static void clean_tree(char *root, size_t n)
{
    snprintf(root, n, "/tmp/tl_layers_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    ft_put(root, "common/tl_in.h", "int tl_in(void);\n");
    ft_put(root, "preload/base/tl_lg.h", "#include \"tl_in.h\"\n");
    ft_put(root, "preload/record/tl_reg.h", "#include \"tl_lg.h\"\n");
    /* tl_ord.h is not there yet: an include of a header the tree does not have is not an edge */
    ft_put(root, "preload/record/tl_reg.c",
        "#include \"tl_reg.h\"\n#include \"tl_ord.h\"\n#include <stdio.h>\n");
    ft_put(root, "preload/analysis/tl_grp.c", "#include \"tl_reg.h\"\n");
    ft_put(root, "preload/output/tl_txt.c", "#include \"tl_grp.h\"\n");
    ft_put(root, "preload/analysis/tl_grp.h", "#include \"tl_reg.h\"\n");
    ft_put(root, "preload/interpose/ipose_x.c", "#include \"tl_reg.h\"\n#include \"tl_grp.h\"\n");
    ft_put(root, "preload/taskleak.h", "/* the public header */\n");
    ft_put(root, "report/load.c", "#include \"tl_in.h\"\n");
}

/* Builds the clean tree plus one fault, runs the check and expects it to fail naming `want`. */
static void expect_fault(const char *rel, const char *text, const char *want)
{
    ft_expect_fault(clean_tree, run_graph, rel, text, want);
}

START_TEST(this_tree_has_no_upward_include_and_no_include_cycle)
{
    struct th_run r;
    run_graph(&r, NULL);
    ck_assert_msg(r.status == 0, "status %d:\n%s", r.status, r.err);
    th_run_free(&r);
}
END_TEST

START_TEST(an_include_from_a_lower_layer_into_a_higher_one_fails)
{
    expect_fault("preload/record/tl_up.c", "#include \"tl_grp.h\"\n",
                 "preload/record/tl_up.c includes tl_grp.h: upward");
}
END_TEST

START_TEST(two_modules_that_include_each_other_fail_as_a_cycle)
{
    expect_fault("preload/record/tl_ord.h", "#include \"tl_reg.h\"\n",
                 "include cycle among 2 modules: preload/record/tl_ord preload/record/tl_reg");
}
END_TEST

START_TEST(a_source_left_at_the_top_of_preload_fails_as_not_in_a_layer)
{
    expect_fault("preload/tl_new.c", "int x;\n", "preload/tl_new.c: not in a layer");
}
END_TEST

START_TEST(the_report_tool_including_a_detector_header_fails)
{
    expect_fault("report/render.c", "#include \"tl_reg.h\"\n", "builds from common/ only");
}
END_TEST

Suite *make_layers_suite(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("include graph");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, this_tree_has_no_upward_include_and_no_include_cycle);
    tcase_add_test(tc, an_include_from_a_lower_layer_into_a_higher_one_fails);
    tcase_add_test(tc, two_modules_that_include_each_other_fail_as_a_cycle);
    tcase_add_test(tc, a_source_left_at_the_top_of_preload_fails_as_not_in_a_layer);
    tcase_add_test(tc, the_report_tool_including_a_detector_header_fails);
    suite_add_tcase(s, tc);
    return s;
}
