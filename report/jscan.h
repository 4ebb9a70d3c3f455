/*
 * jscan: a small validating pull reader for the bulky parts of a report (units and groups).
 *
 * jansson builds a tree of allocated nodes; on a 1M-unit report (~360 MB) that took 23 s here,
 * far beyond the 3 s bar, and most of the tree was thrown away. jscan walks the text in place:
 * callers step through objects and arrays, decode only the scalars they keep, and skip the rest
 * with full syntax validation (strings, escapes, UTF-8, numbers, nesting depth). jansson still
 * reads every small section. Errors carry the byte offset and a short reason.
 */
#ifndef TLR_JSCAN_H
#define TLR_JSCAN_H

#include <stdbool.h>
#include <stddef.h>

#define TLR_JS_MAX_DEPTH 64

struct tlr_js {
    const char *base; /* start of the buffer (for offsets in messages) */
    const char *p;    /* next byte to read */
    const char *end;  /* one past the last byte */
    const char *err;  /* first error's reason, NULL while none */
    size_t err_off;   /* its byte offset */
    int depth;        /* current nesting while skipping */
};

void tlr_js_init(struct tlr_js *s, const char *buf, size_t len);
/* Sets the error (first one wins) and returns -1, for callers' own schema errors too. */
int tlr_js_fail(struct tlr_js *s, const char *why);
/* Next non-blank byte without consuming it, or -1 at the end. */
int tlr_js_peek(struct tlr_js *s);
/* Skips one value of any type, validating it. 0 or -1. */
int tlr_js_skip(struct tlr_js *s);
/* Objects: begin consumes '{'. next returns 1 with the key decoded into key (truncated keys are
 * reported as "" so they match nothing) and the reader on the value, 0 after the closing '}',
 * -1 on error. Arrays likewise without a key. */
int tlr_js_obj_begin(struct tlr_js *s);
int tlr_js_obj_next(struct tlr_js *s, char *key, size_t keylen);
int tlr_js_arr_begin(struct tlr_js *s);
int tlr_js_arr_next(struct tlr_js *s);
/* Scalars. string: *out is a malloc'ed UTF-8 copy, or NULL when the value is null.
 * integer: accepts an integral number (or null -> nullval). boolean likewise. */
int tlr_js_string(struct tlr_js *s, char **out);
int tlr_js_int(struct tlr_js *s, long long *out, long long nullval);
int tlr_js_bool(struct tlr_js *s, bool *out);
/* After the top-level value: only blanks may remain. */
int tlr_js_finish(struct tlr_js *s);

#endif
