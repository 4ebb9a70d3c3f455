/* tl_sigreport: the signal report (see tl_sigreport.h).
 *
 * DESIGN. The handler may run on any thread at any instruction (inside malloc, under one of our
 * locks), so it only does async-signal-safe things: atomics, write(2) to an eventfd, nanosleep,
 * sigaction, sigprocmask, tgkill. One request per process: the first signal's handler claims
 * `requested` and wakes the watchdog, which builds the report outside any signal context (the same
 * thread that serves dumps); every handler, the first and any later one, then waits until the
 * report is done or SIGREPORT_WAIT_MS has passed, and ends the process with its own signal at the
 * default disposition. If the watchdog cannot get a lock the interrupted thread holds, the wait
 * runs out and the process still dies as it should: a report is a bonus, the exit status is not.
 *
 * Without a watchdog the handler's own thread builds the report, and only from a safe place: an
 * open bracket (tl_block.h) means the thread sits in a real blocking call made by one of our
 * wrappers, where it holds neither our locks nor the allocator's; no report is being built by
 * this process at that moment (a taskleak_check blocked on a lock, say); and the thread is the
 * process's only one, so nobody else holds a lock the report would wait for (this build has no
 * bound: the handler's thread is the one building).
 *
 * Ownership follows the program, as for the dump signal: `ours[i]` is true while our handler is
 * the disposition and the program has not set one; the program's first setting clears it for
 * good. `view[i]` is the action the kernel held before ours (SIG_DFL with its flags and mask),
 * returned to a program that asks.
 */
#include "tl_sigreport.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "tl_block.h"
#include "tl_ctx.h"
#include "tl_dump.h"
#include "tl_file.h"
#include "tl_group.h"
#include "tl_log.h"
#include "tl_real.h"
#include "tl_registry.h"
#include "tl_report.h"
#include "tl_text.h"
#include "tl_thread.h"

#define NFATAL            4
#define SIGREPORT_WAIT_MS 5000 /* longest the dying process waits for its report */
#define NAP_NS            2000000

enum { IDLE, REQUESTED, BUILDING, DONE };

static const int fatal[NFATAL] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};

static struct {
    _Atomic bool ours[NFATAL];     /* our handler is installed and the program set nothing */
    struct sigaction view[NFATAL]; /* the action before ours; written by init only */
    _Atomic int efd;               /* wakes the watchdog; -1 when none */
    _Atomic int requested;         /* the signal whose report was asked for, 0 none */
    _Atomic int state;             /* IDLE, REQUESTED, BUILDING, DONE */
} sr = {.efd = -1};

static int slot(int sig)
{
    for (int i = 0; i < NFATAL; i++)
        if (fatal[i] == sig)
            return i;
    return -1;
}

bool tl_sigreport_covers(int sig)
{
    return slot(sig) >= 0;
}

static bool is_default(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) == 0 && sa->sa_handler == SIG_DFL;
}

static const struct tl_options *opt; /* tl_sigreport_init, at start-up; read-only */
static struct tl_supp *supp;         /* tl_sigreport_init: the suppressions, NULL for none */

void tl_sigreport_init(const struct tl_options *o, struct tl_supp *s)
{
    int saved = errno;
    opt = o;
    supp = s;
    int (*real)(int, const struct sigaction *, struct sigaction *) = tl_dump_real_sigaction();
    struct sigaction ours;
    memset(&ours, 0, sizeof ours);
    ours.sa_handler = tl_sigreport_handler;
    sigemptyset(&ours.sa_mask);
    for (int i = 0; i < NFATAL; i++)
        sigaddset(&ours.sa_mask, fatal[i]); /* one handler at a time per thread */
    ours.sa_flags = SA_RESTART;             /* it never returns to the interrupted call anyway */
    for (int i = 0; real != NULL && i < NFATAL; i++) {
        int sig = fatal[i];
        if (sig == opt->dump_signal || real(sig, NULL, &sr.view[i]) < 0 || !is_default(&sr.view[i]))
            continue; /* the dump signal, or a disposition the program inherited: not ours */
        atomic_store(&sr.ours[i], true); /* before the handler exists: a program call wins */
        if (real(sig, &ours, NULL) < 0)
            atomic_store(&sr.ours[i], false);
    }
    errno = saved;
}

void tl_sigreport_program_installed(int sig)
{
    int i = slot(sig);
    if (i >= 0)
        atomic_store(&sr.ours[i], false);
}

void tl_sigreport_view(int sig, struct sigaction *old)
{
    int i = slot(sig);
    if (i >= 0 && old != NULL && (old->sa_flags & SA_SIGINFO) == 0 &&
        old->sa_handler == tl_sigreport_handler)
        *old = sr.view[i];
}

void (*tl_sigreport_view_handler(int sig, void (*old)(int)))(int)
{
    int i = slot(sig);
    return i >= 0 && old == tl_sigreport_handler ? sr.view[i].sa_handler : old;
}

