/*
 * tl_json: every value kind read back with jansson, odd strings (control characters, quotes,
 * backslashes, multi-byte UTF-8) round-tripping exactly, invalid UTF-8 turned into U+FFFD so the
 * output stays valid, readable indentation, and the writer refusing to produce broken JSON
 * (unbalanced or too deep nesting).
 */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tl_json.h"

/* Finishes j and parses the text strictly; fails the test when it is not valid JSON. */
static json_t *finish_and_parse(struct tl_json *j, char **text)
{
    json_error_t e;
    size_t len = 0;
    char *out = tl_json_finish(j, &len);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(strlen(out), len);
    json_t *v = json_loadb(out, len, JSON_REJECT_DUPLICATES, &e);
    ck_assert_msg(v != NULL, "invalid JSON (%s at line %d): %s", e.text, e.line, out);
    if (text)
        *text = out;
    else
        free(out);
    return v;
}

START_TEST(every_value_kind_reads_back_with_jansson)
{
    struct tl_json j;
    tl_json_init(&j);
    tl_json_obj_begin(&j, NULL);
    tl_json_str(&j, "s", "hello");
    tl_json_str(&j, "none", NULL);
    tl_json_int(&j, "min", INT64_MIN);
    tl_json_int(&j, "max", INT64_MAX);
    tl_json_uint(&j, "u", 4000000000ull);
    tl_json_bool(&j, "t", true);
    tl_json_bool(&j, "f", false);
    tl_json_null(&j, "n");
    tl_json_hex(&j, "h", 0x1a2b);
    tl_json_hex(&j, "z", 0);
    tl_json_arr_begin(&j, "a");
    tl_json_int(&j, NULL, 1);
    tl_json_obj_begin(&j, NULL);
    tl_json_str(&j, "k", "v");
    tl_json_obj_end(&j);
    tl_json_arr_end(&j);
    tl_json_obj_end(&j);
    json_t *v = finish_and_parse(&j, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(v, "s")), "hello");
    ck_assert(json_is_null(json_object_get(v, "none")));
    ck_assert(json_integer_value(json_object_get(v, "min")) == INT64_MIN);
    ck_assert(json_integer_value(json_object_get(v, "max")) == INT64_MAX);
    ck_assert(json_integer_value(json_object_get(v, "u")) == 4000000000ll);
    ck_assert(json_is_true(json_object_get(v, "t")));
    ck_assert(json_is_false(json_object_get(v, "f")));
    ck_assert(json_is_null(json_object_get(v, "n")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "h")), "0x1a2b");
    ck_assert_str_eq(json_string_value(json_object_get(v, "z")), "0x0");
    json_t *a = json_object_get(v, "a");
    ck_assert_uint_eq(json_array_size(a), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(a, 0)), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 1), "k")), "v");
    json_decref(v);
}
END_TEST

START_TEST(odd_strings_round_trip_exactly)
{
    static const char *const odd[] = {
        "quote \" and backslash \\ and slash /",
        "\x01\x02\x03\x04\x05\x06\x07\b\t\n\x0b\f\r\x0e\x0f\x10\x1b\x1f",
        "del \x7f stays",
        "UTF-8: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac",
        "",
        "ends with backslash \\",
    };
    struct tl_json j;
    tl_json_init(&j);
    tl_json_arr_begin(&j, NULL);
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        tl_json_str(&j, NULL, odd[i]);
    tl_json_arr_end(&j);
    char *text;
    json_t *v = finish_and_parse(&j, &text);
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
        ck_assert_str_eq(json_string_value(json_array_get(v, i)), odd[i]);
    /* raw control characters never appear inside the text */
    for (const char *p = text; *p; p++)
        ck_assert(*p == '\n' || (unsigned char)*p >= 0x20);
    free(text);
    json_decref(v);
}
END_TEST

START_TEST(odd_keys_are_escaped_too)
{
    struct tl_json j;
    tl_json_init(&j);
    tl_json_obj_begin(&j, NULL);
    tl_json_int(&j, "we\"ird\nkey", 5);
    tl_json_obj_end(&j);
    json_t *v = finish_and_parse(&j, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "we\"ird\nkey")), 5);
    json_decref(v);
}
END_TEST

