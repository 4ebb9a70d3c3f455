/*
 * Fixed twin of gor_leak_task_in_pthread_lock.c: main_task releases the mutex and waits for the
 * task that needed it.
 */
#include <pthread.h>
#include <stdio.h>

#include "gor.h"

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static gor_wg locked = GOR_WG_INIT;
static gor_wg updated = GOR_WG_INIT;

static void update_cache(void *arg)
{
    gor_wg_wait(&locked);
    pthread_mutex_lock(&cache_lock);
    puts("cache updated");
    pthread_mutex_unlock(&cache_lock);
    gor_wg_done(&updated);
}

static void main_task(void *arg)
{
    gor_wg_add(&locked, 1);
    gor_wg_add(&updated, 1);
    gor_go(update_cache, NULL);
    pthread_mutex_lock(&cache_lock);
    gor_wg_done(&locked);
    pthread_mutex_unlock(&cache_lock);
    gor_wg_wait(&updated);
    puts("main task done");
}

int main(void)
{
    int rc = gor_main(main_task, NULL);
    puts("main returned");
    return rc;
}
