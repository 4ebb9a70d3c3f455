/* tl_wd_text: one group of the watchdog's text report, in hung_task's manner (why it is shown:
 * "new", "grew", "still there", "growing"), split from tl_watchdog.c so that the watchdog's file
 * keeps to its schedule and decisions. Report time only (the watchdog thread). */
#include "tl_wd_text.h"

#include <stdio.h>
#include <string.h>

#include "tl_ctx.h"
#include "tl_growth.h"
#include "tl_hint.h"
#include "tl_object.h"
#include "tl_stack.h"
#include "tl_text.h"

#define TEXT_FRAMES 16
#define TEXT_IDS    8

static void print_stack(struct tl_report *r, FILE *f, tl_stack_id id)
{
    int n = 0;
    const uintptr_t *ips = tl_stack_frames(id, &n);
    for (int k = 0; k < n && k < TEXT_FRAMES; k++) {
        const char *fn = tl_report_function(r, ips[k], k > 0);
        if (tl_stack_frame_call(ips[k]) != NULL)
            fprintf(f, "    #%d %s\n", k, fn);
        else
            fprintf(f, "    #%d 0x%lx %s\n", k, (unsigned long)ips[k], fn ? fn : "??");
    }
    if (n > TEXT_FRAMES)
        fprintf(f, "    ... (%d more frames)\n", n - TEXT_FRAMES);
    if (n == 0)
        fprintf(f, "    (no stack)\n");
}

/* A creation site whose live units keep rising: its figures, its creation stack, its units. */
static void print_growing(struct tl_report *r, FILE *f, const struct tl_rep_group *g,
                          const char *why)
{
    const struct tl_rep_growth *gr = g->growth;
    char win[32];
    tl_text_duration(gr->window_ms, win, sizeof win);
    fprintf(f,
            "\ntaskleak: watchdog: %s site %s growing (%s): %zu live, %zu more than %s ago "
            "(%.1f/s)\n",
            g->kind == TL_KIND_TASK ? "task" : "thread", gr->site, why, gr->count,
            gr->count - gr->count_before, win, gr->rate_per_s);
    fprintf(f, "  created at:\n");
    print_stack(r, f, g->created_stack);
    fprintf(f, "  units:");
    for (size_t k = 0; k < g->count && k < TEXT_IDS; k++)
        fprintf(f, " %s", r->units[g->members[k]].id);
    if (g->count > TEXT_IDS)
        fprintf(f, " (+%zu more)", g->count - TEXT_IDS);
    fprintf(f, "\n  to silence: growth=0\n");
}

void tl_wd_print_group(struct tl_report *r, FILE *f, const struct tl_rep_group *g, const char *why)
{
    if (g->growth != NULL) {
        print_growing(r, f, g, why);
        return;
    }
    const struct tl_rep_unit *u0 = &r->units[g->members[0]];
    char dur[32];
    tl_text_duration(g->wait_max, dur, sizeof dur);
    fprintf(f, "\ntaskleak: watchdog: %zu %s%s [%s, %s] %s (%s)\n", g->count,
            g->kind == TL_KIND_TASK ? "task" : "thread", g->count == 1 ? "" : "s",
            g->reason ? g->reason : "?", dur, g->verdict, why);
    char what[192];
    if (u0->owner_tid != 0)
        tl_object_describe(r, u0, what, sizeof what);
    if (u0->owner_tid != 0)
        fprintf(f, "  waits for %s %s held by %s\n",
                strncmp(u0->wait.reason, "rwlock", 6) == 0 ? "rwlock" : "mutex", what,
                u0->owner[0] ? u0->owner : "an unknown thread");
    else if (u0->owner[0] != '\0' && g->reason != NULL && strcmp(g->reason, "join") == 0)
        fprintf(f, "  waits to join %s\n", u0->owner);
    print_stack(r, f, g->blocked_stack);
    if (u0->created_by[0] != '\0' || g->created_stack != 0) {
        fprintf(f, "  created by %s at:\n", u0->created_by[0] ? u0->created_by : "an unknown unit");
        print_stack(r, f, g->created_stack);
    }
    fprintf(f, "  units:");
    for (size_t k = 0; k < g->count && k < TEXT_IDS; k++)
        fprintf(f, " %s", r->units[g->members[k]].id);
    if (g->count > TEXT_IDS)
        fprintf(f, " (+%zu more)", g->count - TEXT_IDS);
    char hint[256];
    if (tl_hint(r, g, hint, sizeof hint))
        fprintf(f, "\n  to silence: suppressions line '%s' (or threshold=0)\n", hint);
    else
        fprintf(f, "\n  to silence: threshold=0\n");
}

