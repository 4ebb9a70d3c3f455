/*
 * Folded stacks for flame graphs (Brendan Gregg's stackcollapse format): one line per merged,
 * unsuppressed group, "root;...;leaf COUNT". The frames are the blocked stack from the thread's
 * start to where it waits (the creation stack when it has no blocked stack), inlined frames
 * expanded, and the wait reason as the leaf in brackets, so a flame graph of a leak shows what
 * each pile of units is waiting for. ';' inside a name would split a frame, so it becomes ':'.
 */
#include <stdio.h>
#include <string.h>

#include "render.h"

static void put_name(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == ';' ? ':' : (*s == '\n' ? ' ' : *s), out);
}

static void put_frame(FILE *out, const struct tlr_proc *p, const struct tlr_frame *f, bool *first)
{
    char buf[256];
    /* outermost first: the real function, then the inlined ones from outer to inner */
    if (!*first)
        fputc(';', out);
    *first = false;
    put_name(out, tlr_frame_display(p, f, buf, sizeof buf));
    for (size_t i = f->nlocs > 0 ? f->nlocs - 1 : 0; i-- > 0;) {
        fputc(';', out);
        put_name(out, f->locs[i].function ? f->locs[i].function : "??");
    }
}

int tlr_render_folded(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    for (size_t i = 0; i < m->ngroups; i++) {
        const struct tlr_mgroup *g = m->groups[i];
        const struct tlr_stack *s = g->first->blocked ? g->first->blocked : g->first->created;
        bool first = true;
        if (g->suppressed_by)
            continue;
        for (size_t k = s ? s->nframes : 0; k-- > 0;)
            put_frame(out, g->proc, &s->frames[k], &first);
        fprintf(out, "%s[", first ? "" : ";");
        put_name(out, g->first->reason ? g->first->reason : "running");
        fprintf(out, "] %lld\n", g->count);
    }
    (void)o;
    return ferror(out) ? -1 : 0;
}
