/* tl_render: the assembly of the grouped text report, shared by the detector's in-process text
 * (preload/output/tl_text.c) and taskleak-report's text (report/render_text.c). tl_fmt writes
 * each line; this module decides which lines a group (and a lock-order inversion section) gets and
 * in what order, and writes the report's first line and its SUMMARY line, so the two texts cannot
 * drift apart. Each side fills
 * a small view (no allocation: the detector fills it on its report paths from its own model) and
 * hands over callbacks for what only it can write: stacks and unit ids.
 */
#ifndef TL_RENDER_H
#define TL_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tl_fmt.h"

/* One group as the text shows it. Strings may be NULL where the group has none. */
struct tl_render_group {
    long long count;
    const char *kind;     /* "thread" or "task" */
    const char *reason;   /* why its units wait, else their state ("blocked"); NULL: running */
    const char *dur;      /* the longest wait ("14s"), NULL when none */
    const char *verdict;  /* NULL in a dump */
    const char *notes[3]; /* after the headline, each in parentheses: "proven: ...", "new" */
    const char *growth;   /* "1200 live, +1100 in 60s (18.3/s), site 0123..." when growing */
    /* the wait of its first unit: "  waits for WORD PLACE, held by OWNER OWNER_START" */
    const char *wait_word, *wait_place, *owner, *owner_start;
    bool join;    /* "  waits to join OWNER" (no object word needed) */
    bool blocked; /* a blocked stack follows "  blocked in CALL:" */
    const char *call;
    bool main_thread; /* "  created by: main thread", no stack */
    const char *created_by, *start, *label;
    bool created;            /* a creation stack follows "  created by ..." */
    const char *not_created; /* replaces the creation lines when set ("not known (...)") */
    const char *hint;        /* the suppressions line that would silence it */
};

enum tl_render_stack { TL_RENDER_BLOCKED, TL_RENDER_CREATED };

/* What only the caller can write. UNITS writes the ids after "  units:" (no newline); MORE, when
 * set, writes lines after the units line (the processes of a merged group); TAIL, when set, lines
 * after the hint (the units one by one). */
struct tl_render_ops {
    void (*stack)(FILE *f, void *ctx, enum tl_render_stack which);
    void (*units)(FILE *f, void *ctx);
    void (*more)(FILE *f, void *ctx);
    void (*tail)(FILE *f, void *ctx);
};

/* A group's block, its blank line first:
 *   3 threads [cond wait, 14s]: leaked (proven: ...)
 *     growing: ...                          (growing groups)
 *     waits for condition variable q (prog+0x4060), held by ...
 *     blocked in pthread_cond_wait:
 *       #0 ...
 *     created by thread:1, start pool_worker:  |  created by: main thread
 *       #0 ...
 *     units: thread:2 thread:3
 *     to silence: suppressions line '...'
 */
void tl_render_group(FILE *f, const struct tl_fmt_style *s, const struct tl_render_group *g,
                     const struct tl_render_ops *ops, void *ctx);

/* One lock-order inversion section, the same in both texts:
 *   taskleak: lock-order inversion (potential deadlock) 1: 2 locks taken in a cycle: a -> b -> a
 *     thread:2 holds a and takes b
 *      a taken at:
 *       #0 ...
 *      b taken at:
 *       #0 ...
 *     to silence: suppressions line 'inversion:FN'
 * STACK writes edge E's stack where it took its held lock (ACQUIRED false) or the other. */
struct tl_render_inv_edge {
    const char *unit, *held, *acquired;
};
struct tl_render_inversion {
    size_t nr; /* its number in its process */
    const struct tl_render_inv_edge *edges;
    size_t n;
    const char *notes[2]; /* after the first line, each in parentheses: "pid 42", "suppressed by" */
    const char *silencer; /* the function its hint names, NULL: no hint */
};
void tl_render_inversion(FILE *f, const struct tl_render_inversion *v,
                         void (*stack)(FILE *f, void *ctx, size_t edge, bool acquired), void *ctx);

