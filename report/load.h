/*
 * Loading one taskleak/1 report (docs/json-schema.md) into a struct tlr_proc.
 */
#ifndef TLR_LOAD_H
#define TLR_LOAD_H

#include <stddef.h>

#include "model.h"

enum tlr_load_flags {
    /* Keep every unit and every unit id of every group (verbose text, json, thread:
     * suppressions). Without it only the first unit of each group (and the units of deadlock
     * cycles) are kept, which is all grouped text and html need ("created by"). */
    TLR_LOAD_ALL_UNITS = 1,
    /* Without TLR_LOAD_ALL_UNITS: keep the first TLR_LOAD_GROUP_UNITS units each group lists
     * rather than only the first (pprof labels samples with their names). */
    TLR_LOAD_SOME_UNITS = 2,
};

#define TLR_LOAD_GROUP_UNITS 8

/* Without TLR_LOAD_ALL_UNITS a group keeps the first this many unit ids of its units[] (the
 * outputs that do not list every unit show fewer); its count stays the real one. */
#define TLR_LOAD_GROUP_IDS 64

/* Report and baseline files larger than this are refused as hostile rather than read (4 GiB,
 * documented in taskleak-report(1)). */
#define TLR_LOAD_MAX_BYTES ((size_t)4 << 30)

/* Parses len bytes of buf (need not be NUL-terminated) named `name` in messages. On success
 * returns 0 and fills *out (caller frees with tlr_proc_free). On failure returns -1, leaves *out
 * empty, and writes one line "NAME: PROBLEM" (no newline) into err. Never crashes on any input;
 * this is the libFuzzer entry point. */
int tlr_load_buffer(const char *buf, size_t len, const char *name, unsigned flags,
                    struct tlr_proc *out, char *err, size_t errlen);

/* Opens the file at path with tl_input_open (never blocking, a regular file only, at most
 * TLR_LOAD_MAX_BYTES), maps the size it has then (a file of size 0, such as a /proc file, is
 * read instead) and parses it as above. Messages name path as given:
 * "PATH: is a FIFO, not a regular file". */
int tlr_load_file(const char *path, unsigned flags, struct tlr_proc *out, char *err, size_t errlen);

/* Reads the whole file at path like every input (tl_input_read, at most TLR_LOAD_MAX_BYTES) into
 * a malloc'ed, NUL-terminated *buf of *len bytes. 0, or -1 with "PATH: WHATPROBLEM" in err
 * (what: "" or a word and a blank, such as "baseline "). */
int tlr_load_read(const char *path, const char *what, char **buf, size_t *len, char *err,
                  size_t errlen);

#endif
