/* tl_supp: suppressions and the ignore= list.
 *
 * DESIGN. Suppressions are few (tens) and matched only when a unit is about to be reported, so a
 * flat array scanned in order with fnmatch(3) is the right structure: the first matching line
 * wins, which is also what users expect from reading the file top to bottom. The set is built once
 * at start-up and is immutable afterwards except for the per-pattern counters, bumped atomically,
 * so matching needs no lock and may run from the watchdog and the exit path at once.
 *
 * Every pattern remembers where it came from ("file:line" or "ignore") so that the report can list
 * each one with its match count: an unused suppression is visible, and stale ones get cleaned up.
 * Bad input is refused as a whole with one message naming file, line and problem; a half-applied
 * suppressions file would silently hide or show the wrong units.
 *
 * This module is also the report tool's parser and matcher (it links tl_supp.o), so it depends on
 * libc only: problems come back as a struct tl_supp_error that each tool words in its own style
 * (the detector's wording is format_error below), and the JSON writer is in tl_supp_json.c. Text
 * held in memory is read through fmemopen(3), so a file and a buffer take the same path.
 */
#include "tl_supp.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_input.h"
#include "tl_vec.h"

struct pattern {
    enum tl_supp_kind type; /* constant after load */
    char *text;             /* "leak:foo*" as shown in reports; constant */
    const char *glob;       /* points into text, after the ':'; constant */
    char *source;           /* "path:line" or "ignore"; constant */
    unsigned long matched;  /* atomic counter, bumped by tl_supp_hit */
};

struct tl_supp {
    struct pattern *pats; /* in file order, then the ignore list; written only while loading */
    size_t n, cap;
};

static const char *const type_names[] = {
    [TL_SUPP_LEAK] = "leak", [TL_SUPP_BLOCK] = "block", [TL_SUPP_THREAD] = "thread",
    [TL_SUPP_INVERSION] = "inversion"};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int fail(struct tl_supp_error *e, enum tl_supp_problem what, unsigned line)
{
    e->problem = what;
    e->line = line;
    return -1;
}

static int add_pattern(struct tl_supp *s, enum tl_supp_kind type, const char *glob, size_t glen,
                       const char *source)
{
    const char *tname = type_names[type];
    if (TL_VEC_PUSH_SLOT(s->pats, s->cap, s->n) != 0)
        return -1;
    struct pattern *p = &s->pats[s->n];
    size_t tlen = strlen(tname);
    p->text = malloc(tlen + 1 + glen + 1);
    p->source = strdup(source);
    if (!p->text || !p->source) {
        free(p->text);
        free(p->source);
        return -1;
    }
    memcpy(p->text, tname, tlen);
    p->text[tlen] = ':';
    memcpy(p->text + tlen + 1, glob, glen);
    p->text[tlen + 1 + glen] = '\0';
    p->glob = p->text + tlen + 1;
    p->type = type;
    p->matched = 0;
    s->n++;
    return 0;
}

/* Strips blanks (and a CR from CRLF files) at both ends, in place. */
static char *trim(char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\n' ||
                     line[n - 1] == '\r'))
        line[--n] = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    return line;
}

/* Parses one trimmed, non-comment line; 0, or -1 with *e filled. */
static int parse_line(struct tl_supp *s, const char *name, unsigned lineno, char *line,
                      struct tl_supp_error *e)
{
    char source[4200];
    snprintf(e->text, sizeof e->text, "%s", line);
    char *colon = strchr(line, ':');
    if (!colon)
        return fail(e, TL_SUPP_ERR_NO_TYPE, lineno);
    *colon = '\0';
    char *type = trim(line), *glob = trim(colon + 1);
    snprintf(e->type, sizeof e->type, "%s", type);
    for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++) {
        if (strcmp(type, type_names[t]) != 0)
            continue;
        if (!*glob)
            return fail(e, TL_SUPP_ERR_EMPTY, lineno);
        snprintf(source, sizeof source, "%s:%u", name, lineno);
        if (add_pattern(s, (enum tl_supp_kind)t, glob, strlen(glob), source) < 0)
            return fail(e, TL_SUPP_ERR_NOMEM, lineno);
        return 0;
    }
    return fail(e, TL_SUPP_ERR_BAD_TYPE, lineno);
}

