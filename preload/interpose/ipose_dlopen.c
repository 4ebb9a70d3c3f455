/* Interposer: dlopen (hostile case 53 (docs/hostile-hosts.md)).
 *
 * DESIGN. A library opened with RTLD_DEEPBIND looks its symbols up in its own dependency chain
 * first, so its pthread calls bind to glibc directly: its threads and locks are invisible to the
 * detector. We cannot undo that, but we say so: one warning per such dlopen, naming the file.
 *
 * glibc's dlopen decides $ORIGIN, DT_RUNPATH and the link namespace from its caller's return
 * address, so the wrapper must leave the caller's return address in place: the exported dlopen is
 * a tiny assembly stub (ipose_dlopen_jmp.S) that calls tl_dlopen_prepare below and then JUMPS to
 * the real dlopen with the original arguments. A C wrapper would be a call whenever the compiler
 * chose not to emit a tail call; the stub makes the tail call certain.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include "ipose.h"
#include "tl_log.h"

typedef void *(*dlopen_fn)(const char *, int);

/* Called by the stub with dlopen's own arguments; returns the function to jump to. */
__attribute__((visibility("hidden"))) dlopen_fn tl_dlopen_prepare(const char *file, int mode);

/* glibc's dlopen, resolved on the first call (racing resolutions agree). */
static dlopen_fn _Atomic real_dlopen;

/* What the stub jumps to when the real dlopen cannot be found: a failed load. */
static void *dlopen_missing(const char *file, int mode)
{
    (void)file;
    (void)mode;
    errno = ENOSYS;
    return NULL;
}

static __attribute__((noinline)) dlopen_fn resolve_dlopen(void)
{
    dlopen_fn f = NULL;
    *(void **)&f = dlsym(RTLD_NEXT, "dlopen");
    if (f == NULL)
        f = dlopen_missing;
    atomic_store_explicit(&real_dlopen, f, memory_order_release);
    return f;
}

dlopen_fn tl_dlopen_prepare(const char *file, int mode)
{
    int saved = errno;
    dlopen_fn f = atomic_load_explicit(&real_dlopen, memory_order_acquire);
    if (f == NULL)
        f = resolve_dlopen();
    if ((mode & RTLD_DEEPBIND) && tl_ctx_ready())
        tl_logf("%s is opened with RTLD_DEEPBIND: its threads and locks bypass the detector",
                file != NULL ? file : "the main program");
    errno = saved;
    return f;
}
