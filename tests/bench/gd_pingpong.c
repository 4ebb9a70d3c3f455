/*
 * Benchmark program: gor unbuffered channel ping-pong. Two tasks bounce an int over two
 * unbuffered channels N times; prints the nanoseconds per round trip (best of 5 runs) on stdout.
 * Run with and without the detector by bench-gor-detector.sh. Usage: gd_pingpong [N]
 */
#include <stdio.h>
#include <stdlib.h>

#include "gor.h"

struct pp {
    gor_chan *ping, *pong;
    long n;
    double best_ns;
};

static void ponger(void *arg)
{
    struct pp *p = arg;
    int v;
    while (gor_chan_recv(p->ping, &v))
        gor_chan_send(p->pong, &v);
}

static double one_run(struct pp *p)
{
    int64_t t0 = gor_now();
    for (int v = 0; v < p->n; v++) {
        gor_chan_send(p->ping, &v);
        gor_chan_recv(p->pong, &v);
    }
    return (double)(gor_now() - t0) / (double)p->n;
}

static void main_task(void *arg)
{
    struct pp *p = arg;
    p->ping = gor_chan_make(sizeof(int), 0);
    p->pong = gor_chan_make(sizeof(int), 0);
    gor_go(ponger, p);
    p->best_ns = 1e18;
    for (int r = 0; r < 5; r++) {
        double ns = one_run(p);
        p->best_ns = ns < p->best_ns ? ns : p->best_ns;
    }
    gor_chan_close(p->ping);
}

int main(int argc, char **argv)
{
    struct pp p = {.n = argc > 1 ? atol(argv[1]) : 200000};
    if (p.n <= 0 || gor_main(main_task, &p) != 0)
        return 1;
    printf("%.1f\n", p.best_ns);
    return 0;
}
