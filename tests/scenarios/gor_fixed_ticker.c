/*
 * Fixed twin of gor_leak_ticker.c: the watcher also selects on a quit channel; main_task closes
 * it, waits for the watcher to leave, and the watcher stops its ticker on the way out.
 */
#include <stdio.h>

#include "gor.h"

struct watcher {
    gor_chan *quit;
    gor_wg done;
};

static void watch_status(void *arg)
{
    struct watcher *w = arg;
    gor_ticker *t = gor_ticker_new(10LL * 1000 * 1000 * 1000);
    int64_t when;
    for (;;) {
        gor_case c[2] = {{.chan = gor_ticker_chan(t), .dir = GOR_RECV, .elem = &when},
                         {.chan = w->quit, .dir = GOR_RECV}};
        if (gor_select(c, 2, -1) == 1)
            break;
        puts("tick");
    }
    gor_ticker_stop(t);
    gor_wg_done(&w->done);
}

static void main_task(void *arg)
{
    struct watcher w = {gor_chan_make(0, 0), GOR_WG_INIT};
    gor_wg_add(&w.done, 1);
    gor_go(watch_status, &w);
    puts("started watcher");
    gor_chan_close(w.quit);
    gor_wg_wait(&w.done);
    gor_chan_unref(w.quit);
}

int main(void)
{
    return gor_main(main_task, NULL);
}
