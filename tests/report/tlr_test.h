/*
 * Helpers shared by the report tool's suites (static, header-only: the runner compiles only
 * check_*.c files). Fixtures live in tests/report/fixtures; TLR_TEST_REPORTS (a ':'-separated
 * list of directories) points the input-driven suite at other reports, such as those the
 * scenario programs write.
 */
#ifndef TLR_TEST_H
#define TLR_TEST_H

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define TLR_FIXTURES TH_SRC_DIR "/tests/report/fixtures"

/* A fixture's path (static buffer, one at a time per call site is enough). */
static inline const char *tlr_fixture(const char *name)
{
    static char buf[8][1024];
    static int n;
    char *b = buf[n++ % 8];
    snprintf(b, 1024, "%s/%s", TLR_FIXTURES, name);
    return b;
}

static inline char *tlr_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

struct tlr_cli_run {
    int status;
    char *out, *err; /* everything written to stdout / stderr */
};

/* Runs tlr_cli_main in this (forked test) process with stdout and stderr captured. args is
 * NULL-terminated and excludes argv[0]. */
static inline struct tlr_cli_run tlr_run(const char *const *args)
{
    char *argv[64] = {(char *)"taskleak-report"};
    int argc = 1;
    for (; args[argc - 1] && argc < 63; argc++)
        argv[argc] = (char *)args[argc - 1];
    char out[] = "/tmp/tlr-out.XXXXXX", err[] = "/tmp/tlr-err.XXXXXX";
    int fo = mkstemp(out), fe = mkstemp(err);
    ck_assert(fo >= 0 && fe >= 0);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    dup2(fo, 1);
    dup2(fe, 2);
    struct tlr_cli_run r = {.status = tlr_cli_main(argc, argv)};
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    close(fo);
    close(fe);
    r.out = tlr_slurp(out);
    r.err = tlr_slurp(err);
    unlink(out);
    unlink(err);
    return r;
}

static inline void tlr_run_free(struct tlr_cli_run *r)
{
    free(r->out);
    free(r->err);
}

/* Number of lines of s. */
static inline int tlr_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static inline int tlr_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static char tlr_tmp[8][32];
static int tlr_ntmp;

static inline void tlr_tmp_cleanup(void)
{
    for (int i = 0; i < tlr_ntmp; i++)
        nftw(tlr_tmp[i], tlr_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* A fresh empty temporary directory, removed with its contents when the (forked) test exits. */
static inline const char *tlr_tmpdir(void)
{
    ck_assert_int_lt(tlr_ntmp, 8);
    char *d = tlr_tmp[tlr_ntmp];
    strcpy(d, "/tmp/tlr-test.XXXXXX");
    ck_assert(mkdtemp(d) != NULL);
    if (tlr_ntmp++ == 0)
        atexit(tlr_tmp_cleanup);
    return d;
}

#endif
