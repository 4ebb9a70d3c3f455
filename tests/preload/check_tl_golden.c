/*
 * Golden files, one set per report kind (exit, check, watchdog, dump, deadlock, signal): one
 * hand-made report model, the same for every run and machine, rendered by the detector as text
 * (<kind>.txt) and JSON (<kind>.json), and that JSON rendered by taskleak-report as text
 * (<kind>.report.txt). A change to any of the three formats shows up as a diff against
 * tests/golden/. What differs between runs is normalized first: the pid, the program's path,
 * addresses and offsets ("0x…"), module paths (base names), build ids and times. The first line
 * and the SUMMARY line must read the same in the detector's text and the tool's.
 *
 * One JSON emitter: the detector's document, loaded by taskleak-report and written back as
 * taskleak/1, is the same bytes, and so is each golden JSON file.
 *
 * After a deliberate format change, regenerate the files and review the diff:
 *
 *     TL_GOLDEN_UPDATE=1 CK_RUN_SUITE=tl_golden build/tests/check_all && git diff tests/golden
 */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tl_ctx.h"
#include "tl_group.h"
#include "tl_options.h"
#include "tl_report.h"
#include "tl_stack.h"
#include "tl_symbols.h"
#include "tl_text.h"

#define GOLDEN_DIR TH_SRC_DIR "/tests/golden"
#define NOINLINE   __attribute__((noinline, used))

/* The program's functions the model's stacks name (their addresses are symbolized for real). */
NOINLINE void golden_worker(void)
{
    __asm__ volatile("");
}
NOINLINE void golden_pool_start(void)
{
    __asm__ volatile("");
}
NOINLINE void golden_main(void)
{
    __asm__ volatile("");
}
NOINLINE void golden_lock_ab(void)
{
    __asm__ volatile("");
}
NOINLINE void golden_lock_ba(void)
{
    __asm__ volatile("");
}
int golden_queue_cond[12]; /* the objects units wait on */
int golden_lock_a[10], golden_lock_b[10], golden_lock_c[10];

#define FN(f) ((uintptr_t)(f) + 1) /* a return address inside f */

static tl_stack_id stack(const char *call, uintptr_t a, uintptr_t b)
{
    uintptr_t ips[3];
    int n = 0;
    if (call)
        ips[n++] = tl_stack_call_frame(call);
    ips[n++] = a;
    if (b)
        ips[n++] = b;
    return tl_stack_intern(ips, n);
}

struct spec {
    const char *kind;
    enum tl_build_mode mode;
};

static struct tl_rep_unit *unit(struct tl_report *r, const char *id, const char *verdict,
                                const char *state)
{
    struct tl_rep_unit *u = &r->units[r->n++];
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", id);
    u->kind = TL_KIND_THREAD;
    u->tid = 4000 + (pid_t)r->n;
    u->verdict = verdict;
    u->state = state;
    u->exited_ms = -1;
    return u;
}

static void wait_on(struct tl_rep_unit *u, const char *reason, const char *call, void *obj,
                    const char *name, int64_t ms)
{
    u->has_wait = true;
    u->wait.reason = reason;
    u->wait.call = call;
    u->wait.object = (uintptr_t)obj;
    u->wait_ms = ms;
    snprintf(u->object_name, sizeof u->object_name, "%s", name);
}

static void group(struct tl_report *r, size_t first, size_t count)
{
    struct tl_rep_group *g = &r->groups[r->ngroups++];
    const struct tl_rep_unit *u = &r->units[first];
    g->verdict = u->verdict;
    g->kind = u->kind;
    g->reason = u->has_wait ? u->wait.reason : NULL;
    g->created_stack = u->created_stack;
    g->blocked_stack = u->blocked_stack;
    g->members = calloc(count, sizeof *g->members);
    g->count = count;
    g->wait_min = g->wait_max = u->has_wait ? u->wait_ms : 0;
    for (size_t k = 0; k < count; k++) {
        g->members[k] = first + k;
        int64_t ms = r->units[first + k].wait_ms;
        g->wait_min = ms < g->wait_min ? ms : g->wait_min;
        g->wait_max = ms > g->wait_max ? ms : g->wait_max;
    }
}

