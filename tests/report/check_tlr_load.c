/*
 * The report loader: real fixtures load with every field, units are kept only as asked, and
 * each class of bad input (truncated, invalid, wrong schema, dangling references, hostile
 * nesting, bad UTF-8, empty) fails with one message naming the file and the problem.
 */
#include <check.h>
#include <string.h>

#include "load.h"
#include "tlr_test.h"

static struct tlr_proc load_ok(const char *name, unsigned flags)
{
    struct tlr_proc p;
    char err[512] = "";
    int r = tlr_load_file(tlr_fixture(name), flags, &p, err, sizeof err);
    ck_assert_msg(r == 0, "%s did not load: %s", name, err);
    return p;
}

START_TEST(a_report_loads_with_process_summary_modules_and_stacks)
{
    struct tlr_proc p = load_ok("leak_threads.json", 0);
    ck_assert_int_eq(p.pid, 31337);
    ck_assert_str_eq(p.exe, "/opt/demo/bin/worker-pool");
    ck_assert_str_eq(p.kind, "exit");
    ck_assert_int_eq(p.nargv, 3);
    ck_assert_int_eq(p.summary.leaked, 4);
    ck_assert_int_eq(p.summary.unjoined, 0); /* written before the field existed */
    ck_assert_int_eq(p.nmodules, 3);
    ck_assert_str_eq(p.modules[0].build_id, "5f0e2b9c41d7a8e3b6c9d0f1a2b3c4d5e6f70812");
    ck_assert_uint_eq(p.modules[1].base, 0x7f3a1c000000ULL);
    ck_assert_int_eq(p.nstacks, 4);
    struct tlr_stack *s = tlr_proc_stack(&p, 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->nframes, 5);
    ck_assert_str_eq(s->frames[1].function, "queue_pop");
    ck_assert_uint_eq(s->frames[1].offset, 0x1a17);
    ck_assert_int_eq(s->frames[1].module, 0);
    ck_assert_ptr_null(tlr_proc_stack(&p, 4)->frames[1].function);
    tlr_proc_free(&p);
}
END_TEST

START_TEST(groups_resolve_their_stacks_and_keep_counts_and_waits)
{
    struct tlr_proc p = load_ok("leak_threads.json", 0);
    ck_assert_int_eq(p.ngroups, 2);
    struct tlr_group *g = &p.groups[0];
    ck_assert_str_eq(g->verdict, "leaked");
    ck_assert_str_eq(g->reason, "cond wait");
    ck_assert_int_eq(g->count, 3);
    ck_assert_int_eq(g->nunits, 3);
    ck_assert_ptr_eq(g->blocked, tlr_proc_stack(&p, 1));
    ck_assert_ptr_eq(g->created, tlr_proc_stack(&p, 2));
    ck_assert_int_eq(g->wait_min, 13120);
    ck_assert_int_eq(g->wait_max, 13950);
    tlr_proc_free(&p);
}
END_TEST

START_TEST(grouped_loading_keeps_only_the_first_unit_of_each_group)
{
    struct tlr_proc p = load_ok("leak_threads.json", 0);
    ck_assert_int_eq(p.units_total, 5);
    ck_assert_ptr_nonnull(tlr_proc_unit(&p, "thread:2"));
    ck_assert_ptr_null(tlr_proc_unit(&p, "thread:3"));
    ck_assert_ptr_nonnull(tlr_proc_unit(&p, "thread:5"));
    ck_assert_str_eq(tlr_proc_unit(&p, "thread:2")->created_by, "thread:1");
    tlr_proc_free(&p);
}
END_TEST

