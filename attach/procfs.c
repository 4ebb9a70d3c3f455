/*
 * Reading /proc for taskleak attach (see attach_proc.h): the checks that name why a process
 * cannot be examined, and each thread's state before the stop. "Time since it last ran" comes
 * from the scheduler's se.exec_start (/proc/PID/task/TID/sched), compared with the tool's own
 * exec_start read at the same moment (both are the scheduler's clock; the tool is running, so its
 * value is "now" within a time slice). It must be read before the interrupt, which wakes the
 * thread; without the sched file (CONFIG_SCHED_DEBUG off) it is unknown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach_proc.h"
#include "tl_input.h"
#include "tl_vec.h"

void tla_say(const char *fmt, ...)
{
    char msg[1024], esc[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "taskleak attach: %s\n", tl_input_escape(msg, esc, sizeof esc));
}

int tla_cannot(pid_t pid, const char *fmt, ...)
{
    char why[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    tla_say("cannot examine process %d: %s", (int)pid, why);
    return TLA_EXIT_CANNOT;
}

pid_t tla_tracer(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (tl_input_small(path, buf, sizeof buf, read) < 0)
        return -1;
    const char *t = strstr(buf, "\nTracerPid:");
    return t ? (pid_t)atoi(t + 11) : -1;
}

void tla_comm(pid_t pid, char *buf, size_t len)
{
    char path[64], raw[64];
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    if (tl_input_small(path, raw, sizeof raw, read) <= 0) {
        snprintf(buf, len, "?");
        return;
    }
    raw[strcspn(raw, "\n")] = 0;
    tl_input_escape(raw, buf, len);
}

void tla_ptrace_scope(char *buf, size_t len)
{
    char raw[16];
    if (tl_input_small("/proc/sys/kernel/yama/ptrace_scope", raw, sizeof raw, read) <= 0) {
        snprintf(buf, len, "not set (no Yama)");
        return;
    }
    raw[strcspn(raw, "\n")] = 0;
    snprintf(buf, len, "%s", raw);
}

/* The state letter after the last ')' of a stat line (the name may hold ')'). */
static char stat_state(const char *path)
{
    char buf[1024];
    if (tl_input_small(path, buf, sizeof buf, read) <= 0)
        return 0;
    const char *c = strrchr(buf, ')');
    return c && c[1] == ' ' ? c[2] : 0;
}

/* The state letter of pid (/proc/PID/stat), 0 when unreadable. */
static char tla_state(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    return stat_state(path);
}

bool tla_alive(pid_t pid)
{
    char s = tla_state(pid);
    return s != 0 && s != 'Z' && s != 'X';
}

/* se.exec_start of a sched file in ms, or -1. */
static double exec_start(const char *path)
{
    char buf[8192];
    if (tl_input_small(path, buf, sizeof buf, read) <= 0)
        return -1;
    const char *e = strstr(buf, "se.exec_start");
    const char *colon = e ? strchr(e, ':') : NULL;
    return colon ? strtod(colon + 1, NULL) : -1;
}

void tla_read_prestop(pid_t pid, struct tla_thread *t)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)t->tid);
    t->state = stat_state(path);
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)t->tid);
    char raw[64];
    if (tl_input_small(path, raw, sizeof raw, read) > 0) {
        raw[strcspn(raw, "\n")] = 0;
        tl_input_escape(raw, t->comm, sizeof t->comm);
    }
    snprintf(path, sizeof path, "/proc/%d/task/%d/wchan", (int)pid, (int)t->tid);
    if (tl_input_small(path, t->wchan, sizeof t->wchan, read) < 0 || !strcmp(t->wchan, "0"))
        t->wchan[0] = 0;
    snprintf(path, sizeof path, "/proc/%d/task/%d/sched", (int)pid, (int)t->tid);
    double theirs = exec_start(path);
    double now = exec_start("/proc/thread-self/sched");
    if (t->state == 'R')
        t->since_ms = 0;
    else if (theirs >= 0 && now >= theirs)
        t->since_ms = (long long)(now - theirs);
}

void tla_read_process(struct tla_proc *p)
{
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)p->pid);
    ssize_t n = readlink(path, p->exe, sizeof p->exe - 1);
    p->exe[n > 0 ? n : 0] = 0;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)p->pid);
    if (tl_input_small(path, buf, sizeof buf, read) > 0) {
        const char *c = strrchr(buf, ')');
        if (c)
            sscanf(c + 2, "%*c %d", &p->ppid);
    }
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)p->pid);
    ssize_t len = tl_input_small(path, buf, sizeof buf, read);
    for (ssize_t i = 0; i < len; i += (ssize_t)strlen(buf + i) + 1) {
        if (TL_VEC_PUSH_SLOT(p->argv, p->argv_cap, p->nargv) != 0)
            break;
        p->argv[p->nargv++] = strdup(buf + i);
    }
}

bool tla_preloaded(pid_t pid)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, "/libtaskleak.so") != NULL;
    if (f)
        fclose(f);
    return found;
}

const char *tla_foreign_elf(const unsigned char *h, size_t len, char *buf, size_t blen)
{
    if (len < 20 || memcmp(h, "\177ELF", 4) != 0)
        return "its program is not an ELF file";
    unsigned machine = h[18] | (unsigned)h[19] << 8;
    if (h[4] != 2)
        return "it is a 32-bit program; only 64-bit x86-64 programs can be read";
    if (machine != 62) {
        snprintf(buf, blen, "it is a program for another machine (ELF e_machine %u), not x86-64",
                 machine);
        return buf;
    }
    return NULL;
}

/* The ELF class and machine of the target's executable: 0, or TLA_EXIT_CANNOT after a line. */
static int check_elf(pid_t pid)
{
    char path[64], why[128];
    unsigned char h[20];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return tla_cannot(pid, "it is a kernel thread (no program to read)");
    if (fd < 0 && (errno == EACCES || errno == EPERM))
        return 0; /* the seize will say why, with the ptrace scope */
    if (fd < 0)
        return tla_cannot(pid, "its program cannot be read: %s", strerror(errno));
    ssize_t r = read(fd, h, sizeof h);
    close(fd);
    const char *foreign = tla_foreign_elf(h, r > 0 ? (size_t)r : 0, why, sizeof why);
    return foreign ? tla_cannot(pid, "%s", foreign) : 0;
}

int tla_precheck(pid_t pid)
{
    if (pid == getpid())
        return tla_cannot(pid, "it is this taskleak attach itself");
    char s = tla_state(pid);
    if (s == 0)
        return tla_cannot(pid, "no such process");
    if (s == 'Z' || s == 'X')
        return tla_cannot(pid, "it is a zombie (it has exited; its parent has not reaped it)");
    return check_elf(pid);
}
