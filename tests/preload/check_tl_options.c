/*
 * tl_options: the defaults of taskleak(7) (OPTIONS), every key parsed, both separators, list values
 * continued across commas, quoting, one message per bad value class with the default kept, unknown
 * keys, masking of hostile bytes in messages, help=1, the JSON echo, formatting round trips,
 * %p expansion, the generated documentation, and parsing without touching the heap.
 */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "tl_json.h"
#include "tl_log.h"
#include "tl_options.h"

static int log_fd = -1;

static void setup(void)
{
    char path[] = "/tmp/tl_opt_test.XXXXXX";
    log_fd = mkstemp(path);
    ck_assert_int_ge(log_fd, 0);
    unlink(path);
    tl_log_set_fd(log_fd);
}

static void teardown(void)
{
    close(log_fd);
}

/* Everything logged so far; the log is emptied for the next step. */
static const char *logged(void)
{
    static char buf[65536];
    ssize_t n = pread(log_fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    ck_assert_int_eq(ftruncate(log_fd, 0), 0);
    lseek(log_fd, 0, SEEK_SET);
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(defaults_match_the_design_table)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(o.threshold_ms, 10000);
    ck_assert_int_eq(o.interval_ms, 1000);
    ck_assert(o.exit_check);
    ck_assert_int_eq(o.grace_ms, 1000);
    ck_assert_int_eq(o.exitcode, 76);
    ck_assert_str_eq(o.report, "");
    ck_assert_str_eq(o.log, "stderr");
    ck_assert_str_eq(o.suppressions, "");
    ck_assert_str_eq(o.ignore, "");
    ck_assert_int_eq(o.stack_depth, 32);
    ck_assert_int_eq(o.dump_signal, SIGUSR2);
    ck_assert_uint_eq(o.fail_on,
                      TL_FAIL_LEAKED | TL_FAIL_DEADLOCKED | TL_FAIL_UNJOINED | TL_FAIL_INVERSION);
    ck_assert_int_eq(o.verbosity, 0);
    ck_assert_int_eq(o.max_units, 10000);
    ck_assert(!o.help);
}
END_TEST

START_TEST(every_key_parses_with_colons)
{
    struct tl_options o;
    tl_options_defaults(&o);
    int bad = tl_options_parse(&o, "threshold=2s:interval=500ms:exit_check=0:grace=2m:"
                                   "exitcode=3:report=/tmp/r:log=/tmp/l.%p:suppressions=/tmp/s:"
                                   "ignore=foo*:stack_depth=8:dump_signal=USR1:"
                                   "fail_on=deadlocked:verbosity=2:max_units=5");
    ck_assert_int_eq(bad, 0);
    ck_assert_str_eq(logged(), "");
    ck_assert_int_eq(o.threshold_ms, 2000);
    ck_assert_int_eq(o.interval_ms, 500);
    ck_assert(!o.exit_check);
    ck_assert_int_eq(o.grace_ms, 120000);
    ck_assert_int_eq(o.exitcode, 3);
    ck_assert_str_eq(o.report, "/tmp/r");
    ck_assert_str_eq(o.log, "/tmp/l.%p");
    ck_assert_str_eq(o.suppressions, "/tmp/s");
    ck_assert_str_eq(o.ignore, "foo*");
    ck_assert_int_eq(o.stack_depth, 8);
    ck_assert_int_eq(o.dump_signal, SIGUSR1);
    ck_assert_uint_eq(o.fail_on, TL_FAIL_DEADLOCKED);
    ck_assert_int_eq(o.verbosity, 2);
    ck_assert_int_eq(o.max_units, 5);
}
END_TEST

START_TEST(commas_and_blanks_separate_pairs_too)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, " threshold=3s, grace=0 ,exitcode=9\n"), 0);
    ck_assert_int_eq(o.threshold_ms, 3000);
    ck_assert_int_eq(o.grace_ms, 0);
    ck_assert_int_eq(o.exitcode, 9);
}
END_TEST

