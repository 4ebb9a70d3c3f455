/*
 * Fixed twin of gor_leak_nil_chan.c: the channel is made before the listener starts, and closed
 * when the events are over, so the listener ends; main_task waits for it.
 */
#include <stdio.h>

#include "gor.h"

struct listener {
    gor_chan *events;
    gor_wg done;
};

static void listen_events(void *arg)
{
    struct listener *l = arg;
    int ev;
    while (gor_chan_recv(l->events, &ev))
        printf("event %d\n", ev);
    gor_wg_done(&l->done);
}

static void main_task(void *arg)
{
    struct listener l = {gor_chan_make(sizeof(int), 1), GOR_WG_INIT};
    gor_wg_add(&l.done, 1);
    gor_go(listen_events, &l);
    int ev = 1;
    gor_chan_send(l.events, &ev);
    gor_chan_close(l.events);
    gor_wg_wait(&l.done);
    gor_chan_unref(l.events);
    puts("configured");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
