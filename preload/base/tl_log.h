/* tl_log: the detector's two logging paths (a formatted path, and a raw one for signal handlers,
 * fork handlers, exit paths and code under our locks).
 *
 * Formatted path (tl_logf, tl_warn_once): ordinary context, not async-signal-safe.
 * Raw path (tl_raw, tl_rawf): write(2) only, no stdio, no malloc, no locks; safe in signal
 * handlers, fork handlers, exit paths and under our own locks.
 *
 * Every function here preserves the caller's errno. Output goes to the log fd: by default a
 * duplicate of the original stderr taken by tl_log_init (fd >= 3, O_CLOEXEC), so reports still
 * reach the terminal after the host program closes its stderr. Nothing is ever written to stdout.
 */
#ifndef TL_LOG_H
#define TL_LOG_H

#include <stdarg.h>

/* Duplicates fd 2 to a descriptor >= 3 with FD_CLOEXEC and makes it the log fd. If fd 2 is closed
 * the log fd stays -1 and every log call is a no-op. Idempotent: a second call does nothing unless
 * the first one failed. Call once from the constructor (not thread-safe against concurrent
 * logging; the log fd is a plain int read by every logger). */
void tl_log_init(void);

/* Makes fd the destination of every later log line (log=path). fd < 0 restores the stderr
 * duplicate. The caller keeps ownership of fd. */
void tl_log_set_fd(int fd);

/* The current log fd (-1 when there is none). AS-safe. */
int tl_log_fd(void);

/* The duplicate of the original stderr taken by tl_log_init (-1 when none). AS-safe. */
int tl_log_stderr_fd(void);

/* The verbosity= option (0 quiet, 1 start-up lines, 2 debug), handed over once by the start-up
 * path that owns the options; modules ask tl_log_verbosity() before an optional line. AS-safe. */
void tl_log_set_verbosity(int level);
int tl_log_verbosity(void);

/* Writes s in full (retrying short writes and EINTR) to the log fd. AS-safe, errno kept. */
void tl_raw(const char *s);

/* AS-safe mini printf: %s %d %u %ld %lu %lld %llu %x %lx %p %c %%; a NULL %s prints "(null)";
 * unknown conversions are printed literally. Formats into a 512-byte stack buffer (longer output
 * is truncated) and writes it with one write(2). errno kept. */
void tl_rawf(const char *fmt, ...);

/* The same formatter into a caller buffer: always NUL-terminates (n > 0), returns the length
 * written (truncated to n - 1). AS-safe. */
int tl_raw_vformat(char *buf, unsigned long n, const char *fmt, va_list ap);

/* "taskleak: " + message + "\n" via vsnprintf into a 1 KiB stack buffer, one write(2). errno kept.
 * Control bytes and invalid UTF-8 in the message are escaped (\n, \xNN: tl_input_escape), so
 * it is always exactly one line. Not AS-safe (vsnprintf). */
void tl_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tl_vlogf(const char *fmt, va_list ap);

/* Like tl_logf the first time *flag is 0 (then sets it to 1, atomically); later calls are silent.
 */
void tl_warn_once(int *flag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Aborts through the raw path; never compiled out (our own invariants are always checked). */
void tl_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define tl_assert(x) ((x) ? (void)0 : tl_assert_fail(#x, __FILE__, __LINE__))

#endif /* TL_LOG_H */
