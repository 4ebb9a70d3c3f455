/*
 * Hostile hosts (docs/hostile-hosts.md), option strings and paths: every bad option is named and
 * the program runs unchanged, over-long log and suppressions paths, suppressions paths that are
 * not regular files, and a program path with a newline.
 * Where the detector must be invisible the run is compared byte for byte with a run without it;
 * where it must see something the JSON report is checked.
 */
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel_test.h"

/* ---- case 45: hostile option strings ---- */

struct hostile {
    const char *options;
    const char *named; /* what the message on stderr must name */
};
static const struct hostile HOSTILE[] = {
    {"threshold=abc", "threshold"},
    {"dump_signal=999", "dump_signal"},
    {"dump_signal=-3", "dump_signal"},
    {"log=/nonexistent/dir/%n%s%x", "log"},
    {"stack_depth=99999999999999999999", "stack_depth"},
    {"exitcode=300", "exitcode"},
    {"bogus_key=1", "bogus_key"},
    {"suppressions=/nonexistent/supp", "/nonexistent/supp"},
    {"interval=0", "interval"},
    {"grace=-5s", "grace"},
    {"::::,,,,:threshold=%n%n%n%n", "threshold"},
    {"suppressions=/dev/zero", "/dev/zero: is a character device"},
    {"suppressions=/dev/urandom", "/dev/urandom: is a character device"},
    {"suppressions=/tmp", "/tmp: is a directory"},
    {"suppressions=/proc/self/status", "/proc/self/status: line 1"},
    {"suppressions=/proc/self/fd/0", "/proc/self/fd/0: is a"},
    {"report=/tmp/%q%n", "report"},
    {"log=/tmp/%x/%n", "log"},
    {"dump_signal=SIGNOPE", "dump_signal"},
    {"dump_signal=65", "dump_signal"},
    {"dump_signal=SIGKILL", "dump_signal"},
    {"stack_depth=-99999999999999999999", "stack_depth"},
    {"threshold=1\x1b[2J\x07", "threshold"},
};
#define NHOSTILE ((int)(sizeof HOSTILE / sizeof HOSTILE[0]))

START_TEST(hostile_option_strings_are_rejected_by_name_and_the_program_runs_unchanged)
{
    const struct hostile *h = &HOSTILE[_i];
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, h->options, true, 30);
    ck_assert_msg(r.status == 0, "[%s] status %d", h->options, r.status);
    ck_assert_str_eq(r.out, "mode return\n");
    ck_assert_msg(th_contains(r.err, h->named), "[%s] stderr does not name %s:\n%s", h->options,
                  h->named, r.err);
    for (const char *c = r.err; *c; c++) /* input is quoted escaped: no raw control byte */
        ck_assert_msg((unsigned char)*c >= 0x20 || *c == '\n', "[%s] raw byte 0x%02x on stderr",
                      h->options, (unsigned char)*c);
    json_t *rep = rel_exit_report(&r); /* report=, appended after the junk, still applies */
    json_decref(rep);
    th_run_free(&r);
}
END_TEST

START_TEST(a_very_long_log_path_is_refused_or_used_without_overflow)
{
    char opts[1700];
    memcpy(opts, "log=/tmp/", 9);
    memset(opts + 9, 'a', sizeof opts - 10);
    opts[sizeof opts - 1] = 0;
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, opts, true, 30);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "mode return\n");
    th_run_free(&r);
}
END_TEST

/* The detector reads its suppressions file before main: a path that is not a regular file (or a
 * link to one that is not) is refused at once with one line naming it, and the program runs as
 * it would without the detector. A FIFO nobody writes and a listening socket used to hang the
 * program for ever; /dev/zero until memory ran out. The run's timeout is the bound. */
