/* tl_text: the grouped text report (see tl_text.h).
 *
 * DESIGN. Rendering goes into an open_memstream buffer and leaves with one write(2), so a report
 * is never interleaved with the program's own stderr output line by line. Groups come in the
 * model's order (largest first). Stacks print every frame with its function name, "??" when no
 * symbol table names it, plus module+offset so the line can be symbolized offline.
 */
#include "tl_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_deadlock.h"
#include "tl_file.h"
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

static void print_stack(FILE *f, struct tl_report *r, tl_stack_id id)
{
    int n = 0;
    const uintptr_t *ips = tl_stack_frames(id, &n);
    if (n == 0)
        fprintf(f, "    (no stack)\n");
    for (int k = 0; k < n; k++) {
        const char *fn = tl_report_function(r, ips[k], k > 0);
        uintptr_t off = 0;
        int m = r->modmap ? tl_modmap_find(r->modmap, ips[k], &off) : -1;
        const char *path = m >= 0 ? tl_modmap_path(r->modmap, m) : "?";
        const char *base = strrchr(path, '/');
        if (tl_stack_frame_call(ips[k]) != NULL) {
            fprintf(f, "    #%-2d %s\n", k, fn);
            continue;
        }
        char shown[256]; /* a file name may hold a newline */
        fprintf(f, "    #%-2d %s  (%s+0x%lx)\n", k, fn ? fn : "??",
                tl_input_escape(base ? base + 1 : path, shown, sizeof shown), (unsigned long)off);
    }
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
static void print_object(FILE *f, struct tl_report *r, const struct tl_rep_unit *u)
{
    const char *word = u->has_wait ? tl_reason_object_word(u->wait.reason) : NULL;
    char what[192];
    if (word == NULL || u->wait.object == 0)
        return;
    tl_object_describe(r, u, what, sizeof what);
    fprintf(f, "  waits for %s %s", word, what);
    const struct tl_rep_unit *o = NULL;
    for (size_t i = 0; u->owner[0] != '\0' && i < r->n && o == NULL; i++)
        if (strcmp(r->units[i].id, u->owner) == 0)
            o = &r->units[i];
    const char *start = o != NULL && o->start ? tl_report_function(r, o->start, false) : NULL;
    if (u->owner[0] != '\0' && strcmp(u->wait.reason, "join") != 0)
        fprintf(f, ", held by %s%s%s", u->owner, start ? " " : "", start ? start : "");
    fprintf(f, "\n");
}

/* "4 threads [cond wait, 12s] leaked"; finished threads: "4 threads unjoined: finished, never
 * joined or detached". A dump's group of units nobody judged has no verdict. */
static void print_headline(FILE *f, const struct tl_report *r, const struct tl_rep_group *g,
                           int colour)
{
    const struct tl_rep_unit *first = &r->units[g->members[0]];
    const char *kind = g->kind == TL_KIND_TASK ? "task" : "thread";
    if (g->verdict != NULL && strcmp(g->verdict, "unjoined") == 0) {
        fprintf(f, "\n%s%zu %s%s unjoined: finished, never joined or detached%s\n",
                colour ? "\033[1m" : "", g->count, kind, g->count == 1 ? "" : "s",
                colour ? "\033[0m" : "");
        return;
    }
    char d[32], proof[160] = "";
    tl_text_duration(g->wait_max, d, sizeof d);
    if (g->proof != NULL) { /* "(proven: nothing can reach condition variable 0x… it waits on)" */
        const char *word = tl_reason_object_word(g->reason);
        snprintf(proof, sizeof proof, " (proven: nothing can reach %s 0x%lx it waits on)",
                 word ? word : g->reason && !strcmp(g->reason, "join") ? "thread" : "the object",
                 (unsigned long)first->wait.object);
    }
    fprintf(f, "\n%s%zu %s%s [%s%s%s]%s%s%s%s\n", colour ? "\033[1m" : "", g->count, kind,
            g->count == 1 ? "" : "s", g->reason ? g->reason : first->state, g->reason ? ", " : "",
            g->reason ? d : "", g->verdict ? " " : "", g->verdict ? g->verdict : "", proof,
            colour ? "\033[0m" : "");
}

static void print_group(FILE *f, struct tl_report *r, const struct tl_rep_group *g, int colour)
{
    const struct tl_rep_unit *first = &r->units[g->members[0]];
    print_headline(f, r, g, colour);
    print_object(f, r, first);
    if (g->blocked_stack != 0) {
        fprintf(f, "  blocked in %s:\n", first->wait.call ? first->wait.call : "?");
        print_stack(f, r, g->blocked_stack);
    }
    char start_esc[256], label_esc[256]; /* names and labels are the program's text: escaped */
    const char *start = first->start ? tl_report_function(r, first->start, false) : NULL;
    start = start ? tl_input_escape(start, start_esc, sizeof start_esc) : NULL;
    if (tl_text_is_main(first) && g->created_stack == 0 && !first->created_by[0]) {
        fprintf(f, "  created by: main thread\n"); /* the process's first thread, not created */
    } else {
        fprintf(f, "  created by %s%s%s%s%s:\n", first->created_by[0] ? first->created_by : "?",
                start ? ", start " : "", start ? start : "", first->label[0] ? ", label " : "",
                tl_input_escape(first->label, label_esc, sizeof label_esc));
        if (g->created_stack != 0)
            print_stack(f, r, g->created_stack);
        else
            fprintf(f, "    (not seen being created: started before the detector or behind it)\n");
    }
    print_ids(f, r, g);
    char hint[256], hint_esc[256]; /* a hint may quote a thread's name */
    if (tl_hint(r, g, hint, sizeof hint))
        fprintf(f, "  to silence: suppressions line '%s'\n",
                tl_input_escape(hint, hint_esc, sizeof hint_esc));
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
        tl_inversion_text(r, f);
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
