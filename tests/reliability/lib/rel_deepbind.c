/*
 * A plugin loaded with RTLD_DEEPBIND (reliability case 53): its own references bind inside its
 * dependency chain first, so its pthread calls may bypass the detector. plugin_run() creates,
 * locks and joins; it returns the number of threads that ran (1).
 */
#include <pthread.h>

static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static int g_ran;

static void *plugin_work(void *arg)
{
    pthread_mutex_lock(&g_m);
    g_ran++;
    pthread_mutex_unlock(&g_m);
    return arg;
}

int plugin_run(void);
int plugin_run(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, plugin_work, NULL) != 0 || pthread_join(t, NULL) != 0)
        return -1;
    return g_ran;
}
