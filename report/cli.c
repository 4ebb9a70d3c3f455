/*
 * The command line (contract in cli.h).
 *
 * Order of work: parse arguments (usage errors first, before any file is touched), read the
 * suppressions and the baseline, expand PATHs (directories give their *.json files in name
 * order), load every report (all units only when the output needs them), merge, symbolize
 * unless told not to, mark with the gate, render, and only then decide the exit status.
 * An unreadable or invalid report file is named on stderr (one line: file and field) and the
 * others are still read and rendered, but the status is 2 whatever they hold: a CI job must
 * never pass on a report it could not read. Unreadable suppressions or baseline stop the run
 * with status 2 before any output, since every verdict depends on them.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gate.h"
#include "inversion.h"
#include "load.h"
#include "merge.h"
#include "output.h"
#include "reemit.h"
#include "render.h"
#include "render_tools.h"
#include "supp.h"
#include "symbolize.h"
#include "tl_vec.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_HTML, FMT_FOLDED, FMT_PPROF, FMT_SARIF, FMT_TASKLEAK };

struct cli {
    enum fmt format;
    const char *out, *baseline, *supp_path, *verdict;
    enum tlr_fail_on fail_on;
    bool verbose, no_symbolize;
    enum tlr_pp_stack stack; /* --stack: which stack pprof samples show */
    char **paths;            /* PATH arguments (borrowed from argv) */
    size_t npaths;
};

static const char usage[] =
    "usage: taskleak-report [--format text|json|html|folded|pprof|sarif|taskleak] [-o OUT]\n"
    "                       [--baseline FILE] [--fail-on any|new|none] [--suppressions FILE]\n"
    "                       [--stack blocked|created] [--verdict V] [--verbose] [--no-symbolize]\n"
    "                       PATH...\n"
    "PATH: taskleak/1 report files, or directories of *.json reports.\n"
    "Exit status: 0 nothing failing, 1 failing findings, 2 bad usage or unreadable input.\n";

static int usage_error(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));
static int usage_error(const char *fmt, const char *arg)
{
    char msg[1024];
    snprintf(msg, sizeof msg, fmt, arg);
    tlr_say("%s (see taskleak-report --help)", msg);
    return -1;
}

/* Option value: "--opt=value" or the next argument. */
static const char *value(int argc, char **argv, int *i, const char *opt)
{
    size_t n = strlen(opt);
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static bool is_opt(const char *arg, const char *opt)
{
    size_t n = strlen(opt);
    return !strncmp(arg, opt, n) && (arg[n] == 0 || arg[n] == '=');
}

static int parse_format(const char *v, enum fmt *f)
{
    static const char *const names[] = {"text",  "json",  "html",    "folded",
                                        "pprof", "sarif", "taskleak"};
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (!strcmp(v, names[i])) {
            *f = (enum fmt)i;
            return 0;
        }
    return usage_error(
        "unknown format \"%s\" (expected text, json, html, folded, pprof, sarif or taskleak)", v);
}

static int parse_stack(const char *v, enum tlr_pp_stack *s)
{
    if (strcmp(v, "blocked") && strcmp(v, "created"))
        return usage_error("unknown --stack \"%s\" (expected blocked or created)", v);
    *s = !strcmp(v, "created") ? TLR_PP_CREATED : TLR_PP_BLOCKED;
    return 0;
}

/* --verdict V (folded stacks of one verdict). */
static int parse_verdict(struct cli *c, const char *v)
{
    static const char *const names[] = {"leaked", "unjoined", "deadlocked", "blocked", "unjudged"};
    if (!v || !*v)
        return usage_error("%s needs a value", "--verdict");
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (!strcmp(v, names[k]))
            return c->verdict = v, 0;
    return usage_error(
        "unknown --verdict \"%s\" (expected leaked, unjoined, deadlocked, blocked or unjudged)", v);
}

/* One option at argv[*i]; 0, 1 for --help, -1 on a usage error. */
static int parse_opt(struct cli *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    static const char *const valued[] = {
        "--format", "-o", "--output", "--baseline", "--fail-on", "--suppressions", "--stack"};
    if (!strcmp(a, "--help") || !strcmp(a, "-h"))
        return 1;
    if (!strcmp(a, "--verbose") || !strcmp(a, "-v"))
        return c->verbose = true, 0;
    if (!strcmp(a, "--no-symbolize"))
        return c->no_symbolize = true, 0;
    if (is_opt(a, "--verdict"))
        return parse_verdict(c, value(argc, argv, i, "--verdict"));
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
        if (!is_opt(a, valued[k]))
            continue;
        if (!(v = value(argc, argv, i, valued[k])) || !*v)
            return usage_error("%s needs a value", valued[k]);
        if (k == 0)
            return parse_format(v, &c->format);
        if (k == 1 || k == 2)
            return c->out = v, 0;
        if (k == 3)
            return c->baseline = v, 0;
        if (k == 4)
            return tlr_fail_on_parse(v, &c->fail_on) < 0
                       ? usage_error("unknown --fail-on \"%s\" (expected any, new or none)", v)
                       : 0;
        if (k == 5)
            return c->supp_path = v, 0;
        return parse_stack(v, &c->stack);
    }
    return usage_error("unknown option %s", a);
}

