/* Interposers: sleeps, signal waits and raw futex waits (wait reasons: docs/internals.md).
 *
 * DESIGN. A sleep is always a wait (nothing to probe), except a zero-length one, which is
 * forwarded without a record. Signal waits are external: only a signal ends them.
 *
 * syscall(2) is the one variadic wrapper, and C cannot forward a variadic call: it would have to
 * read all six arguments to pass them on, and the sixth lives on the caller's stack, in a slot
 * that a caller passing fewer (libstdc++'s atomic notify passes three) never wrote. So the
 * exported syscall is a stub in assembly (ipose_syscall_jmp.S) that touches neither the argument
 * registers nor the stack and tail-jumps to glibc's syscall, which then reads exactly what it
 * always reads. Only
 * SYS_futex (and the very first call, before the real function is known) detours through
 * tl_wait_syscall_route, which picks the target: glibc again, or futex_wait_syscall for the
 * operations that wait. That C function reads the five register arguments (our own register save
 * area) and the stack one only for FUTEX_WAIT_BITSET, the one wait that takes it; the futex word is
 * never read by us (a bad address must fail in the kernel with EFAULT, not crash in the wrapper).
 */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ipose.h"

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

/* The futex operations that wait (futex(2)); op is an int in the kernel's ABI. */
static bool futex_waits(int op)
{
    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
#ifdef FUTEX_LOCK_PI2 /* Linux 5.14 headers */
    case FUTEX_LOCK_PI2:
#endif
    case FUTEX_WAIT_REQUEUE_PI:
        return true;
    default:
        return false;
    }
}

/* A futex wait, reached from the stub with the caller's registers and stack as they were. After
 * the number come uaddr, op, val, timeout and uaddr2 in registers, and val3 on the stack: of the
 * wait operations only FUTEX_WAIT_BITSET takes val3 (LOCK_PI, LOCK_PI2 and WAIT_REQUEUE_PI ignore
 * it, as the kernel ignores the register arguments an operation does not use). */
static long futex_wait_syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long uaddr = va_arg(ap, long), op = va_arg(ap, long), val = va_arg(ap, long);
    long timeout = va_arg(ap, long), uaddr2 = va_arg(ap, long);
    long val3 = ((int)op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET ? va_arg(ap, long) : 0;
    va_end(ap);
    tl_enter();
    long rc; /* an untimed private futex wait only ends when someone in the process wakes it */
    BRACKET("futex", "syscall(SYS_futex)", (void *)uaddr,
            timeout == 0 && ((int)op & FUTEX_PRIVATE_FLAG) != 0,
            tl_real.syscall(nr, uaddr, op, val, timeout, uaddr2, val3));
    return rc;
}

typedef long (*syscall_fn)(long, ...);

/* Written once by tl_wait_syscall_route (any thread may race to write the same value), read by the
 * stub on every call: glibc's syscall, or NULL until the first call has resolved it. */
syscall_fn tl_wait_syscall_next __asm__("tl_wait_syscall_next");

/* Called by the stub for SYS_futex and while tl_wait_syscall_next is NULL, with the caller's
 * first three arguments (number, then the first two of the system call); returns the function the
 * stub jumps to. AS-safe once the real table is filled; preserves errno. */
syscall_fn tl_wait_syscall_route(long nr, long a1, long op) __asm__("tl_wait_syscall_route");
syscall_fn tl_wait_syscall_route(long nr, long a1, long op)
{
    if (__builtin_expect(tl_real.syscall == NULL, 0)) {
        int saved = errno;
        tl_real_init(); /* not tl_enter: the initialisation itself may get here */
        errno = saved;
    }
    if (__atomic_load_n(&tl_wait_syscall_next, __ATOMIC_RELAXED) == NULL)
        __atomic_store_n(&tl_wait_syscall_next, tl_real.syscall, __ATOMIC_RELAXED);
    if (nr == SYS_futex && futex_waits((int)op))
        return futex_wait_syscall;
    return tl_real.syscall;
}
