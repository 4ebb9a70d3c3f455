/* tl_defer: where a report's text goes under defer_text=DIR (set by `taskleak run`, which prints
 * the report tool's rendering of each report's JSON, with file:line, in place of the detector's
 * name-only text). The process's last word (exit, signal, or a deadlock that ends it) leaves its
 * text as DIR/taskleak.<pid>.<kind>.txt once its JSON file is written; the script renders it when
 * the program has ended. Every other report a user would see while the program runs (watchdog,
 * dump, taskleak_check, a deadlock the program survives) leaves a pair DIR/live.<pid>.<seq>.json
 * and .txt (the JSON first, the text last), which the supervisor renders as it appears, when
 * defer_live says it does (else that text goes to the log as without defer_text). Files
 * only: the callers render the text and the JSON. A false return leaves the text to the caller,
 * for the log.
 */
#ifndef TL_DEFER_H
#define TL_DEFER_H

#include <stdbool.h>
#include <stddef.h>

/* The defer directory of options O, expanded into dir; false when there is none, or (LIVE: for a
 * live pair) when defer_live does not say that a supervisor shows live pairs: set by hand without
 * one, defer_text never leaves live files nobody prints. */
struct tl_options;
bool tl_defer_dir(const struct tl_options *o, bool live, char *dir, size_t n);

/* TEXT as DIR/taskleak.<pid>.<file_kind>.txt: true when written. */
bool tl_defer_last(const char *dir, const char *file_kind, const char *text, size_t len);

/* A live pair: JSON (JLEN bytes) then TEXT (LEN bytes); true when both were written (a JSON whose
 * text could not follow is removed). */
bool tl_defer_live(const char *dir, const char *json, size_t jlen, const char *text, size_t len);

#endif /* TL_DEFER_H */
