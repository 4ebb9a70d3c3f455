/*
 * The CI examples (examples/ci/): a GitHub Actions workflow and a GitLab CI job meant to be copied
 * into other projects. Their YAML is parsed (python3's yaml module, from the dependency step) and
 * its structure checked: taskleak installed from its Debian packages, the suite run under
 * `taskleak run` into the report directory, the reports rendered and uploaded as artifacts even
 * when the job fails, the baseline used for legacy code. Then the gate's own shell lines are run
 * as the CI service would run them, with this checkout's taskleak on PATH and a small test
 * program as the suite: a leak fails the gate; with a baseline taken from that run the same leak
 * passes and a new one fails; the rendered HTML and JSON land beside the raw reports. The README
 * must show both files as they are.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "pkg_sh.h"

static char work[64];

/* The example file parsed: YAML to JSON through python3, then jansson. */
static json_t *load_yaml(const char *name)
{
    char *out = NULL;
    int rc = pkg_sh(&out,
                    "python3 -c 'import json, sys, yaml; "
                    "print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' %s/examples/ci/%s 2>&1",
                    TH_SRC_DIR, name);
    ck_assert_msg(rc == 0,
                  "%s does not parse as YAML (or python3-yaml is missing: make deps "
                  "installs it):\n%s",
                  name, out);
    json_t *doc = json_loads(out, 0, NULL);
    ck_assert_msg(json_is_object(doc), "%s: not a mapping", name);
    free(out);
    return doc;
}

static const char *str_at(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The GitHub job's step whose name is `name`, or NULL. */
static json_t *gh_step(json_t *doc, const char *name)
{
    json_t *steps =
               json_object_get(json_object_get(json_object_get(doc, "jobs"), "taskleak"), "steps"),
           *st;
    size_t i;
    json_array_foreach(steps, i, st)
    {
        const char *n = str_at(st, "name");
        if (n && strcmp(n, name) == 0)
            return st;
    }
    return NULL;
}

/* The GitHub job's first step that uses an action starting with `action`, or NULL. */
static json_t *gh_uses(json_t *doc, const char *action, size_t nth)
{
    json_t *steps =
               json_object_get(json_object_get(json_object_get(doc, "jobs"), "taskleak"), "steps"),
           *st;
    size_t i;
    json_array_foreach(steps, i, st)
    {
        const char *u = str_at(st, "uses");
        if (u && strncmp(u, action, strlen(action)) == 0 && nth-- == 0)
            return st;
    }
    return NULL;
}

/* A GitLab script list joined into one shell text. */
static char *joined(json_t *list)
{
    size_t len = 1, i;
    json_t *line;
    json_array_foreach(list, i, line) len += strlen(json_string_value(line)) + 1;
    char *text = calloc(1, len);
    ck_assert_ptr_nonnull(text);
    json_array_foreach(list, i, line)
    {
        strcat(text, json_string_value(line));
        strcat(text, "\n");
    }
    return text;
}

START_TEST(github_workflow_installs_gates_keeps_reports_and_knows_baselines)
{
    json_t *doc = load_yaml("github-actions.yml");
    json_t *job = json_object_get(json_object_get(doc, "jobs"), "taskleak");
    ck_assert_ptr_nonnull(job);
    ck_assert_str_eq(str_at(job, "container"), "debian:12");
    const char *reports = str_at(json_object_get(doc, "env"), "REPORTS");
    ck_assert_msg(reports && strncmp(reports, "taskleak-reports/", 17) == 0, "REPORTS: %s",
                  reports);

    ck_assert_ptr_nonnull(gh_uses(doc, "actions/checkout@", 0));
    json_t *fetch = gh_uses(doc, "actions/checkout@", 1);
    ck_assert_msg(fetch && str_at(json_object_get(fetch, "with"), "repository"),
                  "no checkout of taskleak's source");
    const char *install = str_at(gh_step(doc, "install taskleak (Debian packages built from "
                                              "source)"),
                                 "run");
    ck_assert_msg(install && strstr(install, "make -C .taskleak-src deb") &&
                      strstr(install, "apt-get install -y ./taskleak_"),
                  "install step: %s", install);

    const char *gate = str_at(gh_step(doc, "tests under the leak gate"), "run");
    ck_assert_msg(gate && strstr(gate, "taskleak run --report \"$PWD/$REPORTS\""), "gate: %s",
                  gate);
    json_t *base = gh_step(doc, "only new leaks fail (legacy code with a baseline)");
    ck_assert_ptr_nonnull(base);
    ck_assert(strstr(str_at(base, "if"), "always()") != NULL);
    ck_assert(strstr(str_at(base, "run"), "--baseline .taskleak-baseline.json --fail-on new"));
    json_t *render = gh_step(doc, "render the reports");
    ck_assert_msg(render && strstr(str_at(render, "if"), "always()") &&
                      strstr(str_at(render, "run"), "--format html"),
                  "no rendering step run always");

    json_t *upload = gh_uses(doc, "actions/upload-artifact@", 0);
    ck_assert_msg(upload != NULL, "no upload-artifact step");
    ck_assert_str_eq(str_at(upload, "if"), "always()");
    ck_assert_str_eq(str_at(json_object_get(upload, "with"), "path"), "taskleak-reports/");
    json_decref(doc);
}
END_TEST

START_TEST(gitlab_job_installs_gates_keeps_reports_and_knows_baselines)
{
    json_t *doc = load_yaml("gitlab-ci.yml");
    json_t *job = json_object_get(doc, "taskleak");
    ck_assert_ptr_nonnull(job);
    ck_assert_str_eq(str_at(job, "image"), "debian:12");
    ck_assert_str_eq(str_at(job, "stage"), "test");
    const char *reports = str_at(json_object_get(job, "variables"), "REPORTS");
    ck_assert_msg(reports && strncmp(reports, "taskleak-reports/", 17) == 0, "REPORTS: %s",
                  reports);
    char *before = joined(json_object_get(job, "before_script"));
    ck_assert_msg(strstr(before, "make -C /tmp/taskleak/src deb") &&
                      strstr(before, "apt-get install -y /tmp/taskleak/taskleak_"),
                  "before_script:\n%s", before);
    free(before);
    char *script = joined(json_object_get(job, "script"));
    ck_assert_msg(strstr(script, "taskleak run --report \"$PWD/$REPORTS\"") &&
                      strstr(script, "--baseline .taskleak-baseline.json --fail-on new"),
                  "script:\n%s", script);
    free(script);
    char *after = joined(json_object_get(job, "after_script"));
    ck_assert_msg(strstr(after, "--format html") && strstr(after, "--format json"),
                  "after_script:\n%s", after);
    free(after);
    json_t *art = json_object_get(job, "artifacts");
    ck_assert_str_eq(str_at(art, "when"), "always");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(art, "paths"), 0)),
                     "taskleak-reports/");
    json_decref(doc);
}
END_TEST

