/*
 * taskleak-report end to end, in-process through tlr_cli_main: exit statuses (0 nothing
 * failing, 1 failing, 2 bad usage or input), merging across processes, the text layout of
 * taskleak(7) (REPORT FORMAT), the JSON round trip as a baseline, -o replacing files whole, and the
 * html and folded formats.
 */
#include <check.h>
#include <pty.h>
#include <string.h>

#include "gate.h"
#include "tlr_test.h"

#define RUN(...)                                                                                   \
    ({                                                                                             \
        const char *a_[] = {__VA_ARGS__, NULL};                                                    \
        tlr_run(a_);                                                                               \
    })

START_TEST(a_report_without_findings_exits_zero)
{
    struct tlr_cli_run r = RUN("--no-symbolize", tlr_fixture("clean_exit.json"));
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(!strncmp(r.out, "taskleak: exit report: 0 leaked, 0 deadlocked, 0 blocked", 56),
                  "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "in pid 5000 (/opt/demo/bin/fixed)\n"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(text_has_headline_groups_created_by_units_and_summary)
{
    struct tlr_cli_run r = RUN("--no-symbolize", tlr_fixture("leak_threads.json"));
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(!strncmp(r.out,
                           "taskleak: exit report: 4 leaked, 0 deadlocked, 0 blocked, 0 "
                           "suppressed of 5 alive in pid 31337 (/opt/demo/bin/worker-pool)\n",
                           123),
                  "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "3 threads [cond wait, 13s]: leaked\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "    #1  queue_pop (worker-pool+0x1a17)\n"));
    ck_assert_ptr_nonnull(
        strstr(r.out, "  created by thread:1, start worker_main, label TestPool:\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "  units: thread:2 thread:3 thread:4\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "    #1  ?? (worker-pool+0x2010)\n"));
    const char *last = strstr(r.out, "\nSUMMARY: taskleak: 4 leaked, 0 deadlocked, 0 blocked");
    ck_assert_ptr_nonnull(last);
    ck_assert_int_eq(strchr(last + 1, '\n')[1], 0);
    ck_assert_ptr_null(strchr(r.out, '\033'));
    tlr_run_free(&r);
}
END_TEST

START_TEST(the_same_leak_in_two_processes_is_one_group_with_both)
{
    struct tlr_cli_run r = RUN("--no-symbolize", tlr_fixture("leak_threads.json"),
                               tlr_fixture("leak_threads_run2.json"));
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "6 threads [cond wait, 13s]: leaked\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "in 2 processes: pid 31337 /opt/demo/bin/worker-pool (3), "
                                        "pid 31401 /opt/demo/bin/worker-pool (3)"));
    ck_assert_ptr_nonnull(strstr(r.out, " of 10 alive in 2 processes\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "in 2 groups; 2 failing (2 processes)\n"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(two_reports_of_one_process_do_not_count_its_units_twice)
{
    struct tlr_cli_run r =
        RUN("--no-symbolize", tlr_fixture("leak_threads.json"), tlr_fixture("leak_threads.json"));
    ck_assert_ptr_nonnull(strstr(r.out, "\n3 threads [cond wait, 13s]: leaked\n"));
    ck_assert_ptr_null(strstr(r.out, "in 2 processes"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(groups_are_ordered_deadlocked_then_leaked_then_blocked)
{
    struct tlr_cli_run r = RUN("--no-symbolize", TLR_FIXTURES);
    const char *d = strstr(r.out, ": deadlocked\n"), *l = strstr(r.out, ": leaked\n"),
               *b = strstr(r.out, ": blocked\n");
    ck_assert(d && l && b && d < l && l < b);
    ck_assert_ptr_nonnull(strstr(r.out,
                                 "  thread:2 holds mutex account_b (bank+0x40c0) and waits for "
                                 "mutex account_a (bank+0x4080) held by thread:3,\n"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(verbose_lists_every_unit_with_its_wait)
{
    struct tlr_cli_run r = RUN("--no-symbolize", "--verbose", tlr_fixture("leak_threads.json"));
    ck_assert_ptr_nonnull(strstr(r.out,
                                 "thread:4 (pid 31337) \"worker-2\" state blocked, cond wait "
                                 "in pthread_cond_wait on 0x55d4c8c04060 for 13s, label "
                                 "TestPool"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(usage_errors_exit_two_with_one_line)
{
    const char *bad[][3] = {{"--format", "xml", NULL},
                            {"--fail-on", "some", NULL},
                            {"--bogus", NULL, NULL},
                            {"--format", NULL, NULL}};
    for (size_t i = 0; i < 4; i++) {
        const char *args[] = {bad[i][0], bad[i][1], bad[i][1] ? TLR_FIXTURES : NULL, NULL};
        struct tlr_cli_run r = tlr_run(args);
        ck_assert_int_eq(r.status, 2);
        ck_assert_int_eq(tlr_lines(r.err), 1);
        ck_assert_str_eq(r.out, "");
        tlr_run_free(&r);
    }
    struct tlr_cli_run r = RUN("--verbose");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "no report files"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(an_unreadable_input_exits_two_naming_the_file_and_the_others_are_still_rendered)
{
    struct tlr_cli_run r = RUN(tlr_fixture("leak_threads.json"), tlr_fixture("bad/truncated.json"));
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(!strncmp(r.out, "taskleak: exit report: 4 leaked", 31), "out:\n%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "\nSUMMARY: taskleak: 4 leaked"));
    ck_assert_int_eq(tlr_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "bad/truncated.json: invalid JSON"));
    tlr_run_free(&r);
    r = RUN(TLR_FIXTURES "/bad"); /* nothing readable: nothing rendered */
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "");
    tlr_run_free(&r);
    r = RUN("/nonexistent-dir");
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent-dir: cannot open"));
    tlr_run_free(&r);
}
END_TEST

/* Runs the tool with stdout on a pseudo-terminal; returns what it wrote there. */
static char *on_terminal(const char *no_color)
{
    int master, slave;
    static char buf[16384];
    ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
    setenv("TERM", "xterm", 1);
    if (no_color)
        setenv("NO_COLOR", no_color, 1);
    else
        unsetenv("NO_COLOR");
    char *argv[] = {(char *)"taskleak-report", (char *)"--no-symbolize",
                    (char *)tlr_fixture("gor_tasks.json"), NULL};
    fflush(stdout);
    int so = dup(1);
    dup2(slave, 1);
    ck_assert_int_eq(tlr_cli_main(3, argv), 1);
    fflush(stdout);
    dup2(so, 1);
    close(so);
    close(slave);
    ssize_t n = read(master, buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = 0;
    close(master);
    return buf;
}

START_TEST(text_on_a_terminal_is_coloured_unless_no_color_is_set)
{
    ck_assert_ptr_nonnull(strchr(on_terminal(NULL), '\033'));
    ck_assert_ptr_null(strchr(on_terminal("1"), '\033'));
}
END_TEST

START_TEST(help_prints_usage_and_exits_zero)
{
    struct tlr_cli_run r = RUN("--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "usage: taskleak-report"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(fail_on_none_reports_but_exits_zero)
{
    struct tlr_cli_run r = RUN("--no-symbolize", "--fail-on=none", tlr_fixture("gor_tasks.json"));
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "3 tasks [chan receive, 1s]: leaked"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(json_output_is_a_baseline_under_which_nothing_is_new)
{
    const char *dir = tlr_tmpdir();
    char base[256];
    snprintf(base, sizeof base, "%s/base.json", dir);
    struct tlr_cli_run r = RUN("--no-symbolize", "--format", "json", "-o", base, TLR_FIXTURES);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    tlr_run_free(&r);
    r = RUN("--no-symbolize", "--baseline", base, "--fail-on", "new", TLR_FIXTURES);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "(known)"));
    ck_assert_ptr_null(strstr(r.out, "(new)"));
    ck_assert_ptr_nonnull(strstr(r.out, "(0 new); 0 failing"));
    tlr_run_free(&r);
    /* --fail-on any still fails on known findings */
    r = RUN("--no-symbolize", "--baseline", base, TLR_FIXTURES);
    ck_assert_int_eq(r.status, 1);
    tlr_run_free(&r);
}
END_TEST

START_TEST(a_leak_missing_from_the_baseline_is_new_and_fails)
{
    const char *dir = tlr_tmpdir();
    char base[256];
    snprintf(base, sizeof base, "%s/base.json", dir);
    struct tlr_cli_run r =
        RUN("--no-symbolize", "--format=json", "-o", base, tlr_fixture("leak_threads.json"));
    tlr_run_free(&r);
    r = RUN("--no-symbolize", "--baseline", base, "--fail-on", "new",
            tlr_fixture("leak_threads_run2.json"), tlr_fixture("gor_tasks.json"));
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.out, "[cond wait, 13s]: leaked (known)"));
    ck_assert_ptr_nonnull(strstr(r.out, "[chan receive, 1s]: leaked (new)"));
    ck_assert_ptr_nonnull(strstr(r.out, "(2 new); 2 failing"));
    tlr_run_free(&r);
    /* a raw taskleak/1 report works as a baseline too */
    r = RUN("--no-symbolize", "--baseline", tlr_fixture("gor_tasks.json"), "--fail-on", "new",
            tlr_fixture("gor_tasks.json"));
    ck_assert_int_eq(r.status, 0);
    tlr_run_free(&r);
}
END_TEST

static void *no_memory(size_t size)
{
    (void)size;
    return NULL;
}

START_TEST(a_baseline_that_cannot_be_indexed_is_refused_as_out_of_memory)
{
    const char *dir = tlr_tmpdir();
    char base[256], err[256] = "";
    snprintf(base, sizeof base, "%s/base.json", dir);
    struct tlr_cli_run r =
        RUN("--no-symbolize", "--format=json", "-o", base, tlr_fixture("leak_threads.json"));
    tlr_run_free(&r);
    struct tlr_baseline b = {0};
    tlr_hash_malloc = no_memory; /* uthash cannot build its table: every insertion fails */
    int loaded = tlr_baseline_load(base, &b, err, sizeof err);
    tlr_hash_malloc = malloc;
    ck_assert_int_eq(loaded, -1);
    ck_assert_msg(strstr(err, "out of memory") != NULL, "%s", err);
    ck_assert_ptr_null(b.keys);
    /* with memory, the same file is a baseline */
    ck_assert_int_eq(tlr_baseline_load(base, &b, err, sizeof err), 0);
    ck_assert_ptr_nonnull(b.keys);
    tlr_baseline_free(&b);
    ck_assert_ptr_null(b.keys);
}
END_TEST

START_TEST(a_bad_baseline_exits_two)
{
    struct tlr_cli_run r = RUN("--baseline", tlr_fixture("bad/invalid.json"), TLR_FIXTURES);
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "bad/invalid.json"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(output_file_is_replaced_whole_and_kept_on_failure)
{
    const char *dir = tlr_tmpdir();
    char out[256];
    snprintf(out, sizeof out, "%s/report.txt", dir);
    struct tlr_cli_run r = RUN("--no-symbolize", "-o", out, tlr_fixture("gor_tasks.json"));
    ck_assert_int_eq(r.status, 1);
    tlr_run_free(&r);
    char *first = tlr_slurp(out);
    ck_assert_ptr_nonnull(strstr(first, "SUMMARY: taskleak:"));
    r = RUN("-o", out, tlr_fixture("bad/truncated.json"));
    ck_assert_int_eq(r.status, 2);
    tlr_run_free(&r);
    char *second = tlr_slurp(out);
    ck_assert_str_eq(first, second);
    struct stat st;
    ck_assert_int_eq(stat(out, &st), 0);
    ck_assert_int_ne(st.st_mode & 0444, 0);
    free(first);
    free(second);
    r = RUN("-o", "/nonexistent-dir/x.txt", tlr_fixture("gor_tasks.json"));
    ck_assert_int_eq(r.status, 2);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent-dir/x.txt: cannot write"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(folded_output_has_one_line_per_group_root_first)
{
    struct tlr_cli_run r =
        RUN("--no-symbolize", "--format", "folded", tlr_fixture("deadlock.json"));
    /* program frames only: libc's start_thread, pthread_mutex_lock internals and join are cut */
    ck_assert_str_eq(r.out, "deadlocked;teller;transfer;[mutex lock] 2\nblocked;main;[join] 1\n");
    tlr_run_free(&r);
}
END_TEST

/* Leaks are drawn where they were created: the creation stack, then the start function. */
START_TEST(folded_leaks_show_where_they_were_created)
{
    struct tlr_cli_run r =
        RUN("--no-symbolize", "--format", "folded", tlr_fixture("leak_threads.json"));
    ck_assert_msg(
        strstr(r.out, "leaked;main;pool_start;pthread_create;worker_main;[cond wait] 3\n"), "%s",
        r.out);
    ck_assert_msg(!strstr(r.out, "libc_start") && !strstr(r.out, "start_thread") &&
                      !strstr(r.out, "clone"),
                  "%s", r.out);
    tlr_run_free(&r);
}
END_TEST

START_TEST(folded_verdict_keeps_one_verdict_without_the_root)
{
    struct tlr_cli_run r = RUN("--no-symbolize", "--format", "folded", "--verdict", "blocked",
                               tlr_fixture("deadlock.json"));
    ck_assert_str_eq(r.out, "main;[join] 1\n");
    tlr_run_free(&r);
    r = RUN("--format", "folded", "--verdict", "stuck", tlr_fixture("deadlock.json"));
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "unknown --verdict \"stuck\""), "%s", r.err);
    tlr_run_free(&r);
    r = RUN("--verdict", "leaked", tlr_fixture("deadlock.json"));
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "--verdict applies to --format folded only"), "%s", r.err);
    tlr_run_free(&r);
}
END_TEST

START_TEST(html_is_self_contained_with_filters_groups_and_a_deadlock_graph)
{
    struct tlr_cli_run r = RUN("--no-symbolize", "--format", "html", TLR_FIXTURES);
    ck_assert_ptr_nonnull(strstr(r.out, "<!DOCTYPE html>"));
    ck_assert_ptr_nonnull(strstr(r.out, "id=\"f-verdict\""));
    ck_assert_ptr_nonnull(strstr(r.out, "<option value=\"chan receive\">"));
    ck_assert_ptr_nonnull(strstr(r.out, "data-verdict=\"deadlocked\""));
    ck_assert_ptr_nonnull(strstr(r.out, "<svg"));
    ck_assert_ptr_null(strstr(r.out, "src=\"http"));
    ck_assert_ptr_null(strstr(r.out, "href=\"http"));
    ck_assert_ptr_null(strstr(r.out, "<link"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(html_escapes_names_from_the_report)
{
    const char *dir = tlr_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/evil.json", dir);
    char *text = tlr_slurp(tlr_fixture("gor_tasks.json"));
    char *at = strstr(text, "\"fetch_one\"");
    FILE *f = fopen(path, "w");
    fprintf(f, "%.*s\"<script>alert(1)</script>\"%s", (int)(at - text), text, at + 11);
    fclose(f);
    free(text);
    struct tlr_cli_run r = RUN("--no-symbolize", "--format", "html", path);
    ck_assert_ptr_null(strstr(r.out, "<script>alert"));
    ck_assert_ptr_nonnull(strstr(r.out, "&lt;script&gt;alert(1)"));
    tlr_run_free(&r);
}
END_TEST

Suite *make_tlr_cli_suite(void)
{
    Suite *s = suite_create("tlr_cli");
    TCase *t = tcase_create("cli");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, a_report_without_findings_exits_zero);
    tcase_add_test(t, text_has_headline_groups_created_by_units_and_summary);
    tcase_add_test(t, the_same_leak_in_two_processes_is_one_group_with_both);
    tcase_add_test(t, two_reports_of_one_process_do_not_count_its_units_twice);
    tcase_add_test(t, groups_are_ordered_deadlocked_then_leaked_then_blocked);
    tcase_add_test(t, verbose_lists_every_unit_with_its_wait);
    tcase_add_test(t, usage_errors_exit_two_with_one_line);
    tcase_add_test(t,
                   an_unreadable_input_exits_two_naming_the_file_and_the_others_are_still_rendered);
    tcase_add_test(t, text_on_a_terminal_is_coloured_unless_no_color_is_set);
    tcase_add_test(t, help_prints_usage_and_exits_zero);
    tcase_add_test(t, fail_on_none_reports_but_exits_zero);
    tcase_add_test(t, json_output_is_a_baseline_under_which_nothing_is_new);
    tcase_add_test(t, a_leak_missing_from_the_baseline_is_new_and_fails);
    tcase_add_test(t, a_baseline_that_cannot_be_indexed_is_refused_as_out_of_memory);
    tcase_add_test(t, a_bad_baseline_exits_two);
    tcase_add_test(t, output_file_is_replaced_whole_and_kept_on_failure);
    tcase_add_test(t, folded_output_has_one_line_per_group_root_first);
    tcase_add_test(t, folded_leaks_show_where_they_were_created);
    tcase_add_test(t, folded_verdict_keeps_one_verdict_without_the_root);
    tcase_add_test(t, html_is_self_contained_with_filters_groups_and_a_deadlock_graph);
    tcase_add_test(t, html_escapes_names_from_the_report);
    suite_add_tcase(s, t);
    return s;
}
