/* The watchdog's CPU share with 10k idle threads at the default interval (run under the detector).
 *
 * Starts N threads (small stacks) that wait on one condition variable, lets the process idle for
 * S seconds, then reads the CPU time of the detector's thread ("taskleak-wd") from
 * /proc/self/task/<tid>/schedstat (nanoseconds) and prints its share of one core over the idle
 * period, in percent. Prints -1 when no watchdog thread exists (detector not loaded).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int go;

static void *idle_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    while (!go)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* CPU nanoseconds of the thread named "taskleak-wd", -1 when none. */
static long long watchdog_cpu_ns(void)
{
    DIR *d = opendir("/proc/self/task");
    long long ns = -1;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        char path[300], comm[32] = "";
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(comm, sizeof comm, f) == NULL)
            comm[0] = '\0';
        fclose(f);
        if (strncmp(comm, "taskleak-wd", 11) != 0)
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
        f = fopen(path, "r");
        if (f && fscanf(f, "%lld", &ns) != 1)
            ns = -1;
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
    return ns;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000, secs = argc > 2 ? atoi(argv[2]) : 5;
    pthread_t *t = calloc((size_t)n, sizeof *t);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (int i = 0; i < n; i++)
        if (pthread_create(&t[i], &attr, idle_worker, NULL) != 0)
            return 1;
    struct timespec a, b;
    long long c0 = watchdog_cpu_ns();
    clock_gettime(CLOCK_MONOTONIC, &a);
    sleep((unsigned)secs);
    long long c1 = watchdog_cpu_ns();
    clock_gettime(CLOCK_MONOTONIC, &b);
    double wall = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("%.4f\n", c0 < 0 || c1 < 0 ? -1.0 : 100.0 * (double)(c1 - c0) / wall);
    pthread_mutex_lock(&mu);
    go = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    return 0;
}
