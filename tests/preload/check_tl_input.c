/*
 * tl_input: every open is non-blocking and refuses what is not a regular file by what it is
 * (FIFOs without a writer, devices, sockets, directories, symbolic links to them, and links at
 * all under O_NOFOLLOW); reads stop at the cap, also for a file that keeps growing and for /proc
 * files whose size says 0; the escaper keeps messages on one line and valid UTF-8 intact.
 * Nothing here may block: the case's timeout is the bound.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_input.h"

static char dir[] = "/tmp/tl_input.XXXXXX";
static char path[256];

static void setup(void)
{
    strcpy(dir, "/tmp/tl_input.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static const char *in_dir(const char *name)
{
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

static void write_file(const char *p, const char *text, size_t len)
{
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
}

/* Reads p with a 1 KiB cap and checks it is refused as `kind`. */
static void refused_as(const char *p, const char *kind)
{
    struct tl_input_error e;
    char *buf = (char *)1, why[128];
    size_t len = 7;
    ck_assert_int_eq(tl_input_read(p, 1024, &buf, &len, &e), -1);
    ck_assert_ptr_null(buf);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(e.problem, TL_INPUT_NOT_FILE);
    ck_assert_msg(!strcmp(e.kind, kind), "%s: %s, want %s", p, e.kind, kind);
    tl_input_describe(&e, why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
}

START_TEST(fifos_devices_sockets_and_directories_are_refused_without_blocking)
{
    ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
    refused_as(in_dir("fifo"), "a FIFO");
    refused_as("/dev/zero", "a character device");
    refused_as("/dev/urandom", "a character device");
    refused_as("/dev/null", "a character device");
    refused_as(dir, "a directory");
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    ck_assert_uint_lt(strlen(in_dir("sock")), sizeof a.sun_path);
    memcpy(a.sun_path, path, strlen(path) + 1);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(s, 1), 0);
    refused_as(in_dir("sock"), "a socket");
    close(s);
}
END_TEST

START_TEST(symbolic_links_are_judged_by_their_target_or_refused_with_nofollow)
{
    ck_assert_int_eq(mkfifo(in_dir("fifo"), 0600), 0);
    char fifo[256];
    snprintf(fifo, sizeof fifo, "%s", path);
    ck_assert_int_eq(symlink(fifo, in_dir("to-fifo")), 0);
    refused_as(in_dir("to-fifo"), "a FIFO");
    ck_assert_int_eq(symlink("/dev/zero", in_dir("to-zero")), 0);
    refused_as(in_dir("to-zero"), "a character device");
    ck_assert_int_eq(symlink(dir, in_dir("to-dir")), 0);
    refused_as(in_dir("to-dir"), "a directory");
    write_file(in_dir("plain"), "leak:x\n", 7);
    char plain[256];
    snprintf(plain, sizeof plain, "%s", path);
    ck_assert_int_eq(symlink(plain, in_dir("to-plain")), 0);
    struct tl_input_error e;
    int fd = tl_input_open(in_dir("to-plain"), 0, NULL, &e);
    ck_assert_int_ge(fd, 0); /* followed by default */
    ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    close(fd);
    ck_assert_int_eq(tl_input_open(in_dir("to-plain"), O_NOFOLLOW, NULL, &e), -1);
    ck_assert_int_eq(e.problem, TL_INPUT_NOT_FILE);
    ck_assert_str_eq(e.kind, "a symbolic link");
}
END_TEST

START_TEST(a_directory_is_accepted_only_where_one_is_asked_for)
{
    struct tl_input_error e;
    struct stat st;
    int fd = tl_input_open(dir, O_DIRECTORY, &st, &e);
    ck_assert_int_ge(fd, 0);
    ck_assert(S_ISDIR(st.st_mode));
    close(fd);
    write_file(in_dir("plain"), "x", 1);
    ck_assert_int_eq(tl_input_open(path, O_DIRECTORY, NULL, &e), -1);
    ck_assert_int_eq(e.problem, TL_INPUT_OPEN);
    ck_assert_int_eq(e.errnum, ENOTDIR);
}
END_TEST

