/*
 * A service under load, twice (the growing verdict, issue 18):
 *
 *   gor_svc_growth leak METRICS     one request per millisecond, and each request's handler task
 *                                   waits for a reply that never comes: one leaked task per
 *                                   request. The service runs until the watchdog report says
 *                                   "growing" (at most 30 s), copying the metrics file early on
 *                                   (METRICS.early) and then (METRICS.late), and copies the
 *                                   watchdog report as kind "growing-seen".
 *   gor_svc_growth bursty SECONDS   the healthy twin: bursts of 100..250 handlers that all finish
 *                                   before the next burst, for SECONDS: the pool grows and shrinks
 *                                   with load and nothing is leaked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gor.h"
#include "wd_common.h"

struct args {
    const char *mode, *arg;
    int status;
};

/* A request whose reply never comes: its handler waits forever. */
static void handle_leaky(void *arg)
{
    gor_chan *reply = arg;
    char c;
    gor_chan_recv(reply, &c);
}

static void copy_file(const char *from, const char *suffix)
{
    static char to[1200], buf[1 << 16]; /* static: a task stack is small */
    snprintf(to, sizeof to, "%s.%s", from, suffix);
    FILE *in = fopen(from, "r"), *out = in ? fopen(to, "w") : NULL;
    for (size_t n; out && (n = fread(buf, 1, sizeof buf, in)) > 0;)
        fwrite(buf, 1, n, out);
    if (out)
        fclose(out);
    if (in)
        fclose(in);
}

static bool report_says(const char *needle)
{
    static char dir[1024], path[1200];
    wd_report_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/taskleak.%d.watchdog.json", dir, (int)getpid());
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    static char buf[4 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

static __attribute__((noinline)) void serve_leaky(struct args *a)
{
    double start = wd_now();
    for (long req = 1; wd_now() - start < 30; req++) {
        gor_chan *reply = gor_chan_make(1, 0);
        if (reply == NULL || gor_go(handle_leaky, reply) < 0)
            abort();
        gor_sleep(1000000);
        if (req == 300)
            copy_file(a->arg, "early");
        if (req % 50 == 0 && req > 300 && report_says("\"growing\"")) {
            copy_file(a->arg, "late");
            a->status = wd_copy_report("watchdog", "\"growing\"", "growing-seen", 5) == 0 ? 0 : 3;
            return;
        }
    }
    a->status = 2; /* never reported */
}

static gor_wg burst_done;

static void handle_burst(void *arg)
{
    gor_chan *release = arg;
    char c;
    gor_chan_recv(release, &c); /* the burst's work ends when the channel closes */
    gor_wg_done(&burst_done);
}

static __attribute__((noinline)) void serve_bursty(struct args *a)
{
    double start = wd_now(), secs = atof(a->arg);
    gor_wg_init(&burst_done);
    for (int i = 0; wd_now() - start < secs; i++) {
        int n = 100 + (i % 4) * 50;
        gor_chan *release = gor_chan_make(1, 0);
        gor_wg_add(&burst_done, n);
        for (int k = 0; k < n; k++)
            if (gor_go(handle_burst, release) < 0)
                abort();
        gor_sleep(20 * 1000000);
        gor_chan_close(release);
        gor_wg_wait(&burst_done);
        gor_chan_unref(release);
        gor_sleep(60 * 1000000);
    }
    a->status = 0;
}

static void main_task(void *arg)
{
    struct args *a = arg;
    if (strcmp(a->mode, "leak") == 0)
        serve_leaky(a);
    else
        serve_bursty(a);
}

int main(int argc, char **argv)
{
    struct args a = {argc > 1 ? argv[1] : "bursty", argc > 2 ? argv[2] : "3", 1};
    if (gor_main(main_task, &a) != 0)
        return 1;
    return a.status;
}
