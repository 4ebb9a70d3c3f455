/*
 * A plugin that uses gor, for reliability case 1 (librelgorplugin.so, DT_NEEDED on libgor.so).
 * rel_gorplug loads it with RTLD_LOCAL, so libgor sits in the plugin's local scope only: the
 * plugin's calls to gor_main, gor_go and the channel functions bind to the detector's wrappers
 * (global scope), whose dlsym(RTLD_NEXT) and dlsym(RTLD_DEFAULT) lookups of gor's symbols then
 * fail. Those are the detector's lookups of missing symbols; it must fall back or do without.
 *
 * gor_plugin_run() runs a main task that starts WORKERS tasks, each sending its number over one
 * unbuffered channel, and returns the sum received (0+1+...+WORKERS-1).
 */
#include "gor.h"

#define WORKERS 8

struct job {
    gor_chan *c;
    gor_wg wg;
    int sum; /* written by the main task only */
};

static int g_next; /* task numbers, handed out by the main task before each spawn */

static void worker(void *arg)
{
    struct job *j = arg;
    int me = __atomic_fetch_add(&g_next, 1, __ATOMIC_RELAXED);
    gor_chan_send(j->c, &me);
    gor_wg_done(&j->wg);
}

static void plugin_main(void *arg)
{
    struct job *j = arg;
    gor_wg_add(&j->wg, WORKERS);
    for (int i = 0; i < WORKERS; i++)
        gor_go(worker, j);
    for (int i = 0; i < WORKERS; i++) {
        int v;
        gor_chan_recv(j->c, &v);
        j->sum += v;
    }
    gor_wg_wait(&j->wg);
}

int gor_plugin_run(void);
int gor_plugin_run(void)
{
    struct job j = {gor_chan_make(sizeof(int), 0), GOR_WG_INIT, 0};
    int rc = gor_main(plugin_main, &j);
    gor_chan_unref(j.c);
    return rc == 0 ? j.sum : -1;
}
