/* tl_options_path: the path values of TASKLEAK_OPTIONS (see tl_options.h): "%p" expansion, and
 * relative report= and log= made absolute against the directory the program started in.
 *
 * DESIGN. Both run where a library constructor or a signal-time dump may call them, so neither
 * mallocs nor uses stdio: they write into caller buffers or the options' own fixed buffers and
 * fail with a length error rather than truncate. A start directory's '%' is doubled when it is
 * spliced into a pattern, so it stays literal at expansion.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "tl_options.h"

/* cwd + "/" + path into path, with cwd's '%' doubled; false when it does not fit. */
static bool make_absolute(char *path, const char *cwd)
{
    char out[TL_OPT_PATH_MAX];
    size_t len = 0;
    for (const char *c = cwd; *c; c++) {
        if (len + 2 >= sizeof out)
            return false;
        if (*c == '%')
            out[len++] = '%';
        out[len++] = *c;
    }
    size_t rest = strlen(path);
    if (len + 1 + rest >= sizeof out)
        return false;
    out[len++] = '/';
    memcpy(out + len, path, rest + 1);
    memcpy(path, out, len + rest + 1);
    return true;
}

int tl_options_resolve_paths(struct tl_options *o, const char *cwd)
{
    char *paths[] = {o->report, o->log, o->metrics};
    int changed = 0;
    if (cwd == NULL || cwd[0] != '/')
        return 0;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *p = paths[i];
        if (p[0] == '\0' || p[0] == '/' || (p == o->log && strcmp(p, "stderr") == 0))
            continue;
        changed += make_absolute(p, strcmp(cwd, "/") == 0 ? "" : cwd);
    }
    return changed;
}

static int append_decimal(char *out, size_t n, size_t *len, unsigned long v)
{
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (*len + (size_t)k >= n)
        return -1;
    while (k > 0)
        out[(*len)++] = digits[--k];
    return 0;
}

int tl_options_expand_path(const char *pattern, char *out, size_t n)
{
    size_t len = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p == '%' && p[1] != 'p' && p[1] != '%') {
            errno = EINVAL;
            return -1;
        }
        if (*p == '%' && p[1] == 'p') {
            if (append_decimal(out, n, &len, (unsigned long)getpid()) < 0)
                goto too_long;
        } else {
            if (len + 1 >= n)
                goto too_long;
            out[len++] = *p;
        }
        p += *p == '%';
    }
    if (n == 0)
        goto too_long;
    out[len] = '\0';
    return (int)len;
too_long:
    errno = ENAMETOOLONG;
    return -1;
}
