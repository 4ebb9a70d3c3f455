/*
 * The tables of a pprof profile (profile.proto, compiled by protoc-c): strings, functions,
 * mappings and locations, each deduplicated through a uthash index and numbered as the format
 * wants (string 0 is "", ids start at 1). render_pprof.c adds the samples and writes the
 * profile; this module only owns the tables, so the protobuf-c structures are built in one place
 * and freed in one place.
 *
 * Out of memory never fails a call halfway: the call returns 0 (the empty string, no id) and sets
 * t->oom, which the writer checks once before packing.
 */
#ifndef TLR_PPROF_TABLE_H
#define TLR_PPROF_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "profile.pb-c.h"

struct tlr_pp_key;

struct tlr_pp_table {
    Perftools__Profiles__Profile prof; /* its tables point into the arrays below */
    size_t cap_str, cap_fn, cap_map, cap_loc, cap_sample;
    struct tlr_pp_key *index; /* every table's keys, told apart by a prefix byte */
    void **arena;             /* fixed-size pieces (lines, labels, ids), freed at the end */
    size_t narena, cap_arena;
    bool oom;
};

/* Starts an empty profile whose string 0 is "". */
void tlr_pp_init(struct tlr_pp_table *t);
/* Frees every table, sample and string. */
void tlr_pp_free(struct tlr_pp_table *t);

/* Index of s in the string table (0 for NULL or ""). */
int64_t tlr_pp_str(struct tlr_pp_table *t, const char *s);
/* Id of the location of frame f of process p (one per process and address), with its mapping,
 * its function and, when symbolized, its file:line and inlined frames. 0 when out of memory. */
uint64_t tlr_pp_location(struct tlr_pp_table *t, const struct tlr_proc *p,
                         const struct tlr_frame *f);
/* Appends a sample (allocated with tlr_pp_alloc). 0, or -1 (and t->oom) when out of memory. */
int tlr_pp_add_sample(struct tlr_pp_table *t, Perftools__Profiles__Sample *s);
/* Id of the mapping of module mod (an index into p->modules) of process p, created on first
 * use, widened to cover address ip. 0 when out of memory. pprof takes the first mapping for the
 * program. */
uint64_t tlr_pp_mapping(struct tlr_pp_table *t, const struct tlr_proc *p, int mod, uint64_t ip);
/* zeroed memory kept until tlr_pp_free; NULL (and t->oom) when out of memory. */
void *tlr_pp_alloc(struct tlr_pp_table *t, size_t size);

#endif
