/* tl_metrics: the Prometheus text file (see tl_metrics.h; names and meanings in taskleak(7)).
 *
 * Rendered with open_memstream from the watchdog's scan (no extra pass over the units) and the
 * site table of tl_growth, then written with tl_file_write_atomic. Start functions are named
 * through the symbol tables (static functions included), cached per address so a steady service
 * takes no module map after its first writes.
 */
#include "tl_metrics.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_options.h"
#include "tl_file.h"
#include "tl_gor.h"
#include "tl_growth.h"
#include "tl_log.h"
#include "tl_registry.h"
#include "tl_symbols.h"

#define NAMES 64 /* cached start-function names */

static struct {
    bool on;                                 /* metrics= set and the first write worked */
    const char *option;                      /* metrics= as given (tl_metrics_init) */
    char dir[TL_OPT_PATH_MAX], name[256];    /* the file, split */
    struct {
        uintptr_t start;
        char name[96];
    } names[NAMES];
    size_t nnames, next; /* filled; the next to replace when full */
} m;

/* Splits the expanded metrics= path into directory and file name. */
static int split(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash[1] == '\0' || strlen(slash + 1) >= sizeof m.name) {
        errno = EINVAL;
        return -1;
    }
    size_t dl = slash == path ? 1 : (size_t)(slash - path);
    memcpy(m.dir, path, dl);
    m.dir[dl] = '\0';
    snprintf(m.name, sizeof m.name, "%s", slash + 1);
    return 0;
}

static int write_now(const struct tl_wd_scan *s, int64_t scan_ns, size_t deadlocked)
{
    size_t len = 0;
    char *text = tl_metrics_render(s, scan_ns, deadlocked, &len);
    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int rc = tl_file_write_atomic(m.dir, m.name, text, len);
    free(text);
    return rc;
}

void tl_metrics_init(const char *metrics)
{
    m.on = false;
    m.option = metrics;
    if (metrics[0] == '\0')
        return;
    char path[TL_OPT_PATH_MAX];
    struct tl_wd_scan none = {0};
    int saved = errno;
    if (tl_options_expand_path(metrics, path, sizeof path) < 0 || split(path) < 0 ||
        write_now(&none, 0, 0) < 0)
        tl_logf("metrics=%s: cannot write (%s); no metrics file", metrics, strerror(errno));
    else
        m.on = true;
    errno = saved;
}

void tl_metrics_write(const struct tl_wd_scan *s, int64_t scan_ns, size_t deadlocked)
{
    static bool warned;
    if (!m.on || write_now(s, scan_ns, deadlocked) == 0 || warned)
        return;
    warned = true; /* a disk that filled up: said once, the next intervals try again */
    tl_logf("metrics=%s: cannot write (%s); will retry every interval", m.option, strerror(errno));
}

/* ---- rendering ---- */

/* A label value, escaped as the text format asks (backslash, double quote, newline). */
static void label(FILE *f, const char *v)
{
    for (const char *c = v ? v : ""; *c; c++) {
        if (*c == '\\' || *c == '"')
            fputc('\\', f);
        if (*c == '\n')
            fputs("\\n", f);
        else
            fputc(*c, f);
    }
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *kind_name(int kind)
{
    return kind == TL_KIND_TASK ? "task" : "thread";
}

static void units(FILE *f, const struct tl_wd_scan *s)
{
    head(f, "taskleak_units", "gauge",
         "Live units (threads, gor tasks) by kind, state (running, blocked) and wait reason.");
    size_t threads = s->units - s->tasks, live[2] = {threads, s->tasks};
    for (int k = 0; k < 2; k++)
        fprintf(f, "taskleak_units{kind=\"%s\",state=\"running\",reason=\"\"} %zu\n",
                kind_name(k), live[k] >= s->blocked[k] ? live[k] - s->blocked[k] : 0);
    for (size_t i = 0; i < s->nreasons; i++) {
        fprintf(f, "taskleak_units{kind=\"%s\",state=\"blocked\",reason=\"",
                kind_name(s->reasons[i].kind));
        label(f, s->reasons[i].reason);
        fprintf(f, "\"} %zu\n", s->reasons[i].count);
    }
    head(f, "taskleak_units_created_total", "counter", "Units created since the process started.");
    fprintf(f, "taskleak_units_created_total{kind=\"thread\"} %llu\n",
            (unsigned long long)tl_registry_created());
    fprintf(f, "taskleak_units_created_total{kind=\"task\"} %llu\n",
            (unsigned long long)(tl_gor_present() ? tl_gor_tasks_created() : 0));
}

static void oldest(FILE *f, const struct tl_wd_scan *s)
{
    head(f, "taskleak_oldest_wait_seconds", "gauge",
         "How long the longest current wait with this reason has lasted.");
    for (size_t i = 0; i < s->nreasons; i++) {
        double secs = 0;
        bool dup = false;
        for (size_t j = 0; j < s->nreasons; j++) {
            const struct tl_wd_reason *o = &s->reasons[j];
            if (strcmp(o->reason, s->reasons[i].reason) != 0)
                continue;
            dup |= j < i; /* the same reason for the other kind: one series */
            double w = (double)(s->now_ns - o->oldest_ns) / 1e9;
            secs = w > secs ? w : secs;
        }
        if (dup)
            continue;
        fputs("taskleak_oldest_wait_seconds{reason=\"", f);
        label(f, s->reasons[i].reason);
        fprintf(f, "\"} %.3f\n", secs);
    }
}

/* The start function's name ("?" when unknown), cached. */
static const char *start_name(uintptr_t start)
{
    for (size_t i = 0; i < m.nnames; i++)
        if (m.names[i].start == start)
            return m.names[i].name;
    struct tl_modmap *map = tl_modmap_take();
    const char *fn = map != NULL && start != 0 ? tl_symbolize(map, start) : NULL;
    size_t at = m.nnames < NAMES ? m.nnames++ : m.next++ % NAMES;
    m.names[at].start = start;
    snprintf(m.names[at].name, sizeof m.names[at].name, "%s", fn ? fn : "?");
    tl_modmap_free(map);
    return m.names[at].name;
}

static void sites(FILE *f)
{
    struct tl_growth_site top[TL_METRICS_TOP_SITES];
    size_t n = tl_growth_top(top, TL_METRICS_TOP_SITES);
    head(f, "taskleak_site_units", "gauge",
         "Live units of the creation sites with the most (site: short id and start function).");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "taskleak_site_units{site=\"%s ", top[i].id);
        label(f, start_name(top[i].start));
        fprintf(f, "\",kind=\"%s\",growing=\"%s\"} %ld\n", kind_name(top[i].kind),
                top[i].growing ? "1" : "0", top[i].live);
    }
}

char *tl_metrics_render(const struct tl_wd_scan *s, int64_t scan_ns, size_t deadlocked,
                        size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (f == NULL)
        return NULL;
    units(f, s);
    oldest(f, s);
    head(f, "taskleak_deadlocked_units", "gauge",
         "Units the watchdog's last report found deadlocked.");
    fprintf(f, "taskleak_deadlocked_units %zu\n", deadlocked);
    sites(f);
    head(f, "taskleak_watchdog_scan_seconds", "gauge",
         "How long the watchdog's last full look (threads and tasks) took.");
    fprintf(f, "taskleak_watchdog_scan_seconds %.6f\n", (double)scan_ns / 1e9);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
