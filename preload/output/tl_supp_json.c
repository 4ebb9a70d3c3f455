/* tl_supp_json: the "suppressions" array of the detector's JSON report.
 *
 * DESIGN. Kept apart from tl_supp.c so that the suppressions parser and matcher depend on libc
 * only and the report tool can link them without the detector's JSON writer.
 */
#include "tl_jrep.h"
#include "tl_supp.h"

void tl_supp_json(const struct tl_supp *s, struct tl_json *j)
{
    for (size_t i = 0; i < tl_supp_count(s); i++) {
        tl_jrep_suppression(j, tl_supp_pattern(s, i), tl_supp_matched(s, i), tl_supp_source(s, i));
    }
}
