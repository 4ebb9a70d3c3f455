/* tl_proof_desc: the memory a leak proof scans, described for tl_reach (see tl_proof.h).
 *
 * DESIGN. Roots: every module's writable segments but the detector's and libunwind's, and the
 * live stack, registers and TLS of every unit that may run. Segments: every other readable,
 * writable mapping (our own working memory cut out), glibc's heaps cut into chunks (free chunks
 * holes), ASan's heap located by ASan. Holes: what the detector owns (its registry records, its
 * report arrays, its watchdog's stack, its TLS blocks), what only leads back to blocked units
 * (their thread descriptors and TLS, gor's task records), and dead memory (stacks glibc or gor
 * keep after their thread or task ended), since libc's and gor's own lists lead there.
 */
#include <dlfcn.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tl_ctx.h"
#include "tl_gor.h"
#include "tl_gor_impl.h"
#include "tl_log.h"
#include "tl_proof_int.h"

static bool locate_asan(void *ctx, uintptr_t a, uintptr_t *lo, uintptr_t *hi, bool *hole)
{
    const char *(*loc)(void *, char *, size_t, void **, size_t *) = ctx;
    char name[8];
    void *beg = NULL;
    size_t size = 0;
    const char *kind = loc((void *)a, name, sizeof name, &beg, &size);
    if (kind == NULL || strcmp(kind, "heap") != 0 || beg == NULL)
        return false;
    *lo = (uintptr_t)beg;
    *hi = (uintptr_t)beg + (size ? size : 1);
    /* ASan owns only blocks in use: a freed one (its quarantine keeps them) is a hole */
    static int (*owns)(const void *);
    if (owns == NULL)
        *(void **)&owns = dlsym(RTLD_DEFAULT, "__sanitizer_get_ownership");
    *hole = owns != NULL && !owns(beg);
    return true;
}

/* Whether tp is the thread pointer of a live program thread (registered, or the scanner). */
static bool live_tp(const struct scan *s, uintptr_t tp)
{
    if (tp == (uintptr_t)pthread_self() && gettid() != atomic_load(&tl_ctx.watchdog_tid))
        return true;
    for (size_t i = 0; i < s->nregs; i++)
        if (s->regs[i].handle == tp && s->regs[i].tid != 0 &&
            s->regs[i].tid != atomic_load(&tl_ctx.watchdog_tid))
            return true;
    return false;
}

/* A glibc thread stack (a live thread's or one glibc keeps cached after its thread ended) ends
 * with the thread's descriptor, whose first and third words point to itself (tcb, self), below
 * it the static TLS: that top part is a hole (libc's thread lists lead there), the rest of the
 * stack a block of its own. The stack of a thread that is not a live program thread (one glibc
 * caches after its thread ended, or the detector's watchdog) is a hole as a whole: what is left
 * there is dead frames or the detector's own. */
/* Returns 1 when m is a thread stack (then cut), 0 when not, -1 on error. */
static int hole_descriptor(struct scan *s, const struct tl_pm_map *m)
{
    uintptr_t words[1024]; /* the last 8 KiB */
    uintptr_t base = m->hi - sizeof words;
    if (m->hi - m->lo < 2 * sizeof words ||
        tl_pm_read(NULL, base, words, sizeof words) != sizeof words)
        return 0;
    for (size_t i = 0; i + 2 < 1024; i += 8) { /* 64-byte aligned candidates */
        uintptr_t a = base + i * sizeof(uintptr_t);
        if (words[i] == a && words[i + 2] == a) {
            if (!live_tp(s, a)) /* a cached stack of a thread that ended, or the detector's */
                return tl_reach_cut(s->reach, m->lo, true) == 0 ? 1 : -1;
            uintptr_t hole = (a + (uintptr_t)s->tls_min) & ~(uintptr_t)(TL_REACH_GRAIN - 1);
            return hole <= m->lo || tl_reach_cut(s->reach, hole, true) == 0 ? 1 : -1;
        }
    }
    return 0;
}

