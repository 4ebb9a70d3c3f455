/* tl_supp: suppressions (file) and the ignore= list.
 *
 * File syntax, one per line: "leak:GLOB", "block:GLOB", "thread:NAMEGLOB"; '#' starts a comment
 * line; blank lines and surrounding blanks are ignored. GLOB is an fnmatch(3) pattern matched
 * against every function name of a unit's stacks (and its start function); thread: matches the
 * unit's name, for any verdict. ignore= entries (comma separated) behave as leak: lines.
 *
 * Loaded once at start-up (malloc allowed); afterwards the set is immutable except for the match
 * counters, which are updated atomically, so tl_supp_match may run from any thread without a
 * lock.
 */
#ifndef TL_SUPP_H
#define TL_SUPP_H

#include <stddef.h>

struct tl_json;
struct tl_supp;

/* Loads the file at path (NULL or "" = none) and the ignore list (NULL or "" = none).
 * Returns the set (empty when both are empty), or NULL with a one-line message in err, e.g.
 *   suppressions file x: line 3: unknown type 'lek' (want leak:, block: or thread:)
 *   suppressions file x: No such file or directory
 * err may be NULL. Lines longer than 4095 bytes are an error. */
struct tl_supp *tl_supp_load(const char *path, const char *ignore_list, char *err, size_t errlen);

enum tl_supp_kind { TL_SUPP_LEAK, TL_SUPP_BLOCK };

/* Returns the first pattern (full text, "leak:foo*") of kind k matching any of functions[0..n)
 * (NULL entries skipped), or a thread: pattern matching thread_name (NULL = unnamed), and adds one
 * to its counter; NULL when nothing matches. s NULL -> NULL. Thread-safe. */
const char *tl_supp_match(struct tl_supp *s, enum tl_supp_kind k, const char *const *functions,
                          size_t nfunctions, const char *thread_name);

/* Number of patterns, and pattern i's text and match count. */
size_t tl_supp_count(const struct tl_supp *s);
const char *tl_supp_pattern(const struct tl_supp *s, size_t i);
unsigned long tl_supp_matched(const struct tl_supp *s, size_t i);

/* Writes the elements of the "suppressions" array (the caller opens and closes it): one object
 * per pattern with "pattern", "matched" and "source" ("file:line" or "ignore"). */
void tl_supp_json(const struct tl_supp *s, struct tl_json *j);

void tl_supp_free(struct tl_supp *s); /* NULL allowed */

#endif /* TL_SUPP_H */