START_TEST(bare_numbers_are_milliseconds_and_units_are_exact)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "threshold=250:grace=5ms:interval=1m"), 0);
    ck_assert_int_eq(o.threshold_ms, 250);
    ck_assert_int_eq(o.grace_ms, 5);
    ck_assert_int_eq(o.interval_ms, 60000);
    ck_assert_int_eq(tl_options_parse(&o, "threshold=0"), 0);
    ck_assert_int_eq(o.threshold_ms, 0);
}
END_TEST

START_TEST(fail_on_list_continues_across_commas)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "fail_on=leaked,deadlocked,blocked"), 0);
    ck_assert_uint_eq(o.fail_on, TL_FAIL_LEAKED | TL_FAIL_DEADLOCKED | TL_FAIL_BLOCKED);
    ck_assert_int_eq(tl_options_parse(&o, "fail_on=blocked,threshold=1s"), 0);
    ck_assert_uint_eq(o.fail_on, TL_FAIL_BLOCKED);
    ck_assert_int_eq(o.threshold_ms, 1000);
    ck_assert_int_eq(tl_options_parse(&o, "fail_on=deadlocked:blocked"), 0);
    ck_assert_uint_eq(o.fail_on, TL_FAIL_DEADLOCKED | TL_FAIL_BLOCKED);
}
END_TEST

START_TEST(a_bad_word_after_fail_on_is_one_bad_value_and_keeps_the_rest)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "fail_on=deadlocked,sometimes"), 1);
    ck_assert_uint_eq(o.fail_on, TL_FAIL_DEADLOCKED);
    ck_assert_str_eq(logged(), "taskleak: TASKLEAK_OPTIONS: bad value 'sometimes' for fail_on "
                               "(want a comma list of leaked, deadlocked, unjoined, blocked, "
                               "inversion, growing; using deadlocked)\n");
}
END_TEST

START_TEST(fail_on_takes_unjoined_and_formats_the_default_back)
{
    struct tl_options o;
    char v[128];
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_format(&o, "fail_on", v, sizeof v), 0);
    ck_assert_str_eq(v, "leaked,deadlocked,unjoined,inversion");
    ck_assert_int_eq(tl_options_parse(&o, "fail_on=unjoined,blocked"), 0);
    ck_assert_uint_eq(o.fail_on, TL_FAIL_UNJOINED | TL_FAIL_BLOCKED);
    ck_assert_int_eq(tl_options_parse(&o, "fail_on=leaked"), 0);
    ck_assert_uint_eq(o.fail_on, TL_FAIL_LEAKED);
}
END_TEST

START_TEST(relative_report_and_log_paths_are_made_absolute_against_the_start_directory)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "report=out/reports:log=tl.%p.log"), 0);
    ck_assert_int_eq(tl_options_resolve_paths(&o, "/srv/100%/run"), 2);
    ck_assert_str_eq(o.report, "/srv/100%%/run/out/reports"); /* '%' kept literal */
    ck_assert_str_eq(o.log, "/srv/100%%/run/tl.%p.log");
    char out[256];
    ck_assert_int_ge(tl_options_expand_path(o.report, out, sizeof out), 0);
    ck_assert_str_eq(out, "/srv/100%/run/out/reports");
    ck_assert_int_eq(tl_options_resolve_paths(&o, "/elsewhere"), 0); /* absolute now: kept */
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "report=r"), 0);
    ck_assert_int_eq(tl_options_resolve_paths(&o, "/"), 1);
    ck_assert_str_eq(o.report, "/r");
    ck_assert_str_eq(o.log, "stderr"); /* not a path */
}
END_TEST

START_TEST(ignore_list_continues_across_commas)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "ignore=pool_*,idle_loop:verbosity=1"), 0);
    ck_assert_str_eq(o.ignore, "pool_*,idle_loop");
    ck_assert_int_eq(o.verbosity, 1);
}
END_TEST

START_TEST(quoted_values_may_contain_separators)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "log=\"/tmp/a:b,c d.log\":report='/x:y'"), 0);
    ck_assert_str_eq(o.log, "/tmp/a:b,c d.log");
    ck_assert_str_eq(o.report, "/x:y");
}
END_TEST

