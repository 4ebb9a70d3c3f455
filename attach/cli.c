/*
 * taskleak attach's command line (contract in attach_cli.h and taskleak-attach(1)).
 *
 * Order of work: arguments (usage errors first, status 2), the checks that need no stop (no such
 * pid, zombie, kernel thread, foreign ELF: status 125), a preloaded target's own dump; else the
 * guard (signals and a watchdog alarm that detach and exit), stop every thread, read registers,
 * stacks and mutex owners, let go, and only then judge, write the document and render it. The
 * stop lasts from the first interrupt to the last detach; nothing slow (symbolization, output)
 * happens inside it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach_cli.h"
#include "attach_proc.h"
#include "attach_show.h"
#include "load.h"
#include "output.h"
#include "supp.h"
#include "tl_input.h"

#define WATCHDOG_S 10

struct cli {
    const char *report, *supp;
    bool json, verbose, hold;
    long long threshold_ms;
    pid_t pid;
};

static const char usage[] =
    "usage: taskleak attach [--report DIR] [--format text|json] [--suppressions F]\n"
    "                       [--threshold MS] [--verbose] [--hold] PID\n"
    "Stops every thread of PID for a moment, reads what each waits for, lets it go on, and\n"
    "reports deadlocks and long waits like the detector's reports.\n"
    "Exit status: 76 deadlock found, 0 otherwise, 2 bad usage, 125 PID cannot be examined.\n";

static int bad_usage(const char *what, const char *arg)
{
    char esc[256];
    tla_say("%s '%s' (see taskleak attach --help)", what, tl_input_escape(arg, esc, sizeof esc));
    return -1;
}

static bool is_opt(const char *arg, const char *opt)
{
    size_t n = strlen(opt);
    return !strncmp(arg, opt, n) && (arg[n] == 0 || arg[n] == '=');
}

static const char *value(int argc, char **argv, int *i, const char *opt)
{
    size_t n = strlen(opt);
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

/* A positive decimal number without sign or junk, at most max; -1 otherwise. */
static long long number(const char *s, long long max)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return *end || errno || v > max ? -1 : v;
}

/* 1: --help; 0: ok; -1: bad usage (said). */
static int parse(struct cli *c, int argc, char **argv)
{
    static const char *const valued[] = {"--report", "--format", "--suppressions", "--threshold"};
    const char *pid = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return 1;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            if (is_opt(a, valued[k]) && !(v = value(argc, argv, &i, valued[k])))
                return bad_usage("a value is missing after", a);
        if (is_opt(a, "--report"))
            c->report = v;
        else if (is_opt(a, "--suppressions"))
            c->supp = v;
        else if (is_opt(a, "--format") && (!strcmp(v, "text") || !strcmp(v, "json")))
            c->json = !strcmp(v, "json");
        else if (is_opt(a, "--format"))
            return bad_usage("unknown format (text or json)", v);
        else if (is_opt(a, "--threshold") && (c->threshold_ms = number(v, 1LL << 40)) < 0)
            return bad_usage("--threshold takes milliseconds, not", v);
        else if (is_opt(a, "--threshold"))
            ;
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v"))
            c->verbose = true;
        else if (!strcmp(a, "--hold"))
            c->hold = true;
        else if (a[0] == '-' && a[1])
            return bad_usage("unknown option", a);
        else if (pid)
            return bad_usage("only one PID is examined at a time; extra argument", a);
        else
            pid = a;
    }
    if (!pid)
        return tla_say("no PID given (see taskleak attach --help)"), -1;
    long long p = number(pid, 0x7fffffff);
    if (p <= 0)
        return bad_usage("not a process id:", pid);
    c->pid = (pid_t)p;
    return 0;
}

/* Writes the document to DIR/NAME (default taskleak.PID.attach.json) through a temporary name.
 * 0 or -1. */
static int write_report(const struct cli *c, const char *doc, const char *name)
{
    char path[4096], err[512];
    if (mkdir(c->report, 0700) != 0 && errno != EEXIST) {
        tla_say("cannot create the report directory %s: %s", c->report, strerror(errno));
        return -1;
    }
    if (name)
        snprintf(path, sizeof path, "%s/%s", c->report, name);
    else
        snprintf(path, sizeof path, "%s/taskleak.%d.attach.json", c->report, (int)c->pid);
    struct tlr_out out;
    if (tlr_out_open(&out, path, err, sizeof err) < 0) {
        tla_say("%s", err);
        return -1;
    }
    fputs(doc, out.f); /* ends with a newline, as every report does */
    if (tlr_out_commit(&out, 0, err, sizeof err) < 0) {
        tla_say("%s", err);
        return -1;
    }
    return 0;
}

/* Keeps the process stopped until SIGINT, SIGTERM or SIGHUP (whose handler lets it go). */
static void hold(const struct tla_proc *p)
{
    fprintf(stderr,
            "taskleak attach: holding %zu threads of process %d stopped; send SIGINT, "
            "SIGTERM or SIGHUP to let them go\n",
            p->n, (int)p->pid);
    for (;;)
        pause();
}

