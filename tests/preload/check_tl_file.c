/*
 * tl_file: atomic report writes (directory chain 0700, file 0600 whatever the umask, no temp file
 * left behind on success or failure, planted symlinks and FIFOs replaced rather than followed,
 * readers never see a torn file while writers race), and the log destination (stderr duplicate,
 * %p, append, refusing symlinks, reader-less FIFOs, other users' files), with every descriptor
 * above 2 and close-on-exec even when the program closed its standard streams.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tl_file.h"
#include "tl_log.h"

static char base[64];

static void setup(void)
{
    strcpy(base, "/tmp/tl_file_test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", base);
}

static const char *at(const char *rel)
{
    static char path[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", base, rel);
    return path[k];
}

static char *slurp(const char *path)
{
    static char buf[1 << 17];
    int fd = open(path, O_RDONLY);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

static int entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

START_TEST(write_creates_the_directory_chain_and_a_0600_file)
{
    struct stat st;
    umask(0);
    const char *dir = at("a/b/c");
    ck_assert_int_eq(tl_file_write_atomic(dir, "r.json", "{}\n", 3), 0);
    ck_assert_str_eq(slurp(at("a/b/c/r.json")), "{}\n");
    ck_assert_int_eq(stat(at("a/b/c/r.json"), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(stat(at("a/b"), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);
    ck_assert_int_eq(entries(dir), 1); /* no temp file left */
}
END_TEST

START_TEST(write_replaces_an_existing_report_whole)
{
    ck_assert_int_eq(tl_file_write_atomic(base, "r", "first version", 13), 0);
    ck_assert_int_eq(tl_file_write_atomic(base, "r", "2nd", 3), 0);
    ck_assert_str_eq(slurp(at("r")), "2nd");
    ck_assert_int_eq(entries(base), 1);
}
END_TEST