START_TEST(the_last_value_of_a_key_wins)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "exitcode=1:exitcode=2"), 0);
    ck_assert_int_eq(o.exitcode, 2);
}
END_TEST

START_TEST(signals_parse_by_name_short_name_and_number)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "dump_signal=SIGUSR1"), 0);
    ck_assert_int_eq(o.dump_signal, SIGUSR1);
    ck_assert_int_eq(tl_options_parse(&o, "dump_signal=winch"), 0);
    ck_assert_int_eq(o.dump_signal, SIGWINCH);
    ck_assert_int_eq(tl_options_parse(&o, "dump_signal=0"), 0);
    ck_assert_int_eq(o.dump_signal, 0);
    ck_assert_int_eq(tl_options_parse(&o, "dump_signal=12"), 0);
    ck_assert_int_eq(o.dump_signal, 12);
    char num[32];
    snprintf(num, sizeof num, "dump_signal=%d", SIGRTMIN + 2);
    ck_assert_int_eq(tl_options_parse(&o, num), 0);
    ck_assert_int_eq(o.dump_signal, SIGRTMIN + 2);
}
END_TEST

/* Each bad value class: exactly one line naming the key, the value and the value kept, and the
 * whole struct unchanged. */
START_TEST(on_deadlock_takes_all_any_or_report_and_defaults_to_all)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(o.on_deadlock, TL_ON_DEADLOCK_ALL);
    ck_assert_int_eq(tl_options_parse(&o, "on_deadlock=any"), 0);
    ck_assert_int_eq(o.on_deadlock, TL_ON_DEADLOCK_ANY);
    ck_assert_int_eq(tl_options_parse(&o, "on_deadlock=report"), 0);
    ck_assert_int_eq(o.on_deadlock, TL_ON_DEADLOCK_REPORT);
    ck_assert_int_eq(tl_options_parse(&o, "on_deadlock=all"), 0);
    ck_assert_int_eq(o.on_deadlock, TL_ON_DEADLOCK_ALL);
    char v[16];
    ck_assert_int_eq(tl_options_parse(&o, "on_deadlock=any"), 0);
    ck_assert_int_eq(tl_options_format(&o, "on_deadlock", v, sizeof v), 0);
    ck_assert_str_eq(v, "any");
}
END_TEST

