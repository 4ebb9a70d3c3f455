/*
 * Rendering through the report tool (show.c), and asking a preloaded process for a dump
 * (dump.c). Separate from attach.h so that only these two files see the report tool's model.
 */
#ifndef TLA_ATTACH_SHOW_H
#define TLA_ATTACH_SHOW_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "attach.h"

struct tla_show_opts {
    bool text;             /* render the text report on stdout */
    bool verbose;          /* list every unit */
    const char *supp_path; /* suppressions file, or NULL */
};

/* Loads the taskleak/1 document doc (len bytes, named name in messages) with the report tool's
 * loader, symbolizes, applies suppressions and, with o->text, renders it on stdout. Sets
 * *deadlocked to the number of unsuppressed deadlocked units (or, in a dump, of cycles). 0, or -1
 * after one line on stderr. */
int tla_show(const char *doc, size_t len, const char *name, const struct tla_show_opts *o,
             long long *deadlocked);

/* The target runs the detector: asks it for a dump through its dump signal and waits for the
 * file (10 s). Returns the malloc'ed path of the new dump, or NULL after one line saying why
 * (dumps disabled, no report directory: the dump went to its log). */
char *tla_dump_preloaded(pid_t pid);

#endif
