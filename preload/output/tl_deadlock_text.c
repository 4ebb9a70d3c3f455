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
    int n = 0;
    const uintptr_t *ips = tl_stack_frames(id, &n);
    for (int k = 0; k < n && k < STORY_FRAMES; k++) {
        const char *fn = tl_report_function(r, ips[k], k > 0);
        if (tl_stack_frame_call(ips[k]) != NULL)
            fprintf(f, "%s#%d %s\n", indent, k, fn);
        else
            fprintf(f, "%s#%d 0x%lx %s\n", indent, k, (unsigned long)ips[k], fn ? fn : "??");
    }
    if (n > STORY_FRAMES)
        fprintf(f, "%s... (%d more frames)\n", indent, n - STORY_FRAMES);
    if (n == 0)
        fprintf(f, "%s(no stack)\n", indent);
}

static void print_member(struct tl_report *r, FILE *f, const struct tl_rep_unit *u)
{
    char dur[32], name[256]; /* the program's name for the thread: escaped, one line stays one */
    tl_text_duration(u->wait_ms, dur, sizeof dur);
    fprintf(f, "    %s%s%s%s blocked in %s for %s:\n", u->id, u->name[0] ? " (" : "",
            tl_input_escape(u->name, name, sizeof name), u->name[0] ? ")" : "",
            u->wait.call ? u->wait.call : u->wait.reason, dur);
    print_frames(r, f, u->blocked_stack, "      ");
}

/* "waits for mutex lock_a (prog+0x4040) held by thread:3" or "waits to join thread:3": u's edge
 * to v. */
static void print_edge(struct tl_report *r, FILE *f, const struct tl_rep_unit *u,
                       const struct tl_rep_unit *v)
{
    char what[192];
    tl_object_describe(r, u, what, sizeof what);
    if (tl_deadlock_join_wait(u))
        fprintf(f, "waits to join %s", v->id);
    else
        fprintf(f, "waits for %s %s held by %s", object_word(u), what, v->id);
}

static void print_cycle(struct tl_report *r, FILE *f, const struct tl_deadlock *d, size_t nr)
{
    const struct tl_rep_unit *first = &r->units[d->members[0]];
    const struct tl_rep_unit *last = &r->units[d->members[d->count - 1]];
    fprintf(f, "taskleak: deadlock %zu: %zu units wait for each other in a cycle:\n  %s ", nr,
            d->count, first->id);
    char what[192];
    tl_object_describe(r, last, what, sizeof what);
    if (!tl_deadlock_join_wait(last)) /* what the last member waits for, the first one holds */
        fprintf(f, "holds %s %s and ", object_word(last), what);
    for (size_t k = 0; k < d->count; k++) {
        if (k > 0)
            fputs(",\n  which ", f);
        print_edge(r, f, &r->units[d->members[k]], &r->units[d->members[(k + 1) % d->count]]);
    }
    fputs(".\n", f);
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
    fprintf(f,
            "taskleak: deadlock %zu: owner %s exited while holding %s %s; its %zu waiter(s) "
            "can never wake:\n",
            nr, owner, object_word(w), what, d->count);
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
