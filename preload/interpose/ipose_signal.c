/* Interposers for sigaction and the signal()-like calls: the program keeps its signals.
 *
 * DESIGN. Thin shims (docs/internals.md, Rules every interposer keeps): forward exactly (same
 * arguments, same return value, same
 * errno) and, when the call installed a new disposition successfully, tell tl_dump (which steps
 * aside for the dump signal) and tl_sigreport (which steps aside for SIGHUP, SIGINT, SIGQUIT and
 * SIGTERM). The old action the program gets back is what it would see without us: where the
 * kernel holds tl_sigreport's handler, the action that was there before it (SIG_DFL). glibc's
 * signal, bsd_signal, sysv_signal and sigset reach the kernel through its internal sigaction, not
 * through our wrapper, so each needs its own shim. Nothing here records or blocks.
 */
#include <errno.h>
#include <signal.h>

#include "ipose.h"
#include "tl_dump.h"
#include "tl_sigreport.h"

static void installed(int sig, void (*handler)(int))
{
    tl_dump_program_installed(sig, handler);
    tl_sigreport_program_installed(sig);
}

TL_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int (*real)(int, const struct sigaction *, struct sigaction *) = tl_dump_real_sigaction();
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    void (*handler)(int) = act ? act->sa_handler : SIG_DFL; /* union: sa_sigaction alike */
    int rc = real(sig, act, old);
    if (rc == 0) {
        int saved = errno;
        if (act != NULL)
            installed(sig, handler);
        tl_sigreport_view(sig, old);
        errno = saved;
    }
    return rc;
}

/* What a signal()-like call returns: the old handler as the program would see it. */
static void (*after(int sig, void (*handler)(int), void (*old)(int)))(int)
{
    if (old == SIG_ERR)
        return old;
    int saved = errno;
    if (handler != SIG_HOLD)
        installed(sig, handler);
    old = tl_sigreport_view_handler(sig, old);
    errno = saved;
    return old;
}

TL_EXPORT void (*signal(int sig, void (*handler)(int)))(int)
{
    void (*(*real)(int, void (*)(int)))(int) = tl_dump_real_signal();
    if (real == NULL) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    return after(sig, handler, real(sig, handler));
}

/* bsd_signal, sysv_signal, sigset: the same shim over the real-function table. */
#define SIGNAL_LIKE(name)                                                                          \
    TL_EXPORT void (*name(int sig, void (*handler)(int)))(int)                                     \
    {                                                                                              \
        tl_enter();                                                                                \
        if (tl_real.name == NULL) {                                                                \
            errno = ENOSYS;                                                                        \
            return SIG_ERR;                                                                        \
        }                                                                                          \
        return after(sig, handler, tl_real.name(sig, handler));                                    \
    }

void (*bsd_signal(int sig, void (*handler)(int)))(int); /* glibc declares it only for old X/Open */
SIGNAL_LIKE(bsd_signal)
SIGNAL_LIKE(sysv_signal)
SIGNAL_LIKE(sigset)