START_TEST(a_missing_file_gives_the_system_reason)
{
    struct tl_input_error e;
    char *buf, why[128];
    size_t len;
    ck_assert_int_eq(tl_input_read(in_dir("nope"), 10, &buf, &len, &e), -1);
    ck_assert_int_eq(e.problem, TL_INPUT_OPEN);
    ck_assert_str_eq(tl_input_describe(&e, why, sizeof why),
                     "cannot open: No such file or directory");
}
END_TEST

START_TEST(the_cap_is_exact_and_a_larger_file_is_refused_saying_so)
{
    static char big[5000];
    memset(big, 'a', sizeof big);
    write_file(in_dir("big"), big, sizeof big);
    struct tl_input_error e;
    char *buf, why[128];
    size_t len;
    ck_assert_int_eq(tl_input_read(path, sizeof big, &buf, &len, &e), 0);
    ck_assert_uint_eq(len, sizeof big);
    ck_assert_int_eq(buf[len], '\0');
    free(buf);
    ck_assert_int_eq(tl_input_read(path, sizeof big - 1, &buf, &len, &e), -1);
    ck_assert_int_eq(e.problem, TL_INPUT_TOO_BIG);
    ck_assert_str_eq(tl_input_describe(&e, why, sizeof why),
                     "is larger than 4999 bytes (the limit for this file)");
    write_file(in_dir("empty"), "", 0);
    ck_assert_int_eq(tl_input_read(path, 10, &buf, &len, &e), 0);
    ck_assert_uint_eq(len, 0);
    free(buf);
}
END_TEST

START_TEST(a_proc_file_of_size_zero_is_read_to_its_end_within_the_cap)
{
    struct tl_input_error e;
    char *buf;
    size_t len;
    ck_assert_int_eq(tl_input_read("/proc/self/status", 1 << 20, &buf, &len, &e), 0);
    ck_assert_uint_gt(len, 0);
    ck_assert_ptr_nonnull(strstr(buf, "Name:"));
    free(buf);
    ck_assert_int_eq(tl_input_read("/proc/self/status", 16, &buf, &len, &e), -1);
    ck_assert_int_eq(e.problem, TL_INPUT_TOO_BIG);
}
END_TEST

/* A child appends to the file for as long as the test runs. */
START_TEST(a_file_that_grows_while_read_stops_at_the_cap)
{
    write_file(in_dir("grow"), "x", 1);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        static char chunk[65536];
        memset(chunk, 'g', sizeof chunk);
        int fd = open(path, O_WRONLY | O_APPEND);
        for (;;)
            if (write(fd, chunk, sizeof chunk) < 0)
                _exit(1);
    }
    struct stat st;
    do /* wait for the growth to be under way (a fact, not a delay) */
        ck_assert_int_eq(stat(path, &st), 0);
    while (st.st_size < 1 << 20);
    struct tl_input_error e;
    char *buf;
    size_t len;
    int rc = tl_input_read(path, 4 << 20, &buf, &len, &e);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    if (rc == 0) { /* the reader outran the writer: what it got is within the cap */
        ck_assert_uint_le(len, 4 << 20);
        free(buf);
    } else {
        ck_assert_int_eq(e.problem, TL_INPUT_TOO_BIG);
    }
    ck_assert_int_eq(tl_input_read(path, 1 << 20, &buf, &len, &e), -1); /* now > 1 MiB */
    ck_assert_int_eq(e.problem, TL_INPUT_TOO_BIG);
}
END_TEST

START_TEST(escaping_writes_control_bytes_and_bad_utf8_as_escapes_and_keeps_good_utf8)
{
    char out[256];
    ck_assert_str_eq(tl_input_escape("a\nSUMMARY: x\t\r\x01\x7f", out, sizeof out),
                     "a\\nSUMMARY: x\\t\\r\\x01\\x7f");
    ck_assert_str_eq(tl_input_escape("caf\xc3\xa9 \xe2\x82\xac", out, sizeof out),
                     "caf\xc3\xa9 \xe2\x82\xac");
    ck_assert_str_eq(tl_input_escape("\xff\xc3(\xed\xa0\x80\xc0\xaf", out, sizeof out),
                     "\\xff\\xc3(\\xed\\xa0\\x80\\xc0\\xaf"); /* stray, truncated, surrogate, overlong */
    ck_assert_str_eq(tl_input_escape(NULL, out, sizeof out), "(null)");
}
END_TEST

