/*
 * Tasks blocked on gor objects only they hold, and the twins where something that can still run
 * holds them too. The exit report must prove the first kind leaked ("unreachable") and never the
 * second. Modes (argv[1]):
 *   forgot     three tasks receive from a channel nobody else has (proven)
 *   global     the same, a global still holds the channel (not proven)
 *   task_stack the same, a task sleeping (it will wake) holds the channel on its stack
 *   heap       the same, a heap structure reachable from a global holds it (not proven)
 *   wg         two tasks wait on a heap WaitGroup nobody will ever done (proven)
 *   abba       two tasks each hold one mutex of a heap pair and wait for the other's: nothing
 *              else points at the pair (both proven together)
 *   abba_global the same, a global still points at the pair (not proven)
 * The objects are made by the main task, whose stack is dead once it returned. It waits until the
 * tasks are parked (gor_introspect says so), then returns; gor_main returns and the process
 * exits through the gate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gor.h"
#include "gor_introspect.h"

struct holder {
    int tag;
    gor_chan *chan;
};

gor_chan *volatile keep_chan;
struct holder *volatile keep_holder;

struct pair {
    gor_mutex a, b;
    gor_wg both_hold; /* each task holds its first mutex before taking its second */
};

struct pair *volatile keep_pair;

static void receiver(void *arg)
{
    int v;
    gor_chan_recv(arg, &v);
}

static void waiter(void *arg)
{
    gor_wg_wait(arg);
}

static void lock_ab(struct pair *p, gor_mutex *first, gor_mutex *second)
{
    gor_mutex_lock(first);
    gor_wg_done(&p->both_hold);
    gor_wg_wait(&p->both_hold);
    gor_mutex_lock(second);
}

static void locker_ab(void *arg)
{
    struct pair *p = arg;
    lock_ab(p, &p->a, &p->b);
}

static void locker_ba(void *arg)
{
    struct pair *p = arg;
    lock_ab(p, &p->b, &p->a);
}

static void sleeper(void *arg)
{
    gor_chan *volatile mine = arg;
    gor_sleep(3600LL * 1000000000LL);
    gor_chan_close(mine);
}

/* Blocked tasks other than the caller, as gor counts them. */
static size_t blocked_tasks(void)
{
    struct gor_task_info info[64];
    size_t n = gor_introspect_snapshot(info, 64, NULL), k = 0;
    for (size_t i = 0; i < n; i++)
        k += info[i].state == GOR_TASK_BLOCKED;
    return k;
}

static __attribute__((noinline)) void start(const char *mode)
{
    size_t want = 3;
    if (strcmp(mode, "wg") == 0) {
        gor_wg *wg = malloc(sizeof *wg);
        gor_wg_init(wg);
        gor_wg_add(wg, 1);
        gor_go(waiter, wg);
        gor_go(waiter, wg);
        want = 2;
    } else if (strncmp(mode, "abba", 4) == 0) {
        struct pair *p = calloc(1, sizeof *p);
        gor_mutex_init(&p->a);
        gor_mutex_init(&p->b);
        gor_wg_init(&p->both_hold);
        gor_wg_add(&p->both_hold, 2);
        if (strcmp(mode, "abba_global") == 0)
            keep_pair = p;
        gor_go(locker_ab, p);
        gor_go(locker_ba, p);
        want = 2; /* two blocked: both in their second lock (the WaitGroup let both through) */
    } else {
        gor_chan *c = gor_chan_make(sizeof(int), 0);
        for (int i = 0; i < 3; i++)
            gor_go(receiver, c);
        if (strcmp(mode, "global") == 0)
            keep_chan = c;
        if (strcmp(mode, "heap") == 0) {
            struct holder *h = calloc(1, sizeof *h);
            h->chan = c;
            keep_holder = h;
        }
        if (strcmp(mode, "task_stack") == 0)
            gor_go(sleeper, c);
    }
    while (blocked_tasks() < want)
        gor_sleep(1000000);
}

static __attribute__((noinline)) void scrub(void)
{
    volatile char junk[8192];
    memset((char *)junk, 0, sizeof junk);
}

static void main_task(void *arg)
{
    start(arg);
    scrub();
}

int main(int argc, char **argv)
{
    int rc = gor_main(main_task, (void *)(argc > 1 ? argv[1] : "forgot"));
    printf("main returned\n");
    return rc;
}
