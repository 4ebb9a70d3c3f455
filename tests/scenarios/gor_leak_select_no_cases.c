/*
 * Leak: a select with no cases.
 *
 * serve() builds its case list from the sources that are enabled; with every source disabled the
 * list is empty, and gor_select on zero cases blocks forever (Go's `select {}`). The server task
 * is left in "select (no cases)".
 * Fixed twin: gor_fixed_select_no_cases.c.
 */
#include <stdio.h>

#include "gor.h"

struct sources {
    gor_chan *src[2];
    bool enabled[2];
};

static void serve(void *arg)
{
    struct sources *s = arg;
    gor_case cases[2];
    size_t n = 0;
    int v;
    for (int i = 0; i < 2; i++)
        if (s->enabled[i])
            cases[n++] = (gor_case){.chan = s->src[i], .dir = GOR_RECV, .elem = &v};
    int got = gor_select(cases, n, -1); /* bug: n == 0 blocks forever */
    printf("served case %d\n", got);
}

static void main_task(void *arg)
{
    static struct sources s; /* both sources disabled */
    gor_go(serve, &s);
    puts("server started");
}

int main(void)
{
    return gor_main(main_task, NULL);
}
