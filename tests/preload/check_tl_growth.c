/*
 * tl_growth's judgement on hand-made sites and looks at chosen times (no threads, no clock): a
 * site that only climbs is growing after one window and stays so; a pool that grows and shrinks
 * with load, a site that climbs by less than growth_min, and growth=0 are not. Then the metrics
 * text of a scan: every metric with HELP and TYPE, the top sites with their start function.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tl_ctx.h"
#include "tl_group.h"
#include "tl_growth.h"
#include "tl_metrics.h"

static int64_t clock_ms = 1000000; /* looks at invented times, always later across tests */

static void options(int64_t window_ms, long min)
{
    tl_growth_init(&(struct tl_growth_cfg){.window_ms = window_ms, .min = min, .interval_ms = 100});
}

/* n more live units at the site of (stack, start), or n fewer (n < 0). */
static int move(tl_stack_id stack, uintptr_t start, int n)
{
    int site = -1;
    for (int i = 0; i < n; i++)
        site = tl_growth_enter(stack, start, TL_KIND_TASK);
    if (n < 0) {
        site = tl_growth_enter(stack, start, TL_KIND_TASK); /* finds the site */
        for (int i = 0; i <= -n; i++)
            tl_growth_leave(site);
    }
    return site;
}

static bool growing(uintptr_t start)
{
    struct tl_growth_site top[64];
    size_t n = tl_growth_top(top, 64);
    for (size_t i = 0; i < n; i++)
        if (top[i].start == start)
            return top[i].growing;
    return false;
}

START_TEST(a_site_that_only_climbs_is_growing_after_one_window_and_stays_so)
{
    options(2000, 100);
    bool seen = false;
    for (int look = 0; look < 40; look++) { /* 4 s of looks, 10 more units each */
        move(7, 0x1111, 10);
        seen |= tl_growth_look(clock_ms += 100);
        if (look < 15)
            ck_assert_msg(!growing(0x1111), "growing before a window had passed (look %d)", look);
    }
    ck_assert(seen);
    ck_assert(growing(0x1111));
    move(7, 0x1111, -400); /* it drains: still reported, once given */
    for (int look = 0; look < 40; look++)
        ck_assert(!tl_growth_look(clock_ms += 100));
    struct tl_report r;
    memset(&r, 0, sizeof r);
    ck_assert_int_eq(tl_growth_groups(&r), 0);
    ck_assert_uint_eq(r.ngroups, 1);
    ck_assert_uint_eq(r.growing, 1);
    const struct tl_rep_group *g = &r.groups[0];
    ck_assert_str_eq(g->verdict, "growing");
    ck_assert_ptr_nonnull(g->growth);
    ck_assert_uint_ge(g->growth->count, g->growth->count_before + 100);
    ck_assert_int_ge(g->growth->window_ms, 1900);
    ck_assert(g->growth->rate_per_s > 50 && g->growth->rate_per_s < 150); /* 10 per 100 ms */
    ck_assert_int_eq((int)strlen(g->growth->site), 16);
    tl_report_free(&r);
}
END_TEST

START_TEST(a_pool_that_grows_and_shrinks_with_load_is_never_growing)
{
    options(2000, 100);
    for (int look = 0; look < 200; look++) {
        int burst = (look % 5 == 2) ? 100 + (look / 5 % 4) * 50 : 0; /* one look in five busy */
        move(8, 0x2222, burst);
        ck_assert(!tl_growth_look(clock_ms += 100));
        move(8, 0x2222, -burst);
    }
    ck_assert(!growing(0x2222));
}
END_TEST

START_TEST(a_climb_smaller_than_growth_min_is_not_growing)
{
    options(2000, 1000);
    for (int look = 0; look < 60; look++) {
        move(9, 0x3333, 10);
        ck_assert(!tl_growth_look(clock_ms += 100));
    }
    ck_assert(!growing(0x3333));
}
END_TEST

START_TEST(a_site_that_dips_below_its_starting_count_is_not_growing)
{
    options(2000, 100);
    move(10, 0x4444, 500);
    for (int look = 0; look < 60; look++) {
        move(10, 0x4444, look % 10 == 9 ? -300 : 30); /* climbs, then falls back, every second */
        ck_assert(!tl_growth_look(clock_ms += 100));
    }
}
END_TEST

START_TEST(growth_zero_counts_nothing)
{
    options(0, 1);
    ck_assert_int_eq(tl_growth_enter(11, 0x5555, TL_KIND_THREAD), -1);
    ck_assert(!tl_growth_look(clock_ms += 100));
}
END_TEST

START_TEST(the_metrics_text_has_help_and_type_for_each_metric_and_names_sites)
{
    options(2000, 100);
    move(12, (uintptr_t)tl_growth_look, 5);
    struct tl_wd_scan s = {.now_ns = 5000000000LL, .units = 9, .tasks = 7, .blocked = {1, 6}};
    s.reasons[s.nreasons++] = (struct tl_wd_reason){"chan receive", TL_KIND_TASK, 6, 2000000000LL};
    s.reasons[s.nreasons++] = (struct tl_wd_reason){"cond wait", TL_KIND_THREAD, 1, 4000000000LL};
    size_t len = 0;
    char *t = tl_metrics_render(&s, 1500000, 0, &len);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(strlen(t), len);
    static const char *const names[] = {"taskleak_units", "taskleak_units_created_total",
                                        "taskleak_oldest_wait_seconds", "taskleak_deadlocked_units",
                                        "taskleak_site_units", "taskleak_watchdog_scan_seconds"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char help[96], type[96];
        snprintf(help, sizeof help, "# HELP %s ", names[i]);
        snprintf(type, sizeof type, "# TYPE %s ", names[i]);
        ck_assert_msg(strstr(t, help) && strstr(t, type), "%s lacks HELP or TYPE:\n%s", names[i], t);
    }
    ck_assert(strstr(t, "taskleak_units{kind=\"task\",state=\"blocked\",reason=\"chan receive\"} 6\n"));
    ck_assert(strstr(t, "taskleak_units{kind=\"task\",state=\"running\",reason=\"\"} 1\n"));
    ck_assert(strstr(t, "taskleak_oldest_wait_seconds{reason=\"chan receive\"} 3.000\n"));
    ck_assert(strstr(t, " tl_growth_look\",kind=\"task\",growing=\"0\"} 5\n"));
    ck_assert(strstr(t, "taskleak_watchdog_scan_seconds 0.001500\n"));
    free(t);
}
END_TEST

Suite *make_tl_growth_suite(void)
{
    Suite *s = suite_create("tl_growth");
    TCase *tc = tcase_create("growth");
    tcase_add_test(tc, a_site_that_only_climbs_is_growing_after_one_window_and_stays_so);
    tcase_add_test(tc, a_pool_that_grows_and_shrinks_with_load_is_never_growing);
    tcase_add_test(tc, a_climb_smaller_than_growth_min_is_not_growing);
    tcase_add_test(tc, a_site_that_dips_below_its_starting_count_is_not_growing);
    tcase_add_test(tc, growth_zero_counts_nothing);
    tcase_add_test(tc, the_metrics_text_has_help_and_type_for_each_metric_and_names_sites);
    suite_add_tcase(s, tc);
    return s;
}
