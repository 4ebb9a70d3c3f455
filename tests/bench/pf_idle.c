/* A gor service idling with 100k tasks blocked (docs/internals.md, Performance bars): the tasks
 * receive from a channel a global holds (reachable: the proof's worst case, nothing is proven
 * and everything is scanned), the main task sleeps for the given seconds. Prints the process's
 * CPU seconds (user + system) spent while idle. Run under the detector with proof=1 and proof=0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "gor.h"
#include "gor_introspect.h"

gor_chan *volatile held;
static long tasks = 100000, seconds = 10;

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static void receiver(void *c)
{
    int v;
    gor_chan_recv(c, &v);
}

static void main_task(void *arg)
{
    (void)arg;
    held = gor_chan_make(sizeof(int), 0);
    for (long i = 0; i < tasks; i++)
        gor_go(receiver, held);
    struct gor_task_info *info = malloc((size_t)(tasks + 64) * sizeof *info);
    for (size_t parked = 0; info != NULL && parked < (size_t)tasks;) { /* let them all park */
        gor_sleep(200000000LL);
        size_t n = gor_introspect_snapshot(info, (size_t)tasks + 64, NULL);
        parked = 0;
        for (size_t i = 0; i < n; i++)
            parked += info[i].state == GOR_TASK_BLOCKED;
    }
    free(info);
    double t0 = cpu_s();
    gor_sleep(seconds * 1000000000LL);
    printf("%.3f\n", cpu_s() - t0);
    gor_chan_close(held);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        tasks = atol(argv[1]);
    if (argc > 2)
        seconds = atol(argv[2]);
    return gor_main(main_task, NULL);
}
