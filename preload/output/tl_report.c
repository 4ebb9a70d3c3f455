/* tl_report: JSON rendering of the report model and report emission (see tl_report.h).
 *
 * DESIGN. One function per top-level member of the schema (docs/json-schema.md), in its order, each
 * filling the views of common/tl_jrep (the one writer of every object of a report, shared with
 * taskleak-report and taskleak-attach) from the model. Stacks are written once each, referenced
 * from units and groups by id (the stack table's id), and only stacks that some listed unit or
 * group uses are written. Frames carry the raw ip, the module index and offset (for offline
 * symbolization by taskleak-report) and the function name from the module's symbol tables.
 * Units beyond max_units are left out of "units" only; groups and summary stay complete.
 */
#include "tl_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tl_ctx.h"
#include "tl_defer.h"
#include "tl_file.h"
#include "tl_hint.h"
#include "tl_inversion.h"
#include "tl_jrep.h"
#include "tl_json.h"
#include "tl_log.h"
#include "tl_real.h"
#include "tl_supp.h"
#include "tl_symbols.h"
#include "tl_text.h"

static void iso_time(int64_t ms, char *buf, size_t n)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03dZ", (int)(ms % 1000));
}

static void write_process(struct tl_json *j, const struct tl_report *r)
{
    char started[64], written[64];
    iso_time(tl_ctx.started_ms, started, sizeof started);
    iso_time(r->written_ms, written, sizeof written);
    /* exe and argv both as at start: a program may rewrite its title */
    struct tl_jv_process p = {.pid = getpid(),
                              .ppid = getppid(),
                              .exe = tl_ctx.exe,
                              .argz = tl_ctx.cmdline,
                              .argz_len = tl_ctx.cmdline != NULL ? tl_ctx.cmdline_len : 0,
                              .started = started,
                              .written = written};
    tl_jrep_process(j, &p);
}

static void write_summary(struct tl_json *j, const struct tl_report *r)
{
    struct tl_jv_summary s = {.threads_created = r->threads_created,
                              .tasks_created = r->tasks_created,
                              .alive = r->alive,
                              .leaked = r->leaked,
                              .unjoined = r->unjoined,
                              .deadlocked = r->deadlocked,
                              .blocked = r->blocked,
                              .suppressed = r->suppressed,
                              .inversions = r->inverted,
                              .proven = r->proven};
    tl_jrep_summary(j, &s);
}

static void write_modules(struct tl_json *j, const struct tl_report *r)
{
    tl_json_arr_begin(j, "modules");
    for (int i = 0; r->modmap != NULL && i < tl_modmap_count(r->modmap); i++) {
        struct tl_jv_module m = {.id = i,
                                 .path = tl_modmap_path(r->modmap, i),
                                 .build_id = tl_modmap_build_id(r->modmap, i),
                                 .base = tl_modmap_base(r->modmap, i)};
        tl_jrep_module(j, &m);
    }
    tl_json_arr_end(j);
}

static void write_stack(struct tl_json *j, struct tl_report *r, tl_stack_id id)
{
    int n = 0;
    const uintptr_t *f = tl_stack_frames(id, &n);
    tl_jrep_stack_begin(j, (int64_t)id);
    for (int k = 0; k < n; k++) {
        uintptr_t off = 0;
        int m = r->modmap ? tl_modmap_find(r->modmap, f[k], &off) : -1;
        /* the call the program made is a name, no address of ours */
        struct tl_jv_frame fr = {.has_ip = tl_stack_frame_call(f[k]) == NULL,
                                 .ip = f[k],
                                 .module = m,
                                 .offset = off,
                                 .function = tl_report_function(r, f[k], k > 0)};
        tl_jrep_frame(j, &fr);
    }
    tl_jrep_stack_end(j);
}

static int cmp_id(const void *a, const void *b)
{
    tl_stack_id x = *(const tl_stack_id *)a, y = *(const tl_stack_id *)b;
    return (x > y) - (x < y);
}

static size_t listed_units(const struct tl_report *r)
{
    size_t max = (size_t)r->opts->max_units;
    return max == 0 || r->n < max ? r->n : max;
}

static void write_stacks(struct tl_json *j, struct tl_report *r)
{
    size_t nu = listed_units(r), n = 0;
    size_t cap = 2 * (nu + r->ngroups + r->ninversions * TL_LG_CYCLE_MAX) + 1;
    tl_stack_id *ids = malloc(cap * sizeof *ids);
    tl_json_arr_begin(j, "stacks");
    for (size_t i = 0; ids != NULL && i < nu; i++) {
        ids[n++] = r->units[i].created_stack;
        ids[n++] = r->units[i].blocked_stack;
    }
    for (size_t g = 0; ids != NULL && g < r->ngroups; g++) {
        ids[n++] = r->groups[g].created_stack;
        ids[n++] = r->groups[g].blocked_stack;
    }
    if (ids != NULL)
        n = tl_inversion_stack_ids(r, ids, n);
    if (ids != NULL && n > 1)
        qsort(ids, n, sizeof *ids, cmp_id);
    for (size_t i = 0; ids != NULL && i < n; i++)
        if (ids[i] != 0 && (i == 0 || ids[i] != ids[i - 1]))
            write_stack(j, r, ids[i]);
    free(ids);
    tl_json_arr_end(j);
}

