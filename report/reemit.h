/*
 * A loaded taskleak/1 report written back as taskleak/1 (docs/json-schema.md), by the same object
 * writers as the detector and taskleak-attach: a report the detector wrote, loaded with every
 * unit (TLR_LOAD_ALL_UNITS) and re-emitted, is byte for byte the file it was read from, as long
 * as its strings hold no control characters (the loader replaces those) and it has every member
 * the current detector writes (a missing one comes back with its default).
 */
#ifndef TLR_REEMIT_H
#define TLR_REEMIT_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

/* The document (malloc'd, NUL-terminated, *len bytes without the NUL), or NULL out of memory. */
char *tlr_reemit(const struct tlr_proc *p, size_t *len);

/* --format taskleak: the one process's report of m (the one that speaks for it when several
 * reports of that process were given) through tlr_reemit. 0, or -1 out of memory or on a write
 * error. */
struct tlr_merged;
struct tlr_render_opts;
int tlr_render_taskleak(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o);

#endif
