/*
 * Leak: a ticker that is never stopped, and the task that listens to it.
 *
 * watch_status() makes a ticker and loops on its channel with no way out: nothing stops the
 * ticker and nothing tells the task to quit. main_task starts it and returns; the watcher is left
 * in "chan receive" on the ticker's channel. The period is long so that the watcher is parked for
 * the whole run (the leak does not depend on ticks arriving).
 * Fixed twin: gor_fixed_ticker.c.
 */
#include <stdio.h>

#include "gor.h"

static void watch_status(void *arg)
{
    gor_ticker *t = gor_ticker_new(10LL * 1000 * 1000 * 1000);
    int64_t when;
    for (;;) {
        gor_chan_recv(gor_ticker_chan(t), &when);
        puts("tick");
    }
}

static void main_task(void *arg)
{
    gor_go(watch_status, NULL);
    puts("started watcher");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
