/*
 * Showing an attach (or a preloaded process's dump) exactly as taskleak-report shows reports:
 * the document is loaded by the report tool's loader, merged, symbolized (function and file:line
 * from the modules' debug information), marked by its gate with the suppressions, and rendered by
 * its text renderer. Nothing here formats a report itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach_show.h"
#include "gate.h"
#include "load.h"
#include "merge.h"
#include "render.h"
#include "symbolize.h"

int tla_show(const char *doc, size_t len, const char *name, const struct tla_show_opts *o,
             long long *deadlocked)
{
    struct tlr_merged m = {0};
    struct tlr_supp supp = {0};
    char err[512];
    *deadlocked = 0;
    if (o->supp_path && tlr_supp_load(o->supp_path, &supp, err, sizeof err) < 0) {
        tla_say("%s", err);
        return -1;
    }
    m.procs = calloc(1, sizeof *m.procs);
    int rc = -1;
    if (m.procs == NULL)
        goto out;
    if (tlr_load_buffer(doc, len, name, TLR_LOAD_ALL_UNITS, &m.procs[0], err, sizeof err) < 0) {
        tla_say("%s", err);
        goto out;
    }
    m.nprocs = 1;
    if (tlr_merge(&m) < 0)
        goto out;
    tlr_symbolize(&m, 1);
    tlr_gate_mark(&m, NULL, &supp);
    struct tlr_render_opts ro = {.verbose = o->verbose, .fail_on = TLR_FAIL_ANY, .supp = &supp};
    struct tlr_counts c;
    tlr_count(&m, &ro, &c);
    *deadlocked = c.deadlocked;
    for (size_t i = 0; i < m.nprocs; i++) /* a dump marks no verdict; its cycles still count */
        if (c.deadlocked == 0 && m.procs[i].ndeadlocks > 0)
            *deadlocked = (long long)m.procs[i].ndeadlocks;
    rc = o->text ? tlr_render_text(stdout, &m, &ro) : 0;
    fflush(stdout);
out:
    tlr_merged_free(&m);
    tlr_supp_free(&supp);
    return rc;
}
