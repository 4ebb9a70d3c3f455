/*
 * tl_supp: files with comments, blank lines, CRLF and indentation load to the right number of
 * patterns; leak:, block: and thread: match what they should and nothing else; the first match
 * wins and is counted (also from many threads at once); ignore= adds leak: patterns; every kind of
 * bad input gives one message naming file, line and problem; the JSON lists every pattern with
 * its count; the building blocks the report tool uses (text in memory, structured errors, testing
 * one pattern without counting) behave like the loader.
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tl_json.h"
#include "tl_supp.h"

static char path[64];

static const char *write_file(const char *text)
{
    strcpy(path, "/tmp/tl_supp_test.XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void remove_file(void)
{
    if (path[0])
        unlink(path);
}

static struct tl_supp *load_ok(const char *text, const char *ignore)
{
    char err[256] = "";
    struct tl_supp *s = tl_supp_load(text ? write_file(text) : NULL, ignore, err, sizeof err);
    ck_assert_msg(s != NULL, "load failed: %s", err);
    ck_assert_str_eq(err, "");
    return s;
}

static void expect_error(const char *text, const char *want_suffix)
{
    char err[512] = "", want[512];
    const char *p = write_file(text);
    ck_assert_ptr_null(tl_supp_load(p, NULL, err, sizeof err));
    snprintf(want, sizeof want, "suppressions file %s: %s", p, want_suffix);
    unlink(p);
    ck_assert_str_eq(err, want);
}

START_TEST(comments_blanks_crlf_and_indentation_are_handled)
{
    struct tl_supp *s = load_ok("# pools we never shut down\n"
                                "\n"
                                "leak:pool_worker*\r\n"
                                "   block:  wait_for_config  \n"
                                "\t# indented comment\n"
                                "thread:logger-*\n"
                                "leak:no_newline_at_end",
                                NULL);
    ck_assert_uint_eq(tl_supp_count(s), 4);
    ck_assert_str_eq(tl_supp_pattern(s, 0), "leak:pool_worker*");
    ck_assert_str_eq(tl_supp_pattern(s, 1), "block:wait_for_config");
    ck_assert_str_eq(tl_supp_pattern(s, 2), "thread:logger-*");
    ck_assert_str_eq(tl_supp_pattern(s, 3), "leak:no_newline_at_end");
    ck_assert_ptr_null(tl_supp_pattern(s, 4));
    tl_supp_free(s);
}
END_TEST

START_TEST(no_file_and_no_ignore_list_give_an_empty_set)
{
    char err[64] = "";
    struct tl_supp *s = tl_supp_load(NULL, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(tl_supp_count(s), 0);
    tl_supp_free(s);
    s = tl_supp_load("", "", err, sizeof err);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(tl_supp_count(s), 0);
    const char *fns[] = {"anything"};
    ck_assert_ptr_null(tl_supp_match(s, TL_SUPP_LEAK, fns, 1, "name"));
    tl_supp_free(s);
    ck_assert_ptr_null(tl_supp_match(NULL, TL_SUPP_LEAK, fns, 1, "name"));
}
END_TEST

START_TEST(patterns_match_their_kind_and_are_counted)
{
    struct tl_supp *s = load_ok("leak:pool_*\nblock:read_config\nthread:logger-?\n", NULL);
    const char *pool[] = {"start_thread", NULL, "pool_main"};
    const char *cfg[] = {"read_config", "main"};
    const char *other[] = {"main"};
    ck_assert_str_eq(tl_supp_match(s, TL_SUPP_LEAK, pool, 3, NULL), "leak:pool_*");
    ck_assert_ptr_null(tl_supp_match(s, TL_SUPP_BLOCK, pool, 3, NULL));
    ck_assert_str_eq(tl_supp_match(s, TL_SUPP_BLOCK, cfg, 2, NULL), "block:read_config");
    ck_assert_ptr_null(tl_supp_match(s, TL_SUPP_LEAK, cfg, 2, "worker"));
    ck_assert_str_eq(tl_supp_match(s, TL_SUPP_LEAK, other, 1, "logger-1"), "thread:logger-?");
    ck_assert_str_eq(tl_supp_match(s, TL_SUPP_BLOCK, other, 1, "logger-2"), "thread:logger-?");
    ck_assert_ptr_null(tl_supp_match(s, TL_SUPP_LEAK, other, 1, "logger-10"));
    ck_assert_str_eq(tl_supp_match(s, TL_SUPP_LEAK, pool, 3, NULL), "leak:pool_*");
    ck_assert_uint_eq(tl_supp_matched(s, 0), 2);
    ck_assert_uint_eq(tl_supp_matched(s, 1), 1);
    ck_assert_uint_eq(tl_supp_matched(s, 2), 2);
    tl_supp_free(s);
}
END_TEST

START_TEST(the_first_matching_line_wins)
{
    struct tl_supp *s = load_ok("leak:worker_main\nleak:worker_*\n", NULL);
    const char *fns[] = {"worker_main"};
    ck_assert_str_eq(tl_supp_match(s, TL_SUPP_LEAK, fns, 1, NULL), "leak:worker_main");
    ck_assert_uint_eq(tl_supp_matched(s, 0), 1);
    ck_assert_uint_eq(tl_supp_matched(s, 1), 0);
    tl_supp_free(s);
}
END_TEST

START_TEST(ignore_list_entries_are_leak_patterns)
{
    struct tl_supp *s = load_ok("block:x\n", "idle_*, housekeeping,,");
    ck_assert_uint_eq(tl_supp_count(s), 3);
    ck_assert_str_eq(tl_supp_pattern(s, 1), "leak:idle_*");
    ck_assert_str_eq(tl_supp_pattern(s, 2), "leak:housekeeping");
    const char *fns[] = {"idle_loop"};
    ck_assert_str_eq(tl_supp_match(s, TL_SUPP_LEAK, fns, 1, NULL), "leak:idle_*");
    ck_assert_ptr_null(tl_supp_match(s, TL_SUPP_BLOCK, fns, 1, NULL));
    tl_supp_free(s);
}
END_TEST

START_TEST(bad_input_names_file_line_and_problem)
{
    expect_error("leak:a\n# fine\nlek:foo\n",
                 "line 3: unknown type 'lek' (want leak:, block:, thread: or inversion:)");
    expect_error("pool_worker\n",
                 "line 1: 'pool_worker' has no type (want leak:, block:, thread: or inversion: "
                 "before the pattern)");
    expect_error("\n\nblock:   \n", "line 3: empty pattern after 'block:'");
    static char big[5000];
    memcpy(big, "leak:", 5);
    memset(big + 5, 'x', sizeof big - 6);
    expect_error(big, "line 1: longer than 4095 bytes");
    remove_file();
}
END_TEST

START_TEST(a_missing_file_gives_the_system_reason)
{
    char err[256];
    ck_assert_ptr_null(tl_supp_load("/nonexistent/supp.txt", NULL, err, sizeof err));
    ck_assert_str_eq(err,
                     "suppressions file /nonexistent/supp.txt: cannot open: No such file or directory");
    ck_assert_ptr_null(tl_supp_load("/nonexistent/supp.txt", NULL, NULL, 0)); /* no err buffer */
}
END_TEST

