/*
 * Fixed twin of gor_leak_send_after_timeout.c: the reply channel has room for one answer, so the
 * late query completes its send and exits even though nobody reads it. main_task waits for the
 * query to finish (a WaitGroup) before returning. Nothing leaks.
 */
#include <stdio.h>

#include "gor.h"

struct query {
    gor_chan *start;
    gor_chan *reply;
    gor_wg done;
};

static void slow_query(void *arg)
{
    struct query *q = arg;
    int answer = 42;
    gor_chan_recv(q->start, NULL);
    gor_chan_send(q->reply, &answer); /* buffered: never blocks */
    gor_wg_done(&q->done);
}

static int fetch(struct query *q)
{
    int answer = -1;
    gor_wg_add(&q->done, 1);
    gor_go(slow_query, q);
    gor_case c = {.chan = q->reply, .dir = GOR_RECV, .elem = &answer};
    int got = gor_select(&c, 1, 5 * 1000 * 1000);
    gor_chan_close(q->start);
    return got == GOR_TIMEOUT ? -1 : answer;
}

static void main_task(void *arg)
{
    struct query q = {gor_chan_make(0, 0), gor_chan_make(sizeof(int), 1), GOR_WG_INIT};
    printf("fetch: %d\n", fetch(&q));
    gor_wg_wait(&q.done);
    gor_chan_unref(q.start);
    gor_chan_unref(q.reply);
}

int main(void)
{
    return gor_main(main_task, NULL);
}