static int parse_args(struct cli *c, int argc, char **argv)
{
    bool only_paths = false;
    c->paths = calloc((size_t)argc + 1, sizeof *c->paths);
    if (!c->paths)
        return usage_error("%s", "out of memory");
    for (int i = 1; i < argc; i++) {
        if (only_paths || argv[i][0] != '-' || !strcmp(argv[i], "-")) {
            c->paths[c->npaths++] = argv[i];
        } else if (!strcmp(argv[i], "--")) {
            only_paths = true;
        } else {
            int r = parse_opt(c, argc, argv, &i);
            if (r != 0)
                return r;
        }
    }
    if (c->npaths == 0)
        return usage_error("%s", "no report files or directories given");
    if (c->format == FMT_PPROF && (!c->out || !strcmp(c->out, "-")) && isatty(STDOUT_FILENO))
        return usage_error("%s", "--format pprof writes gzipped binary data: give -o FILE.pb.gz "
                                 "or redirect stdout");
    if (c->verdict && c->format != FMT_FOLDED)
        return usage_error("%s", "--verdict applies to --format folded only");
    return 0;
}

/* A growing list of file names. */
struct names {
    char **v;
    size_t n, cap;
};

static int names_add(struct names *l, char *s)
{
    if (!s)
        return -1;
    if (TL_VEC_PUSH_SLOT(l->v, l->cap, l->n) != 0) {
        free(s);
        return -1;
    }
    l->v[l->n++] = s;
    return 0;
}

static void names_free(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int json_name(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".json");
}

/* Adds dir's *.json files to l in name order. 0; -1 with a message when the directory cannot be
 * read or holds no report; -2 when out of memory. */
static int expand_dir(const char *dir, struct names *l)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, json_name, alphasort), r = 0;
    if (n < 0) {
        tlr_say("%s: cannot read directory: %s", dir, strerror(errno));
        return -1;
    }
    if (n == 0) {
        tlr_say("%s: no *.json reports in this directory", dir);
        r = -1;
    }
    for (int i = 0; i < n; i++) {
        char *p = NULL;
        if (r == 0 && (asprintf(&p, "%s/%s", dir, ents[i]->d_name) < 0 || names_add(l, p) < 0))
            r = -2;
        free(ents[i]);
    }
    free(ents);
    return r;
}

/* Expands the PATH arguments into report files. A PATH that is missing or an unreadable
 * directory is named on stderr and sets *bad; the others are still expanded. -1 only when out of
 * memory. */
static int expand_paths(const struct cli *c, struct names *l, bool *bad)
{
    for (size_t i = 0; i < c->npaths; i++) {
        struct stat st;
        int r;
        if (stat(c->paths[i], &st) < 0) {
            tlr_say("%s: cannot open: %s", c->paths[i], strerror(errno));
            r = -1;
        } else {
            r = S_ISDIR(st.st_mode) ? expand_dir(c->paths[i], l)
                                    : names_add(l, strdup(c->paths[i])) < 0 ? -2 : 0;
        }
        if (r == -2)
            return -1;
        *bad |= r < 0;
    }
    return 0;
}

/* Loads every file; a file that cannot be read or breaks the schema is named on stderr (one line)
 * and sets *bad, and the others are still loaded. -1 only when out of memory. */
static int load_all(const struct names *l, unsigned flags, struct tlr_merged *m, bool *bad)
{
    char err[512];
    m->procs = calloc(l->n + 1, sizeof *m->procs);
    if (!m->procs)
        return -1;
    for (size_t i = 0; i < l->n; i++) {
        if (tlr_load_file(l->v[i], flags, &m->procs[m->nprocs], err, sizeof err) < 0) {
            tlr_say("%s", err);
            *bad = true;
            continue;
        }
        m->nprocs++;
    }
    return 0;
}