/* The detector reads this file before main: a device or a FIFO must be refused at once, not read
 * (for /dev/zero: until memory runs out) or waited on (a FIFO nobody writes). */
START_TEST(a_device_a_fifo_or_a_file_over_the_cap_is_refused_at_once)
{
    char err[256], fifo[] = "/tmp/tl_supp_fifo.XXXXXX";
    ck_assert_ptr_null(tl_supp_load("/dev/zero", NULL, err, sizeof err));
    ck_assert_str_eq(err, "suppressions file /dev/zero: is a character device, not a regular file");
    ck_assert_ptr_nonnull(mkdtemp(fifo));
    ck_assert_int_eq(rmdir(fifo), 0);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_ptr_null(tl_supp_load(fifo, NULL, err, sizeof err));
    unlink(fifo);
    ck_assert_ptr_nonnull(strstr(err, ": is a FIFO, not a regular file"));
    char big[] = "/tmp/tl_supp_big.XXXXXX";
    int fd = mkstemp(big);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, TL_SUPP_FILE_MAX + 1), 0);
    close(fd);
    ck_assert_ptr_null(tl_supp_load(big, NULL, err, sizeof err));
    unlink(big);
    ck_assert_ptr_nonnull(strstr(err, ": is larger than 1048576 bytes (the limit for this file)"));
}
END_TEST

START_TEST(json_lists_every_pattern_with_its_count_and_source)
{
    struct tl_supp *s = load_ok("leak:used\nleak:unused\n", "ign");
    const char *fns[] = {"used"};
    tl_supp_match(s, TL_SUPP_LEAK, fns, 1, NULL);
    tl_supp_match(s, TL_SUPP_LEAK, fns, 1, NULL);
    struct tl_json j;
    tl_json_init(&j);
    tl_json_arr_begin(&j, NULL);
    tl_supp_json(s, &j);
    tl_json_arr_end(&j);
    char *text = tl_json_finish(&j, NULL);
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(json_array_size(v), 3);
    json_t *used = json_array_get(v, 0), *unused = json_array_get(v, 1);
    ck_assert_str_eq(json_string_value(json_object_get(used, "pattern")), "leak:used");
    ck_assert_int_eq(json_integer_value(json_object_get(used, "matched")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(unused, "matched")), 0);
    char src[128];
    snprintf(src, sizeof src, "%s:2", path);
    ck_assert_str_eq(json_string_value(json_object_get(unused, "source")), src);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(v, 2), "source")), "ignore");
    json_decref(v);
    free(text);
    tl_supp_free(s);
}
END_TEST