START_TEST(escaping_cuts_at_a_character_boundary_with_an_ellipsis)
{
    char out[12];
    ck_assert_str_eq(tl_input_escape("0123456789AB", out, sizeof out), "01234567...");
    ck_assert_str_eq(tl_input_escape("01234567890", out, sizeof out), "01234567890");
    ck_assert_str_eq(tl_input_escape("0123456\n89", out, sizeof out), "0123456\\n89");
    ck_assert_str_eq(tl_input_escape("0123456\n890", out, sizeof out), "0123456...");
    ck_assert_str_eq(tl_input_escape("0123456\xc3\xa9xyz", out, sizeof out), "0123456...");
    char tiny[2];
    ck_assert_str_eq(tl_input_escape("abc", tiny, sizeof tiny), "");
}
END_TEST

/* A read function that is interrupted once before it reads, as a signal would. */
static int interrupted;
static ssize_t read_interrupted_once(int fd, void *buf, size_t n)
{
    if (!interrupted++) {
        errno = EINTR;
        return -1;
    }
    return read(fd, buf, n);
}

START_TEST(a_small_file_is_read_whole_or_cut_and_nul_terminated)
{
    char sdir[] = "/tmp/tl_small.XXXXXX", spath[64], buf[8];
    ck_assert_ptr_nonnull(mkdtemp(sdir));
    snprintf(spath, sizeof spath, "%s/f", sdir);
    FILE *f = fopen(spath, "w");
    ck_assert_ptr_nonnull(f);
    fputs("0123456789", f);
    fclose(f);
    interrupted = 0;
    ck_assert_int_eq(tl_input_small(spath, buf, sizeof buf, read_interrupted_once), 7);
    ck_assert_str_eq(buf, "0123456"); /* cut at n - 1, after the EINTR was retried */
    char big[64];
    ck_assert_int_eq(tl_input_small(spath, big, sizeof big, read), 10);
    ck_assert_str_eq(big, "0123456789");
    ck_assert_int_eq(tl_input_small(spath, big, sizeof big, NULL), -1); /* no way to read */
    ck_assert_str_eq(big, "");
    unlink(spath);
    ck_assert_int_eq(tl_input_small(spath, big, sizeof big, read), -1); /* gone */
    rmdir(sdir);
}
END_TEST

Suite *make_tl_input_suite(void)
{
    Suite *s = suite_create("tl_input");
    TCase *t = tcase_create("opening and reading");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30); /* nothing may block: this is the bound */
    tcase_add_test(t, fifos_devices_sockets_and_directories_are_refused_without_blocking);
    tcase_add_test(t, symbolic_links_are_judged_by_their_target_or_refused_with_nofollow);
    tcase_add_test(t, a_directory_is_accepted_only_where_one_is_asked_for);
    tcase_add_test(t, a_missing_file_gives_the_system_reason);
    tcase_add_test(t, the_cap_is_exact_and_a_larger_file_is_refused_saying_so);
    tcase_add_test(t, a_proc_file_of_size_zero_is_read_to_its_end_within_the_cap);
    tcase_add_test(t, a_file_that_grows_while_read_stops_at_the_cap);
    tcase_add_test(t, a_small_file_is_read_whole_or_cut_and_nul_terminated);
    suite_add_tcase(s, t);
    TCase *m = tcase_create("messages");
    tcase_add_test(m, escaping_writes_control_bytes_and_bad_utf8_as_escapes_and_keeps_good_utf8);
    tcase_add_test(m, escaping_cuts_at_a_character_boundary_with_an_ellipsis);
    suite_add_tcase(s, m);
    return s;
}