/* Stops, reads, lets go; then names and classifies what it read. 0, or TLA_EXIT_CANNOT (said). */
static int look(const struct cli *c, struct tla_proc *p)
{
    tla_read_process(p);
    int rc = tla_modules(p);
    if (rc != 0)
        return rc;
    tla_guard_install(c->hold ? 0 : WATCHDOG_S);
    rc = tla_seize_all(p);
    if (rc == 0) {
        if (tla_read_stopped(p) != 0)
            tla_say("warning: the stacks of process %d could not be unwound", (int)p->pid);
        if (c->hold)
            hold(p);
        tla_release_all(p);
    }
    alarm(0);
    if (rc == 0) {
        tla_name_frames(p);
        for (size_t i = 0; i < p->n; i++)
            tla_classify(p, &p->t[i]);
        tla_describe(p);
    }
    tla_unwind_end(p);
    return rc;
}

static int preloaded(const struct cli *c)
{
    char *path = tla_dump_preloaded(c->pid), *buf = NULL, err[512];
    size_t len = 0;
    long long dead = 0;
    if (path == NULL)
        return TLA_EXIT_CANNOT;
    int rc = TLA_EXIT_CANNOT;
    if (tlr_load_read(path, "", &buf, &len, err, sizeof err) < 0) {
        tla_say("%s", err);
    } else if (!c->report || write_report(c, buf, strrchr(path, '/') + 1) == 0) {
        if (c->verbose)
            tla_say("process %d runs the detector; shown: its dump %s", (int)c->pid, path);
        struct tla_show_opts o = {!c->json, c->verbose, c->supp};
        if (c->json)
            fwrite(buf, 1, len, stdout);
        if (tla_show(buf, len, path, &o, &dead) == 0)
            rc = dead > 0 ? TLA_EXIT_DEADLOCK : 0;
    }
    free(buf);
    free(path);
    return rc;
}

static int examine(const struct cli *c)
{
    struct tla_proc p = {.pid = c->pid, .threshold_ms = c->threshold_ms};
    int rc = look(c, &p);
    if (rc != 0) {
        tla_proc_free(&p);
        return rc;
    }
    if (c->verbose)
        tla_say("stopped %zu threads of process %d for %.3f ms", p.n, (int)p.pid, p.stop_ms);
    tla_judge(&p);
    char *doc = tla_json(&p);
    long long dead = 0;
    rc = TLA_EXIT_CANNOT;
    if (doc == NULL)
        tla_say("out of memory");
    else if (!c->report || write_report(c, doc, NULL) == 0) {
        struct tla_show_opts o = {!c->json, c->verbose, c->supp};
        if (c->json)
            fputs(doc, stdout); /* it ends with a newline */
        if (p.all_asleep && !c->json)
            printf("taskleak: all threads are asleep - deadlock!\n");
        if (tla_show(doc, strlen(doc), "attach", &o, &dead) == 0)
            rc = dead > 0 ? TLA_EXIT_DEADLOCK : 0;
    }
    free(doc);
    tla_proc_free(&p);
    return rc;
}

/* The inputs and outputs named on the command line are checked before anything is stopped:
 * suppressions must parse, the report directory must be (or become) a writable directory. */
static int check_files(const struct cli *c)
{
    char err[512];
    struct tlr_supp supp = {0};
    if (c->supp && tlr_supp_load(c->supp, &supp, err, sizeof err) < 0) {
        tla_say("%s", err);
        return -1;
    }
    tlr_supp_free(&supp);
    if (!c->report)
        return 0;
    struct stat st;
    if (mkdir(c->report, 0700) != 0 && errno != EEXIST) {
        tla_say("cannot create the report directory %s: %s", c->report, strerror(errno));
        return -1;
    }
    if (stat(c->report, &st) != 0 || !S_ISDIR(st.st_mode) || access(c->report, W_OK | X_OK)) {
        tla_say("the report directory %s is not a writable directory", c->report);
        return -1;
    }
    return 0;
}

int tla_cli_main(int argc, char **argv)
{
    struct cli c = {.threshold_ms = 10000};
    int pr = parse(&c, argc, argv);
    if (pr == 1) {
        fputs(usage, stdout);
        return 0;
    }
    if (pr < 0 || check_files(&c) < 0)
        return TLA_EXIT_USAGE;
    unsetenv("DEBUGINFOD_URLS"); /* never fetch over the network, least of all during a stop */
    int rc = tla_precheck(c.pid);
    if (rc != 0)
        return rc;
    return tla_preloaded(c.pid) ? preloaded(&c) : examine(&c);
}

void tla_proc_free(struct tla_proc *p)
{
    for (size_t i = 0; i < p->n; i++)
        for (int k = 0; k < p->t[i].nframes; k++)
            free(p->t[i].frames[k].function);
    free(p->t);
    for (size_t i = 0; i < p->nmodules; i++)
        free(p->modules[i].path);
    free(p->modules);
    for (size_t i = 0; i < p->nargv; i++)
        free(p->argv[i]);
    free(p->argv);
    for (size_t i = 0; i < p->ndl; i++)
        free(p->dl[i].members);
    free(p->dl);
}
