/* tl_supp_json: the "suppressions" array of the detector's JSON report.
 *
 * DESIGN. Kept apart from tl_supp.c so that the suppressions parser and matcher depend on libc
 * only and the report tool can link them without the detector's JSON writer.
 */
#include "tl_json.h"
#include "tl_supp.h"

void tl_supp_json(const struct tl_supp *s, struct tl_json *j)
{
    for (size_t i = 0; i < tl_supp_count(s); i++) {
        tl_json_obj_begin(j, NULL);
        tl_json_str(j, "pattern", tl_supp_pattern(s, i));
        tl_json_uint(j, "matched", tl_supp_matched(s, i));
        tl_json_str(j, "source", tl_supp_source(s, i));
        tl_json_obj_end(j);
    }
}