START_TEST(write_never_follows_a_planted_symlink)
{
    struct stat st;
    int fd = open(at("victim"), O_WRONLY | O_CREAT, 0644);
    ck_assert_int_eq(write(fd, "precious", 8), 8);
    close(fd);
    ck_assert_int_eq(symlink(at("victim"), at("report.json")), 0);
    ck_assert_int_eq(tl_file_write_atomic(base, "report.json", "ours", 4), 0);
    ck_assert_str_eq(slurp(at("victim")), "precious");
    ck_assert_int_eq(lstat(at("report.json"), &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_str_eq(slurp(at("report.json")), "ours");
}
END_TEST

START_TEST(write_replaces_a_planted_fifo_without_blocking)
{
    struct stat st;
    ck_assert_int_eq(mkfifo(at("r.json"), 0666), 0);
    ck_assert_int_eq(tl_file_write_atomic(base, "r.json", "x", 1), 0);
    ck_assert_int_eq(lstat(at("r.json"), &st), 0);
    ck_assert(S_ISREG(st.st_mode));
}
END_TEST

START_TEST(failed_write_leaves_no_temp_file_and_sets_errno)
{
    /* a non-empty directory at the final name makes the rename fail after the temp is written */
    ck_assert_int_eq(mkdir(at("r.json"), 0700), 0);
    ck_assert_int_eq(mkdir(at("r.json/inner"), 0700), 0);
    errno = 0;
    ck_assert_int_eq(tl_file_write_atomic(base, "r.json", "data", 4), -1);
    ck_assert(errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST);
    ck_assert_int_eq(entries(base), 1);
}
END_TEST

START_TEST(bad_names_and_directories_are_refused)
{
    errno = 0;
    ck_assert_int_eq(tl_file_write_atomic(base, "a/b", "x", 1), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tl_file_write_atomic(base, "..", "x", 1), -1);
    ck_assert_int_eq(tl_file_write_atomic("", "x", "x", 1), -1);
    ck_assert_int_eq(tl_file_write_atomic(NULL, "x", "x", 1), -1);
    int fd = open(at("plain"), O_WRONLY | O_CREAT, 0600);
    close(fd);
    errno = 0;
    ck_assert_int_eq(tl_file_write_atomic(at("plain"), "x", "x", 1), -1);
    ck_assert_int_eq(errno, ENOTDIR);
    ck_assert_int_eq(entries(base), 1);
}
END_TEST

/* Runs body in a child with fds 0-2 closed; the child exits 0 when every check passed. */
static int with_stdio_closed(int (*body)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        close(0);
        close(1);
        close(2);
        _exit(body());
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

static int write_without_stdio(void)
{
    if (tl_file_write_atomic(base, "r", "data", 4) != 0)
        return 1;
    int fd = open("/dev/null", O_RDONLY); /* the lowest free fd: must still be 0 */
    return fd == 0 ? 0 : 2;
}

static int open_log_without_stdio(void)
{
    int fd = tl_file_open_log(at("log.txt"));
    if (fd < 3)
        return 1;
    if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
        return 2;
    if (fcntl(0, F_GETFD) != -1 || fcntl(1, F_GETFD) != -1 || fcntl(2, F_GETFD) != -1)
        return 3;
    return 0;
}

START_TEST(descriptors_stay_above_2_when_the_program_closed_stdio)
{
    ck_assert_int_eq(with_stdio_closed(write_without_stdio), 0);
    ck_assert_str_eq(slurp(at("r")), "data");
    ck_assert_int_eq(with_stdio_closed(open_log_without_stdio), 0);
}
END_TEST

START_TEST(racing_writers_never_show_a_reader_a_torn_file)
{
    enum { SIZE = 65536, WRITERS = 3, ROUNDS = 150 };
    static char data[WRITERS][SIZE];
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        memset(data[w], 'a' + w, SIZE);
        pids[w] = fork();
        if (pids[w] == 0) {
            for (int i = 0; i < ROUNDS; i++)
                if (tl_file_write_atomic(base, "shared.json", data[w], SIZE) != 0)
                    _exit(1);
            _exit(0);
        }
    }
    for (int i = 0; i < 300; i++) {
        int fd = open(at("shared.json"), O_RDONLY);
        if (fd < 0)
            continue; /* not written yet */
        static char buf[SIZE + 1];
        ssize_t n = read(fd, buf, sizeof buf);
        close(fd);
        ck_assert_int_eq(n, SIZE);
        ck_assert(memcmp(buf, data[buf[0] - 'a'], SIZE) == 0);
    }
    for (int w = 0; w < WRITERS; w++) {
        int status;
        waitpid(pids[w], &status, 0);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ck_assert_int_eq(entries(base), 1);
}
END_TEST

START_TEST(open_log_stderr_means_the_private_duplicate)
{
    tl_log_init();
    ck_assert_int_ge(tl_log_stderr_fd(), 3);
    ck_assert_int_eq(tl_file_open_log("stderr"), tl_log_stderr_fd());
    ck_assert_int_eq(tl_file_open_log(""), tl_log_stderr_fd());
    ck_assert_int_eq(tl_file_open_log(NULL), tl_log_stderr_fd());
}
END_TEST

START_TEST(open_log_expands_pid_and_appends)
{
    char name[64];
    struct stat st;
    umask(0);
    int a = tl_file_open_log(at("log.%p"));
    ck_assert_int_ge(a, 3);
    ck_assert(fcntl(a, F_GETFD) & FD_CLOEXEC);
    ck_assert_int_eq(write(a, "one\n", 4), 4);
    close(a);
    int b = tl_file_open_log(at("log.%p"));
    ck_assert_int_eq(write(b, "two\n", 4), 4);
    close(b);
    snprintf(name, sizeof name, "log.%d", (int)getpid());
    ck_assert_str_eq(slurp(at(name)), "one\ntwo\n");
    ck_assert_int_eq(stat(at(name), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(open_log_refuses_symlinks_fifos_and_foreign_files)
{
    int fd = open(at("victim"), O_WRONLY | O_CREAT, 0644);
    close(fd);
    ck_assert_int_eq(symlink(at("victim"), at("link.log")), 0);
    errno = 0;
    ck_assert_int_eq(tl_file_open_log(at("link.log")), -1);
    ck_assert_int_eq(errno, ELOOP);
    ck_assert_int_eq(mkfifo(at("fifo.log"), 0600), 0);
    errno = 0;
    ck_assert_int_eq(tl_file_open_log(at("fifo.log")), -1); /* no reader: no hang */
    ck_assert_int_eq(errno, ENXIO);
    if (geteuid() == 0) {
        fd = open(at("foreign.log"), O_WRONLY | O_CREAT, 0666);
        ck_assert_int_eq(fchown(fd, 65534, 65534), 0);
        close(fd);
        errno = 0;
        ck_assert_int_eq(tl_file_open_log(at("foreign.log")), -1);
        ck_assert_int_eq(errno, EPERM);
        ck_assert_str_eq(slurp(at("foreign.log")), "");
    }
    errno = 0;
    ck_assert_int_eq(tl_file_open_log(at("bad.%n")), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_str_eq(slurp(at("victim")), "");
}
END_TEST

START_TEST(open_log_accepts_a_fifo_with_a_reader)
{
    ck_assert_int_eq(mkfifo(at("fifo.log"), 0600), 0);
    int r = open(at("fifo.log"), O_RDONLY | O_NONBLOCK);
    ck_assert_int_ge(r, 0);
    int w = tl_file_open_log(at("fifo.log"));
    ck_assert_int_ge(w, 3);
    ck_assert(!(fcntl(w, F_GETFL) & O_NONBLOCK)); /* blocking again for full writes */
    ck_assert_int_eq(tl_file_write_all(w, "hi", 2), 0);
    char buf[4] = {0};
    ck_assert_int_eq(read(r, buf, sizeof buf), 2);
    ck_assert_str_eq(buf, "hi");
    close(w);
    close(r);
}
END_TEST

Suite *make_tl_file_suite(void)
{
    Suite *s = suite_create("tl_file");
    TCase *w = tcase_create("atomic write");
    tcase_add_checked_fixture(w, setup, teardown);
    tcase_set_timeout(w, 60);
    tcase_add_test(w, write_creates_the_directory_chain_and_a_0600_file);
    tcase_add_test(w, write_replaces_an_existing_report_whole);
    tcase_add_test(w, write_never_follows_a_planted_symlink);
    tcase_add_test(w, write_replaces_a_planted_fifo_without_blocking);
    tcase_add_test(w, failed_write_leaves_no_temp_file_and_sets_errno);
    tcase_add_test(w, bad_names_and_directories_are_refused);
    tcase_add_test(w, descriptors_stay_above_2_when_the_program_closed_stdio);
    tcase_add_test(w, racing_writers_never_show_a_reader_a_torn_file);
    suite_add_tcase(s, w);
    TCase *l = tcase_create("log destination");
    tcase_add_checked_fixture(l, setup, teardown);
    tcase_set_timeout(l, 20);
    tcase_add_test(l, open_log_stderr_means_the_private_duplicate);
    tcase_add_test(l, open_log_expands_pid_and_appends);
    tcase_add_test(l, open_log_refuses_symlinks_fifos_and_foreign_files);
    tcase_add_test(l, open_log_accepts_a_fifo_with_a_reader);
    suite_add_tcase(s, l);
    return s;
}