START_TEST(invalid_utf8_becomes_replacement_characters)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\xff"
         "b",
         "a\xef\xbf\xbd"
         "b"},                                                    /* never valid */
        {"\xc3", "\xef\xbf\xbd"},                                 /* truncated at the end */
        {"\xc0\x80", "\xef\xbf\xbd\xef\xbf\xbd"},                 /* overlong NUL */
        {"\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* > U+10FFFF */
        {"\xe2\x82x", "\xef\xbf\xbd\xef\xbf\xbdx"}, /* cut by an ASCII byte */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tl_json j;
        tl_json_init(&j);
        tl_json_arr_begin(&j, NULL);
        tl_json_str(&j, NULL, cases[i].in);
        tl_json_arr_end(&j);
        json_t *v = finish_and_parse(&j, NULL);
        ck_assert_str_eq(json_string_value(json_array_get(v, 0)), cases[i].out);
        json_decref(v);
    }
}
END_TEST

START_TEST(output_is_indented_one_member_per_line)
{
    struct tl_json j;
    tl_json_init(&j);
    tl_json_obj_begin(&j, NULL);
    tl_json_int(&j, "a", 1);
    tl_json_obj_begin(&j, "b");
    tl_json_int(&j, "c", 2);
    tl_json_obj_end(&j);
    tl_json_arr_begin(&j, "empty");
    tl_json_arr_end(&j);
    tl_json_obj_begin(&j, "nothing");
    tl_json_obj_end(&j);
    tl_json_obj_end(&j);
    char *text = tl_json_finish(&j, NULL);
    ck_assert_str_eq(text, "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": 2\n  },\n  \"empty\": [],\n"
                           "  \"nothing\": {}\n}\n");
    free(text);
}
END_TEST

START_TEST(unbalanced_nesting_yields_no_document)
{
    struct tl_json j;
    tl_json_init(&j);
    tl_json_obj_begin(&j, NULL);
    ck_assert_ptr_null(tl_json_finish(&j, NULL)); /* still open */
    tl_json_init(&j);
    tl_json_arr_end(&j); /* closing what was never opened */
    ck_assert(j.oom);
    ck_assert_ptr_null(tl_json_finish(&j, NULL));
}
END_TEST

START_TEST(nesting_deeper_than_the_limit_is_refused_not_overflowed)
{
    struct tl_json j;
    tl_json_init(&j);
    for (int i = 0; i < 100; i++)
        tl_json_arr_begin(&j, NULL);
    ck_assert(j.oom);
    ck_assert_int_lt(j.depth, 64);
    for (int i = 0; i < 100; i++)
        tl_json_arr_end(&j);
    ck_assert_ptr_null(tl_json_finish(&j, NULL));
}
END_TEST

START_TEST(large_documents_grow_the_buffer_correctly)
{
    struct tl_json j;
    char key[32];
    tl_json_init(&j);
    tl_json_obj_begin(&j, NULL);
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        tl_json_int(&j, key, i);
    }
    tl_json_obj_end(&j);
    json_t *v = finish_and_parse(&j, NULL);
    ck_assert_uint_eq(json_object_size(v), 20000);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "k19999")), 19999);
    json_decref(v);
}
END_TEST

START_TEST(free_resets_the_writer_for_reuse)
{
    struct tl_json j;
    tl_json_init(&j);
    tl_json_arr_begin(&j, NULL);
    tl_json_free(&j);
    ck_assert_ptr_null(j.buf);
    ck_assert_int_eq(j.depth, 0);
    tl_json_arr_begin(&j, NULL);
    tl_json_arr_end(&j);
    char *t = tl_json_finish(&j, NULL);
    ck_assert_str_eq(t, "[]\n");
    free(t);
}
END_TEST

Suite *make_tl_json_suite(void)
{
    Suite *s = suite_create("tl_json");
    TCase *tc = tcase_create("writer");
    tcase_add_test(tc, every_value_kind_reads_back_with_jansson);
    tcase_add_test(tc, odd_strings_round_trip_exactly);
    tcase_add_test(tc, odd_keys_are_escaped_too);
    tcase_add_test(tc, invalid_utf8_becomes_replacement_characters);
    tcase_add_test(tc, output_is_indented_one_member_per_line);
    tcase_add_test(tc, unbalanced_nesting_yields_no_document);
    tcase_add_test(tc, nesting_deeper_than_the_limit_is_refused_not_overflowed);
    tcase_add_test(tc, large_documents_grow_the_buffer_correctly);
    tcase_add_test(tc, free_resets_the_writer_for_reuse);
    suite_add_tcase(s, tc);
    return s;
}