/* Checks and parses one raw line as getline(3) returned it (len bytes). */
static int read_line(struct tl_supp *s, const char *name, unsigned lineno, char *line, size_t len,
                     struct tl_supp_error *e)
{
    if (len > TL_SUPP_LINE_MAX)
        return fail(e, TL_SUPP_ERR_LONG, lineno);
    if (memchr(line, '\0', len))
        return fail(e, TL_SUPP_ERR_NUL, lineno);
    char *t = trim(line);
    return *t && *t != '#' ? parse_line(s, name, lineno, t, e) : 0;
}

static int read_stream(struct tl_supp *s, const char *name, FILE *f, struct tl_supp_error *e)
{
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    errno = 0;
    for (ssize_t len; rc == 0 && (len = getline(&line, &cap, f)) >= 0;)
        rc = read_line(s, name, ++lineno, line, (size_t)len, e);
    if (rc == 0 && ferror(f)) {
        e->errnum = errno == ENOMEM ? 0 : errno;
        rc = fail(e, errno == ENOMEM ? TL_SUPP_ERR_NOMEM : TL_SUPP_ERR_READ, 0);
    }
    free(line);
    return rc;
}

int tl_supp_read_file(struct tl_supp *s, const char *path, struct tl_supp_error *e)
{
    struct tl_input_error ie;
    char *text;
    size_t len;
    memset(e, 0, sizeof *e);
    if (tl_input_read(path, TL_SUPP_FILE_MAX, &text, &len, &ie) < 0) {
        tl_input_describe(&ie, e->file, sizeof e->file);
        return fail(e, ie.problem == TL_INPUT_NOMEM ? TL_SUPP_ERR_NOMEM : TL_SUPP_ERR_FILE, 0);
    }
    int rc = tl_supp_read_text(s, path, text, len, e);
    free(text);
    return rc;
}

int tl_supp_read_text(struct tl_supp *s, const char *name, const char *text, size_t len,
                      struct tl_supp_error *e)
{
    memset(e, 0, sizeof *e);
    if (len == 0)
        return 0;
    FILE *f = fmemopen((void *)(uintptr_t)text, len, "r");
    if (!f)
        return fail(e, TL_SUPP_ERR_NOMEM, 0);
    int rc = read_stream(s, name, f, e);
    fclose(f);
    return rc;
}

/* The detector's one-line wording of e for the file at path. */
static void format_error(const struct tl_supp_error *e, const char *path, char *err, size_t errlen)
{
    static const char want[] = "want leak:, block:, thread: or inversion:";
    switch (e->problem) {
    case TL_SUPP_ERR_NOMEM:
        set_err(err, errlen, "suppressions file %s: out of memory", path);
        break;
    case TL_SUPP_ERR_OPEN:
    case TL_SUPP_ERR_READ:
        set_err(err, errlen, "suppressions file %s: %s", path, strerror(e->errnum));
        break;
    case TL_SUPP_ERR_LONG:
        set_err(err, errlen, "suppressions file %s: line %u: longer than %d bytes", path, e->line,
                TL_SUPP_LINE_MAX);
        break;
    case TL_SUPP_ERR_NUL:
        set_err(err, errlen, "suppressions file %s: line %u: contains a NUL byte", path, e->line);
        break;
    case TL_SUPP_ERR_NO_TYPE:
        set_err(err, errlen,
                "suppressions file %s: line %u: '%.60s' has no type (%s before the pattern)", path,
                e->line, e->text, want);
        break;
    case TL_SUPP_ERR_BAD_TYPE:
        set_err(err, errlen, "suppressions file %s: line %u: unknown type '%.40s' (%s)", path,
                e->line, e->type, want);
        break;
    case TL_SUPP_ERR_EMPTY:
        set_err(err, errlen, "suppressions file %s: line %u: empty pattern after '%s:'", path,
                e->line, e->type);
        break;
    case TL_SUPP_ERR_FILE:
        set_err(err, errlen, "suppressions file %s: %s", path, e->file);
        break;
    }
}

