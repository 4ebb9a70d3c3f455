/* tl_deadlock_text: the narrative of a report's deadlocks (see tl_deadlock_text in tl_text.h),
 * from what tl_deadlock found: one paragraph per wait-for cycle ("thread:7 holds mutex ... and
 * waits for ...") or per mutex whose owner exited, each member with its blocked stack. The lines
 * and their order are tl_render_deadlock's, shared with taskleak-report; this file fills its
 * members from the model and writes the stacks. Report time only.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tl_deadlock.h"
#include "tl_exits.h"
#include "tl_fmt.h"
#include "tl_input.h"
#include "tl_object.h"
#include "tl_reason.h"
#include "tl_render.h"
#include "tl_text.h"

#define STORY_FRAMES 12

struct dl {
    struct tl_report *r;
    const struct tl_deadlock *d;
    tl_stack_id owner_stack; /* the exited owner's creation stack, 0 when not known */
};

static void member(void *ctx, size_t k, struct tl_render_dl_member *m)
{
    const struct dl *c = ctx;
    const struct tl_rep_unit *u = &c->r->units[c->d->members[k]];
    tl_object_describe(c->r, u, m->what_buf, sizeof m->what_buf);
    tl_text_duration(u->wait_ms, m->dur, sizeof m->dur);
    m->id = u->id;
    m->owner = u->owner;
    m->name = tl_input_escape(u->name, m->name_buf, sizeof m->name_buf); /* one line stays one */
    m->call = u->wait.call ? u->wait.call : u->wait.reason;
    m->word = u->wait.reason ? tl_reason_object_word(u->wait.reason) : NULL;
    m->join = tl_deadlock_join_wait(u);
    m->what = m->what_buf;
}

static void stack(FILE *f, void *ctx, size_t k)
{
    const struct dl *c = ctx;
    tl_stack_id id = k < c->d->count ? c->r->units[c->d->members[k]].blocked_stack : c->owner_stack;
    tl_text_frames(f, c->r, id, "      ", STORY_FRAMES);
}

/* The creation stack of the thread that exited holding the lock the first member waits for: from
 * the ring of recent exits, else its exited record still in the model. Takes a reference. */
static bool owner_created(const struct tl_report *r, const struct tl_rep_unit *w, tl_stack_id *st)
{
    *st = 0;
    uint64_t seq = tl_exits_find(w->owner_tid, st);
    if (seq != 0)
        return true;
    seq = tl_deadlock_exited_owner(r, w->owner_tid);
    for (size_t i = 0; seq != 0 && *st == 0 && i < r->n; i++) {
        if (r->units[i].tid == w->owner_tid && strcmp(r->units[i].state, "exited") == 0) {
            *st = r->units[i].created_stack;
            tl_stack_ref(*st);
        }
    }
    return seq != 0;
}

void tl_deadlock_text(struct tl_report *r, FILE *f)
{
    for (size_t i = 0; i < r->ndeadlocks; i++) {
        const struct tl_deadlock *d = &r->deadlocks[i];
        if (d->count == 0)
            continue;
        const struct tl_rep_unit *w = &r->units[d->members[0]];
        struct dl c = {r, d, 0};
        char gone[48];
        snprintf(gone, sizeof gone, "thread with tid %d", (int)w->owner_tid);
        struct tl_render_deadlock v = {.nr = i + 1,
                                       .n = d->count,
                                       .gone_owner = gone,
                                       .member = member,
                                       .stack = stack};
        v.owner_created = owner_created(r, w, &c.owner_stack);
        tl_render_deadlock(f, &tl_fmt_plain, &v, &c);
        tl_stack_unref(c.owner_stack);
    }
}
