/*
 * Scenario harness: run a real program under the detector and look at what it reported.
 *
 * th_run() forks, sets LD_PRELOAD (the detector, preceded by the sanitizer runtime in SANITIZE=1
 * builds) and TASKLEAK_OPTIONS (the caller's options plus report=<a fresh directory>), captures
 * stdout and stderr, and kills the program if it outlives the timeout. th_report() then loads a
 * report of one kind from that directory with jansson. Tests assert on fields, never on whole text.
 */
#ifndef TH_HARNESS_H
#define TH_HARNESS_H

#include <jansson.h>
#include <stdbool.h>

struct th_opts {
    const char *prog;        /* scenario name (build/tests/scenarios/<prog>) or a path with '/' */
    const char *const *argv; /* extra arguments, NULL-terminated; may be NULL */
    const char *options;     /* TASKLEAK_OPTIONS without report=; may be NULL */
    bool no_preload;         /* run without the detector (for the correct-twin baseline) */
    bool via_cli;            /* run through scripts/taskleak run -- instead of LD_PRELOAD */
    const char *const *cli_args; /* with via_cli: arguments before "--", NULL-terminated */
    const char *const *env;      /* extra NAME=VALUE strings, NULL-terminated; may be NULL */
    double timeout_s;            /* 0 = 60 s; the program is SIGKILLed after it */
};

struct th_run {
    int status;     /* exit status, or 128 + signal number when killed by one */
    int signaled;   /* WTERMSIG when killed by a signal (WIFSIGNALED), else 0 */
    bool timed_out; /* the harness killed it */
    char *out;      /* everything written to stdout, NUL-terminated */
    char *err;      /* everything written to stderr, NUL-terminated */
    char dir[256];  /* the report directory (removed by th_run_free) */
    int pid;        /* the program's pid (reports are named after it) */
};

/* Runs one program; returns 0, or -1 when it could not be started (message on stderr). */
int th_run(const struct th_opts *o, struct th_run *r);
/* Convenience: th_run with prog and options only. */
int th_run_simple(struct th_run *r, const char *prog, const char *options);
void th_run_free(struct th_run *r);

/* Loads taskleak.<pid>.<kind>.json (kind "exit", "watchdog", "check-1", "dump-1", ...) from the
 * run's report directory; pid 0 means any pid. NULL when missing or unparsable (reason on
 * stderr). The caller json_decref()s it. */
json_t *th_report(const struct th_run *r, const char *kind, int pid);
/* Number of report files in the run's directory whose name contains `part` (NULL: all). */
int th_count_reports(const struct th_run *r, const char *part);

/* Report queries. */
json_t *th_group(json_t *rep, const char *verdict, const char *reason);   /* first match or NULL */
int th_group_count(json_t *rep, const char *verdict, const char *reason); /* sum of counts */
json_t *th_stack(json_t *rep, json_t *stack_id);                          /* stacks[] entry */
bool th_stack_has(json_t *rep, json_t *stack_id, const char *function);   /* any frame named so */
json_t *th_unit(json_t *rep, const char *id);                             /* units[] entry */
/* The first unit of this kind ("thread", "task"; NULL: any) whose start function is `start`. */
json_t *th_unit_by_start(json_t *rep, const char *kind, const char *start);
/* The first unit whose blocked stack has a frame named `function` (works under ASan, whose
 * interceptor is every thread's start routine). */
json_t *th_unit_blocked_in(json_t *rep, const char *function);
/* The first unit whose verdict is `verdict` (threads under ASan all share its start routine). */
json_t *th_unit_by_verdict(json_t *rep, const char *verdict);
const char *th_str(json_t *obj, const char *key); /* a string member, or NULL */
long th_summary(json_t *rep, const char *field);  /* summary.<field> */

/* Text helpers. */
bool th_contains(const char *haystack, const char *needle);
/* The sanitizer runtime that must lead LD_PRELOAD in SANITIZE=1 builds, "" otherwise. */
const char *th_sanitizer_preload(void);
/* Path of a built artefact under the build directory, e.g. th_path("lib/libtaskleak.so"). */
const char *th_path(const char *rel);
#endif
