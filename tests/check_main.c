/*
 * The one Check runner. Every module's suite joins it through suites.h, which the Makefile
 * generates from the names of tests/<part>/check_<module>.c, so a new suite needs no edit here.
 * Fork mode stays on (a crashing test fails alone); CK_RUN_SUITE and CK_RUN_CASE select, as in
 * any Check runner.
 */
#include <check.h>
#include <stdlib.h>

#define TH_SUITE(name) Suite *make_##name##_suite(void);
#include "suites.h"
#undef TH_SUITE

int main(void)
{
    SRunner *sr = srunner_create(NULL);

#define TH_SUITE(name) srunner_add_suite(sr, make_##name##_suite());
#include "suites.h"
#undef TH_SUITE

    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