START_TEST(every_bad_value_class_gives_one_message_and_keeps_the_default)
{
    static char long_path[5000 + 8];
    static const struct {
        const char *input, *key, *want, *kept;
    } cases[] = {
        {"threshold=abc", "threshold", "a duration such as 10s", "10s"},
        {"threshold=5h", "threshold", "a duration such as 10s", "10s"},
        {"threshold=-1", "threshold", "a duration such as 10s", "10s"},
        {"threshold=", "threshold", "a duration such as 10s", "10s"},
        {"threshold=99999999999999999999", "threshold", "a duration from 0ms to 1440m", "10s"},
        {"threshold=2000m", "threshold", "a duration from 0ms to 1440m", "10s"},
        {"interval=0", "interval", "a duration from 10ms to 60m", "1s"},
        {"exit_check=maybe", "exit_check", "0 or 1", "1"},
        {"exitcode=256", "exitcode", "an integer from 0 to 255", "76"},
        {"exitcode=7x", "exitcode", "an integer from 0 to 255", "76"},
        {"stack_depth=0", "stack_depth", "an integer from 1 to 256", "32"},
        {"verbosity=3", "verbosity", "an integer from 0 to 2", "0"},
        {"max_units=-1", "max_units", "an integer from 0 to 100000000", "10000"},
        {"log=/tmp/x.%n", "log", "a path in which '%' is followed only by 'p' (pid) or '%'",
         "stderr"},
        {"report=/tmp/x%", "report", "a path in which '%'", "none"},
        {NULL /* long_path */, "report", "a path shorter than 4096 bytes", "none"},
        {"dump_signal=SIGFOO", "dump_signal", "a signal name such as SIGUSR2", "SIGUSR2"},
        {"dump_signal=9", "dump_signal", "a signal that can be caught", "SIGUSR2"},
        {"dump_signal=SIGSTOP", "dump_signal", "a signal that can be caught", "SIGUSR2"},
        {"dump_signal=32", "dump_signal", "a signal that can be caught", "SIGUSR2"},
        {"dump_signal=99", "dump_signal", "a signal that can be caught", "SIGUSR2"},
        {"fail_on=everything", "fail_on",
         "a comma list of leaked, deadlocked, unjoined, blocked, inversion",
         "leaked,deadlocked,unjoined,inversion"},
        {"on_deadlock=exit", "on_deadlock", "all, any or report", "all"},
        {"on_deadlock=ALL", "on_deadlock", "all, any or report", "all"},
        {"log=\"/tmp/unterminated", "log", "a path in which", "stderr"},
        {"log=\"/tmp/a\"trailing", "log", "a path in which", "stderr"},
    };
    memcpy(long_path, "report=/", 8);
    memset(long_path + 8, 'a', 5000 - 1);
    struct tl_options def, o;
    tl_options_defaults(&def);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char needle[256];
        tl_options_defaults(&o);
        const char *in = cases[i].input ? cases[i].input : long_path;
        ck_assert_msg(tl_options_parse(&o, in) == 1, "case %zu: %s", i, in);
        const char *out = logged();
        ck_assert_msg(count_lines(out) == 1, "case %zu: %s", i, out);
        ck_assert_msg(strncmp(out, "taskleak: TASKLEAK_OPTIONS: bad value '", 39) == 0, "%s", out);
        snprintf(needle, sizeof needle, "' for %s (want %s", cases[i].key, cases[i].want);
        ck_assert_msg(strstr(out, needle) != NULL, "case %zu: '%s' not in %s", i, needle, out);
        snprintf(needle, sizeof needle, "; using %s)\n", cases[i].kept);
        ck_assert_msg(strstr(out, needle) != NULL, "case %zu: '%s' not in %s", i, needle, out);
        ck_assert_msg(memcmp(&o, &def, sizeof o) == 0, "case %zu changed the options", i);
    }
}
END_TEST

START_TEST(a_bad_value_keeps_an_earlier_good_one_not_the_default)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "threshold=3s:threshold=soon"), 1);
    ck_assert_int_eq(o.threshold_ms, 3000);
    ck_assert_ptr_nonnull(strstr(logged(), "; using 3s)"));
}
END_TEST

START_TEST(unknown_keys_are_named_and_ignored)
{
    struct tl_options o, def;
    tl_options_defaults(&o);
    tl_options_defaults(&def);
    ck_assert_int_eq(tl_options_parse(&o, "thresold=1s"), 1);
    ck_assert_str_eq(logged(), "taskleak: TASKLEAK_OPTIONS: unknown key 'thresold' (ignored)\n");
    ck_assert_int_eq(tl_options_parse(&o, "verbose"), 1);
    ck_assert_str_eq(logged(), "taskleak: TASKLEAK_OPTIONS: unknown key 'verbose' (ignored)\n");
    ck_assert_int_eq(tl_options_parse(&o, "grace"), 1);
    ck_assert_str_eq(logged(),
                     "taskleak: TASKLEAK_OPTIONS: missing value for grace (want grace=value; "
                     "ignored)\n");
    ck_assert(memcmp(&o, &def, sizeof o) == 0);
}
END_TEST

START_TEST(problems_are_counted_and_good_pairs_still_apply)
{
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "a=1:exitcode=5:b=2:threshold=x:grace=3s"), 3);
    ck_assert_int_eq(count_lines(logged()), 3);
    ck_assert_int_eq(o.exitcode, 5);
    ck_assert_int_eq(o.grace_ms, 3000);
}
END_TEST