START_TEST(grouped_loading_keeps_a_bounded_number_of_unit_ids_per_group)
{
    char doc[8192];
    int n = snprintf(doc, sizeof doc,
                     "{\"schema\":\"taskleak/1\",\"process\":{\"pid\":1},"
                     "\"groups\":[{\"verdict\":\"leaked\",\"kind\":\"task\","
                     "\"count\":100,\"units\":[");
    for (int i = 0; i < 100; i++)
        n += snprintf(doc + n, sizeof doc - (size_t)n, "%s\"task:%d\"", i ? "," : "", i + 1);
    snprintf(doc + n, sizeof doc - (size_t)n, "]}]}");
    struct tlr_proc p;
    char err[512] = "";
    ck_assert_msg(tlr_load_buffer(doc, strlen(doc), "ids", 0, &p, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(p.groups[0].nunits, TLR_LOAD_GROUP_IDS);
    ck_assert_int_eq(p.groups[0].count, 100);
    ck_assert_str_eq(p.groups[0].units[0], "task:1");
    tlr_proc_free(&p);
    ck_assert_int_eq(
        tlr_load_buffer(doc, strlen(doc), "ids", TLR_LOAD_ALL_UNITS, &p, err, sizeof err), 0);
    ck_assert_uint_eq(p.groups[0].nunits, 100);
    ck_assert_str_eq(p.groups[0].units[99], "task:100");
    tlr_proc_free(&p);
}
END_TEST

START_TEST(loading_all_units_decodes_every_field_and_the_wait)
{
    struct tlr_proc p = load_ok("deadlock.json", TLR_LOAD_ALL_UNITS);
    ck_assert_uint_eq(HASH_COUNT(p.units), 3);
    struct tlr_unit *u = tlr_proc_unit(&p, "thread:2");
    ck_assert_str_eq(u->name, "teller-a");
    ck_assert_str_eq(u->start, "teller");
    ck_assert_int_eq(u->tid, 4712);
    ck_assert_int_eq(u->task, -1);
    ck_assert(u->has_wait);
    ck_assert_str_eq(u->wait.reason, "mutex lock");
    ck_assert_str_eq(u->wait.owner, "thread:3");
    ck_assert(u->wait.durable);
    ck_assert_int_eq(u->blocked_stack, 10);
    ck_assert_int_eq(p.ndeadlocks, 1);
    ck_assert_str_eq(p.deadlocks[0].objects[1], "0x5581f00040c0");
    tlr_proc_free(&p);
}
END_TEST

START_TEST(deadlocked_units_are_kept_even_in_grouped_loading)
{
    struct tlr_proc p = load_ok("deadlock.json", 0);
    ck_assert_ptr_nonnull(tlr_proc_unit(&p, "thread:3"));
    tlr_proc_free(&p);
}
END_TEST

/* Loads a bad fixture and checks the message names the file and contains `why`. */
static void bad(const char *name, const char *why)
{
    struct tlr_proc p;
    char err[512] = "";
    const char *path = tlr_fixture(name);
    ck_assert_int_eq(tlr_load_file(path, 0, &p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) != NULL, "message does not name the file: %s", err);
    ck_assert_msg(strstr(err, why) != NULL, "message \"%s\" lacks \"%s\"", err, why);
    ck_assert_ptr_null(strchr(err, '\n'));
    ck_assert_int_eq(p.ngroups, 0);
}

START_TEST(a_truncated_file_is_reported_as_truncated)
{
    bad("bad/truncated.json", "truncated");
}
END_TEST

START_TEST(invalid_json_is_reported_with_its_byte_offset)
{
    bad("bad/invalid.json", "at byte 40");
}
END_TEST

START_TEST(another_schema_is_refused_by_name)
{
    bad("bad/wrong_schema.json", "unsupported schema \"taskleak/2\"");
    bad("bad/no_schema.json", "not a taskleak report");
    bad("bad/not_object.json", "not a JSON object");
}
END_TEST

START_TEST(a_group_naming_a_missing_stack_is_refused)
{
    bad("bad/dangling_stack.json", "refers to stack 99");
}
END_TEST

START_TEST(hostile_nesting_bad_utf8_and_empty_files_are_refused)
{
    bad("bad/deep.json", "nesting deeper");
    bad("bad/bad_utf8.json", "invalid UTF-8");
    bad("bad/empty.json", "empty file");
}
END_TEST

START_TEST(a_missing_file_or_a_directory_is_refused)
{
    struct tlr_proc p;
    char err[512];
    ck_assert_int_eq(tlr_load_file("/nonexistent/x.json", 0, &p, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "cannot open"));
    ck_assert_int_eq(tlr_load_file(TLR_FIXTURES, 0, &p, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
}
END_TEST

START_TEST(every_prefix_of_a_report_fails_cleanly)
{
    char *text = tlr_slurp(tlr_fixture("gor_tasks.json"));
    size_t len = strlen(text);
    char err[512];
    for (size_t n = 0; n < len; n++) {
        struct tlr_proc p;
        int r = tlr_load_buffer(text, n, "prefix", 0, &p, err, sizeof err);
        /* Only the whole object (plus, at most, its trailing newline) may load. */
        if (r == 0) {
            ck_assert_uint_ge(n, len - 1);
            tlr_proc_free(&p);
        } else {
            ck_assert_ptr_nonnull(strstr(err, "prefix: "));
        }
    }
    free(text);
}
END_TEST

START_TEST(unknown_members_are_ignored_and_escapes_decoded)
{
    const char *doc = "{\"schema\":\"taskleak/1\",\"future\":{\"x\":[1,2.5e3,true]},"
                      "\"process\":{\"pid\":7,\"exe\":\"/bin/caf\\u00e9\"},"
                      "\"stacks\":[{\"id\":1,\"frames\":[{\"ip\":\"0x10\",\"offset\":\"0x10\","
                      "\"function\":\"f\\\"q\\u001b[31m\",\"new\":null}]}],"
                      "\"groups\":[{\"verdict\":\"leaked\",\"kind\":\"thread\",\"reason\":null,"
                      "\"blocked_stack\":1,\"count\":1,\"units\":[\"thread:2\"],\"extra\":{}}]}";
    struct tlr_proc p;
    char err[512] = "";
    ck_assert_msg(tlr_load_buffer(doc, strlen(doc), "inline", 0, &p, err, sizeof err) == 0, "%s",
                  err);
    ck_assert_str_eq(p.exe, "/bin/caf\xc3\xa9");
    ck_assert_str_eq(p.stacks[0].frames[0].function, "f\"q?[31m"); /* no raw ESC */
    ck_assert_ptr_null(p.groups[0].reason);
    tlr_proc_free(&p);
}
END_TEST

START_TEST(out_of_range_numbers_and_lone_surrogates_are_refused)
{
    const char *docs[] = {
        "{\"schema\":\"taskleak/1\",\"groups\":[{\"count\":99999999999999999999}]}",
        "{\"schema\":\"taskleak/1\",\"process\":{\"exe\":\"\\ud800\"}}",
        "{\"schema\":\"taskleak/1\"} trailing",
        "{\"schema\":\"taskleak/1\",\"process\":{\"pid\":1},\"stacks\":[{\"id\":1},{\"id\":1}]}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        struct tlr_proc p;
        char err[512];
        ck_assert_int_eq(tlr_load_buffer(docs[i], strlen(docs[i]), "x", 0, &p, err, sizeof err),
                         -1);
    }
}
END_TEST

Suite *make_tlr_load_suite(void)
{
    Suite *s = suite_create("tlr_load");
    TCase *t = tcase_create("load");
    tcase_add_test(t, a_report_loads_with_process_summary_modules_and_stacks);
    tcase_add_test(t, groups_resolve_their_stacks_and_keep_counts_and_waits);
    tcase_add_test(t, grouped_loading_keeps_only_the_first_unit_of_each_group);
    tcase_add_test(t, grouped_loading_keeps_a_bounded_number_of_unit_ids_per_group);
    tcase_add_test(t, loading_all_units_decodes_every_field_and_the_wait);
    tcase_add_test(t, deadlocked_units_are_kept_even_in_grouped_loading);
    tcase_add_test(t, a_truncated_file_is_reported_as_truncated);
    tcase_add_test(t, invalid_json_is_reported_with_its_byte_offset);
    tcase_add_test(t, another_schema_is_refused_by_name);
    tcase_add_test(t, a_group_naming_a_missing_stack_is_refused);
    tcase_add_test(t, hostile_nesting_bad_utf8_and_empty_files_are_refused);
    tcase_add_test(t, a_missing_file_or_a_directory_is_refused);
    tcase_add_test(t, every_prefix_of_a_report_fails_cleanly);
    tcase_add_test(t, unknown_members_are_ignored_and_escapes_decoded);
    tcase_add_test(t, out_of_range_numbers_and_lone_surrogates_are_refused);
    suite_add_tcase(s, t);
    return s;
}
