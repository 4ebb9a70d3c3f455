/* tl_file: writing report files and opening the log destination, safely inside a host program.
 *
 * Reports are written to a temporary name in the target directory and renamed over the final
 * name, so a crash or a SIGKILL never leaves a torn file and two processes never interleave.
 * Every open uses O_NOFOLLOW and O_EXCL (temp files) so a symlink or FIFO planted in a sticky
 * /tmp is never written through; descriptors are O_CLOEXEC and never 0-2 (a host that closed its
 * standard streams must not see our data on its next open). Nothing here mallocs or uses stdio:
 * only system calls and tl_raw_vformat, so the functions may run on exit and signal paths.
 */
#ifndef TL_FILE_H
#define TL_FILE_H

#include <stddef.h>

/* Creates dir (and missing parents, mode 0700) and atomically replaces dir/name with data.
 * Temp: dir/.name.tmp.<pid>.<random>, O_WRONLY|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC, mode 0600,
 * full writes with EINTR retry, fsync, rename(2). A symlink at dir/name is replaced, never
 * followed. name must not contain '/'. Returns 0, or -1 with errno set (EINVAL for a bad name,
 * ENAMETOOLONG for a path over PATH_MAX); the temp file is unlinked on any failure.
 * Changes errno only on failure; callers that must keep the host's errno save it. */
int tl_file_write_atomic(const char *dir, const char *name, const char *data, size_t len);

/* Opens the log destination: "stderr" (or NULL / "") -> tl_log_stderr_fd() (not a new fd: do not
 * close it); otherwise spec with %p expanded (tl_options_expand_path), opened
 * O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC|O_NOFOLLOW, mode 0600, moved to an fd >= 3.
 * Returns the fd, or -1 with errno on failure (EINVAL for a bad %-placeholder). */
int tl_file_open_log(const char *spec);

/* Moves fd to the lowest free descriptor >= 3 with FD_CLOEXEC (closing the original) when it is
 * 0-2; returns it unchanged otherwise; -1 with errno on failure (fd closed). */
int tl_file_fd_above_stdio(int fd);

/* write(2) all of data, retrying short writes and EINTR. 0 or -1 with errno. AS-safe. */
int tl_file_write_all(int fd, const char *data, size_t len);

#endif /* TL_FILE_H */
