/* tl_options_int: the options table as data, shared by tl_options.c (parsing, formatting) and
 * tl_options_doc.c (help, JSON echo, documentation). Internal to those two files.
 */
#ifndef TL_OPTIONS_INT_H
#define TL_OPTIONS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tl_options.h"

enum tl_opt_kind {
    TL_K_DURATION,
    TL_K_BOOL,
    TL_K_INT,
    TL_K_PATH,
    TL_K_GLOBS,
    TL_K_SIGNAL,
    TL_K_VERDICTS,
    TL_K_ACTION
};

/* The names of TL_K_ACTION values, indexed by TL_ON_DEADLOCK_*. */
extern const char *const tl_action_names[3];

/* One row of tl_options.inc; constant. */
struct tl_opt_desc {
    const char *key;   /* what users type */
    const char *field; /* struct member name, also the JSON key */
    enum tl_opt_kind kind;
    size_t offset;    /* offsetof(struct tl_options, field) */
    const char *def;  /* default, in the user's syntax */
    int64_t min, max; /* bounds for INT and DURATION (ms) */
    const char *help;
};

extern const struct tl_opt_desc tl_opt_table[];
extern const size_t tl_opt_count;

/* The field of o that d describes. */
const void *tl_opt_field(const struct tl_options *o, const struct tl_opt_desc *d);

/* d's value in o, in the user's syntax ("10s", "leaked,blocked", "SIGUSR2"). */
void tl_opt_format_value(const struct tl_options *o, const struct tl_opt_desc *d, char *out,
                         size_t n);

#endif /* TL_OPTIONS_INT_H */
