/*
 * Timed waits across a wall-clock jump (reliability case 37).
 *
 * Seven threads wait at once: five in timed or sleeping calls that must run to their timeout
 * (pthread_cond_timedwait, sem_timedwait and pthread_mutex_timedlock with CLOCK_REALTIME
 * deadlines, nanosleep, clock_nanosleep on CLOCK_REALTIME absolute and CLOCK_MONOTONIC
 * relative), and two in durable waits that main ends after DURABLE_MS (a condition nobody else
 * signals, and a join). Run with librelclockshim.so, the wall clock jumps while they all wait.
 *
 * Deadlines are computed from the kernel's realtime clock (a raw syscall), the clock the kernel
 * measures them against, so they are right whichever side of the jump they were taken on; what
 * reads the clock through libc (the detector, and the last line here) sees the jump.
 *
 * With "dump" as argument main asks the detector for a dump (taskleak_dump) while every thread
 * waits, after the jump. Output, in a fixed order, one line per wait:
 *   <call> rc=<symbolic result> waited-enough=<yes|no>
 * ("yes" when the monotonic time spent is at least the timeout and under a minute), then
 *   wall clock jumped: <yes|no>      (libc's CLOCK_REALTIME is over an hour off the kernel's)
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "taskleak.h"

#define DURABLE_MS 1600 /* how long main keeps the durable waits going */
#define DUMP_AT_MS                                                                                 \
    800 /* when main asks for a dump: after the shim's jump (500 ms), before any timeout */

enum { W_COND, W_SEM, W_MUTEX, W_NANOSLEEP, W_CLOCK_RT, W_CLOCK_MONO, W_COND_DURABLE, W_JOIN, W_N };

struct wait_result {
    const char *call; /* written by the thread before it returns; main reads after join */
    const char *rc;
    long long waited_ms;
    long long want_ms;
};

static struct wait_result g_res[W_N];
static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;     /* guards g_cond's waits and g_go */
static pthread_cond_t g_timed = PTHREAD_COND_INITIALIZER;   /* never signalled */
static pthread_cond_t g_durable = PTHREAD_COND_INITIALIZER; /* main signals it after DURABLE_MS */
static int g_go;                                            /* under g_m */
static pthread_mutex_t g_held = PTHREAD_MUTEX_INITIALIZER;  /* main holds it throughout */
static sem_t g_sem;                                         /* never posted */
static pthread_t g_sleeper; /* the nanosleep thread, joined by W_JOIN */

static long long kernel_ns(clockid_t id)
{
    struct timespec ts;
    syscall(SYS_clock_gettime, id, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A CLOCK_REALTIME absolute deadline ms from now, by the kernel's clock. */
static struct timespec deadline_in(long long ms)
{
    long long t = kernel_ns(CLOCK_REALTIME) + ms * 1000000LL;
    return (struct timespec){.tv_sec = t / 1000000000LL, .tv_nsec = t % 1000000000LL};
}

static const char *errname(int e)
{
    switch (e) {
    case 0:
        return "0";
    case ETIMEDOUT:
        return "ETIMEDOUT";
    case EINTR:
        return "EINTR";
    case EINVAL:
        return "EINVAL";
    default:
        return "other";
    }
}

/* Runs one wait and records it; `run` returns the call's result as an errno value (0 = ok). */
static void measure(int slot, const char *call, long long want_ms, int (*run)(long long))
{
    long long t0 = kernel_ns(CLOCK_MONOTONIC);
    int e = run(want_ms);
    g_res[slot] = (struct wait_result){call, errname(e),
                                       (kernel_ns(CLOCK_MONOTONIC) - t0) / 1000000, want_ms};
}

static int run_cond(long long ms)
{
    struct timespec d = deadline_in(ms);
    pthread_mutex_lock(&g_m);
    int rc;
    do /* nobody signals g_timed: a 0 would be spurious; wait on to the deadline */
        rc = pthread_cond_timedwait(&g_timed, &g_m, &d);
    while (rc == 0);
    pthread_mutex_unlock(&g_m);
    return rc;
}

static int run_sem(long long ms)
{
    struct timespec d = deadline_in(ms);
    int rc;
    while ((rc = sem_timedwait(&g_sem, &d)) < 0 && errno == EINTR)
        ;
    return rc < 0 ? errno : 0;
}

static int run_mutex(long long ms)
{
    struct timespec d = deadline_in(ms);
    int rc = pthread_mutex_timedlock(&g_held, &d);
    if (rc == 0)
        pthread_mutex_unlock(&g_held);
    return rc;
}

static int run_nanosleep(long long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000}, left;
    while (nanosleep(&d, &left) < 0 && errno == EINTR)
        d = left;
    return 0;
}

static int run_clock_rt(long long ms)
{
    struct timespec d = deadline_in(ms);
    int rc;
    while ((rc = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &d, NULL)) == EINTR)
        ;
    return rc;
}

