/*
 * Leak: a receive on a nil channel.
 *
 * The listener is started before its events channel is made (the struct is filled in afterwards
 * through a copy), so it receives from NULL: Go's nil channel, which blocks forever. The listener
 * is left in "chan receive (nil chan)" inside listen_events().
 * Fixed twin: gor_fixed_nil_chan.c.
 */
#include <stdio.h>

#include "gor.h"

struct listener {
    gor_chan *events;
};

static void listen_events(void *arg)
{
    struct listener *l = arg;
    int ev;
    while (gor_chan_recv(l->events, &ev))
        printf("event %d\n", ev);
}

static void main_task(void *arg)
{
    static struct listener started, configured;
    gor_go(listen_events, &started); /* bug: `started.events` is still NULL */
    configured.events = gor_chan_make(sizeof(int), 1);
    int ev = 1;
    gor_chan_send(configured.events, &ev); /* buffered: lands in the channel nobody reads */
    puts("configured");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
