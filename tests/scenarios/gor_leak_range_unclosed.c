/*
 * Leak: a consumer ranges over a channel that nobody closes.
 *
 * The producer sends its three values and returns without gor_chan_close, so the consumer's
 * receive loop never ends. main_task waits for the producer only, then returns: the consumer is
 * left blocked in "chan receive" inside consume(), created by the main task.
 * With an argument N, main_task lingers N ms before returning (for the watchdog test).
 * Fixed twin: gor_fixed_range_unclosed.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include "gor.h"

struct pipe_state {
    gor_chan *items;
    gor_wg produced;
};

static void produce(void *arg)
{
    struct pipe_state *p = arg;
    for (int i = 1; i <= 3; i++)
        gor_chan_send(p->items, &i);
    /* bug: gor_chan_close(p->items) is missing */
    gor_wg_done(&p->produced);
}

static void consume(void *arg)
{
    struct pipe_state *p = arg;
    int v, sum = 0;
    while (gor_chan_recv(p->items, &v))
        sum += v;
    printf("sum %d\n", sum); /* never reached */
}

static void main_task(void *arg)
{
    int64_t linger_ms = *(int64_t *)arg;
    static struct pipe_state p;
    p.items = gor_chan_make(sizeof(int), 0);
    gor_wg_init(&p.produced);
    gor_wg_add(&p.produced, 1);
    gor_go(consume, &p);
    gor_go(produce, &p);
    gor_wg_wait(&p.produced);
    puts("producer done");
    gor_sleep(linger_ms * 1000000); /* with an argument: stay alive for the watchdog */
}

int main(int argc, char **argv)
{
    int64_t linger_ms = argc > 1 ? atoll(argv[1]) : 0;
    return gor_main(main_task, &linger_ms);
}
