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
 */
#include "tl_supp.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_json.h"

#define LINE_MAX_BYTES 4095

enum pattern_type { P_LEAK = TL_SUPP_LEAK, P_BLOCK = TL_SUPP_BLOCK, P_THREAD };

struct pattern {
    enum pattern_type type; /* constant after load */
    char *text;             /* "leak:foo*" as shown in reports; constant */
    const char *glob;       /* points into text, after the ':'; constant */
    char *source;           /* "path:line" or "ignore"; constant */
    unsigned long matched;  /* atomic counter, bumped by tl_supp_match */
};

struct tl_supp {
    struct pattern *pats; /* in file order, then the ignore list */
    size_t n, cap;
};

static const struct {
    const char *name;
    enum pattern_type type;
} type_names[] = {{"leak", P_LEAK}, {"block", P_BLOCK}, {"thread", P_THREAD}};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int add_pattern(struct tl_supp *s, enum pattern_type type, const char *glob, size_t glen,
                       const char *source)
{
    const char *tname = type_names[type].name;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct pattern *p = realloc(s->pats, cap * sizeof *p);
        if (!p)
            return -1;
        s->pats = p;
        s->cap = cap;
    }
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

/* Parses one trimmed, non-comment line; 0, or -1 with err filled. */
static int parse_line(struct tl_supp *s, const char *path, unsigned lineno, char *line, char *err,
                      size_t errlen)
{
    char source[4200];
    char *colon = strchr(line, ':');
    if (!colon) {
        set_err(err, errlen,
                "suppressions file %s: line %u: '%.60s' has no type (want leak:, block: or "
                "thread: before the pattern)",
                path, lineno, line);
        return -1;
    }
    *colon = '\0';
    char *type = trim(line), *glob = trim(colon + 1);
    for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++) {
        if (strcmp(type, type_names[t].name) != 0)
            continue;
        if (!*glob) {
            set_err(err, errlen, "suppressions file %s: line %u: empty pattern after '%s:'", path,
                    lineno, type);
            return -1;
        }
        snprintf(source, sizeof source, "%s:%u", path, lineno);
        if (add_pattern(s, type_names[t].type, glob, strlen(glob), source) < 0) {
            set_err(err, errlen, "suppressions file %s: out of memory", path);
            return -1;
        }
        return 0;
    }
    set_err(err, errlen,
            "suppressions file %s: line %u: unknown type '%.40s' (want leak:, block: or thread:)",
            path, lineno, type);
    return -1;
}

static int load_file(struct tl_supp *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;
    if (!f) {
        set_err(err, errlen, "suppressions file %s: %s", path, strerror(errno));
        return -1;
    }
    for (ssize_t len; rc == 0 && (len = getline(&line, &cap, f)) >= 0;) {
        lineno++;
        if ((size_t)len > LINE_MAX_BYTES) {
            set_err(err, errlen, "suppressions file %s: line %u: longer than %d bytes", path,
                    lineno, LINE_MAX_BYTES);
            rc = -1;
        } else if (memchr(line, '\0', (size_t)len)) {
            set_err(err, errlen, "suppressions file %s: line %u: contains a NUL byte", path,
                    lineno);
            rc = -1;
        } else {
            char *t = trim(line);
            if (*t && *t != '#')
                rc = parse_line(s, path, lineno, t, err, errlen);
        }
    }
    if (rc == 0 && ferror(f)) {
        set_err(err, errlen, "suppressions file %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
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
        if (add_pattern(s, P_LEAK, p, len, "ignore") < 0) {
            set_err(err, errlen, "ignore list: out of memory");
            return -1;
        }
        p += len;
    }
    return 0;
}

struct tl_supp *tl_supp_load(const char *path, const char *ignore_list, char *err, size_t errlen)
{
    struct tl_supp *s = calloc(1, sizeof *s);
    if (!s) {
        set_err(err, errlen, "suppressions: out of memory");
        return NULL;
    }
    if ((path && *path && load_file(s, path, err, errlen) < 0) ||
        (ignore_list && load_ignore(s, ignore_list, err, errlen) < 0)) {
        tl_supp_free(s);
        return NULL;
    }
    return s;
}

static bool pattern_matches(const struct pattern *p, enum tl_supp_kind k,
                            const char *const *functions, size_t n, const char *thread_name)
{
    if (p->type == P_THREAD)
        return thread_name && fnmatch(p->glob, thread_name, 0) == 0;
    if ((int)p->type != (int)k)
        return false;
    for (size_t i = 0; i < n; i++)
        if (functions[i] && fnmatch(p->glob, functions[i], 0) == 0)
            return true;
    return false;
}

const char *tl_supp_match(struct tl_supp *s, enum tl_supp_kind k, const char *const *functions,
                          size_t nfunctions, const char *thread_name)
{
    for (size_t i = 0; s && i < s->n; i++) {
        struct pattern *p = &s->pats[i];
        if (pattern_matches(p, k, functions, nfunctions, thread_name)) {
            __atomic_add_fetch(&p->matched, 1, __ATOMIC_RELAXED);
            return p->text;
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

void tl_supp_json(const struct tl_supp *s, struct tl_json *j)
{
    for (size_t i = 0; s && i < s->n; i++) {
        tl_json_obj_begin(j, NULL);
        tl_json_str(j, "pattern", s->pats[i].text);
        tl_json_uint(j, "matched", tl_supp_matched(s, i));
        tl_json_str(j, "source", s->pats[i].source);
        tl_json_obj_end(j);
    }
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
