/* tl_real: resolving the real functions, once, from one table (docs/internals.md, Layers:
 * start-up).
 *
 * DESIGN. The table is an X-macro list in tl_real.h, so adding a wrapper is adding one line. Each
 * name is looked up with dlsym(RTLD_NEXT) from this object, which walks the objects loaded after
 * libtaskleak.so: glibc's definition, or another preload's wrapper further down the chain (which
 * is what a tool chain wants). The older versions a caller may still be bound to (the x86-64
 * condition variables of GLIBC_2.2.5) are looked up by version with dlvsym. pthread_create falls
 * back to a versioned lookup (GLIBC_2.34, then GLIBC_2.2.5 on x86-64) when the plain one finds
 * nothing; the plain one already answers the current implementation whichever version the program
 * bound to. Every answer is checked with dlerror() and refused when it lies inside our own object
 * (dladdr), which would make the wrapper call itself. The resolver is noinline: a tail call to
 * dlsym from an inlined resolver at -O2 would make RTLD_NEXT relative to the wrong caller
 * (hostile case 2 (docs/hostile-hosts.md)).
 */
#include "tl_real.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "tl_dynobj.h"
#include "tl_log.h"

struct tl_real tl_real;

enum { NSLOTS = sizeof(struct tl_real) / sizeof(void *) };
static __thread bool t_filling; /* this thread is inside tl_real_init's lookups */
static bool borrowed[NSLOTS];   /* slot holds glibc's own entry, taken by a re-entered fill;
                                   written and read only by the filling thread */

static const char *const pthread_create_versions[] = {"GLIBC_2.34", "GLIBC_2.2.5", NULL};

bool tl_real_is_self(const void *addr)
{
    Dl_info here, there;
    if (dladdr((const void *)tl_real_is_self, &here) == 0 || dladdr(addr, &there) == 0)
        return false;
    return here.dli_fbase == there.dli_fbase;
}

/* One lookup: NULL when missing or when the answer is ourselves. Without a version, the plain
 * dlsym comes first: it returns the default version (GLIBC_2.34 for pthread_create) and also finds
 * an unversioned wrapper of another preload listed after ours, so tool chains keep working. With a
 * version, only that version is asked for (an unversioned definition further down also answers). */
static __attribute__((noinline)) void *resolve(const char *name, const char *version)
{
    dlerror();
    void *p = version != NULL ? dlvsym(RTLD_NEXT, name, version) : dlsym(RTLD_NEXT, name);
    if (dlerror() != NULL)
        p = NULL;
    if (p == NULL && version == NULL && strcmp(name, "pthread_create") == 0) {
        for (int i = 0; pthread_create_versions[i] != NULL && p == NULL; i++) {
            dlerror();
            p = dlvsym(RTLD_NEXT, name, pthread_create_versions[i]);
        }
    }
    if (p != NULL && tl_real_is_self(p)) {
        tl_rawf("taskleak: %s%s%s resolves to the detector itself; refusing it\n", name,
                version != NULL ? "@" : "", version != NULL ? version : "");
        p = NULL;
    }
    __asm__ volatile("" ::: "memory"); /* keep the dlsym call out of tail position */
    return p;
}

static size_t slot_index(void **slot)
{
    return (size_t)(slot - (void **)&tl_real);
}

/* Fills one empty (or borrowed) slot; a missing required entry sets *rc to -1 and is named once. */
static void resolve_into(void **slot, const char *name, const char *version, bool required, int *rc)
{
    if (*slot != NULL && !borrowed[slot_index(slot)])
        return;
    void *p = resolve(name, version);
    if (p != NULL || *slot == NULL)
        *slot = p;
    borrowed[slot_index(slot)] = false;
    if (*slot == NULL && required && *rc == 0) {
        tl_rawf("taskleak: required function %s%s%s not found; detector disabled\n", name,
                version != NULL ? "@" : "", version != NULL ? version : "");
        *rc = -1;
    }
}

/* The re-entered fill: every empty slot from glibc itself (default versions; the compat entries
 * wait for the outer fill). */
static void borrow_from_libc(void)
{
#define TL_REAL_BORROW(ret, name, params, req)                                                     \
    if (tl_real.name == NULL) {                                                                    \
        void *p = tl_dynobj_find("libc.so.", #name);                                               \
        borrowed[slot_index((void **)&tl_real.name)] = p != NULL;                                  \
        *(void **)&tl_real.name = p;                                                               \
    }
    TL_REAL_FUNCS(TL_REAL_BORROW)
#undef TL_REAL_BORROW
}

int tl_real_init(void)
{
    int saved = errno, rc = 0;
    if (t_filling) { /* re-entered from inside one of our own lookups: see the design note at the top of this file */
        borrow_from_libc();
        errno = saved;
        return 0;
    }
    t_filling = true;
#define TL_REAL_RESOLVE(ret, name, params, req)                                                    \
    resolve_into((void **)&tl_real.name, #name, NULL, req, &rc);
#define TL_REAL_RESOLVE_COMPAT(ret, field, name, version, params)                                  \
    resolve_into((void **)&tl_real.field, #name, version, true, &rc);
    TL_REAL_FUNCS(TL_REAL_RESOLVE)
    TL_REAL_COMPAT_FUNCS(TL_REAL_RESOLVE_COMPAT)
#undef TL_REAL_RESOLVE_COMPAT
#undef TL_REAL_RESOLVE
    t_filling = false;
    errno = saved;
    return rc;
}

size_t tl_real_missing(char *buf, size_t n)
{
    size_t count = 0, len = 0;
    if (n > 0)
        buf[0] = '\0';
#define TL_REAL_MISSING(ret, name, params, req)                                                    \
    if (!(req) && tl_real.name == NULL) {                                                          \
        int w = len < n ? snprintf(buf + len, n - len, "%s%s", count ? ", " : "", #name) : 0;      \
        len += w > 0 ? (size_t)w : 0;                                                              \
        count++;                                                                                   \
    }
    TL_REAL_FUNCS(TL_REAL_MISSING)
#undef TL_REAL_MISSING
    return count;
}