int tl_sigreport_fd(void)
{
    int fd = atomic_load(&sr.efd);
    if (fd < 0) { /* first call, on the watchdog thread: a process without one needs no fd */
        fd = tl_file_fd_above_stdio(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        atomic_store(&sr.efd, fd);
    }
    return fd;
}

/* ---- building (report context: malloc, locks, files) -------------------------------------- */

static void build(int sig)
{
    struct tl_report r;
    atomic_fetch_add(&tl_ctx.reporting, 1);
    if (tl_report_build(&r, TL_BUILD_SIGNAL, 0, opt, supp) == 0) {
        r.signal = sig;
        int err = tl_log_stderr_fd();
        if (sig == SIGQUIT && err >= 0 && err != tl_log_fd())
            tl_text_write(&r, err); /* Go's SIGQUIT: the dump on stderr first */
        if (tl_report_emit(&r) == 0 && opt->report[0] != '\0') {
            char dir[TL_OPT_PATH_MAX];
            if (tl_options_expand_path(opt->report, dir, sizeof dir) >= 0)
                tl_logf("%s: signal report written to %s/taskleak.%d.signal.json",
                        tl_signal_name(sig), dir, (int)getpid());
        }
        tl_report_free(&r);
    }
    atomic_fetch_sub(&tl_ctx.reporting, 1);
}

void tl_sigreport_serve(void)
{
    int fd = atomic_load(&sr.efd);
    eventfd_t n;
    if (fd >= 0)
        eventfd_read(fd, &n); /* nonblocking: consumes a wake-up, if any */
    int expect = REQUESTED;
    if (!atomic_compare_exchange_strong(&sr.state, &expect, BUILDING))
        return;
    build(atomic_load(&sr.requested));
    atomic_store(&sr.state, DONE);
}

/* ---- the handler (async-signal-safe) ------------------------------------------------------ */

/* The thread sits in a real blocking call of a wrapper, no report is being built, and it is the
 * process's only thread: no other thread can hold a lock the report needs (an allocator's own
 * pthread mutex, say), so building here cannot hang where the process should die. */
static bool safe_here(void)
{
    struct tl_unit *u = tl_registry_self();
    return u != NULL && u->in_block && atomic_load(&tl_ctx.reporting) == 0 &&
           tl_thread_count() == 1;
}

/* The first signal: has the report built, by the watchdog when there is one. */
static void request(int sig)
{
    int fd = atomic_load(&sr.efd);
    uint64_t one = 1;
    atomic_store(&sr.state, REQUESTED);
    if (atomic_load(&tl_ctx.watchdog_tid) != 0) {
        /* Its eventfd wakes it at once; a watchdog that has not made the eventfd yet (it was
         * started a moment ago) finds the request when its first slice ends, well within the
         * handler's wait. */
        if (fd >= 0 && write(fd, &one, sizeof one) != sizeof one)
            tl_rawf("taskleak: %s: cannot wake the watchdog; its next look builds the report\n",
                    tl_signal_name(sig));
        return;
    }
    int expect = REQUESTED;
    if (!safe_here() || !atomic_compare_exchange_strong(&sr.state, &expect, BUILDING)) {
        tl_rawf("taskleak: %s: no signal report: the thread that took it was not in a wait and no "
                "watchdog thread runs\n",
                tl_signal_name(sig));
        atomic_store(&sr.state, DONE);
        return;
    }
    build(sig);
    atomic_store(&sr.state, DONE);
}

static void wait_done(void)
{
    struct timespec nap = {0, NAP_NS};
    int64_t deadline = tl_now_ns() + (int64_t)SIGREPORT_WAIT_MS * 1000000;
    while (atomic_load(&sr.state) != DONE && tl_now_ns() < deadline && tl_real.nanosleep)
        tl_real.nanosleep(&nap, NULL); /* not through our wrapper: no wait recorded */
}

/* Default disposition, the signal unblocked on this thread, and raised at it: the process ends
 * here as if we had never been there. */
static void die(int sig)
{
    int (*real)(int, const struct sigaction *, struct sigaction *) = tl_dump_real_sigaction();
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    tl_sigreport_program_installed(sig);
    if (real != NULL)
        real(sig, &dfl, NULL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    tgkill(getpid(), gettid(), sig);
}

void tl_sigreport_handler(int sig)
{
    int saved = errno;
    int expect = 0;
    bool reporting = atomic_load(&tl_ctx.state) == TL_CTX_ON && !atomic_load(&tl_ctx.gate_ran);
    if (reporting && atomic_compare_exchange_strong(&sr.requested, &expect, sig))
        request(sig);
    if (reporting)
        wait_done();
    die(sig);
    errno = saved; /* only reached if the program set a handler meanwhile */
}

void tl_sigreport_atfork_child(void)
{
    int old = atomic_exchange(&sr.efd, -1); /* the child's watchdog makes its own */
    if (old >= 0)
        close(old);
    atomic_store(&sr.requested, 0);
    atomic_store(&sr.state, IDLE);
}
