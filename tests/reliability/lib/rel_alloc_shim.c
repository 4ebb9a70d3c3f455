/*
 * An allocator preload for reliability case 1 (librelallocshim.so): the classic calloc-wrapper
 * trap next to the detector.
 *
 * DESIGN. malloc, calloc, realloc and free are interposed and forwarded to the next definition,
 * found lazily with dlsym(RTLD_NEXT) on first use, the way heaptrack-style shims and jemalloc
 * wrappers do. Every call takes one pthread mutex (through the PLT, so it reaches the detector's
 * pthread_mutex_lock wrapper whichever order LD_PRELOAD lists the two) and counts. Allocations
 * made while this thread is inside its own dlsym come from a static bootstrap buffer: glibc <= 2.33
 * calls calloc from inside dlsym, and every glibc mallocs the dlerror message of a missing symbol.
 * A per-thread depth counter turns runaway recursion into a clear message and abort() instead of
 * a silent stack overflow.
 *
 * REL_ALLOC_SHIM_GLIBC233=1 simulates glibc <= 2.33 on a current glibc: the first dl call of each
 * thread callocs (glibc's per-thread dlerror state, allocated in _dlerror_run before it is
 * stored). A dl call is seen here through dlerror(), which this shim also interposes: the
 * detector and this shim call dlerror() before each dlsym, so the simulated calloc lands exactly
 * where glibc's would, inside the caller's symbol resolution, and this shim's own first
 * resolution consumes the bootstrap buffer as it must on such a glibc.
 *
 * REL_ALLOC_SHIM_LIBC=1 binds to glibc's __libc_malloc family instead of dlsym, as many shims do;
 * with it this shim never calls dlsym first, so under the simulation the detector's own first
 * lookup is the one that allocates (the order that recursed on old glibc).
 *
 * At exit one line goes to stderr (raw write, no stdio):
 *   rel_alloc_shim: malloc=N calloc=N realloc=N free=N boot=N sim=N dlmsg=N maxdepth=N
 * dlmsg counts the mallocs the dynamic linker made to hold an error message (a failed lookup, such
 * as a missing symbol) while this shim was the allocator: calls whose return address lies in
 * ld.so's _dl_exception_create or _dl_exception_create_format.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BOOT_SIZE (64 * 1024)
#define MAX_DEPTH 16 /* nested shim entries on one thread before we call it recursion */

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef char *(*dlerror_fn)(void);

static struct {
    malloc_fn malloc; /* each written once by the first resolution (any thread; same value) */
    calloc_fn calloc;
    realloc_fn realloc;
    free_fn free;
    dlerror_fn dlerror;
} real;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;  /* taken by every interposed call */
static unsigned long g_malloc, g_calloc, g_realloc, g_free; /* under g_lock */
static unsigned long g_boot, g_sim, g_dlmsg;                /* atomics: may be bumped unlocked */
static int g_maxdepth;                                      /* atomic max */

static _Alignas(16) unsigned char g_boot_buf[BOOT_SIZE]; /* bump area, never reused */
static size_t g_boot_used;                               /* atomic bump pointer */

static __thread int t_resolving; /* this thread is inside our own dlsym */
static __thread int t_depth;     /* nested entries into the shim on this thread */
static __thread bool t_dl_ready; /* simulated glibc <= 2.33 per-thread dlerror state exists */

static void raw_say(const char *s)
{
    ssize_t unused = write(2, s, strlen(s));
    (void)unused;
}

/* ---- bootstrap buffer ---- */

static void *boot_alloc(size_t n)
{
    size_t want = (n + 15) & ~(size_t)15;
    size_t at = __atomic_fetch_add(&g_boot_used, want, __ATOMIC_RELAXED);
    if (at + want > BOOT_SIZE) {
        raw_say("rel_alloc_shim: bootstrap buffer exhausted\n");
        abort();
    }
    __atomic_add_fetch(&g_boot, 1, __ATOMIC_RELAXED);
    return g_boot_buf + at;
}

