/* tl_text: the grouped text report (see tl_text.h).
 *
 * DESIGN. Rendering goes into an open_memstream buffer and leaves with one write(2), so a report
 * is never interleaved with the program's own stderr output line by line. Groups come in the
 * model's order (tl_render_group_order: the most severe verdict first, then the larger group).
 * Stacks print every frame with its function name, "??" when no symbol table names it, plus
 * module+offset so the line can be symbolized offline. The lines themselves are tl_fmt's, which
 * taskleak-report's text shares.
 */
#include "tl_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_ctx.h"
#include "tl_deadlock.h"
#include "tl_file.h"
#include "tl_fmt.h"
#include "tl_hint.h"
#include "tl_input.h"
#include "tl_inversion.h"
#include "tl_object.h"
#include "tl_options.h"
#include "tl_reason.h"
#include "tl_render.h"
#include "tl_symbols.h"

#define IDS_SHOWN 8

void tl_text_duration(int64_t ms, char *buf, size_t n)
{
    if (ms < 1000)
        snprintf(buf, n, "%lldms", (long long)ms);
    else if (ms < 60000)
        snprintf(buf, n, "%llds", (long long)(ms / 1000));
    else
        snprintf(buf, n, "%lldm%llds", (long long)(ms / 60000), (long long)(ms % 60000 / 1000));
}

void tl_text_frames(FILE *f, struct tl_report *r, tl_stack_id id, const char *indent, int max)
{
    int n = 0;
    const uintptr_t *ips = tl_stack_frames(id, &n);
    if (n == 0)
        fprintf(f, "%s(no stack)\n", indent);
    for (int k = 0; k < n && k < max; k++) {
        struct tl_fmt_frame fr = {.n = (size_t)k,
                                  .function = tl_report_function(r, ips[k], k > 0),
                                  .call = tl_stack_frame_call(ips[k]) != NULL,
                                  .offset = ips[k],
                                  .indent = indent};
        char shown[256]; /* a file name may hold a newline */
        uintptr_t off = 0;
        int m = fr.call || r->modmap == NULL ? -1 : tl_modmap_find(r->modmap, ips[k], &off);
        if (m >= 0) {
            const char *path = tl_modmap_path(r->modmap, m), *base = strrchr(path, '/');
            fr.module = tl_input_escape(base ? base + 1 : path, shown, sizeof shown);
            fr.offset = off;
        }
        tl_fmt_frame(f, &tl_fmt_plain, &fr);
    }
    if (n > max)
        fprintf(f, "%s... (%d more frames)\n", indent, n - max);
}

static void print_stack(FILE *f, struct tl_report *r, tl_stack_id id)
{
    tl_text_frames(f, r, id, "    ", TL_STACK_MAX_FRAMES);
}

bool tl_text_is_main(const struct tl_rep_unit *u)
{
    return u->kind == TL_KIND_THREAD && strcmp(u->id, "thread:1") == 0;
}

void tl_text_stack(FILE *f, struct tl_report *r, tl_stack_id id)
{
    print_stack(f, r, id);
}

/* What tl_render asks of a group: its stacks and its unit ids, from the model. */
struct group_ctx {
    struct tl_report *r;
    const struct tl_rep_group *g;
    int max_frames;
    bool hinted;
};

static void group_stack(FILE *f, void *ctx, enum tl_render_stack which)
{
    const struct group_ctx *c = ctx;
    tl_text_frames(f, c->r, which == TL_RENDER_BLOCKED ? c->g->blocked_stack : c->g->created_stack,
                   "    ", c->max_frames);
}

/* The watchdog's last word on a group: how to quiet it for good when no hint fits. */
static void watchdog_tail(FILE *f, void *ctx)
{
    const struct group_ctx *c = ctx;
    if (c->g->growth != NULL)
        fputs("  to silence: growth=0\n", f);
    else if (!c->hinted)
        fputs("  to silence: threshold=0\n", f);
}

static void group_units(FILE *f, void *ctx)
{
    const struct group_ctx *c = ctx;
    for (size_t k = 0; k < c->g->count && k < IDS_SHOWN; k++)
        fprintf(f, " %s", c->r->units[c->g->members[k]].id);
    if (c->g->count > IDS_SHOWN)
        fprintf(f, " (+%zu more)", c->g->count - IDS_SHOWN);
}

/* The group's creation: by whom, its start routine and label, escaped (the program's text). */
static void view_created(struct tl_report *r, const struct tl_rep_group *g,
                         struct tl_render_group *v, char *start_esc, char *label_esc, size_t n)
{
    const struct tl_rep_unit *first = &r->units[g->members[0]];
    const char *start = first->start ? tl_report_function(r, first->start, false) : NULL;
    v->start = start ? tl_input_escape(start, start_esc, n) : NULL;
    v->label = tl_input_escape(first->label, label_esc, n);
    v->created_by = first->created_by;
    v->main_thread = tl_text_is_main(first) && g->created_stack == 0 && !first->created_by[0];
    v->created = g->created_stack != 0;
}

