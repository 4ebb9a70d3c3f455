/* tl_json: a small streaming JSON writer into a growing malloc'd buffer, the one writer of
 * every JSON document taskleak writes: the detector's reports, taskleak-report's merged view and
 * re-emitted reports, taskleak-attach's report (the objects they share are in tl_jrep.h).
 *
 * Report time only (it mallocs). Output is always valid JSON, UTF-8, one member per line with
 * two-space indentation so reports diff well. Strings are escaped per RFC 8259: quote, backslash
 * and control characters (\n \t \r \b \f, others \u00XX); bytes >= 0x80 pass through unchanged
 * when they form valid UTF-8, and each byte of an invalid sequence becomes U+FFFD, so the output
 * stays valid UTF-8 whatever the host program named its threads.
 *
 * Out of memory sets j->oom and turns later calls into no-ops; check it before using j->buf.
 * Nesting deeper than 63 levels also sets oom (the writer refuses rather than overflowing
 * first[]). A struct tl_json is owned by one thread; no locking.
 */
#ifndef TL_JSON_H
#define TL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl_json {
    char *buf;               /* NUL-terminated output so far (NULL until the first write) */
    size_t len, cap;         /* bytes used (without the NUL) and allocated */
    int depth;               /* current nesting depth, 0 = top level */
    unsigned char first[64]; /* first[d] = 1 while level d has no member yet (no comma needed) */
    bool oom;                /* set on allocation failure or nesting overflow; sticky */
};

void tl_json_init(struct tl_json *j);
void tl_json_free(struct tl_json *j); /* frees buf; j may be re-initialised afterwards */

/* key is the member name inside an object; pass NULL inside arrays and at the top level. */
void tl_json_obj_begin(struct tl_json *j, const char *key);
void tl_json_obj_end(struct tl_json *j);
void tl_json_arr_begin(struct tl_json *j, const char *key);
void tl_json_arr_end(struct tl_json *j);
void tl_json_str(struct tl_json *j, const char *key, const char *v); /* v NULL -> null */
void tl_json_int(struct tl_json *j, const char *key, int64_t v);
void tl_json_uint(struct tl_json *j, const char *key, uint64_t v);
void tl_json_bool(struct tl_json *j, const char *key, bool v);
void tl_json_null(struct tl_json *j, const char *key);
void tl_json_hex(struct tl_json *j, const char *key, uint64_t v);  /* "0x1a2b" as a string */
void tl_json_double(struct tl_json *j, const char *key, double v); /* 3 decimals; NaN, inf: 0 */

/* For a long document streamed out in pieces: the text written since the start or the last
 * tl_json_drop (NULL with *len 0 when none, or after oom); tl_json_drop forgets it once the caller
 * has written it elsewhere. The nesting state stays, so writing continues where it was. */
const char *tl_json_pending(const struct tl_json *j, size_t *len);
void tl_json_drop(struct tl_json *j);

/* Detaches the finished text (adds a final newline); the caller frees it. NULL when oom or when
 * the nesting is unbalanced. j is reset to the initial state either way. */
char *tl_json_finish(struct tl_json *j, size_t *len);

#endif /* TL_JSON_H */
