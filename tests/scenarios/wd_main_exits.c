/* Watchdog scenario: main calls pthread_exit and its worker finishes a moment later.
 *
 * The process must end by itself, with status 0, as soon as the worker is done: the watchdog
 * thread (started by the worker's creation, blocking every signal) must not keep it alive.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "await_common.h"

static void *short_job(void *arg)
{
    (void)arg;
    await_main_exited(); /* the worker is the last thread of the program when it finishes */
    puts("worker done");
    fflush(stdout);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, short_job, NULL);
    pthread_detach(t);
    pthread_exit(NULL);
}
