/*
 * Benchmark program: gor spawn + exit. The main task spawns N tasks from a three-deep call chain
 * (so creation stacks have something to record), each of which returns at once, and waits for
 * all of them; prints nanoseconds per spawned task (best of 5 runs) on stdout. Run with and
 * without the detector by bench-gor-detector.sh. Usage: gd_spawn [N]
 */
#include <stdio.h>
#include <stdlib.h>

#include "gor.h"

static gor_wg done = GOR_WG_INIT;

static void job(void *arg)
{
    (void)arg;
    gor_wg_done(&done);
}

static __attribute__((noinline)) void spawn_one(long i)
{
    if (gor_go(job, (void *)i) < 0)
        abort();
    __asm__ volatile("" ::: "memory"); /* keeps this frame: not a tail call */
}

static __attribute__((noinline)) void spawn_batch(long n)
{
    for (long i = 0; i < n; i++)
        spawn_one(i);
    __asm__ volatile("" ::: "memory");
}

struct run {
    long n;         /* tasks per round */
    double best_ns; /* result: best round, ns per task */
};

static void main_task(void *arg)
{
    struct run *run = arg;
    long n = run->n;
    double best = 1e18;
    for (int r = 0; r < 5; r++) {
        int64_t t0 = gor_now();
        gor_wg_add(&done, n);
        spawn_batch(n);
        gor_wg_wait(&done);
        double ns = (double)(gor_now() - t0) / (double)n;
        best = ns < best ? ns : best;
    }
    run->best_ns = best;
}

int main(int argc, char **argv)
{
    struct run run = {.n = argc > 1 ? atol(argv[1]) : 200000};
    if (run.n <= 0 || gor_main(main_task, &run) != 0)
        return 1;
    printf("%.1f\n", run.best_ns);
    return 0;
}
