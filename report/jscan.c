/*
 * jscan: validating pull reader (see jscan.h for why it exists beside jansson).
 *
 * Design: the reader is a cursor over a buffer the caller owns. Every entry point first checks
 * the sticky error, so a caller can chain calls and test once. Objects and arrays keep a
 * "first member" flag per nesting level (first[]), which is how commas are checked without a
 * token stack. Skipping is recursive with a hard depth limit, so a hostile file of a million
 * '[' ends with a message rather than a stack overflow. Strings are validated once while
 * scanning (escapes, control bytes, UTF-8 shape) and copied only when the caller keeps them.
 */
#include "jscan.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tl_input.h"

/* Per-level "no member read yet" flags, indexed by depth. One reader at a time per thread is
 * all the tool needs; a thread-local array keeps struct tlr_js small and copyable. */
static __thread bool first[TLR_JS_MAX_DEPTH + 2];

void tlr_js_init(struct tlr_js *s, const char *buf, size_t len)
{
    s->base = buf;
    s->p = buf;
    s->end = buf + len;
    s->err = NULL;
    s->err_off = 0;
    s->depth = 0;
}

int tlr_js_fail(struct tlr_js *s, const char *why)
{
    if (!s->err) {
        s->err = why;
        s->err_off = (size_t)(s->p - s->base);
    }
    return -1;
}

static void blanks(struct tlr_js *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r'))
        s->p++;
}

int tlr_js_peek(struct tlr_js *s)
{
    blanks(s);
    return s->p < s->end ? (unsigned char)*s->p : -1;
}

static int expect(struct tlr_js *s, char c, const char *why)
{
    if (s->err)
        return -1;
    if (tlr_js_peek(s) != (unsigned char)c)
        return tlr_js_fail(s, s->p >= s->end ? "unexpected end of file (truncated?)" : why);
    s->p++;
    return 0;
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Validates one \u escape (with its low surrogate when needed) at p (after the backslash and
 * 'u'); returns the code point and advances *pp past it, or -1. */
static long unicode_escape(const char **pp, const char *end)
{
    const char *p = *pp;
    uint32_t hi, lo;
    if (end - p < 4 || hex4(p, &hi) < 0)
        return -1;
    p += 4;
    if (hi >= 0xdc00 && hi <= 0xdfff)
        return -1;
    if (hi >= 0xd800 && hi <= 0xdbff) {
        if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) < 0 || lo < 0xdc00 ||
            lo > 0xdfff)
            return -1;
        p += 6;
        hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    }
    if (hi == 0)
        return -1; /* NUL inside a string: refused, as jansson does */
    *pp = p;
    return (long)hi;
}

/* plain[c]: byte c stands for itself inside a string (printable ASCII but '"' and '\\'). */
static const bool plain[256] = {
    [0x20 ... 0x21] = true, [0x23 ... 0x5b] = true, [0x5d ... 0x7f] = true};

/* Scans a string starting at the opening quote; on success s->p is past the closing quote,
 * body and len give the raw contents and *escaped says whether decoding is needed. */
static int scan_string(struct tlr_js *s, const char **body, size_t *len, bool *escaped)
{
    if (expect(s, '"', "expected a string") < 0)
        return -1;
    const char *p = s->p, *end = s->end;
    *escaped = false;
    for (;;) {
        while (end - p >= 4 && plain[(unsigned char)p[0]] && plain[(unsigned char)p[1]] &&
               plain[(unsigned char)p[2]] && plain[(unsigned char)p[3]])
            p += 4;
        while (p < end && plain[(unsigned char)*p])
            p++;
        if (p >= end) {
            s->p = p;
            return tlr_js_fail(s, "unexpected end of file inside a string (truncated?)");
        }
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20) {
            s->p = p;
            return tlr_js_fail(s, "control character inside a string");
        }
        if (c == '\\') {
            *escaped = true;
            const char *q = p + 2;
            if (p + 1 >= end || !strchr("\"\\/bfnrtu", p[1]) || p[1] == 0) {
                s->p = p;
                return tlr_js_fail(s, "invalid escape in a string");
            }
            if (p[1] == 'u' && unicode_escape(&q, end) < 0) {
                s->p = p;
                return tlr_js_fail(s, "invalid \\u escape in a string");
            }
            p = q;
            continue;
        }
        size_t n = tl_input_utf8_len((const unsigned char *)p, (const unsigned char *)end);
        if (n == 0) {
            s->p = p;
            return tlr_js_fail(s, "invalid UTF-8 in a string");
        }
        p += n;
    }
    *body = s->p;
    *len = (size_t)(p - s->p);
    s->p = p + 1;
    return 0;
}

