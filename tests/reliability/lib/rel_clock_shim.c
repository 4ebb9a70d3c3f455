/*
 * A libfaketime-like preload for reliability case 37 (librelclockshim.so): the wall clock jumps
 * partway through a run, as an NTP step, a suspended VM or a hand-set clock makes it.
 *
 * DESIGN. clock_gettime, gettimeofday and time are interposed. Readings of the realtime clocks
 * (CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_TAI and the two function forms) get an offset of
 * REL_CLOCK_JUMP_S seconds (signed) once REL_CLOCK_JUMP_AFTER_MS milliseconds of CLOCK_MONOTONIC
 * have passed since this object was initialised (default 500); before that they are exact.
 * Monotonic clocks are never touched: a monotonic clock that jumps is not a case any system has.
 * Listed before libtaskleak.so in LD_PRELOAD, the detector's own clock reads go through here too.
 * The kernel's timed waits (futex, clock_nanosleep) are not and cannot be shifted: as with
 * libfaketime, only what reads the clock through libc sees the jump.
 *
 * At exit one line goes to stderr: "rel_clock_shim: jump=S shifted=N" (N realtime readings that
 * got the offset), so a test can tell the jump really happened.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static struct {
    long long jump_s;      /* written once by the constructor */
    long long after_ns;    /* monotonic ns after start when the jump takes effect; constructor */
    long long start_ns;    /* monotonic ns at initialisation; constructor */
    unsigned long shifted; /* atomic: readings that got the offset */
} g;

/* The kernel's clock, never through a preload (ours or the detector's). */
static long long raw_ns(clockid_t id)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, id, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

__attribute__((constructor)) static void clock_shim_init(void)
{
    const char *j = getenv("REL_CLOCK_JUMP_S");
    const char *a = getenv("REL_CLOCK_JUMP_AFTER_MS");
    g.jump_s = j ? strtoll(j, NULL, 10) : 0;
    g.after_ns = (a ? strtoll(a, NULL, 10) : 500) * 1000000LL;
    __atomic_store_n(&g.start_ns, raw_ns(CLOCK_MONOTONIC), __ATOMIC_RELEASE);
}

static bool is_realtime(clockid_t id)
{
    return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI;
}

/* The offset in seconds a realtime reading gets now: 0 before the jump. */
static long long offset_now(void)
{
    long long start = __atomic_load_n(&g.start_ns, __ATOMIC_ACQUIRE);
    if (g.jump_s == 0 || start == 0 || raw_ns(CLOCK_MONOTONIC) - start < g.after_ns)
        return 0;
    __atomic_add_fetch(&g.shifted, 1, __ATOMIC_RELAXED);
    return g.jump_s;
}

static clock_gettime_fn real_clock_gettime(void)
{
    static clock_gettime_fn real; /* same value whichever thread stores it */
    clock_gettime_fn f = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    if (f == NULL) {
        *(void **)&f = dlsym(RTLD_NEXT, "clock_gettime");
        __atomic_store_n(&real, f, __ATOMIC_RELEASE);
    }
    return f;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    int rc = real_clock_gettime()(id, ts);
    if (rc == 0 && is_realtime(id))
        ts->tv_sec += offset_now();
    return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    if (tz != NULL)
        memset(tz, 0, sizeof(struct timezone)); /* the obsolete zone: zeros, as glibc gives */
    if (rc == 0) {                              /* glibc declares tv nonnull */
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return rc;
}

time_t time(time_t *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t != NULL)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

__attribute__((destructor)) static void clock_shim_report(void)
{
    char line[128];
    int n = snprintf(line, sizeof line, "rel_clock_shim: jump=%lld shifted=%lu\n", g.jump_s,
                     __atomic_load_n(&g.shifted, __ATOMIC_RELAXED));
    ssize_t unused = write(2, line, (size_t)n);
    (void)unused;
}
