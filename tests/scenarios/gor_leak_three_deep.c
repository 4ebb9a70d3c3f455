/*
 * Leak three spawns deep: main_task -> accept_loop -> run_session -> read_frames.
 *
 * The acceptor starts a session and returns; the session starts a frame reader and returns; the
 * reader waits for frames on a channel that its session dropped. Only the reader is leaked (in
 * "chan receive"), but its creators have all exited: the report must still show the chain
 * read_frames created by run_session, created by accept_loop, created by main_task.
 * Fixed twin: gor_fixed_three_deep.c.
 */
#include <stdio.h>

#include "gor.h"

static void read_frames(void *arg)
{
    gor_chan *frames = arg;
    int f;
    while (gor_chan_recv(frames, &f))
        printf("frame %d\n", f);
}

static void run_session(void *arg)
{
    gor_chan *frames = gor_chan_make(sizeof(int), 0);
    gor_go(read_frames, frames);
    puts("session over"); /* bug: returns without closing `frames` */
}

static void accept_loop(void *arg)
{
    gor_go(run_session, NULL);
}

static void main_task(void *arg)
{
    gor_go(accept_loop, NULL);
    puts("accepting");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