/* Our own working memory (mapped before /proc/self/maps was read): never a segment. */
static size_t own_maps(const struct scan *s, uintptr_t *lo, uintptr_t *hi)
{
    const void *p[] = {s->tids,        s->look,   s->regs,       s->tasks, s->who,
                       s->uctx_copies, s->maps.v, s->task_index, s->gth};
    size_t n[] = {2 * MAX_TIDS * sizeof(pid_t),
                  MAX_TIDS * sizeof *s->look,
                  s->capregs * sizeof *s->regs,
                  2 * s->captasks * sizeof *s->tasks,
                  (MAX_TIDS + s->captasks) * sizeof *s->who,
                  MAX_TIDS * sizeof *s->uctx_copies,
                  s->maps.cap * sizeof *s->maps.v,
                  (s->n + 1) * sizeof *s->task_index,
                  GOR_MAP};
    size_t k = 0;
    long page = sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        if (p[i] != NULL) {
            lo[k] = (uintptr_t)p[i];
            hi[k++] = ((uintptr_t)p[i] + n[i] + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
        }
    return k;
}

/* Adds [lo, hi) as segments, without our own working memory (the kernel may have merged it with
 * a neighbour of the program's); each piece of an anonymous mapping m is then described as the
 * whole mapping would be (piece_fn). Returns the index of the segment starting at lo, -2 when
 * our own memory was cut out (the pieces are described already), or -1. */
typedef bool piece_fn(struct scan *s, const struct tl_pm_map *m, int seg);

static int add_segment(struct scan *s, const struct tl_pm_map *m, uintptr_t lo, uintptr_t hi,
                       piece_fn *piece)
{
    uintptr_t olo[16], ohi[16];
    size_t n = own_maps(s, olo, ohi);
    for (size_t i = 0; i < n; i++)
        if (olo[i] < hi && ohi[i] > lo) {
            if (olo[i] > lo && add_segment(s, m, lo, olo[i], piece) == -1)
                return -1;
            return ohi[i] < hi && add_segment(s, m, ohi[i], hi, piece) == -1 ? -1 : -2;
        }
    int seg = tl_reach_segment(s->reach, lo, hi);
    if (seg < 0 || (lo == m->lo && hi == m->hi) || !m->anon || piece == NULL)
        return seg;
    struct tl_pm_map part = *m;
    part.lo = lo;
    part.hi = hi;
    return piece(s, &part, seg) ? seg : -1;
}

/* ASan's large blocks (its secondary allocator's) are mappings of their own whose first page
 * starts with a header {map_beg, map_size, size, index}, map_beg being that page. Each page of m
 * that starts so, and that ASan confirms holds its block, is cut as a block of its own, a hole
 * once freed (the quarantine keeps its stale words, the detector's freed snapshots among them).
 * The rest of m stays plain memory, each piece between such blocks one block: it holds whole
 * mappings of others. Asking ASan about every page instead would cost a search of all its large
 * blocks under its lock each time. */
static bool cut_asan_large(struct scan *s, const struct tl_pm_map *m)
{
    const uintptr_t page = 4096;
    for (uintptr_t p = m->lo; p + 2 * page <= m->hi;) {
        uintptr_t h[3], lo, hi;
        bool hole = false;
        if (tl_pm_read(NULL, p, h, sizeof h) != sizeof h || h[0] != p || h[1] % page ||
            h[1] < 2 * page || h[1] > m->hi - p || h[2] > h[1] ||
            !locate_asan(s->asan_loc, p + page, &lo, &hi, &hole) || lo < p || hi > p + h[1]) {
            p += page;
            continue;
        }
        if (tl_reach_cut(s->reach, p, hole) != 0 || tl_reach_cut(s->reach, p + h[1], false) != 0)
            return false;
        p += h[1];
    }
    return true;
}

/* An anonymous mapping that is not glibc's heap: a thread stack (cut), else under ASan a piece
 * of its primary heap (located by ASan, its freed blocks holes) or memory that may hold its
 * large blocks. */
static bool describe_anon(struct scan *s, const struct tl_pm_map *m, int seg)
{
    if (s->asan_loc != NULL && m->lo >= ASAN_HEAP_LO && m->hi <= ASAN_HEAP_HI) {
        tl_reach_locate(s->reach, seg, locate_asan, s->asan_loc); /* ASan's primary heap */
        return true;
    }
    int stack = hole_descriptor(s, m);
    if (stack < 0)
        return false;
    return stack != 0 || s->asan_loc == NULL || cut_asan_large(s, m);
}

/* Every readable, writable mapping that is not a module's becomes a segment; glibc's heaps are
 * cut into chunks, ASan's are located by ASan. False when a mapping puts the scan in doubt. */
static bool describe_maps(struct scan *s)
{
    bool glibc = tl_pm_glibc_malloc();
    Dl_info di;
    for (size_t i = 0; i < s->maps.n; i++) {
        const struct tl_pm_map *m = &s->maps.v[i];
        if (!m->readable || !m->writable || m->special)
            continue;
        if (m->device)
            return false;
        if (s->asan_loc != NULL && m->lo >= ASAN_SHADOW_LO && m->hi <= ASAN_SHADOW_HI)
            continue; /* ASan's shadow: bytes about memory, never pointers */
        if (dladdr((void *)m->lo, &di) != 0 && di.dli_fbase != NULL)
            continue; /* a module's data: roots (or the detector's own) */
        bool gheap = glibc && (m->heap || (m->anon && m->lo % (64UL << 20) == 0));
        int seg = add_segment(s, m, m->lo, m->hi, gheap ? NULL : describe_anon);
        if (seg == -2)
            continue; /* our own memory was part of it: the pieces are described */
        if (seg < 0)
            return false;
        if (gheap) {
            if (!tl_pm_walk_heap(s->reach, m->lo, m->hi, m->heap, s->tcache_key) &&
                tl_log_verbosity() >= 2)
                tl_logf("leak proof: heap 0x%lx-0x%lx not cut", (unsigned long)m->lo,
                        (unsigned long)m->hi);
        } else if (m->anon && !describe_anon(s, m, seg)) {
            return false;
        }
    }
    return true;
}

/* A root [lo, hi) without the detector's TLS blocks (from index k on) of the thread whose
 * pointer is tp. */
static bool root_minus_tls_from(struct scan *s, uintptr_t lo, uintptr_t hi, uintptr_t tp, size_t k)
{
    for (; tp != 0 && k < s->ntls; k++) {
        uintptr_t tlo = tp + (uintptr_t)s->tls[k].off, thi = tlo + s->tls[k].size;
        if (s->tls[k].size == 0 || thi <= lo || tlo >= hi)
            continue;
        return (tlo <= lo || root_minus_tls_from(s, lo, tlo, tp, k + 1)) &&
               (thi >= hi || root_minus_tls_from(s, thi, hi, tp, k + 1));
    }
    return lo >= hi || tl_reach_root(s->reach, lo, hi) == 0;
}

static bool root_minus_tls(struct scan *s, uintptr_t lo, uintptr_t hi, uintptr_t tp)
{
    return root_minus_tls_from(s, lo, hi, tp, 0);
}

/* The top of the live stack holding sp: its task's stack, or its mapping; for a thread whose
 * descriptor (at tp) sits above sp in that mapping, the end of the descriptor, since the kernel
 * may have merged the stack with anonymous memory above it (a sanitizer's mappings, a large
 * block) that is no part of the thread's stack. */
static uintptr_t stack_top(const struct scan *s, uintptr_t sp, uintptr_t tp)
{
    const struct gor_task_info *t = tl_proof_task_of(s, sp);
    if (t != NULL)
        return t->stack_hi;
    const struct tl_pm_map *m = tl_pm_maps_find(&s->maps, sp);
    if (m == NULL)
        return 0;
    if (tp > sp && tp < m->hi && m->hi - tp > s->desc_size)
        return tp + s->desc_size;
    return m->hi;
}

/* Below the stack pointer of a unit that may run lies nothing it will read again (a signal
 * handler would run there, but then the thread ran and the scan is in doubt): from the bottom of
 * its stack up to the red zone (128 bytes below sp, where a leaf function may keep data), a hole.
 * Otherwise a pointer into the stack (a frame's own address, the scanner's frames below its
 * entry point, stale frames of calls that returned) would mark the whole stack, dead words and
 * all. The live part stays a block: pointers into it are followed (it is a root anyway). */
static bool hole_below(struct scan *s, uintptr_t sp)
{
    const struct gor_task_info *t = tl_proof_task_of(s, sp);
    const struct tl_pm_map *m = tl_pm_maps_find(&s->maps, sp);
    uintptr_t bottom = t != NULL ? t->stack_lo : m != NULL ? m->lo : 0;
    uintptr_t live = (sp - 128) & ~(uintptr_t)(TL_REACH_GRAIN - 1);
    if (bottom == 0 || live <= bottom)
        return true;
    return tl_reach_cut(s->reach, bottom, true) == 0 && tl_reach_cut(s->reach, live, false) == 0;
}

/* Releases w into the roots: its live stack (TLS and descriptor included), its registers. */
bool tl_proof_release(struct scan *s, struct who *w, uintptr_t tp)
{
    w->stuck = false;
    if (w->uctx != NULL && s->ncopies < MAX_TIDS) {
        s->uctx_copies[s->ncopies] = *w->uctx;
        unw_context_t *c = &s->uctx_copies[s->ncopies++];
        if (tl_reach_root(s->reach, (uintptr_t)c, (uintptr_t)(c + 1)) != 0)
            return false;
        uintptr_t usp = (uintptr_t)c->uc_mcontext.gregs[REG_RSP];
        if (usp != 0 && usp < w->sp && w->sp - usp < (1UL << 20))
            w->sp = usp;
    }
    if (w->top <= w->sp)
        return false;
    if (!hole_below(s, w->sp) || !root_minus_tls(s, w->sp, w->top, tp))
        return false;
    /* a thread whose descriptor lies outside its stack (the main thread): its TLS too */
    if (tp != 0 && (tp < w->sp || tp >= w->top))
        return root_minus_tls(s, tp - s->static_tls, tp + s->desc_size, tp);
    return true;
}

/* ---- units ---- */

size_t tl_proof_unit_index(const struct scan *s, bool thread, pid_t tid, int64_t task)
{
    if (!thread && s->task_index != NULL) { /* a binary search: tasks come by the 100k */
        size_t lo = 0, hi = s->ntask_index;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (s->task_index[mid].task < task)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo < s->ntask_index && s->task_index[lo].task == task ? s->task_index[lo].k
                                                                     : SIZE_MAX;
    }
    for (size_t k = 0; k < s->n; k++) {
        const struct tl_proof_unit *u = &s->u[k];
        if (u->reason == NULL || !u->durable)
            continue;
        if (thread ? u->kind == TL_KIND_THREAD && u->tid == tid
                   : u->kind == TL_KIND_TASK && u->task == task)
            return k;
    }
    return SIZE_MAX;
}

struct who *tl_proof_new_who(struct scan *s, bool thread)
{
    struct who *w = &s->who[s->nwho++];
    memset(w, 0, sizeof *w);
    w->in = SIZE_MAX;
    w->is_thread = thread;
    return w;
}

/* Task stacks are blocks of their own; each record at the top is a hole (the runtime's lists lead
 * to it). Parked tasks that may run are roots from their saved sp (their registers are pushed
 * there by the switch); blocked ones in durable waits start stuck. */
/* Whether the stack of a task that can still run program code starts at lo (a task that has
 * exited keeps its stack until gor frees it, dead frames only). */
static bool live_stack(const struct scan *s, uintptr_t lo)
{
    const struct gor_task_info *t = tl_proof_task_of(s, lo);
    return t != NULL && t->stack_lo == lo && t->state != GOR_TASK_EXITED;
}

/* gor keeps the stacks of finished tasks for reuse, stale frames and all, and its free list
 * leads to them: each such stack (its record at the top says so: the record's stack_lo and
 * stack_size words name this very stack) is a hole. Stacks are cut at every multiple of the
 * stack size within a mapping that holds a live task's stack. */
static bool hole_dead_stacks(struct scan *s)
{
    if (s->ntasks == 0)
        return true;
    size_t size = s->tasks[0].stack_hi - s->tasks[0].stack_lo;
    for (size_t i = 0; i < s->maps.n && size >= 4096; i++) {
        const struct tl_pm_map *m = &s->maps.v[i];
        if (!m->anon || !m->writable)
            continue;
        for (uintptr_t hi = m->hi; hi >= m->lo + size || (hi > m->lo && hi - m->lo < size);) {
            uintptr_t lo = hi - size, rec[8];
            if (tl_pm_read(NULL, hi - TL_PROOF_GOR_REC_SIZE, rec, sizeof rec) != sizeof rec ||
                rec[6] != lo || rec[7] != size)
                break; /* not a gor stack */
            if (!live_stack(s, lo) && (tl_reach_cut(s->reach, lo > m->lo ? lo : m->lo, true) != 0 ||
                                       tl_reach_cut(s->reach, hi, false) != 0))
                return false;
            if (lo <= m->lo)
                break;
            hi = lo;
        }
    }
    return true;
}

/* gor's wait table records each waiter's object, but nothing is ever woken through it: a hole,
 * or every waiter's object would be reached from it. Without the call (an older runtime, whose
 * task records hold the waits and are holes already) there is nothing to cut. */
static bool hole_gor_tables(struct scan *s)
{
    if (!tl_gor_present() || tl_gor_g.gor.tables == NULL)
        return true;
    size_t n = tl_gor_g.gor.tables(NULL, 0), len = (n + 16) * sizeof(struct gor_mem_range);
    struct gor_mem_range *r =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return false;
    size_t got = tl_gor_g.gor.tables(r, n + 16);
    bool ok = got <= n + 16;
    for (size_t i = 0; ok && i < got; i++)
        ok = tl_reach_cut(s->reach, r[i].lo, true) == 0 &&
             tl_reach_cut(s->reach, r[i].hi, false) == 0;
    munmap(r, len);
    return ok;
}

static bool describe_tasks(struct scan *s)
{
    if (!hole_gor_tables(s) || !hole_dead_stacks(s))
        return false;
    for (size_t i = 0; i < s->ntasks; i++) {
        const struct gor_task_info *t = &s->tasks[i];
        if (tl_reach_cut(s->reach, t->stack_lo, false) != 0 ||
            tl_reach_cut(s->reach, t->stack_hi, false) != 0 ||
            tl_reach_cut(s->reach, t->stack_hi - TL_PROOF_GOR_RECORD, true) != 0)
            return false;
    }
    for (size_t i = 0; i < s->ntasks; i++) {
        const struct gor_task_info *t = &s->tasks[i];
        if (t->state == GOR_TASK_RUNNING || t->state == GOR_TASK_EXITED)
            continue; /* its thread's stack pointer is in this stack: the thread covers it */
        struct who *w = tl_proof_new_who(s, false);
        w->sp = t->sp;
        w->top = t->stack_hi;
        if (t->state == GOR_TASK_BLOCKED)
            w->in = tl_proof_unit_index(s, false, 0, t->id);
        if (w->in != SIZE_MAX && s->u[w->in].object == (uintptr_t)t->wait_object) {
            /* a waiting task's whole stack is a hole until it may wake (then it is a root) */
            const struct tl_pm_map *m = tl_pm_maps_find(&s->maps, t->sp);
            uintptr_t lo = m != NULL && m->lo > t->stack_lo ? m->lo : t->stack_lo;
            w->stuck = true;
            if (tl_reach_cut(s->reach, lo, true) != 0)
                return false;
        } else if (!tl_proof_release(s, w, 0))
            return false;
    }
    return true;
}

/* ASan keeps a record of each thread it started (its AsanThread, a page-aligned mapping of its
 * own) holding the thread's start routine and argument for good, and the thread's descriptor
 * leads to it (thread-specific data -> ASan's thread context -> the record, whose first word
 * points back to that context). Only ASan reads it, to start the thread: the first page of the
 * record of a waiting thread is a hole, found only when every link checks: the back pointer, and
 * the stack bounds it keeps (its fourth and fifth words) inside the thread's stack mapping. */
static bool hole_asan_thread(struct scan *s, const struct who *w, const struct tl_pm_map *m)
{
    uintptr_t desc[512], ctx[64], rec[5];
    size_t nd = s->desc_size < sizeof desc ? s->desc_size : sizeof desc;
    if (w->tp == 0 || tl_pm_read(NULL, w->tp, desc, nd) != nd)
        return true;
    for (size_t i = 0; i < nd / sizeof *desc; i++) {
        const struct tl_pm_map *dm = tl_pm_maps_find(&s->maps, desc[i]);
        if (desc[i] % 8 || dm == NULL || dm == m || !dm->anon ||
            tl_pm_read(NULL, desc[i], ctx, sizeof ctx) != sizeof ctx)
            continue;
        for (size_t k = 0; k < 64; k++) {
            uintptr_t p = ctx[k];
            if (p == 0 || p % 4096 || tl_pm_read(NULL, p, rec, sizeof rec) != sizeof rec ||
                rec[0] != desc[i] || rec[4] < m->lo || rec[4] >= rec[3] || rec[3] > m->hi)
                continue;
            return tl_reach_cut(s->reach, p, true) == 0 &&
                   tl_reach_cut(s->reach, p + 4096, false) == 0;
        }
    }
    return true;
}

/* A stuck thread's own stack, TLS and descriptor are a hole: neither a root nor traversed while it
 * waits (libc, the loader and a sanitizer's thread registry keep lists that lead there, and
 * following them would prove nothing); the stack becomes a root once the thread may wake. */
static bool cut_thread_stack(struct scan *s, const struct who *w, bool main_thread)
{
    /* its DTV (the loader's array of its TLS blocks, calloc'd, found at tp + 8 and pointing one
     * 16-byte entry past its start) leads only to its own TLS: a hole too */
    uintptr_t dtv = 0;
    if (w->tp != 0 && tl_pm_read(NULL, w->tp + 8, &dtv, sizeof dtv) == sizeof dtv && dtv > 16 &&
        tl_reach_hole(s->reach, dtv - 16) != 0)
        return false;
    const struct tl_pm_map *m = tl_pm_maps_find(&s->maps, w->sp);
    if (m == NULL || tl_proof_task_of(s, w->sp) != NULL)
        return true;
    uintptr_t hole = 0;
    if (w->tp >= m->lo && w->tp < m->hi)
        hole = w->tp + (uintptr_t)s->tls_min; /* static TLS, then the descriptor */
    else if (main_thread && s->stack_end >= m->lo && s->stack_end < m->hi)
        hole = s->stack_end;
    hole &= ~(uintptr_t)(TL_REACH_GRAIN - 1);
    if (s->asan_loc != NULL && !hole_asan_thread(s, w, m))
        return false;
    return tl_reach_cut(s->reach, m->lo, true) == 0 &&
           (hole <= w->sp || tl_reach_cut(s->reach, hole, true) == 0);
}

static bool describe_thread(struct scan *s, size_t i, pid_t self)
{
    pid_t tid = s->tids[i];
    const struct reg *g = tl_proof_reg_of(s, tid);
    struct who *w = tl_proof_new_who(s, true);
    if (tid == self) {
        if (tl_proof_entry() == NULL)
            return false; /* our own program frames are unknown */
        /* from the stack pointer saved at the entry (the context itself may sit elsewhere: a
         * sanitizer's fake stack), with the saved registers as roots */
        const unw_context_t *uc = tl_proof_entry();
        uintptr_t rsp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
        w->sp = rsp != 0 ? rsp : (uintptr_t)uc;
        w->uctx = uc;
        w->top = stack_top(s, w->sp, (uintptr_t)pthread_self());
        return tl_proof_release(s, w, (uintptr_t)pthread_self());
    }
    if (g == NULL || g->tid == 0)
        return false; /* a thread we never saw: its registers are unknown */
    w->sp = s->look[i].sp;
    w->tp = g->handle;
    w->top = stack_top(s, w->sp, w->tp);
    w->sigblk = s->look[i].sigblk;
    if (tl_proof_quiet(s, tid)) {
        /* gor's idle worker or its monitor (the after look checks it ran no task): runtime state
         * only, what it will run next is in the runtime's queues; its stack is a hole */
        const struct tl_pm_map *m = tl_pm_maps_find(&s->maps, w->tp ? w->tp : w->sp);
        return m == NULL || tl_reach_cut(s->reach, m->lo, true) == 0;
    }
    if (g->wstate != TL_WS_RUNNING) {
        w->uctx = g->uctx;
        w->in = g->durable ? tl_proof_unit_index(s, true, tid, 0) : SIZE_MAX;
        if (w->in != SIZE_MAX) {
            w->stuck = true;
            return cut_thread_stack(s, w, tid == getpid());
        }
        return tl_proof_release(s, w, w->tp);
    }
    if (g->internal || tl_gor_runtime_thread(g->start)) {
        /* gor's parked worker or its monitor: runtime state only (what it will run next is in
         * the runtime's queues, reachable from its globals); its stack is a hole */
        const struct tl_pm_map *m =
            tl_pm_maps_find(&s->maps, s->look[i].sp ? s->look[i].sp : w->tp);
        if (s->look[i].state != 'M' && tl_proof_task_of(s, w->sp) != NULL)
            return false; /* a worker asleep inside a task outside our brackets */
        return m == NULL || tl_reach_cut(s->reach, m->lo, true) == 0;
    }
    return false;
}

/* The watchdog's stack is the detector's memory (its reports hold every wait object): a hole,
 * though libc's thread list leads to its descriptor at the top of that mapping. */
static bool hole_watchdog(struct scan *s, pid_t wd)
{
    struct tl_pm_thread t;
    if (wd == 0 || wd == gettid() || !tl_pm_thread(wd, &t) || t.sp == 0)
        return wd == 0 || wd == gettid();
    const struct tl_pm_map *m = tl_pm_maps_find(&s->maps, t.sp);
    return m != NULL && tl_reach_cut(s->reach, m->lo, true) == 0;
}

/* The main thread's static TLS and descriptor sit in memory the loader mapped, not on a stack
 * (hole_descriptor does not find them): the same hole, cut at its two ends. The main thread's
 * TLS is a root anyway whenever it may run (release). */
static bool hole_main_tls(struct scan *s)
{
    const struct reg *g = tl_proof_reg_of(s, getpid());
    uintptr_t tp = getpid() == gettid() ? (uintptr_t)pthread_self() : g ? g->handle : 0;
    if (tp == 0 || s->tls_min == 0)
        return true;
    uintptr_t lo = (tp + (uintptr_t)s->tls_min) & ~(uintptr_t)(TL_REACH_GRAIN - 1);
    uintptr_t hi = (tp + s->desc_size) & ~(uintptr_t)(TL_REACH_GRAIN - 1);
    for (uintptr_t a = lo; a < hi;) { /* the loader's memory may be two mappings there */
        const struct tl_pm_map *m = tl_pm_maps_find(&s->maps, a);
        if (m == NULL)
            return true;
        if (tl_reach_cut(s->reach, a, true) != 0)
            return false;
        a = m->hi;
    }
    return tl_reach_cut(s->reach, hi, false) == 0;
}

static bool describe_threads(struct scan *s)
{
    pid_t self = gettid(), wd = atomic_load(&tl_ctx.watchdog_tid);
    if (!hole_watchdog(s, wd) || !hole_main_tls(s))
        return false;
    for (size_t i = 0; i < s->ntids; i++)
        if (s->tids[i] != wd && !describe_thread(s, i, self))
            return false;
    return true;
}

/* The registry's records are the detector's memory: holes, though threads' TLS and glibc's
 * thread-specific data lead to them (a record keeps the object its unit last waited on). */
static bool hole_records(struct scan *s)
{
    /* blocks start where malloc's pointers do (glibc's cut, ASan's located blocks) */
    for (size_t i = 0; i < s->nregs; i++)
        if (tl_reach_hole(s->reach, (uintptr_t)s->regs[i].unit) != 0)
            return false;
    for (size_t i = 0; i < s->nown; i++)
        if (s->own[i] != NULL && tl_reach_hole(s->reach, (uintptr_t)s->own[i]) != 0)
            return false;
    return tl_reach_hole(s->reach, (uintptr_t)s->u) == 0;
}

bool tl_proof_describe(struct scan *s)
{
    if (!tl_proof_copy_registry(s) || !tl_proof_copy_tasks(s, s->tasks, &s->ntasks) ||
        (tl_proof_sort_tasks(s->tasks, s->ntasks), false) || tl_pm_maps_read(&s->maps) != 0)
        return false;
    s->reach = tl_reach_new(tl_pm_read, NULL);
    return s->reach != NULL &&
           (s->doubt = "modules", tl_pm_module_roots(s->reach, (const void *)tl_proof_scan, s->tls,
                                                     &s->ntls, &s->tls_min) == 0) &&
           (s->doubt = "mappings", describe_maps(s)) && (s->doubt = "records", hole_records(s)) &&
           (s->doubt = "tasks", describe_tasks(s)) &&
           (s->doubt = "a thread whose registers are unknown", describe_threads(s)) &&
           (s->doubt = NULL, true);
}