/* A stack reference as the views take it: the id, or -1 for 0 (no stack). */
static int64_t stack_ref(tl_stack_id id)
{
    return id == 0 ? -1 : (int64_t)id;
}

static void write_unit(struct tl_json *j, struct tl_report *r, const struct tl_rep_unit *u)
{
    char object[24];
    struct tl_jv_wait w = {.reason = u->wait.reason,
                           .call = u->wait.call,
                           .object = tl_jrep_hex(u->wait.object, object, sizeof object),
                           .object_name = u->object_name,
                           .since_ms = u->wait_ms,
                           .durable = u->wait.durable,
                           .owner = u->owner};
    bool task = u->kind == TL_KIND_TASK;
    struct tl_jv_unit v = {.id = u->id,
                           .kind = task ? "task" : "thread",
                           .tid = u->tid != 0 ? u->tid : -1,
                           .task = task ? u->task : -1,
                           .name = u->name,
                           .start = u->start ? tl_report_function(r, u->start, false) : NULL,
                           .state = u->state,
                           .exited_ms = u->exited_ms,
                           .verdict = u->verdict,
                           .proof = u->proof,
                           .detached = u->detached,
                           .unknown_origin = u->unknown,
                           .suppressed = u->suppressed,
                           .wait = u->has_wait ? &w : NULL,
                           .created_by = u->created_by,
                           .created_stack = stack_ref(u->created_stack),
                           .blocked_stack = stack_ref(u->blocked_stack),
                           .label = u->label};
    tl_jrep_unit(j, &v);
}

struct members { /* a group's or a deadlock's units, for the views' callbacks */
    const struct tl_report *r;
    const size_t *idx;
};

static const char *member_id(const void *arg, size_t k, char *buf, size_t len)
{
    (void)buf, (void)len;
    const struct members *m = arg;
    return m->r->units[m->idx[k]].id;
}

static const char *member_object(const void *arg, size_t k, char *buf, size_t len)
{
    const struct members *m = arg;
    return tl_jrep_hex(m->r->units[m->idx[k]].wait.object, buf, len);
}

static void write_groups(struct tl_json *j, const struct tl_report *r)
{
    tl_json_arr_begin(j, "groups");
    for (size_t g = 0; g < r->ngroups; g++) {
        const struct tl_rep_group *gr = &r->groups[g];
        const struct tl_rep_growth *gw = gr->growth;
        struct members m = {r, gr->members};
        char hint[256];
        struct tl_jv_growth growth = {0};
        if (gw != NULL)
            growth = (struct tl_jv_growth){gw->site, gw->rate_per_s, gw->count, gw->count_before,
                                           gw->window_ms};
        struct tl_jv_group v = {
            .verdict = gr->verdict,
            .kind = gr->kind == TL_KIND_TASK ? "task" : "thread",
            .reason = gr->reason,
            .created_stack = stack_ref(gr->created_stack),
            .blocked_stack = stack_ref(gr->blocked_stack),
            .count = gr->count,
            .proven = gr->proof != NULL ? gr->count : 0,
            .nunits = gr->count,
            .unit = member_id,
            .arg = &m,
            .wait_min = gr->wait_min,
            .wait_max = gr->wait_max,
            .hint = tl_hint((struct tl_report *)r, gr, hint, sizeof hint) ? hint : NULL,
            .growth = gw != NULL ? &growth : NULL};
        tl_jrep_group(j, &v);
    }
    tl_json_arr_end(j);
}

static void write_deadlocks(struct tl_json *j, const struct tl_report *r)
{
    tl_json_arr_begin(j, "deadlocks");
    for (size_t d = 0; d < r->ndeadlocks; d++) {
        struct members m = {r, r->deadlocks[d].members};
        struct tl_jv_deadlock v = {r->deadlocks[d].count, r->deadlocks[d].count, member_id,
                                   member_object, &m};
        tl_jrep_deadlock(j, &v);
    }
    tl_json_arr_end(j);
}

/* An inversion's objects are the locks its edges held, in cycle order. */
static const char *inv_object(const void *arg, size_t k, char *buf, size_t len)
{
    (void)buf, (void)len;
    return ((const struct tl_rep_inversion *)arg)->edge[k].held;
}

static void inv_edge(const void *arg, size_t k, struct tl_jv_inv_edge *out)
{
    const struct tl_rep_inv_edge *d = &((const struct tl_rep_inversion *)arg)->edge[k];
    *out = (struct tl_jv_inv_edge){d->unit, d->held, d->acquired, stack_ref(d->held_stack),
                                   stack_ref(d->acquired_stack)};
}

