/*
 * taskleak-report counting one process right: the reports one process leaves (exit, check,
 * watchdog, dump, and kinds a newer detector writes) are one view, the one with the latest
 * complete word on it standing; and the gate fails only on the verdicts the detector itself was
 * told to fail on (the report's options.fail_on, else the detector's default). Reports are written
 * here, small and exact, so each test says what it feeds the tool.
 */
#include <check.h>
#include <stdbool.h>
#include <string.h>

#include "tlr_test.h"

#define RUN(...)                                                                                   \
    ({                                                                                             \
        const char *a_[] = {__VA_ARGS__, NULL};                                                    \
        tlr_run(a_);                                                                               \
    })

#define STARTED "2026-01-02T03:04:05.000Z"

/* One group of `count` units thread:2.. waiting in cond wait, or none when verdict is NULL; the
 * verdict "-" writes a group the detector did not judge (verdict null, as in dumps). */
struct rep {
    const char *kind, *file_kind, *written, *fail_on; /* fail_on: JSON value text, or NULL */
    int pid;
    const char *verdict;
    int count;
};

static const char *verdict_json(const struct rep *r, char *buf, size_t n)
{
    if (!strcmp(r->verdict, "-"))
        return "null";
    snprintf(buf, n, "\"%s\"", r->verdict);
    return buf;
}

static void put_units(FILE *f, const struct rep *r)
{
    char v[64];
    fprintf(f, "\"units\":[{\"id\":\"thread:1\",\"kind\":\"thread\",\"state\":\"running\","
               "\"verdict\":null,\"wait\":null,\"created_by\":null,\"created_stack\":null,"
               "\"blocked_stack\":null}");
    for (int i = 0; r->verdict && i < r->count; i++)
        fprintf(f,
                ",{\"id\":\"thread:%d\",\"kind\":\"thread\",\"state\":\"blocked\","
                "\"verdict\":%s,\"wait\":{\"reason\":\"cond wait\",\"call\":"
                "\"pthread_cond_wait\",\"object\":\"0x5000\",\"object_name\":\"work_ready\","
                "\"since_ms\":20000,\"durable\":true,\"owner\":null},\"created_by\":\"thread:1\","
                "\"created_stack\":2,\"blocked_stack\":1}",
                i + 2, verdict_json(r, v, sizeof v));
    fprintf(f, "],");
}

static void put_groups(FILE *f, const struct rep *r)
{
    char v[64];
    fprintf(f, "\"groups\":[");
    if (r->verdict) {
        fprintf(f,
                "{\"verdict\":%s,\"kind\":\"thread\",\"reason\":\"cond wait\","
                "\"created_stack\":2,\"blocked_stack\":1,\"count\":%d,\"units\":[",
                verdict_json(r, v, sizeof v), r->count);
        for (int i = 0; i < r->count; i++)
            fprintf(f, "%s\"thread:%d\"", i ? "," : "", i + 2);
        fprintf(f, "],\"wait_ms\":{\"min\":20000,\"max\":20000}}");
    }
    fprintf(f, "]");
}

