/*
 * A DT_NEEDED library of rel_needed (reliability cases 12, 19): its constructor creates, locks
 * and joins a thread before main; its destructor does the same after main returned (after the
 * detector's exit report, since it was loaded before the program) and says so on stderr.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t g_m = PTHREAD_MUTEX_INITIALIZER;
static int g_runs;

static void *lib_work(void *arg)
{
    pthread_mutex_lock(&g_m);
    g_runs++;
    pthread_mutex_unlock(&g_m);
    return arg;
}

static int spawn_and_join(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, lib_work, NULL) != 0)
        return -1;
    return pthread_join(t, NULL);
}

__attribute__((constructor)) static void lib_start(void)
{
    spawn_and_join();
}

__attribute__((destructor)) static void lib_stop(void)
{
    int rc = spawn_and_join();
    fprintf(stderr, "rel_needed_lib: destructor joined rc=%d runs=%d\n", rc, g_runs);
}

int rel_needed_runs(void);
int rel_needed_runs(void)
{
    return g_runs;
}
