/* The watchdog at scale with gor tasks (issue 18): N tasks that block on one channel, an idle
 * stretch of S seconds, then every task is woken (the channel closes) and the program exits.
 *
 *   wd_tasks N S              the workload itself (run with or without the detector)
 *   wd_tasks --cpu PROG ARGS  runs PROG ARGS as a child and prints the child's total CPU time,
 *                             user + system, in seconds (wait4's rusage: start to exit, the
 *                             detector's exit work included)
 *
 * bench-watchdog.sh runs the workload both ways and prints the ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gor.h"

struct run {
    long n, secs;
    gor_chan *gate;
    gor_wg done;
};

static void waiter(void *arg)
{
    struct run *r = arg;
    char c;
    gor_chan_recv(r->gate, &c); /* ends when the gate closes */
    gor_wg_done(&r->done);
}

static void main_task(void *arg)
{
    struct run *r = arg;
    gor_wg_add(&r->done, r->n);
    for (long i = 0; i < r->n; i++)
        if (gor_go(waiter, r) < 0)
            abort();
    gor_sleep(r->secs * 1000000000LL);
    gor_chan_close(r->gate);
    gor_wg_wait(&r->done);
}

static int cpu_of(char **argv)
{
    pid_t pid = fork();
    if (pid == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st))
        return 1;
    printf("%.3f\n", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                         ru.ru_stime.tv_usec / 1e6);
    return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--cpu") == 0)
        return cpu_of(argv + 2);
    struct run r = {.n = argc > 1 ? atol(argv[1]) : 300000, .secs = argc > 2 ? atol(argv[2]) : 5};
    gor_wg_init(&r.done);
    r.gate = gor_chan_make(1, 0);
    if (r.n <= 0 || r.gate == NULL || gor_main(main_task, &r) != 0)
        return 1;
    return 0;
}
