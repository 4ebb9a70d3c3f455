/*
 * Benchmark body for bench-detector.sh: nested locking, two mutexes held, the same pair taken
 * again and again (outer, then inner), the lock-order graph's repeat path (bar, docs/internals.md:
 * <= 1.5x with the detector on). Prints the best of many short rounds (see det_mutex.c) in
 * nanoseconds per round trip (two locks and two unlocks).
 * Usage: det_nested [iterations per round (500000)] [rounds (100)].
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 500000;
    int rounds = argc > 2 ? atoi(argv[2]) : 100;
    pthread_mutex_t outer = PTHREAD_MUTEX_INITIALIZER, inner = PTHREAD_MUTEX_INITIALIZER;
    volatile long counter = 0;
    double best = -1;
    for (int round = 0; round < rounds; round++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) {
            pthread_mutex_lock(&outer);
            pthread_mutex_lock(&inner);
            counter++;
            pthread_mutex_unlock(&inner);
            pthread_mutex_unlock(&outer);
        }
        double per = (now_ns() - t0) / (double)iters;
        best = best < 0 || per < best ? per : best;
    }
    printf("%.2f\n", best);
    return counter == (long)rounds * iters ? 0 : 1;
}
