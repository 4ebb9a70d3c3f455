/* tl_text: the grouped text report (taskleak(7), REPORT FORMAT), modelled on Go's goroutine dumps
 * and
 * pprof debug=1 grouping. First line "taskleak: ..." with the counts, pid and program; one block
 * per group (count, kind, [reason, duration], verdict, numbered blocked stack, "created by" with
 * the creation stack, the unit ids, the suppression line that would silence it); last line
 * "SUMMARY: taskleak: ...". Colour only when fd is a terminal. Report time only (mallocs).
 */
#ifndef TL_TEXT_H
#define TL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "tl_group.h"

/* Renders r as text (malloc'd, NUL-terminated); NULL on allocation failure. */
char *tl_text_render(struct tl_report *r, int colour);

/* Renders and writes it to fd in one go (nothing when fd < 0). errno preserved. */
void tl_text_write(struct tl_report *r, int fd);

/* Whether u is the process's main thread (thread:1), which nothing in the process created. */
bool tl_text_is_main(const struct tl_rep_unit *u);

/* Prints stack id as the report does (numbered frames, function, module+offset); "(no stack)"
 * when empty. */
void tl_text_stack(FILE *f, struct tl_report *r, tl_stack_id id);

/* The frames of stack id, at most max of them (then "... (N more frames)"), each line starting
 * with indent, in the one frame format (tl_fmt_frame); "(no stack)" for none. */
void tl_text_frames(FILE *f, struct tl_report *r, tl_stack_id id, const char *indent, int max);

/* One group's block (tl_render_group) with at most max_frames frames per stack. WHY, when set,
 * is the watchdog's note ("new", "grew", "still there") after the headline, and then the group
 * ends with how to quiet the watchdog when no suppressions line fits. */
void tl_text_group(FILE *f, struct tl_report *r, const struct tl_rep_group *g, int colour,
                   const char *why, int max_frames);

/* "350ms", "14s", "3m20s": a wait duration for humans. */
void tl_text_duration(int64_t ms, char *buf, size_t n);

/* Writes the narrative for r's deadlocks to f ("thread:7 holds mutex 0x... and waits for mutex
 * 0x... held by thread:9, which waits for ..."; "owner thread:5 exited while holding mutex 0x...",
 * with its creation stack). Writes nothing when r has no deadlock. */
void tl_deadlock_text(struct tl_report *r, FILE *f);

#endif /* TL_TEXT_H */
