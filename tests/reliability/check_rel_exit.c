/*
 * Reliability cases 14-19: every way a process leaves, under the detector (progs/rel_exit.c).
 *
 * Normal exits write exactly one exit report and keep the program's status; exits that skip the
 * exit handlers (_exit, abort, SIGSEGV) leave no report and no half-written file (SIGTERM at the
 * default disposition leaves exactly its whole "signal" report), which the
 * supervisor turns into a failure; main's pthread_exit and SIGTERM after it end the process
 * promptly; threads an atexit handler joins are not leaks. The exit-status table runs {leak, no
 * leak} x {app 0, app 3} x stdout {pipe, file} x exitcode {76, 0} and checks stdout is complete.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rel_test.h"

/* No report file at all, and no temporary left behind: nothing torn. */
static void assert_no_files(const struct th_run *r)
{
    ck_assert_msg(th_count_reports(r, NULL) == 0, "%d file(s) left in the report directory",
                  th_count_reports(r, NULL));
}

START_TEST(main_return_and_exit_write_one_clean_report_and_keep_status_0)
{
    static const char *const modes[] = {"return", "exit"};
    for (int i = 0; i < 2; i++) {
        const char *args[] = {modes[i], NULL};
        struct th_run r;
        rel_run(&r, "rel_exit", args, REL_OPTS, true, 30);
        ck_assert_msg(r.status == 0, "%s: status %d; stderr:\n%s", modes[i], r.status, r.err);
        ck_assert_int_eq(th_count_reports(&r, NULL), 1);
        json_t *rep = rel_exit_report(&r);
        rel_assert_clean(rep);
        ck_assert_int_eq(th_summary(rep, "threads_created"), 2);
        json_decref(rep);
        th_run_free(&r);
    }
}
END_TEST

