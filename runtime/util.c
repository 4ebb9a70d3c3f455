/*
 * Small services every runtime module uses: a raw stderr logger that never allocates (usable
 * from the scheduler stack, under locks and on the way to abort), panics and assertions, a
 * spinlock, futex wrappers, clocks, a xorshift
 * generator and the one place environment variables are parsed.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "gor_impl.h"

static void vrawlog(const char *prefix, const char *fmt, va_list ap)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s", prefix);
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n +
                 ((size_t)m < sizeof buf - (size_t)n - 1 ? (size_t)m : sizeof buf - (size_t)n - 2);
    buf[len++] = '\n';
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(2, buf + off, len - off);
        if (w <= 0 && errno != EINTR)
            return;
        if (w > 0)
            off += (size_t)w;
    }
}

void gor_rawlog(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vrawlog("", fmt, ap);
    va_end(ap);
}

void gor_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vrawlog("gor: panic: ", fmt, ap);
    va_end(ap);
    abort();
}

void gor_assert_fail(const char *expr, const char *file, int line)
{
    gor_rawlog("gor: internal error: assertion %s failed at %s:%d", expr, file, line);
    abort();
}

static long futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, (uint32_t *)w, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

void gor_futex_wait(_Atomic uint32_t *w, uint32_t val, int64_t timeout_ns)
{
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tsp = &ts;
    }
    futex(w, FUTEX_WAIT, val, tsp);
}

void gor_futex_wake(_Atomic uint32_t *w, int n)
{
    futex(w, FUTEX_WAKE, (uint32_t)n, NULL);
}

void gor_lock_slow(struct gor_lock *l)
{
    for (unsigned spin = 0;; spin++) {
        if (atomic_load_explicit(&l->v, memory_order_relaxed) == 0 &&
            atomic_exchange_explicit(&l->v, 1, memory_order_acquire) == 0)
            return;
        if (spin < 200)
            __builtin_ia32_pause();
        else
            sched_yield();
    }
}

void gor_unlock_cb(void *lock)
{
    gor_unlock(lock);
}

int64_t gor_i_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint64_t gor_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

int64_t gor_env_int(const char *name, int64_t def, int64_t min, int64_t max)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return def;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max) {
        gor_rawlog("gor: ignoring %s=%s (want an integer in [%lld, %lld])", name, v, (long long)min,
                   (long long)max);
        return def;
    }
    return n;
}

GOR_ALIAS(gor_now, gor_i_now);