START_TEST(hostile_bytes_in_messages_are_escaped_and_cut)
{
    static char huge[3000];
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "threshold=a\x01\x1b[31mb"), 1);
    const char *out = logged();
    ck_assert_int_eq(count_lines(out), 1);
    ck_assert_msg(strstr(out, "'a\\x01\\x1b[31mb'") != NULL, "%s", out);
    ck_assert_int_eq(tl_options_parse(&o, "threshold=1\x02\xff\xc3\xa9"), 1); /* bad, then good UTF-8 */
    out = logged();
    ck_assert_int_eq(count_lines(out), 1);
    ck_assert_msg(strstr(out, "'1\\x02\\xff\xc3\xa9'") != NULL, "%s", out);
    memcpy(huge, "zz", 2);
    memset(huge + 2, 'k', sizeof huge - 3);
    ck_assert_int_eq(tl_options_parse(&o, huge), 1);
    out = logged();
    ck_assert_int_eq(count_lines(out), 1);
    ck_assert_uint_lt(strlen(out), 200);
    ck_assert_ptr_nonnull(strstr(out, "...' (ignored)"));
}
END_TEST

START_TEST(null_and_empty_strings_change_nothing)
{
    struct tl_options o, def;
    tl_options_defaults(&o);
    tl_options_defaults(&def);
    ck_assert_int_eq(tl_options_parse(&o, NULL), 0);
    ck_assert_int_eq(tl_options_parse(&o, ""), 0);
    ck_assert_int_eq(tl_options_parse(&o, ":,: ,"), 0);
    ck_assert(memcmp(&o, &def, sizeof o) == 0);
    ck_assert_str_eq(logged(), "");
}
END_TEST

START_TEST(help_prints_every_key_to_the_log)
{
    static const char *const keys[] = {
        "threshold",  "interval",     "exit_check",      "grace",       "exitcode",    "report",
        "log",        "suppressions", "ignore",          "stack_depth", "dump_signal", "fail_on",
        "verbosity",  "max_units",    "report_fallback", "on_deadlock", "lock_order",  "defer_text",
        "growth",     "growth_min",   "metrics",         "proof",
        "defer_live"};
    struct tl_options o;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "help=1"), 0);
    ck_assert(o.help);
    const char *out = logged();
    ck_assert_int_eq(count_lines(out), 24);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "taskleak:   %s ", keys[i]);
        ck_assert_msg(strstr(out, needle) != NULL, "%s missing from help", keys[i]);
    }
}
END_TEST

START_TEST(json_echo_reads_back_with_typed_values)
{
    struct tl_options o;
    struct tl_json j;
    json_error_t e;
    tl_options_defaults(&o);
    ck_assert_int_eq(tl_options_parse(&o, "fail_on=leaked,blocked:report=/r:threshold=1m"), 0);
    tl_json_init(&j);
    tl_json_obj_begin(&j, NULL);
    tl_options_json(&o, &j);
    tl_json_obj_end(&j);
    char *text = tl_json_finish(&j, NULL);
    json_t *v = json_loads(text, 0, &e);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "threshold_ms")), 60000);
    ck_assert(json_is_true(json_object_get(v, "exit_check")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "report")), "/r");
    ck_assert(json_is_null(json_object_get(v, "suppressions")));
    ck_assert_str_eq(json_string_value(json_object_get(v, "dump_signal")), "SIGUSR2");
    json_t *f = json_object_get(v, "fail_on");
    ck_assert_uint_eq(json_array_size(f), 2);
    ck_assert_str_eq(json_string_value(json_array_get(f, 0)), "leaked");
    ck_assert_str_eq(json_string_value(json_array_get(f, 1)), "blocked");
    ck_assert_int_eq(json_integer_value(json_object_get(v, "max_units")), 10000);
    ck_assert_str_eq(json_string_value(json_object_get(v, "on_deadlock")), "all");
    ck_assert_uint_eq(json_object_size(v), 23);
    json_decref(v);
    free(text);
}
END_TEST

