/* tl_options: TASKLEAK_OPTIONS, generated from the X-macro table in tl_options.inc.
 *
 * The table yields the struct, the defaults, the parser, help=1 output, the JSON echo in reports
 * and the man page / README text (tl_options_doc). Parsing never mallocs and never reads the
 * environment: the constructor passes the TASKLEAK_OPTIONS text it read once at start-up.
 *
 * Syntax: key=value pairs separated by ':' or ',' (blanks and newlines separate too). A value may
 * be quoted with "..." or '...' to contain separators (log="/tmp/a:b.log"). A token without '='
 * continues a list-valued option given just before it: fail_on=leaked,deadlocked and
 * ignore=foo*,bar both work. Every bad key or value produces exactly one line on the log, e.g.
 *   taskleak: TASKLEAK_OPTIONS: unknown key 'x' (ignored)
 *   taskleak: TASKLEAK_OPTIONS: bad value 'abc' for threshold (want a duration such as 10s; using
 * 10s) and the field keeps its previous value (the default). help=1 prints the table to the log.
 */
#ifndef TL_OPTIONS_H
#define TL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl_json;

#define TL_OPT_PATH_MAX 4096 /* bytes of a PATH/GLOBS value including the NUL */

enum {
    TL_FAIL_LEAKED = 1,
    TL_FAIL_DEADLOCKED = 2,
    TL_FAIL_BLOCKED = 4,
    TL_FAIL_UNJOINED = 8,
    TL_FAIL_INVERSION = 16,
    TL_FAIL_GROWING = 32
};

/* on_deadlock: what a proven deadlock does (the names users type are all, any, report). */
enum { TL_ON_DEADLOCK_ALL, TL_ON_DEADLOCK_ANY, TL_ON_DEADLOCK_REPORT };

#define TL_OPT_FIELD_DURATION(f) int64_t f
#define TL_OPT_FIELD_BOOL(f)     bool f
#define TL_OPT_FIELD_INT(f)      int f
#define TL_OPT_FIELD_PATH(f)     char f[TL_OPT_PATH_MAX]
#define TL_OPT_FIELD_GLOBS(f)    char f[TL_OPT_PATH_MAX]
#define TL_OPT_FIELD_SIGNAL(f)   int f
#define TL_OPT_FIELD_VERDICTS(f) unsigned f
#define TL_OPT_FIELD_ACTION(f)   int f

/* Written once, by the start-up path that owns it (tl_ctx.c), before any other thread of ours
 * exists; every module receives it, or the part it needs, as a const pointer or a value, so
 * readers need no lock and none can change it. */
struct tl_options {
#define TL_OPT(kind, key, field, def, min, max, help) TL_OPT_FIELD_##kind(field);
#include "tl_options.inc"
#undef TL_OPT
    bool help; /* help=1 was given (the table has been printed to the log) */
};

/* threshold=, applied: the one test of it. A wait that has lasted waited_ns is past a threshold of
 * threshold_ns when it has lasted at least that long. The watchdog's scan of threads, gor's task
 * scan, the all-asleep look, the "blocked" verdict of a report and the proof of a wait-for cycle
 * all ask here (each with its own rule on which waits count), so they cannot disagree on where
 * the line is. AS-safe. */
static inline bool tl_past_threshold(int64_t waited_ns, int64_t threshold_ns)
{
    return waited_ns >= threshold_ns;
}

/* Fills o with the table's defaults. Never fails. */
void tl_options_defaults(struct tl_options *o);

/* Applies the option text s (NULL or "" = nothing) on top of the current values of o.
 * Returns the number of problems reported (0 = all good). No malloc; logs through tl_logf. */
int tl_options_parse(struct tl_options *o, const char *s);

/* Prints one line per option (key, default, help) to fd. */
void tl_options_help(int fd);

/* Writes the members of the "options" object (the caller opens and closes it): each key with its
 * effective value; durations as milliseconds, fail_on as an array of names, dump_signal as its
 * name ("SIGUSR2") or 0, empty paths as null. */
void tl_options_json(const struct tl_options *o, struct tl_json *j);

/* Expands pattern into out (size n): "%p" -> the current pid, "%%" -> "%". Any other '%' sequence
 * (including a trailing '%') -> -1 with errno EINVAL; too long -> -1 with ENAMETOOLONG. Returns
 * the length written otherwise. AS-safe (no malloc, no stdio). */
int tl_options_expand_path(const char *pattern, char *out, size_t n);

/* Makes the relative report= and log= paths of o absolute against cwd (the directory the program
 * started in), so a program that chdirs later still writes where it was started. A '%' in cwd is
 * written "%%". "stderr", empty and absolute values are left alone; so is a value that would not
 * fit (it stays relative). Returns the number of values changed. No malloc. */
int tl_options_resolve_paths(struct tl_options *o, const char *cwd);

/* Formats an option's value back into the user's syntax ("10s", "leaked,blocked", "SIGUSR2").
 * Returns 0, or -1 for an unknown key. */
int tl_options_format(const struct tl_options *o, const char *key, char *out, size_t n);

/* The documentation generated from the table: TL_DOC_MAN writes man(7) ".TP" entries for an
 * OPTIONS section, TL_DOC_MARKDOWN a README table (| key | default | meaning |). */
enum tl_doc_format { TL_DOC_MAN, TL_DOC_MARKDOWN };
void tl_options_doc(int fd, enum tl_doc_format f);

/* Name of a verdict bit ("leaked"), NULL for anything else. */
const char *tl_verdict_name(unsigned bit);

/* Signal name for a number ("SIGUSR2"), "0" for 0, NULL when unknown. */
const char *tl_signal_name(int sig);

#endif /* TL_OPTIONS_H */
