/*
 * One JSON emitter: a taskleak/1 report loaded by the report tool and written back through the
 * shared object writers (report/reemit.c over common/tl_jrep.c) is the same bytes. The golden
 * report of every kind (tests/golden) must come back unchanged; the tl_golden suite does the same
 * with the detector's own, un-normalized document through tlr_test_reemit below. An attach report
 * comes back with its own members; and a document written in another order, or with members
 * the schema does not have, comes back in the schema's order without them, so the comparison is
 * of what the writer writes, not a copy of the input. taskleak-report --format taskleak is that
 * writer on the command line.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "reemit.h"
#include "tlr_test.h"

#define GOLDEN TH_SRC_DIR "/tests/golden/"

char *tlr_test_reemit(const char *doc, size_t len, char *err, size_t errlen)
{
    struct tlr_proc p;
    if (tlr_load_buffer(doc, len, "doc", TLR_LOAD_ALL_UNITS, &p, err, errlen) < 0)
        return NULL;
    size_t n = 0;
    char *out = tlr_reemit(&p, &n);
    tlr_proc_free(&p);
    if (out == NULL)
        snprintf(err, errlen, "out of memory");
    return out;
}

static char *again(const char *doc)
{
    char err[256];
    char *out = tlr_test_reemit(doc, strlen(doc), err, sizeof err);
    ck_assert_msg(out != NULL, "%s", err);
    return out;
}

/* Fails naming the first line where got differs from want (Check's message stays short). */
static void same_text(const char *what, const char *want, const char *got)
{
    size_t at = 0, k = 0;
    for (; want[k] == got[k] && want[k] != '\0'; k++)
        if (want[k] == '\n')
            at = k + 1;
    ck_assert_msg(want[k] == got[k], "%s re-emitted differs from line '%.160s' (was '%.160s')",
                  what, got + at, want + at);
}

static const char *const KINDS[] = {"exit", "check", "watchdog", "dump", "deadlock", "signal"};

START_TEST(each_golden_report_comes_back_byte_for_byte)
{
    char path[1024];
    snprintf(path, sizeof path, GOLDEN "%s.json", KINDS[_i]);
    char *doc = tlr_slurp(path);
    char *out = again(doc);
    same_text(path, doc, out);
    free(out);
    free(doc);
}
END_TEST

/* The shape taskleak-attach writes (docs/json-schema.md, reports of kind attach). */
static const char ATTACH[] =
    "{\n  \"schema\": \"taskleak/1\",\n  \"kind\": \"attach\",\n  \"process\": {\n"
    "    \"pid\": 77,\n    \"ppid\": 1,\n    \"exe\": \"/bin/prog\",\n    \"argv\": [\n"
    "      \"prog\"\n    ],\n    \"started\": null,\n    \"written\": "
    "\"2026-12-07T00:00:00.000Z\"\n"
    "  },\n  \"options\": {\n    \"threshold_ms\": 10000,\n    \"fail_on\": [\n"
    "      \"deadlocked\"\n    ]\n  },\n  \"attach\": {\n    \"stop_ms\": 1.250,\n"
    "    \"threads\": 1,\n    \"all_asleep\": false\n  },\n  \"summary\": {\n"
    "    \"threads_created\": 0,\n    \"tasks_created\": 0,\n    \"alive\": 1,\n"
    "    \"leaked\": 0,\n    \"unjoined\": 0,\n    \"deadlocked\": 0,\n    \"blocked\": 0,\n"
    "    \"suppressed\": 0,\n    \"inversions\": 0,\n    \"proven\": 0\n  },\n"
    "  \"modules\": [\n    {\n      \"id\": 0,\n      \"path\": \"/bin/prog\",\n"
    "      \"build_id\": null,\n      \"base\": \"0x1000\"\n    }\n  ],\n  \"stacks\": [\n"
    "    {\n      \"id\": 0,\n      \"frames\": [\n        {\n          \"ip\": null,\n"
    "          \"module\": null,\n          \"offset\": null,\n"
    "          \"function\": \"pthread_join\"\n        },\n        {\n"
    "          \"ip\": \"0x1234\",\n          \"module\": 0,\n          \"offset\": \"0x234\",\n"
    "          \"function\": \"main\"\n        }\n      ]\n    }\n  ],\n  \"units\": [\n    {\n"
    "      \"id\": \"thread:1\",\n      \"kind\": \"thread\",\n      \"tid\": 77,\n"
    "      \"task\": null,\n      \"name\": null,\n      \"start\": null,\n"
    "      \"state\": \"blocked\",\n      \"verdict\": null,\n      \"proof\": null,\n"
    "      \"detached\": false,\n      \"unknown_origin\": false,\n      \"suppressed\": null,\n"
    "      \"wait\": {\n        \"reason\": \"join\",\n        \"call\": \"pthread_join\",\n"
    "        \"object\": \"0x7f00\",\n        \"object_name\": null,\n        \"since_ms\": null,\n"
    "        \"durable\": true,\n        \"owner\": \"thread:?78\"\n      },\n"
    "      \"created_by\": null,\n      \"created_stack\": null,\n      \"blocked_stack\": 0,\n"
    "      \"label\": null\n    }\n  ],\n  \"groups\": [],\n  \"deadlocks\": [],\n"
    "  \"inversions\": [],\n  \"suppressions\": []\n}\n";

