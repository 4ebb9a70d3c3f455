/* tl_supp: suppressions (file) and the ignore= list; also the parser and matcher the report tool
 * links (report/supp.c), so both tools read the same syntax the same way.
 *
 * File syntax, one per line: "leak:GLOB", "block:GLOB", "thread:NAMEGLOB", "inversion:GLOB"
 * (a lock-order inversion with GLOB in a stack of any of its edges); '#' starts a comment
 * line; blank lines and surrounding blanks are ignored. GLOB is an fnmatch(3) pattern matched
 * against every function name of a unit's stacks (and its start function); thread: matches the
 * unit's name, for any verdict. ignore= entries (comma separated) behave as leak: lines.
 *
 * Loaded once at start-up (malloc allowed); afterwards the set is immutable except for the match
 * counters, which are updated atomically, so tl_supp_match may run from any thread without a
 * lock. This file (tl_supp.c) depends on libc only; tl_supp_json lives in tl_supp_json.c.
 */
#ifndef TL_SUPP_H
#define TL_SUPP_H

#include <stdbool.h>
#include <stddef.h>

struct tl_json;
struct tl_supp;

#define TL_SUPP_LINE_MAX 4095 /* longest accepted line, in bytes, newline included */
#define TL_SUPP_FILE_MAX (1u << 20) /* largest accepted suppressions file, in bytes (1 MiB) */

/* Loads the file at path (NULL or "" = none) and the ignore list (NULL or "" = none).
 * Returns the set (empty when both are empty), or NULL with a one-line message in err, e.g.
 *   suppressions file x: line 3: unknown type 'lek' (want leak:, block:, thread: or inversion:)
 *   suppressions file x: cannot open: No such file or directory
 *   suppressions file /dev/zero: is a character device, not a regular file
 * err may be NULL. Lines longer than TL_SUPP_LINE_MAX bytes are an error. */
struct tl_supp *tl_supp_load(const char *path, const char *ignore_list, char *err, size_t errlen);

/* A pattern's type. tl_supp_match takes LEAK or BLOCK (the verdict being reported) or INVERSION
 * (the functions of both stacks of every edge of a lock-order cycle); THREAD is only ever a
 * pattern's type, as returned by tl_supp_type. */
enum tl_supp_kind { TL_SUPP_LEAK, TL_SUPP_BLOCK, TL_SUPP_THREAD, TL_SUPP_INVERSION };

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

/* ---- Building blocks for callers with their own message style and matching unit (the report
 * tool matches merged groups, not single units). ---- */

/* Why reading a suppressions file failed; each caller words its own one-line message. */
enum tl_supp_problem {
    TL_SUPP_ERR_NOMEM,    /* out of memory */
    TL_SUPP_ERR_OPEN,     /* the file cannot be opened (errnum) */
    TL_SUPP_ERR_READ,     /* reading it failed (errnum) */
    TL_SUPP_ERR_LONG,     /* line longer than TL_SUPP_LINE_MAX */
    TL_SUPP_ERR_NUL,      /* line contains a NUL byte */
    TL_SUPP_ERR_NO_TYPE,  /* no ':' on the line (text) */
    TL_SUPP_ERR_BAD_TYPE, /* the word before ':' is not leak, block or thread (type, text) */
    TL_SUPP_ERR_EMPTY,    /* nothing after "type:" (type) */
    TL_SUPP_ERR_FILE,     /* the file cannot be used: not a regular file, too large, ... (file) */
};

struct tl_supp_error {
    enum tl_supp_problem problem;
    unsigned line; /* 1-based line of the problem; 0 when not tied to a line */
    int errnum;    /* errno for OPEN and READ, else 0 */
    char type[48]; /* the type word as written (trimmed, truncated), for BAD_TYPE and EMPTY */
    char text[72]; /* the trimmed line (truncated), for NO_TYPE and BAD_TYPE */
    char file[96]; /* FILE: what is wrong with the file, as tl_input_describe words it */
};

/* An empty set, or NULL when out of memory. */
struct tl_supp *tl_supp_new(void);

/* Append the patterns of the file at path, or of text[0..len) (need not be NUL-terminated)
 * called name; each pattern's source is "name:line". The file is opened and read by tl_input:
 * never blocking, only a regular file, at most TL_SUPP_FILE_MAX bytes (FILE otherwise). 0, or -1 with *e filled; after -1 s may hold
 * some of the patterns and should be freed: a half-applied file is never meant to be used. */
int tl_supp_read_file(struct tl_supp *s, const char *path, struct tl_supp_error *e);
int tl_supp_read_text(struct tl_supp *s, const char *name, const char *text, size_t len,
                      struct tl_supp_error *e);

/* Pattern i's type and glob (the text after "type:"); i < tl_supp_count(s). */
enum tl_supp_kind tl_supp_type(const struct tl_supp *s, size_t i);
const char *tl_supp_glob(const struct tl_supp *s, size_t i);

/* Whether pattern i matches, by the rule of tl_supp_match, without counting; tl_supp_hit then
 * counts one match (atomically). */
bool tl_supp_pattern_matches(const struct tl_supp *s, size_t i, enum tl_supp_kind k,
                             const char *const *functions, size_t nfunctions,
                             const char *thread_name);
void tl_supp_hit(struct tl_supp *s, size_t i);

/* Pattern i's origin, "file:line" or "ignore". */
const char *tl_supp_source(const struct tl_supp *s, size_t i);

#endif /* TL_SUPP_H */
