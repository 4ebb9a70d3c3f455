/*
 * Stopping every thread of a process, and letting it go again whatever happens.
 *
 * Each thread is seized (PTRACE_SEIZE: no signal is sent, the program sees nothing) and then
 * interrupted (PTRACE_INTERRUPT), and the tool waits for each to report its stop. A thread created
 * while this goes on appears in /proc/PID/task afterwards; the list is read again until a pass
 * finds no new thread, and then none can be born (all are stopped). What the tool holds is kept
 * in a fixed table of sig_atomic_t states, so the release can run from a signal handler: SIGINT,
 * SIGTERM, SIGHUP and a watchdog SIGALRM all detach every held thread and exit 125. A SIGKILL
 * cannot be caught, but the kernel detaches the tracees of a tracer that dies (they run on).
 * A signal that arrives for a thread while it is stopped is handed back on the detach, so the
 * program still receives it.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "attach_proc.h"
#include "tl_vec.h"

#define MAX_HELD 32768

enum { H_NONE, H_SEIZED, H_STOPPED, H_GONE };

static struct {
    volatile sig_atomic_t n;
    volatile sig_atomic_t state[MAX_HELD];
    volatile sig_atomic_t tid[MAX_HELD];
    volatile sig_atomic_t sig[MAX_HELD]; /* signal to hand back on detach */
    volatile sig_atomic_t pid;
    struct timespec first; /* first interrupt */
} held;

static double ms_since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static int slot_of(pid_t tid)
{
    for (int k = 0; k < held.n; k++)
        if (held.tid[k] == tid)
            return k;
    return -1;
}

/* Records one wait status of a held thread. */
static void note_event(int k, int st)
{
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
        held.state[k] = H_GONE;
    } else if (WIFSTOPPED(st) && held.state[k] == H_SEIZED) {
        /* PTRACE_EVENT_STOP is our interrupt (or a group stop); any other stop is a signal on
         * its way to the program, handed back on the detach. */
        if ((st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP)
            held.sig[k] = WSTOPSIG(st);
        held.state[k] = H_STOPPED;
    }
}

/* Collects wait events of any held thread until thread k has stopped or gone. Waiting for any
 * thread, not for k alone: when the process is exiting, a thread group leader is reported only
 * after every other traced thread has been reaped, so waiting for it alone would never end. */
static void wait_stop(int k)
{
    int st;
    while (held.state[k] == H_SEIZED) {
        pid_t r = waitpid(-1, &st, __WALL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) { /* ECHILD: nothing left to report; whatever is still seized is gone */
            for (int j = 0; j < held.n; j++)
                if (held.state[j] == H_SEIZED)
                    held.state[j] = H_GONE;
            return;
        }
        int j = slot_of(r);
        if (j >= 0)
            note_event(j, st);
    }
}

/* Async-signal-safe: only syscalls and the sig_atomic_t table. */
static void release_one(int k)
{
    if (held.state[k] == H_SEIZED) {
        ptrace(PTRACE_INTERRUPT, held.tid[k], 0, 0);
        wait_stop(k);
    }
    if (held.state[k] == H_STOPPED) {
        ptrace(PTRACE_DETACH, held.tid[k], 0, (void *)(long)held.sig[k]);
        held.state[k] = H_GONE;
    }
}

static void release_table(void)
{
    for (int k = 0; k < held.n; k++)
        release_one(k);
}

void tla_release_all(struct tla_proc *p)
{
    release_table();
    if (held.first.tv_sec != 0 || held.first.tv_nsec != 0)
        p->stop_ms = ms_since(&held.first);
}

static void put(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

static void put_num(long v)
{
    char b[24];
    int i = sizeof b - 1;
    b[i] = 0;
    do
        b[--i] = (char)('0' + v % 10);
    while ((v /= 10) > 0 && i > 0);
    put(b + i);
}

static void on_signal(int sig)
{
    release_table();
    put("taskleak attach: ");
    put(sig == SIGALRM   ? "took too long"
        : sig == SIGINT  ? "interrupted (SIGINT)"
        : sig == SIGTERM ? "terminated (SIGTERM)"
                         : "hung up (SIGHUP)");
    if (held.pid > 0) {
        put("; process ");
        put_num(held.pid);
        put(" released, every thread detached");
    }
    put("\n");
    _exit(TLA_EXIT_CANNOT);
}

void tla_guard_install(unsigned alarm_s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask); /* one release at a time */
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGALRM};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    alarm(alarm_s);
}

static struct tla_thread *add_thread(struct tla_proc *p, pid_t tid)
{
    if (TL_VEC_PUSH_SLOT(p->t, p->cap, p->n) != 0)
        return NULL;
    struct tla_thread *t = &p->t[p->n++];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->since_ms = -1;
    t->sysno = -1;
    t->next = -1;
    return t;
}