START_TEST(an_attach_report_comes_back_with_its_attach_member)
{
    char *out = again(ATTACH);
    same_text("the attach report", ATTACH, out);
    free(out);
}
END_TEST

START_TEST(members_come_back_in_the_schemas_order_and_unknown_ones_go)
{
    static const char doc[] = "{\"process\": {\"written\": \"w\", \"pid\": 5, \"extra\": 1},\n"
                              "\"kind\": \"dump\", \"future\": [1, 2], \"schema\": \"taskleak/1\"}";
    char *out = again(doc);
    ck_assert_str_ne(out, doc);
    const char *kind = strstr(out, "\"kind\""), *process = strstr(out, "\"process\"");
    ck_assert(kind != NULL && process != NULL && kind < process);
    ck_assert(strstr(out, "extra") == NULL && strstr(out, "future") == NULL);
    ck_assert(strstr(out, "\"pid\": 5,\n    \"ppid\": null,") != NULL);
    ck_assert(strstr(out, "\"units\": []") != NULL); /* a missing array comes back empty */
    free(out);
}
END_TEST

#define RUN(...) tlr_run((const char *const[]){__VA_ARGS__, NULL})

/* An older report (string options, no proofs, the detector's own frames in its stacks) comes back
 * in the current layout, and that layout is a fixed point: written back once more, it is the same
 * bytes. The gate still decides the status. */
START_TEST(format_taskleak_writes_an_older_report_in_the_current_layout)
{
    struct tlr_cli_run r = RUN("--format", "taskleak", tlr_fixture("leak_threads.json"));
    ck_assert_msg(r.status == 1, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    ck_assert(strncmp(r.out, "{\n  \"schema\": \"taskleak/1\",\n  \"kind\": \"exit\",\n", 44) == 0);
    ck_assert(strstr(r.out, "\"proven\": 0") != NULL);     /* a member it lacked, defaulted */
    ck_assert(strstr(r.out, "\"module\": 2,") == NULL);    /* libtaskleak.so's frames are cut */
    ck_assert(strstr(r.out, "\"grace\": \"1s\"") != NULL); /* options as they were written */
    char *out = again(r.out);
    same_text("the current layout", r.out, out);
    free(out);
    tlr_run_free(&r);
}
END_TEST

START_TEST(format_taskleak_refuses_reports_of_two_processes)
{
    struct tlr_cli_run r =
        RUN("--format", "taskleak", tlr_fixture("leak_threads.json"), tlr_fixture("deadlock.json"));
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "");
    ck_assert_int_eq(tlr_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "--format taskleak writes the report of one process"));
    tlr_run_free(&r);
}
END_TEST

Suite *make_tlr_reemit_suite(void)
{
    Suite *s = suite_create("tlr_reemit");
    TCase *tc = tcase_create("reemit");
    tcase_add_loop_test(tc, each_golden_report_comes_back_byte_for_byte, 0,
                        (int)(sizeof KINDS / sizeof KINDS[0]));
    tcase_add_test(tc, an_attach_report_comes_back_with_its_attach_member);
    tcase_add_test(tc, members_come_back_in_the_schemas_order_and_unknown_ones_go);
    tcase_add_test(tc, format_taskleak_writes_an_older_report_in_the_current_layout);
    tcase_add_test(tc, format_taskleak_refuses_reports_of_two_processes);
    suite_add_tcase(s, tc);
    return s;
}
