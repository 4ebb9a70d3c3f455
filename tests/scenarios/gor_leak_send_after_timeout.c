/*
 * Leak: a send nobody receives, because the caller timed out and went away.
 *
 * fetch() starts slow_query() with an unbuffered reply channel and waits at most 5 ms for the
 * answer. The query cannot answer before the caller lets it (the `start` channel), so the caller
 * always times out first; it then releases the query and returns. The query's send on the
 * unbuffered reply channel has no receiver any more: slow_query stays blocked in "chan send".
 * Fixed twin: gor_fixed_send_after_timeout.c (a reply channel with room for the answer).
 */
#include <stdio.h>
#include <stdlib.h>

#include "gor.h"

struct query {
    gor_chan *start;
    gor_chan *reply;
};

static void slow_query(void *arg)
{
    struct query *q = arg;
    int answer = 42;
    gor_chan_recv(q->start, NULL); /* the slow part: released only after the caller gave up */
    gor_chan_send(q->reply, &answer);
}

/* Out of line, as it would be in a real program's own file, so stacks name it. */
static __attribute__((noinline)) int fetch(struct query *q)
{
    int answer = -1;
    gor_go(slow_query, q);
    gor_case c = {.chan = q->reply, .dir = GOR_RECV, .elem = &answer};
    int got = gor_select(&c, 1, 5 * 1000 * 1000);
    gor_chan_close(q->start);
    return got == GOR_TIMEOUT ? -1 : answer;
}

static void main_task(void *arg)
{
    struct query *q = malloc(sizeof *q); /* outlives this task: the query still uses it */
    if (q == NULL)
        return;
    q->start = gor_chan_make(0, 0);
    q->reply = gor_chan_make(sizeof(int), 0); /* bug: unbuffered, nobody will read it */
    printf("fetch: %d\n", fetch(q));
}

int main(void)
{
    return gor_main(main_task, NULL);
}
