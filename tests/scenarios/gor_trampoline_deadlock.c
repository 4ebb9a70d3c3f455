/*
 * A global deadlock whose dump must name the program's own functions (issue 9, gor polish).
 *
 * main_task starts stuck_worker and waits on a WaitGroup the worker never marks done; the
 * worker waits on a channel nobody sends to. Every task is asleep, so gor prints its fatal dump
 * and exits 2. Under the detector every task is started through the detector's trampoline; gor's
 * dump and the report's units must still name main_task and stuck_worker, never the trampoline.
 * The program first prints both functions' addresses on stdout, so a test can find them in the
 * dump as addresses too.
 */
#include <stdio.h>

#include "gor.h"

static gor_wg done = GOR_WG_INIT;

static void stuck_worker(void *arg)
{
    gor_chan_recv(arg, NULL); /* bug: nobody ever sends or closes */
    gor_wg_done(&done);
}

static void main_task(void *arg)
{
    gor_chan *jobs = gor_chan_make(sizeof(int), 0);
    gor_wg_add(&done, 1);
    gor_go(stuck_worker, jobs);
    gor_wg_wait(&done);
    (void)arg;
}

int main(void)
{
    printf("main_task %p\nstuck_worker %p\n", (void *)main_task, (void *)stuck_worker);
    fflush(stdout);
    return gor_main(main_task, NULL);
}
