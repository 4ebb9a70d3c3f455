/*
 * Soak workloads for the detector (issue 9): the load runs in ten slices and the process's RSS
 * and open fd count are sampled after the first slice (warm: caches and pools filled) and at the
 * end. tests/soak/soak.sh runs it under LD_PRELOAD and judges the figures.
 *
 *   threads N   N pthread create/join cycles (each thread takes a mutex)
 *   signals N   N dump signals (SIGUSR2) to ourselves while two threads loop in wrappers
 *   gor N       N gor tasks spawned and waited for in batches
 * Output: "<mode> n=N rss_warm_kb=A rss_end_kb=B fds_warm=C fds_end=D"
 */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gor.h"

struct sample {
    long rss_kb;
    int fds;
};

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

static int fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n - 1; /* the directory's own fd */
}

/* The fd count is the lowest of a few looks 50 ms apart: a dump the watchdog is still writing
 * holds a file open for a moment, while a leaked fd stays in every look. */
static struct sample take(void)
{
    struct sample s = {rss_kb(), fd_count()};
    for (int i = 0; i < 10; i++) {
        usleep(50000);
        int n = fd_count();
        s.fds = n < s.fds ? n : s.fds;
    }
    return s;
}

static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static volatile int g_stop;

static void *touch(void *arg)
{
    pthread_mutex_lock(&g_m);
    pthread_mutex_unlock(&g_m);
    return arg;
}

static void thread_slice(long n)
{
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, touch, NULL) != 0 || pthread_join(t, NULL) != 0)
            exit(3);
    }
}

static void *busy(void *arg)
{
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    while (!g_stop) {
        struct timespec ts;
        pthread_mutex_lock(&g_m);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c, &g_m, &ts);
        pthread_mutex_unlock(&g_m);
    }
    return arg;
}

static void signal_slice(long n)
{
    for (long i = 0; i < n; i++) {
        kill(getpid(), SIGUSR2);
        usleep(100);
    }
}

static gor_wg g_wg;

static void gor_task(void *arg)
{
    (void)arg;
    gor_yield();
    gor_wg_done(&g_wg);
}

static long g_gor_slice;

static void gor_slice_main(void *arg)
{
    (void)arg;
    for (long done = 0; done < g_gor_slice; done += 1000) {
        long k = g_gor_slice - done < 1000 ? g_gor_slice - done : 1000;
        gor_wg_add(&g_wg, k);
        for (long i = 0; i < k; i++)
            gor_go(gor_task, NULL);
        gor_wg_wait(&g_wg);
    }
}

static void gor_slice(long n)
{
    g_gor_slice = n;
    gor_main(gor_slice_main, NULL);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 2 ? argv[1] : "";
    long n = argc > 2 ? atol(argv[2]) : 0;
    void (*slice)(long) = NULL;
    pthread_t b[2];
    if (strcmp(mode, "threads") == 0)
        slice = thread_slice;
    else if (strcmp(mode, "signals") == 0)
        slice = signal_slice;
    else if (strcmp(mode, "gor") == 0) {
        slice = gor_slice;
        gor_wg_init(&g_wg);
    }
    if (!slice || n < 10)
        return 2;
    if (slice == signal_slice)
        for (int i = 0; i < 2; i++)
            pthread_create(&b[i], NULL, busy, NULL);
    slice(n / 10);
    struct sample warm = take();
    for (int i = 1; i < 10; i++)
        slice(n / 10);
    struct sample end = take();
    if (slice == signal_slice) {
        g_stop = 1;
        for (int i = 0; i < 2; i++)
            pthread_join(b[i], NULL);
    }
    printf("%s n=%ld rss_warm_kb=%ld rss_end_kb=%ld fds_warm=%d fds_end=%d\n", mode, n, warm.rss_kb,
           end.rss_kb, warm.fds, end.fds);
    return 0;
}
