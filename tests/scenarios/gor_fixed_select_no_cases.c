/*
 * Fixed twin of gor_leak_select_no_cases.c: the case list always holds a quit channel besides the
 * enabled sources, so the server can be told to stop; main_task closes it and waits.
 */
#include <stdio.h>

#include "gor.h"

struct sources {
    gor_chan *src[2];
    bool enabled[2];
    gor_chan *quit;
    gor_wg done;
};

static void serve(void *arg)
{
    struct sources *s = arg;
    gor_case cases[3] = {{.chan = s->quit, .dir = GOR_RECV}};
    size_t n = 1;
    int v;
    for (int i = 0; i < 2; i++)
        if (s->enabled[i])
            cases[n++] = (gor_case){.chan = s->src[i], .dir = GOR_RECV, .elem = &v};
    int got = gor_select(cases, n, -1);
    printf("served case %d\n", got);
    gor_wg_done(&s->done);
}

static void main_task(void *arg)
{
    struct sources s = {.quit = gor_chan_make(0, 0), .done = GOR_WG_INIT};
    gor_wg_add(&s.done, 1);
    gor_go(serve, &s);
    puts("server started");
    gor_chan_close(s.quit);
    gor_wg_wait(&s.done);
    gor_chan_unref(s.quit);
}

int main(void)
{
    return gor_main(main_task, NULL);
}
