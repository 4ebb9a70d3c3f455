/*
 * Fixed twin of gor_leak_three_deep.c: the session closes the frames channel when it is over, and
 * every level waits for the level it started, so all four tasks end before main returns.
 */
#include <stdio.h>

#include "gor.h"

struct level {
    gor_chan *frames; /* run_session -> read_frames */
    gor_wg done;      /* the started level calls gor_wg_done when it ends */
};

static void read_frames(void *arg)
{
    struct level *l = arg;
    int f;
    while (gor_chan_recv(l->frames, &f))
        printf("frame %d\n", f);
    gor_wg_done(&l->done);
}

static void run_session(void *arg)
{
    struct level *up = arg;
    struct level reader = {gor_chan_make(sizeof(int), 0), GOR_WG_INIT};
    int f = 7;
    gor_wg_add(&reader.done, 1);
    gor_go(read_frames, &reader);
    gor_chan_send(reader.frames, &f);
    gor_chan_close(reader.frames);
    gor_wg_wait(&reader.done);
    gor_chan_unref(reader.frames);
    puts("session over");
    gor_wg_done(&up->done);
}

static void accept_loop(void *arg)
{
    struct level *up = arg;
    struct level session = {NULL, GOR_WG_INIT};
    gor_wg_add(&session.done, 1);
    gor_go(run_session, &session);
    gor_wg_wait(&session.done);
    gor_wg_done(&up->done);
}

static void main_task(void *arg)
{
    struct level acceptor = {NULL, GOR_WG_INIT};
    gor_wg_add(&acceptor.done, 1);
    gor_go(accept_loop, &acceptor);
    gor_wg_wait(&acceptor.done);
    puts("accepting");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
