/*
 * Inputs that are not what they claim, through the whole tool: paths that lead to FIFOs, devices,
 * sockets, directories and /proc files (directly or through symbolic links) as reports,
 * suppressions, baselines and modules to symbolize; negative, mistyped and huge numbers in every
 * count and id of a report; control bytes in every string and in file names. Every one ends
 * promptly (Check's per-test timeout is the bound: nothing here may block), with status 2 and
 * exactly one stderr line naming the file and what is wrong, and the readable files beside it
 * still rendered. A module that cannot be opened never changes the status.
 */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tlr_test.h"

#define RUN(...)                                                                                   \
    ({                                                                                             \
        const char *a_[] = {__VA_ARGS__, NULL};                                                    \
        tlr_run(a_);                                                                               \
    })

/* One hostile path: made inside dir by make(), and the words the message must carry. */
struct shape {
    const char *name;
    const char *says; /* what tl_input calls it */
};

static const struct shape SHAPES[] = {
    {"fifo", "is a FIFO, not a regular file"},
    {"zero", "is a character device, not a regular file"},
    {"urandom", "is a character device, not a regular file"},
    {"socket", "is a socket, not a regular file"},
    {"dir", "is a directory, not a regular file"},
    {"link-to-fifo", "is a FIFO, not a regular file"},
    {"link-to-zero", "is a character device, not a regular file"},
    {"proc", "invalid JSON"}, /* a regular file of size 0 that is read to its end */
};
#define NSHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))

/* Creates shape i under dir and returns its path (static buffer). */
static const char *make_shape(const char *dir, int i)
{
    static char path[512];
    const char *n = SHAPES[i].name;
    snprintf(path, sizeof path, "%s/%s.json", dir, n);
    if (!strcmp(n, "fifo")) {
        ck_assert_int_eq(mkfifo(path, 0600), 0);
    } else if (!strcmp(n, "zero") || !strcmp(n, "urandom")) {
        ck_assert_int_eq(symlink(!strcmp(n, "zero") ? "/dev/zero" : "/dev/urandom", path), 0);
    } else if (!strcmp(n, "socket")) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        ck_assert_uint_lt(strlen(path), sizeof a.sun_path);
        memcpy(a.sun_path, path, strlen(path) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
        ck_assert_int_eq(listen(fd, 1), 0); /* a listening socket nobody accepts on */
    } else if (!strcmp(n, "dir")) {
        ck_assert_int_eq(mkdir(path, 0700), 0);
    } else if (!strcmp(n, "link-to-fifo") || !strcmp(n, "link-to-zero")) {
        char target[512];
        snprintf(target, sizeof target, "%s/%s-target", dir, n);
        if (!strcmp(n, "link-to-fifo"))
            ck_assert_int_eq(mkfifo(target, 0600), 0);
        ck_assert_int_eq(symlink(!strcmp(n, "link-to-fifo") ? target : "/dev/zero", path), 0);
    } else {
        snprintf(path, sizeof path, "/proc/self/status");
    }
    return path;
}

START_TEST(a_report_path_that_is_not_a_regular_file_is_refused_by_name_and_the_rest_rendered)
{
    const char *dir = tlr_tmpdir();
    const char *path = make_shape(dir, _i);
    /* A directory named on the command line is a directory of reports: give it as a file. */
    char as_file[600];
    snprintf(as_file, sizeof as_file, "%s", path);
    struct tlr_cli_run r = RUN(tlr_fixture("leak_threads.json"), as_file);
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(tlr_lines(r.err) == 1, "[%s] stderr:\n%s", SHAPES[_i].name, r.err);
    if (strcmp(SHAPES[_i].name, "dir") != 0) { /* a directory is read as one, see below */
        ck_assert_msg(strstr(r.err, path) && strstr(r.err, SHAPES[_i].says), "[%s] %s",
                      SHAPES[_i].name, r.err);
    }
    ck_assert_msg(!strncmp(r.out, "taskleak: exit report: 4 leaked", 31), "[%s] out: %s",
                  SHAPES[_i].name, r.out);
    tlr_run_free(&r);
}
END_TEST