/* Writes r as dir/taskleak.<pid>.<file_kind>.json. */
static void write_rep(const char *dir, const struct rep *r)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/taskleak.%d.%s.json", dir, r->pid, r->file_kind);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    bool counted = r->verdict != NULL;
    fprintf(f,
            "{\"schema\":\"taskleak/1\",\"kind\":\"%s\",\"process\":{\"pid\":%d,\"ppid\":1,"
            "\"exe\":\"/opt/demo/bin/server\",\"argv\":[\"server\"],\"started\":\"" STARTED
            "\",\"written\":\"%s\"},",
            r->kind, r->pid, r->written);
    if (r->fail_on)
        fprintf(f, "\"options\":{\"fail_on\":%s},", r->fail_on);
    fprintf(f,
            "\"summary\":{\"threads_created\":%d,\"tasks_created\":0,\"alive\":%d,"
            "\"leaked\":%d,\"deadlocked\":0,\"blocked\":%d},",
            r->count + 1, r->count + 1, counted && !strcmp(r->verdict, "leaked") ? r->count : 0,
            counted && !strcmp(r->verdict, "blocked") ? r->count : 0);
    fprintf(f, "\"modules\":[],\"stacks\":[{\"id\":1,\"frames\":[{\"ip\":null,\"module\":null,"
               "\"offset\":null,\"function\":\"pthread_cond_wait\"},{\"ip\":\"0x1100\","
               "\"module\":null,\"offset\":null,\"function\":\"flush_loop\"}]},{\"id\":2,"
               "\"frames\":[{\"ip\":\"0x1200\",\"module\":null,\"offset\":null,"
               "\"function\":\"main\"}]}],");
    put_units(f, r);
    put_groups(f, r);
    fprintf(f, "}\n");
    ck_assert_int_eq(fclose(f), 0);
}

/* Writes the reports of the NULL-terminated list into a fresh directory and runs the tool on it
 * with --fail-on fail_on_arg; the status must be want. */
static struct tlr_cli_run run_reps(const char *fail_on_arg, int want, const struct rep *const *reps)
{
    const char *dir = tlr_tmpdir();
    for (size_t i = 0; reps[i]; i++)
        write_rep(dir, reps[i]);
    struct tlr_cli_run run = RUN("--no-symbolize", "--fail-on", fail_on_arg, dir);
    ck_assert_msg(run.status == want, "status %d, not %d: %s%s", run.status, want, run.out,
                  run.err);
    return run;
}

#define run_alone(r, fail_on_arg, want) run_reps(fail_on_arg, want, (const struct rep *[]){r, NULL})

static const struct rep WATCHDOG = {"watchdog", "watchdog", "2026-01-02T03:04:30.000Z", NULL, 4242,
                                    "blocked",  2};
static const struct rep DUMP = {"dump",    "dump-1", "2026-01-02T03:04:40.000Z", NULL, 4242,
                                "blocked", 2};

