/* tl_input: opening and reading input files, and quoting input in messages (see tl_input.h).
 *
 * DESIGN. The order of checks is what keeps a hostile path harmless:
 *   1. open with O_NONBLOCK: a FIFO without a writer opens at once (a blocking open would wait
 *      for ever), a device opens without waiting for carrier or data;
 *   2. fstat the descriptor, not the path, so what is checked is what was opened (no race with
 *      a rename between a stat and the open);
 *   3. refuse anything but a regular file before the first read: /dev/zero never ends and a FIFO
 *      or socket can block or never end, so no read ever happens on them;
 *   4. read at most max + 1 bytes: a regular file can still be endless in practice (a /proc
 *      file, one another process keeps appending to), and one byte more than the cap is how
 *      "larger than the cap" is told from "exactly the cap" without trusting st_size.
 * A path open(2) refuses because of what it is (a socket: ENXIO) is looked at with stat(2) so
 * the message says what it is rather than "No such device or address".
 *
 * The escaper is the single rule for quoting input in a message: a newline in a file name or a
 * field must not start a new line of a CI log (where a forged "SUMMARY:" line could appear), and
 * invalid UTF-8 must not reach a terminal. It allocates nothing, so the detector's log path and
 * the report tool's messages can both use it.
 */
#include "tl_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a file of this mode is, in words ("a FIFO", "a character device", "a directory", ...);
 * NULL for a regular file. */
static const char *tl_input_kind(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return NULL;
    case S_IFDIR:
        return "a directory";
    case S_IFIFO:
        return "a FIFO";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFSOCK:
        return "a socket";
    case S_IFLNK:
        return "a symbolic link";
    default:
        return "not a regular file";
    }
}

static int fail(struct tl_input_error *e, enum tl_input_problem p, int errnum)
{
    e->problem = p;
    e->errnum = errnum;
    errno = errnum ? errnum : EINVAL;
    return -1;
}

/* open(2) failed with errnum: say what the path is when that is the reason. */
static int open_failed(const char *path, int extra_flags, int errnum, struct tl_input_error *e)
{
    struct stat st;
    int rc = extra_flags & O_NOFOLLOW ? lstat(path, &st) : stat(path, &st);
    if (errnum != ENOENT && errnum != EACCES && rc == 0 && !S_ISREG(st.st_mode) &&
        !S_ISDIR(st.st_mode)) {
        e->kind = tl_input_kind(st.st_mode);
        return fail(e, TL_INPUT_NOT_FILE, EINVAL);
    }
    return fail(e, TL_INPUT_OPEN, errnum);
}

int tl_input_open(const char *path, int extra_flags, struct stat *st, struct tl_input_error *e)
{
    struct stat local = {0}; /* initialised: cppcheck reads taking its address as a use */
    st = st ? st : &local;
    memset(e, 0, sizeof *e);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | extra_flags);
    if (fd < 0)
        return open_failed(path, extra_flags, errno, e);
    if (fstat(fd, st) < 0) {
        int saved = errno;
        close(fd);
        return fail(e, TL_INPUT_OPEN, saved);
    }
    bool want_dir = extra_flags & O_DIRECTORY;
    if (want_dir ? S_ISDIR(st->st_mode) : S_ISREG(st->st_mode))
        return fd;
    close(fd);
    e->kind = tl_input_kind(st->st_mode);
    return fail(e, TL_INPUT_NOT_FILE, EINVAL);
}

/* Reads from fd into *buf (capacity *cap, grown as needed) until end of file or until more than
 * max bytes arrived. 0, or -1 with *e filled. The buffer grows here rather than through tl_vec:
 * its growth stops at max + 1 bytes (enough to tell a file over the limit) with one spare byte
 * for the terminating NUL, where tl_vec's doubling would overshoot the limit. */