static int run_clock_mono(long long ms)
{
    long long t = kernel_ns(CLOCK_MONOTONIC) + ms * 1000000LL;
    struct timespec d = {t / 1000000000LL, t % 1000000000LL};
    int rc;
    while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &d, NULL)) == EINTR)
        ;
    return rc;
}

static int run_cond_durable(long long ms)
{
    (void)ms;
    pthread_mutex_lock(&g_m);
    while (!g_go)
        pthread_cond_wait(&g_durable, &g_m);
    pthread_mutex_unlock(&g_m);
    return 0;
}

static int run_join(long long ms)
{
    (void)ms;
    return pthread_join(g_sleeper, NULL);
}

struct job {
    int slot;
    const char *call;
    long long want_ms;
    int (*run)(long long);
};

static const struct job JOBS[W_N] = {
    [W_COND] = {W_COND, "pthread_cond_timedwait", 2000, run_cond},
    [W_SEM] = {W_SEM, "sem_timedwait", 1500, run_sem},
    [W_MUTEX] = {W_MUTEX, "pthread_mutex_timedlock", 1500, run_mutex},
    [W_NANOSLEEP] = {W_NANOSLEEP, "nanosleep", 1200, run_nanosleep},
    [W_CLOCK_RT] = {W_CLOCK_RT, "clock_nanosleep(REALTIME,ABSTIME)", 1000, run_clock_rt},
    [W_CLOCK_MONO] = {W_CLOCK_MONO, "clock_nanosleep(MONOTONIC,ABSTIME)", 1000, run_clock_mono},
    [W_COND_DURABLE] = {W_COND_DURABLE, "pthread_cond_wait", 0, run_cond_durable},
    [W_JOIN] = {W_JOIN, "pthread_join", 0, run_join},
};

static void *waiter(void *arg)
{
    const struct job *j = arg;
    measure(j->slot, j->call, j->want_ms, j->run);
    return NULL;
}

static void sleep_ms(long long ms)
{
    struct timespec d = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&d, &d) < 0 && errno == EINTR)
        ;
}

static void print_results(void)
{
    for (int i = 0; i < W_N; i++) {
        const struct wait_result *r = &g_res[i];
        int enough = r->waited_ms >= r->want_ms && r->waited_ms < 60000;
        printf("%s rc=%s waited-enough=%s\n", r->call, r->rc, enough ? "yes" : "no");
    }
    struct timespec libc_rt;
    clock_gettime(CLOCK_REALTIME, &libc_rt); /* through libc: a clock shim answers this */
    long long off = (long long)libc_rt.tv_sec - kernel_ns(CLOCK_REALTIME) / 1000000000LL;
    printf("wall clock jumped: %s\n", off > 3600 || off < -3600 ? "yes" : "no");
}

int main(int argc, char **argv)
{
    pthread_t t[W_N];
    int dump = argc > 1 && strcmp(argv[1], "dump") == 0;

    sem_init(&g_sem, 0, 0);
    pthread_mutex_lock(&g_held);
    for (int i = 0; i < W_N; i++) {
        pthread_create(&t[i], NULL, waiter, (void *)&JOBS[i]);
        if (i == W_NANOSLEEP)
            g_sleeper = t[i]; /* written before the joiner (created later) starts */
    }
    sleep_ms(DUMP_AT_MS);
    if (dump)
        taskleak_dump();
    sleep_ms(DURABLE_MS - DUMP_AT_MS);
    pthread_mutex_lock(&g_m);
    g_go = 1;
    pthread_cond_signal(&g_durable);
    pthread_mutex_unlock(&g_m);
    for (int i = 0; i < W_N; i++)
        if (i != W_NANOSLEEP) /* the joiner thread joins it */
            pthread_join(t[i], NULL);
    pthread_mutex_unlock(&g_held);
    print_results();
    sem_destroy(&g_sem);
    return 0;
}
