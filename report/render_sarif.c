/*
 * --format sarif: findings as a SARIF 2.1.0 log (OASIS Static Analysis Results Interchange
 * Format), the input of code-scanning services (GitHub code scanning, GitLab, IDE viewers).
 *
 * One run; the driver "taskleak" lists one rule per verdict (deadlocked, leaked, blocked,
 * unjoined, inversion). Each unsuppressed finding is one result: a merged group with one of those
 * verdicts, or a lock-order inversion. Its level is "error" when it fails the gate (the verdict is
 * in the process's fail_on, and under --fail-on new it is not in the baseline), "warning"
 * otherwise, so a viewer shows the same split as the exit status. With a baseline, known
 * findings say baselineState "unchanged" and the others "new".
 *
 * Location: the topmost frame of the blocked stack in the program's own code with a source file
 * (frames of system libraries under /lib, /usr/lib are skipped: their debug information, when
 * installed, names files of a source tree the user does not have), else its top frame by name
 * only (a logical location). The rest of the story goes in relatedLocations (the creation stack,
 * "created by") and in one codeFlow walking the blocked stack from the thread's start to the
 * wait. partialFingerprints carry the group's identity (a hash of the same names the baseline
 * uses), so a service tracks one leak across runs whatever the addresses.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inversion.h"
#include "render_tools.h"

#define TLR_VERSION  "0.1" /* as `taskleak --version` says */
#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"

static const char *const rules[][3] = {
    {"deadlocked", "Deadlocked threads or tasks",
     "Units wait for each other in a cycle (or for a lock whose owner is gone): none can proceed."},
    {"leaked", "Leaked threads or tasks",
     "Units still blocked when the program finished, waiting for something that never came."},
    {"blocked", "Blocked threads or tasks",
     "Units that made no progress for longer than the watchdog threshold."},
    {"unjoined", "Threads finished but never joined",
     "Threads that ended but were neither joined nor detached: their resources are leaked."},
    {"inversion", "Lock-order inversion",
     "Two locks taken in opposite orders on two paths: a deadlock waiting to happen."},
};
#define NRULES (sizeof rules / sizeof rules[0])

static int rule_index(const char *verdict)
{
    for (size_t i = 0; verdict && i < NRULES; i++)
        if (!strcmp(rules[i][0], verdict))
            return (int)i;
    return -1;
}

static json_t *text(const char *s)
{
    return json_pack("{s:s}", "text", s);
}

static json_t *driver(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < NRULES; i++) {
        char id[64];
        snprintf(id, sizeof id, "taskleak/%s", rules[i][0]);
        json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o,s:{s:s}}", "id", id, "name",
                                           rules[i][0], "shortDescription", text(rules[i][1]),
                                           "fullDescription", text(rules[i][2]),
                                           "defaultConfiguration", "level", "error"));
    }
    return json_pack("{s:s,s:s,s:o}", "name", "taskleak", "version", TLR_VERSION, "rules", a);
}

/* An artifact location: relative paths against the source root, absolute ones as file: URIs
 * with every byte outside the unreserved set percent-encoded. */
static json_t *artifact(const char *file)
{
    if (file[0] != '/')
        return json_pack("{s:s,s:s}", "uri", file, "uriBaseId", "%SRCROOT%");
    size_t n = strlen(file);
    char *u = malloc(3 * n + 8);
    if (!u)
        return json_pack("{s:s}", "uri", file);
    char *w = u + sprintf(u, "file://");
    for (const unsigned char *s = (const unsigned char *)file; *s; s++)
        w += strchr("/-._~", *s) || (*s >= '0' && *s <= '9') ||
                     ((*s | 32) >= 'a' && (*s | 32) <= 'z')
                 ? sprintf(w, "%c", *s)
                 : sprintf(w, "%%%02X", *s);
    json_t *j = json_pack("{s:s}", "uri", u);
    free(u);
    return j;
}

/* Whether the module is a system library (libc, the dynamic loader, ...): its debug
 * information names files of a source tree the user does not have. */
static bool system_module(const char *path)
{
    static const char *const dirs[] = {"/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/",
                                       "/usr/libexec/"};
    for (size_t i = 0; path && i < sizeof dirs / sizeof dirs[0]; i++)
        if (!strncmp(path, dirs[i], strlen(dirs[i])))
            return true;
    return false;
}

