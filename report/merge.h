/*
 * Merging the groups of many processes by identity.
 *
 * A group's identity is (verdict, kind, reason, function names of the blocked stack, function
 * names of the creation stack): addresses and pids differ between processes and runs, names do
 * not, so the same leak in 50 test binaries is one merged group with 50 occurrences. Function
 * names come from the report (never from the symbolizer), so identities, and therefore
 * baselines, do not depend on whether debug information was at hand.
 */
#ifndef TLR_MERGE_H
#define TLR_MERGE_H

#include "model.h"

struct tlr_occ { /* one process's group inside a merged group */
    struct tlr_proc *proc;
    struct tlr_group *group;
};

struct tlr_mgroup {
    char *key;             /* identity string (tlr_identity), owned */
    struct tlr_proc *proc; /* first occurrence, whose stacks represent the group */
    struct tlr_group *first;
    long long count;              /* sum over occurrences (saturating) */
    long long wait_min, wait_max; /* over occurrences, -1 when none had them */
    struct tlr_occ *occ;
    size_t nocc, capocc;
    int severity;              /* 0 deadlocked, 1 leaked, 2 blocked, 3 unjoined, 4 anything else,
                                  5 no verdict (a dump) */
    bool known;                /* written by the gate: identity found in the baseline */
    const char *suppressed_by; /* written by the gate: the matching rule's text, or NULL */
    bool fail_verdict;         /* written by the gate: a process of it fails on its verdict */
    UT_hash_handle hh;         /* tlr_merged.index, keyed by key */
};

struct tlr_merged {
    struct tlr_proc *procs; /* every loaded report, owned; after tlr_merge, procs[0..nprocs) are
                               the reports that speak for their process and the nsuperseded
                               others follow them (kept only to be freed) */
    size_t nprocs;
    size_t nsuperseded;
    struct tlr_mgroup *index;   /* hash of merged groups by identity */
    struct tlr_mgroup **groups; /* the same groups, ordered: tl_render_group_order, then key */
    size_t ngroups;
    struct tlr_summary total; /* summaries added up */
};

/* Builds the merged groups from m->procs[0..nprocs). Reports of one process (same pid and start
 * time) are one view: the one with the latest complete word on it stands, by kind deadlock >
 * signal > exit > check > watchdog > dump > attach (any other kind below them), then by the time
 * written, and the others are moved behind procs[nprocs), so no unit is counted twice. 0, or -1 on
 * out of memory. */
int tlr_merge(struct tlr_merged *m);
/* Frees the merged groups and every proc. */
void tlr_merged_free(struct tlr_merged *m);

/* The identity of a group as a malloc'ed string; NULL on out of memory. Stacks may be NULL. */
char *tlr_identity(const struct tlr_proc *p, const char *verdict, const char *kind,
                   const char *reason, const struct tlr_stack *blocked,
                   const struct tlr_stack *created);
/* The same from already extracted names (for baselines written by --format json). */
char *tlr_identity_names(const char *verdict, const char *kind, const char *reason,
                         const char *const *blocked, size_t nblocked, const char *const *created,
                         size_t ncreated);

#endif
