/*
 * Helpers for the taskleak attach tests: start a scenario program WITHOUT the detector, wait for
 * its "ready" line and for its threads to be asleep (read from /proc, the same place a person
 * would look), run build/bin/taskleak-attach on it and capture what it printed, and check that a
 * process is left running and untraced. Included by check_attach.c and check_rel_attach.c.
 */
#ifndef ATT_HARNESS_H
#define ATT_HARNESS_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

struct att_target {
    pid_t pid;
    int out; /* read end of its stdout */
    char line[256];
};

struct att_result {
    int status; /* exit status, or 128 + signal */
    char out[1 << 16], err[8192];
};

static inline double att_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads one line from fd into buf within timeout_s; 0 or -1. */
static inline int att_read_line(int fd, char *buf, size_t len, double timeout_s)
{
    size_t got = 0;
    double end = att_now() + timeout_s;
    while (got + 1 < len && att_now() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(fd, buf + got, 1);
        if (r <= 0)
            return -1;
        if (buf[got] == '\n')
            break;
        got++;
    }
    buf[got] = 0;
    return got > 0 ? 0 : -1;
}

/* Starts build/tests/scenarios/<prog> (argv1 may be NULL) without the detector and waits for the
 * first line it prints. */
static inline void att_start(struct att_target *t, const char *prog, const char *argv1)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    char path[512];
    snprintf(path, sizeof path, "%s", th_path("tests/scenarios/"));
    strncat(path, prog, sizeof path - strlen(path) - 1);
    t->pid = fork();
    ck_assert_int_ge(t->pid, 0);
    if (t->pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        unsetenv("LD_PRELOAD");
        execl(path, prog, argv1, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    t->out = p[0];
    ck_assert_msg(att_read_line(t->out, t->line, sizeof t->line, 30) == 0, "%s printed nothing",
                  prog);
}

/* The state letter of /proc/PID/task/TID/stat. */
static inline char att_task_state(pid_t pid, pid_t tid)
{
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *c = strrchr(buf, ')');
    return c ? c[2] : 0;
}

/* Waits until `want` threads of pid, or all but `running` of them, sleep (state S). */
static inline void att_wait_asleep(pid_t pid, int want_sleeping)
{
    double end = att_now() + 30;
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
    for (;;) {
        int sleeping = 0;
        FILE *ls = NULL;
        char cmd[128];
        snprintf(cmd, sizeof cmd, "ls %s", dir);
        ls = popen(cmd, "r");
        char tid[32];
        while (ls && fgets(tid, sizeof tid, ls))
            sleeping += att_task_state(pid, atoi(tid)) == 'S';
        if (ls)
            pclose(ls);
        if (sleeping >= want_sleeping)
            return;
        ck_assert_msg(att_now() < end, "process %d: only %d threads asleep", (int)pid, sleeping);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* A number from /proc/PID/status ("TracerPid"), or -1. */
static inline long att_status_field(pid_t pid, const char *field, char *state, size_t slen)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long v = -1;
    size_t fl = strlen(field);
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, field, fl) && line[fl] == ':')
            v = atol(line + fl + 1);
        if (state && !strncmp(line, "State:", 6))
            snprintf(state, slen, "%.60s", line + 7);
    }
    if (f)
        fclose(f);
    return v;
}

/* The target is alive, traced by nobody, and no thread of it is in a tracing stop. */
static inline void att_assert_free(pid_t pid)
{
    char state[64] = "";
    ck_assert_int_eq(att_status_field(pid, "TracerPid", state, sizeof state), 0);
    ck_assert_msg(state[0] != 't' && state[0] != 'T' && state[0] != 'Z', "state %s", state);
    char cmd[128], tid[32];
    snprintf(cmd, sizeof cmd, "ls /proc/%d/task", (int)pid);
    FILE *ls = popen(cmd, "r");
    while (ls && fgets(tid, sizeof tid, ls)) {
        char s = att_task_state(pid, atoi(tid));
        ck_assert_msg(s != 't' && s != 'T', "thread %s of %d left in state %c", tid, (int)pid, s);
    }
    if (ls)
        pclose(ls);
}

static inline void att_kill(struct att_target *t)
{
    kill(t->pid, SIGKILL);
    waitpid(t->pid, NULL, 0);
    close(t->out);
}

/* Drains fd into buf (NUL-terminated) until EOF. */
static inline void att_drain(int fd, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t r;
    while (got + 1 < len && (r = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = 0;
}

/* Starts taskleak-attach with args (NULL-terminated); *out and *err are its pipes. */
static inline pid_t att_spawn(const char *const *args, int *out, int *err)
{
    int o[2], e[2];
    ck_assert_int_eq(pipe(o), 0);
    ck_assert_int_eq(pipe(e), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(o[1], 1);
        dup2(e[1], 2);
        close(o[0]);
        close(e[0]);
        close(o[1]);
        close(e[1]);
        const char *argv[16] = {"taskleak-attach"};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        execv(th_path("bin/taskleak-attach"), (char *const *)argv);
        _exit(127);
    }
    close(o[1]);
    close(e[1]);
    *out = o[0];
    *err = e[0];
    return pid;
}

/* Runs taskleak-attach to completion. */
static inline void att_run(struct att_result *r, const char *const *args)
{
    int out, err;
    pid_t pid = att_spawn(args, &out, &err);
    att_drain(out, r->out, sizeof r->out);
    att_drain(err, r->err, sizeof r->err);
    close(out);
    close(err);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A fresh report directory under /tmp. */
static inline void att_tmpdir(char *buf, size_t len)
{
    snprintf(buf, len, "/tmp/tl-attach-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(buf));
}

static inline json_t *att_load_report(const char *dir, pid_t pid)
{
    char path[512];
    snprintf(path, sizeof path, "%s/taskleak.%d.attach.json", dir, (int)pid);
    json_error_t je;
    json_t *rep = json_load_file(path, 0, &je);
    ck_assert_msg(rep != NULL, "%s: %s", path, je.text);
    return rep;
}

static inline void att_rmdir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

#endif