/* The wait of the group's first unit: the object by name and who holds it. */
static void view_wait(struct tl_report *r, const struct tl_rep_unit *u, struct tl_render_group *v,
                      char *what, size_t n)
{
    const char *word = u->has_wait ? tl_reason_object_word(u->wait.reason) : NULL;
    v->owner = u->owner;
    v->join = u->has_wait && u->wait.reason && strcmp(u->wait.reason, "join") == 0;
    if (word == NULL || u->wait.object == 0)
        return;
    tl_object_describe(r, u, what, n);
    const struct tl_rep_unit *o = NULL;
    for (size_t i = 0; u->owner[0] != '\0' && i < r->n && o == NULL; i++)
        if (strcmp(r->units[i].id, u->owner) == 0)
            o = &r->units[i];
    v->wait_word = word;
    v->wait_place = what;
    v->owner_start = o != NULL && o->start ? tl_report_function(r, o->start, false) : NULL;
}

void tl_text_group(FILE *f, struct tl_report *r, const struct tl_rep_group *g, int colour,
                   const char *why, int max_frames)
{
    const struct tl_rep_unit *first = &r->units[g->members[0]];
    struct tl_fmt_style s = tl_fmt_plain;
    if (colour)
        s = (struct tl_fmt_style){"\033[1m", "", "", "\033[0m"};
    char d[32], what[192], proof[256], growth[192], hint[256], hint_esc[256];
    char start_esc[256], label_esc[256]; /* names and labels are the program's text: escaped */
    tl_text_duration(g->wait_max, d, sizeof d);
    struct tl_render_group v = {.count = (long long)g->count,
                                .kind = g->kind == TL_KIND_TASK ? "task" : "thread",
                                .reason = g->reason ? g->reason : first->state,
                                .dur = g->reason ? d : NULL,
                                .verdict = g->verdict,
                                .blocked = g->blocked_stack != 0,
                                .call = first->wait.call};
    if (g->proof != NULL) { /* "proven: nothing can reach condition variable 0x… it waits on" */
        const char *word = tl_reason_object_word(g->reason);
        snprintf(proof, sizeof proof, "proven: nothing can reach %s 0x%lx it waits on",
                 word                                      ? word
                 : g->reason && !strcmp(g->reason, "join") ? "thread"
                                                           : "the object",
                 (unsigned long)first->wait.object);
        v.notes[0] = proof;
    }
    if (g->growth != NULL) {
        const struct tl_rep_growth *gr = g->growth;
        char win[32];
        tl_text_duration(gr->window_ms, win, sizeof win);
        snprintf(growth, sizeof growth, "%zu live, +%zu in %s (%.1f/s), site %s", gr->count,
                 gr->count - gr->count_before, win, gr->rate_per_s, gr->site);
        v.growth = growth;
    }
    view_wait(r, first, &v, what, sizeof what);
    view_created(r, g, &v, start_esc, label_esc, sizeof start_esc);
    if (g->growth == NULL && tl_hint(r, g, hint, sizeof hint))
        v.hint = tl_input_escape(hint, hint_esc, sizeof hint_esc); /* it may quote a name */
    v.notes[1] = why; /* the watchdog's "new", "grew", "still there" */
    struct group_ctx c = {r, g, max_frames, v.hint != NULL};
    const struct tl_render_ops ops = {
        .stack = group_stack, .units = group_units, .tail = why ? watchdog_tail : NULL};
    tl_render_group(f, &s, &v, &ops, &c);
}

/* The innermost function of the first edge's acquiring stack that has a name: the line that
 * would silence the inversion. */
static const char *silencer(struct tl_report *r, const struct tl_rep_inversion *x)
{
    int n = 0;
    const uintptr_t *ips = tl_stack_frames(x->edge[0].acquired_stack, &n);
    for (int f = 0; f < n; f++) {
        const char *fn = tl_report_function(r, ips[f], f > 0);
        if (fn != NULL)
            return fn;
    }
    return NULL;
}

struct inv_ctx {
    struct tl_report *r;
    const struct tl_rep_inversion *x;
};

static void inv_stack(FILE *f, void *ctx, size_t e, bool acquired)
{
    const struct inv_ctx *c = ctx;
    const struct tl_rep_inv_edge *d = &c->x->edge[e];
    tl_text_stack(f, c->r, acquired ? d->acquired_stack : d->held_stack);
}