/* The main thread, running (a dump's and a signal report's unit without a verdict). */
static void main_thread(struct tl_report *r)
{
    unit(r, "thread:1", NULL, "running");
    group(r, r->n - 1, 1);
}

/* Three pool workers waiting on the queue's condition variable, created by the main thread. */
static void pool(struct tl_report *r, const char *verdict, const char *state)
{
    size_t first = r->n;
    tl_stack_id created = stack("pthread_create", FN(golden_pool_start), FN(golden_main));
    tl_stack_id blocked = stack("pthread_cond_wait", FN(golden_worker), 0);
    for (int k = 0; k < 3; k++) {
        char id[16];
        snprintf(id, sizeof id, "thread:%d", k + 2);
        struct tl_rep_unit *u = unit(r, id, verdict, state);
        wait_on(u, "cond wait", "pthread_cond_wait", golden_queue_cond + 4, "golden_queue_cond+16",
                12000 + 1000 * k);
        u->start = (uintptr_t)golden_worker;
        snprintf(u->created_by, sizeof u->created_by, "thread:1");
        snprintf(u->name, sizeof u->name, "worker-%d", k);
        u->created_stack = created;
        u->blocked_stack = blocked;
    }
    group(r, first, 3);
}

/* A worker that finished and was never joined. */
static void finished(struct tl_report *r)
{
    struct tl_rep_unit *u = unit(r, "thread:5", "unjoined", "exited");
    u->start = (uintptr_t)golden_worker;
    u->exited_ms = 2500;
    snprintf(u->created_by, sizeof u->created_by, "thread:1");
    u->created_stack = stack("pthread_create", FN(golden_pool_start), FN(golden_main));
    group(r, r->n - 1, 1);
    r->unjoined++;
}

/* Two threads that took golden_lock_a and golden_lock_b in opposite orders. */
static void abba(struct tl_report *r, const char *verdict)
{
    size_t first = r->n;
    struct tl_rep_unit *a = unit(r, "thread:6", verdict, "blocked");
    struct tl_rep_unit *b = unit(r, "thread:7", verdict, "blocked");
    wait_on(a, "mutex lock", "pthread_mutex_lock", golden_lock_b, "golden_lock_b", 4000);
    wait_on(b, "mutex lock", "pthread_mutex_lock", golden_lock_a, "golden_lock_a", 4000);
    a->start = (uintptr_t)golden_lock_ab;
    b->start = (uintptr_t)golden_lock_ba;
    snprintf(a->owner, sizeof a->owner, "thread:7");
    snprintf(b->owner, sizeof b->owner, "thread:6");
    a->owner_tid = b->tid;
    b->owner_tid = a->tid;
    tl_stack_id created = stack("pthread_create", FN(golden_main), 0);
    a->created_stack = b->created_stack = created;
    a->blocked_stack = stack("pthread_mutex_lock", FN(golden_lock_ab), 0);
    b->blocked_stack = stack("pthread_mutex_lock", FN(golden_lock_ba), 0);
    snprintf(a->created_by, sizeof a->created_by, "thread:1");
    snprintf(b->created_by, sizeof b->created_by, "thread:1");
    group(r, first, 1);
    group(r, first + 1, 1);
}

/* A worker that exited holding golden_lock_c (its record still in the model: the report names
 * it and shows where it was created) and a thread waiting for that lock forever. */
