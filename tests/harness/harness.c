/*
 * Scenario harness (see harness.h). Output is collected through two pipes drained with poll()
 * so a chatty program never blocks on a full pipe; the timeout is enforced by the same loop.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TH_BUILD_DIR
#define TH_BUILD_DIR "build"
#endif
#ifndef TH_SRC_DIR
#define TH_SRC_DIR "."
#endif

struct th_buf {
    char *p;
    size_t len, cap;
};

static void buf_add(struct th_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

const char *th_path(const char *rel)
{
    static __thread char path[1024];
    snprintf(path, sizeof path, "%s/%s", TH_BUILD_DIR, rel);
    return path;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *th_sanitizer_preload(void)
{
    static char asan[512];
#if TH_SANITIZE
    if (!asan[0]) {
        FILE *p = popen("${CC:-cc} -print-file-name=libasan.so 2>/dev/null", "r");
        if (p) {
            if (fgets(asan, sizeof asan, p))
                asan[strcspn(asan, "\n")] = '\0';
            pclose(p);
        }
    }
#endif
    return asan;
}

/* The LD_PRELOAD value: in sanitizer builds the ASan runtime must come first. */
static void preload_value(char *out, size_t n)
{
    const char *asan = th_sanitizer_preload();
    snprintf(out, n, "%s%s%s", asan, asan[0] ? " " : "", th_path("lib/libtaskleak.so"));
}

