/* tl_file: report files and the log destination, written safely from inside a host program.
 *
 * DESIGN. A report must appear whole or not at all, must never clobber or write through something
 * an attacker planted in a shared directory, and must never leave a descriptor the host could
 * trip over. So tl_file_write_atomic
 *   - creates the directory chain (0700) and then works relative to one directory descriptor, so
 *     the directory cannot be swapped between creating the temp file and renaming it;
 *   - creates a fresh temp file with O_EXCL|O_NOFOLLOW (a planted symlink or FIFO makes the open
 *     fail instead of being followed), forces mode 0600 whatever the umask, writes, fsyncs;
 *   - renames it over the final name: rename replaces a symlink or FIFO at that name instead of
 *     writing through it, and readers see either the old file or the complete new one;
 *   - unlinks the temp file on every failure path.
 * Paths are formatted with the raw formatter and everything else is a system call, so the whole
 * module is usable from exit and signal paths (no malloc, no stdio).
 *
 * Descriptors are O_CLOEXEC and moved above 2: a host that closed its standard streams would
 * otherwise receive our descriptor as its next "stdout".
 */
#include "tl_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h> /* renameat */
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tl_log.h"
#include "tl_options.h"

int tl_file_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

int tl_file_fd_above_stdio(int fd)
{
    if (fd < 0 || fd > 2)
        return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int saved = errno;
    close(fd);
    errno = saved;
    return moved;
}

/* snprintf through the AS-safe formatter; -1 with ENAMETOOLONG when it does not fit. */
static int path_format(char *out, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = tl_raw_vformat(out, n, fmt, ap);
    va_end(ap);
    if ((size_t)len + 1 >= n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return len;
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_dirs(const char *dir)
{
    char path[PATH_MAX];
    if (path_format(path, sizeof path, "%s", dir) < 0)
        return -1;
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            return -1;
        *p = c;
        if (c == '\0')
            return 0;
    }
}

static uint64_t random_suffix(void)
{
    static unsigned long counter; /* distinguishes calls when getrandom is unavailable */
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) == (ssize_t)sizeof r)
        return r;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
           __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 0x9e3779b97f4a7c15ull;
}

/* Creates, fills and syncs the temp file tmp inside dirfd. The caller unlinks it on failure. */
static int write_temp(int dirfd, const char *tmp, const char *data, size_t len)
{
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    fd = tl_file_fd_above_stdio(fd);
    if (fd < 0)
        return -1;
    int rc = fchmod(fd, 0600) < 0 || tl_file_write_all(fd, data, len) < 0 || fsync(fd) < 0 ? -1 : 0;
    int saved = errno;
    if (close(fd) < 0 && rc == 0)
        return -1;
    errno = saved;
    return rc;
}

static int open_dir(const char *dir)
{
    if (make_dirs(dir) < 0)
        return -1;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return dfd < 0 ? -1 : tl_file_fd_above_stdio(dfd);
}

int tl_file_write_atomic(const char *dir, const char *name, const char *data, size_t len)
{
    char tmp[NAME_MAX + 1];
    int saved;
    if (!dir || !*dir || !name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
        !strcmp(name, "..")) {
        errno = EINVAL;
        return -1;
    }
    uint64_t r = random_suffix();
    if (path_format(tmp, sizeof tmp, ".%s.tmp.%d.%lx", name, (int)getpid(), (unsigned long)r) < 0)
        return -1;
    int dfd = open_dir(dir);
    if (dfd < 0)
        return -1;
    if (write_temp(dfd, tmp, data, len) < 0 || renameat(dfd, tmp, dfd, name) < 0)
        goto fail;
    fsync(dfd); /* make the rename durable; a failure here does not undo a complete report */
    close(dfd);
    return 0;
fail:
    saved = errno;
    unlinkat(dfd, tmp, 0);
    close(dfd);
    errno = saved;
    return -1;
}

/* Refuses what a log must not be: a regular file of another user (a file planted in a shared
 * directory), or something that is neither a file, a terminal nor a pipe. */
static int check_log_target(int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    if (S_ISREG(st.st_mode) && st.st_uid != geteuid()) {
        errno = EPERM;
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int tl_file_open_log(const char *spec)
{
    char path[PATH_MAX];
    if (!spec || !*spec || !strcmp(spec, "stderr"))
        return tl_log_stderr_fd();
    if (tl_options_expand_path(spec, path, sizeof path) < 0)
        return -1;
    /* O_NONBLOCK: a FIFO without a reader fails with ENXIO instead of hanging the host. */
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0)
        return -1;
    if (check_log_target(fd) < 0 || fcntl(fd, F_SETFL, O_APPEND) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return tl_file_fd_above_stdio(fd);
}
