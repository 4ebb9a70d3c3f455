/*
 * The plugin rel_origin finds only through its own $ORIGIN-relative DT_RUNPATH. Loaded without
 * RTLD_DEEPBIND, so its thread is recorded by the detector like any other. origin_plugin_run()
 * creates and joins one thread and returns how many ran (1).
 */
#include <pthread.h>

static int g_ran;

static void *origin_work(void *arg)
{
    g_ran = 1;
    return arg;
}

int origin_plugin_run(void);
int origin_plugin_run(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, origin_work, NULL) != 0 || pthread_join(t, NULL) != 0)
        return -1;
    return g_ran;
}
