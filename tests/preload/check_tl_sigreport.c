/*
 * tl_sigreport's bookkeeping in the runner's own process (Check's fork mode gives each test a
 * fresh one): which signals it covers, where its handler is installed at start, and what a
 * program is shown when it asks. The program's own settings winning, the handler itself, the
 * reports and the re-raise are shown on real programs in check_scen_signal.c.
 */
#include <check.h>
#include <signal.h>
#include <string.h>

#include "tl_ctx.h"
#include "tl_dump.h"
#include "tl_sigreport.h"

static struct sigaction kernel_action(int sig)
{
    struct sigaction old;
    ck_assert_int_eq(tl_dump_real_sigaction()(sig, NULL, &old), 0);
    return old;
}

static void set_handler(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    ck_assert_int_eq(tl_dump_real_sigaction()(sig, &sa, NULL), 0);
}

static void start(int dump_signal)
{
    static struct tl_options o; /* kept by the module */
    tl_options_defaults(&o);
    o.dump_signal = dump_signal;
    tl_sigreport_init(&o, NULL);
}

START_TEST(it_covers_sighup_sigint_sigquit_and_sigterm_only)
{
    ck_assert(tl_sigreport_covers(SIGHUP) && tl_sigreport_covers(SIGINT));
    ck_assert(tl_sigreport_covers(SIGQUIT) && tl_sigreport_covers(SIGTERM));
    ck_assert(!tl_sigreport_covers(SIGUSR1) && !tl_sigreport_covers(SIGUSR2));
    ck_assert(!tl_sigreport_covers(SIGSEGV) && !tl_sigreport_covers(SIGKILL));
    ck_assert(!tl_sigreport_covers(0));
}
END_TEST

START_TEST(the_handler_goes_only_where_the_disposition_is_sig_dfl_and_never_on_the_dump_signal)
{
    set_handler(SIGHUP, SIG_IGN); /* as under nohup */
    set_handler(SIGINT, SIG_DFL);
    set_handler(SIGQUIT, SIG_DFL);
    set_handler(SIGTERM, SIG_DFL);
    start(SIGQUIT);
    ck_assert(kernel_action(SIGHUP).sa_handler == SIG_IGN);
    ck_assert(kernel_action(SIGINT).sa_handler == tl_sigreport_handler);
    ck_assert(kernel_action(SIGQUIT).sa_handler == SIG_DFL);
    ck_assert(kernel_action(SIGTERM).sa_handler == tl_sigreport_handler);
    struct sigaction term = kernel_action(SIGTERM);
    ck_assert(!sigismember(&term.sa_mask, SIGUSR1));
    ck_assert(sigismember(&term.sa_mask, SIGINT)); /* one of the four at a time per thread */
}
END_TEST

START_TEST(a_query_shows_the_program_the_sig_dfl_it_would_see_without_us)
{
    set_handler(SIGTERM, SIG_DFL);
    start(SIGUSR2);
    struct sigaction old = kernel_action(SIGTERM);
    ck_assert(old.sa_handler == tl_sigreport_handler);
    tl_sigreport_view(SIGTERM, &old);
    ck_assert(old.sa_handler == SIG_DFL);
    ck_assert_int_eq(old.sa_flags & SA_SIGINFO, 0);
    ck_assert(tl_sigreport_view_handler(SIGTERM, tl_sigreport_handler) == SIG_DFL);
    tl_sigreport_view(SIGTERM, NULL); /* sigaction(sig, act, NULL): nothing to rewrite */
}
END_TEST

START_TEST(other_actions_and_other_signals_are_shown_as_they_are)
{
    start(SIGUSR2);
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    tl_sigreport_view(SIGTERM, &ign);
    ck_assert(ign.sa_handler == SIG_IGN);
    ck_assert(tl_sigreport_view_handler(SIGUSR1, tl_sigreport_handler) == tl_sigreport_handler);
    ck_assert(tl_sigreport_view_handler(SIGINT, SIG_IGN) == SIG_IGN);
}
END_TEST

Suite *make_tl_sigreport_suite(void)
{
    Suite *s = suite_create("tl_sigreport");
    TCase *tc = tcase_create("dispositions");
    tcase_add_test(tc, it_covers_sighup_sigint_sigquit_and_sigterm_only);
    tcase_add_test(
        tc, the_handler_goes_only_where_the_disposition_is_sig_dfl_and_never_on_the_dump_signal);
    tcase_add_test(tc, a_query_shows_the_program_the_sig_dfl_it_would_see_without_us);
    tcase_add_test(tc, other_actions_and_other_signals_are_shown_as_they_are);
    suite_add_tcase(s, tc);
    return s;
}
