/*
 * Linked INTO test builds of libgor (rel_runtime.mk: calls_plt, calls_bsym, calls_hidden): a
 * library function that uses gor's wrapped entry points from inside the runtime object, which
 * gor itself never does. Built normally the calls go through the PLT and reach the detector's
 * wrappers; linked -Bsymbolic they bind inside the library; with RELRT_HIDDEN they call the
 * hidden gor_i_* implementations (hidden aliases), which no symbol lookup can redirect.
 */
#include "gor_impl.h"

#define RELRT_API __attribute__((visibility("default")))

RELRT_API bool relrt_lib_recv(gor_chan *c, void *elem);
RELRT_API int64_t relrt_lib_go(void (*fn)(void *), void *arg);
RELRT_API int relrt_lib_select(gor_case *cases, size_t n, int64_t timeout_ns);

/* Receives on c from inside the library. */
bool relrt_lib_recv(gor_chan *c, void *elem)
{
#if RELRT_HIDDEN
    return gor_i_chan_recv(c, elem);
#else
    return gor_chan_recv(c, elem);
#endif
}

/* Spawns fn(arg) from inside the library. */
int64_t relrt_lib_go(void (*fn)(void *), void *arg)
{
#if RELRT_HIDDEN
    return gor_i_go(fn, arg);
#else
    return gor_go(fn, arg);
#endif
}

/* A select from inside the library (the hidden build has no gor_i_select to call: the public
 * name is used, as the PLT build does). */
int relrt_lib_select(gor_case *cases, size_t n, int64_t timeout_ns)
{
    return gor_select(cases, n, timeout_ns);
}
