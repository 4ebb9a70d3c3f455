/* tl_deadlock_text: the narrative of a report's deadlocks (see tl_deadlock_text in tl_text.h),
 * from what tl_deadlock found: one paragraph per wait-for cycle ("thread:7 holds mutex ... and
 * waits for ...") or per mutex whose owner exited, each member with its blocked stack. Report
 * time only.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tl_deadlock.h"
#include "tl_exits.h"
#include "tl_fmt.h"
#include "tl_input.h"
#include "tl_object.h"
#include "tl_text.h"

#define STORY_FRAMES 12

/* ---- the story ---------------------------------------------------------------------------- */

static const char *object_word(const struct tl_rep_unit *u)
{
    return strncmp(u->wait.reason, "rwlock", 6) == 0 ? "rwlock" : "mutex";
}

static void print_frames(struct tl_report *r, FILE *f, tl_stack_id id, const char *indent)
{
    tl_text_frames(f, r, id, indent, STORY_FRAMES);
}

static void print_member(struct tl_report *r, FILE *f, const struct tl_rep_unit *u)
{
    char dur[32], name[256]; /* the program's name for the thread: escaped, one line stays one */
    tl_text_duration(u->wait_ms, dur, sizeof dur);
    tl_fmt_member(f, u->id, tl_input_escape(u->name, name, sizeof name),
                  u->wait.call ? u->wait.call : u->wait.reason, dur);
    print_frames(r, f, u->blocked_stack, "      ");
}

#define CYCLE_TOLD 64 /* members told in the sentence (a cycle is rarely longer than a few) */

static void print_cycle(struct tl_report *r, FILE *f, const struct tl_deadlock *d, size_t nr)
{
    struct tl_fmt_edge e[CYCLE_TOLD];
    char what[CYCLE_TOLD][192];
    size_t n = d->count < CYCLE_TOLD ? d->count : CYCLE_TOLD;
    for (size_t k = 0; k < n; k++) {
        const struct tl_rep_unit *u = &r->units[d->members[k]];
        tl_object_describe(r, u, what[k], sizeof what[k]);
        e[k] = (struct tl_fmt_edge){u->id, object_word(u), what[k], tl_deadlock_join_wait(u)};
    }
    tl_fmt_cycle(f, nr, e, n);
    for (size_t k = 0; k < d->count; k++)
        print_member(r, f, &r->units[d->members[k]]);
}

static void print_orphan(struct tl_report *r, FILE *f, const struct tl_deadlock *d, size_t nr)
{
    const struct tl_rep_unit *w = &r->units[d->members[0]];
    tl_stack_id st;
    uint64_t seq = tl_exits_find(w->owner_tid, &st);
    if (seq == 0) { /* an exited record still in the model, gone from the ring of recent exits */
        seq = tl_deadlock_exited_owner(r, w->owner_tid);
        for (size_t i = 0; seq != 0 && st == 0 && i < r->n; i++) {
            if (r->units[i].tid == w->owner_tid && strcmp(r->units[i].state, "exited") == 0) {
                st = r->units[i].created_stack;
                tl_stack_ref(st);
            }
        }
    }
    char owner[48], what[192];
    tl_object_describe(r, w, what, sizeof what);
    if (seq != 0)
        snprintf(owner, sizeof owner, "thread:%llu", (unsigned long long)seq);
    else
        snprintf(owner, sizeof owner, "thread with tid %d", (int)w->owner_tid);
    tl_fmt_orphan(f, nr, owner, object_word(w), what, d->count);
    for (size_t k = 0; k < d->count; k++)
        print_member(r, f, &r->units[d->members[k]]);
    if (seq != 0) {
        fprintf(f, "    %s was created at:\n", owner);
        print_frames(r, f, st, "      ");
    }
    tl_stack_unref(st);
}

void tl_deadlock_text(struct tl_report *r, FILE *f)
{
    for (size_t i = 0; i < r->ndeadlocks; i++) {
        const struct tl_deadlock *d = &r->deadlocks[i];
        if (d->count == 0)
            continue;
        const struct tl_rep_unit *u = &r->units[d->members[0]];
        bool cycle = d->count > 0 && strncmp(u->owner, "thread:", 7) == 0 &&
                     strcmp(r->units[d->members[d->count - 1]].owner, u->id) == 0;
        fputc('\n', f);
        if (cycle)
            print_cycle(r, f, d, i + 1);
        else
            print_orphan(r, f, d, i + 1);
    }
}
