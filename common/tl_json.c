/* tl_json: a small streaming JSON writer.
 *
 * DESIGN. Reports are produced once, at report time, by one thread, so the writer is a plain
 * growing buffer: every call appends the separator the previous state asks for (a comma unless
 * this is the first member of its container), a newline and indentation, the key, then the value.
 * first[] remembers per nesting level whether a member was written yet, which is all the state
 * a streaming writer needs. Failure is sticky (oom), so a caller can write a whole report and
 * check once at the end instead of after every member.
 *
 * Strings are the only place where invalid output could come from (thread names and paths are the
 * host's bytes), so the escaper validates UTF-8 itself and replaces every byte of a bad sequence
 * with U+FFFD: the output is always valid JSON that strict parsers (jansson) accept.
 */
#include "tl_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_vec.h"

#define MAX_DEPTH ((int)sizeof(((struct tl_json *)0)->first) - 1)

void tl_json_init(struct tl_json *j)
{
    memset(j, 0, sizeof *j);
    j->first[0] = 1;
}

void tl_json_free(struct tl_json *j)
{
    free(j->buf);
    tl_json_init(j);
}

static int grow(struct tl_json *j, size_t need)
{
    if (TL_VEC_RESERVE(j->buf, j->cap, j->len + need + 1) != 0) {
        j->oom = true;
        return -1;
    }
    return 0;
}

static void put(struct tl_json *j, const char *s, size_t n)
{
    if (j->oom || grow(j, n) < 0)
        return;
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void puts_(struct tl_json *j, const char *s)
{
    put(j, s, strlen(s));
}

static void newline_indent(struct tl_json *j)
{
    static const char spaces[] = "                                ";
    put(j, "\n", 1);
    for (int left = 2 * j->depth; left > 0; left -= 32)
        put(j, spaces, left < 32 ? (size_t)left : 32);
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when the bytes there are not one. */
static int utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    int n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (c < 0xc2 || c > 0xf4)
        return 0; /* continuation byte, overlong 2-byte lead, or beyond U+10FFFF */
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (c == 0xe0 && s[1] < 0xa0)
        return 0; /* overlong 3-byte */
    if (c == 0xed && s[1] >= 0xa0)
        return 0; /* UTF-16 surrogates */
    if (c == 0xf0 && s[1] < 0x90)
        return 0; /* overlong 4-byte */
    if (c == 0xf4 && s[1] >= 0x90)
        return 0; /* beyond U+10FFFF */
    return n;
}

static void put_escaped_char(struct tl_json *j, unsigned char c)
{
    char esc[8];
    const char *named = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\n' ? "\\n"
                        : c == '\t' ? "\\t"
                        : c == '\r' ? "\\r"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                                    : NULL;
    if (!named) {
        snprintf(esc, sizeof esc, "\\u%04x", c);
        named = esc;
    }
    puts_(j, named);
}

static void put_string(struct tl_json *j, const char *v)
{
    const unsigned char *s = (const unsigned char *)v;
    put(j, "\"", 1);
    while (*s) {
        size_t plain = 0; /* run of bytes that need no escaping */
        while (s[plain] >= 0x20 && s[plain] < 0x80 && s[plain] != '"' && s[plain] != '\\')
            plain++;
        put(j, (const char *)s, plain);
        s += plain;
        if (!*s)
            break;
        if (*s < 0x80) {
            put_escaped_char(j, *s++);
        } else {
            int n = utf8_len(s);
            put(j, n ? (const char *)s : "\xef\xbf\xbd", n ? (size_t)n : 3);
            s += n ? n : 1;
        }
    }
    put(j, "\"", 1);
}

/* Separator, newline, indentation and "key": before a value. */
static void member(struct tl_json *j, const char *key)
{
    if (!j->first[j->depth])
        put(j, ",", 1);
    if (j->depth > 0 || !j->first[0])
        newline_indent(j);
    j->first[j->depth] = 0;
    if (key) {
        put_string(j, key);
        put(j, ": ", 2);
    }
}

static void open_(struct tl_json *j, const char *key, const char *bracket)
{
    member(j, key);
    if (j->depth >= MAX_DEPTH) {
        j->oom = true;
        return;
    }
    puts_(j, bracket);
    j->first[++j->depth] = 1;
}

static void close_(struct tl_json *j, const char *bracket)
{
    if (j->depth <= 0) {
        j->oom = true; /* unbalanced: refuse to produce broken JSON */
        return;
    }
    int empty = j->first[j->depth];
    j->depth--;
    if (!empty)
        newline_indent(j);
    puts_(j, bracket);
}

void tl_json_obj_begin(struct tl_json *j, const char *key)
{
    open_(j, key, "{");
}
void tl_json_obj_end(struct tl_json *j)
{
    close_(j, "}");
}
void tl_json_arr_begin(struct tl_json *j, const char *key)
{
    open_(j, key, "[");
}
void tl_json_arr_end(struct tl_json *j)
{
    close_(j, "]");
}

void tl_json_str(struct tl_json *j, const char *key, const char *v)
{
    member(j, key);
    if (v)
        put_string(j, v);
    else
        puts_(j, "null");
}

void tl_json_int(struct tl_json *j, const char *key, int64_t v)
{
    char num[24];
    member(j, key);
    snprintf(num, sizeof num, "%" PRId64, v);
    puts_(j, num);
}

void tl_json_uint(struct tl_json *j, const char *key, uint64_t v)
{
    char num[24];
    member(j, key);
    snprintf(num, sizeof num, "%" PRIu64, v);
    puts_(j, num);
}

void tl_json_bool(struct tl_json *j, const char *key, bool v)
{
    member(j, key);
    puts_(j, v ? "true" : "false");
}

void tl_json_null(struct tl_json *j, const char *key)
{
    member(j, key);
    puts_(j, "null");
}

void tl_json_hex(struct tl_json *j, const char *key, uint64_t v)
{
    char num[24];
    member(j, key);
    snprintf(num, sizeof num, "\"0x%" PRIx64 "\"", v);
    puts_(j, num);
}

char *tl_json_finish(struct tl_json *j, size_t *len)
{
    char *out = NULL;
    put(j, "\n", 1);
    if (!j->oom && j->depth == 0 && j->buf) {
        out = j->buf;
        if (len)
            *len = j->len;
        j->buf = NULL;
    }
    tl_json_free(j);
    return out;
}

void tl_json_double(struct tl_json *j, const char *key, double v)
{
    char num[40];
    member(j, key);
    if (v != v || v > 1e300 || v < -1e300) /* NaN and infinities are not JSON */
        v = 0;
    snprintf(num, sizeof num, "%.3f", v);
    puts_(j, num);
}

const char *tl_json_pending(const struct tl_json *j, size_t *len)
{
    bool some = !j->oom && j->buf != NULL;
    *len = some ? j->len : 0;
    return some ? j->buf : NULL;
}

void tl_json_drop(struct tl_json *j)
{
    j->len = 0;
    if (j->buf != NULL)
        j->buf[0] = '\0';
}