START_TEST(formatted_values_parse_back_to_the_same_options)
{
    static const char *const keys[] = {"threshold", "interval",    "exit_check",  "grace",
                                       "exitcode",  "report",      "log",         "suppressions",
                                       "ignore",    "stack_depth", "dump_signal", "fail_on",
                                       "verbosity", "max_units",   "on_deadlock"};
    struct tl_options a, b;
    tl_options_defaults(&a);
    ck_assert_int_eq(tl_options_parse(&a, "threshold=1500:interval=2m:exit_check=0:grace=7s:"
                                          "exitcode=1:report=/a:log=/b.%p:suppressions=/c:"
                                          "ignore=x,y*:stack_depth=64:dump_signal=SIGHUP:"
                                          "fail_on=deadlocked,blocked:verbosity=1:"
                                          "max_units=0:on_deadlock=report"),
                     0);
    tl_options_defaults(&b);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char value[4200], pair[4300];
        ck_assert_int_eq(tl_options_format(&a, keys[i], value, sizeof value), 0);
        snprintf(pair, sizeof pair, "%s=%s", keys[i], value);
        ck_assert_msg(tl_options_parse(&b, pair) == 0, "%s", pair);
    }
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
    char v[8];
    ck_assert_int_eq(tl_options_format(&a, "nope", v, sizeof v), -1);
}
END_TEST

START_TEST(expand_path_substitutes_pid_and_rejects_other_placeholders)
{
    char out[64], want[64];
    snprintf(want, sizeof want, "/tmp/t.%d.log%%", (int)getpid());
    ck_assert_int_eq(tl_options_expand_path("/tmp/t.%p.log%%", out, sizeof out), (int)strlen(want));
    ck_assert_str_eq(out, want);
    errno = 0;
    ck_assert_int_eq(tl_options_expand_path("/tmp/%n", out, sizeof out), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tl_options_expand_path("/tmp/%", out, sizeof out), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(tl_options_expand_path("/tmp/%s", out, sizeof out), -1);
    ck_assert_int_eq(tl_options_expand_path("/a/very/long/path/%p", out, 12), -1);
    ck_assert_int_eq(errno, ENAMETOOLONG);
    ck_assert_int_eq(tl_options_expand_path("", out, sizeof out), 0);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(generated_docs_have_one_entry_per_option)
{
    char path[] = "/tmp/tl_doc.XXXXXX";
    static char buf[32768];
    int fd = mkstemp(path);
    unlink(path);
    tl_options_doc(fd, TL_DOC_MAN);
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n] = '\0';
    int tp = 0;
    for (char *p = buf; (p = strstr(p, ".TP\n.BI ")) != NULL; p++)
        tp++;
    ck_assert_int_eq(tp, 23);
    ck_assert_ptr_nonnull(strstr(buf, ".BI threshold= duration\n"));
    ck_assert_ptr_nonnull(strstr(buf, "Default: \\fB10s\\fR."));
    ck_assert_int_eq(ftruncate(fd, 0), 0);
    lseek(fd, 0, SEEK_SET);
    tl_options_doc(fd, TL_DOC_MARKDOWN);
    n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n] = '\0';
    ck_assert_int_eq(count_lines(buf), 25);
    ck_assert_ptr_nonnull(strstr(buf, "| `max_units` | integer | `10000` |"));
    ck_assert_ptr_nonnull(strstr(buf, "| `growth` | duration | `60s` |"));
    close(fd);
}
END_TEST

/* Every line the table generates stands in the document as written: the README's options table
 * and taskleak(7)'s OPTIONS entries are the generated text, so a changed option changes them. */
static void doc_lines_in(enum tl_doc_format fmt, const char *doc)
{
    char path[] = "/tmp/tl_doc.XXXXXX", file[1024];
    static char gen[32768], text[1 << 20];
    int fd = mkstemp(path);
    unlink(path);
    tl_options_doc(fd, fmt);
    ssize_t n = pread(fd, gen, sizeof gen - 1, 0);
    close(fd);
    ck_assert_int_gt(n, 0);
    gen[n] = '\0';
    snprintf(file, sizeof file, "%s/%s", TH_SRC_DIR, doc);
    FILE *f = fopen(file, "r");
    ck_assert_msg(f != NULL, "cannot read %s", file);
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    for (char *line = strtok(gen, "\n"); line != NULL; line = strtok(NULL, "\n"))
        ck_assert_msg(strstr(text, line) != NULL, "%s lacks the generated line: %s", doc, line);
}

