/* tl_text: the grouped text report (see tl_text.h).
 *
 * DESIGN. Rendering goes into an open_memstream buffer and leaves with one write(2), so a report
 * is never interleaved with the program's own stderr output line by line. Groups come in the
 * model's order (largest first). Stacks print every frame with its function name, "??" when no
 * symbol table names it, plus module+offset so the line can be symbolized offline. The lines
 * themselves are tl_fmt's, which taskleak-report's text shares.
 */
#include "tl_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_deadlock.h"
#include "tl_file.h"
#include "tl_fmt.h"
#include "tl_hint.h"
#include "tl_input.h"
#include "tl_inversion.h"
#include "tl_object.h"
#include "tl_options.h"
#include "tl_reason.h"
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

static void print_ids(FILE *f, const struct tl_report *r, const struct tl_rep_group *g)
{
    fprintf(f, "  units:");
    for (size_t k = 0; k < g->count && k < IDS_SHOWN; k++)
        fprintf(f, " %s", r->units[g->members[k]].id);
    if (g->count > IDS_SHOWN)
        fprintf(f, " (+%zu more)", g->count - IDS_SHOWN);
    fprintf(f, "\n");
}

/* "  waits for mutex cache_lock (prog+0x4040), held by thread:3 handle_conn" */
void tl_text_wait(FILE *f, struct tl_report *r, const struct tl_rep_unit *u)
{
    const char *word = u->has_wait ? tl_reason_object_word(u->wait.reason) : NULL;
    char what[192];
    if (word == NULL || u->wait.object == 0)
        return;
    tl_object_describe(r, u, what, sizeof what);
    const struct tl_rep_unit *o = NULL;
    for (size_t i = 0; u->owner[0] != '\0' && i < r->n && o == NULL; i++)
        if (strcmp(r->units[i].id, u->owner) == 0)
            o = &r->units[i];
    const char *start = o != NULL && o->start ? tl_report_function(r, o->start, false) : NULL;
    tl_fmt_wait(f, word, NULL, what, u->owner, start, strcmp(u->wait.reason, "join") == 0);
}

void tl_text_created(FILE *f, struct tl_report *r, const struct tl_rep_group *g, int max)
{
    const struct tl_rep_unit *first = &r->units[g->members[0]];
    char start_esc[256], label_esc[256]; /* names and labels are the program's text: escaped */
    const char *start = first->start ? tl_report_function(r, first->start, false) : NULL;
    start = start ? tl_input_escape(start, start_esc, sizeof start_esc) : NULL;
    bool main = tl_text_is_main(first) && g->created_stack == 0 && !first->created_by[0];
    tl_fmt_created(f, main, first->created_by, start,
                   tl_input_escape(first->label, label_esc, sizeof label_esc));
    if (!main && g->created_stack != 0)
        tl_text_frames(f, r, g->created_stack, "    ", max);
    else if (!main)
        fprintf(f, "    (not seen being created: started before the detector or behind it)\n");
}

/* A creation site found growing (tl_growth.h): its figures, its creation stack, its units here. */
static void print_growing(FILE *f, struct tl_report *r, const struct tl_rep_group *g, int colour)
{
    const struct tl_rep_growth *gr = g->growth;
    fprintf(f, "\n%s%s site %s growing%s: %zu live, %zu more than %.1fs before (%.1f/s)\n",
            colour ? "\033[1m" : "", g->kind == TL_KIND_TASK ? "task" : "thread", gr->site,
            colour ? "\033[0m" : "", gr->count, gr->count - gr->count_before,
            (double)gr->window_ms / 1000.0, gr->rate_per_s);
    fprintf(f, "  created at:\n");
    print_stack(f, r, g->created_stack);
    if (g->count > 0)
        print_ids(f, r, g);
}