static bool known(const struct tla_proc *p, pid_t tid)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->t[i].tid == tid)
            return true;
    return false;
}

/* Why the first thread could not be seized, as one line; TLA_EXIT_CANNOT. */
static int seize_refused(pid_t pid, int err)
{
    if (err == ESRCH || !tla_alive(pid))
        return tla_cannot(pid, "it exited during the attach");
    pid_t tracer = tla_tracer(pid);
    if (tracer > 0) {
        char comm[32];
        tla_comm(tracer, comm, sizeof comm);
        return tla_cannot(pid, "it is already traced by process %d (%s); a debugger holds it",
                          (int)tracer, comm);
    }
    if (err == EPERM) {
        char scope[64];
        tla_ptrace_scope(scope, sizeof scope);
        return tla_cannot(pid,
                          "not permitted to trace it (kernel.yama.ptrace_scope is %s; tracing a "
                          "process that is not a child, or another user's, needs CAP_SYS_PTRACE)",
                          scope);
    }
    return tla_cannot(pid, "ptrace refused it: %s", strerror(err));
}

/* Seizes and interrupts thread t (already listed in p). 1 held, 0 gone already, -1 refused
 * (errno). */
static int seize_one(struct tla_thread *t)
{
    if (held.n >= MAX_HELD) {
        errno = E2BIG;
        return -1;
    }
    int k = held.n;
    held.tid[k] = t->tid;
    held.sig[k] = 0;
    held.state[k] = H_NONE;
    held.n = k + 1;
    if (ptrace(PTRACE_SEIZE, t->tid, 0, 0) != 0) {
        int e = errno;
        held.n = k;
        t->tid = 0; /* dropped by wait_all */
        errno = e;
        return e == ESRCH ? 0 : -1;
    }
    held.state[k] = H_SEIZED;
    if (held.first.tv_sec == 0 && held.first.tv_nsec == 0)
        clock_gettime(CLOCK_MONOTONIC, &held.first);
    ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
    return 1;
}

/* Lists the threads of /proc/PID/task not yet in p and reads their /proc state (before any of
 * them is interrupted: that wakes a thread and is part of the stop). The number added, or -1. */
static int list_new(struct tla_proc *p)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)p->pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int added = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || known(p, tid))
            continue;
        struct tla_thread *t = add_thread(p, tid);
        if (t == NULL) {
            closedir(d);
            errno = ENOMEM;
            return -1;
        }
        added++;
    }
    closedir(d);
    for (size_t i = p->n - (size_t)added; i < p->n; i++)
        tla_read_prestop(p->pid, &p->t[i]);
    return added;
}

/* Seizes the threads of /proc/PID/task not yet held; the number seized, or -1 (errno). */
static int seize_pass(struct tla_proc *p)
{
    int added = list_new(p), seized = 0;
    for (size_t i = p->n - (size_t)(added > 0 ? added : 0); added > 0 && i < p->n; i++) {
        int r = seize_one(&p->t[i]);
        if (r < 0 && (i > 0 || held.n > 0) && errno == EPERM)
            continue; /* we hold the leader, so this thread is on its way out (it exits) */
        if (r < 0)
            return -1;
        seized += r;
    }
    return added < 0 ? -1 : seized;
}

/* Waits for every seized thread to stop; drops the ones that exited. */
static void wait_all(struct tla_proc *p)
{
    for (int k = 0; k < held.n; k++)
        wait_stop(k);
    size_t w = 0;
    for (size_t i = 0; i < p->n; i++) {
        int k = -1;
        for (int j = 0; j < held.n && k < 0; j++)
            if (held.tid[j] == p->t[i].tid)
                k = j;
        if (p->t[i].tid != 0 && k >= 0 && held.state[k] == H_STOPPED)
            p->t[w++] = p->t[i];
    }
    p->n = w;
}

int tla_seize_all(struct tla_proc *p)
{
    held.pid = p->pid;
    for (int pass = 0; pass < 100; pass++) {
        int r = seize_pass(p);
        if (r < 0) {
            int e = errno;
            tla_release_all(p);
            if (e == E2BIG)
                return tla_cannot(p->pid, "it has more than %d threads", MAX_HELD);
            return seize_refused(p->pid, e == ENOENT ? ESRCH : e);
        }
        wait_all(p);
        if (r == 0)
            break;
    }
    if (p->n == 0 || !tla_alive(p->pid)) {
        tla_release_all(p);
        return tla_cannot(p->pid, "it exited during the attach");
    }
    return 0;
}
