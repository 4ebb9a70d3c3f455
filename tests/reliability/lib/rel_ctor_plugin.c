/*
 * A plugin whose constructor locks a mutex and creates and joins a thread while the dynamic
 * loader holds its lock (reliability case 39): rel_misc dlopens and dlcloses it in a loop while
 * other threads create threads, so stack capture and loading race.
 */
#include <pthread.h>

static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static int g_loads;

static void *ctor_work(void *arg)
{
    pthread_mutex_lock(&g_m);
    g_loads++;
    pthread_mutex_unlock(&g_m);
    return arg;
}

__attribute__((constructor)) static void plugin_load(void)
{
    pthread_t t;
    pthread_mutex_lock(&g_m);
    pthread_mutex_unlock(&g_m);
    if (pthread_create(&t, NULL, ctor_work, NULL) == 0)
        pthread_join(t, NULL);
}
