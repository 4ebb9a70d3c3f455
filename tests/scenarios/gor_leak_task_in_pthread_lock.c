/*
 * Leak: a task blocked inside a pthread call.
 *
 * main_task takes a pthread mutex and returns without releasing it; update_cache() then blocks
 * in pthread_mutex_lock, which blocks the worker thread it runs on (gor cannot park a task inside
 * a pthread call). The detector must show it as the task (start update_cache, created by the main
 * task) waiting in "mutex lock" in pthread_mutex_lock, on that worker's thread, not as an
 * anonymous worker thread.
 * Fixed twin: gor_fixed_task_in_pthread_lock.c.
 */
#include <pthread.h>
#include <stdio.h>

#include "gor.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static gor_wg locked = GOR_WG_INIT;

static void update_cache(void *arg)
{
    gor_wg_wait(&locked); /* main_task holds the lock by now */
    pthread_mutex_lock(&cache_lock);
    puts("cache updated"); /* never reached */
    pthread_mutex_unlock(&cache_lock);
}

static void main_task(void *arg)
{
    gor_wg_add(&locked, 1);
    gor_go(update_cache, NULL);
    pthread_mutex_lock(&cache_lock); /* bug: never unlocked */
    gor_wg_done(&locked);
    puts("main task done");
}

int main(void)
{
    int rc = gor_main(main_task, NULL);
    puts("main returned"); /* keeps main's frame (no tail call) */
    return rc;
}
