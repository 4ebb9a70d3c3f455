/*
 * Renderers of merged, marked (gate) and optionally symbolized reports. Each writes one format
 * to a stdio stream and returns 0, or -1 when writing failed (errno from the stream).
 */
#ifndef TLR_RENDER_H
#define TLR_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "gate.h"
#include "merge.h"

struct tlr_render_opts {
    bool color;         /* ANSI colours (text only; the CLI sets it for terminals) */
    bool verbose;       /* list every unit (text) */
    bool have_baseline; /* say new/known */
    enum tlr_fail_on fail_on;
    const struct tlr_supp *supp; /* rules with their matched counts, or NULL */
    const char *verdict;         /* folded: only this verdict's groups, no root frame; or NULL */
};

int tlr_render_text(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o);
int tlr_render_json(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o);
int tlr_render_html(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o);
int tlr_render_folded(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o);

/* The frames of stack s (NULL: "(no stack)") in the text format, each line starting with indent,
 * without colour (render_text.c): for other sections that show stacks. */
void tlr_text_stack(FILE *out, const struct tlr_proc *p, const struct tlr_stack *s,
                    const char *indent);

/* Shared helpers (render_util.c). */

/* "350ms", "14s", "2m3s", "1h2m": a compact duration. */
void tlr_fmt_duration(long long ms, char *buf, size_t len);
/* The display name of a frame: the report's function, else the innermost DWARF name that
 * the symbolizer found for the real function, else "module+0xoff". */
const char *tlr_frame_display(const struct tlr_proc *p, const struct tlr_frame *f, char *buf,
                              size_t len);
/* Path of the frame's module, or NULL. */
const char *tlr_frame_module(const struct tlr_proc *p, const struct tlr_frame *f);
/* "thread"/"threads"/"task"/"tasks"/"unit(s)". */
const char *tlr_kind_word(const char *kind, long long count);
/* Units of each verdict over groups that are not suppressed. */
struct tlr_counts {
    long long leaked, deadlocked, blocked, other;
    long long unjoined; /* threads finished, never joined nor detached */
    size_t groups, suppressed, fresh, failing;
    size_t inversions; /* unsuppressed lock-order inversions (counted in failing unless none) */
};
void tlr_count(const struct tlr_merged *m, const struct tlr_render_opts *o, struct tlr_counts *c);
/* "  waits for mutex cache_lock (prog+0x4040), held by thread:3 handle_conn\n" for the group's
 * first unit; nothing when it waits on no object. */
void tlr_wait_line(FILE *out, const struct tlr_mgroup *g);
/* An object as the texts name it: "cache_lock (prog+0x4040)" for a variable (the place from the
 * module loaded below it), "heap (0x55d0...)", or the address OBJ alone when NAME is NULL. */
void tlr_object_what(const struct tlr_proc *p, const char *name, const char *obj, char *buf,
                     size_t n);

#endif