static void orphan(struct tl_report *r)
{
    struct tl_rep_unit *o = unit(r, "thread:5", NULL, "exited");
    o->start = (uintptr_t)golden_worker;
    o->exited_ms = 2500;
    snprintf(o->created_by, sizeof o->created_by, "thread:1");
    o->created_stack = stack("pthread_create", FN(golden_pool_start), FN(golden_main));
    pid_t gone = o->tid;
    struct tl_rep_unit *w = unit(r, "thread:8", "deadlocked", "blocked");
    wait_on(w, "mutex lock", "pthread_mutex_lock", golden_lock_c, "golden_lock_c", 5000);
    w->start = (uintptr_t)golden_lock_ab;
    snprintf(w->created_by, sizeof w->created_by, "thread:1");
    snprintf(w->owner, sizeof w->owner, "thread:5");
    w->owner_tid = gone;
    w->created_stack = stack("pthread_create", FN(golden_main), 0);
    w->blocked_stack = stack("pthread_mutex_lock", FN(golden_lock_ab), 0);
    group(r, r->n - 1, 1);
    r->deadlocks = calloc(1, sizeof *r->deadlocks);
    r->deadlocks[0].members = calloc(1, sizeof(size_t));
    r->deadlocks[0].members[0] = r->n - 1;
    r->deadlocks[0].count = 1;
    r->ndeadlocks = 1;
    r->deadlocked = 1;
}

static struct tl_options opts; /* the defaults (each test fills them) */

static void model(struct tl_report *r, const struct spec *s)
{
    memset(r, 0, sizeof *r);
    r->mode = s->mode;
    r->opts = &opts;
    r->kind = s->kind;
    snprintf(r->file_kind, sizeof r->file_kind, "%s%s", s->kind,
             s->mode == TL_BUILD_CHECK ? "-1" : "");
    r->units = calloc(16, sizeof *r->units);
    r->groups = calloc(16, sizeof *r->groups);
    r->modmap = tl_modmap_take();
    r->written_ms = 1796659200000; /* 2026-12-07T00:00:00Z */
    r->threads_created = 6;
    switch (s->mode) {
    case TL_BUILD_EXIT:
    case TL_BUILD_CHECK:
        pool(r, "leaked", "blocked");
        finished(r);
        r->leaked = 3;
        break;
    case TL_BUILD_WATCHDOG:
        abba(r, "blocked");
        r->blocked = 2;
        orphan(r);
        break;
    case TL_BUILD_DUMP:
        main_thread(r);
        pool(r, NULL, "blocked");
        break;
    case TL_BUILD_DEADLOCK:
        abba(r, "deadlocked");
        r->deadlocked = 2;
        r->all_asleep = true;
        r->deadlocks = calloc(1, sizeof *r->deadlocks);
        r->deadlocks[0].members = calloc(2, sizeof(size_t));
        r->deadlocks[0].members[0] = 0;
        r->deadlocks[0].members[1] = 1;
        r->deadlocks[0].count = 2;
        r->ndeadlocks = 1;
        break;
    case TL_BUILD_SIGNAL:
        main_thread(r);
        pool(r, "leaked", "blocked");
        r->leaked = 3;
        r->signal = SIGTERM;
        break;
    }
    for (size_t k = 0; k < r->n; k++)
        r->alive += strcmp(r->units[k].state, "exited") != 0;
    tl_group_sort(r); /* as every build does */
}

/* Units share their stacks here, so the model is freed without tl_report_free's unref per unit. */
static void model_free(struct tl_report *r)
{
    for (size_t k = 0; k < r->ngroups; k++)
        free(r->groups[k].members);
    for (size_t k = 0; k < r->ndeadlocks; k++)
        free(r->deadlocks[k].members);
    free(r->units);
    free(r->groups);
    free(r->deadlocks);
    tl_modmap_free(r->modmap);
}

/* ---- normalizing -------------------------------------------------------------------------- */

