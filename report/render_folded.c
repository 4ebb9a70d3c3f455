/*
 * Folded stacks for flame graphs (Brendan Gregg's stackcollapse format): one line per merged,
 * unsuppressed group, "root;...;leaf COUNT", program frames only, so a flame graph shows the
 * program's code and nothing every program shares.
 *
 * Which stack says most depends on the verdict: a leaked or unjoined unit is a mistake made where
 * it was created, so those groups show their creation stack, then the unit's start function and
 * the wait reason (or "[finished]") as the leaf: a flame graph of a leak run is a map of where
 * leaks are created. Blocked, deadlocked and unjudged (dump) groups show their blocked stack with
 * the wait reason as the leaf. The root frame is the verdict ("leaked", "unjoined", "deadlocked",
 * "blocked", "unjudged" for a dump's units), so one graph holds them side by side;
 * `--verdict V` keeps only that verdict's groups and drops the root.
 *
 * Program frames: every frame of a module that is not a shared system or runtime library
 * (tl_fmt_system_module: libc, the loader, libstdc++, libgcc, the detector, gor, ...), minus the
 * C start-up's and gor's own functions; the named calls the program made (pthread_create,
 * pthread_cond_wait) stay, as the program wrote them. Inlined frames are expanded. ';' inside a
 * name would split a frame, so it becomes ':'.
 */
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "tl_fmt.h"

static void put_name(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == ';' ? ':' : (*s == '\n' ? ' ' : *s), out);
}

static void put_sep(FILE *out, bool *first)
{
    if (!*first)
        fputc(';', out);
    *first = false;
}

static bool program_frame(const struct tlr_proc *p, const struct tlr_frame *f, const char *name)
{
    const char *mod = tlr_frame_module(p, f);
    return !(mod && tl_fmt_system_module(mod)) && !tl_fmt_startup_function(name);
}

static void put_frame(FILE *out, const struct tlr_proc *p, const struct tlr_frame *f, bool *first)
{
    char buf[256];
    const char *name = tlr_frame_display(p, f, buf, sizeof buf);
    if (!program_frame(p, f, name))
        return;
    /* outermost first: the real function, then the inlined ones from outer to inner */
    put_sep(out, first);
    put_name(out, name);
    for (size_t i = f->nlocs > 0 ? f->nlocs - 1 : 0; i-- > 0;) {
        fputc(';', out);
        put_name(out, f->locs[i].function ? f->locs[i].function : "??");
    }
}

static const char *root_of(const struct tlr_mgroup *g)
{
    return g->first->verdict ? g->first->verdict : "unjudged";
}

/* Leaks and unjoined threads are shown where they were created. */
static bool by_creation(const struct tlr_mgroup *g)
{
    const char *v = g->first->verdict;
    return v && (!strcmp(v, "leaked") || !strcmp(v, "unjoined"));
}

static void group_line(FILE *out, const struct tlr_mgroup *g, bool root)
{
    bool creation = by_creation(g);
    const struct tlr_stack *s = creation ? g->first->created : g->first->blocked;
    bool first = true;
    if (root) {
        put_sep(out, &first);
        put_name(out, root_of(g));
    }
    for (size_t k = s ? s->nframes : 0; k-- > 0;)
        put_frame(out, g->proc, &s->frames[k], &first);
    const struct tlr_unit *u =
        creation && g->first->nunits ? tlr_proc_unit(g->proc, g->first->units[0]) : NULL;
    if (u && u->start) { /* the function the created unit runs */
        put_sep(out, &first);
        put_name(out, u->start);
    }
    put_sep(out, &first);
    fputc('[', out);
    bool finished = g->first->verdict && !strcmp(g->first->verdict, "unjoined");
    put_name(out, finished ? "finished" : g->first->reason ? g->first->reason : "running");
    fprintf(out, "] %lld\n", g->count);
}

int tlr_render_folded(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    for (size_t i = 0; i < m->ngroups; i++) {
        const struct tlr_mgroup *g = m->groups[i];
        if (g->suppressed_by || (o->verdict && strcmp(root_of(g), o->verdict) != 0))
            continue;
        group_line(out, g, o->verdict == NULL);
    }
    return ferror(out) ? -1 : 0;
}
