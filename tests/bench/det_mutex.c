/*
 * Benchmark body for bench-detector.sh: an uncontended pthread_mutex_lock/unlock loop, the
 * detector's hottest path (bar <= 1.15x with the detector on, docs/internals.md). Prints the best
 * of many short rounds in nanoseconds per lock+unlock pair: a round of a few milliseconds often
 * runs undisturbed on a shared machine, where one long round rarely does.
 * With a third argument `mt`, a second thread stays alive (blocked on a pipe) while the loop runs,
 * so glibc and the detector take their multi-threaded paths (an atomic compare-and-swap and
 * exchange) instead of the single-threaded stores.
 * Usage: det_mutex [iterations per round (500000)] [rounds (100)] [mt].
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int idle_pipe[2];

static void *idle(void *arg)
{
    char c;
    return read(idle_pipe[0], &c, 1) == 1 ? arg : NULL;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 500000;
    int rounds = argc > 2 ? atoi(argv[2]) : 100;
    pthread_t idler;
    bool mt = argc > 3 && strcmp(argv[3], "mt") == 0;
    if (mt && (pipe(idle_pipe) != 0 || pthread_create(&idler, NULL, idle, NULL) != 0))
        return 2;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    volatile long counter = 0;
    double best = -1;
    for (int round = 0; round < rounds; round++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            pthread_mutex_lock(&m);
            counter++;
            pthread_mutex_unlock(&m);
        }
        double per = (now_ns() - t0) / (double)iters;
        best = best < 0 || per < best ? per : best;
    }
    printf("%.2f\n", best);
    if (mt && (write(idle_pipe[1], "x", 1) != 1 || pthread_join(idler, NULL) != 0))
        return 2;
    return counter == (long)rounds * iters ? 0 : 1;
}
