/*
 * A program whose gor calls partly happen inside libgor (through relrt_calls.c, linked into the
 * test builds of the runtime; see rel_runtime.mk). At exit, leaked:
 * - a plain thread "lib_reader" blocked in a receive that libgor itself made (relrt_lib_recv):
 *   "chan receive" when the wrapper saw the call, gor's futex wait when it did not;
 * - a task "stuck_task" that libgor itself spawned (relrt_lib_go) for main_task, blocked in the
 *   program's own receive: the same in every build (gor's spawn hook records it);
 * - a task "lib_selector" blocked in a ten-minute select that libgor itself made.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "gor.h"

bool relrt_lib_recv(gor_chan *c, void *elem);
int64_t relrt_lib_go(void (*fn)(void *), void *arg);
int relrt_lib_select(gor_case *cases, size_t n, int64_t timeout_ns);

static gor_chan *never; /* nothing is ever sent on it */
static gor_chan *ready; /* closed once the reader thread is about to block */

static void *lib_reader(void *arg)
{
    (void)arg;
    gor_chan_close(ready);
    int v;
    relrt_lib_recv(never, &v);
    return NULL;
}

static void stuck_task(void *arg)
{
    int v;
    gor_chan_recv(arg, &v);
}

static void lib_selector(void *arg)
{
    gor_case c = {.chan = arg, .dir = GOR_RECV, .elem = NULL};
    relrt_lib_select(&c, 1, 600LL * 1000 * 1000 * 1000); /* still waiting at exit */
}

static void main_task(void *arg)
{
    (void)arg;
    relrt_lib_go(stuck_task, never);
    gor_go(lib_selector, never);
    gor_chan_recv(ready, NULL); /* the reader thread runs */
    printf("spawned\n");
}

int main(void)
{
    pthread_t t;
    never = gor_chan_make(sizeof(int), 0);
    ready = gor_chan_make(0, 0);
    if (pthread_create(&t, NULL, lib_reader, NULL) != 0)
        return 1;
    return gor_main(main_task, NULL);
}
