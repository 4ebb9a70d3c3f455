/* tl_jrep: the objects of a taskleak/1 report (docs/json-schema.md), each written by one function.
 *
 * The detector (from its report model), taskleak-attach (from one look at a process) and
 * taskleak-report (re-emitting a loaded report; its merged view shares the wait) each fill a small
 * view struct from their own model and call the writer here, so every member's name, order and
 * null rule is written in exactly one place and the same data gives the same bytes in every
 * program. Writers only read the view; strings are borrowed. Through tl_json, so report time only.
 *
 * Null rules: an int64 id, count or duration below 0 is written null (a stack reference, tid,
 * task, since_ms), or left out where the schema makes the member optional (exited_ms); a NULL
 * string is null, and so is an empty one where the schema says "an empty name is null".
 */
#ifndef TL_JREP_H
#define TL_JREP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tl_json.h"

/* The k-th string of a list the view does not hold as an array: k < the list's length. buf (len
 * bytes) is there for a callback that composes the string. */
typedef const char *(*tl_jv_nth)(const void *arg, size_t k, char *buf, size_t len);

struct tl_jv_process {
    int64_t pid, ppid;
    const char *exe;
    const char *const *argv; /* nargv strings; or, when NULL, argz: */
    size_t nargv;
    const char *argz; /* argz_len bytes of NUL-terminated strings, one after the other */
    size_t argz_len;
    const char *started, *written; /* ISO-8601 times; NULL: null */
};

struct tl_jv_summary {
    uint64_t threads_created, tasks_created, alive, leaked, unjoined, deadlocked, blocked;
    uint64_t suppressed, inversions, proven;
};

struct tl_jv_module {
    int64_t id;
    const char *path, *build_id;
    uint64_t base;
};

struct tl_jv_frame {
    bool has_ip; /* false in a call frame */
    uint64_t ip;
    int64_t module; /* -1: no module (and no offset) */
    uint64_t offset;
    const char *function;
};

struct tl_jv_wait {
    const char *reason, *call;
    const char *object; /* "0x…"; tl_jrep_hex formats one */
    const char *object_name;
    int64_t since_ms; /* -1: unknown */
    bool durable;
    const char *owner;
};

struct tl_jv_unit {
    const char *id, *kind;
    int64_t tid, task;
    const char *name, *start, *state;
    int64_t exited_ms; /* -1: not an exited thread's record (member left out) */
    const char *verdict, *proof;
    bool detached, unknown_origin;
    const char *suppressed;
    const struct tl_jv_wait *wait; /* NULL: not waiting */
    const char *created_by;
    int64_t created_stack, blocked_stack;
    const char *label;
};

struct tl_jv_growth {
    const char *site;
    double rate_per_s;
    uint64_t count, count_before;
    int64_t window_ms;
};

struct tl_jv_group {
    const char *verdict, *kind, *reason;
    int64_t created_stack, blocked_stack;
    uint64_t count, proven;
    size_t nunits; /* unit ids listed (may be fewer than count in a loaded report) */
    tl_jv_nth unit;
    const void *arg; /* for unit */
    int64_t wait_min, wait_max;
    const char *hint;
    const struct tl_jv_growth *growth; /* NULL: none (the member is left out) */
};

struct tl_jv_deadlock {
    size_t nunits, nobjects;
    tl_jv_nth unit, object;
    const void *arg;
};

struct tl_jv_inv_edge {
    const char *unit, *held, *acquired;
    int64_t held_stack, acquired_stack;
};

struct tl_jv_inversion {
    size_t nobjects, nedges;
    tl_jv_nth object;
    void (*edge)(const void *arg, size_t k, struct tl_jv_inv_edge *out);
    const void *arg;
    const char *suppressed;
};

/* "0x1a2b" into buf (at least 19 bytes); returns buf. */
const char *tl_jrep_hex(uint64_t v, char *buf, size_t len);

/* Opens the document: "{", schema, kind, and signal unless NULL. The caller writes the top-level
 * members in the schema's order and closes it with tl_json_obj_end. */
void tl_jrep_begin(struct tl_json *j, const char *kind, const char *signal);

/* Objects; the ones that are members of an object take their key, the others are array entries. */
void tl_jrep_process(struct tl_json *j, const struct tl_jv_process *p);
void tl_jrep_summary(struct tl_json *j, const struct tl_jv_summary *s);
void tl_jrep_module(struct tl_json *j, const struct tl_jv_module *m);
void tl_jrep_stack_begin(struct tl_json *j, int64_t id); /* then frames, then tl_jrep_stack_end */
void tl_jrep_frame(struct tl_json *j, const struct tl_jv_frame *f);
void tl_jrep_stack_end(struct tl_json *j);
void tl_jrep_wait(struct tl_json *j, const struct tl_jv_wait *w); /* member "wait"; NULL: null */
void tl_jrep_unit(struct tl_json *j, const struct tl_jv_unit *u);
void tl_jrep_group(struct tl_json *j, const struct tl_jv_group *g);
void tl_jrep_growth(struct tl_json *j, const struct tl_jv_growth *g); /* member "growth" */
void tl_jrep_deadlock(struct tl_json *j, const struct tl_jv_deadlock *d);
void tl_jrep_inversion(struct tl_json *j, const struct tl_jv_inversion *x);
void tl_jrep_suppression(struct tl_json *j, const char *pattern, uint64_t matched,
                         const char *source);

#endif /* TL_JREP_H */