static int load_ignore(struct tl_supp *s, const char *list, char *err, size_t errlen)
{
    const char *p = list;
    while (*p) {
        size_t skip = strspn(p, ", \t\n");
        p += skip;
        size_t len = strcspn(p, ", \t\n");
        if (len == 0)
            continue;
        if (add_pattern(s, TL_SUPP_LEAK, p, len, "ignore") < 0) {
            set_err(err, errlen, "ignore list: out of memory");
            return -1;
        }
        p += len;
    }
    return 0;
}

struct tl_supp *tl_supp_new(void)
{
    return calloc(1, sizeof(struct tl_supp));
}

struct tl_supp *tl_supp_load(const char *path, const char *ignore_list, char *err, size_t errlen)
{
    struct tl_supp_error e;
    struct tl_supp *s = tl_supp_new();
    if (!s) {
        set_err(err, errlen, "suppressions: out of memory");
        return NULL;
    }
    if (path && *path && tl_supp_read_file(s, path, &e) < 0) {
        format_error(&e, path, err, errlen);
        tl_supp_free(s);
        return NULL;
    }
    if (ignore_list && load_ignore(s, ignore_list, err, errlen) < 0) {
        tl_supp_free(s);
        return NULL;
    }
    return s;
}

bool tl_supp_pattern_matches(const struct tl_supp *s, size_t i, enum tl_supp_kind k,
                             const char *const *functions, size_t nfunctions,
                             const char *thread_name)
{
    const struct pattern *p = &s->pats[i];
    if (p->type == TL_SUPP_THREAD)
        return thread_name && fnmatch(p->glob, thread_name, 0) == 0;
    if (p->type != k)
        return false;
    for (size_t f = 0; f < nfunctions; f++)
        if (functions[f] && fnmatch(p->glob, functions[f], 0) == 0)
            return true;
    return false;
}

void tl_supp_hit(struct tl_supp *s, size_t i)
{
    __atomic_add_fetch(&s->pats[i].matched, 1, __ATOMIC_RELAXED);
}

const char *tl_supp_match(struct tl_supp *s, enum tl_supp_kind k, const char *const *functions,
                          size_t nfunctions, const char *thread_name)
{
    for (size_t i = 0; s && i < s->n; i++) {
        if (tl_supp_pattern_matches(s, i, k, functions, nfunctions, thread_name)) {
            tl_supp_hit(s, i);
            return s->pats[i].text;
        }
    }
    return NULL;
}

size_t tl_supp_count(const struct tl_supp *s)
{
    return s ? s->n : 0;
}

const char *tl_supp_pattern(const struct tl_supp *s, size_t i)
{
    return s && i < s->n ? s->pats[i].text : NULL;
}

unsigned long tl_supp_matched(const struct tl_supp *s, size_t i)
{
    return s && i < s->n ? __atomic_load_n(&s->pats[i].matched, __ATOMIC_RELAXED) : 0;
}

enum tl_supp_kind tl_supp_type(const struct tl_supp *s, size_t i)
{
    return s->pats[i].type;
}

const char *tl_supp_glob(const struct tl_supp *s, size_t i)
{
    return s->pats[i].glob;
}

const char *tl_supp_source(const struct tl_supp *s, size_t i)
{
    return s && i < s->n ? s->pats[i].source : NULL;
}

void tl_supp_free(struct tl_supp *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->pats[i].text);
        free(s->pats[i].source);
    }
    free(s->pats);
    free(s);
}
