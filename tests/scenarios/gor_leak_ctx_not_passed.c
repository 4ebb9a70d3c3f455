/*
 * Leak: a request context that is not passed down to the subtask.
 *
 * handle_request() makes a cancellable context for the request and starts fetch_part(), but hands
 * it the background context instead of its own. When the request ends and its context is
 * cancelled, the subtask never hears of it: it stays in "select" waiting on the background
 * context's done channel (a nil channel) and on a result that never comes.
 * Fixed twin: gor_fixed_ctx_not_passed.c.
 */
#include <stdio.h>

#include "gor.h"

struct part {
    gor_ctx *ctx;
    gor_chan *upstream; /* never written: the upstream does not answer */
};

static void fetch_part(void *arg)
{
    struct part *p = arg;
    int v;
    gor_case c[2] = {{.chan = gor_ctx_done(p->ctx), .dir = GOR_RECV},
                     {.chan = p->upstream, .dir = GOR_RECV, .elem = &v}};
    if (gor_select(c, 2, -1) == 0)
        puts("part cancelled");
}

/* Out of line, as it would be in a real program's own file, so stacks name it. */
static __attribute__((noinline)) void handle_request(void)
{
    static struct part p;
    gor_ctx *req = gor_ctx_with_cancel(gor_ctx_background());
    p.ctx = gor_ctx_background(); /* bug: should be req */
    p.upstream = gor_chan_make(sizeof(int), 0);
    gor_go(fetch_part, &p);
    gor_ctx_cancel(req); /* the request is over */
    gor_ctx_free(req);
}

static void main_task(void *arg)
{
    handle_request();
    puts("request handled");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