START_TEST(exit_watchdog_and_dump_of_one_passed_run_count_once_and_pass)
{
    struct rep exit_ok = {"exit", "exit", "2026-01-02T03:05:00.000Z", NULL, 4242, NULL, 0};
    struct tlr_cli_run r =
        run_reps("any", 0, (const struct rep *[]){&WATCHDOG, &DUMP, &exit_ok, NULL});
    ck_assert_msg(!strncmp(r.out,
                           "taskleak: exit report: 0 leaked, 0 deadlocked, 0 blocked, 0 "
                           "suppressed of 1 alive in pid 4242 ",
                           94),
                  "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "\nSUMMARY: taskleak: 0 leaked, 0 deadlocked, 0 blocked "
                                        "in 0 groups; 0 failing (pid 4242)\n"));
    ck_assert_ptr_null(strstr(r.out, "flush_loop"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(a_run_whose_exit_report_failed_fails_and_its_units_count_once)
{
    struct rep exit_bad = {"exit", "exit", "2026-01-02T03:05:00.000Z", NULL, 4242, "leaked", 2};
    struct tlr_cli_run r =
        run_reps("any", 1, (const struct rep *[]){&WATCHDOG, &DUMP, &exit_bad, NULL});
    ck_assert_msg(!strncmp(r.out, "taskleak: exit report: 2 leaked, 0 deadlocked, 0 blocked, ", 58),
                  "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "\nSUMMARY: taskleak: 2 leaked, 0 deadlocked, 0 blocked "
                                        "in 1 group; 1 failing (pid 4242)\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "2 threads [cond wait, 20s]: leaked\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "  waits for condition variable work_ready (0x5000)\n"));
    ck_assert_ptr_null(strstr(r.out, ": blocked"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(the_latest_word_of_the_same_kind_stands)
{
    struct rep d2 = DUMP;
    d2.file_kind = "dump-2";
    d2.written = "2026-01-02T03:04:50.000Z";
    d2.count = 5;
    struct tlr_cli_run r = run_reps("any", 0, (const struct rep *[]){&DUMP, &d2, NULL});
    ck_assert_msg(strstr(r.out, "5 threads [cond wait, 20s]: blocked\n"), "%s", r.out);
    ck_assert_ptr_null(strstr(r.out, "2 threads"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(a_watchdogs_blocked_is_shown_not_failed_unless_the_run_asked_for_it)
{
    struct tlr_cli_run r = run_alone(&WATCHDOG, "any", 0);
    ck_assert_ptr_nonnull(strstr(r.out, "2 threads [cond wait, 20s]: blocked\n"));
    tlr_run_free(&r);
    struct rep w = WATCHDOG;
    w.fail_on = "[\"leaked\",\"blocked\"]";
    r = run_alone(&w, "any", 1);
    tlr_run_free(&r);
}
END_TEST

START_TEST(fail_on_follows_the_report_and_takes_verdicts_as_data)
{
    struct rep u = {"exit", "exit", "2026-01-02T03:05:00.000Z", "[\"leaked\"]", 7, "unjoined", 1};
    struct tlr_cli_run r = run_alone(&u, "any", 0); /* the run was not failed on unjoined */
    ck_assert_ptr_nonnull(strstr(r.out, "1 thread unjoined: finished, never joined or detached"));
    tlr_run_free(&r);
    u.fail_on = NULL; /* no options: the detector's default, which fails unjoined */
    r = run_alone(&u, "any", 1);
    tlr_run_free(&r);
    u.fail_on = "\"leaked,unjoined\""; /* the option's own text form */
    r = run_alone(&u, "new", 1);
    tlr_run_free(&r);
}
END_TEST

START_TEST(a_kind_newer_than_the_tool_outranks_none_of_the_known_ones)
{
    struct rep later = {"attach", "attach", "2026-01-02T03:09:00.000Z", NULL, 4242, "blocked", 4};
    struct rep exit_ok = {"exit", "exit", "2026-01-02T03:05:00.000Z", NULL, 4242, NULL, 0};
    struct tlr_cli_run r = run_reps("any", 0, (const struct rep *[]){&later, &exit_ok, NULL});
    ck_assert_msg(!strstr(r.out, "4 threads"), "%s", r.out);
    tlr_run_free(&r);
}
END_TEST

START_TEST(a_dump_alone_renders_every_group_even_unjudged_ones)
{
    struct tlr_cli_run r = run_alone(&DUMP, "any", 0);
    ck_assert_ptr_nonnull(strstr(r.out, "2 threads [cond wait, 20s]: blocked\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "    #0  pthread_cond_wait\n    #1  flush_loop\n"));
    tlr_run_free(&r);
    struct rep d = DUMP;
    d.verdict = "-";
    r = run_alone(&d, "any", 0);
    ck_assert_msg(strstr(r.out, "\n2 threads [cond wait, 20s]\n"), "%s", r.out);
    tlr_run_free(&r);
}
END_TEST

Suite *make_tlr_merge_suite(void)
{
    Suite *s = suite_create("tlr_merge");
    TCase *t = tcase_create("one_process_one_view");
    tcase_add_test(t, exit_watchdog_and_dump_of_one_passed_run_count_once_and_pass);
    tcase_add_test(t, a_run_whose_exit_report_failed_fails_and_its_units_count_once);
    tcase_add_test(t, the_latest_word_of_the_same_kind_stands);
    tcase_add_test(t, a_watchdogs_blocked_is_shown_not_failed_unless_the_run_asked_for_it);
    tcase_add_test(t, fail_on_follows_the_report_and_takes_verdicts_as_data);
    tcase_add_test(t, a_kind_newer_than_the_tool_outranks_none_of_the_known_ones);
    tcase_add_test(t, a_dump_alone_renders_every_group_even_unjudged_ones);
    suite_add_tcase(s, t);
    return s;
}