/* "    (not seen being created: started before the detector or behind it)" */
void tl_render_not_seen(FILE *f, const char *indent);

/* The figures of the first and last lines: one process (NPROCS 1: PID and EXE) or many. */
struct tl_render_counts {
    const char *kind; /* "exit", "watchdog", ...; "merged" when the processes' kinds differ */
    long long leaked, deadlocked, blocked, unjoined, suppressed, alive;
    size_t groups, inversions, failing;
    long long fresh; /* groups not in the baseline; -1 when there is no baseline */
    size_t nprocs;
    long long pid;
    const char *exe;
    const char *argv0; /* the command as started (may be NULL): named after EXE when its base
                          name differs, as when EXE is a symlink's target */
};

/* "taskleak: exit report: 3 leaked, 0 deadlocked, 0 blocked, 1 unjoined, 0 suppressed of 3 alive
 * in pid 4242 (/usr/bin/prog)", or "... of 9 alive in 3 processes". */
void tl_render_first_line(FILE *f, const struct tl_fmt_style *s, const struct tl_render_counts *c);

/* "\nSUMMARY: taskleak: 3 leaked, 0 deadlocked, 0 blocked, 1 unjoined in 2 groups (1 new),
 * 1 lock-order inversion; 2 failing (pid 4242)", or "(3 processes)" at the end. */
void tl_render_summary(FILE *f, const struct tl_render_counts *c);

/* One member of a deadlock, as its caller fills it (tl_render_deadlock's MEMBER callback): ID and
 * OWNER (the unit it waits on, "" or NULL when none) stay valid for the whole call; the rest may
 * point into the member's own buffers. */
struct tl_render_dl_member {
    const char *id, *owner, *name, *call, *word; /* WORD: "mutex", "rwlock", ...; NULL: "object" */
    bool join;   /* waits to join the next member */
    bool absent; /* not in the report: in the sentence only, no member line */
    const char *what;                            /* the object: "lock_a (prog+0x4040)" */
    char what_buf[192], dur[32], name_buf[256];
};

/* One deadlock as both texts show it: a wait-for cycle when the last member waits on the first,
 * else the waiters of a lock whose owner exited. MEMBER fills member K; STACK writes member K's
 * blocked stack at indent "      ", or (K == N) the exited owner's creation stack.
 *   [in pid 42:]                                       (PID > 0: the tool with several processes)
 *   taskleak: deadlock 1: 2 units wait for each other in a cycle: ...
 *   taskleak: deadlock 2: owner thread:5 exited while holding mutex m (...); its 1 waiter ...
 *     thread:6 blocked in pthread_mutex_lock for 4s:
 *       #0 ...
 *     thread:5 was created at:                         (OWNER_CREATED)
 *       #0 ... */
struct tl_render_deadlock {
    size_t nr, n;
    long long pid;
    const char *gone_owner;  /* the exited owner's name when its waiters do not name it */
    bool owner_created;      /* the exited owner's creation stack is known */
    void (*member)(void *ctx, size_t k, struct tl_render_dl_member *out);
    void (*stack)(FILE *f, void *ctx, size_t k);
};
void tl_render_deadlock(FILE *f, const struct tl_fmt_style *s, const struct tl_render_deadlock *d,
                        void *ctx);

/* The order of groups in every text, JSON and HTML report: the most severe verdict first
 * (deadlocked, leaked, blocked, unjoined, any other, none as in a dump), then the larger group,
 * then the first unit's id (kind, then number). tl_render_severity ranks a verdict 0..5. */
int tl_render_severity(const char *verdict);
int tl_render_group_order(const char *verdict_a, long long count_a, const char *unit_a,
                          const char *verdict_b, long long count_b, const char *unit_b);

#endif /* TL_RENDER_H */
