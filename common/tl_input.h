/* tl_input: the one way both tools open and read an input file, and quote input in messages.
 *
 * Input files (the detector's suppressions file; the report tool's reports, baselines,
 * suppressions and the modules it symbolizes) are named by people and by other machines' reports,
 * so a path may lead anywhere: a FIFO nobody writes, /dev/zero, a socket, a directory, a /proc
 * file, a file that grows while it is read. Opening one must never block and reading one must
 * never take unbounded memory or time. So every open is O_RDONLY|O_NONBLOCK|O_CLOEXEC (a FIFO
 * opens at once instead of waiting for a writer), anything but a regular file is refused by what
 * it is, and reads stop at a cap the caller documents. Symbolic links are followed unless the
 * caller asks for O_NOFOLLOW; what is refused is what the link leads to.
 *
 * libc only (the report tool links this object too); malloc is used by tl_input_read only, and
 * only up to the cap plus one byte. Nothing here keeps state; every function is thread-safe.
 */
#ifndef TL_INPUT_H
#define TL_INPUT_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/stat.h>

/* Why an input file could not be used. */
enum tl_input_problem {
    TL_INPUT_OK,
    TL_INPUT_OPEN,     /* open(2) failed (errnum) */
    TL_INPUT_NOT_FILE, /* not a regular file (kind) */
    TL_INPUT_TOO_BIG,  /* more than max bytes (max) */
    TL_INPUT_READ,     /* read(2) failed (errnum) */
    TL_INPUT_NOMEM,    /* out of memory */
};

struct tl_input_error {
    enum tl_input_problem problem;
    int errnum;       /* OPEN, READ */
    const char *kind; /* NOT_FILE: "a directory", "a FIFO", ... (static text) */
    size_t max;       /* TOO_BIG: the cap */
};


/* Opens path for reading with O_RDONLY|O_NONBLOCK|O_CLOEXEC|extra_flags (O_NOFOLLOW, O_DIRECTORY
 * are the useful extras) and checks what it is: a regular file, or a directory when
 * O_DIRECTORY is given. Returns the fd with *st filled (st may be NULL), or -1 with *e filled;
 * a path that cannot be opened because of what it is (a socket) is reported as NOT_FILE, not by
 * its errno. Never blocks on a FIFO or a device. errno is set on failure. */
int tl_input_open(const char *path, int extra_flags, struct stat *st, struct tl_input_error *e);

/* Reads the whole regular file at path, at most max bytes, into a malloc'ed buffer with a NUL
 * after the last byte (*buf, *len; the caller frees *buf). A file larger than max, also one that
 * grows past max while it is read, is TOO_BIG; a file of size 0 (a /proc file) is read until
 * end of file, still within max. Returns 0, or -1 with *e filled and *buf NULL. */
int tl_input_read(const char *path, size_t max, char **buf, size_t *len, struct tl_input_error *e);

/* The problem in words, for "<what> <path>: <this>" messages: "is a FIFO, not a regular file",
 * "cannot open: No such file or directory", "is larger than 1048576 bytes (the limit)",
 * "cannot read: Input/output error", "out of memory". Returns out. */
/* Reads a small file (a /proc entry) into buf, NUL-terminated, through rd (the detector passes
 * the real read, the tools plain read; NULL: nothing can be read, -1). Retries EINTR; stops at
 * n - 1 bytes or end of file. Returns the length, or -1 when the file cannot be opened. */
ssize_t tl_input_small(const char *path, char *buf, size_t n, ssize_t (*rd)(int, void *, size_t));

char *tl_input_describe(const struct tl_input_error *e, char *out, size_t n);

/* Copies s into out (cap bytes, always NUL-terminated when cap > 0) with every byte a message must
 * not carry raw written as an escape: newline, tab and carriage return as \n \t \r, every other
 * control byte, DEL and each byte of invalid UTF-8 as \xNN. Valid UTF-8 passes unchanged. When it
 * does not fit, the copy ends with "..." at a character boundary. Returns out. Async-signal-safe
 * (no allocation, no locale). */
char *tl_input_escape(const char *s, char *out, size_t cap);

/* Length of the well-formed UTF-8 sequence at p (whose first byte is >= 0x80) that ends before
 * end, or 0 when it is not one (overlong forms, surrogates and code points past U+10FFFF are
 * not). */
size_t tl_input_utf8_len(const unsigned char *p, const unsigned char *end);

#endif /* TL_INPUT_H */
