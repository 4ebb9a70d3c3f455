/* tl_wd_text: the watchdog's text report, in hung_task's manner: a group is printed when it
 * appears ("new"), when it has doubled since ("grew"), and then at doubling intervals ("still
 * there"). Split from tl_watchdog.c, which keeps the schedule and the decisions. Watchdog thread
 * only. */
#include "tl_wd_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_block.h"
#include "tl_options.h"
#include "tl_growth.h"
#include "tl_deadlock.h"
#include "tl_file.h"
#include "tl_fmt.h"
#include "tl_hint.h"
#include "tl_log.h"
#include "tl_object.h"
#include "tl_stack.h"
#include "tl_text.h"
#include "tl_vec.h"

#define TEXT_FRAMES 16
#define TEXT_IDS    8

static int64_t now_ms(void)
{
    return tl_now_ns() / 1000000;
}

/* A group the text has shown: what it looked like and when to repeat it. */
struct shown {
    const char *verdict, *reason; /* static strings */
    enum tl_unit_kind kind;
    tl_stack_id created_stack, blocked_stack; /* one reference each while remembered */
    size_t count;                             /* members when last printed */
    int64_t printed_ms, gap_ms;               /* last print, and the wait before the next repeat */
    bool present;                             /* found by the build being emitted */
    bool seen;                                /* found by the last build emitted */
};

static struct {
    struct shown *shown; /* watchdog thread only */
    size_t nshown, capshown;
} txt;

static void print_stack(struct tl_report *r, FILE *f, tl_stack_id id)
{
    tl_text_frames(f, r, id, "    ", TEXT_FRAMES);
}

/* A creation site whose live units keep rising: its figures, its creation stack, its units. */
static void print_growing(struct tl_report *r, FILE *f, const struct tl_rep_group *g,
                          const char *why)
{
    const struct tl_rep_growth *gr = g->growth;
    fprintf(f,
            "\ntaskleak: watchdog: %s site %s growing (%s): %zu live, %zu more than %.1fs before "
            "(%.1f/s)\n",
            g->kind == TL_KIND_TASK ? "task" : "thread", gr->site, why, gr->count,
            gr->count - gr->count_before, (double)gr->window_ms / 1000.0, gr->rate_per_s);
    fprintf(f, "  created at:\n");
    print_stack(r, f, g->created_stack);
    fprintf(f, "  units:");
    for (size_t k = 0; k < g->count && k < TEXT_IDS; k++)
        fprintf(f, " %s", r->units[g->members[k]].id);
    if (g->count > TEXT_IDS)
        fprintf(f, " (+%zu more)", g->count - TEXT_IDS);
    fprintf(f, "\n  to silence: growth=0\n");
}

static void print_group(struct tl_report *r, FILE *f, const struct tl_rep_group *g, const char *why)
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
    if (u0->owner[0] != '\0' && g->reason != NULL && strcmp(g->reason, "join") == 0)
        fprintf(f, "  waits to join %s\n", u0->owner);
    else
        tl_text_wait(f, r, u0);
    if (g->blocked_stack != 0)
        tl_fmt_blocked_in(f, u0->wait.call);
    print_stack(r, f, g->blocked_stack);
    tl_text_created(f, r, g, TEXT_FRAMES);
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


static bool same_shown(const struct shown *s, const struct tl_rep_group *g)
{
    return s->kind == g->kind && s->created_stack == g->created_stack &&
           s->blocked_stack == g->blocked_stack && strcmp(s->verdict, g->verdict) == 0 &&
           (s->reason == g->reason || (s->reason && g->reason && !strcmp(s->reason, g->reason)));
}

static struct shown *remember(const struct tl_rep_group *g)
{
    if (TL_VEC_PUSH_SLOT(txt.shown, txt.capshown, txt.nshown) != 0)
        return NULL;
    struct shown *s = &txt.shown[txt.nshown++];
    *s = (struct shown){g->verdict, g->reason, g->kind, g->created_stack, g->blocked_stack, 0, 0,
                        0,          true,      true};
    tl_stack_ref(s->created_stack);
    tl_stack_ref(s->blocked_stack);
    return s;
}

