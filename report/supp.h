/*
 * Suppressions for the report tool. Parsing and the per-name matching rule are the detector's
 * (common/tl_supp.h, linked in): same syntax, same strictness. This layer applies the rules to
 * merged groups and words errors as the report tool does ("FILE:LINE: PROBLEM"):
 *   leak:GLOB        a leaked group whose creation or blocked stack has a function matching GLOB
 *                    (symbol or any inlined function the symbolizer found), or one of whose units
 *                    started in such a function
 *   block:GLOB       the same for blocked and deadlocked groups
 *   thread:NAMEGLOB  a group (any verdict) all of whose loaded units have a matching name
 * Each pattern counts the groups it suppressed, across every loaded process.
 */
#ifndef TLR_SUPP_H
#define TLR_SUPP_H

#include <stddef.h>

#include "merge.h"
#include "tl_supp.h"

struct tlr_supp {
    struct tl_supp *set; /* the parsed rules (owned; query with tl_supp.h), NULL before a load */
    size_t n;            /* tl_supp_count(set) */
};

/* Parses text (len bytes) named name; the rules replace those s held. 0, or -1 with
 * "NAME:LINE: PROBLEM" in err and s unchanged (empty, when it started empty). */
int tlr_supp_parse(const char *text, size_t len, const char *name, struct tlr_supp *s, char *err,
                   size_t errlen);
/* Reads and parses a file. 0 or -1 as above ("PATH: cannot open: ..." when unreadable). */
int tlr_supp_load(const char *path, struct tlr_supp *s, char *err, size_t errlen);
void tlr_supp_free(struct tlr_supp *s);
/* True when some rule needs unit names (thread:), so every unit must be loaded. */
int tlr_supp_needs_units(const struct tlr_supp *s);
/* Index of the first rule that suppresses g (its matched count is incremented), or -1. */
long tlr_supp_match(struct tlr_supp *s, const struct tlr_mgroup *g);

#endif