static void print_group(FILE *f, struct tl_report *r, const struct tl_rep_group *g, int colour)
{
    if (g->growth != NULL) {
        print_growing(f, r, g, colour);
        return;
    }
    const struct tl_rep_unit *first = &r->units[g->members[0]];
    struct tl_fmt_style s = tl_fmt_plain;
    if (colour)
        s = (struct tl_fmt_style){"\033[1m", "", "", "\033[0m"};
    char d[32];
    tl_text_duration(g->wait_max, d, sizeof d);
    tl_fmt_headline(f, &s, (long long)g->count, g->kind == TL_KIND_TASK ? "task" : "thread",
                    g->reason ? g->reason : first->state, g->reason ? d : NULL, g->verdict);
    if (g->proof != NULL) { /* " (proven: nothing can reach condition variable 0x… it waits on)" */
        const char *word = tl_reason_object_word(g->reason);
        fprintf(f, " (proven: nothing can reach %s 0x%lx it waits on)",
                word ? word : g->reason && !strcmp(g->reason, "join") ? "thread" : "the object",
                (unsigned long)first->wait.object);
    }
    fputc('\n', f);
    tl_text_wait(f, r, first);
    if (g->blocked_stack != 0) {
        tl_fmt_blocked_in(f, first->wait.call);
        print_stack(f, r, g->blocked_stack);
    }
    tl_text_created(f, r, g, TL_STACK_MAX_FRAMES);
    print_ids(f, r, g);
    char hint[256], hint_esc[256]; /* a hint may quote a thread's name */
    if (tl_hint(r, g, hint, sizeof hint))
        tl_fmt_hint(f, tl_input_escape(hint, hint_esc, sizeof hint_esc));
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

/* One "lock-order inversion (potential deadlock)" section. */
static void text_one(struct tl_report *r, FILE *f, const struct tl_rep_inversion *x, size_t nr)
{
    const char *held[TL_LG_CYCLE_MAX];
    size_t n = x->n < TL_LG_CYCLE_MAX ? x->n : TL_LG_CYCLE_MAX;
    for (size_t e = 0; e < n; e++)
        held[e] = x->edge[e].held;
    tl_fmt_inversion(f, nr, held, n);
    fputc('\n', f);
    for (size_t e = 0; e < x->n; e++) {
        const struct tl_rep_inv_edge *d = &x->edge[e];
        tl_fmt_inversion_edge(f, d->unit, d->held, d->acquired);
        tl_fmt_taken_at(f, d->held);
        tl_text_stack(f, r, d->held_stack);
        tl_fmt_taken_at(f, d->acquired);
        tl_text_stack(f, r, d->acquired_stack);
    }
    const char *fn = silencer(r, x);
    char hint[256];
    if (fn != NULL) {
        snprintf(hint, sizeof hint, "inversion:%s", fn);
        tl_fmt_hint(f, hint);
    }
}

static void inversions_text(struct tl_report *r, FILE *f)
{
    for (size_t i = 0, nr = 0; i < r->ninversions; i++)
        if (r->inversions[i].suppressed == NULL)
            text_one(r, f, &r->inversions[i], ++nr);
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
    if (r->mode == TL_BUILD_DEADLOCK && r->all_asleep)
        fputs("taskleak: all threads are asleep - deadlock!\n", f); /* Go's words, first */
    char unjoined[48] = ""; /* shown when there are any, so older greps keep matching */
    if (r->unjoined > 0)
        snprintf(unjoined, sizeof unjoined, ", %zu unjoined", r->unjoined);
    fprintf(f,
            "taskleak: %s report: %zu leaked, %zu deadlocked, %zu blocked%s, %zu suppressed of "
            "%zu alive in pid %d (%s)\n",
            r->kind, r->leaked, r->deadlocked, r->blocked, unjoined, r->suppressed, r->alive,
            (int)getpid(), exe);
    if (r->signal != 0)
        fprintf(f, "taskleak: the program is being killed by %s; every unit as it was:\n",
                tl_signal_name(r->signal));
    for (size_t g = 0; g < r->ngroups; g++)
        print_group(f, r, &r->groups[g], colour);
    tl_deadlock_text(r, f);
    if (r->mode != TL_BUILD_WATCHDOG)
        inversions_text(r, f);
    fprintf(f,
            "\nSUMMARY: taskleak: %zu leaked, %zu deadlocked, %zu blocked%s in %zu group(s) "
            "(pid %d)",
            r->leaked, r->deadlocked, r->blocked, unjoined, r->ngroups, (int)getpid());
    if (r->inverted > 0 && r->mode != TL_BUILD_WATCHDOG)
        fprintf(f, ", %zu lock-order inversion(s)", r->inverted);
    fputc('\n', f);
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
