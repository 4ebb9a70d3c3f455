/* Watchdog scenario: a deadlock through a join.
 *
 * main locks a mutex, starts a worker that needs it, and joins the worker: main waits for the
 * worker to end, the worker waits for the mutex main holds. A third thread waits for the watchdog
 * report naming the cycle (copied to taskleak.<pid>.while-deadlocked.json) and exits the process:
 * the exit gate must tell the same story.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "wd_common.h"

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noinline)) void *reload_config(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&config_lock);
    pthread_mutex_unlock(&config_lock);
    return NULL;
}

static void *end_after_report(void *arg)
{
    (void)arg;
    wd_copy_report("watchdog", "\"deadlocked\"", "while-deadlocked", 8.0);
    exit(0);
}

int main(void)
{
    pthread_t worker, ender;
    pthread_mutex_lock(&config_lock);
    pthread_create(&worker, NULL, reload_config, NULL);
    printf("config_lock=%p worker=0x%lx\n", (void *)&config_lock, (unsigned long)worker);
    fflush(stdout);
    pthread_create(&ender, NULL, end_after_report, NULL);
    pthread_join(worker, NULL); /* never returns: the worker needs config_lock */
    return 0;
}
