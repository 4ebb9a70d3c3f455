/*
 * Fixed twin of gor_leak_ctx_not_passed.c: the subtask gets the request's own context, so
 * cancelling the request ends it; handle_request() waits for it before freeing the context.
 */
#include <stdio.h>

#include "gor.h"

struct part {
    gor_ctx *ctx;
    gor_chan *upstream;
    gor_wg done;
};

static void fetch_part(void *arg)
{
    struct part *p = arg;
    int v;
    gor_case c[2] = {{.chan = gor_ctx_done(p->ctx), .dir = GOR_RECV},
                     {.chan = p->upstream, .dir = GOR_RECV, .elem = &v}};
    if (gor_select(c, 2, -1) == 0)
        puts("part cancelled");
    gor_wg_done(&p->done);
}

static void handle_request(void)
{
    struct part p = {NULL, gor_chan_make(sizeof(int), 0), GOR_WG_INIT};
    gor_ctx *req = gor_ctx_with_cancel(gor_ctx_background());
    p.ctx = req;
    gor_wg_add(&p.done, 1);
    gor_go(fetch_part, &p);
    gor_ctx_cancel(req);
    gor_wg_wait(&p.done);
    gor_ctx_free(req);
    gor_chan_unref(p.upstream);
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
