/*
 * A target that already runs the detector knows more than ptrace can tell (creation stacks, gor
 * tasks, exact wait times): ask it, through the detector's own dump signal (dump_signal in the
 * TASKLEAK_OPTIONS it started with, SIGUSR2 by default), as `taskleak dump` does, and read the
 * dump-N file it writes into its report directory. The process is never stopped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach_show.h"

/* The value of option key in an options string ("a=1:b=2" or with ','); last one wins. */
static void opt_value(const char *opts, const char *key, char *out, size_t len)
{
    size_t kl = strlen(key);
    out[0] = 0;
    for (const char *s = opts; s && *s;) {
        size_t n = strcspn(s, ":,");
        if (n > kl && !strncmp(s, key, kl) && s[kl] == '=')
            snprintf(out, len, "%.*s", (int)(n - kl - 1), s + kl + 1);
        s += n + (s[n] != 0);
    }
}

/* TASKLEAK_OPTIONS and PWD from the target's start-up environment. */
static void start_env(pid_t pid, char *opts, size_t olen, char *pwd, size_t plen)
{
    char path[64];
    static char buf[1 << 16];
    opts[0] = pwd[0] = 0;
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1) {
        if (!strncmp(buf + i, "TASKLEAK_OPTIONS=", 17))
            snprintf(opts, olen, "%s", buf + i + 17);
        else if (!strncmp(buf + i, "PWD=", 4))
            snprintf(pwd, plen, "%s", buf + i + 4);
    }
}

static int signal_number(const char *name)
{
    if (name[0] >= '0' && name[0] <= '9')
        return atoi(name);
    const char *bare = strncmp(name, "SIG", 3) ? name : name + 3;
    for (int s = 1; s < NSIG; s++) {
        const char *abbrev = sigabbrev_np(s);
        if (abbrev && !strcmp(abbrev, bare))
            return s;
    }
    return -1;
}

/* The highest-numbered "taskleak.PID.dump-N.json" in dir (malloc'ed path) and how many there
 * are. */
static char *newest_dump(const char *dir, pid_t pid, int *count)
{
    char prefix[48], *best = NULL;
    snprintf(prefix, sizeof prefix, "taskleak.%d.dump-", (int)pid);
    long best_n = -1;
    size_t pl = strlen(prefix);
    *count = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, pl) || !strstr(e->d_name + pl, ".json"))
            continue;
        ++*count;
        long n = strtol(e->d_name + pl, NULL, 10);
        char *path = NULL;
        if (n > best_n && asprintf(&path, "%s/%s", dir, e->d_name) >= 0) {
            free(best);
            best = path;
            best_n = n;
        }
    }
    if (d)
        closedir(d);
    return best;
}

/* The report directory as the detector resolved it: relative to where the program started. */
static void report_dir(pid_t pid, const char *opts, const char *pwd, char *out, size_t len)
{
    char rep[2048], cwd[2048];
    opt_value(opts, "report", rep, sizeof rep);
    if (!rep[0] || rep[0] == '/') {
        snprintf(out, len, "%s", rep);
        return;
    }
    if (pwd[0] != '/') {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
        ssize_t n = readlink(path, cwd, sizeof cwd - 1);
        cwd[n > 0 ? n : 0] = 0;
        pwd = cwd;
    }
    snprintf(out, len, "%s/%s", pwd, rep);
}

char *tla_dump_preloaded(pid_t pid)
{
    char opts[4096], pwd[2048], dir[4096], sig[64];
    start_env(pid, opts, sizeof opts, pwd, sizeof pwd);
    opt_value(opts, "dump_signal", sig, sizeof sig);
    int s = signal_number(sig[0] ? sig : "SIGUSR2");
    if (s == 0) {
        tla_say("process %d runs the detector with dump_signal=0: dumps are disabled", (int)pid);
        return NULL;
    }
    report_dir(pid, opts, pwd, dir, sizeof dir);
    if (s < 0 || !dir[0]) {
        if (s > 0 && kill(pid, s) == 0)
            tla_say("process %d runs the detector without report=: its dump went to its log",
                    (int)pid);
        else
            tla_say("cannot ask process %d for a dump (dump_signal '%s')", (int)pid, sig);
        return NULL;
    }
    int before = 0, now = 0;
    free(newest_dump(dir, pid, &before));
    if (kill(pid, s) != 0) {
        tla_say("cannot signal process %d for a dump: %s", (int)pid, strerror(errno));
        return NULL;
    }
    for (int i = 0; i < 100; i++) {
        char *f = newest_dump(dir, pid, &now);
        if (now > before)
            return f;
        free(f);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    tla_say("process %d runs the detector but wrote no dump into %s within 10 s", (int)pid, dir);
    return NULL;
}