static void put_utf8(char **o, uint32_t cp)
{
    char *q = *o;
    if (cp < 0x80) {
        *q++ = (char)cp;
    } else if (cp < 0x800) {
        *q++ = (char)(0xc0 | (cp >> 6));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xe0 | (cp >> 12));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *q++ = (char)(0xf0 | (cp >> 18));
        *q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *q++ = (char)(0x80 | (cp & 0x3f));
    }
    *o = q;
}

/* Decodes an already validated body into out (which holds at least len + 1 bytes: escapes
 * never expand). */
static void decode(const char *b, size_t len, char *out)
{
    const char *end = b + len;
    char *o = out;
    while (b < end) {
        if (*b != '\\') {
            *o++ = *b++;
            continue;
        }
        char e = b[1];
        b += 2;
        switch (e) {
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u':
            put_utf8(&o, (uint32_t)unicode_escape(&b, end));
            break;
        default:
            *o++ = e;
            break;
        }
    }
    *o = 0;
}

static int literal(struct tlr_js *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return tlr_js_fail(s, s->end - s->p < (long)n ? "unexpected end of file (truncated?)"
                                                      : "invalid literal");
    s->p += n;
    return 0;
}

static bool digit(const struct tlr_js *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

/* Scans a JSON number; *integral says it had neither fraction nor exponent. */
static int scan_number(struct tlr_js *s, bool *integral)
{
    *integral = true;
    if (s->p < s->end && *s->p == '-')
        s->p++;
    if (!digit(s))
        return tlr_js_fail(s, "invalid number");
    if (*s->p == '0')
        s->p++;
    else
        while (digit(s))
            s->p++;
    if (s->p < s->end && *s->p == '.') {
        *integral = false;
        s->p++;
        if (!digit(s))
            return tlr_js_fail(s, "invalid number");
        while (digit(s))
            s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        *integral = false;
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
            s->p++;
        if (!digit(s))
            return tlr_js_fail(s, "invalid number");
        while (digit(s))
            s->p++;
    }
    return 0;
}

static int enter(struct tlr_js *s, char open)
{
    if (expect(s, open, open == '{' ? "expected an object" : "expected an array") < 0)
        return -1;
    if (s->depth >= TLR_JS_MAX_DEPTH)
        return tlr_js_fail(s, "nesting deeper than 64 levels");
    first[++s->depth] = true;
    return 0;
}

int tlr_js_obj_begin(struct tlr_js *s)
{
    return enter(s, '{');
}

int tlr_js_arr_begin(struct tlr_js *s)
{
    return enter(s, '[');
}

/* Shared by obj_next and arr_next: 1 = another member follows, 0 = closed, -1 = error. */
static int next_member(struct tlr_js *s, char close)
{
    if (s->err)
        return -1;
    int c = tlr_js_peek(s);
    if (c == close && first[s->depth]) {
        s->p++;
        s->depth--;
        return 0;
    }
    if (!first[s->depth]) {
        if (c == close) {
            s->p++;
            s->depth--;
            return 0;
        }
        if (expect(s, ',', close == '}' ? "expected ',' or '}'" : "expected ',' or ']'") < 0)
            return -1;
    }
    first[s->depth] = false;
    return 1;
}

int tlr_js_obj_next(struct tlr_js *s, char *key, size_t keylen)
{
    int r = next_member(s, '}');
    if (r <= 0)
        return r;
    const char *b;
    size_t n;
    bool esc;
    if (scan_string(s, &b, &n, &esc) < 0 || expect(s, ':', "expected ':' after a key") < 0)
        return -1;
    if (n >= keylen) {
        key[0] = 0;
    } else if (!esc) {
        memcpy(key, b, n);
        key[n] = 0;
    } else {
        decode(b, n, key);
    }
    return 1;
}

int tlr_js_arr_next(struct tlr_js *s)
{
    return next_member(s, ']');
}

int tlr_js_skip(struct tlr_js *s)
{
    if (s->err)
        return -1;
    int c = tlr_js_peek(s);
    const char *b;
    size_t n;
    bool f;
    char key[8];
    int r;
    switch (c) {
    case '{':
        if (tlr_js_obj_begin(s) < 0)
            return -1;
        while ((r = tlr_js_obj_next(s, key, sizeof key)) == 1)
            if (tlr_js_skip(s) < 0)
                return -1;
        return r;
    case '[':
        if (tlr_js_arr_begin(s) < 0)
            return -1;
        while ((r = tlr_js_arr_next(s)) == 1)
            if (tlr_js_skip(s) < 0)
                return -1;
        return r;
    case '"':
        return scan_string(s, &b, &n, &f);
    case 't':
        return literal(s, "true");
    case 'f':
        return literal(s, "false");
    case 'n':
        return literal(s, "null");
    case -1:
        return tlr_js_fail(s, "unexpected end of file (truncated?)");
    default:
        if (c == '-' || (c >= '0' && c <= '9'))
            return scan_number(s, &f);
        return tlr_js_fail(s, "unexpected character");
    }
}

int tlr_js_string(struct tlr_js *s, char **out)
{
    *out = NULL;
    if (s->err)
        return -1;
    if (tlr_js_peek(s) == 'n')
        return literal(s, "null");
    const char *b;
    size_t n;
    bool esc;
    if (scan_string(s, &b, &n, &esc) < 0)
        return -1;
    char *o = malloc(n + 1);
    if (!o)
        return tlr_js_fail(s, "out of memory");
    if (esc) {
        decode(b, n, o);
    } else {
        memcpy(o, b, n);
        o[n] = 0;
    }
    /* Control characters (escaped ones, and DEL) would reach terminals through the text format:
     * a report is input, and an ESC in a function name must not drive the reader's terminal. */
    for (char *c = o; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    *out = o;
    return 0;
}

int tlr_js_int(struct tlr_js *s, long long *out, long long nullval)
{
    *out = nullval;
    if (s->err)
        return -1;
    int c = tlr_js_peek(s);
    if (c == 'n')
        return literal(s, "null");
    if (c != '-' && !(c >= '0' && c <= '9'))
        return tlr_js_fail(s, "expected an integer");
    const char *start = s->p;
    bool integral;
    if (scan_number(s, &integral) < 0)
        return -1;
    if (!integral) {
        s->p = start;
        return tlr_js_fail(s, "expected an integer");
    }
    /* The buffer is not NUL-terminated, so convert by hand within the scanned digits. */
    bool neg = *start == '-';
    unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    for (const char *d = start + neg; d < s->p; d++) {
        unsigned dv = (unsigned)(*d - '0');
        if (v > (lim - dv) / 10) {
            s->p = start;
            return tlr_js_fail(s, "integer out of range");
        }
        v = v * 10 + dv;
    }
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

int tlr_js_bool(struct tlr_js *s, bool *out)
{
    *out = false;
    if (s->err)
        return -1;
    int c = tlr_js_peek(s);
    if (c == 't') {
        *out = true;
        return literal(s, "true");
    }
    if (c == 'f')
        return literal(s, "false");
    if (c == 'n')
        return literal(s, "null");
    return tlr_js_fail(s, "expected true or false");
}

int tlr_js_finish(struct tlr_js *s)
{
    if (s->err)
        return -1;
    if (tlr_js_peek(s) != -1)
        return tlr_js_fail(s, "trailing data after the report");
    return 0;
}
