/* tl_options: TASKLEAK_OPTIONS, driven by the X-macro table in tl_options.inc.
 *
 * DESIGN. The table becomes an array of descriptors (key, kind, field offset, default text,
 * bounds, help). Everything else is generic over kinds: one tokenizer, one value parser per kind,
 * one formatter per kind (for help, messages, the JSON echo and the generated documentation).
 * Defaults are text in the user's syntax, applied by the same parser, so documentation and
 * behaviour cannot drift apart.
 *
 * Parsing runs in the constructor of a library loaded into an arbitrary program, so it never
 * mallocs (values are parsed in place, strings copied into the struct's fixed buffers), never
 * modifies a field unless the whole value is good, and reports each problem as one line that
 * names the key, the offending value (control characters masked, long values cut) and the value
 * kept. The error classes per kind are: syntax, out of range, too long.
 */
#include "tl_options.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tl_input.h"
#include "tl_log.h"
#include "tl_options_int.h"

enum verdict { V_OK, V_SYNTAX, V_RANGE, V_LONG };

const struct tl_opt_desc tl_opt_table[] = {
#define TL_OPT(kind, key_, field_, def_, min_, max_, help_)                                        \
    {#key_, #field_, TL_K_##kind, offsetof(struct tl_options, field_), def_, min_, max_, help_},
#include "tl_options.inc"
#undef TL_OPT
};
const size_t tl_opt_count = sizeof tl_opt_table / sizeof tl_opt_table[0];

/* ---- small helpers -------------------------------------------------------------------------- */

static bool span_eq(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && memcmp(s, word, n) == 0;
}

static bool span_ieq(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static const struct tl_opt_desc *find_opt(const char *key, size_t n)
{
    for (size_t i = 0; i < tl_opt_count; i++)
        if (span_eq(key, n, tl_opt_table[i].key))
            return &tl_opt_table[i];
    return NULL;
}

static void *field_ptr(struct tl_options *o, const struct tl_opt_desc *d)
{
    return (char *)o + d->offset;
}

const void *tl_opt_field(const struct tl_options *o, const struct tl_opt_desc *d)
{
    return (const char *)o + d->offset;
}

/* Unsigned decimal of exactly n bytes (n > 0) into *out, refusing overflow past 2^62. */
static enum verdict parse_digits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    if (n == 0)
        return V_SYNTAX;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return V_SYNTAX;
        if (v > ((int64_t)1 << 62) / 10)
            return V_RANGE;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return V_OK;
}

/* ---- kind parsers: each returns V_OK and stores, or a verdict and leaves *field alone ---------
 */

static enum verdict parse_duration(const struct tl_opt_desc *d, const char *s, size_t n, int64_t *f)
{
    static const struct {
        const char *suffix;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"", 1}};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t sl = strlen(units[u].suffix);
        if (n <= sl || memcmp(s + n - sl, units[u].suffix, sl) != 0)
            continue;
        int64_t v;
        enum verdict r = parse_digits(s, n - sl, &v);
        if (r == V_SYNTAX && sl > 0)
            continue; /* "5ms" must not be read as "5m" + "s" */
        if (r != V_OK)
            return r;
        if (v > d->max / units[u].ms || v * units[u].ms < d->min)
            return V_RANGE;
        *f = v * units[u].ms;
        return V_OK;
    }
    return V_SYNTAX;
}

static enum verdict parse_bool(const char *s, size_t n, bool *f)
{
    if (span_eq(s, n, "1") || span_ieq(s, n, "true") || span_ieq(s, n, "yes"))
        *f = true;
    else if (span_eq(s, n, "0") || span_ieq(s, n, "false") || span_ieq(s, n, "no"))
        *f = false;
    else
        return V_SYNTAX;
    return V_OK;
}

static enum verdict parse_int(const struct tl_opt_desc *d, const char *s, size_t n, int *f)
{
    bool neg = n > 0 && s[0] == '-';
    int64_t v;
    enum verdict r = parse_digits(s + neg, n - neg, &v);
    if (r != V_OK)
        return r;
    v = neg ? -v : v;
    if (v < d->min || v > d->max)
        return V_RANGE;
    *f = (int)v;
    return V_OK;
}

/* A '%' must be followed by 'p' or '%' (hostile case 45, docs/hostile-hosts.md: no "%n", no "%s"
 * surprises later). */
static bool pattern_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%')
            continue;
        if (i + 1 >= n || (s[i + 1] != 'p' && s[i + 1] != '%'))
            return false;
        i++;
    }
    return true;
}

static enum verdict parse_path(const char *s, size_t n, char *f)
{
    if (n >= TL_OPT_PATH_MAX)
        return V_LONG;
    if (memchr(s, '\0', n) || !pattern_ok(s, n))
        return V_SYNTAX;
    memcpy(f, s, n);
    f[n] = '\0';
    return V_OK;
}

