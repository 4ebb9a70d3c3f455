/*
 * The CI gate: which merged groups are known (in a baseline), suppressed, and failing.
 *
 * A baseline is a previous `--format json` output (schema "taskleak-report/1"; each group carries
 * its identity) or a raw taskleak/1 report. --fail-on any fails on every group that is not
 * suppressed and whose verdict is one the detector failed that process on (the report's
 * options.fail_on; TLR_FAIL_ON_DEFAULT when the report does not say), new only on those of them
 * not in the baseline, none never. So a watchdog's "blocked" is shown but fails only where the
 * program was run with fail_on including blocked.
 */
#ifndef TLR_GATE_H
#define TLR_GATE_H

#include <stddef.h>

#include "merge.h"
#include "supp.h"

enum tlr_fail_on { TLR_FAIL_ANY, TLR_FAIL_NEW, TLR_FAIL_NONE };

/* The detector's default fail_on, for reports that do not carry their options. */
#define TLR_FAIL_ON_DEFAULT "leaked,deadlocked,unjoined,inversion"

/* Whether report p's detector fails on verdict (p's options.fail_on, else the default). */
bool tlr_fails_on(const struct tlr_proc *p, const char *verdict);

struct tlr_known { /* one baseline identity */
    char *key;
    UT_hash_handle hh;
};

struct tlr_baseline {
    struct tlr_known *keys; /* hash of identities */
};

/* Parses "any", "new" or "none"; -1 for anything else. */
int tlr_fail_on_parse(const char *s, enum tlr_fail_on *out);
/* Loads a baseline file. 0, or -1 with "FILE: PROBLEM" in err. */
int tlr_baseline_load(const char *path, struct tlr_baseline *b, char *err, size_t errlen);
void tlr_baseline_free(struct tlr_baseline *b);
/* Sets known, suppressed_by and fail_verdict on every merged group (b and s may be NULL). */
void tlr_gate_mark(struct tlr_merged *m, const struct tlr_baseline *b, struct tlr_supp *s);
/* Whether one marked group fails under the policy. */
int tlr_gate_fails(const struct tlr_mgroup *g, enum tlr_fail_on f);
/* Number of failing groups. */
size_t tlr_gate_failing(const struct tlr_merged *m, enum tlr_fail_on f);

#endif
