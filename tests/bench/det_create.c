/*
 * Benchmark body for bench-detector.sh: pthread_create + pthread_join churn, which the detector
 * pays a creation-stack capture and a registry entry for (bar <= 1.5x, docs/internals.md). Prints
 * the
 * best of five rounds in nanoseconds per create+join. Usage: det_create [cycles per round].
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

static void *work(void *arg)
{
    return arg;
}

int main(int argc, char **argv)
{
    long cycles = argc > 1 ? atol(argv[1]) : 20000;
    double best = -1;
    for (int round = 0; round < 5; round++) {
        double t0 = now_ns();
        for (long i = 0; i < cycles; i++) {
            pthread_t t;
            void *rv;
            if (pthread_create(&t, NULL, work, (void *)i) != 0 || pthread_join(t, &rv) != 0 ||
                rv != (void *)i) {
                fprintf(stderr, "det_create: cycle %ld failed\n", i);
                return 1;
            }
        }
        double per = (now_ns() - t0) / (double)cycles;
        best = best < 0 || per < best ? per : best;
    }
    printf("%.1f\n", best);
    return 0;
}
