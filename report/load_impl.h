/*
 * Internal to the loader (load.c reads the top level and the small sections with jansson,
 * load_bulk.c reads modules, stacks, groups and units with jscan). Not for other modules.
 */
#ifndef TLR_LOAD_IMPL_H
#define TLR_LOAD_IMPL_H

#include <stdbool.h>

#include "jscan.h"
#include "model.h"

struct tlr_ld {
    struct tlr_js js;     /* cursor over the whole file */
    struct tlr_proc *p;   /* being built */
    unsigned flags;       /* enum tlr_load_flags */
    const char *section;  /* top-level key being read, for messages */
    char section_buf[32]; /* holds it when it is not a constant */
    char problem[200];    /* a schema problem (the jscan error wins when both are set) */
    bool field_problem;   /* ...unless problem names the member and says the jscan error too */
};

/* A copy of s (NULL: NULL) with control characters replaced by '?', as every kept string. */
char *tlr_ld_clean_dup(const char *s);

/* Records a schema problem (first one wins) and returns -1. */
int tlr_ld_problem(struct tlr_ld *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a count or id the schema says is a non-negative integer (null gives nullval) at the
 * cursor; anything else is refused naming the section and `field`. 0 or -1. */
int tlr_ld_count(struct tlr_ld *ld, const char *field, long long *out, long long nullval);

/* Validates one element of "units" at the cursor without decoding it (pass 1 runs this on every
 * unit, also the ones pass 2 will not decode): an object whose ids and counts (tid, task,
 * created_stack, blocked_stack, wait.since_ms) are null or non-negative integers; the digits are not converted,
 * only a sign or a non-number is refused, through tlr_ld_count. 0 or -1. */
int tlr_ld_unit_shape(struct tlr_ld *ld);

/* Each reads one top-level value at ld->js's cursor into ld->p; 0 or -1. Stacks need modules
 * read first, groups need stacks, units need groups (load.c orders the passes). */
int tlr_ld_modules(struct tlr_ld *ld);
int tlr_ld_stacks(struct tlr_ld *ld);
int tlr_ld_groups(struct tlr_ld *ld);
int tlr_ld_units(struct tlr_ld *ld);

#endif