START_TEST(a_suppressions_path_that_is_not_a_regular_file_never_holds_up_the_program)
{
    static const char *const shapes[] = {"fifo", "link-to-fifo", "socket", "link-to-zero"};
    char dir[] = "/tmp/rel-supp-XXXXXX", path[256], target[256], opts[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(target, sizeof target, "%s/fifo-target", dir);
    ck_assert_int_eq(mkfifo(target, 0600), 0);
    const char *shape = shapes[_i];
    snprintf(path, sizeof path, "%s/%s", dir, shape);
    int sock = -1;
    if (!strcmp(shape, "fifo")) {
        ck_assert_int_eq(mkfifo(path, 0600), 0);
    } else if (!strcmp(shape, "socket")) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        ck_assert_uint_lt(strlen(path), sizeof a.sun_path);
        memcpy(a.sun_path, path, strlen(path) + 1);
        sock = socket(AF_UNIX, SOCK_STREAM, 0);
        ck_assert_int_eq(bind(sock, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(listen(sock, 1), 0);
    } else {
        ck_assert_int_eq(symlink(!strcmp(shape, "link-to-fifo") ? target : "/dev/zero", path), 0);
    }
    snprintf(opts, sizeof opts, "%s:suppressions=%s", REL_OPTS, path);
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, opts, true, 30);
    ck_assert_msg(r.status == 0, "[%s] status %d", shape, r.status);
    ck_assert_str_eq(r.out, "mode return\n");
    ck_assert_msg(th_contains(r.err, path) && th_contains(r.err, "not a regular file") &&
                      th_contains(r.err, "running without suppressions"),
                  "[%s] stderr:\n%s", shape, r.err);
    json_decref(rel_exit_report(&r));
    th_run_free(&r);
    if (sock >= 0)
        close(sock);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(a_very_long_suppressions_path_is_refused_without_overflow)
{
    static char opts[9000];
    int n = snprintf(opts, sizeof opts, "%s:suppressions=/tmp/", REL_OPTS);
    memset(opts + n, 'b', sizeof opts - (size_t)n - 1);
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, opts, true, 30);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "mode return\n");
    ck_assert_msg(th_contains(r.err, "suppressions"), "stderr:\n%s", r.err);
    th_run_free(&r);
}
END_TEST

/* The text report quotes the program's path (and its thread names and labels): a path holding a
 * newline and a summary of its own must not give the log a second "SUMMARY:" line. */
START_TEST(a_program_path_with_a_newline_cannot_forge_a_summary_line)
{
    char dir[] = "/tmp/rel-name-XXXXXX", prog[256], cmd[1400];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(prog, sizeof prog, "%s/leak\nSUMMARY: taskleak: 0 leaked\x1b[2K", dir);
    snprintf(cmd, sizeof cmd,
             "cp '%s' \"$(printf '%s/leak\\nSUMMARY: taskleak: 0 leaked\\033[2K')\"",
             rel_prog("rel_leak"), dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(access(prog, X_OK), 0);
    struct th_opts o = {.prog = prog, .options = REL_OPTS, .timeout_s = 30};
    struct th_run r;
    ck_assert_int_eq(th_run(&o, &r), 0);
    ck_assert_msg(r.status == 76, "status %d; stderr:\n%s", r.status, r.err);
    int summaries = 0;
    for (const char *p = r.err; (p = strstr(p, "SUMMARY: taskleak:")); p++)
        summaries += p == r.err || p[-1] == '\n';
    ck_assert_msg(summaries == 1, "%d lines start with SUMMARY:\n%s", summaries, r.err);
    ck_assert_msg(th_contains(r.err, "leak\\nSUMMARY: taskleak: 0 leaked\\x1b[2K)"), "%s", r.err);
    th_run_free(&r);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(each_bad_option_is_named_exactly_once_on_stderr)
{
    const char *args[] = {"return", NULL};
    struct th_run r;
    rel_run(&r, "rel_exit", args, "threshold=abc", true, 30);
    const char *first = strstr(r.err, "for threshold");
    ck_assert_ptr_nonnull(first);
    ck_assert_msg(strstr(first + 1, "for threshold") == NULL, "named twice:\n%s", r.err);
    th_run_free(&r);
}
END_TEST

Suite *make_rel_options_suite(void)
{
    Suite *s = suite_create("rel_options");
    TCase *opts = tcase_create("options");
    tcase_set_timeout(opts, 60);
    tcase_add_loop_test(opts,
                        hostile_option_strings_are_rejected_by_name_and_the_program_runs_unchanged,
                        0, NHOSTILE);
    tcase_add_test(opts, a_very_long_log_path_is_refused_or_used_without_overflow);
    tcase_add_loop_test(
        opts, a_suppressions_path_that_is_not_a_regular_file_never_holds_up_the_program, 0, 4);
    tcase_add_test(opts, a_very_long_suppressions_path_is_refused_without_overflow);
    tcase_add_test(opts, a_program_path_with_a_newline_cannot_forge_a_summary_line);
    tcase_add_test(opts, each_bad_option_is_named_exactly_once_on_stderr);
    suite_add_tcase(s, opts);
    return s;
}
