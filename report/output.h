/*
 * Where a rendering goes: stdout, or a file replaced atomically (written under a temporary name
 * in the same directory, flushed, then renamed), so a reader never sees half a report and a
 * failed run leaves the previous file in place.
 */
#ifndef TLR_OUTPUT_H
#define TLR_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

struct tlr_out {
    FILE *f;          /* where renderers write */
    const char *path; /* final name, NULL for stdout */
    char *tmp;        /* temporary name while writing, malloc'ed */
};

/* Opens path (NULL or "-" = stdout). 0, or -1 with "PATH: PROBLEM" in err. */
int tlr_out_open(struct tlr_out *o, const char *path, char *err, size_t errlen);
/* Finishes: with render_status 0, flushes and renames into place; otherwise (or when writing
 * failed) removes the temporary file. 0, or -1 with the problem in err. */
int tlr_out_commit(struct tlr_out *o, int render_status, char *err, size_t errlen);

/* Prints "taskleak-report: MESSAGE\n" on stderr as one line: control bytes and invalid UTF-8 in
 * the formatted message (a file name, a quoted field) are escaped as \n, \xNN (tl_input_escape),
 * so input can never start a line of its own. Every message of the tool goes through here. */
void tlr_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