/* Appends one glob to a comma list (append) or replaces the list (!append). */
static enum verdict parse_globs(const char *s, size_t n, char *f, bool append)
{
    size_t have = append ? strlen(f) : 0;
    size_t sep = have > 0 && n > 0;
    if (have + sep + n >= TL_OPT_PATH_MAX)
        return V_LONG;
    if (sep)
        f[have++] = ',';
    memcpy(f + have, s, n);
    f[have + n] = '\0';
    return V_OK;
}

static const char *const signal_names[] = {
    [SIGHUP] = "SIGHUP",       [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",
    [SIGILL] = "SIGILL",       [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
    [SIGBUS] = "SIGBUS",       [SIGFPE] = "SIGFPE",   [SIGKILL] = "SIGKILL",
    [SIGUSR1] = "SIGUSR1",     [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE",     [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
    [SIGCHLD] = "SIGCHLD",     [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
    [SIGTSTP] = "SIGTSTP",     [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
    [SIGURG] = "SIGURG",       [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ",
    [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
    [SIGIO] = "SIGIO",         [SIGPWR] = "SIGPWR",   [SIGSYS] = "SIGSYS",
};
#define SIGNAL_NAMES (int)(sizeof signal_names / sizeof signal_names[0])

const char *tl_signal_name(int sig)
{
    if (sig == 0)
        return "0";
    return sig > 0 && sig < SIGNAL_NAMES ? signal_names[sig] : NULL;
}

/* Usable as a dump signal: catchable, and either a named signal or a real-time one that glibc
 * does not keep for itself (it reserves the two below SIGRTMIN). */
static bool signal_usable(int sig)
{
    if (sig == SIGKILL || sig == SIGSTOP)
        return false;
    return (sig > 0 && sig < SIGNAL_NAMES && signal_names[sig]) ||
           (sig >= SIGRTMIN && sig <= SIGRTMAX);
}

static enum verdict parse_signal(const char *s, size_t n, int *f)
{
    int64_t v = -1;
    if (parse_digits(s, n, &v) != V_OK) {
        if (n > 3 && strncasecmp(s, "SIG", 3) == 0) {
            s += 3;
            n -= 3;
        }
        for (int i = 1; i < SIGNAL_NAMES; i++)
            if (signal_names[i] && span_ieq(s, n, signal_names[i] + 3))
                v = i;
        if (v < 0)
            return V_SYNTAX;
    }
    if (v != 0 && (v > SIGRTMAX || !signal_usable((int)v)))
        return V_RANGE;
    *f = (int)v;
    return V_OK;
}

static const char *const verdict_names[] = {"leaked", "deadlocked", "blocked", "unjoined",
                                            "inversion", "growing"};
#define NVERDICTS (sizeof verdict_names / sizeof verdict_names[0]) /* bit i = verdict_names[i] */

const char *tl_verdict_name(unsigned bit)
{
    for (unsigned i = 0; i < NVERDICTS; i++)
        if (bit == 1u << i)
            return verdict_names[i];
    return NULL;
}

/* One verdict name per token; a full value "leaked,blocked" is split by the tokenizer and arrives
 * here as one replacing call followed by appending calls. A default from the table arrives whole,
 * so a span may hold a comma list too. */
static enum verdict parse_verdicts(const char *s, size_t n, unsigned *f, bool append)
{
    unsigned bits = 0;
    for (size_t at = 0; at < n || (n == 0 && at == 0);) {
        const char *comma = memchr(s + at, ',', n - at);
        size_t len = comma ? (size_t)(comma - (s + at)) : n - at, bit = 0;
        for (unsigned i = 0; i < NVERDICTS; i++)
            if (span_eq(s + at, len, verdict_names[i]))
                bit = 1u << i;
        if (!bit && n > 0)
            return V_SYNTAX;
        bits |= (unsigned)bit;
        at += len + 1;
    }
    *f = append ? *f | bits : bits;
    return V_OK;
}

const char *const tl_action_names[3] = {"all", "any", "report"};

static enum verdict parse_action(const char *s, size_t n, int *f)
{
    for (int i = 0; i < 3; i++)
        if (span_eq(s, n, tl_action_names[i])) {
            *f = i;
            return V_OK;
        }
    return V_SYNTAX;
}

static enum verdict apply(struct tl_options *o, const struct tl_opt_desc *d, const char *s,
                          size_t n, bool append)
{
    void *f = field_ptr(o, d);
    switch (d->kind) {
    case TL_K_DURATION:
        return parse_duration(d, s, n, f);
    case TL_K_BOOL:
        return parse_bool(s, n, f);
    case TL_K_INT:
        return parse_int(d, s, n, f);
    case TL_K_PATH:
        return parse_path(s, n, f);
    case TL_K_GLOBS:
        return parse_globs(s, n, f, append);
    case TL_K_SIGNAL:
        return parse_signal(s, n, f);
    case TL_K_VERDICTS:
        return parse_verdicts(s, n, f, append);
    case TL_K_ACTION:
        return parse_action(s, n, f);
    }
    return V_SYNTAX;
}

static bool is_list(const struct tl_opt_desc *d)
{
    return d->kind == TL_K_GLOBS || d->kind == TL_K_VERDICTS;
}

/* ---- formatting values back into the user's syntax --------------------------------------------
 */

static void format_duration(int64_t ms, char *out, size_t n)
{
    if (ms != 0 && ms % 60000 == 0)
        snprintf(out, n, "%lldm", (long long)(ms / 60000));
    else if (ms != 0 && ms % 1000 == 0)
        snprintf(out, n, "%llds", (long long)(ms / 1000));
    else
        snprintf(out, n, "%lldms", (long long)ms);
}

static void format_verdicts(unsigned v, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < NVERDICTS; i++)
        if (v & (1u << i))
            len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len ? "," : "",
                                    verdict_names[i]);
}

void tl_opt_format_value(const struct tl_options *o, const struct tl_opt_desc *d, char *out,
                         size_t n)
{
    const void *f = tl_opt_field(o, d);
    const char *name;
    switch (d->kind) {
    case TL_K_DURATION:
        format_duration(*(const int64_t *)f, out, n);
        break;
    case TL_K_BOOL:
        snprintf(out, n, "%d", *(const bool *)f);
        break;
    case TL_K_INT:
        snprintf(out, n, "%d", *(const int *)f);
        break;
    case TL_K_PATH:
    case TL_K_GLOBS:
        snprintf(out, n, "%s", (const char *)f);
        break;
    case TL_K_SIGNAL:
        name = tl_signal_name(*(const int *)f);
        if (name)
            snprintf(out, n, "%s", name);
        else
            snprintf(out, n, "%d", *(const int *)f);
        break;
    case TL_K_VERDICTS:
        format_verdicts(*(const unsigned *)f, out, n);
        break;
    case TL_K_ACTION:
        snprintf(out, n, "%s", tl_action_names[*(const int *)f]);
        break;
    }
}

int tl_options_format(const struct tl_options *o, const char *key, char *out, size_t n)
{
    const struct tl_opt_desc *d = find_opt(key, strlen(key));
    if (!d || n == 0)
        return -1;
    tl_opt_format_value(o, d, out, n);
    return 0;
}

/* ---- messages ------------------------------------------------------------------------------- */

/* Copies at most 60 bytes of s for echoing, escaping control bytes (tl_input_escape) so a
 * hostile option string cannot forge extra log lines. */
static void echo_value(const char *s, size_t n, char *out, size_t cap)
{
    char cut[64];
    size_t lim = n > 60 ? 60 : n;
    memcpy(cut, s, lim);
    cut[lim] = '\0';
    tl_input_escape(cut, out, cap > 4 ? cap - 3 : cap);
    if (n > lim && cap > 4)
        strcat(out, "...");
}

static const char *want_text(const struct tl_opt_desc *d, enum verdict v, char *buf, size_t n)
{
    char lo[24], hi[24];
    switch (d->kind) {
    case TL_K_DURATION:
        if (v != V_RANGE)
            return "a duration such as 10s, 500ms or 2m";
        format_duration(d->min, lo, sizeof lo);
        format_duration(d->max, hi, sizeof hi);
        snprintf(buf, n, "a duration from %s to %s", lo, hi);
        return buf;
    case TL_K_BOOL:
        return "0 or 1";
    case TL_K_INT:
        snprintf(buf, n, "an integer from %lld to %lld", (long long)d->min, (long long)d->max);
        return buf;
    case TL_K_PATH:
        return v == V_LONG ? "a path shorter than 4096 bytes"
                           : "a path in which '%' is followed only by 'p' (pid) or '%'";
    case TL_K_GLOBS:
        return "a list of function globs shorter than 4096 bytes";
    case TL_K_SIGNAL:
        return v == V_RANGE ? "a signal that can be caught, such as SIGUSR2, or 0 for none"
                            : "a signal name such as SIGUSR2 or USR2, a number, or 0 for none";
    case TL_K_VERDICTS:
        return "a comma list of leaked, deadlocked, unjoined, blocked, inversion, growing";
    case TL_K_ACTION:
        return "all, any or report";
    }
    return "?";
}

static void report_bad(const struct tl_options *o, const struct tl_opt_desc *d, const char *s,
                       size_t n, enum verdict v)
{
    char shown[256], want[96], kept[TL_OPT_PATH_MAX];
    echo_value(s, n, shown, sizeof shown);
    tl_opt_format_value(o, d, kept, sizeof kept);
    tl_logf("TASKLEAK_OPTIONS: bad value '%s' for %s (want %s; using %.200s)", shown, d->key,
            want_text(d, v, want, sizeof want), kept[0] ? kept : "none");
}

/* ---- the tokenizer -------------------------------------------------------------------------- */

struct token {
    const char *key, *val;
    size_t klen, vlen;
    bool has_eq;    /* key=value rather than a bare word */
    bool malformed; /* unterminated quote, or text glued after a closing quote */
};

static bool is_sep(char c)
{
    return c == ':' || c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *scan_value(const char *p, struct token *t)
{
    if (*p == '"' || *p == '\'') {
        char q = *p++;
        t->val = p;
        while (*p && *p != q)
            p++;
        t->vlen = (size_t)(p - t->val);
        if (!*p) {
            t->malformed = true;
            return p;
        }
        p++;
        if (*p && !is_sep(*p)) {
            t->malformed = true;
            while (*p && !is_sep(*p))
                p++;
            t->vlen = (size_t)(p - t->val);
        }
        return p;
    }
    t->val = p;
    while (*p && !is_sep(*p))
        p++;
    t->vlen = (size_t)(p - t->val);
    return p;
}

/* Reads the next token at p; returns the position after it, or NULL at the end. */
static const char *next_token(const char *p, struct token *t)
{
    while (*p && is_sep(*p))
        p++;
    if (!*p)
        return NULL;
    memset(t, 0, sizeof *t);
    t->key = p;
    while (*p && *p != '=' && !is_sep(*p))
        p++;
    t->klen = (size_t)(p - t->key);
    t->has_eq = *p == '=';
    if (t->has_eq)
        p = scan_value(p + 1, t);
    return p;
}

/* ---- the parser ----------------------------------------------------------------------------- */

static int handle_help(struct tl_options *o, const struct token *t)
{
    char shown[256];
    bool on;
    if (t->malformed || parse_bool(t->val, t->vlen, &on) != V_OK) {
        echo_value(t->val, t->vlen, shown, sizeof shown);
        tl_logf("TASKLEAK_OPTIONS: bad value '%s' for help (want 0 or 1; using 0)", shown);
        return 1;
    }
    o->help = on;
    if (on)
        tl_options_help(tl_log_fd());
    return 0;
}

static int handle_bare_word(struct tl_options *o, const struct tl_opt_desc *list,
                            const struct token *t)
{
    char shown[256];
    if (list) {
        enum verdict v = apply(o, list, t->key, t->klen, true);
        if (v == V_OK)
            return 0;
        report_bad(o, list, t->key, t->klen, v);
        return 1;
    }
    if (span_eq(t->key, t->klen, "help")) {
        struct token on = {.val = "1", .vlen = 1};
        return handle_help(o, &on);
    }
    echo_value(t->key, t->klen, shown, sizeof shown);
    if (find_opt(t->key, t->klen))
        tl_logf("TASKLEAK_OPTIONS: missing value for %s (want %s=value; ignored)", shown, shown);
    else
        tl_logf("TASKLEAK_OPTIONS: unknown key '%s' (ignored)", shown);
    return 1;
}

/* Applies one key=value token; sets *list to the option a following bare word continues. */
static int handle_pair(struct tl_options *o, const struct token *t, const struct tl_opt_desc **list)
{
    char shown[256];
    const struct tl_opt_desc *d = find_opt(t->key, t->klen);
    *list = NULL;
    if (!d) {
        if (span_eq(t->key, t->klen, "help"))
            return handle_help(o, t);
        echo_value(t->key, t->klen, shown, sizeof shown);
        tl_logf("TASKLEAK_OPTIONS: unknown key '%s' (ignored)", shown);
        return 1;
    }
    enum verdict v = t->malformed ? V_SYNTAX : apply(o, d, t->val, t->vlen, false);
    if (v != V_OK) {
        report_bad(o, d, t->val, t->vlen, v);
        return 1;
    }
    *list = is_list(d) ? d : NULL;
    return 0;
}

int tl_options_parse(struct tl_options *o, const char *s)
{
    const struct tl_opt_desc *list = NULL; /* list option that bare words continue */
    struct token t;
    int problems = 0;
    int saved = errno;
    while (s && (s = next_token(s, &t)) != NULL) {
        if (t.has_eq)
            problems += handle_pair(o, &t, &list);
        else
            problems += handle_bare_word(o, list, &t);
    }
    errno = saved;
    return problems;
}

void tl_options_defaults(struct tl_options *o)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < tl_opt_count; i++) {
        const struct tl_opt_desc *d = &tl_opt_table[i];
        enum verdict v = apply(o, d, d->def, strlen(d->def), false);
        tl_assert(v == V_OK); /* a default that does not parse is a bug in tl_options.inc */
    }
}
