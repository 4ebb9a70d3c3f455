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
#include "tl_inversion.h"
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
        fprintf(f, "    #%-2d %s  (%s+0x%lx)\n", k, fn ? fn : "??", base ? base + 1 : path,
                (unsigned long)off);
    }
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

static void print_group(FILE *f, struct tl_report *r, const struct tl_rep_group *g, int colour)
{
    const struct tl_rep_unit *first = &r->units[g->members[0]];
    char d[32];
    tl_text_duration(g->wait_max, d, sizeof d);
    const char *kind = g->kind == TL_KIND_TASK ? "task" : "thread";
    fprintf(f, "\n%s%zu %s%s [%s%s%s] %s%s\n", colour ? "\033[1m" : "", g->count, kind,
            g->count == 1 ? "" : "s", g->reason ? g->reason : first->state, g->reason ? ", " : "",
            g->reason ? d : "", g->verdict, colour ? "\033[0m" : "");
    if (g->blocked_stack != 0) {
        fprintf(f, "  blocked in %s:\n", first->wait.call ? first->wait.call : "?");
        print_stack(f, r, g->blocked_stack);
    }
    const char *start = first->start ? tl_report_function(r, first->start, false) : NULL;
    fprintf(f, "  created by %s%s%s%s%s:\n", first->created_by[0] ? first->created_by : "?",
            start ? ", start " : "", start ? start : "", first->label[0] ? ", label " : "",
            first->label);
    if (g->created_stack != 0)
        print_stack(f, r, g->created_stack);
    else
        fprintf(f, "    (not seen being created: started before the detector or behind it)\n");
    print_ids(f, r, g);
    if (start != NULL)
        fprintf(f, "  to silence: suppressions line 'leak:%s'\n", start);
}

static void print_dump(FILE *f, struct tl_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct tl_rep_unit *u = &r->units[i];
        char d[32];
        tl_text_duration(u->wait_ms, d, sizeof d);
        fprintf(f, "\n%s [%s%s%s]%s%s\n", u->id, u->has_wait ? u->wait.reason : u->state,
                u->has_wait ? ", " : "", u->has_wait ? d : "", u->name[0] ? " " : "", u->name);
        if (u->blocked_stack != 0)
            print_stack(f, r, u->blocked_stack);
    }
}

char *tl_text_render(struct tl_report *r, int colour)
{
    char *buf = NULL, exe[256];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = '\0';
    fprintf(f,
            "taskleak: %s report: %zu leaked, %zu deadlocked, %zu blocked, %zu suppressed of "
            "%zu alive in pid %d (%s)\n",
            r->kind, r->leaked, r->deadlocked, r->blocked, r->suppressed, r->alive, (int)getpid(),
            exe);
    if (r->mode == TL_BUILD_DUMP)
        print_dump(f, r);
    for (size_t g = 0; g < r->ngroups; g++)
        print_group(f, r, &r->groups[g], colour);
    tl_deadlock_text(r, f);
    if (r->mode != TL_BUILD_WATCHDOG)
        tl_inversion_text(r, f);
    fprintf(f,
            "\nSUMMARY: taskleak: %zu leaked, %zu deadlocked, %zu blocked in %zu group(s) "
            "(pid %d)",
            r->leaked, r->deadlocked, r->blocked, r->ngroups, (int)getpid());
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
