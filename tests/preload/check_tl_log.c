/*
 * tl_log: the raw formatter's conversions and truncation, one-write lines with the taskleak:
 * prefix, errno preservation, the private stderr duplicate (fd >= 3, close-on-exec, still
 * working after the program closes its stderr), warn-once, and tl_assert's message and abort.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_log.h"

static int fmt(char *buf, unsigned long n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int len = tl_raw_vformat(buf, n, f, ap);
    va_end(ap);
    return len;
}

/* A fresh temporary file for log output; returns its fd (>= 3 in tests). */
static int capture_fd(void)
{
    char path[] = "/tmp/tl_log_test.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    return fd;
}

static char *read_all(int fd)
{
    static char buf[8192];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

START_TEST(raw_formatter_handles_every_documented_conversion)
{
    char b[256];
    fmt(b, sizeof b, "%s|%d|%u|%ld|%lu|%lld|%llu|%x|%lx|%c|%%", "str", -42, 42u, -7L, 7UL,
        LLONG_MIN, ULLONG_MAX, 0xbeefu, 0x1234abcdUL, 'z');
    ck_assert_str_eq(b, "str|-42|42|-7|7|-9223372036854775808|18446744073709551615|beef|"
                        "1234abcd|z|%");
    fmt(b, sizeof b, "%p %p", (void *)0x1000, (void *)0);
    ck_assert_str_eq(b, "0x1000 0x0");
    fmt(b, sizeof b, "[%s] %d", (const char *)NULL, 0);
    ck_assert_str_eq(b, "[(null)] 0");
}
END_TEST

START_TEST(raw_formatter_prints_unknown_conversions_literally)
{
    char b[64];
    fmt(b, sizeof b, "a%qb%", 1);
    ck_assert_str_eq(b, "a%qb%");
}
END_TEST

START_TEST(raw_formatter_truncates_and_always_terminates)
{
    char b[8];
    memset(b, 'x', sizeof b);
    int n = fmt(b, sizeof b, "%s-%d", "abcdef", 12345);
    ck_assert_int_eq(n, 7);
    ck_assert_str_eq(b, "abcdef-");
    ck_assert_int_eq(fmt(b, 1, "hello"), 0);
    ck_assert_str_eq(b, "");
}
END_TEST

START_TEST(logf_writes_one_prefixed_line_and_keeps_errno)
{
    int fd = capture_fd();
    tl_log_set_fd(fd);
    errno = 1234;
    tl_logf("value %d and %s", 7, "text");
    ck_assert_int_eq(errno, 1234);
    ck_assert_str_eq(read_all(fd), "taskleak: value 7 and text\n");
    close(fd);
}
END_TEST

START_TEST(logf_cuts_overlong_messages_but_keeps_the_newline)
{
    static char big[4000];
    int fd = capture_fd();
    memset(big, 'a', sizeof big - 1);
    tl_log_set_fd(fd);
    tl_logf("%s", big);
    char *out = read_all(fd);
    size_t len = strlen(out);
    ck_assert_uint_le(len, 1024);
    ck_assert_int_eq(out[len - 1], '\n');
    ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
    close(fd);
}
END_TEST

START_TEST(raw_paths_keep_errno_even_when_the_write_fails)
{
    tl_log_set_fd(1000); /* not open: write fails with EBADF */
    errno = ERANGE;
    tl_raw("lost\n");
    ck_assert_int_eq(errno, ERANGE);
    tl_rawf("lost %d\n", 1);
    ck_assert_int_eq(errno, ERANGE);
    tl_logf("lost");
    ck_assert_int_eq(errno, ERANGE);
}
END_TEST

START_TEST(init_duplicates_stderr_above_2_with_cloexec_and_survives_its_close)
{
    int fd = capture_fd();
    ck_assert_int_eq(dup2(fd, 2), 2);
    tl_log_init();
    int lfd = tl_log_fd();
    ck_assert_int_ge(lfd, 3);
    ck_assert_int_eq(lfd, tl_log_stderr_fd());
    ck_assert(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
    close(2); /* the program closes its stderr before exiting */
    tl_logf("still here");
    ck_assert_str_eq(read_all(fd), "taskleak: still here\n");
    close(fd);
}
END_TEST

START_TEST(init_with_stderr_closed_makes_logging_a_silent_no_op)
{
    close(2);
    errno = EDOM;
    tl_log_init();
    ck_assert_int_eq(errno, EDOM);
    ck_assert_int_eq(tl_log_fd(), -1);
    tl_logf("nowhere");
    tl_raw("nowhere\n");
    ck_assert_int_eq(errno, EDOM);
}
END_TEST

START_TEST(set_fd_negative_restores_the_stderr_duplicate)
{
    tl_log_init();
    int dupfd = tl_log_stderr_fd();
    tl_log_set_fd(77);
    ck_assert_int_eq(tl_log_fd(), 77);
    tl_log_set_fd(-1);
    ck_assert_int_eq(tl_log_fd(), dupfd);
}
END_TEST

START_TEST(warn_once_logs_only_the_first_time)
{
    static int flag;
    int fd = capture_fd();
    tl_log_set_fd(fd);
    for (int i = 0; i < 3; i++)
        tl_warn_once(&flag, "table full (%d)", i);
    ck_assert_str_eq(read_all(fd), "taskleak: table full (0)\n");
    close(fd);
}
END_TEST

START_TEST(assert_prints_expression_and_location_then_aborts)
{
    int fd = capture_fd();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        tl_log_set_fd(fd);
        int answer = 41;
        tl_assert(answer == 42);
        _exit(0);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGABRT);
    char *out = read_all(fd);
    ck_assert_ptr_nonnull(strstr(out, "taskleak: assertion failed: answer == 42 at "));
    ck_assert_ptr_nonnull(strstr(out, "check_tl_log.c:"));
    close(fd);
}
END_TEST

START_TEST(assert_that_holds_does_nothing)
{
    int fd = capture_fd();
    tl_log_set_fd(fd);
    tl_assert(1 + 1 == 2);
    ck_assert_str_eq(read_all(fd), "");
    close(fd);
}
END_TEST

Suite *make_tl_log_suite(void)
{
    Suite *s = suite_create("tl_log");
    TCase *fmtc = tcase_create("formatter");
    tcase_add_test(fmtc, raw_formatter_handles_every_documented_conversion);
    tcase_add_test(fmtc, raw_formatter_prints_unknown_conversions_literally);
    tcase_add_test(fmtc, raw_formatter_truncates_and_always_terminates);
    suite_add_tcase(s, fmtc);
    TCase *out = tcase_create("output");
    tcase_add_test(out, logf_writes_one_prefixed_line_and_keeps_errno);
    tcase_add_test(out, logf_cuts_overlong_messages_but_keeps_the_newline);
    tcase_add_test(out, raw_paths_keep_errno_even_when_the_write_fails);
    tcase_add_test(out, init_duplicates_stderr_above_2_with_cloexec_and_survives_its_close);
    tcase_add_test(out, init_with_stderr_closed_makes_logging_a_silent_no_op);
    tcase_add_test(out, set_fd_negative_restores_the_stderr_duplicate);
    tcase_add_test(out, warn_once_logs_only_the_first_time);
    tcase_add_test(out, assert_prints_expression_and_location_then_aborts);
    tcase_add_test(out, assert_that_holds_does_nothing);
    suite_add_tcase(s, out);
    return s;
}
