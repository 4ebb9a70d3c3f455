/*
 * Fixed twin of gor_leak_range_unclosed.c: the producer closes the channel when it is done, so
 * the consumer's receive loop ends, and main_task waits for the consumer's result. Nothing leaks.
 */
#include <stdio.h>

#include "gor.h"

struct pipe_state {
    gor_chan *items;
    gor_chan *result;
};

static void produce(void *arg)
{
    struct pipe_state *p = arg;
    for (int i = 1; i <= 3; i++)
        gor_chan_send(p->items, &i);
    gor_chan_close(p->items);
}

static void consume(void *arg)
{
    struct pipe_state *p = arg;
    int v, sum = 0;
    while (gor_chan_recv(p->items, &v))
        sum += v;
    gor_chan_send(p->result, &sum);
}

static void main_task(void *arg)
{
    struct pipe_state p = {gor_chan_make(sizeof(int), 0), gor_chan_make(sizeof(int), 0)};
    int sum = 0;
    gor_go(consume, &p);
    gor_go(produce, &p);
    gor_chan_recv(p.result, &sum);
    printf("sum %d\n", sum);
    gor_chan_unref(p.items);
    gor_chan_unref(p.result);
}

int main(void)
{
    return gor_main(main_task, NULL);
}