/* A frame's source position in the program's own code: its outermost symbolized location (the
 * real function's line); NULL for frames of system libraries or without a file. */
static const struct tlr_loc *frame_loc(const struct tlr_proc *p, const struct tlr_frame *f)
{
    const struct tlr_loc *l = f->nlocs ? &f->locs[f->nlocs - 1] : NULL;
    return l && l->file && !system_module(tlr_frame_module(p, f)) ? l : NULL;
}

/* A SARIF location for one frame: physical when the file is known, logical always. */
static json_t *location(const struct tlr_proc *p, const struct tlr_frame *f, const char *msg)
{
    char buf[256];
    const struct tlr_loc *l = frame_loc(p, f);
    json_t *o = json_object();
    if (l) {
        json_t *phys = json_pack("{s:o}", "artifactLocation", artifact(l->file));
        if (l->line > 0)
            json_object_set_new(phys, "region", json_pack("{s:i}", "startLine", l->line));
        json_object_set_new(o, "physicalLocation", phys);
    }
    json_object_set_new(o, "logicalLocations",
                        json_pack("[{s:s,s:s}]", "fullyQualifiedName",
                                  tlr_frame_display(p, f, buf, sizeof buf), "kind", "function"));
    if (msg)
        json_object_set_new(o, "message", text(msg));
    return o;
}

/* The frame a result points at: the topmost one of the program with a source file, else the
 * top one. */
static const struct tlr_frame *top_frame(const struct tlr_proc *p, const struct tlr_stack *s)
{
    for (size_t i = 0; s && i < s->nframes; i++)
        if (frame_loc(p, &s->frames[i]))
            return &s->frames[i];
    return s && s->nframes ? &s->frames[0] : NULL;
}

/* relatedLocations: every frame of the creation stack, innermost first. */
static json_t *related(const struct tlr_proc *p, const struct tlr_stack *created)
{
    json_t *a = json_array();
    for (size_t i = 0; created && i < created->nframes; i++) {
        json_t *l = location(p, &created->frames[i], i == 0 ? "created here" : "called from");
        json_object_set_new(l, "id", json_integer((json_int_t)i));
        json_array_append_new(a, l);
    }
    return a;
}

/* codeFlows: one thread flow over the stack, from the outermost frame to the wait. */
static json_t *code_flow(const struct tlr_proc *p, const struct tlr_stack *s, const char *what)
{
    json_t *locs = json_array();
    for (size_t k = s ? s->nframes : 0; k-- > 0;)
        json_array_append_new(locs, json_pack("{s:o,s:i}", "location",
                                              location(p, &s->frames[k], k == 0 ? what : NULL),
                                              "nestingLevel", (json_int_t)(s->nframes - 1 - k)));
    return json_pack("[{s:[{s:o}]}]", "threadFlows", "locations", locs);
}

static void group_message(const struct tlr_mgroup *g, char *buf, size_t len)
{
    char wait[32], fn[256];
    const struct tlr_stack *s = g->first->blocked ? g->first->blocked : g->first->created;
    const struct tlr_frame *top = top_frame(g->proc, s);
    tlr_fmt_duration(g->wait_max, wait, sizeof wait);
    int n = snprintf(buf, len, "%lld %s %s", g->count, tlr_kind_word(g->first->kind, g->count),
                     g->first->verdict);
    if (g->first->reason && n > 0 && (size_t)n < len)
        n += snprintf(buf + n, len - (size_t)n, " [%s, %s]", g->first->reason, wait);
    if (top && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " in %s (%s, pid %lld%s)",
                 tlr_frame_display(g->proc, top, fn, sizeof fn), g->proc->exe ? g->proc->exe : "?",
                 g->proc->pid, g->nocc > 1 ? ", and other processes" : "");
}

/* FNV-1a of the identity, as hex: a stable fingerprint of the group across runs. */
static void fingerprint(const char *key, char *out)
{
    unsigned long long h = 1469598103934665603ULL;
    for (const unsigned char *s = (const unsigned char *)key; *s; s++)
        h = (h ^ *s) * 1099511628211ULL;
    sprintf(out, "%016llx", h);
}