static char *replace_all(char *s, const char *from, const char *to)
{
    size_t nf = strlen(from), nt = strlen(to);
    if (nf == 0)
        return s;
    for (char *p = strstr(s, from); p != NULL; p = strstr(p + nt, from)) {
        size_t at = (size_t)(p - s), len = strlen(s);
        char *n = malloc(len - nf + nt + 1);
        memcpy(n, s, at);
        memcpy(n + at, to, nt);
        memcpy(n + at + nt, s + at + nf, len - at - nf + 1);
        free(s);
        s = n;
        p = s + at;
    }
    return s;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Every hexadecimal number "0x1a2b" becomes "0x…" (in JSON "0x0", which readers still parse). */
static char *hex_out(char *s, bool json)
{
    char *out = malloc(2 * strlen(s) + 1), *w = out;
    for (const char *p = s; *p;) {
        if (p[0] == '0' && p[1] == 'x' && is_hex(p[2])) {
            memcpy(w, json ? "0x0" : "0x\xe2\x80\xa6", json ? 3 : 5);
            w += json ? 3 : 5;
            for (p += 2; is_hex(*p); p++)
                ;
            continue;
        }
        *w++ = *p++;
    }
    *w = '\0';
    free(s);
    return out;
}

static char *self_exe(void)
{
    static char exe[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[k > 0 ? k : 0] = '\0';
    return exe;
}

static char *normal_text(char *s)
{
    char pid[32];
    snprintf(pid, sizeof pid, "pid %d", (int)getpid());
    s = replace_all(s, pid, "pid PID");
    s = replace_all(s, self_exe(), "/golden/prog");
    const char *base = strrchr(self_exe(), '/') + 1;
    char mod[256];
    snprintf(mod, sizeof mod, "(%s+", base);
    s = replace_all(s, mod, "(prog+");
    return hex_out(s, false);
}

/* The JSON with the process, the modules and the times as any machine would write them: modules
 * no frame names are dropped (indices renumbered), the rest by base name. */
static char *normal_json(const char *doc)
{
    json_error_t e;
    json_t *v = json_loads(doc, 0, &e);
    ck_assert_msg(v != NULL, "detector JSON does not parse: %s", e.text);
    json_t *proc = json_object_get(v, "process");
    json_object_set_new(proc, "pid", json_integer(4242));
    json_object_set_new(proc, "ppid", json_integer(1));
    json_object_set_new(proc, "exe", json_string("/golden/prog"));
    json_object_set_new(proc, "argv", json_pack("[s]", "/golden/prog"));
    json_object_set_new(proc, "started", json_string("2026-12-07T00:00:00.000Z"));
    json_t *mods = json_object_get(v, "modules"), *kept = json_array();
    json_int_t map[1024];
    for (size_t i = 0; i < 1024; i++)
        map[i] = -1;
    size_t i;
    json_t *st;
    json_array_foreach(json_object_get(v, "stacks"), i, st)
    {
        size_t k;
        json_t *fr;
        json_array_foreach(json_object_get(st, "frames"), k, fr)
        {
            json_int_t m = json_integer_value(json_object_get(fr, "module"));
            if (!json_is_integer(json_object_get(fr, "module")) || m < 0 || m >= 1024)
                continue;
            if (map[m] < 0) {
                json_t *mod = json_deep_copy(json_array_get(mods, (size_t)m));
                const char *path = json_string_value(json_object_get(mod, "path"));
                const char *slash = path ? strrchr(path, '/') : NULL;
                char *base = strdup(slash ? slash + 1 : path ? path : "");
                json_object_set_new(mod, "id", json_integer((json_int_t)json_array_size(kept)));
                json_object_set_new(
                    mod, "path",
                    json_string(strcmp(base, strrchr(self_exe(), '/') + 1) ? base : "prog"));
                json_object_set_new(mod, "build_id", json_null());
                free(base);
                map[m] = (json_int_t)json_array_size(kept);
                json_array_append_new(kept, mod);
            }
            json_object_set_new(fr, "module", json_integer(map[m]));
        }
    }
    json_object_set_new(v, "modules", kept);
    char *out = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(v);
    size_t n = strlen(out);
    char *s = malloc(n + 2);
    memcpy(s, out, n);
    memcpy(s + n, "\n", 2);
    free(out);
    return hex_out(s, true);
}

/* ---- comparing ---------------------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(f);
    fclose(m);
    return buf;
}

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(s, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Compares s to the golden file NAME (or writes it under TL_GOLDEN_UPDATE=1). */
static void against(const char *name, const char *s)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, name);
    if (getenv("TL_GOLDEN_UPDATE") && strcmp(getenv("TL_GOLDEN_UPDATE"), "1") == 0) {
        write_file(path, s);
        return;
    }
    char *want = slurp(path);
    ck_assert_msg(want != NULL, "%s is missing (regenerate: see tests/preload/check_tl_golden.c)",
                  path);
    if (strcmp(want, s) != 0) {
        char got[4200];
        snprintf(got, sizeof got, "/tmp/tl_golden.%d.%s", (int)getpid(), name);
        write_file(got, s);
        size_t at = 0; /* the first differing line, short enough for Check's message */
        for (size_t k = 0; want[k] == s[k]; k++)
            if (s[k] == '\n')
                at = k + 1;
        ck_abort_msg("%s differs from the golden file from line '%.160s'; this run's output is "
                     "in %s",
                     name, s + at, got);
    }
    free(want);
}

