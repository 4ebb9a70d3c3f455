/*
 * A task left in a gor_select with a long positive timeout when the program ends. The timer ends
 * such a wait, so it is an external wait (docs/internals.md, Durable and external waits): the
 * report shows it with
 * `durable` false, like a sleep, unlike a select without a timeout.
 */
#include <stdio.h>

#include "gor.h"

static gor_chan *never; /* nothing is ever sent on it */

static void poll_with_timeout(void *arg)
{
    (void)arg;
    gor_case c = {.chan = never, .dir = GOR_RECV, .elem = NULL};
    gor_select(&c, 1, 600LL * 1000 * 1000 * 1000); /* ten minutes: still waiting at exit */
}

static void main_task(void *arg)
{
    (void)arg;
    never = gor_chan_make(0, 0);
    gor_go(poll_with_timeout, NULL);
    printf("spawned\n");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