static void child_exec(const struct th_opts *o, const struct th_run *r, int outfd, int errfd)
{
    char prog[1024], opts[2048], preload[2048];
    const char *argv[64];
    int n = 0;

    dup2(outfd, 1);
    dup2(errfd, 2);
    setpgid(0, 0);
    if (strchr(o->prog, '/'))
        snprintf(prog, sizeof prog, "%s", o->prog);
    else
        snprintf(prog, sizeof prog, "%s/tests/scenarios/%s", TH_BUILD_DIR, o->prog);
    snprintf(opts, sizeof opts, "%s%sreport=%s", o->options ? o->options : "",
             o->options && o->options[0] ? ":" : "", r->dir);
    for (const char *const *e = o->env; e && *e; e++)
        putenv((char *)*e);
    if (o->via_cli) {
        static char cli[1024];
        snprintf(cli, sizeof cli, "%s/scripts/taskleak", TH_SRC_DIR);
        argv[n++] = "sh";
        argv[n++] = cli;
        argv[n++] = "run";
        for (const char *const *a = o->cli_args; a && *a && n < 40; a++)
            argv[n++] = *a;
        argv[n++] = "--";
        setenv("TASKLEAK_BUILD_DIR", TH_BUILD_DIR, 1);
        if (th_sanitizer_preload()[0])
            setenv("LD_PRELOAD", th_sanitizer_preload(), 1);
    }
    argv[n++] = prog;
    for (const char *const *a = o->argv; a && *a && n < 62; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    if (!o->no_preload) {
        setenv("TASKLEAK_OPTIONS", opts, 1);
        if (!o->via_cli) {
            preload_value(preload, sizeof preload);
            setenv("LD_PRELOAD", preload, 1);
        }
    }
#if TH_SANITIZE
    /* The detector deliberately keeps a few allocations until exit; leak checking of the
     * scenario programs themselves stays on in their own tests. */
    setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0", 0);
#endif
    execvp(argv[0], (char *const *)argv);
    fprintf(stderr, "harness: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void drain(struct th_run *r, pid_t pid, int outfd, int errfd, double timeout)
{
    struct th_buf out = {0}, err = {0};
    struct pollfd p[2] = {{.fd = outfd, .events = POLLIN}, {.fd = errfd, .events = POLLIN}};
    double deadline = now_s() + timeout;
    int open = 2;
    char chunk[8192];

    buf_add(&out, "", 0);
    buf_add(&err, "", 0);
    while (open > 0) {
        int left = (int)((deadline - now_s()) * 1000);
        if (left <= 0) {
            r->timed_out = true;
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            break;
        }
        if (poll(p, 2, left) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t got = read(p[i].fd, chunk, sizeof chunk);
            if (got > 0) {
                buf_add(i ? &err : &out, chunk, (size_t)got);
            } else {
                p[i].fd = -1;
                open--;
            }
        }
    }
    r->out = out.p;
    r->err = err.p;
}

int th_run(const struct th_opts *o, struct th_run *r)
{
    int op[2], ep[2], st = 0;

    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/th-report.XXXXXX");
    if (!mkdtemp(r->dir) || pipe2(op, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
        fprintf(stderr, "harness: setup: %s\n", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        child_exec(o, r, op[1], ep[1]);
    r->pid = pid;
    close(op[1]);
    close(ep[1]);
    drain(r, pid, op[0], ep[0], o->timeout_s > 0 ? o->timeout_s : 60);
    close(op[0]);
    close(ep[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->signaled = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    return 0;
}

int th_run_simple(struct th_run *r, const char *prog, const char *options)
{
    struct th_opts o = {.prog = prog, .options = options};
    return th_run(&o, r);
}

void th_run_free(struct th_run *r)
{
    DIR *d = opendir(r->dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') {
                snprintf(p, sizeof p, "%s/%s", r->dir, e->d_name);
                unlink(p);
            }
        closedir(d);
        rmdir(r->dir);
    }
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* Report files are taskleak.<pid>.<kind>.json. */
static bool name_matches(const char *name, const char *kind, int pid)
{
    char want[128];
    if (strncmp(name, "taskleak.", 9) != 0)
        return false;
    const char *dot = strchr(name + 9, '.');
    if (!dot || (pid && atoi(name + 9) != pid))
        return false;
    snprintf(want, sizeof want, "%s.json", kind);
    return strcmp(dot + 1, want) == 0;
}

json_t *th_report(const struct th_run *r, const char *kind, int pid)
{
    DIR *d = opendir(r->dir);
    struct dirent *e;
    json_t *rep = NULL;
    if (!d)
        return NULL;
    while (!rep && (e = readdir(d))) {
        if (!name_matches(e->d_name, kind, pid))
            continue;
        char p[512];
        json_error_t err;
        snprintf(p, sizeof p, "%s/%s", r->dir, e->d_name);
        rep = json_load_file(p, 0, &err);
        if (!rep)
            fprintf(stderr, "harness: %s: %s (line %d)\n", p, err.text, err.line);
    }
    closedir(d);
    if (!rep)
        fprintf(stderr, "harness: no %s report in %s\n", kind, r->dir);
    return rep;
}

int th_count_reports(const struct th_run *r, const char *part)
{
    DIR *d = opendir(r->dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && (!part || strstr(e->d_name, part)))
            n++;
    closedir(d);
    return n;
}

json_t *th_group(json_t *rep, const char *verdict, const char *reason)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(rep, "groups"), i, g)
    {
        const char *v = json_string_value(json_object_get(g, "verdict"));
        const char *w = json_string_value(json_object_get(g, "reason"));
        if ((!verdict || (v && !strcmp(v, verdict))) && (!reason || (w && !strcmp(w, reason))))
            return g;
    }
    return NULL;
}

int th_group_count(json_t *rep, const char *verdict, const char *reason)
{
    size_t i;
    json_t *g;
    int n = 0;
    json_array_foreach(json_object_get(rep, "groups"), i, g)
    {
        const char *v = json_string_value(json_object_get(g, "verdict"));
        const char *w = json_string_value(json_object_get(g, "reason"));
        if ((!verdict || (v && !strcmp(v, verdict))) && (!reason || (w && !strcmp(w, reason))))
            n += (int)json_integer_value(json_object_get(g, "count"));
    }
    return n;
}

json_t *th_stack(json_t *rep, json_t *stack_id)
{
    size_t i;
    json_t *s;
    if (!stack_id || json_is_null(stack_id))
        return NULL;
    json_array_foreach(json_object_get(rep, "stacks"), i, s)
    {
        if (json_equal(json_object_get(s, "id"), stack_id))
            return s;
    }
    return NULL;
}

bool th_stack_has(json_t *rep, json_t *stack_id, const char *function)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(th_stack(rep, stack_id), "frames"), i, f)
    {
        const char *fn = json_string_value(json_object_get(f, "function"));
        if (fn && !strcmp(fn, function))
            return true;
    }
    return false;
}

const char *th_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

json_t *th_unit_by_start(json_t *rep, const char *kind, const char *start)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *k = th_str(u, "kind"), *st = th_str(u, "start");
        if (st != NULL && strcmp(st, start) == 0 && (kind == NULL || (k && !strcmp(k, kind))))
            return u;
    }
    return NULL;
}

json_t *th_unit_blocked_in(json_t *rep, const char *function)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        if (th_stack_has(rep, json_object_get(u, "blocked_stack"), function))
            return u;
    }
    return NULL;
}

json_t *th_unit_by_verdict(json_t *rep, const char *verdict)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *v = th_str(u, "verdict");
        if (v != NULL && strcmp(v, verdict) == 0)
            return u;
    }
    return NULL;
}

json_t *th_unit(json_t *rep, const char *id)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *uid = json_string_value(json_object_get(u, "id"));
        if (uid && !strcmp(uid, id))
            return u;
    }
    return NULL;
}

long th_summary(json_t *rep, const char *field)
{
    json_t *v = json_object_get(json_object_get(rep, "summary"), field);
    return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

bool th_contains(const char *haystack, const char *needle)
{
    return haystack && needle && strstr(haystack, needle) != NULL;
}
