/*
 * Shared helpers of the reliability suites (issue 9): run one of the programs built from
 * tests/reliability/progs/ under the detector (or without it, for the baseline) and check the
 * usual things once. Only the reliability suites include this; every helper is static.
 */
#ifndef REL_TEST_H
#define REL_TEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

/* Fast leak checks; the watchdog never fires unless a test asks for it. */
#define REL_OPTS "grace=200ms:threshold=60s"


/* Path of a reliability program. */
static inline const char *rel_prog(const char *name)
{
    static char path[1024];
    char rel[512];
    snprintf(rel, sizeof rel, "tests/reliability/%s", name);
    snprintf(path, sizeof path, "%s", th_path(rel)); /* th_path's buffer is reused */
    return path;
}

/* Runs NAME with argv ARGS (NULL-terminated, may be NULL) and options; fails the test when the
 * program could not start or timed out. */
static inline void rel_run(struct th_run *r, const char *name, const char *const *args,
                           const char *options, bool preload, double timeout_s)
{
    struct th_opts o = {.prog = rel_prog(name),
                        .argv = args,
                        .options = options,
                        .no_preload = !preload,
                        .timeout_s = timeout_s};
    ck_assert_int_eq(th_run(&o, r), 0);
    ck_assert_msg(!r->timed_out, "%s timed out; stderr:\n%.2000s", name, r->err);
}

/* Runs with and without the detector; stdout and the status must be identical. Returns the
 * preloaded run's stdout (caller frees). */
static inline char *rel_same_as_baseline(const char *name, const char *const *args,
                                         double timeout_s)
{
    struct th_run base, pre;
    rel_run(&base, name, args, NULL, false, timeout_s);
    rel_run(&pre, name, args, REL_OPTS, true, timeout_s);
    ck_assert_msg(
        strcmp(base.out, pre.out) == 0,
        "%s: stdout differs under the detector\n--- without:\n%s--- with:\n%s\nstderr:\n%.2000s",
        name, base.out, pre.out, pre.err);
    ck_assert_int_eq(pre.status, base.status);
    char *out = strdup(pre.out);
    th_run_free(&base);
    th_run_free(&pre);
    return out;
}

/* Loads the run's exit report (pid of the run) or fails. */
static inline json_t *rel_exit_report(const struct th_run *r)
{
    json_t *rep = th_report(r, "exit", r->pid);
    ck_assert_msg(rep != NULL, "no exit report; stderr:\n%.2000s", r->err);
    return rep;
}

/* A one-line description of the report's units, for failure messages. */
static inline const char *rel_units(json_t *rep)
{
    static char buf[2048];
    size_t n = 0, i;
    json_t *u;
    buf[0] = 0;
    json_array_foreach(json_object_get(rep, "units"), i, u)
    {
        const char *name = json_string_value(json_object_get(u, "name"));
        int k = snprintf(buf + n, sizeof buf - n, "%s(%s,%s,%s) ",
                         json_string_value(json_object_get(u, "id")), name ? name : "-",
                         json_string_value(json_object_get(u, "state")),
                         json_string_value(json_object_get(u, "verdict")));
        if (k < 0 || (size_t)k >= sizeof buf - n)
            break;
        n += (size_t)k;
    }
    return buf;
}

/* The exit report says nothing leaked, deadlocked or blocked. */
static inline void rel_assert_clean(json_t *rep)
{
    ck_assert_msg(th_summary(rep, "leaked") == 0 && th_summary(rep, "deadlocked") == 0 &&
                      th_summary(rep, "blocked") == 0,
                  "report not clean: %s", rel_units(rep));
}

/* Runs NAME under the detector (REL_OPTS plus `extra`), which must exit 0 printing exactly
 * `want_out`, with a clean exit report; returns the report for further checks (the caller
 * json_decref()s it and frees r). */
static inline json_t *rel_run_clean(struct th_run *r, const char *name, const char *const *args,
                                    const char *extra, double timeout_s, const char *want_out)
{
    char opts[256];
    snprintf(opts, sizeof opts, "%s%s", REL_OPTS, extra != NULL ? extra : "");
    rel_run(r, name, args, opts, true, timeout_s);
    ck_assert_msg(r->status == 0, "%s: status %d; stderr:\n%.2000s", name, r->status, r->err);
    ck_assert_str_eq(r->out, want_out);
    json_t *rep = rel_exit_report(r);
    rel_assert_clean(rep);
    return rep;
}

/* User nobody cannot reach the build tree when the checkout sits under a private (0700) directory
 * such as /root or one made by mktemp -d. The programs it runs and the detector it loads are
 * therefore copied, modes and set-user-ID bits kept, into a directory anyone may read; *dir
 * receives it (the caller removes it with rel_nobody_copies_remove). */
static inline void rel_nobody_copies(char *dir, size_t n, const char *const *progs)
{
    char cmd[8192];
    snprintf(dir, n, "/tmp/rel-nobody-XXXXXX");
    ck_assert(mkdtemp(dir) != NULL);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    int len = snprintf(cmd, sizeof cmd, "cp -p %s", th_path("lib/libtaskleak.so"));
    for (const char *const *p = progs; *p != NULL; p++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %s", rel_prog(*p));
    snprintf(cmd + len, sizeof cmd - (size_t)len, " %s/", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static inline void rel_nobody_copies_remove(const char *dir)
{
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

#endif