START_TEST(a_directory_of_reports_with_a_fifo_among_them_names_it_and_renders_the_others)
{
    const char *dir = tlr_tmpdir();
    char fifo[512], good[512], cmd[1200];
    snprintf(fifo, sizeof fifo, "%s/a-fifo.json", dir);
    snprintf(good, sizeof good, "%s/b-good.json", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tlr_fixture("leak_threads.json"), good);
    ck_assert_int_eq(system(cmd), 0);
    struct tlr_cli_run r = RUN(dir);
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(tlr_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "a-fifo.json: is a FIFO, not a regular file"));
    ck_assert_ptr_nonnull(strstr(r.out, "SUMMARY: taskleak: 4 leaked"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(suppressions_and_baselines_that_are_not_regular_files_are_refused_by_name)
{
    const char *dir = tlr_tmpdir();
    const char *path = make_shape(dir, _i);
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    for (int which = 0; which < 2; which++) {
        const char *opt = which == 0 ? "--suppressions" : "--baseline";
        struct tlr_cli_run r = RUN(opt, p, tlr_fixture("leak_threads.json"));
        ck_assert_int_eq(r.status, 2);
        ck_assert_msg(tlr_lines(r.err) == 1 && strstr(r.err, p), "[%s %s] %s", opt,
                      SHAPES[_i].name, r.err);
        if (strcmp(SHAPES[_i].name, "proc") != 0)
            ck_assert_msg(strstr(r.err, SHAPES[_i].says), "[%s %s] %s", opt, SHAPES[_i].name,
                          r.err);
        ck_assert_str_eq(r.out, "");
        tlr_run_free(&r);
    }
}
END_TEST

/* ---- reports altered field by field ---- */

/* Loads the leak_threads fixture. */
static json_t *fixture(void)
{
    json_error_t e;
    json_t *v = json_load_file(tlr_fixture("leak_threads.json"), 0, &e);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* The member at a dotted path ("groups.0.wait_ms.min"; -1 as an index is the last element);
 * *parent and *key say where it hangs so it can be replaced. */
static void locate(json_t *root, const char *path, json_t **parent, char *key, size_t n)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *save = NULL, *tok = strtok_r(buf, ".", &save), *next;
    for (; (next = strtok_r(NULL, ".", &save)); tok = next) {
        if (json_is_array(cur)) {
            long i = atol(tok);
            cur = json_array_get(cur, i < 0 ? json_array_size(cur) + (size_t)i : (size_t)i);
        } else {
            cur = json_object_get(cur, tok);
        }
        ck_assert_msg(cur != NULL, "no %s in the fixture", path);
    }
    *parent = cur;
    snprintf(key, n, "%s", tok);
}

static void set_at(json_t *root, const char *path, json_t *value)
{
    json_t *parent;
    char key[64];
    locate(root, path, &parent, key, sizeof key);
    if (json_is_array(parent)) {
        long i = atol(key);
        json_array_set_new(parent, i < 0 ? json_array_size(parent) + (size_t)i : (size_t)i,
                           value);
    } else {
        json_object_set_new(parent, key, value);
    }
}

/* Writes root to dir/name, with the text "7777777" replaced by `raw` (numbers jansson cannot
 * hold); returns the path (static buffer). */
static const char *write_report(const char *dir, const char *name, json_t *root, const char *raw)
{
    static char path[512];
    char *text = json_dumps(root, JSON_COMPACT);
    char *at = raw ? strstr(text, "7777777") : NULL;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    if (at) {
        fwrite(text, 1, (size_t)(at - text), f);
        fputs(raw, f);
        fputs(at + 7, f);
    } else {
        fputs(text, f);
    }
    fclose(f);
    free(text);
    return path;
}

struct bad_number {
    const char *at;    /* dotted path of the member */
    json_int_t value;  /* the value set (7777777: replaced by raw) */
    const char *raw;   /* text instead of the value, or NULL */
    const char *named; /* what the message must name */
};

static const struct bad_number BAD_NUMBERS[] = {
    {"summary.leaked", -1, NULL, "\"leaked\" is -1"},
    {"summary.threads_created", -9223372036854775807LL, NULL, "threads_created"},
    {"summary.alive", 7777777, "\"3\"", "\"alive\" is a string"},
    {"summary.blocked", 7777777, "1.5", "\"blocked\" is a fraction"},
    {"summary.deadlocked", 7777777, "99999999999999999999999", "summary"},
    {"process.pid", -5, NULL, "\"pid\" is -5"},
    {"process.ppid", 7777777, "[1]", "\"ppid\" is an array"},
    {"modules.0.id", -2, NULL, "\"id\" is -2"},
    {"modules.0.base", 7777777, "\"0x1ffffffffffffffffff\"", "address"},
    {"modules.1.base", -1, NULL, "\"address\" is -1"},
    {"stacks.0.id", -1, NULL, "\"id\" is -1"},
    {"stacks.0.frames.0.module", -3, NULL, "\"module\" is -3"},
    {"stacks.0.frames.1.offset", 7777777, "99999999999999999999", "address"},
    {"groups.0.count", -1, NULL, "\"count\" is -1"},
    {"groups.0.count", 7777777, "\"many\"", "\"count\" is not an integer"},
    {"groups.0.wait_ms.min", -1, NULL, "wait_ms.min"},
    {"groups.-1.created_stack", -7, NULL, "\"created_stack\" is -7"},
    {"units.0.tid", -1, NULL, "\"tid\" is -1"},
    {"units.0.task", 7777777, "\"x\"", "\"task\" is not an integer"},
    {"units.-1.blocked_stack", -2, NULL, "\"blocked_stack\" is -2"},
    {"units.-1.wait.since_ms", -4, NULL, "since_ms\" is -4"},
    {"units.-1.tid", 7777777, "123456789012345678901234567890", "\"tid\""},
};
#define NBAD ((int)(sizeof BAD_NUMBERS / sizeof BAD_NUMBERS[0]))

START_TEST(a_negative_mistyped_or_huge_number_is_refused_naming_file_and_field)
{
    const struct bad_number *b = &BAD_NUMBERS[_i];
    const char *dir = tlr_tmpdir();
    json_t *root = fixture();
    set_at(root, b->at, json_integer(b->value));
    char bad[512];
    snprintf(bad, sizeof bad, "%s", write_report(dir, "bad.json", root, b->raw));
    json_decref(root);
    for (int verbose = 0; verbose < 2; verbose++) { /* units decoded or only validated */
        struct tlr_cli_run r = verbose ? RUN("--verbose", tlr_fixture("leak_threads_run2.json"), bad)
                                       : RUN(tlr_fixture("leak_threads_run2.json"), bad);
        ck_assert_int_eq(r.status, 2);
        ck_assert_msg(tlr_lines(r.err) == 1, "[%s] stderr:\n%s", b->at, r.err);
        ck_assert_msg(strstr(r.err, "bad.json: ") && strstr(r.err, b->named), "[%s] %s", b->at,
                      r.err);
        ck_assert_msg(strstr(r.out, "\nSUMMARY: taskleak: "), "[%s] the good file was not rendered",
                      b->at);
        tlr_run_free(&r);
    }
}
END_TEST

START_TEST(a_deadlock_cycle_naming_a_unit_by_a_number_is_refused)
{
    const char *dir = tlr_tmpdir();
    json_error_t e;
    json_t *root = json_load_file(tlr_fixture("deadlock.json"), 0, &e);
    ck_assert_ptr_nonnull(root);
    set_at(root, "deadlocks.0.units.0", json_integer(-1));
    char bad[512];
    snprintf(bad, sizeof bad, "%s", write_report(dir, "cycle.json", root, NULL));
    json_decref(root);
    struct tlr_cli_run r = RUN(bad);
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(tlr_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "cycle.json: in deadlocks: a unit id is not a string"));
    tlr_run_free(&r);
}
END_TEST

/* Every string member the tool shows, set to text with an escape sequence, a newline and a
 * forged summary line. */
static const char *const STRING_FIELDS[] = {
    "kind",          "process.exe",   "process.argv.0",           "process.started",
    "modules.0.path", "modules.0.build_id", "stacks.0.frames.1.function", "groups.0.reason",
    "groups.0.kind", "groups.0.units.0", "units.0.name", "units.0.start",
    "units.0.created_by", "units.-1.wait.call", "units.-1.wait.object", "units.0.label",
};
#define NSTRINGS ((int)(sizeof STRING_FIELDS / sizeof STRING_FIELDS[0]))
#define FORGED "a\x1b[31m\nSUMMARY: taskleak: 0 leaked, 0 deadlocked, 0 blocked in 0 groups\x07"

START_TEST(control_bytes_in_a_string_field_never_reach_the_output_raw)
{
    const char *dir = tlr_tmpdir();
    json_t *root = fixture();
    set_at(root, STRING_FIELDS[_i], json_string(FORGED));
    char path[512];
    snprintf(path, sizeof path, "%s", write_report(dir, "ctl.json", root, NULL));
    json_decref(root);
    static const char *const formats[] = {"text", "json", "html", "folded"};
    for (int f = 0; f < 4; f++) {
        struct tlr_cli_run r = RUN("--verbose", "--format", formats[f], path);
        ck_assert_msg(r.status == 1 || r.status == 2, "[%s %s] status %d: %s", STRING_FIELDS[_i],
                      formats[f], r.status, r.err);
        ck_assert_msg(!strchr(r.out, '\x1b') && !strchr(r.out, '\x07'), "[%s %s] raw control byte",
                      STRING_FIELDS[_i], formats[f]);
        ck_assert_msg(!strchr(r.err, '\x1b') && tlr_lines(r.err) <= 1, "[%s %s] stderr: %s",
                      STRING_FIELDS[_i], formats[f], r.err);
        ck_assert_msg(!strstr(r.out, "\nSUMMARY: taskleak: 0 leaked") &&
                          strncmp(r.out, "SUMMARY: taskleak: 0 leaked", 27) != 0,
                      "[%s %s] a forged summary line starts a line:\n%s", STRING_FIELDS[_i],
                      formats[f], r.out);
        tlr_run_free(&r);
    }
}
END_TEST

START_TEST(a_file_name_with_a_newline_cannot_forge_a_summary_line_on_stderr)
{
    const char *dir = tlr_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/x\nSUMMARY: taskleak: 0 leaked\xff.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"schema\": \"taskleak/1\", \"summary\": {\"leaked\": -3}}", f);
    fclose(f);
    struct tlr_cli_run r = RUN(path);
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(tlr_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, "/x\\nSUMMARY: taskleak: 0 leaked\\xff.json: ") != NULL, "%s",
                  r.err);
    tlr_run_free(&r);
    r = RUN(dir); /* the same name found by listing the directory */
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(tlr_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "\\nSUMMARY"));
    tlr_run_free(&r);
}
END_TEST