static int render(FILE *f, const struct cli *c, const struct tlr_merged *m,
                  const struct tlr_render_opts *o)
{
    static int (*const renderers[])(FILE *, const struct tlr_merged *,
                                    const struct tlr_render_opts *) = {
        tlr_render_text, tlr_render_json, tlr_render_html, tlr_render_folded, NULL,
        tlr_render_sarif, tlr_render_taskleak};
    if (c->format == FMT_PPROF)
        return tlr_render_pprof(f, m, o, c->stack);
    return renderers[c->format](f, m, o);
}

static bool want_colour(const struct cli *c)
{
    const char *term = getenv("TERM");
    return c->format == FMT_TEXT && !c->out && isatty(STDOUT_FILENO) && !getenv("NO_COLOR") &&
           term && strcmp(term, "dumb") != 0;
}

/* Renders to stdout or through a temporary file renamed over c->out. */
static int emit(const struct cli *c, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    struct tlr_out out;
    char err[512];
    if (tlr_out_open(&out, c->out, err, sizeof err) < 0) {
        tlr_say("%s", err);
        return -1;
    }
    int r = render(out.f, c, m, o);
    if (tlr_out_commit(&out, r, err, sizeof err) < 0) {
        tlr_say("%s", err);
        return -1;
    }
    return 0;
}

/* Everything after argument parsing; returns the exit status. A bad input file costs status 2,
 * but the readable ones are still merged and rendered (nothing is rendered when none is). */
static int run(struct cli *c, struct tlr_supp *supp, struct tlr_baseline *base,
               struct tlr_merged *m)
{
    char err[512];
    struct names files = {0};
    bool bad = false;
    if (c->supp_path && tlr_supp_load(c->supp_path, supp, err, sizeof err) < 0)
        return tlr_say("%s", err), TLR_EXIT_USAGE;
    if (c->baseline && tlr_baseline_load(c->baseline, base, err, sizeof err) < 0)
        return tlr_say("%s", err), TLR_EXIT_USAGE;
    bool all_units = c->verbose || c->format == FMT_JSON || c->format == FMT_TASKLEAK ||
                     tlr_supp_needs_units(supp);
    unsigned flags = all_units                ? TLR_LOAD_ALL_UNITS
                     : c->format == FMT_PPROF ? TLR_LOAD_SOME_UNITS /* for unit_name labels */
                                              : 0;
    int r = expand_paths(c, &files, &bad) < 0 || load_all(&files, flags, m, &bad) < 0 ? -1 : 0;
    names_free(&files);
    if (r < 0 || tlr_merge(m) < 0)
        return tlr_say("out of memory"), TLR_EXIT_USAGE;
    if (m->nprocs == 0)
        return TLR_EXIT_USAGE; /* every input was bad, and each was named */
    if (c->format == FMT_TASKLEAK && m->nprocs != 1)
        return tlr_say("--format taskleak writes the report of one process; the inputs are of %zu",
                       m->nprocs),
               TLR_EXIT_USAGE;
    if (!c->no_symbolize && c->format != FMT_TASKLEAK) /* it writes what was read */
        tlr_symbolize(m, all_units);
    tlr_gate_mark(m, c->baseline ? base : NULL, supp);
    tlr_inv_mark(m, supp);
    struct tlr_render_opts o = {.color = want_colour(c),
                                .verbose = c->verbose,
                                .have_baseline = c->baseline != NULL,
                                .fail_on = c->fail_on,
                                .supp = supp,
                                .verdict = c->verdict};
    if (emit(c, m, &o) < 0 || bad)
        return TLR_EXIT_USAGE;
    size_t inversions = c->fail_on != TLR_FAIL_NONE ? tlr_inv_count(m) : 0;
    return tlr_gate_failing(m, c->fail_on) + inversions ? TLR_EXIT_FAILING : TLR_EXIT_OK;
}

int tlr_cli_main(int argc, char **argv)
{
    struct cli c = {.format = FMT_TEXT, .fail_on = TLR_FAIL_ANY};
    struct tlr_supp supp = {0};
    struct tlr_baseline base = {0};
    struct tlr_merged m = {0};
    int pr = parse_args(&c, argc, argv), status;
    if (pr == 1) {
        fputs(usage, stdout);
        status = TLR_EXIT_OK;
    } else if (pr < 0) {
        status = TLR_EXIT_USAGE;
    } else {
        status = run(&c, &supp, &base, &m);
    }
    tlr_merged_free(&m);
    tlr_baseline_free(&base);
    tlr_supp_free(&supp);
    free(c.paths);
    fflush(stdout);
    return status;
}