static json_t *group_result(const struct tlr_mgroup *g, const struct tlr_render_opts *o, int rule)
{
    char msg[1024], id[64], fp[24];
    const struct tlr_group *gr = g->first;
    const struct tlr_stack *s = gr->blocked ? gr->blocked : gr->created;
    const struct tlr_frame *top = top_frame(g->proc, s);
    group_message(g, msg, sizeof msg);
    snprintf(id, sizeof id, "taskleak/%s", rules[rule][0]);
    fingerprint(g->key, fp);
    json_t *r = json_pack("{s:s,s:i,s:s,s:o,s:[],s:{s:s}}", "ruleId", id, "ruleIndex", rule,
                          "level", tlr_gate_fails(g, o->fail_on) ? "error" : "warning", "message",
                          text(msg), "locations", "partialFingerprints", "taskleakIdentity/v1", fp);
    if (top)
        json_array_append_new(json_object_get(r, "locations"), location(g->proc, top, NULL));
    if (gr->blocked)
        json_object_set_new(r, "codeFlows", code_flow(g->proc, gr->blocked, gr->reason));
    if (gr->created)
        json_object_set_new(r, "relatedLocations", related(g->proc, gr->created));
    if (o->have_baseline)
        json_object_set_new(r, "baselineState", json_string(g->known ? "unchanged" : "new"));
    json_object_set_new(
        r, "properties",
        json_pack("{s:I,s:I}", "count", (json_int_t)g->count, "wait_ms", (json_int_t)g->wait_max));
    return r;
}

/* One inversion: located at the first edge's acquiring frame, every edge's stack a flow. */
static json_t *inversion_result(const struct tlr_proc *p, const struct tlr_inversion *x,
                                const struct tlr_render_opts *o)
{
    char msg[1024];
    int n =
        snprintf(msg, sizeof msg,
                 "lock-order inversion: %zu locks taken in a cycle in %s (pid %lld):", x->nobjects,
                 p->exe ? p->exe : "?", p->pid);
    for (size_t i = 0; i < x->nobjects && n > 0 && (size_t)n < sizeof msg; i++)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "%s %s", i ? " ->" : "", x->objects[i]);
    bool fails = o->fail_on != TLR_FAIL_NONE && tlr_fails_on(p, "inversion");
    json_t *r = json_pack("{s:s,s:i,s:s,s:o,s:[],s:[]}", "ruleId", "taskleak/inversion",
                          "ruleIndex", (int)NRULES - 1, "level", fails ? "error" : "warning",
                          "message", text(msg), "locations", "codeFlows");
    for (size_t e = 0; e < x->nedges; e++) {
        const struct tlr_inv_edge *d = &x->edges[e];
        const struct tlr_stack *s = tlr_proc_stack(p, d->acquired_stack);
        const struct tlr_frame *top = top_frame(p, s);
        if (top && e == 0)
            json_array_append_new(json_object_get(r, "locations"), location(p, top, NULL));
        json_t *flow = s ? code_flow(p, s, d->acquired ? d->acquired : "acquires") : NULL;
        if (flow)
            json_array_extend(json_object_get(r, "codeFlows"), flow);
        json_decref(flow);
    }
    return r;
}

static void add_results(json_t *results, const struct tlr_merged *m,
                        const struct tlr_render_opts *o)
{
    for (size_t i = 0; i < m->ngroups; i++) {
        const struct tlr_mgroup *g = m->groups[i];
        int rule = rule_index(g->first->verdict);
        if (!g->suppressed_by && rule >= 0 && rule < (int)NRULES - 1)
            json_array_append_new(results, group_result(g, o, rule));
    }
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t k = 0; k < m->procs[i].ninversions; k++)
            if (!m->procs[i].inversions[k].suppressed)
                json_array_append_new(
                    results, inversion_result(&m->procs[i], &m->procs[i].inversions[k], o));
}

int tlr_render_sarif(FILE *out, const struct tlr_merged *m, const struct tlr_render_opts *o)
{
    json_t *results = json_array();
    add_results(results, m, o);
    json_t *doc = json_pack("{s:s,s:s,s:[{s:{s:o},s:o,s:s}]}", "$schema", SARIF_SCHEMA, "version",
                            "2.1.0", "runs", "tool", "driver", driver(), "results", results,
                            "columnKind", "utf16CodeUnits");
    if (!doc)
        return -1;
    int r =
        json_dumpf(doc, out, JSON_INDENT(2) | JSON_ENSURE_ASCII) == 0 && fputc('\n', out) != EOF;
    json_decref(doc);
    return r && !ferror(out) ? 0 : -1;
}
