/*
 * Suppressions in the report tool: the detector's syntax, strict parsing with the line named,
 * and matching: leak: on leaked groups by any function of either stack or the start function,
 * block: on blocked and deadlocked groups, thread: on unit names; matched counts are kept.
 */
#include <check.h>
#include <string.h>

#include "gate.h"
#include "load.h"
#include "supp.h"
#include "tlr_test.h"

static struct tlr_supp parse_ok(const char *text)
{
    struct tlr_supp s = {0};
    char err[512] = "";
    ck_assert_msg(tlr_supp_parse(text, strlen(text), "s.supp", &s, err, sizeof err) == 0, "%s",
                  err);
    return s;
}

static void parse_bad(const char *text, const char *why)
{
    struct tlr_supp s = {0};
    char err[512] = "";
    ck_assert_int_eq(tlr_supp_parse(text, strlen(text), "s.supp", &s, err, sizeof err), -1);
    ck_assert_msg(strstr(err, why) != NULL, "\"%s\" lacks \"%s\"", err, why);
    ck_assert_uint_eq(s.n, 0);
}

START_TEST(comments_blank_lines_and_the_three_types_parse)
{
    struct tlr_supp s = parse_ok("# known leaks\n\nleak:queue_*\n  block:transfer  \r\n"
                                 "thread:worker-?\n");
    ck_assert_uint_eq(s.n, 3);
    ck_assert_int_eq(tl_supp_type(s.set, 0), TL_SUPP_LEAK);
    ck_assert_str_eq(tl_supp_glob(s.set, 0), "queue_*");
    ck_assert_str_eq(tl_supp_glob(s.set, 1), "transfer");
    ck_assert_int_eq(tl_supp_type(s.set, 2), TL_SUPP_THREAD);
    ck_assert(tlr_supp_needs_units(&s));
    tlr_supp_free(&s);
}
END_TEST

START_TEST(unknown_types_and_empty_patterns_name_the_line)
{
    parse_bad("leak:ok\nrace:foo\n", "s.supp:2: unknown suppression \"race:foo\"");
    parse_bad("# x\nblock:\n", "s.supp:2: empty pattern");
}
END_TEST

