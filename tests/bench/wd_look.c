/* One watchdog look over 1M gor tasks (bar <= 50 ms, docs/internals.md).
 *
 * Links the detector's engine objects and libgor directly (no preload): N tasks block on one
 * channel, and once gor's wait table shows every one of them blocked, tl_gor_scan_stuck (the pass
 * the watchdog makes over tasks every interval: their states and waits copied from gor, nothing
 * unwound) is timed. Prints the best of 7 looks in milliseconds, then the live and stuck counts on
 * stderr as a sanity check. The whole run under the preload, with its looks timed by the
 * watchdog itself, is bench-watchdog.sh's row 5; this one times the look alone, at steady size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gor.h"
#include "tl_gor.h"

struct run {
    long n;
    gor_chan *gate;
    gor_wg done;
    double best;
    long stuck;
    size_t live;
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void waiter(void *arg)
{
    struct run *r = arg;
    char c;
    gor_chan_recv(r->gate, &c); /* ends when the gate closes */
    gor_wg_done(&r->done);
}

/* One look: the blocked tasks (threshold 0: every durable wait counts) and the live ones. */
static long look(struct run *r)
{
    uint64_t sig = 0;
    return tl_gor_scan_stuck(0, &sig, &r->live, NULL, NULL);
}

static void main_task(void *arg)
{
    struct run *r = arg;
    gor_wg_add(&r->done, r->n);
    for (long i = 0; i < r->n; i++)
        if (gor_go(waiter, r) < 0)
            abort();
    while (look(r) < r->n) /* every waiter parked: the table is at its steady size */
        gor_sleep(1000000);
    r->best = 1e9;
    for (int k = 0; k < 7; k++) {
        double t0 = now_ms();
        r->stuck = look(r);
        double t = now_ms() - t0;
        r->best = t < r->best ? t : r->best;
    }
    gor_chan_close(r->gate);
    gor_wg_wait(&r->done);
}

int main(int argc, char **argv)
{
    struct run r = {.n = argc > 1 ? atol(argv[1]) : 1000000};
    gor_wg_init(&r.done);
    r.gate = gor_chan_make(1, 0);
    if (r.n <= 0 || r.gate == NULL || !tl_gor_init() || gor_main(main_task, &r) != 0)
        return 1;
    printf("%.1f\n", r.best);
    fprintf(stderr, "wd_look: %zu live tasks, %ld blocked\n", r.live, r.stuck);
    return r.stuck == r.n ? 0 : 1;
}
