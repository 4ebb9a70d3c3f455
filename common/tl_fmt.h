/* tl_fmt: the lines of the grouped text report, shared by the detector's in-process text
 * (tl_text.c) and taskleak-report's text (report/render_text.c), so a reader learns one format
 * and a fix lands in both. Each function writes whole lines (the headline leaves its line open
 * for a note such as "(new)"); the callers decide which lines a group gets. stdio only, no state.
 */
#ifndef TL_FMT_H
#define TL_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ANSI codes, or "" each when the text has no colour. */
struct tl_fmt_style {
    const char *bold, *dim, *verdict, *reset;
};
extern const struct tl_fmt_style tl_fmt_plain;

/* "\n4 threads [cond wait, 12s]: leaked" (dur NULL: "[running]"; verdict NULL: none, as in a
 * dump); verdict "unjoined": "\n4 threads unjoined: finished, never joined or detached". KIND is
 * "thread" or "task". No newline at the end. */
void tl_fmt_headline(FILE *f, const struct tl_fmt_style *s, long long count, const char *kind,
                     const char *reason, const char *dur, const char *verdict);

/* "  waits for mutex cache_lock (prog+0x4040), held by thread:3 handle_conn": NAME NULL gives
 * "mutex 0x7f..."; OWNER NULL or JOIN leaves out who holds it. */
void tl_fmt_wait(FILE *f, const char *word, const char *name, const char *place, const char *owner,
                 const char *owner_start, bool join);

/* A wait object in words, into buf: "cache_lock (prog+0x4040)" for a name, "0x7f... (heap)" or
 * "0x7f... (stack of thread:3)" when the name only says where the object lies, PLACE alone when
 * NAME is NULL or empty. */
void tl_fmt_object(char *buf, size_t n, const char *name, const char *place);

/* "  blocked in pthread_cond_wait:" */
void tl_fmt_blocked_in(FILE *f, const char *call);

/* "  created by thread:1, start pool_worker, label L:" (each part when known), or
 * "  created by: main thread" when MAIN. */
void tl_fmt_created(FILE *f, bool main, const char *by, const char *start, const char *label);

/* One frame of a stack. */
struct tl_fmt_frame {
    size_t n;             /* frame number, 0 innermost */
    const char *function; /* NULL: "??" */
    const char *file;     /* source file, when debug info names it */
    int line;
    bool inlined;       /* an inlined call site inside frame n */
    bool call;          /* the call the program made (pthread_cond_wait): a name, no address */
    const char *module; /* base name of the module, NULL when unknown */
    unsigned long long offset; /* in the module; the address itself when the module is unknown */
    const char *indent;        /* NULL: four blanks */
};
/* "    #1  pool_worker at pool.c:25" (" (inlined)" after it when inlined), without a file
 * "    #1  pool_worker (prog+0x12ab)" or "    #1  ?? (0x7f3a...)" when no module is known, and for
 * the blocking call itself "    #0  pthread_cond_wait". */
void tl_fmt_frame(FILE *f, const struct tl_fmt_style *s, const struct tl_fmt_frame *fr);

/* "  to silence: suppressions line 'leak:pool_worker'" */
void tl_fmt_hint(FILE *f, const char *hint);

/* A deadlock cycle told as a story, the same in both texts:
 *   taskleak: deadlock 1: 2 units wait for each other in a cycle:
 *     thread:2 holds mutex lock_a (prog+0x4140) and waits for mutex lock_b (prog+0x4100) held by
 *     thread:3,
 *     which waits for mutex lock_a (prog+0x4140) held by thread:2.
 *       thread:2 (name) blocked in pthread_mutex_lock for 4s:
 *         #0  ...
 * One edge per member, in cycle order: what it waits for (WORD and WHAT, "lock_a (prog+0x4140)"),
 * or JOIN when it waits to join the next member. tl_fmt_cycle writes the sentence; each member's
 * line then comes from tl_fmt_member, followed by its frames at indent "      ". */
struct tl_fmt_edge {
    const char *id, *word, *what;
    bool join;
};
void tl_fmt_cycle(FILE *f, size_t nr, const struct tl_fmt_edge *e, size_t n);
void tl_fmt_member(FILE *f, const char *id, const char *name, const char *call, const char *dur);
/* "taskleak: deadlock 2: owner thread:5 exited while holding mutex m (prog+0x4040); its 3
 * waiter(s) can never wake:" (members follow as for a cycle) */
void tl_fmt_orphan(FILE *f, size_t nr, const char *owner, const char *word, const char *what,
                   size_t waiters);

/* A lock-order inversion, the same in both texts:
 *   taskleak: lock-order inversion (potential deadlock) 1: 2 locks taken in a cycle: a -> b -> a
 *     thread:2 holds a and takes b
 *      a taken at:
 *       #0  ...
 * tl_fmt_inversion writes the first line without its newline (the caller may add a note);
 * HELD[k] is the lock edge k holds. */
void tl_fmt_inversion(FILE *f, size_t nr, const char *const *held, size_t n);
void tl_fmt_inversion_edge(FILE *f, const char *unit, const char *held, const char *acquired);
void tl_fmt_taken_at(FILE *f, const char *lock);

/* Whether a module (path or base name) is one every program shares: libc, the dynamic loader,
 * libstdc++, libgcc, libpthread, the detector, gor, libunwind, the vDSO, the sanitizer runtimes.
 * Their frames are not the program's: hints never name them and folded stacks leave them out. */
bool tl_fmt_system_module(const char *path);

/* Whether a function is the C start-up's or gor's own (_start, __libc_*, gor_*), not the
 * program's, though it lies in the program's module. */
bool tl_fmt_startup_function(const char *fn);

#endif /* TL_FMT_H */
