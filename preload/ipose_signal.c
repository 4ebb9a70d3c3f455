/* Interposers for sigaction and signal: the program keeps the dump signal if it wants it.
 *
 * DESIGN. Thin shims (STYLE item 1): forward exactly (same arguments, same return value, same
 * errno, the old action reported as the kernel holds it) and, when the call installed a new
 * disposition successfully, tell tl_dump, which steps aside for the dump signal. glibc's signal()
 * reaches the kernel through its internal sigaction, not through our wrapper, so it needs its own
 * shim. Nothing here records or blocks.
 */
#include <errno.h>
#include <signal.h>

#include "ipose.h"
#include "tl_dump.h"

TL_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int (*real)(int, const struct sigaction *, struct sigaction *) = tl_dump_real_sigaction();
    if (real == NULL) {
        errno = ENOSYS;
        return -1;
    }
    void (*handler)(int) = act ? act->sa_handler : SIG_DFL; /* union: sa_sigaction alike */
    int rc = real(sig, act, old);
    if (rc == 0 && act != NULL) {
        int saved = errno;
        tl_dump_program_installed(sig, handler);
        errno = saved;
    }
    return rc;
}

TL_EXPORT void (*signal(int sig, void (*handler)(int)))(int)
{
    void (*(*real)(int, void (*)(int)))(int) = tl_dump_real_signal();
    if (real == NULL) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    void (*old)(int) = real(sig, handler);
    if (old != SIG_ERR) {
        int saved = errno;
        tl_dump_program_installed(sig, handler);
        errno = saved;
    }
    return old;
}
