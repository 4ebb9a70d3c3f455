/* tl_dump: the dump signal (see tl_dump.h).
 *
 * DESIGN. A signal handler may run on any thread at any instruction, including inside malloc or
 * under one of our locks, so it must not build a report. It only writes to an eventfd (write(2)
 * is async-signal-safe and this fd is ours, CLOEXEC, above the stdio range); the watchdog polls
 * that fd as its sleep, so it wakes at once and builds the dump outside any signal context. The
 * eventfd counts: a burst of 10 000 signals costs 10 000 tiny writes and at most one dump per
 * wake-up, never a queue that grows.
 *
 * Ownership follows the program: the disposition it installs is the one that stays (the
 * interposers forward its sigaction/signal calls unchanged and only tell us); from then on the
 * signal is the program's and we say so once. The real sigaction and signal are resolved here
 * with dlsym(RTLD_NEXT), refusing an answer inside our own object.
 */
#include "tl_dump.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tl_options.h"
#include "tl_file.h"
#include "tl_log.h"
#include "tl_options.h"
#include "tl_real.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef void (*(*signal_fn)(int, void (*)(int)))(int);

static struct {
    _Atomic int efd;   /* eventfd the handler writes; -1 before init; init/atfork write */
    _Atomic int sig;   /* the dump signal, 0 = none; written by init */
    _Atomic bool ours; /* our handler is the installed disposition */
    int said;          /* the "program keeps its handler" line was logged */
    _Atomic(sigaction_fn) real_sigaction; /* resolved once, then read-only */
    _Atomic(signal_fn) real_signal;
} dump = {.efd = -1};

static void *resolve(const char *name)
{
    dlerror();
    void *p = dlsym(RTLD_NEXT, name);
    if (dlerror() != NULL || p == NULL || tl_real_is_self(p))
        return NULL; /* never bind to our own wrapper */
    return p;
}

sigaction_fn tl_dump_real_sigaction(void)
{
    sigaction_fn f = atomic_load_explicit(&dump.real_sigaction, memory_order_acquire);
    if (f == NULL) {
        f = (sigaction_fn)resolve("sigaction");
        atomic_store_explicit(&dump.real_sigaction, f, memory_order_release);
    }
    return f;
}

signal_fn tl_dump_real_signal(void)
{
    signal_fn f = atomic_load_explicit(&dump.real_signal, memory_order_acquire);
    if (f == NULL) {
        f = (signal_fn)resolve("signal");
        atomic_store_explicit(&dump.real_signal, f, memory_order_release);
    }
    return f;
}

void tl_dump_handler(int sig)
{
    (void)sig;
    int saved = errno;
    int fd = atomic_load_explicit(&dump.efd, memory_order_relaxed);
    uint64_t one = 1;
    if (fd >= 0 && write(fd, &one, sizeof one) < 0) {
        /* EAGAIN only when the counter is saturated: a dump is pending anyway */
    }
    errno = saved;
}

static int new_eventfd(void)
{
    return tl_file_fd_above_stdio(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
}

static bool has_disposition(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) != 0 || sa->sa_handler != SIG_DFL;
}

void tl_dump_init(int dump_signal)
{
    int sig = dump_signal, saved = errno;
    sigaction_fn real = tl_dump_real_sigaction();
    struct sigaction old;
    if (sig <= 0 || sig >= NSIG || real == NULL || real(sig, NULL, &old) < 0)
        goto out;
    if (has_disposition(&old)) {
        tl_logf("the program already handles %s: it keeps it, and dumps by signal are off "
                "(choose another with dump_signal=)",
                tl_signal_name(sig));
        dump.said = 1;
        goto out;
    }
    atomic_store(&dump.efd, new_eventfd());
    if (atomic_load(&dump.efd) < 0)
        goto out;
    atomic_store(&dump.sig, sig);
    atomic_store(&dump.ours, true); /* before the handler exists: an early program call wins */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tl_dump_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART; /* only calls that always see EINTR (sleeps, poll) see it */
    if (real(sig, &sa, NULL) < 0)
        atomic_store(&dump.ours, false);
out:
    errno = saved;
}

void tl_dump_program_installed(int sig, void (*handler)(int))
{
    if (sig == 0 || sig != atomic_load(&dump.sig))
        return;
    bool mine = handler == tl_dump_handler; /* the program restoring what it saved from us */
    if (atomic_exchange(&dump.ours, mine) && !mine)
        tl_warn_once(&dump.said,
                     "the program installed its own handler for %s: it keeps it, and dumps by "
                     "signal are off (choose another with dump_signal=)",
                     tl_signal_name(sig));
}

int tl_dump_wait(int timeout_ms, int also_fd)
{
    struct pollfd p[2] = {{.fd = atomic_load(&dump.efd), .events = POLLIN},
                          {.fd = also_fd, .events = POLLIN}};
    int (*poll_fn)(struct pollfd *, nfds_t, int) = tl_real.poll ? tl_real.poll : poll;
    if (poll_fn(p, 2, timeout_ms) <= 0 || p[0].fd < 0 || !(p[0].revents & POLLIN))
        return 0;
    eventfd_t n = 0;
    if (eventfd_read(p[0].fd, &n) < 0)
        return 0;
    return n > (eventfd_t)INT32_MAX ? INT32_MAX : (int)n;
}

void tl_dump_atfork_child(void)
{
    int old = atomic_exchange(&dump.efd, -1);
    if (old < 0)
        return;
    close(old);
    atomic_store(&dump.efd, new_eventfd());
}
