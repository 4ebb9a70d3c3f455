/*
 * Suppressions for the report tool, in the detector's syntax (DESIGN section 2):
 *   leak:GLOB        a leaked group whose creation or blocked stack has a function matching GLOB,
 *                    or one of whose units started in such a function
 *   block:GLOB       the same for blocked and deadlocked groups
 *   thread:NAMEGLOB  a group (any verdict) all of whose known units have a matching name
 *   # comment        blank lines and comments are ignored
 * GLOB is fnmatch(3) syntax.
 */
#ifndef TLR_SUPP_H
#define TLR_SUPP_H

#include <stddef.h>

#include "merge.h"

enum tlr_supp_type { TLR_SUPP_LEAK, TLR_SUPP_BLOCK, TLR_SUPP_THREAD };

struct tlr_supp_rule {
    enum tlr_supp_type type;
    char *glob;
    char *text;   /* the line as written, for messages */
    long matched; /* groups it suppressed */
};

struct tlr_supp {
    struct tlr_supp_rule *rules;
    size_t n;
};

/* Parses text (len bytes). 0, or -1 with "NAME:LINE: PROBLEM" in err. */
int tlr_supp_parse(const char *text, size_t len, const char *name, struct tlr_supp *s, char *err,
                   size_t errlen);
/* Reads and parses a file. 0 or -1 as above (unreadable files too). */
int tlr_supp_load(const char *path, struct tlr_supp *s, char *err, size_t errlen);
void tlr_supp_free(struct tlr_supp *s);
/* True when some rule needs unit names (thread:), so every unit must be loaded. */
int tlr_supp_needs_units(const struct tlr_supp *s);
/* The first rule that suppresses g (its matched count is incremented), or NULL. */
const struct tlr_supp_rule *tlr_supp_match(struct tlr_supp *s, const struct tlr_mgroup *g);

#endif
