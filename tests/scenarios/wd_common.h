/* Helpers shared by the watchdog scenario programs (tests/scenarios/wd_*.c).
 *
 * A scenario that must show what the watchdog said WHILE something was blocked cannot leave that
 * to the test, which only sees the report directory after the program ended (by then the
 * watchdog has rewritten its report). So the program itself waits for the watchdog report to
 * appear and copies it under another kind name (taskleak.<pid>.<as>.json), which the test loads.
 */
#ifndef WD_COMMON_H
#define WD_COMMON_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The report directory from TASKLEAK_OPTIONS ("" when none). */
static inline void wd_report_dir(char *out, size_t n)
{
    const char *o = getenv("TASKLEAK_OPTIONS"), *p = o ? strstr(o, "report=") : NULL;
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen("report=");
    size_t len = strcspn(p, ":,");
    snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), p);
}

static inline double wd_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Copies <dir>/taskleak.<pid>.<kind>.json to <dir>/taskleak.<pid>.<as>.json as soon as it exists
 * and contains `needle`, waiting at most max_s seconds. Returns 0 when copied. */
static inline int wd_copy_report(const char *kind, const char *needle, const char *as, double max_s)
{
    char dir[1024], from[1200], to[1200];
    wd_report_dir(dir, sizeof dir);
    snprintf(from, sizeof from, "%s/taskleak.%d.%s.json", dir, (int)getpid(), kind);
    snprintf(to, sizeof to, "%s/taskleak.%d.%s.json", dir, (int)getpid(), as);
    static char buf[8 << 20];
    for (double end = wd_now() + max_s; dir[0] != '\0' && wd_now() < end; usleep(50000)) {
        int fd = open(from, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n, len = 0;
        while ((n = read(fd, buf + len, sizeof buf - 1 - (size_t)len)) > 0)
            len += n;
        close(fd);
        buf[len] = '\0';
        if (strstr(buf, needle) == NULL)
            continue;
        FILE *f = fopen(to, "w");
        if (f == NULL)
            return -1;
        fwrite(buf, 1, (size_t)len, f);
        fclose(f);
        return 0;
    }
    return -1;
}

/* Waits at most max_s seconds until process pid's report of this kind (taskleak.<pid>.<kind>.json
 * in the report directory) exists: reports are renamed into place whole, so it is complete then.
 * Returns 0 once it exists, -1 when it never came or there is no report directory. */
static inline int wd_await_report(pid_t pid, const char *kind, double max_s)
{
    char dir[1024], path[1200];
    wd_report_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/taskleak.%d.%s.json", dir, (int)pid, kind);
    for (double end = wd_now() + max_s; dir[0] != '\0' && wd_now() < end; usleep(50000))
        if (access(path, F_OK) == 0)
            return 0;
    return -1;
}

#endif
