/*
 * Renderers for other tools' formats: a pprof profile (gzipped profile.proto) for go tool pprof
 * and speedscope, and a SARIF 2.1.0 log for code-scanning services. Like the renderers of
 * render.h they read merged, marked, optionally symbolized reports and return 0, or -1 when
 * writing failed (or, for pprof, memory ran out: then nothing was written).
 */
#ifndef TLR_RENDER_TOOLS_H
#define TLR_RENDER_TOOLS_H

#include <stdbool.h>
#include <stdio.h>

#include "render.h"

/* Which stack a pprof sample shows. */
enum tlr_pp_stack { TLR_PP_BLOCKED, TLR_PP_CREATED };

/* One sample per unsuppressed merged group: value its unit count, locations its blocked stack
 * (TLR_PP_BLOCKED) or creation stack (TLR_PP_CREATED), the other one when the group lacks the
 * chosen one (label "stack" says which), labels verdict, kind, reason, wait (ms), unit_name,
 * process. The whole profile is built in memory, then packed and gzipped in one go. */
int tlr_render_pprof(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o,
                     enum tlr_pp_stack stack);

/* One SARIF result per unsuppressed group with a verdict of a finding (deadlocked, leaked,
 * blocked, unjoined) and per unsuppressed lock-order inversion: level "error" when it fails
 * the gate under o->fail_on, "warning" otherwise. */
int tlr_render_sarif(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o);

#endif