/* One "lock-order inversion (potential deadlock)" section (tl_render_inversion). */
static void text_one(struct tl_report *r, FILE *f, const struct tl_rep_inversion *x, size_t nr)
{
    struct tl_render_inv_edge edges[TL_LG_CYCLE_MAX];
    size_t n = x->n < TL_LG_CYCLE_MAX ? x->n : TL_LG_CYCLE_MAX;
    for (size_t e = 0; e < n; e++)
        edges[e] =
            (struct tl_render_inv_edge){x->edge[e].unit, x->edge[e].held, x->edge[e].acquired};
    struct tl_render_inversion v = {.nr = nr, .edges = edges, .n = n, .silencer = silencer(r, x)};
    struct inv_ctx c = {r, x};
    tl_render_inversion(f, &v, inv_stack, &c);
}

static void inversions_text(struct tl_report *r, FILE *f)
{
    for (size_t i = 0, nr = 0; i < r->ninversions; i++)
        if (r->inversions[i].suppressed == NULL)
            text_one(r, f, &r->inversions[i], ++nr);
}

/* Groups whose verdict fails the run under fail_on, and the unsuppressed inversions when
 * inversions fail it: the SUMMARY line's "failing", counted as taskleak-report counts it. */
static size_t failing_groups(const struct tl_report *r)
{
    static const struct {
        const char *verdict;
        unsigned bit;
    } fail[] = {{"leaked", TL_FAIL_LEAKED},
                {"deadlocked", TL_FAIL_DEADLOCKED},
                {"blocked", TL_FAIL_BLOCKED},
                {"unjoined", TL_FAIL_UNJOINED},
                {"growing", TL_FAIL_GROWING}};
    unsigned mask = r->opts->fail_on;
    size_t n = (mask & TL_FAIL_INVERSION) && r->mode != TL_BUILD_WATCHDOG ? r->inverted : 0;
    for (size_t g = 0; g < r->ngroups; g++)
        for (size_t k = 0; k < sizeof fail / sizeof fail[0]; k++)
            if (r->groups[g].verdict && !strcmp(r->groups[g].verdict, fail[k].verdict))
                n += (mask & fail[k].bit) != 0;
    return n;
}

/* The figures of the first and SUMMARY lines, for this one process. */
static struct tl_render_counts counts(const struct tl_report *r, const char *exe,
                                      const char *argv0)
{
    return (struct tl_render_counts){.kind = r->kind,
                                     .leaked = (long long)r->leaked,
                                     .deadlocked = (long long)r->deadlocked,
                                     .blocked = (long long)r->blocked,
                                     .unjoined = (long long)r->unjoined,
                                     .suppressed = (long long)r->suppressed,
                                     .alive = (long long)r->alive,
                                     .groups = r->ngroups,
                                     .inversions = r->mode != TL_BUILD_WATCHDOG ? r->inverted : 0,
                                     .failing = failing_groups(r),
                                     .fresh = -1,
                                     .nprocs = 1,
                                     .pid = (long long)getpid(),
                                     .exe = exe,
                                     .argv0 = argv0};
}

char *tl_text_render(struct tl_report *r, int colour)
{
    char *buf = NULL, raw[256], exe[1024];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    ssize_t k = readlink("/proc/self/exe", raw, sizeof raw - 1);
    raw[k > 0 ? k : 0] = '\0';
    tl_input_escape(raw, exe, sizeof exe); /* a path may hold a newline: one line stays one */
    char argv0[256]; /* the command as started (captured before main could retitle it) */
    tl_input_escape(tl_ctx.cmdline != NULL && tl_ctx.cmdline_len > 0 ? tl_ctx.cmdline : "", argv0,
                    sizeof argv0);
    if (r->mode == TL_BUILD_DEADLOCK && r->all_asleep)
        fputs("taskleak: all threads are asleep - deadlock!\n", f); /* Go's words, first */
    struct tl_render_counts c = counts(r, exe, argv0);
    tl_render_first_line(f, &tl_fmt_plain, &c);
    if (r->signal != 0)
        fprintf(f, "taskleak: the program is being killed by %s; every unit as it was:\n",
                tl_signal_name(r->signal));
    for (size_t g = 0; g < r->ngroups; g++)
        tl_text_group(f, r, &r->groups[g], colour, NULL, TL_STACK_MAX_FRAMES);
    tl_deadlock_text(r, f);
    if (r->mode != TL_BUILD_WATCHDOG)
        inversions_text(r, f);
    tl_render_summary(f, &c);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

void tl_text_write(struct tl_report *r, int fd)
{
    if (fd < 0)
        return;
    int saved = errno;
    char *text = tl_text_render(r, isatty(fd));
    if (text != NULL)
        tl_file_write_all(fd, text, strlen(text));
    free(text);
    errno = saved;
}
