/* gor_fd_wait on pipes: readiness, timeouts, two waiters on one fd, errors, plain threads. */
#include <errno.h>
#include <unistd.h>

#include "gor_check.h"

static int P[2];

static void write_later(void *arg)
{
    gor_sleep(3 * GT_MS);
    ck_assert_int_eq(write(P[1], "ab", 2), 2);
    (void)arg;
}

static void reader(void *arg)
{
    ck_assert_int_eq(gor_fd_wait(P[0], GOR_READ, -1), GOR_READ);
    (void)arg;
}

static void fd_main(void *arg)
{
    ck_assert_int_eq(pipe(P), 0);
    ck_assert_int_eq(gor_fd_wait(P[0], GOR_READ, 5 * GT_MS), 0); /* timeout */
    ck_assert_int_eq(gor_fd_wait(P[1], GOR_WRITE, -1), GOR_WRITE);
    gor_wg wg = GOR_WG_INIT;
    gt_go_wg(&wg, reader, NULL);
    gt_go_wg(&wg, reader, NULL); /* the same fd twice */
    gor_go(write_later, NULL);
    ck_assert_int_eq(gor_fd_wait(P[0], GOR_READ, 10000 * GT_MS), GOR_READ);
    gor_wg_wait(&wg);
    ck_assert_int_eq(gor_fd_wait(-1, GOR_READ, 0), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(gor_fd_wait(P[0], 0, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    close(P[0]);
    close(P[1]);
    (void)arg;
}

START_TEST(fd_wait_parks_until_ready_or_timeout)
{
    gt_run(_i, fd_main, NULL);
}
END_TEST

START_TEST(plain_threads_wait_on_fds)
{
    ck_assert_int_eq(pipe(P), 0);
    ck_assert_int_eq(gor_fd_wait(P[0], GOR_READ, 2 * GT_MS), 0);
    ck_assert_int_eq(write(P[1], "x", 1), 1);
    ck_assert_int_eq(gor_fd_wait(P[0], GOR_READ | GOR_WRITE, -1), GOR_READ);
}
END_TEST

static atomic_int pongs;

static void ponger(void *arg)
{
    int *fds = arg;
    char c;
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(gor_fd_wait(fds[0], GOR_READ, -1), GOR_READ);
        ck_assert_int_eq(read(fds[0], &c, 1), 1);
        ck_assert_int_eq(write(fds[3], &c, 1), 1);
        atomic_fetch_add(&pongs, 1);
    }
}

static void pingpong_main(void *arg)
{
    int fds[4];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(pipe(fds + 2), 0);
    gor_wg wg = GOR_WG_INIT;
    gt_go_wg(&wg, ponger, fds);
    char c = 'p';
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(write(fds[1], &c, 1), 1);
        ck_assert_int_eq(gor_fd_wait(fds[2], GOR_READ, -1), GOR_READ);
        ck_assert_int_eq(read(fds[2], &c, 1), 1);
    }
    gor_wg_wait(&wg);
    ck_assert_int_eq(atomic_load(&pongs), 200);
    (void)arg;
}

START_TEST(tasks_ping_pong_over_pipes)
{
    gt_run(_i, pingpong_main, NULL);
}
END_TEST

/* Registrations outlive a wait (re-armed per wait): a closed fd, and an fd number reused for
 * another pipe while the old pipe lives on through a dup, must behave like fresh fds. */
static void reuse_main(void *arg)
{
    int a[2], b[2];
    ck_assert_int_eq(pipe(a), 0);
    ck_assert_int_eq(gor_fd_wait(a[0], GOR_READ, 5 * GT_MS), 0); /* left armed by the timeout */
    int keep = dup(a[0]);                                        /* pipe a outlives its fd */
    ck_assert_int_ge(keep, 0);
    ck_assert_int_eq(pipe(b), 0);
    int n = a[0];
    close(n);
    ck_assert_int_eq(gor_fd_wait(n, GOR_READ, 5 * GT_MS), -1); /* closed: an error, no hang */
    ck_assert_int_eq(errno, EBADF);
    ck_assert_int_eq(dup2(b[0], n), n); /* the old number, now pipe b */
    close(b[0]);
    b[0] = n;
    ck_assert_int_eq(write(a[1], "x", 1), 1); /* readiness of the old pipe, not the new one */
    ck_assert_int_eq(gor_fd_wait(n, GOR_READ, 20 * GT_MS), 0);
    ck_assert_int_eq(write(b[1], "y", 1), 1);
    ck_assert_int_eq(gor_fd_wait(n, GOR_READ, 10000 * GT_MS), GOR_READ);
    char c;
    ck_assert_int_eq(read(n, &c, 1), 1);
    ck_assert_int_eq(c, 'y');
    ck_assert_int_eq(gor_fd_wait(n, GOR_READ, 5 * GT_MS), 0); /* drained: re-armed, not ready */
    for (int i = 0; i < 100; i++) {                           /* many waits on one registration */
        ck_assert_int_eq(write(b[1], "z", 1), 1);
        ck_assert_int_eq(gor_fd_wait(n, GOR_READ, 10000 * GT_MS), GOR_READ);
        ck_assert_int_eq(read(n, &c, 1), 1);
    }
    int d[2]; /* n's last reference goes: the kernel drops the registration (ENOENT path) */
    ck_assert_int_eq(pipe(d), 0);
    ck_assert_int_eq(dup2(d[0], n), n);
    close(d[0]);
    ck_assert_int_eq(write(d[1], "w", 1), 1);
    ck_assert_int_eq(gor_fd_wait(n, GOR_READ, 10000 * GT_MS), GOR_READ);
    ck_assert_int_eq(read(n, &c, 1), 1);
    ck_assert_int_eq(c, 'w');
    close(keep);
    close(a[1]);
    close(n);
    close(b[1]);
    close(d[1]);
    (void)arg;
}

START_TEST(closed_and_reused_fds_are_waited_on_afresh)
{
    gt_run(1 + _i, reuse_main, NULL);
}
END_TEST

Suite *make_gor_fd_suite(void)
{
    Suite *s = suite_create("gor_fd");
    TCase *tc = tcase_create("fd");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, fd_wait_parks_until_ready_or_timeout, 1, 3);
    tcase_add_test(tc, plain_threads_wait_on_fds);
    tcase_add_loop_test(tc, closed_and_reused_fds_are_waited_on_afresh, 0, 2);
    tcase_add_loop_test(tc, tasks_ping_pong_over_pipes, 1, 3);
    suite_add_tcase(s, tc);
    return s;
}