/* taskleak-report's text of a JSON document. */
static char *report_text(const char *json)
{
    char in[] = "/tmp/tl_golden.XXXXXX", cmd[8192];
    int fd = mkstemp(in);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, json, strlen(json)), (ssize_t)strlen(json));
    close(fd);
    snprintf(cmd, sizeof cmd, "%s/bin/taskleak-report --no-symbolize %s 2>&1", TH_BUILD_DIR, in);
    FILE *p = popen(cmd, "r");
    ck_assert(p != NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(p)) != EOF)
        fputc(c, m);
    fclose(m);
    int st = pclose(p);
    unlink(in);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) <= 1, "taskleak-report failed:\n%s", buf);
    return buf;
}

/* In tests/report/check_tlr_reemit.c (the report tool's headers do not mix with the detector's):
 * doc loaded as taskleak-report loads it, with every unit, and written back as taskleak/1. */
char *tlr_test_reemit(const char *doc, size_t len, char *err, size_t errlen);

static char *reemitted(const char *doc, size_t len)
{
    char err[256];
    char *out = tlr_test_reemit(doc, len, err, sizeof err);
    ck_assert_msg(out != NULL, "does not load: %s", err);
    return out;
}

static void same_text(const char *what, const char *want, const char *got)
{
    size_t at = 0, k = 0; /* the first differing line */
    for (; want[k] == got[k] && want[k] != '\0'; k++)
        if (want[k] == '\n')
            at = k + 1;
    ck_assert_msg(want[k] == got[k], "%s re-emitted differs from line '%.160s' (was '%.160s')",
                  what, got + at, want + at);
}

/* The line of S starting with PREFIX (at the start of a line), "PID" read as the tool's 4242. */
static void line_of(const char *s, const char *prefix, char *out, size_t n)
{
    const char *l = s;
    while (l != NULL && strncmp(l, prefix, strlen(prefix)) != 0)
        l = (l = strchr(l, '\n')) ? l + 1 : NULL;
    ck_assert_msg(l != NULL, "no line '%s...' in:\n%s", prefix, s);
    size_t k = 0;
    for (; *l && *l != '\n' && k + 5 < n; l++)
        if (strncmp(l, "pid PID", 7) == 0) {
            k += (size_t)snprintf(out + k, n - k, "pid 4242");
            l += 6;
        } else
            out[k++] = *l;
    out[k] = '\0';
}

