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
#include "tl_defer.h"
#include "tl_file.h"
#include "tl_log.h"
#include "tl_options.h"
#include "tl_report.h"
#include "tl_stack.h"
#include "tl_text.h"
#include "tl_vec.h"

#define TEXT_FRAMES 16

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

/* Under taskleak run (defer_text, defer_live): the text and the report's JSON as a live pair, which the
 * supervisor shows rendered with file:line. False leaves the text for the log. */
static bool deferred(struct tl_report *r, const char *text, size_t len)
{
    char dir[TL_OPT_PATH_MAX];
    if (!tl_defer_dir(r->opts, true, dir, sizeof dir))
        return false;
    size_t jlen = 0;
    char *doc = tl_report_json(r, &jlen);
    bool ok = tl_defer_live(dir, doc, jlen, text, len);
    free(doc);
    return ok;
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
        if (printed++ == 0 && r->blocked + r->deadlocked + r->proven == 0) {
            fprintf(f, "taskleak: watchdog: %zu creation site(s) growing in pid %d (%s)\n",
                    r->growing, (int)getpid(), program_invocation_short_name);
        } else if (printed == 1) {
            /* a proof turns blocked units into leaked ones: the head counts them too */
            char thr[32], proven[48] = "";
            tl_text_duration(r->opts->threshold_ms, thr, sizeof thr);
            if (r->proven > 0)
                snprintf(proven, sizeof proven, "%zu proven leaked, ", r->proven);
            fprintf(f,
                    "taskleak: watchdog: %zu unit(s) blocked longer than %s, %zu deadlocked, "
                    "%sin pid %d (%s)\n",
                    r->blocked, thr, r->deadlocked, proven, (int)getpid(),
                    program_invocation_short_name);
        }
        tl_text_group(f, r, &r->groups[i], 0, why, TEXT_FRAMES);
        fresh |= strcmp(why, "new") == 0;
        deadlock_shown |= strcmp(r->groups[i].verdict, "deadlocked") == 0;
    }
    forget_absent(now);
    if (deadlock_shown)
        tl_deadlock_text(r, f);
    fclose(f);
    if (printed > 0 && !deferred(r, buf, len))
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