static int read_all(int fd, size_t max, char **buf, size_t *cap, size_t *len,
                    struct tl_input_error *e)
{
    for (;;) {
        if (*len == *cap) {
            if (*cap > max) {
                e->max = max;
                return fail(e, TL_INPUT_TOO_BIG, EFBIG);
            }
            size_t nc = *cap < max / 2 ? *cap * 2 : max + 1;
            char *nb = realloc(*buf, nc + 1);
            if (!nb)
                return fail(e, TL_INPUT_NOMEM, ENOMEM);
            *buf = nb;
            *cap = nc;
        }
        ssize_t n = read(fd, *buf + *len, *cap - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(e, TL_INPUT_READ, errno);
        if (n == 0)
            return 0;
        *len += (size_t)n;
    }
}

int tl_input_read(const char *path, size_t max, char **buf, size_t *len, struct tl_input_error *e)
{
    struct stat st;
    *buf = NULL;
    *len = 0;
    int fd = tl_input_open(path, 0, &st, e);
    if (fd < 0)
        return -1;
    int rc = 0;
    size_t size = st.st_size > 0 ? (size_t)st.st_size : 0, cap = 4096;
    if (size > max) {
        e->max = max;
        rc = fail(e, TL_INPUT_TOO_BIG, EFBIG);
    } else {
        cap = size >= cap ? size + 1 : cap; /* +1: end of file is seen without a realloc */
        cap = cap > max ? max + 1 : cap;
        *buf = malloc(cap + 1);
        rc = *buf ? read_all(fd, max, buf, &cap, len, e) : fail(e, TL_INPUT_NOMEM, ENOMEM);
    }
    int saved = errno;
    close(fd);
    if (rc < 0) {
        free(*buf);
        *buf = NULL;
        *len = 0;
        errno = saved;
        return -1;
    }
    (*buf)[*len] = '\0';
    return 0;
}

char *tl_input_describe(const struct tl_input_error *e, char *out, size_t n)
{
    switch (e->problem) {
    case TL_INPUT_OK:
        snprintf(out, n, "no problem");
        break;
    case TL_INPUT_OPEN:
        snprintf(out, n, "cannot open: %s", strerror(e->errnum));
        break;
    case TL_INPUT_NOT_FILE:
        snprintf(out, n, "is %s, not a regular file", e->kind);
        break;
    case TL_INPUT_TOO_BIG:
        snprintf(out, n, "is larger than %zu bytes (the limit for this file)", e->max);
        break;
    case TL_INPUT_READ:
        snprintf(out, n, "cannot read: %s", strerror(e->errnum));
        break;
    case TL_INPUT_NOMEM:
        snprintf(out, n, "out of memory");
        break;
    }
    return out;
}

size_t tl_input_utf8_len(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    uint32_t cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        n = 2;
        cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        n = 3;
        cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        n = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* The escaped form of the character at p (k bytes long, k = 1 for a byte to escape) into tmp;
 * returns its length. */
static size_t escape_one(const unsigned char *p, size_t k, bool raw, char tmp[5])
{
    static const char hex[] = "0123456789abcdef";
    if (raw) {
        memcpy(tmp, p, k);
        return k;
    }
    tmp[0] = '\\';
    if (*p == '\n' || *p == '\t' || *p == '\r') {
        tmp[1] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
        return 2;
    }
    tmp[1] = 'x';
    tmp[2] = hex[*p >> 4];
    tmp[3] = hex[*p & 15];
    return 4;
}

/* Walks s escaping each character into out (when out is not NULL) and returns the escaped
 * length; with cut, stops where the next character would leave no room for "..." and a NUL. */
static size_t escape_walk(const unsigned char *p, const unsigned char *end, char *out, size_t cap,
                          bool cut)
{
    size_t o = 0;
    while (p < end) {
        size_t k = *p >= 0x80 ? tl_input_utf8_len(p, end) : 1;
        bool raw = k > 1 || (*p >= 0x20 && *p < 0x7f);
        char tmp[5];
        size_t step = k ? k : 1, m = escape_one(p, step, raw, tmp);
        if (cut && o + m + 4 > cap) {
            if (out)
                memcpy(out + o, "...", 3);
            return o + 3;
        }
        if (out)
            memcpy(out + o, tmp, m);
        o += m;
        p += step;
    }
    return o;
}

char *tl_input_escape(const char *s, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "(null)");
    const unsigned char *end = p + strlen((const char *)p);
    if (cap == 0)
        return out;
    if (cap < 4) { /* no room even for "..." */
        out[0] = '\0';
        return out;
    }
    bool cut = escape_walk(p, end, NULL, 0, false) + 1 > cap;
    out[escape_walk(p, end, out, cap, cut)] = '\0';
    return out;
}

ssize_t tl_input_small(const char *path, char *buf, size_t n, ssize_t (*rd)(int, void *, size_t))
{
    buf[0] = '\0';
    int fd = rd != NULL ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < n) {
        ssize_t k = rd(fd, buf + got, n - 1 - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    buf[got] = '\0';
    return (ssize_t)got;
}
