/* tl_model: what any reader of a report model asks of it (see tl_model.h). */
#include "tl_model.h"

#include "tl_options.h"
#include "tl_symbols.h"

bool tl_build_final(enum tl_build_mode mode)
{
    return mode == TL_BUILD_EXIT || mode == TL_BUILD_CHECK || mode == TL_BUILD_SIGNAL ||
           mode == TL_BUILD_DEADLOCK;
}

size_t tl_report_unit_functions(struct tl_report *r, const struct tl_rep_unit *u, const char **out,
                                size_t max)
{
    size_t n = 0;
    if (u->start != 0)
        out[n++] = tl_report_function(r, u->start, false);
    tl_stack_id ids[2] = {u->created_stack, u->blocked_stack};
    for (int s = 0; s < 2; s++) {
        int nf = 0;
        const uintptr_t *f = tl_stack_frames(ids[s], &nf);
        for (int k = 0; k < nf && n < max; k++)
            out[n++] = tl_report_function(r, f[k], k > 0);
    }
    return n;
}

const char *tl_report_function(struct tl_report *r, uintptr_t ip, bool ret)
{
    const char *call = tl_stack_frame_call(ip);
    if (call != NULL)
        return call;
    if (r->modmap == NULL || ip == 0)
        return NULL;
    return tl_symbolize(r->modmap, ret ? ip - 1 : ip);
}

size_t tl_report_failing(const struct tl_report *r, unsigned fail_on)
{
    return ((fail_on & TL_FAIL_LEAKED) ? r->leaked : 0) +
           ((fail_on & TL_FAIL_DEADLOCKED) ? r->deadlocked : 0) +
           ((fail_on & TL_FAIL_BLOCKED) ? r->blocked : 0) +
           ((fail_on & TL_FAIL_UNJOINED) ? r->unjoined : 0) +
           ((fail_on & TL_FAIL_INVERSION) ? r->inverted : 0) +
           ((fail_on & TL_FAIL_GROWING) ? r->growing : 0);
}
