/* For taskleak attach, run WITHOUT the detector: a process that exits the moment anything starts
 * tracing it. 400 threads sleep; the last one created watches /proc/self/status and calls _exit
 * as soon as TracerPid is not 0, which happens when the first thread is seized, long before an
 * attach reaches the watcher itself. Prints "ready" once every thread runs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SLEEPERS 400

static pthread_barrier_t all_started;

static void *sleeper(void *arg)
{
    pthread_barrier_wait(&all_started);
    for (;;)
        pause();
    return arg;
}

static int traced(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/status", "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    const char *t = strstr(buf, "TracerPid:");
    return t && atoi(t + 10) != 0;
}

static void *watcher(void *arg)
{
    pthread_barrier_wait(&all_started);
    while (!traced())
        ;
    _exit(3);
    return arg;
}

int main(void)
{
    pthread_barrier_init(&all_started, NULL, SLEEPERS + 2);
    pthread_attr_t small;
    pthread_attr_init(&small);
    pthread_attr_setstacksize(&small, 64 * 1024);
    pthread_t t;
    for (int i = 0; i < SLEEPERS; i++)
        pthread_create(&t, &small, sleeper, NULL);
    pthread_create(&t, &small, watcher, NULL);
    pthread_barrier_wait(&all_started);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