START_TEST(readme_and_man_page_hold_the_generated_option_docs)
{
    doc_lines_in(TL_DOC_MARKDOWN, "README.md");
    doc_lines_in(TL_DOC_MAN, "man/taskleak.7");
}
END_TEST

START_TEST(parsing_leaves_the_heap_untouched)
{
    struct tl_options o;
    tl_options_defaults(&o);
    tl_options_parse(&o, "bad=1:threshold=x"); /* warm up stdio's locale data once */
    logged();
    struct mallinfo2 before = mallinfo2();
    tl_options_parse(&o, "threshold=2s:log=/tmp/x.%p:fail_on=leaked,blocked:ignore=a,b,c:"
                         "nokey=1:exitcode=999:dump_signal=KILL");
    struct mallinfo2 after = mallinfo2();
    ck_assert_uint_eq(before.uordblks, after.uordblks);
    ck_assert_uint_eq(before.hblks, after.hblks);
}
END_TEST

Suite *make_tl_options_suite(void)
{
    Suite *s = suite_create("tl_options");
    TCase *good = tcase_create("good input");
    tcase_add_checked_fixture(good, setup, teardown);
    tcase_add_test(good, defaults_match_the_design_table);
    tcase_add_test(good, every_key_parses_with_colons);
    tcase_add_test(good, on_deadlock_takes_all_any_or_report_and_defaults_to_all);
    tcase_add_test(good, commas_and_blanks_separate_pairs_too);
    tcase_add_test(good, bare_numbers_are_milliseconds_and_units_are_exact);
    tcase_add_test(good, fail_on_list_continues_across_commas);
    tcase_add_test(good, ignore_list_continues_across_commas);
    tcase_add_test(good, quoted_values_may_contain_separators);
    tcase_add_test(good, the_last_value_of_a_key_wins);
    tcase_add_test(good, signals_parse_by_name_short_name_and_number);
    tcase_add_test(good, null_and_empty_strings_change_nothing);
    suite_add_tcase(s, good);
    TCase *bad = tcase_create("bad input");
    tcase_add_checked_fixture(bad, setup, teardown);
    tcase_add_test(bad, a_bad_word_after_fail_on_is_one_bad_value_and_keeps_the_rest);
    tcase_add_test(bad, fail_on_takes_unjoined_and_formats_the_default_back);
    tcase_add_test(bad,
                   relative_report_and_log_paths_are_made_absolute_against_the_start_directory);
    tcase_add_test(bad, every_bad_value_class_gives_one_message_and_keeps_the_default);
    tcase_add_test(bad, a_bad_value_keeps_an_earlier_good_one_not_the_default);
    tcase_add_test(bad, unknown_keys_are_named_and_ignored);
    tcase_add_test(bad, problems_are_counted_and_good_pairs_still_apply);
    tcase_add_test(bad, hostile_bytes_in_messages_are_escaped_and_cut);
    tcase_add_test(bad, parsing_leaves_the_heap_untouched);
    suite_add_tcase(s, bad);
    TCase *out = tcase_create("output");
    tcase_add_checked_fixture(out, setup, teardown);
    tcase_add_test(out, help_prints_every_key_to_the_log);
    tcase_add_test(out, json_echo_reads_back_with_typed_values);
    tcase_add_test(out, formatted_values_parse_back_to_the_same_options);
    tcase_add_test(out, expand_path_substitutes_pid_and_rejects_other_placeholders);
    tcase_add_test(out, generated_docs_have_one_entry_per_option);
    tcase_add_test(out, readme_and_man_page_hold_the_generated_option_docs);
    suite_add_tcase(s, out);
    return s;
}
