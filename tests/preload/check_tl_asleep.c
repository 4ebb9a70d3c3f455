/*
 * tl_asleep's signal-handler rule: a semaphore wait is external while the program has a handler
 * for a signal another process can send. The handlers below are libc functions that are never
 * called (no signal is sent): what counts is only that they live outside the detector. (In this
 * runner the detector's code and the test share one executable, so a handler written here would
 * count as the detector's own and be left out, as the dump signal's handler is.)
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tl_asleep.h"

static struct sigaction saved[NSIG];

/* Every signal that can be caught back to its default disposition (restored by restore_all). */
static void default_all(void)
{
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(sig, &dfl, &saved[sig]);
    }
}

static void restore_all(void)
{
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &saved[sig], NULL);
}

static void install(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    ck_assert_int_eq(sigaction(sig, &sa, NULL), 0);
}

START_TEST(a_handler_for_a_signal_another_process_can_send_counts)
{
    default_all();
    ck_assert(!tl_asleep_program_handles_signals());
    install(SIGTERM, (void (*)(int))abort);
    ck_assert(tl_asleep_program_handles_signals());
    install(SIGTERM, SIG_DFL);
    install(SIGRTMIN + 3, (void (*)(int))abort);
    ck_assert(tl_asleep_program_handles_signals());
    restore_all();
}
END_TEST

START_TEST(ignored_signals_and_synchronous_fault_handlers_do_not_count)
{
    default_all();
    install(SIGPIPE, SIG_IGN);
    install(SIGSEGV, (void (*)(int))abort);
    install(SIGBUS, (void (*)(int))abort);
    install(SIGFPE, (void (*)(int))abort);
    ck_assert(!tl_asleep_program_handles_signals());
    restore_all();
}
END_TEST

static void handler_of_ours(int sig)
{
    (void)sig;
}

START_TEST(the_detectors_own_handlers_do_not_count)
{
    default_all();
    install(SIGUSR2, handler_of_ours); /* same object as the detector's code here */
    ck_assert(!tl_asleep_program_handles_signals());
    restore_all();
}
END_TEST

Suite *make_tl_asleep_suite(void)
{
    Suite *s = suite_create("tl_asleep");
    TCase *tc = tcase_create("handlers");
    tcase_add_test(tc, a_handler_for_a_signal_another_process_can_send_counts);
    tcase_add_test(tc, ignored_signals_and_synchronous_fault_handlers_do_not_count);
    tcase_add_test(tc, the_detectors_own_handlers_do_not_count);
    suite_add_tcase(s, tc);
    return s;
}
