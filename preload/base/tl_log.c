/* tl_log: the detector's two logging paths.
 *
 * DESIGN. The detector writes from places where the host's stdio and malloc must not be touched:
 * signal handlers, fork handlers, the exit path, under its own locks. So the base of everything is
 * a raw path, write(2) of a buffer formatted by a tiny formatter on the stack (tl_raw_vformat).
 * The ordinary path (tl_logf) uses vsnprintf for full printf syntax but still ends in one
 * write(2), so concurrent lines never interleave mid-line (pipe writes under PIPE_BUF are atomic),
 * and escapes control bytes and invalid UTF-8 (tl_input_escape): a message is always one line.
 *
 * The destination is a descriptor of our own: tl_log_init duplicates fd 2 to fd >= 3 with
 * FD_CLOEXEC, so a program that closes or redirects its stderr before exit still gets our report
 * on the original stream, and exec'd children never inherit it. log=path replaces it through
 * tl_log_set_fd. Both descriptors are plain ints written once at start-up (constructor, single
 * threaded) and read racily afterwards; int loads and stores are atomic on every target we build.
 */
#include "tl_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_input.h"

static int log_stderr_fd = -1; /* dup of the original stderr; written by tl_log_init only */
static int log_fd = -1;        /* current destination; written by tl_log_init / tl_log_set_fd */
static int log_verbosity;      /* verbosity=; written once at start-up (tl_log_set_verbosity) */

void tl_log_init(void)
{
    int saved = errno;
    if (log_stderr_fd < 0) {
        log_stderr_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
        if (log_fd < 0)
            log_fd = log_stderr_fd;
    }
    errno = saved;
}

void tl_log_set_fd(int fd)
{
    log_fd = fd >= 0 ? fd : log_stderr_fd;
}

int tl_log_fd(void)
{
    return log_fd;
}

int tl_log_stderr_fd(void)
{
    return log_stderr_fd;
}

void tl_log_set_verbosity(int level)
{
    log_verbosity = level;
}

int tl_log_verbosity(void)
{
    return log_verbosity;
}

static void write_fully(int fd, const char *s, size_t len)
{
    while (len > 0 && fd >= 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        len -= (size_t)w;
    }
}

void tl_raw(const char *s)
{
    int saved = errno;
    write_fully(log_fd, s, strlen(s));
    errno = saved;
}

/* ---- the AS-safe formatter ------------------------------------------------------------------ */

struct out {
    char *buf;
    unsigned long n, len; /* capacity (with NUL) and bytes stored */
};

static void put_char(struct out *o, char c)
{
    if (o->len + 1 < o->n)
        o->buf[o->len++] = c;
}

static void put_str(struct out *o, const char *s)
{
    for (s = s ? s : "(null)"; *s; s++)
        put_char(o, *s);
}

static void put_unsigned(struct out *o, unsigned long long v, unsigned base)
{
    char digits[24];
    int i = 0;
    do {
        digits[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (i > 0)
        put_char(o, digits[--i]);
}

static void put_signed(struct out *o, long long v)
{
    if (v < 0) {
        put_char(o, '-');
        put_unsigned(o, 0ULL - (unsigned long long)v, 10);
    } else {
        put_unsigned(o, (unsigned long long)v, 10);
    }
}

/* Handles one conversion starting after '%'; returns the pointer past it. */
static const char *convert(struct out *o, const char *f, va_list *ap)
{
    int longs = 0;
    while (*f == 'l' && longs < 2) {
        longs++;
        f++;
    }
    switch (*f) {
    case 'd':
        put_signed(o, longs == 2 ? va_arg(*ap, long long)
                      : longs    ? va_arg(*ap, long)
                                 : va_arg(*ap, int));
        return f + 1;
    case 'u':
    case 'x':
        put_unsigned(o,
                     longs == 2 ? va_arg(*ap, unsigned long long)
                     : longs    ? va_arg(*ap, unsigned long)
                                : va_arg(*ap, unsigned),
                     *f == 'x' ? 16 : 10);
        return f + 1;
    case 'p':
        put_str(o, "0x");
        put_unsigned(o, (unsigned long long)(uintptr_t)va_arg(*ap, void *), 16);
        return f + 1;
    case 's':
        put_str(o, va_arg(*ap, const char *));
        return f + 1;
    case 'c':
        put_char(o, (char)va_arg(*ap, int));
        return f + 1;
    case '%':
        put_char(o, '%');
        return f + 1;
    default: /* unknown: print it literally, consume no argument */
        put_char(o, '%');
        return f - longs;
    }
}

int tl_raw_vformat(char *buf, unsigned long n, const char *fmt, va_list ap)
{
    struct out o = {buf, n, 0};
    va_list aq;
    if (n == 0)
        return 0;
    va_copy(aq, ap);
    while (*fmt) {
        if (*fmt == '%' && fmt[1])
            fmt = convert(&o, fmt + 1, &aq);
        else
            put_char(&o, *fmt++);
    }
    va_end(aq);
    buf[o.len] = '\0';
    return (int)o.len;
}

void tl_rawf(const char *fmt, ...)
{
    char buf[512];
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int len = tl_raw_vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    write_fully(log_fd, buf, (size_t)len);
    errno = saved;
}

/* ---- the ordinary path ---------------------------------------------------------------------- */

void tl_vlogf(const char *fmt, va_list ap)
{
    static const char prefix[] = "taskleak: ";
    char msg[1024], buf[1024];
    int saved = errno;
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        msg[0] = '\0';
    /* Messages quote input (option values, paths, suppression lines): escaped, so a newline in
     * one cannot start a forged line (a "SUMMARY:") of its own. */
    size_t len = sizeof prefix - 1;
    memcpy(buf, prefix, len);
    len += strlen(tl_input_escape(msg, buf + len, sizeof buf - len - 1));
    buf[len++] = '\n';
    write_fully(log_fd, buf, len);
    errno = saved;
}

void tl_logf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tl_vlogf(fmt, ap);
    va_end(ap);
}

void tl_warn_once(int *flag, const char *fmt, ...)
{
    if (__atomic_exchange_n(flag, 1, __ATOMIC_RELAXED))
        return;
    va_list ap;
    va_start(ap, fmt);
    tl_vlogf(fmt, ap);
    va_end(ap);
}

void tl_assert_fail(const char *expr, const char *file, int line)
{
    tl_rawf("taskleak: assertion failed: %s at %s:%d\n", expr, file, line);
    abort();
}