/* Both tools open and close a report with the same two lines (tl_render). */
static void same_first_and_last_lines(const char *kind, const char *text, const char *tool)
{
    char prefix[64], a[512], b[512];
    snprintf(prefix, sizeof prefix, "taskleak: %s report: ", kind);
    line_of(text, prefix, a, sizeof a);
    line_of(tool, prefix, b, sizeof b);
    ck_assert_str_eq(a, b);
    line_of(text, "SUMMARY: taskleak: ", a, sizeof a);
    line_of(tool, "SUMMARY: taskleak: ", b, sizeof b);
    ck_assert_str_eq(a, b);
}

/* The part of S from its first line starting with FROM up to the SUMMARY line ("" when none). */
static char *section(const char *s, const char *from)
{
    const char *a = strstr(s, from), *b = strstr(s, "\nSUMMARY: taskleak: ");
    if (a == NULL || b == NULL || b < a)
        return strdup("");
    return strndup(a, (size_t)(b - a));
}

/* The deadlock sections read the same in both texts (tl_render_deadlock), and the groups come in
 * the same order (tl_render_group_order): the "  units:" lines name them in turn. */
static void same_deadlocks_and_order(const char *kind, const char *text, const char *tool)
{
    char *a = section(text, "\ntaskleak: deadlock 1:"), *b = section(tool, "\ntaskleak: deadlock 1:");
    ck_assert_msg(strcmp(kind, "deadlock") != 0 || a[0] != '\0', "no deadlock section:\n%s", text);
    same_text("the tool's deadlock section", a, b);
    free(a), free(b);
    const char *x = text, *y = tool;
    while ((x = strstr(x, "\n  units:")) != NULL) {
        y = strstr(y, "\n  units:");
        ck_assert_msg(y != NULL, "the tool shows fewer groups");
        size_t n = strcspn(x + 1, "\n");
        ck_assert_msg(strncmp(x, y, n + 1) == 0, "groups in another order: '%.*s' against '%.*s'",
                      (int)n, x + 1, (int)strcspn(y + 1, "\n"), y + 1);
        x += n + 1, y += n + 1;
    }
}

static const struct spec SPECS[] = {
    {"exit", TL_BUILD_EXIT}, {"check", TL_BUILD_CHECK},       {"watchdog", TL_BUILD_WATCHDOG},
    {"dump", TL_BUILD_DUMP}, {"deadlock", TL_BUILD_DEADLOCK}, {"signal", TL_BUILD_SIGNAL},
};

START_TEST(each_kind_renders_as_its_golden_text_and_json)
{
    const struct spec *s = &SPECS[_i];
    tl_stack_clear();
    tl_options_defaults(&opts);
    tl_ctx.started_ms = 1796659200000;
    struct tl_report r;
    model(&r, s);
    char name[64];
    char *text = tl_text_render(&r, 0);
    ck_assert(text != NULL);
    snprintf(name, sizeof name, "%s.txt", s->kind);
    text = normal_text(text);
    against(name, text);
    size_t len = 0;
    char *doc = tl_report_json(&r, &len);
    ck_assert(doc != NULL);
    char *json = normal_json(doc);
    snprintf(name, sizeof name, "%s.json", s->kind);
    against(name, json);
    char *again = reemitted(doc, len);
    same_text("the detector's JSON", doc, again);
    free(again);
    again = reemitted(json, strlen(json));
    same_text(name, json, again);
    free(again);
    char *tool = hex_out(report_text(json), false);
    snprintf(name, sizeof name, "%s.report.txt", s->kind);
    against(name, tool);
    same_first_and_last_lines(s->kind, text, tool);
    same_deadlocks_and_order(s->kind, text, tool);
    free(tool);
    free(json);
    free(doc);
    free(text);
    model_free(&r);
}
END_TEST

Suite *make_tl_golden_suite(void)
{
    Suite *s = suite_create("tl_golden");
    TCase *tc = tcase_create("kinds");
    tcase_add_loop_test(tc, each_kind_renders_as_its_golden_text_and_json, 0,
                        (int)(sizeof SPECS / sizeof SPECS[0]));
    suite_add_tcase(s, tc);
    return s;
}