START_TEST(exit_from_a_worker_while_others_block_reports_them_once_without_hanging)
{
    const char *args[] = {"worker_exit", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, REL_OPTS ":exitcode=0", true, 30);
    ck_assert_int_eq(r.status, 5);
    ck_assert_str_eq(r.out, "worker exits\n");
    ck_assert_int_eq(th_count_reports(&r, NULL), 1);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_group_count(rep, "leaked", "cond wait"), 1);
    ck_assert_int_eq(th_group_count(rep, "leaked", "mutex lock"), 1);
    ck_assert_int_eq(th_group_count(rep, "leaked", "semaphore"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(exit_from_a_worker_with_leaks_fails_the_gate_with_76)
{
    const char *args[] = {"worker_exit", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 76);
    th_run_free(&r);
}
END_TEST

struct abrupt {
    const char *mode;
    int status;         /* exit status, 128 + signal when killed */
    const char *report; /* the one report left ("signal": SIGTERM at the default disposition) */
};
static const struct abrupt ABRUPT[] = {
    {"_exit", 7, NULL},
    {"abort", 128 + 6, NULL},
    {"sigterm", 128 + 15, "signal"},
#if TH_SANITIZE
    {"segv", 1, NULL}, /* ASan's SEGV handler reports and exits 1 */
#else
    {"segv", 128 + 11, NULL},
#endif
};

START_TEST(abrupt_exits_keep_their_status_and_leave_no_torn_report)
{
    const char *args[] = {ABRUPT[_i].mode, NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, REL_OPTS, true, 30);
    ck_assert_msg(r.status == ABRUPT[_i].status, "%s: status %d", ABRUPT[_i].mode, r.status);
    if (ABRUPT[_i].report == NULL) {
        assert_no_files(&r);
    } else {
        ck_assert_int_eq(th_count_reports(&r, NULL), 1);
        json_t *rep = th_report(&r, ABRUPT[_i].report, r.pid);
        ck_assert_msg(rep != NULL, "%s: no %s report", ABRUPT[_i].mode, ABRUPT[_i].report);
        json_decref(rep);
    }
    th_run_free(&r);
}
END_TEST

struct supervised {
    const char *mode;
    int status;          /* what `taskleak run` exits with */
    const char *message; /* what it says on stderr */
};
static const struct supervised SUPERVISED[] = {
    {"_exit0", 125, "no report"},
    {"_exit", 7, "no report"},
    {"abort", 128 + 6, "killed by signal 6"},
};

START_TEST(the_supervisor_fails_closed_when_the_program_leaves_without_a_report)
{
    static const char *const cli[] = {"--grace", "200ms", NULL};
    const struct supervised *c = &SUPERVISED[_i];
    const char *args[] = {c->mode, NULL};
    struct th_opts o = {.prog = rel_prog("rel_exit"),
                        .argv = args,
                        .via_cli = true,
                        .cli_args = cli,
                        .options = REL_OPTS,
                        .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(r.status == c->status, "%s: status %d; stderr:\n%s", c->mode, r.status, r.err);
    ck_assert_msg(th_contains(r.err, c->message), "%s: stderr:\n%s", c->mode, r.err);
    th_run_free(&r);
}
END_TEST

START_TEST(quick_exit_keeps_its_status_and_any_report_parses)
{
    const char *args[] = {"quick_exit", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, REL_OPTS, true, 30);
    ck_assert_int_eq(r.status, 4);
    int files = th_count_reports(&r, NULL);
    ck_assert_msg(files == th_count_reports(&r, ".exit.json"), "stray files beside the report");
    if (files == 1) {
        json_t *rep = rel_exit_report(&r);
        json_decref(rep);
    }
    th_run_free(&r);
}
END_TEST

START_TEST(main_calling_pthread_exit_ends_the_process_when_workers_finish)
{
    const char *args[] = {"main_pthread_exit", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, REL_OPTS, true, 10);
    ck_assert_int_eq(r.status, 0);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(sigterm_after_main_exited_still_ends_the_process)
{
    const char *args[] = {"term_after_main", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, REL_OPTS, true, 10);
    ck_assert_msg(r.status == 0 || r.status == 128 + 15, "status %d", r.status);
    th_run_free(&r);
}
END_TEST

START_TEST(threads_an_atexit_handler_joins_are_not_leaks)
{
    const char *args[] = {"atexit_join", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, REL_OPTS, true, 30);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "main returns\natexit joined 0\n");
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(
    a_needed_library_constructor_thread_and_a_destructor_thread_after_the_report_are_not_leaks)
{
    struct th_run r;
    rel_run(&r, "rel_needed", NULL, REL_OPTS, true, 30);
    ck_assert_msg(r.status == 0, "status %d; stderr:\n%s", r.status, r.err);
    ck_assert_str_eq(r.out, "constructor thread ran 1\n");
    ck_assert_msg(th_contains(r.err, "destructor joined rc=0 runs=2"), "stderr:\n%s", r.err);
    json_t *rep = rel_exit_report(&r);
    rel_assert_clean(rep);
    ck_assert_int_ge(th_summary(rep, "threads_created"), 1);
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

/* ---- the exit-status table ---- */

enum { LINES = 20000 };

/* Row _i: bit 0 leak, bit 1 app status 3, bit 2 stdout to a file, bit 3 exitcode=0. */
static int expected_status(int leak, int app, int report_only)
{
    return leak && !report_only ? 76 : app;
}

static void assert_complete(const char *out)
{
    char want[64];
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, LINES);
    snprintf(want, sizeof want, "line %d of the program's own output\n", LINES - 1);
    ck_assert_msg(strlen(out) >= strlen(want) &&
                      strcmp(out + strlen(out) - strlen(want), want) == 0,
                  "stdout does not end with the last line");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = calloc(1, (size_t)n + 1);
    ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

START_TEST(the_exit_status_table_holds_and_stdout_is_complete)
{
    int leak = _i & 1, app = _i & 2 ? 3 : 0, to_file = _i & 4, report_only = _i & 8;
    char file[64], code[8], lines[16];
    snprintf(file, sizeof file, "/tmp/rel_stdout.%d.%d", (int)getpid(), _i);
    snprintf(code, sizeof code, "%d", app);
    snprintf(lines, sizeof lines, "%d", LINES);
    const char *args[] = {"status", leak ? "leak" : "noleak", code,
                          lines,    to_file ? file : NULL,    NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, report_only ? REL_OPTS ":exitcode=0" : REL_OPTS, true, 60);
    ck_assert_msg(r.status == expected_status(leak, app, report_only),
                  "leak=%d app=%d file=%d exitcode0=%d: status %d", leak, app, !!to_file,
                  !!report_only, r.status);
    json_t *rep = rel_exit_report(&r);
    ck_assert_int_eq(th_summary(rep, "leaked"), leak);
    json_decref(rep);
    if (to_file) {
        ck_assert_str_eq(r.out, "");
        char *s = slurp(file);
        assert_complete(s);
        free(s);
        unlink(file);
    } else {
        assert_complete(r.out);
    }
    th_run_free(&r);
}
END_TEST

Suite *make_rel_exit_suite(void)
{
    Suite *s = suite_create("rel_exit");
    TCase *tc = tcase_create("exit paths");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, main_return_and_exit_write_one_clean_report_and_keep_status_0);
    tcase_add_test(tc, exit_from_a_worker_while_others_block_reports_them_once_without_hanging);
    tcase_add_test(tc, exit_from_a_worker_with_leaks_fails_the_gate_with_76);
    tcase_add_loop_test(tc, abrupt_exits_keep_their_status_and_leave_no_torn_report, 0,
                        (int)(sizeof ABRUPT / sizeof ABRUPT[0]));
    tcase_add_loop_test(tc, the_supervisor_fails_closed_when_the_program_leaves_without_a_report, 0,
                        (int)(sizeof SUPERVISED / sizeof SUPERVISED[0]));
    tcase_add_test(tc, quick_exit_keeps_its_status_and_any_report_parses);
    tcase_add_test(tc, main_calling_pthread_exit_ends_the_process_when_workers_finish);
    tcase_add_test(tc, sigterm_after_main_exited_still_ends_the_process);
    tcase_add_test(tc, threads_an_atexit_handler_joins_are_not_leaks);
    tcase_add_test(
        tc,
        a_needed_library_constructor_thread_and_a_destructor_thread_after_the_report_are_not_leaks);
    tcase_add_loop_test(tc, the_exit_status_table_holds_and_stdout_is_complete, 0, 16);
    suite_add_tcase(s, tc);
    return s;
}
