/* tl_report: rendering a report model (tl_group.h) as JSON, schema "taskleak/1"
 * (docs/json-schema.md), and emitting a report: the JSON file in the report directory and the
 * grouped text
 * report (tl_text.h) on the log.
 *
 * Report time only: mallocs, reads /proc, symbolizes. errno of the caller is preserved by
 * tl_report_emit.
 */
#ifndef TL_REPORT_H
#define TL_REPORT_H

#include <stddef.h>

#include "tl_group.h"

/* The whole JSON document (NUL-terminated, malloc'd, *len without the NUL); NULL when out of
 * memory. */
char *tl_report_json(struct tl_report *r, size_t *len);

/* Writes taskleak.<pid>.<file_kind>.json into the report directory when the report option is
 * set (always, findings or not), and the text report on the log when there is anything to show
 * (a verdict, or every unit for a dump). Returns 0, or -1 when the JSON file could not be
 * written (one line on the log says why). */
int tl_report_emit(struct tl_report *r);

#endif /* TL_REPORT_H */