static bool is_boot(const void *p)
{
    return (const unsigned char *)p >= g_boot_buf &&
           (const unsigned char *)p < g_boot_buf + BOOT_SIZE;
}

/* ---- who is allocating ---- */

/* ld.so's builders of error messages (GLIBC_PRIVATE, exported), found once by find_msg_builders;
 * the two are neighbours, so a return address outside [g_msg_lo, g_msg_hi) needs no dladdr. */
static void *g_msg_fn[2];
static uintptr_t g_msg_lo, g_msg_hi;

static void find_msg_builders(void)
{
    static const char *const names[2] = {"_dl_exception_create", "_dl_exception_create_format"};
    for (int i = 0; i < 2; i++)
        g_msg_fn[i] = dlsym(RTLD_DEFAULT, names[i]);
    if (g_msg_fn[0] == NULL || g_msg_fn[1] == NULL)
        return;
    uintptr_t a = (uintptr_t)g_msg_fn[0], b = (uintptr_t)g_msg_fn[1];
    g_msg_lo = a < b ? a : b;
    __atomic_store_n(&g_msg_hi, (a < b ? b : a) + 4096, __ATOMIC_RELEASE);
}

/* Counts an allocation the dynamic linker makes for an error message. */
static void note_caller(const void *ra)
{
    uintptr_t hi = __atomic_load_n(&g_msg_hi, __ATOMIC_ACQUIRE);
    Dl_info info;
    if ((uintptr_t)ra < g_msg_lo || (uintptr_t)ra >= hi || dladdr(ra, &info) == 0)
        return; /* dladdr neither allocates nor locks anything but the loader's recursive lock */
    if (info.dli_saddr == g_msg_fn[0] || info.dli_saddr == g_msg_fn[1])
        __atomic_add_fetch(&g_dlmsg, 1, __ATOMIC_RELAXED);
}

/* ---- resolution ---- */

static bool simulate_old_glibc(void)
{
    static int mode = -1; /* getenv neither allocates nor locks */
    if (mode < 0)
        mode = getenv("REL_ALLOC_SHIM_GLIBC233") != NULL;
    return mode == 1;
}

/* One lookup as a careful shim writes it: dlerror() cleared first (that is where the simulated
 * old glibc allocates), then dlsym. */
static void *next_symbol(const char *name)
{
    dlerror();
    return dlsym(RTLD_NEXT, name);
}

/* glibc's own entry points, for REL_ALLOC_SHIM_LIBC=1: a shim that binds to them makes no dl call
 * of its own, so the first dl call of the main thread is whoever resolves next (the detector). */
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);

static bool bind_to_libc(void)
{
    if (getenv("REL_ALLOC_SHIM_LIBC") == NULL)
        return false;
    real.malloc = __libc_malloc;
    real.calloc = __libc_calloc;
    real.realloc = __libc_realloc;
    __atomic_store_n(&real.free, __libc_free, __ATOMIC_RELEASE);
    return true;
}

static void resolve_all(void)
{
    if (__atomic_load_n(&real.free, __ATOMIC_ACQUIRE) != NULL)
        return;
    t_resolving++;
    find_msg_builders(); /* a successful lookup: no message, nothing allocated on this glibc */
    t_resolving--;
    if (bind_to_libc())
        return;
    t_resolving++;
    if (real.dlerror == NULL)
        *(void **)&real.dlerror = dlsym(RTLD_NEXT, "dlerror"); /* before our dlerror runs */
    *(void **)&real.malloc = next_symbol("malloc");
    *(void **)&real.calloc = next_symbol("calloc");
    *(void **)&real.realloc = next_symbol("realloc");
    __atomic_store_n(&real.free, (free_fn)next_symbol("free"),
                     __ATOMIC_RELEASE); /* last: the flag */
    t_resolving--;
    if (!real.malloc || !real.calloc || !real.realloc || !real.free) {
        raw_say("rel_alloc_shim: cannot resolve the real allocator\n");
        abort();
    }
}