static void inversions_json(struct tl_json *j, const struct tl_report *r)
{
    tl_json_arr_begin(j, "inversions");
    for (size_t i = 0; i < r->ninversions; i++) {
        const struct tl_rep_inversion *x = &r->inversions[i];
        struct tl_jv_inversion v = {x->n, x->n, inv_object, inv_edge, x, x->suppressed};
        tl_jrep_inversion(j, &v);
    }
    tl_json_arr_end(j);
}

char *tl_report_json(struct tl_report *r, size_t *len)
{
    struct tl_json j;
    tl_json_init(&j);
    tl_jrep_begin(&j, r->kind, r->signal != 0 ? tl_signal_name(r->signal) : NULL);
    write_process(&j, r);
    tl_json_obj_begin(&j, "options");
    tl_options_json(r->opts, &j);
    tl_json_obj_end(&j);
    write_summary(&j, r);
    write_modules(&j, r);
    write_stacks(&j, r);
    tl_json_arr_begin(&j, "units");
    for (size_t i = 0; i < listed_units(r); i++)
        write_unit(&j, r, &r->units[i]);
    tl_json_arr_end(&j);
    write_groups(&j, r);
    write_deadlocks(&j, r);
    inversions_json(&j, r);
    tl_json_arr_begin(&j, "suppressions");
    if (r->supp != NULL)
        tl_supp_json(r->supp, &j);
    tl_json_arr_end(&j);
    tl_json_obj_end(&j);
    return tl_json_finish(&j, len);
}

/* report_fallback=DIR: a second place for a report report= could not take. taskleak run points it
 * at a private directory, so that a report lost to an unwritable report directory is told apart
 * from a detector that never ran. */
static void write_fallback(const struct tl_report *r, const char *name, const char *doc, size_t len)
{
    char dir[TL_OPT_PATH_MAX];
    if (r->opts->report_fallback[0] == '\0' ||
        tl_options_expand_path(r->opts->report_fallback, dir, sizeof dir) < 0)
        return;
    if (tl_file_write_atomic(dir, name, doc, len) < 0)
        tl_logf("cannot write report %s/%s either: %s", dir, name, strerror(errno));
}

static int write_json_file(struct tl_report *r)
{
    char dir[TL_OPT_PATH_MAX], name[128];
    if (tl_options_expand_path(r->opts->report, dir, sizeof dir) < 0) {
        tl_logf("report=%s: bad directory name (%s)", r->opts->report, strerror(errno));
        return -1;
    }
    snprintf(name, sizeof name, "taskleak.%d.%s.json", (int)getpid(), r->file_kind);
    size_t len = 0;
    char *doc = tl_report_json(r, &len);
    if (doc == NULL) {
        tl_logf("out of memory writing the %s report", r->file_kind);
        return -1;
    }
    int rc = tl_file_write_atomic(dir, name, doc, len);
    if (rc < 0) {
        tl_logf("cannot write report %s/%s: %s", dir, name, strerror(errno));
        write_fallback(r, name, doc, len);
    }
    free(doc);
    return rc;
}

/* Whether the report is the process's last word: the exit report, a signal report (the signal
 * is raised again once it is written, see tl_sigreport), or a deadlock report the program is
 * ended after (tl_gate_deadlock). */
static bool last_word(const struct tl_report *r)
{
    return r->mode == TL_BUILD_EXIT || r->mode == TL_BUILD_SIGNAL ||
           (r->mode == TL_BUILD_DEADLOCK && r->opts->on_deadlock != TL_ON_DEADLOCK_REPORT &&
            r->opts->exitcode != 0);
}

/* defer_text=DIR (tl_defer.h): the text goes to DIR instead of the log, for taskleak run to
 * render; the last word's once its JSON file is written, any other as a live pair. False leaves
 * the text on the log. */
static bool defer_text(struct tl_report *r, int json_rc)
{
    char dir[TL_OPT_PATH_MAX];
    bool last = last_word(r);
    if ((last && json_rc != 0) || !tl_defer_dir(r->opts, !last, dir, sizeof dir))
        return false;
    char *text = tl_text_render(r, 0), *doc = NULL;
    size_t jlen = 0;
    bool ok = text != NULL;
    if (ok && last)
        ok = tl_defer_last(dir, r->file_kind, text, strlen(text));
    else if (ok) {
        doc = tl_report_json(r, &jlen);
        ok = tl_defer_live(dir, doc, jlen, text, strlen(text));
    }
    free(doc);
    free(text);
    return ok;
}

int tl_report_emit(struct tl_report *r)
{
    int saved = errno, rc = 0;
    if (r->opts->report[0] != '\0')
        rc = write_json_file(r);
    bool text = r->mode == TL_BUILD_DUMP || r->mode == TL_BUILD_SIGNAL ||
                r->mode == TL_BUILD_DEADLOCK ||
                r->leaked + r->deadlocked + r->blocked + r->unjoined > 0 ||
                (r->inverted > 0 && r->mode != TL_BUILD_WATCHDOG);
    if (text && !defer_text(r, rc))
        tl_text_write(r, tl_log_fd());
    errno = saved;
    return rc;
}