/* The README shows each file whole, so what people copy from it is what is tested here. */
START_TEST(readme_shows_each_example_verbatim)
{
    const char *files[] = {"github-actions.yml", "gitlab-ci.yml"};
    for (size_t i = 0; i < 2; i++) {
        int rc = pkg_sh(NULL,
                        "cd %s && python3 -c 'import sys; "
                        "sys.exit(open(sys.argv[1]).read() not in open(\"README.md\").read())' "
                        "examples/ci/%s",
                        TH_SRC_DIR, files[i]);
        ck_assert_msg(rc == 0, "README.md does not show examples/ci/%s as it is", files[i]);
    }
}
END_TEST

/* ---- the gate's shell lines, run ---- */

static void make_project(void)
{
    strcpy(work, "/tmp/tl-ci.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(work));
    char src[128];
    snprintf(src, sizeof src, "%s/prog.c", work);
    ck_assert_int_eq(pkg_write_program(src), 0);
    ck_assert_int_eq(pkg_sh(NULL, "cc -pthread -o %s/prog %s", work, src), 0);
}

/* Runs a shell text (a step's `run`, a job's script) in the project directory as CI would, with
 * the variables the example sets and this checkout's taskleak first on PATH. */
static int run_ci_shell(char **out, const char *text, const char *test_cmd)
{
    char path[128];
    snprintf(path, sizeof path, "%s/step.sh", work);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    return pkg_sh(out,
                  "cd %s && env -u TASKLEAK_OPTIONS PATH=%s/scripts:$PATH TASKLEAK_BUILD_DIR=%s "
                  "ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD='%s' REPORTS=taskleak-reports/raw "
                  "TEST_CMD='%s' sh -e step.sh 2>&1",
                  work, TH_SRC_DIR, TH_BUILD_DIR, th_sanitizer_preload(), test_cmd);
}

static void take_baseline(void)
{
    int rc = pkg_sh(NULL,
                    "cd %s && env PATH=%s/scripts:$PATH TASKLEAK_BUILD_DIR=%s taskleak report "
                    "--format json -o .taskleak-baseline.json taskleak-reports/raw >/dev/null",
                    work, TH_SRC_DIR, TH_BUILD_DIR);
    ck_assert_msg(rc == 1, "the baseline run should show one failing leak (status %d)", rc);
    ck_assert_int_eq(pkg_sh(NULL, "cd %s && rm -rf taskleak-reports", work), 0);
}

static bool exists_in_work(const char *rel)
{
    char path[256];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", work, rel);
    return stat(path, &st) == 0 && st.st_size > 0;
}

START_TEST(github_gate_steps_fail_a_leak_and_with_a_baseline_only_a_new_one)
{
    json_t *doc = load_yaml("github-actions.yml");
    const char *gate = str_at(gh_step(doc, "tests under the leak gate"), "run");
    const char *base =
        str_at(gh_step(doc, "only new leaks fail (legacy code with a baseline)"), "run");
    const char *render = str_at(gh_step(doc, "render the reports"), "run");
    ck_assert(gate && base && render);
    make_project();
    char cmd[256], *out = NULL;
    snprintf(cmd, sizeof cmd, "%s/prog fixed", work);
    int rc = run_ci_shell(&out, gate, cmd);
    ck_assert_msg(rc == 0, "gate on the fixed program: %d\n%s", rc, out);
    free(out);
    (void)pkg_sh(NULL, "rm -rf %s/taskleak-reports", work);

    snprintf(cmd, sizeof cmd, "%s/prog leak", work);
    rc = run_ci_shell(&out, gate, cmd);
    ck_assert_msg(rc == 76, "gate on the leaky program: %d, expected 76\n%s", rc, out);
    free(out);
    rc = run_ci_shell(&out, render, cmd);
    ck_assert_msg(rc == 0, "render step: %d\n%s", rc, out);
    ck_assert_msg(strstr(out, "1 leaked"), "render step:\n%s", out);
    free(out);
    ck_assert(exists_in_work("taskleak-reports/taskleak.html"));
    ck_assert(exists_in_work("taskleak-reports/taskleak-summary.json"));

    /* Legacy code: today's leak goes in the baseline; it no longer fails, a new one does. */
    take_baseline();
    rc = run_ci_shell(&out, gate, cmd);
    ck_assert_msg(rc == 0, "gate with a baseline reports only: %d\n%s", rc, out);
    free(out);
    rc = run_ci_shell(&out, base, cmd);
    ck_assert_msg(rc == 0, "baseline step on the known leak: %d\n%s", rc, out);
    free(out);
    ck_assert_int_eq(pkg_sh(NULL, "cd %s && rm -rf taskleak-reports", work), 0);
    snprintf(cmd, sizeof cmd, "%s/prog leak2", work);
    rc = run_ci_shell(&out, gate, cmd);
    ck_assert_msg(rc == 0, "gate with a baseline, new leak: %d\n%s", rc, out);
    free(out);
    rc = run_ci_shell(&out, base, cmd);
    ck_assert_msg(rc == 1, "baseline step on a new leak: %d, expected 1\n%s", rc, out);
    ck_assert_msg(strstr(out, "1 new"), "baseline step:\n%s", out);
    free(out);
    json_decref(doc);
    (void)pkg_sh(NULL, "rm -rf %s", work);
}
END_TEST

START_TEST(gitlab_script_fails_a_leak_and_with_a_baseline_only_a_new_one)
{
    json_t *doc = load_yaml("gitlab-ci.yml");
    json_t *job = json_object_get(doc, "taskleak");
    /* The script's first line builds the project; the example program is already built. */
    json_t *lines = json_deep_copy(json_object_get(job, "script"));
    ck_assert_str_eq(json_string_value(json_array_get(lines, 0)), "make");
    json_array_remove(lines, 0);
    char *script = joined(lines), *after = joined(json_object_get(job, "after_script"));
    make_project();
    char cmd[256], *out = NULL;
    snprintf(cmd, sizeof cmd, "%s/prog leak", work);
    int rc = run_ci_shell(&out, script, cmd);
    ck_assert_msg(rc == 76, "script on the leaky program: %d, expected 76\n%s", rc, out);
    free(out);
    rc = run_ci_shell(&out, after, cmd);
    ck_assert_msg(rc == 0 && exists_in_work("taskleak-reports/taskleak.html"),
                  "after_script: %d\n%s", rc, out);
    free(out);

    take_baseline();
    rc = run_ci_shell(&out, script, cmd);
    ck_assert_msg(rc == 0, "script with a baseline, known leak: %d\n%s", rc, out);
    free(out);
    ck_assert_int_eq(pkg_sh(NULL, "cd %s && rm -rf taskleak-reports", work), 0);
    snprintf(cmd, sizeof cmd, "%s/prog leak2", work);
    rc = run_ci_shell(&out, script, cmd);
    ck_assert_msg(rc == 1, "script with a baseline, new leak: %d, expected 1\n%s", rc, out);
    free(out);
    free(script);
    free(after);
    json_decref(lines);
    json_decref(doc);
    (void)pkg_sh(NULL, "rm -rf %s", work);
}
END_TEST

Suite *make_ci_examples_suite(void)
{
    Suite *s = suite_create("ci_examples");
    TCase *tc = tcase_create("structure");
    tcase_set_timeout(tc, 60); /* python3 starts slowly on a loaded machine */
    tcase_add_test(tc, github_workflow_installs_gates_keeps_reports_and_knows_baselines);
    tcase_add_test(tc, gitlab_job_installs_gates_keeps_reports_and_knows_baselines);
    tcase_add_test(tc, readme_shows_each_example_verbatim);
    suite_add_tcase(s, tc);
    TCase *run = tcase_create("gate");
    tcase_set_timeout(run, 120);
    tcase_add_test(run, github_gate_steps_fail_a_leak_and_with_a_baseline_only_a_new_one);
    tcase_add_test(run, gitlab_script_fails_a_leak_and_with_a_baseline_only_a_new_one);
    suite_add_tcase(s, run);
    return s;
}