START_TEST(a_missing_suppressions_file_is_an_error)
{
    struct tlr_supp s = {0};
    char err[512];
    ck_assert_int_eq(tlr_supp_load("/nonexistent.supp", &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent.supp: cannot open"));
}
END_TEST

START_TEST(bad_bytes_and_overlong_lines_are_refused_with_the_line)
{
    static const char nul[] = "leak:a\nleak:b\0c\n";
    struct tlr_supp s = {0};
    char err[512] = "";
    ck_assert_int_eq(tlr_supp_parse(nul, sizeof nul - 1, "s.supp", &s, err, sizeof err), -1);
    ck_assert_str_eq(err, "s.supp:2: NUL byte in a suppression");
    static char big[5000];
    memcpy(big, "leak:", 5);
    memset(big + 5, 'x', sizeof big - 6);
    parse_bad(big, "s.supp:1: line longer than 4095 bytes");
}
END_TEST

/* Loads fixtures (all units), merges and marks with the rules in text. */
static struct tlr_merged marked(const char *text, struct tlr_supp *s, const char *f1,
                                const char *f2)
{
    struct tlr_merged m = {0};
    char err[512];
    *s = parse_ok(text);
    m.procs = calloc(2, sizeof *m.procs);
    const char *files[] = {f1, f2};
    for (int i = 0; i < 2 && files[i]; i++, m.nprocs++)
        ck_assert_int_eq(
            tlr_load_file(tlr_fixture(files[i]), TLR_LOAD_ALL_UNITS, &m.procs[i], err, sizeof err),
            0);
    ck_assert_int_eq(tlr_merge(&m), 0);
    tlr_gate_mark(&m, NULL, s);
    return m;
}

static const struct tlr_mgroup *group_with(const struct tlr_merged *m, const char *reason)
{
    for (size_t i = 0; i < m->ngroups; i++)
        if (m->groups[i]->first->reason && !strcmp(m->groups[i]->first->reason, reason))
            return m->groups[i];
    ck_abort_msg("no group waits in %s", reason);
    return NULL;
}

START_TEST(leak_rules_match_functions_of_either_stack_and_count_matches)
{
    struct tlr_supp s;
    struct tlr_merged m = marked("leak:queue_p?p\nleak:pool_start\nleak:never_*\n", &s,
                                 "leak_threads.json", "leak_threads_run2.json");
    ck_assert_str_eq(group_with(&m, "cond wait")->suppressed_by, "leak:queue_p?p");
    ck_assert_ptr_null(group_with(&m, "IO wait")->suppressed_by);
    ck_assert_int_eq(tl_supp_matched(s.set, 0), 1);
    ck_assert_int_eq(tl_supp_matched(s.set, 2), 0);
    ck_assert_uint_eq(tlr_gate_failing(&m, TLR_FAIL_ANY), 1);
    tlr_merged_free(&m);
    tlr_supp_free(&s);
}
END_TEST

START_TEST(leak_rules_do_not_touch_deadlocks_but_block_rules_do)
{
    struct tlr_supp s;
    struct tlr_merged m = marked("leak:transfer\n", &s, "deadlock.json", NULL);
    ck_assert_ptr_null(group_with(&m, "mutex lock")->suppressed_by);
    tlr_merged_free(&m);
    tlr_supp_free(&s);
    m = marked("block:transfer\nblock:main\n", &s, "deadlock.json", NULL);
    ck_assert_str_eq(group_with(&m, "mutex lock")->suppressed_by, "block:transfer");
    ck_assert_str_eq(group_with(&m, "join")->suppressed_by, "block:main");
    ck_assert_uint_eq(tlr_gate_failing(&m, TLR_FAIL_ANY), 0);
    tlr_merged_free(&m);
    tlr_supp_free(&s);
}
END_TEST

START_TEST(thread_rules_need_every_unit_name_to_match)
{
    struct tlr_supp s;
    struct tlr_merged m = marked("thread:worker-*\nthread:log-*\n", &s, "leak_threads.json", NULL);
    ck_assert_str_eq(group_with(&m, "cond wait")->suppressed_by, "thread:worker-*");
    ck_assert_str_eq(group_with(&m, "IO wait")->suppressed_by, "thread:log-*");
    tlr_merged_free(&m);
    tlr_supp_free(&s);
    m = marked("thread:worker-[01]\n", &s, "leak_threads.json", NULL);
    ck_assert_ptr_null(group_with(&m, "cond wait")->suppressed_by); /* worker-2 does not match */
    tlr_merged_free(&m);
    tlr_supp_free(&s);
}
END_TEST

START_TEST(a_function_of_one_blocked_stack_suppresses_only_its_group)
{
    struct tlr_supp s;
    struct tlr_merged m = marked("leak:heartbeat\n", &s, "gor_tasks.json", NULL);
    ck_assert_str_eq(group_with(&m, "select")->suppressed_by, "leak:heartbeat");
    ck_assert_ptr_null(group_with(&m, "chan receive")->suppressed_by);
    tlr_merged_free(&m);
    tlr_supp_free(&s);
}
END_TEST

Suite *make_tlr_supp_suite(void)
{
    Suite *s = suite_create("tlr_supp");
    TCase *t = tcase_create("supp");
    tcase_add_test(t, comments_blank_lines_and_the_three_types_parse);
    tcase_add_test(t, unknown_types_and_empty_patterns_name_the_line);
    tcase_add_test(t, a_missing_suppressions_file_is_an_error);
    tcase_add_test(t, bad_bytes_and_overlong_lines_are_refused_with_the_line);
    tcase_add_test(t, leak_rules_match_functions_of_either_stack_and_count_matches);
    tcase_add_test(t, leak_rules_do_not_touch_deadlocks_but_block_rules_do);
    tcase_add_test(t, thread_rules_need_every_unit_name_to_match);
    tcase_add_test(t, a_function_of_one_blocked_stack_suppresses_only_its_group);
    suite_add_tcase(s, t);
    return s;
}
