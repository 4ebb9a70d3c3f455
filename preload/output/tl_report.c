/* tl_report: JSON rendering of the report model and report emission (see tl_report.h).
 *
 * DESIGN. One function per top-level member of the schema (docs/json-schema.md), in its order, each
 * writing through the streaming writer tl_json. Stacks are written once each, referenced from
 * units and groups by id (the stack table's id), and only stacks that some listed unit or group
 * uses are written. Frames carry the raw ip, the module index and offset (for offline
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
    char t[64];
    tl_json_obj_begin(j, "process");
    tl_json_int(j, "pid", getpid());
    tl_json_int(j, "ppid", getppid());
    tl_json_str(j, "exe", tl_ctx.exe); /* both as at start: a program may rewrite its title */
    tl_json_arr_begin(j, "argv");
    const char *cmd = tl_ctx.cmdline;
    for (size_t i = 0; cmd != NULL && i < tl_ctx.cmdline_len; i += strlen(cmd + i) + 1)
        tl_json_str(j, NULL, cmd + i);
    tl_json_arr_end(j);
    iso_time(tl_ctx.started_ms, t, sizeof t);
    tl_json_str(j, "started", t);
    iso_time(r->written_ms, t, sizeof t);
    tl_json_str(j, "written", t);
    tl_json_obj_end(j);
}

static void write_summary(struct tl_json *j, const struct tl_report *r)
{
    tl_json_obj_begin(j, "summary");
    tl_json_uint(j, "threads_created", r->threads_created);
    tl_json_uint(j, "tasks_created", r->tasks_created);
    tl_json_uint(j, "alive", r->alive);
    tl_json_uint(j, "leaked", r->leaked);
    tl_json_uint(j, "unjoined", r->unjoined);
    tl_json_uint(j, "deadlocked", r->deadlocked);
    tl_json_uint(j, "blocked", r->blocked);
    tl_json_uint(j, "suppressed", r->suppressed);
    tl_json_uint(j, "inversions", r->inverted);
    tl_json_uint(j, "proven", r->proven);
    tl_json_obj_end(j);
}

