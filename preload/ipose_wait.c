/* Interposers: sleeps, signal waits and raw futex waits (DESIGN.md section 1).
 *
 * DESIGN. A sleep is always a wait (nothing to probe), except a zero-length one, which is
 * forwarded without a record. Signal waits are external: only a signal ends them. syscall(2) is
 * forwarded with six long arguments (the x86-64 convention glibc's own syscall uses) and
 * bracketed only for SYS_futex wait operations; the futex word is never read by us (a bad
 * address must fail in the kernel with EFAULT, not crash in the wrapper).
 */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ipose.h"

#define BRACKET(reason, call, obj, durable, expr)                                                  \
    do {                                                                                           \
        struct tl_unit *u_ = tl_block_begin(reason, call, obj, durable);                           \
        rc = (expr);                                                                               \
        tl_block_end(u_);                                                                          \
    } while (0)

static bool zero_ts(const struct timespec *t)
{
    return t != NULL && t->tv_sec == 0 && t->tv_nsec == 0;
}

TL_EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    tl_enter();
    int rc;
    if (zero_ts(req))
        return tl_real.nanosleep(req, rem);
    BRACKET("sleep", "nanosleep", NULL, false, tl_real.nanosleep(req, rem));
    return rc;
}

TL_EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req,
                              struct timespec *rem)
{
    tl_enter();
    int rc;
    if (zero_ts(req))
        return tl_real.clock_nanosleep(clk, flags, req, rem);
    BRACKET("sleep", "clock_nanosleep", NULL, false, tl_real.clock_nanosleep(clk, flags, req, rem));
    return rc;
}

TL_EXPORT int usleep(useconds_t us)
{
    tl_enter();
    int rc;
    if (us == 0)
        return tl_real.usleep(us);
    BRACKET("sleep", "usleep", NULL, false, tl_real.usleep(us));
    return rc;
}

TL_EXPORT unsigned sleep(unsigned secs)
{
    tl_enter();
    unsigned rc;
    if (secs == 0)
        return tl_real.sleep(secs);
    BRACKET("sleep", "sleep", NULL, false, tl_real.sleep(secs));
    return rc;
}

TL_EXPORT int pause(void)
{
    tl_enter();
    int rc;
    BRACKET("signal wait", "pause", NULL, false, tl_real.pause());
    return rc;
}

TL_EXPORT int sigsuspend(const sigset_t *mask)
{
    tl_enter();
    int rc;
    BRACKET("signal wait", "sigsuspend", NULL, false, tl_real.sigsuspend(mask));
    return rc;
}

TL_EXPORT int sigwait(const sigset_t *set, int *sig)
{
    tl_enter();
    int rc;
    BRACKET("signal wait", "sigwait", set, false, tl_real.sigwait(set, sig));
    return rc;
}

TL_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
    tl_enter();
    int rc;
    BRACKET("signal wait", "sigwaitinfo", set, false, tl_real.sigwaitinfo(set, info));
    return rc;
}

TL_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *t)
{
    tl_enter();
    int rc;
    if (zero_ts(t))
        return tl_real.sigtimedwait(set, info, t);
    BRACKET("signal wait", "sigtimedwait", set, false, tl_real.sigtimedwait(set, info, t));
    return rc;
}

static bool futex_waits(long op)
{
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_WAIT_REQUEUE_PI:
        return true;
    default:
        return false;
    }
}

TL_EXPORT long syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (nr != SYS_futex || !futex_waits(a[1])) {
        if (__builtin_expect(tl_real.syscall == NULL, 0))
            tl_real_init(); /* not tl_enter: the initialisation itself may get here */
        return tl_real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    tl_enter();
    long rc; /* an untimed futex wait only ends when someone in the process wakes it */
    BRACKET("futex", "syscall(SYS_futex)", (void *)a[0], a[3] == 0,
            tl_real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
    return rc;
}