START_TEST(a_module_that_is_a_fifo_is_skipped_with_a_note_and_keeps_the_status)
{
    const char *dir = tlr_tmpdir();
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/module-fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    json_t *root = fixture();
    set_at(root, "modules.0.path", json_string(fifo));
    set_at(root, "modules.1.path", json_string("/dev/zero"));
    char path[512];
    snprintf(path, sizeof path, "%s", write_report(dir, "mods.json", root, NULL));
    json_decref(root);
    struct tlr_cli_run r = RUN(path);
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    ck_assert_int_eq(tlr_lines(r.err), 2);
    ck_assert_ptr_nonnull(strstr(r.err, "is a FIFO, not a regular file"));
    ck_assert_ptr_nonnull(strstr(r.err, "/dev/zero (in "));
    ck_assert_ptr_nonnull(strstr(r.out, "not a regular file on this machine"));
    ck_assert_ptr_nonnull(strstr(r.out, "\nSUMMARY: taskleak: 4 leaked"));
    tlr_run_free(&r);
}
END_TEST

Suite *make_tlr_hostile_suite(void)
{
    Suite *s = suite_create("tlr_hostile");
    TCase *t = tcase_create("hostile inputs");
    tcase_set_timeout(t, 30); /* the bound on every case: nothing may block */
    tcase_add_loop_test(
        t, a_report_path_that_is_not_a_regular_file_is_refused_by_name_and_the_rest_rendered, 0,
        NSHAPES);
    tcase_add_test(t, a_directory_of_reports_with_a_fifo_among_them_names_it_and_renders_the_others);
    tcase_add_loop_test(t, suppressions_and_baselines_that_are_not_regular_files_are_refused_by_name,
                        0, NSHAPES);
    tcase_add_loop_test(t, a_negative_mistyped_or_huge_number_is_refused_naming_file_and_field, 0,
                        NBAD);
    tcase_add_test(t, a_deadlock_cycle_naming_a_unit_by_a_number_is_refused);
    tcase_add_loop_test(t, control_bytes_in_a_string_field_never_reach_the_output_raw, 0, NSTRINGS);
    tcase_add_test(t, a_file_name_with_a_newline_cannot_forge_a_summary_line_on_stderr);
    tcase_add_test(t, a_module_that_is_a_fifo_is_skipped_with_a_note_and_keeps_the_status);
    suite_add_tcase(s, t);
    return s;
}