/* ---- the bracket every interposed call goes through ---- */

static void enter(void)
{
    int d = ++t_depth;
    int seen = __atomic_load_n(&g_maxdepth, __ATOMIC_RELAXED);
    while (d > seen && !__atomic_compare_exchange_n(&g_maxdepth, &seen, d, false, __ATOMIC_RELAXED,
                                                    __ATOMIC_RELAXED))
        ;
    if (d > MAX_DEPTH) {
        raw_say("rel_alloc_shim: runaway recursion through the allocator\n");
        abort();
    }
}

static void leave(void)
{
    t_depth--;
}

static void count(unsigned long *counter)
{
    pthread_mutex_lock(&g_lock);
    (*counter)++;
    pthread_mutex_unlock(&g_lock);
}

/* ---- interposers ---- */

void *malloc(size_t n)
{
    if (t_resolving)
        return boot_alloc(n);
    note_caller(__builtin_return_address(0));
    enter();
    resolve_all();
    count(&g_malloc);
    void *p = real.malloc(n);
    leave();
    return p;
}

void *calloc(size_t k, size_t n)
{
    if (t_resolving) /* boot_alloc memory is static, hence zeroed and never reused */
        return n != 0 && k > SIZE_MAX / n ? NULL : boot_alloc(k * n);
    enter();
    resolve_all();
    count(&g_calloc);
    void *p = real.calloc(k, n);
    leave();
    return p;
}

void *realloc(void *old, size_t n)
{
    if (t_resolving || is_boot(old)) {
        /* a bootstrap block's size is unknown: copy what can be there, up to the buffer's end */
        void *p = t_resolving ? boot_alloc(n) : malloc(n);
        if (p != NULL && old != NULL) {
            size_t room = (size_t)(g_boot_buf + BOOT_SIZE - (unsigned char *)old);
            memcpy(p, old, n < room ? n : room);
        }
        return p;
    }
    enter();
    resolve_all();
    count(&g_realloc);
    void *p = real.realloc(old, n);
    leave();
    return p;
}

void free(void *p)
{
    if (p == NULL || is_boot(p))
        return;
    enter();
    resolve_all();
    count(&g_free);
    real.free(p);
    leave();
}

/* glibc <= 2.33: the first dl call of a thread callocs its dlerror state, inside the call, and
 * stores it only after calloc returned. */
char *dlerror(void)
{
    if (real.dlerror == NULL)
        *(void **)&real.dlerror = dlsym(RTLD_NEXT, "dlerror");
    if (simulate_old_glibc() && !t_dl_ready) {
        void *state = calloc(1, 64); /* through the PLT, as glibc's own call */
        __atomic_add_fetch(&g_sim, 1, __ATOMIC_RELAXED);
        t_dl_ready = state != NULL; /* kept for the thread's life, as glibc keeps it */
    }
    return real.dlerror();
}

__attribute__((destructor)) static void shim_report(void)
{
    char line[256];
    pthread_mutex_lock(&g_lock);
    snprintf(line, sizeof line,
             "rel_alloc_shim: malloc=%lu calloc=%lu realloc=%lu free=%lu boot=%lu sim=%lu "
             "dlmsg=%lu maxdepth=%d\n",
             g_malloc, g_calloc, g_realloc, g_free, __atomic_load_n(&g_boot, __ATOMIC_RELAXED),
             __atomic_load_n(&g_sim, __ATOMIC_RELAXED), __atomic_load_n(&g_dlmsg, __ATOMIC_RELAXED),
             __atomic_load_n(&g_maxdepth, __ATOMIC_RELAXED));
    pthread_mutex_unlock(&g_lock);
    raw_say(line);
}