static void *match_many(void *arg)
{
    const char *fns[] = {"hot_path"};
    for (int i = 0; i < 10000; i++)
        tl_supp_match(arg, TL_SUPP_LEAK, fns, 1, NULL);
    return NULL;
}

START_TEST(counts_are_exact_when_threads_match_at_once)
{
    struct tl_supp *s = load_ok("leak:hot_*\n", NULL);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, match_many, s), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(tl_supp_matched(s, 0), 40000);
    tl_supp_free(s);
}
END_TEST

START_TEST(text_in_memory_parses_like_a_file_with_its_name_as_source)
{
    static const char text[] = "# c\n  leak : pool_*  \r\n\nthread:log-?\nblock:read_cfg";
    struct tl_supp_error e;
    struct tl_supp *s = tl_supp_new();
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(tl_supp_read_text(s, "mem", text, sizeof text - 1, &e), 0);
    ck_assert_uint_eq(tl_supp_count(s), 3);
    ck_assert_int_eq(tl_supp_type(s, 0), TL_SUPP_LEAK);
    ck_assert_str_eq(tl_supp_glob(s, 0), "pool_*");
    ck_assert_int_eq(tl_supp_type(s, 1), TL_SUPP_THREAD);
    ck_assert_str_eq(tl_supp_source(s, 1), "mem:4");
    ck_assert_str_eq(tl_supp_pattern(s, 2), "block:read_cfg");
    ck_assert_str_eq(tl_supp_source(s, 2), "mem:5");
    tl_supp_free(s);
}
END_TEST

START_TEST(a_refused_text_reports_problem_line_and_words)
{
    static const char text[] = "leak:a\n  lek :foo\n";
    struct tl_supp_error e;
    struct tl_supp *s = tl_supp_new();
    ck_assert_int_eq(tl_supp_read_text(s, "mem", text, sizeof text - 1, &e), -1);
    ck_assert_int_eq(e.problem, TL_SUPP_ERR_BAD_TYPE);
    ck_assert_uint_eq(e.line, 2);
    ck_assert_str_eq(e.type, "lek");
    ck_assert_str_eq(e.text, "lek :foo");
    tl_supp_free(s);
    s = tl_supp_new();
    ck_assert_int_eq(tl_supp_read_file(s, "/nonexistent/supp.txt", &e), -1);
    ck_assert_int_eq(e.problem, TL_SUPP_ERR_FILE);
    ck_assert_str_eq(e.file, "cannot open: No such file or directory");
    tl_supp_free(s);
}
END_TEST

START_TEST(testing_one_pattern_does_not_count_until_it_is_hit)
{
    struct tl_supp *s = load_ok("leak:pool_*\nthread:log-?\n", NULL);
    const char *fns[] = {"main", "pool_run"};
    ck_assert(tl_supp_pattern_matches(s, 0, TL_SUPP_LEAK, fns, 2, NULL));
    ck_assert(!tl_supp_pattern_matches(s, 0, TL_SUPP_BLOCK, fns, 2, NULL));
    ck_assert(tl_supp_pattern_matches(s, 1, TL_SUPP_BLOCK, NULL, 0, "log-1"));
    ck_assert(!tl_supp_pattern_matches(s, 1, TL_SUPP_LEAK, fns, 2, "log-12"));
    ck_assert_uint_eq(tl_supp_matched(s, 0), 0);
    tl_supp_hit(s, 0);
    ck_assert_uint_eq(tl_supp_matched(s, 0), 1);
    tl_supp_free(s);
}
END_TEST

static void teardown(void)
{
    remove_file();
}

Suite *make_tl_supp_suite(void)
{
    Suite *s = suite_create("tl_supp");
    TCase *tc = tcase_create("suppressions");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, comments_blanks_crlf_and_indentation_are_handled);
    tcase_add_test(tc, no_file_and_no_ignore_list_give_an_empty_set);
    tcase_add_test(tc, patterns_match_their_kind_and_are_counted);
    tcase_add_test(tc, the_first_matching_line_wins);
    tcase_add_test(tc, ignore_list_entries_are_leak_patterns);
    tcase_add_test(tc, bad_input_names_file_line_and_problem);
    tcase_add_test(tc, a_missing_file_gives_the_system_reason);
    tcase_add_test(tc, a_device_a_fifo_or_a_file_over_the_cap_is_refused_at_once);
    tcase_add_test(tc, json_lists_every_pattern_with_its_count_and_source);
    tcase_add_test(tc, counts_are_exact_when_threads_match_at_once);
    tcase_add_test(tc, text_in_memory_parses_like_a_file_with_its_name_as_source);
    tcase_add_test(tc, a_refused_text_reports_problem_line_and_words);
    tcase_add_test(tc, testing_one_pattern_does_not_count_until_it_is_hit);
    suite_add_tcase(s, tc);
    return s;
}
