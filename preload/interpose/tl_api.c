/* tl_api: the in-process API of taskleak.h (taskleak(7), IN-PROCESS API), exported by
 * libtaskleak.so.
 *
 * DESIGN. Programs never link these directly: taskleak.h's inline shims find them with
 * dlsym(RTLD_DEFAULT, ...) and do nothing when the detector is not loaded. Each function is one
 * call into the gate or the registry.
 */
#include "tl_ctx.h"
#include "tl_gate.h"
#include "tl_gor.h"
#include "tl_registry.h"

#define TL_EXPORT __attribute__((visibility("default")))

TL_EXPORT int taskleak_active(void);
TL_EXPORT void taskleak_ignore_current(void);
TL_EXPORT int taskleak_check(void);
TL_EXPORT void taskleak_dump(void);
TL_EXPORT void taskleak_set_label(const char *label);

TL_EXPORT int taskleak_active(void)
{
    return tl_ctx_ready() ? 1 : 0;
}

TL_EXPORT void taskleak_ignore_current(void)
{
    tl_gate_ignore_current();
}

TL_EXPORT int taskleak_check(void)
{
    int n = tl_gate_check();
    return n < 0 ? 0 : n;
}

TL_EXPORT void taskleak_dump(void)
{
    tl_gate_dump();
}

TL_EXPORT void taskleak_set_label(const char *label)
{
    if (tl_ctx_ready() && !tl_gor_set_spawn_label(label)) /* a task labels its own spawns */
        tl_label_set(label);
}