/* Drops the remembered groups that the last build no longer had, once their repeat would have
 * been due anyway: a group that flaps (gone for one scan, back the next) is not "new" again. */
static void forget_absent(int64_t now)
{
    size_t k = 0;
    for (size_t i = 0; i < txt.nshown; i++) {
        struct shown *s = &txt.shown[i];
        s->seen = s->present;
        s->present = false;
        if (!s->seen && now - s->printed_ms >= s->gap_ms) {
            tl_stack_unref(s->created_stack);
            tl_stack_unref(s->blocked_stack);
            continue;
        }
        txt.shown[k++] = *s;
    }
    txt.nshown = k;
}

/* Why group g is printed now ("new", "grew", "still there"), NULL when it stays quiet. */
static const char *due(const struct tl_rep_group *g, int64_t now, const struct tl_options *o)
{
    struct shown *s = NULL;
    for (size_t i = 0; i < txt.nshown && s == NULL; i++)
        if (same_shown(&txt.shown[i], g))
            s = &txt.shown[i];
    const char *why = NULL;
    if (s == NULL) {
        s = remember(g);
        why = "new";
    } else if (g->count >= 2 * s->count) {
        why = "grew"; /* doubled since printed: a group filling up is not said again each look */
    } else if (now - s->printed_ms >= s->gap_ms) {
        why = "still there";
        s->gap_ms *= 2;
    }
    if (s == NULL)
        return why;
    s->present = true;
    if (why != NULL) {
        s->count = g->count;
        s->printed_ms = now;
        if (s->gap_ms == 0)
            s->gap_ms = tl_wd_repeat_gap_ms(o);
    }
    return why;
}

/* The text report of the groups that are due, in one write on the log; true when a group was
 * new. */
bool tl_wd_text_emit(struct tl_report *r)
{
    bool fresh = false;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return false;
    int64_t now = now_ms();
    size_t printed = 0;
    bool deadlock_shown = false;
    for (size_t i = 0; i < r->ngroups; i++) {
        const char *why = due(&r->groups[i], now, r->opts);
        if (why == NULL)
            continue;
        if (printed++ == 0 && r->blocked + r->deadlocked == 0) {
            fprintf(f, "taskleak: watchdog: %zu creation site(s) growing in pid %d (%s)\n",
                    r->growing, (int)getpid(), program_invocation_short_name);
        } else if (printed == 1) {
            char thr[32];
            tl_text_duration(r->opts->threshold_ms, thr, sizeof thr);
            fprintf(f,
                    "taskleak: watchdog: %zu unit(s) blocked longer than %s, %zu deadlocked, "
                    "in pid %d (%s)\n",
                    r->blocked, thr, r->deadlocked, (int)getpid(), program_invocation_short_name);
        }
        print_group(r, f, &r->groups[i], why);
        fresh |= strcmp(why, "new") == 0;
        deadlock_shown |= strcmp(r->groups[i].verdict, "deadlocked") == 0;
    }
    forget_absent(now);
    if (deadlock_shown)
        tl_deadlock_text(r, f);
    fclose(f);
    if (printed > 0)
        tl_file_write_all(tl_log_fd(), buf, len);
    free(buf);
    return fresh;
}

bool tl_wd_text_repeat_pending(void)
{
    int64_t now = now_ms();
    for (size_t i = 0; i < txt.nshown; i++)
        if (txt.shown[i].seen && now - txt.shown[i].printed_ms >= txt.shown[i].gap_ms)
            return true;
    return false;
}

void tl_wd_text_atfork_child(void)
{
    /* The remembered groups belong to the parent's thread, which may have been mid-update: they
     * are dropped without touching them (their stack references only keep entries alive). */
    txt.shown = NULL;
    txt.nshown = txt.capshown = 0;
}
