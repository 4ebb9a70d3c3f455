/*
 * Properties every report must keep through the tool, checked on every *.json in the
 * directories of TLR_TEST_REPORTS (':'-separated; default: tests/report/fixtures), so the same
 * checks run on hand-written fixtures and on reports real scenario programs wrote:
 * it loads; text starts with "taskleak:" and ends with one "SUMMARY: taskleak:" line and has
 * one block per group; JSON output is valid, keeps the group count and, used as a baseline,
 * makes nothing new; folded output has one line per group.
 */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <string.h>

#include "load.h"
#include "tlr_test.h"

#define RUN(...)                                                                                   \
    ({                                                                                             \
        const char *a_[] = {__VA_ARGS__, NULL};                                                    \
        tlr_run(a_);                                                                               \
    })

typedef void (*input_check)(const char *path);

/* Calls fn on every *.json file of every directory in TLR_TEST_REPORTS; returns how many. */
static int each_input(input_check fn)
{
    const char *env = getenv("TLR_TEST_REPORTS");
    char *dirs = strdup(env && *env ? env : TLR_FIXTURES), *save = NULL;
    int n = 0;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        DIR *dir = opendir(d);
        ck_assert_msg(dir != NULL, "cannot open %s", d);
        for (struct dirent *e; (e = readdir(dir));) {
            size_t l = strlen(e->d_name);
            if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
                continue;
            char path[2048];
            snprintf(path, sizeof path, "%s/%s", d, e->d_name);
            fn(path);
            n++;
        }
        closedir(dir);
    }
    free(dirs);
    return n;
}

static size_t groups_of(const char *path)
{
    struct tlr_proc p;
    char err[512] = "";
    ck_assert_msg(tlr_load_file(path, TLR_LOAD_ALL_UNITS, &p, err, sizeof err) == 0, "%s", err);
    size_t n = p.ngroups;
    tlr_proc_free(&p);
    return n;
}

static void text_shape(const char *path)
{
    size_t groups = groups_of(path);
    struct tlr_cli_run r = RUN(path);
    ck_assert_msg(r.status == 0 || r.status == 1, "%s: status %d: %s", path, r.status, r.err);
    ck_assert_msg(!strncmp(r.out, "taskleak: ", 10), "%s: first line: %.80s", path, r.out);
    const char *last = strstr(r.out, "\nSUMMARY: taskleak: ");
    ck_assert_msg(last && !strchr(last + 1, '\n')[1], "%s: no SUMMARY last line", path);
    size_t blocks = 0;
    for (const char *p = r.out; (p = strstr(p, "\n  created by")); p++)
        blocks++;
    ck_assert_msg(blocks == groups, "%s: %zu group blocks for %zu groups", path, blocks, groups);
    ck_assert_int_eq(r.status, groups > 0);
    tlr_run_free(&r);
}

static void json_round_trip(const char *path)
{
    static const char *dir; /* one per test process, removed when it exits */
    char base[256];
    if (!dir)
        dir = tlr_tmpdir();
    snprintf(base, sizeof base, "%s/base.json", dir);
    struct tlr_cli_run r = RUN("--format", "json", "-o", base, path);
    tlr_run_free(&r);
    json_error_t je;
    json_t *j = json_load_file(base, 0, &je);
    ck_assert_msg(j != NULL, "%s: json output does not parse: %s", path, je.text);
    ck_assert_str_eq(json_string_value(json_object_get(j, "schema")), "taskleak-report/1");
    ck_assert_uint_eq(json_array_size(json_object_get(j, "groups")), groups_of(path));
    json_decref(j);
    r = RUN("--baseline", base, "--fail-on", "new", path);
    ck_assert_msg(r.status == 0, "%s: new findings against its own baseline", path);
    tlr_run_free(&r);
    unlink(base);
}

static void folded_lines(const char *path)
{
    struct tlr_cli_run r = RUN("--format", "folded", path);
    ck_assert_uint_eq((size_t)tlr_lines(r.out), groups_of(path));
    tlr_run_free(&r);
}

START_TEST(text_of_every_input_has_headline_blocks_and_summary)
{
    ck_assert_int_gt(each_input(text_shape), 0);
}
END_TEST

START_TEST(json_of_every_input_is_its_own_baseline)
{
    ck_assert_int_gt(each_input(json_round_trip), 0);
}
END_TEST

START_TEST(folded_output_of_every_input_has_a_line_per_group)
{
    ck_assert_int_gt(each_input(folded_lines), 0);
}
END_TEST

Suite *make_tlr_inputs_suite(void)
{
    Suite *s = suite_create("tlr_inputs");
    TCase *t = tcase_create("inputs");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, text_of_every_input_has_headline_blocks_and_summary);
    tcase_add_test(t, json_of_every_input_is_its_own_baseline);
    tcase_add_test(t, folded_output_of_every_input_has_a_line_per_group);
    suite_add_tcase(s, t);
    return s;
}