static void write_modules(struct tl_json *j, const struct tl_report *r)
{
    tl_json_arr_begin(j, "modules");
    for (int i = 0; r->modmap != NULL && i < tl_modmap_count(r->modmap); i++) {
        tl_json_obj_begin(j, NULL);
        tl_json_int(j, "id", i);
        tl_json_str(j, "path", tl_modmap_path(r->modmap, i));
        const char *b = tl_modmap_build_id(r->modmap, i);
        tl_json_str(j, "build_id", b && b[0] ? b : NULL);
        tl_json_hex(j, "base", tl_modmap_base(r->modmap, i));
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
}

static void write_stack(struct tl_json *j, struct tl_report *r, tl_stack_id id)
{
    int n = 0;
    const uintptr_t *f = tl_stack_frames(id, &n);
    tl_json_obj_begin(j, NULL);
    tl_json_uint(j, "id", id);
    tl_json_arr_begin(j, "frames");
    for (int k = 0; k < n; k++) {
        uintptr_t off = 0;
        int m = r->modmap ? tl_modmap_find(r->modmap, f[k], &off) : -1;
        tl_json_obj_begin(j, NULL);
        if (tl_stack_frame_call(f[k]) != NULL)
            tl_json_null(j, "ip"); /* the call the program made: a name, no address of ours */
        else
            tl_json_hex(j, "ip", f[k]);
        if (m >= 0) {
            tl_json_int(j, "module", m);
            tl_json_hex(j, "offset", off);
        } else {
            tl_json_null(j, "module");
            tl_json_null(j, "offset");
        }
        tl_json_str(j, "function", tl_report_function(r, f[k], k > 0));
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    tl_json_obj_end(j);
}

static int cmp_id(const void *a, const void *b)
{
    tl_stack_id x = *(const tl_stack_id *)a, y = *(const tl_stack_id *)b;
    return (x > y) - (x < y);
}

static size_t listed_units(const struct tl_report *r)
{
    size_t max = (size_t)tl_ctx.opts.max_units;
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

void tl_report_stack_ref(struct tl_json *j, const char *key, tl_stack_id id)
{
    if (id == 0)
        tl_json_null(j, key);
    else
        tl_json_uint(j, key, id);
}

static void opt_str(struct tl_json *j, const char *key, const char *v)
{
    tl_json_str(j, key, v != NULL && v[0] != '\0' ? v : NULL);
}

static void write_wait(struct tl_json *j, const struct tl_rep_unit *u)
{
    if (!u->has_wait) {
        tl_json_null(j, "wait");
        return;
    }
    tl_json_obj_begin(j, "wait");
    tl_json_str(j, "reason", u->wait.reason);
    tl_json_str(j, "call", u->wait.call);
    tl_json_hex(j, "object", u->wait.object);
    opt_str(j, "object_name", u->object_name);
    tl_json_int(j, "since_ms", u->wait_ms);
    tl_json_bool(j, "durable", u->wait.durable);
    opt_str(j, "owner", u->owner);
    tl_json_obj_end(j);
}

static void write_unit(struct tl_json *j, struct tl_report *r, const struct tl_rep_unit *u)
{
    tl_json_obj_begin(j, NULL);
    tl_json_str(j, "id", u->id);
    tl_json_str(j, "kind", u->kind == TL_KIND_TASK ? "task" : "thread");
    if (u->tid != 0)
        tl_json_int(j, "tid", u->tid);
    else
        tl_json_null(j, "tid");
    if (u->kind == TL_KIND_TASK)
        tl_json_int(j, "task", u->task);
    else
        tl_json_null(j, "task");
    opt_str(j, "name", u->name);
    tl_json_str(j, "start", u->start ? tl_report_function(r, u->start, false) : NULL);
    tl_json_str(j, "state", u->state);
    if (u->exited_ms >= 0) /* a finished thread's record: how long ago it finished */
        tl_json_int(j, "exited_ms", u->exited_ms);
    tl_json_str(j, "verdict", u->verdict);
    tl_json_str(j, "proof", u->proof);
    tl_json_bool(j, "detached", u->detached);
    tl_json_bool(j, "unknown_origin", u->unknown);
    opt_str(j, "suppressed", u->suppressed);
    write_wait(j, u);
    opt_str(j, "created_by", u->created_by);
    tl_report_stack_ref(j, "created_stack", u->created_stack);
    tl_report_stack_ref(j, "blocked_stack", u->blocked_stack);
    opt_str(j, "label", u->label);
    tl_json_obj_end(j);
}

/* A "growing" group's figures (docs/json-schema.md, groups[].growth). */
static void write_growth(struct tl_json *j, const struct tl_rep_growth *g)
{
    tl_json_obj_begin(j, "growth");
    tl_json_str(j, "site", g->site);
    tl_json_double(j, "rate_per_s", g->rate_per_s);
    tl_json_uint(j, "count", g->count);
    tl_json_uint(j, "count_before", g->count_before);
    tl_json_int(j, "window_ms", g->window_ms);
    tl_json_obj_end(j);
}

static void write_groups(struct tl_json *j, const struct tl_report *r)
{
    tl_json_arr_begin(j, "groups");
    for (size_t g = 0; g < r->ngroups; g++) {
        const struct tl_rep_group *gr = &r->groups[g];
        tl_json_obj_begin(j, NULL);
        tl_json_str(j, "verdict", gr->verdict);
        tl_json_str(j, "kind", gr->kind == TL_KIND_TASK ? "task" : "thread");
        tl_json_str(j, "reason", gr->reason);
        tl_report_stack_ref(j, "created_stack", gr->created_stack);
        tl_report_stack_ref(j, "blocked_stack", gr->blocked_stack);
        tl_json_uint(j, "count", gr->count);
        tl_json_uint(j, "proven", gr->proof != NULL ? gr->count : 0);
        tl_json_arr_begin(j, "units");
        for (size_t k = 0; k < gr->count; k++)
            tl_json_str(j, NULL, r->units[gr->members[k]].id);
        tl_json_arr_end(j);
        tl_json_obj_begin(j, "wait_ms");
        tl_json_int(j, "min", gr->wait_min);
        tl_json_int(j, "max", gr->wait_max);
        tl_json_obj_end(j);
        char hint[256];
        tl_json_str(j, "hint", tl_hint((struct tl_report *)r, gr, hint, sizeof hint) ? hint : NULL);
        if (gr->growth != NULL)
            write_growth(j, gr->growth);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
}

static void write_deadlocks(struct tl_json *j, const struct tl_report *r)
{
    tl_json_arr_begin(j, "deadlocks");
    for (size_t d = 0; d < r->ndeadlocks; d++) {
        const struct tl_deadlock *dl = &r->deadlocks[d];
        tl_json_obj_begin(j, NULL);
        tl_json_arr_begin(j, "units");
        for (size_t k = 0; k < dl->count; k++)
            tl_json_str(j, NULL, r->units[dl->members[k]].id);
        tl_json_arr_end(j);
        tl_json_arr_begin(j, "objects");
        for (size_t k = 0; k < dl->count; k++)
            tl_json_hex(j, NULL, r->units[dl->members[k]].wait.object);
        tl_json_arr_end(j);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
}

/* One lock-order inversion: an entry of the member "inversions" (docs/json-schema.md). */
static void json_one(struct tl_json *j, const struct tl_rep_inversion *x)
{
    tl_json_obj_begin(j, NULL);
    tl_json_arr_begin(j, "objects");
    for (size_t e = 0; e < x->n; e++)
        tl_json_str(j, NULL, x->edge[e].held);
    tl_json_arr_end(j);
    tl_json_arr_begin(j, "edges");
    for (size_t e = 0; e < x->n; e++) {
        const struct tl_rep_inv_edge *d = &x->edge[e];
        tl_json_obj_begin(j, NULL);
        tl_json_str(j, "unit", d->unit);
        tl_json_str(j, "held", d->held);
        tl_json_str(j, "acquired", d->acquired);
        tl_report_stack_ref(j, "held_stack", d->held_stack);
        tl_report_stack_ref(j, "acquired_stack", d->acquired_stack);
        tl_json_obj_end(j);
    }
    tl_json_arr_end(j);
    tl_json_str(j, "suppressed", x->suppressed);
    tl_json_obj_end(j);
}

static void inversions_json(struct tl_json *j, const struct tl_report *r)
{
    tl_json_arr_begin(j, "inversions");
    for (size_t i = 0; i < r->ninversions; i++)
        json_one(j, &r->inversions[i]);
    tl_json_arr_end(j);
}

char *tl_report_json(struct tl_report *r, size_t *len)
{
    struct tl_json j;
    tl_json_init(&j);
    tl_json_obj_begin(&j, NULL);
    tl_json_str(&j, "schema", "taskleak/1");
    tl_json_str(&j, "kind", r->kind);
    if (r->signal != 0)
        tl_json_str(&j, "signal", tl_signal_name(r->signal));
    write_process(&j, r);
    tl_json_obj_begin(&j, "options");
    tl_options_json(&tl_ctx.opts, &j);
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
    if (tl_ctx.supp != NULL)
        tl_supp_json(tl_ctx.supp, &j);
    tl_json_arr_end(&j);
    tl_json_obj_end(&j);
    return tl_json_finish(&j, len);
}

/* report_fallback=DIR: a second place for a report report= could not take. taskleak run points it
 * at a private directory, so that a report lost to an unwritable report directory is told apart
 * from a detector that never ran. */
static void write_fallback(const char *name, const char *doc, size_t len)
{
    char dir[TL_OPT_PATH_MAX];
    if (tl_ctx.opts.report_fallback[0] == '\0' ||
        tl_options_expand_path(tl_ctx.opts.report_fallback, dir, sizeof dir) < 0)
        return;
    if (tl_file_write_atomic(dir, name, doc, len) < 0)
        tl_logf("cannot write report %s/%s either: %s", dir, name, strerror(errno));
}

static int write_json_file(struct tl_report *r)
{
    char dir[TL_OPT_PATH_MAX], name[128];
    if (tl_options_expand_path(tl_ctx.opts.report, dir, sizeof dir) < 0) {
        tl_logf("report=%s: bad directory name (%s)", tl_ctx.opts.report, strerror(errno));
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
        write_fallback(name, doc, len);
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
           (r->mode == TL_BUILD_DEADLOCK && tl_ctx.opts.on_deadlock != TL_ON_DEADLOCK_REPORT &&
            tl_ctx.opts.exitcode != 0);
}

/* defer_text=DIR (tl_defer.h): the text goes to DIR instead of the log, for taskleak run to
 * render; the last word's once its JSON file is written, any other as a live pair. False leaves
 * the text on the log. */
static bool defer_text(struct tl_report *r, int json_rc)
{
    char dir[TL_OPT_PATH_MAX];
    bool last = last_word(r);
    if ((last && json_rc != 0) || !tl_defer_dir(dir, sizeof dir))
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
    if (tl_ctx.opts.report[0] != '\0')
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
