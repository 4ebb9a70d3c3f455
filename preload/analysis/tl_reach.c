/* tl_reach: conservative reachability (see tl_reach.h).
 *
 * DESIGN. A segment is one block until it is cut; once cut it carries three bitmaps of one bit per
 * 16-byte grain (starts, holes at starts, marks at starts), all in lazily zeroed mmap'd memory,
 * so a 1 GiB heap costs 3 × 8 MiB of address space and only the touched pages of it. The block of
 * an address is found by walking the start bitmap backwards word by word (the segment's own
 * start always counts). The scan is a mark stack of [lo, hi) ranges: roots first, then each
 * newly marked block once; every aligned word is tested against the sorted segments (one
 * compare against their overall bounds rejects most words). Nothing here calls malloc.
 */
#include "tl_reach.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tl_vec.h"

#define CHUNK    (64 * 1024)
#define PAGE_MIN 4096

struct seg {
    uintptr_t lo, hi;
    uint64_t *starts, *holes, *marks; /* NULL while the segment is one block */
    size_t words;                     /* of each bitmap */
    bool whole_marked;                /* one-block segments (and located fallbacks) */
    bool cut_holes;                   /* a hole was cut here (tl_reach_cut) */
    tl_reach_locate_fn locate;
    void *locate_ctx;
};

struct range {
    uintptr_t lo, hi;
};

struct tl_reach {
    tl_reach_read_fn read;
    void *ctx;
    struct seg *segs;
    size_t nsegs, capsegs;
    struct range *roots, *stack;
    size_t nroots, caproots, nstack, capstack;
    size_t rdone; /* roots [0, rdone) were scanned by an earlier run (and are sorted) */
    uintptr_t min_lo, max_hi;
    size_t scanned, unread;
    bool sorted;
    uintptr_t *buf;     /* CHUNK bytes */
    unsigned char *win; /* CHUNK bytes: the last window read, for small blocks */
    uintptr_t win_base;
    size_t win_len;
    uintptr_t watch, watch_from, cur; /* diagnostics: which word first reached `watch` */
    uintptr_t *lholes; /* starts of located blocks that are holes (sorted before a run) */
    size_t nlholes, caplholes;
    bool lholes_sorted;
};

static bool bit_set(const uint64_t *bm, size_t bit)
{
    return (bm[bit / 64] & (1ULL << (bit % 64))) != 0;
}

static void *map(size_t n)
{
    void *p =
        mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

struct tl_reach *tl_reach_new(tl_reach_read_fn read, void *ctx)
{
    struct tl_reach *r = map(sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->read = read;
    r->ctx = ctx;
    r->sorted = true; /* no segment yet */
    r->min_lo = UINTPTR_MAX;
    r->buf = map(CHUNK);
    r->win = map(CHUNK);
    if (r->buf == NULL || r->win == NULL) {
        if (r->buf != NULL)
            munmap(r->buf, CHUNK);
        munmap(r, sizeof *r);
        return NULL;
    }
    return r;
}

void tl_reach_free(struct tl_reach *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nsegs; i++)
        if (r->segs[i].starts != NULL)
            munmap(r->segs[i].starts, 3 * r->segs[i].words * sizeof(uint64_t));
    if (r->segs != NULL)
        munmap(r->segs, r->capsegs * sizeof *r->segs);
    if (r->roots != NULL)
        munmap(r->roots, r->caproots * sizeof *r->roots);
    if (r->stack != NULL)
        munmap(r->stack, r->capstack * sizeof *r->stack);
    if (r->lholes != NULL)
        munmap(r->lholes, r->caplholes * sizeof *r->lholes);
    munmap(r->buf, CHUNK);
    munmap(r->win, CHUNK);
    munmap(r, sizeof *r);
}

static int cmp_seg(const void *a, const void *b)
{
    const struct seg *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int cmp_range(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The segment holding a, or NULL. Sorts on first use after additions. */
static struct seg *find_seg(struct tl_reach *r, uintptr_t a)
{
    if (!r->sorted) {
        if (r->nsegs > 0)
            qsort(r->segs, r->nsegs, sizeof *r->segs, cmp_seg);
        r->sorted = true;
    }
    size_t lo = 0, hi = r->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a < r->segs[mid].lo)
            hi = mid;
        else if (a >= r->segs[mid].hi)
            lo = mid + 1;
        else
            return &r->segs[mid];
    }
    return NULL;
}

int tl_reach_segment(struct tl_reach *r, uintptr_t lo, uintptr_t hi)
{
    if (lo >= hi || lo % TL_REACH_GRAIN || hi % TL_REACH_GRAIN) {
        errno = EINVAL;
        return -1;
    }
    /* segments usually come in address order (a maps file): then only the last can overlap, and
     * the array stays sorted */
    bool in_order = r->sorted && (r->nsegs == 0 || lo >= r->segs[r->nsegs - 1].hi);
    for (size_t i = in_order ? r->nsegs : 0; i < r->nsegs; i++)
        if (lo < r->segs[i].hi && r->segs[i].lo < hi) {
            errno = EINVAL;
            return -1;
        }
    if (TL_VEC_PUSH_SLOT_MAPPED(r->segs, r->capsegs, r->nsegs) != 0)
        return -1;
    struct seg *s = &r->segs[r->nsegs];
    memset(s, 0, sizeof *s);
    s->lo = lo;
    s->hi = hi;
    r->sorted = in_order;
    r->min_lo = lo < r->min_lo ? lo : r->min_lo;
    r->max_hi = hi > r->max_hi ? hi : r->max_hi;
    return (int)r->nsegs++;
}

/* Gives s its bitmaps (one lazily zeroed mapping for all three). */
static int bitmaps(struct seg *s)
{
    if (s->starts != NULL)
        return 0;
    size_t bits = (s->hi - s->lo) / TL_REACH_GRAIN;
    s->words = (bits + 63) / 64;
    uint64_t *m = map(3 * s->words * sizeof(uint64_t));
    if (m == NULL) {
        errno = ENOMEM;
        return -1;
    }
    s->starts = m;
    s->holes = m + s->words;
    s->marks = m + 2 * s->words;
    s->starts[0] |= 1;
    return 0;
}

void tl_reach_locate(struct tl_reach *r, int seg, tl_reach_locate_fn locate, void *ctx)
{
    if (seg < 0 || (size_t)seg >= r->nsegs || bitmaps(&r->segs[seg]) != 0)
        return; /* without its bitmaps, the segment stays one block: coarser, still sound */
    r->segs[seg].locate = locate;
    r->segs[seg].locate_ctx = ctx;
}

int tl_reach_cut(struct tl_reach *r, uintptr_t addr, bool hole)
{
    struct seg *s = find_seg(r, addr);
    if (s == NULL || addr % TL_REACH_GRAIN)
        return 0;
    if (bitmaps(s) != 0)
        return -1;
    size_t bit = (addr - s->lo) / TL_REACH_GRAIN;
    s->starts[bit / 64] |= 1ULL << (bit % 64);
    if (hole) {
        s->holes[bit / 64] |= 1ULL << (bit % 64);
        s->cut_holes = true;
    } else
        s->holes[bit / 64] &= ~(1ULL << (bit % 64));
    return 0;
}

static int cmp_addr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static bool located_hole(struct tl_reach *r, uintptr_t lo)
{
    if (r->nlholes == 0)
        return false;
    if (!r->lholes_sorted) {
        qsort(r->lholes, r->nlholes, sizeof *r->lholes, cmp_addr);
        r->lholes_sorted = true;
    }
    return bsearch(&lo, r->lholes, r->nlholes, sizeof lo, cmp_addr) != NULL;
}

int tl_reach_hole(struct tl_reach *r, uintptr_t addr)
{
    struct seg *s = find_seg(r, addr);
    if (s == NULL || s->starts == NULL || addr % TL_REACH_GRAIN)
        return 0;
    if (s->locate != NULL) {
        if (TL_VEC_PUSH_SLOT_MAPPED(r->lholes, r->caplholes, r->nlholes) != 0)
            return -1;
        r->lholes[r->nlholes++] = addr;
        r->lholes_sorted = false;
        return 0;
    }
    size_t bit = (addr - s->lo) / TL_REACH_GRAIN;
    if (bit_set(s->starts, bit))
        s->holes[bit / 64] |= 1ULL << (bit % 64);
    return 0;
}

int tl_reach_root(struct tl_reach *r, uintptr_t lo, uintptr_t hi)
{
    if (lo >= hi)
        return 0;
    if (TL_VEC_PUSH_SLOT_MAPPED(r->roots, r->caproots, r->nroots) != 0)
        return -1;
    r->roots[r->nroots++] = (struct range){lo, hi};
    return 0;
}

/* The start bit of the block holding bit `bit` (walking back over the start bitmap). */
static size_t start_before(const struct seg *s, size_t bit)
{
    size_t w = bit / 64;
    uint64_t m = s->starts[w] & (bit % 64 == 63 ? ~0ULL : (2ULL << (bit % 64)) - 1);
    while (m == 0) /* bit 0 is always set: the loop ends */
        m = s->starts[--w];
    return w * 64 + 63 - (size_t)__builtin_clzll(m);
}

/* The first start bit after `bit`, or the segment's end in bits. */
static size_t start_after(const struct seg *s, size_t bit)
{
    size_t nbits = (s->hi - s->lo) / TL_REACH_GRAIN;
    for (size_t b = bit + 1; b < nbits;) {
        uint64_t m = s->starts[b / 64] >> (b % 64);
        if (m != 0)
            return b + (size_t)__builtin_ctzll(m);
        b = (b / 64 + 1) * 64;
    }
    return nbits;
}

static int push(struct tl_reach *r, uintptr_t lo, uintptr_t hi)
{
    if (r->watch >= lo && r->watch < hi && r->watch_from == 0)
        r->watch_from = r->cur;
    if (TL_VEC_PUSH_SLOT_MAPPED(r->stack, r->capstack, r->nstack) != 0)
        return -1;
    r->stack[r->nstack++] = (struct range){lo, hi};
    return 0;
}

static bool test_and_set(uint64_t *bm, size_t bit)
{
    uint64_t b = 1ULL << (bit % 64);
    bool was = (bm[bit / 64] & b) != 0;
    bm[bit / 64] |= b;
    return was;
}

/* Whether a lies in a block cut as a hole (in a located segment: memory the allocator does not
 * know that the caller cut out, such as a sanitizer's record of a waiting thread). */
static bool cut_hole_at(const struct seg *s, uintptr_t a)
{
    if (!s->cut_holes)
        return false; /* the usual case: no walk over the start bitmap */
    size_t b = start_before(s, (a - s->lo) / TL_REACH_GRAIN);
    return bit_set(s->holes, b);
}

/* Whether a block the allocator knows at lo was cut as a hole starting exactly there (memory of
 * the caller's own accounting, such as a runtime's table of waiters). */
static bool cut_hole_starts(const struct seg *s, uintptr_t lo)
{
    if (!s->cut_holes || lo < s->lo || lo >= s->hi || (lo - s->lo) % TL_REACH_GRAIN)
        return false;
    size_t b = (lo - s->lo) / TL_REACH_GRAIN;
    return bit_set(s->starts, b) && bit_set(s->holes, b);
}

/* A located segment: the allocator's block, clipped to the segment; the whole segment when the
 * allocator knows none. */
static int mark_located(struct tl_reach *r, struct seg *s, uintptr_t a)
{
    uintptr_t lo, hi;
    bool hole = false;
    if (s->whole_marked)
        return 0; /* all of it is queued already (its free blocks and holes skipped there) */
    if (!s->locate(s->locate_ctx, a, &lo, &hi, &hole) || lo >= hi || hi <= s->lo || lo >= s->hi) {
        if (cut_hole_at(s, a))
            return 0;
        s->whole_marked = true;
        return push(r, s->lo, s->hi);
    }
    /* a word outside the block the allocator names (it names the nearest one) points into no
     * block: a redzone or the allocator's own header, where only the allocator's pointers lead
     * (ASan's quarantine points at the headers of the freed blocks it keeps). One past the end
     * still counts, as a program may keep such a pointer. */
    if (a < lo || a > hi || hole || located_hole(r, lo) || cut_hole_starts(s, lo))
        return 0;
    lo = lo < s->lo ? s->lo : lo;
    hi = hi > s->hi ? s->hi : hi;
    if (test_and_set(s->marks, (lo - s->lo) / TL_REACH_GRAIN))
        return 0;
    return push(r, lo, hi);
}

/* The word a points into a segment: marks its block and queues it when new. */
static int mark_word(struct tl_reach *r, uintptr_t a)
{
    struct seg *s = find_seg(r, a);
    if (s == NULL)
        return 0;
    if (s->locate != NULL)
        return mark_located(r, s, a);
    if (s->starts == NULL) {
        if (s->whole_marked)
            return 0;
        s->whole_marked = true;
        return push(r, s->lo, s->hi);
    }
    size_t b = start_before(s, (a - s->lo) / TL_REACH_GRAIN);
    if (bit_set(s->holes, b))
        return 0;
    if (test_and_set(s->marks, b))
        return 0;
    return push(r, s->lo + b * TL_REACH_GRAIN, s->lo + start_after(s, b) * TL_REACH_GRAIN);
}

/* Reads through a 64 KiB window: blocks are small and often neighbours, and one system call per
 * block would cost more than the scan (memory does not change during a run). */
static size_t read_cached(struct tl_reach *r, uintptr_t addr, void *buf, size_t len)
{
    if (len >= CHUNK / 4)
        return r->read(r->ctx, addr, buf, len);
    if (addr < r->win_base || addr + len > r->win_base + r->win_len) {
        r->win_base = addr & ~(uintptr_t)(CHUNK - 1);
        r->win_len = r->read(r->ctx, r->win_base, r->win, CHUNK);
        if (addr + len > r->win_base + r->win_len) {
            r->win_len = 0; /* a page is missing in the window: read exactly what was asked */
            return r->read(r->ctx, addr, buf, len);
        }
    }
    memcpy(buf, r->win + (addr - r->win_base), len);
    return len;
}

/* Scans [lo, hi): every 8-byte aligned word inside it. */
static int scan(struct tl_reach *r, uintptr_t lo, uintptr_t hi)
{
    lo = (lo + 7) & ~(uintptr_t)7;
    while (lo + 8 <= hi) {
        size_t want = hi - lo > CHUNK ? CHUNK : (hi - lo) & ~(size_t)7;
        size_t got = read_cached(r, lo, r->buf, want) & ~(size_t)7;
        r->scanned += got;
        for (size_t i = 0; i < got / 8; i++) {
            uintptr_t w = r->buf[i];
            r->cur = lo + i * 8;
            if (w >= r->min_lo && w < r->max_hi && mark_word(r, w) != 0)
                return -1;
        }
        if (got < want) { /* an unreadable page: skip to the next one */
            uintptr_t next = ((lo + got) / PAGE_MIN + 1) * PAGE_MIN;
            r->unread += (next < hi ? next : hi) - (lo + got);
            lo = next;
        } else {
            lo += got;
        }
    }
    return 0;
}

/* Scans [lo, hi) of a located segment but the blocks cut there as holes. */
static int scan_unholed(struct tl_reach *r, const struct seg *s, uintptr_t lo, uintptr_t hi)
{
    if (!s->cut_holes)
        return scan(r, lo, hi);
    while (lo < hi) {
        size_t b = start_before(s, (lo - s->lo) / TL_REACH_GRAIN);
        uintptr_t next = s->lo + start_after(s, b) * TL_REACH_GRAIN;
        next = next < hi ? next : hi;
        if (!bit_set(s->holes, b) && scan(r, lo, next) != 0)
            return -1;
        lo = next;
    }
    return 0;
}

/* A located segment marked whole (a word pointed into memory its allocator does not know, such
 * as its own bookkeeping or memory merged into the mapping): every word of it but those of the
 * allocator's free blocks, which hold stale words as any hole does. Unknown memory is scanned a
 * page at a time, asking the allocator again at each page. */
static int scan_located(struct tl_reach *r, struct seg *s)
{
    for (uintptr_t a = s->lo; a < s->hi;) {
        uintptr_t lo, hi, end = (a / PAGE_MIN + 1) * PAGE_MIN; /* unknown: up to the next page */
        bool hole = false, skip = false;
        if (s->locate(s->locate_ctx, a, &lo, &hi, &hole) && lo < hi && hi > a) {
            if (lo > a) { /* the block starts further: what lies before it is unknown */
                end = lo;
            } else {
                end = hi;
                skip = hole || located_hole(r, lo) || cut_hole_starts(s, lo);
            }
        }
        end = end < s->hi ? end : s->hi;
        if (!skip && scan_unholed(r, s, a, end) != 0)
            return -1;
        a = end;
    }
    return 0;
}

int tl_reach_run(struct tl_reach *r, size_t *unread)
{
    if (r->nsegs > 0)
        (void)find_seg(r, 0); /* sorts */
    for (size_t i = r->rdone; i < r->nroots; i++)
        if (scan(r, r->roots[i].lo, r->roots[i].hi) != 0)
            return -1;
    while (r->nstack > 0) {
        struct range g = r->stack[--r->nstack];
        struct seg *s = find_seg(r, g.lo);
        bool whole = s != NULL && s->locate != NULL && g.lo == s->lo && g.hi == s->hi;
        if ((whole ? scan_located(r, s) : scan(r, g.lo, g.hi)) != 0)
            return -1;
    }
    if (r->nroots > 0)
        qsort(r->roots, r->nroots, sizeof *r->roots, cmp_range);
    size_t k = 0; /* coalesce: disjoint sorted roots answer in_root by one binary search */
    for (size_t i = 0; i < r->nroots; i++) {
        if (k > 0 && r->roots[i].lo <= r->roots[k - 1].hi) {
            if (r->roots[i].hi > r->roots[k - 1].hi)
                r->roots[k - 1].hi = r->roots[i].hi;
        } else {
            r->roots[k++] = r->roots[i];
        }
    }
    r->nroots = r->rdone = k;
    if (unread != NULL)
        *unread = r->unread;
    return 0;
}

static bool in_root(const struct tl_reach *r, uintptr_t a)
{
    /* after a run the roots are sorted and disjoint: the last one starting at or before a */
    size_t lo = 0, hi = r->rdone;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->roots[mid].lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && a < r->roots[lo - 1].hi;
}

enum tl_reach_state tl_reach_state(const struct tl_reach *r, uintptr_t a)
{
    if (in_root(r, a))
        return TL_REACH_ROOT;
    struct seg *s = find_seg((struct tl_reach *)r, a);
    if (s == NULL)
        return TL_REACH_UNKNOWN;
    if (s->whole_marked)
        return TL_REACH_MARKED;
    if (s->starts == NULL)
        return TL_REACH_UNMARKED;
    if (s->locate != NULL) {
        uintptr_t lo, hi;
        bool hole = false;
        if (!s->locate(s->locate_ctx, a, &lo, &hi, &hole) || lo < s->lo || lo >= s->hi)
            return TL_REACH_UNKNOWN;
        if (hole || located_hole((struct tl_reach *)r, lo) || cut_hole_starts(s, lo))
            return TL_REACH_HOLE;
        size_t b = (lo - s->lo) / TL_REACH_GRAIN;
        return bit_set(s->marks, b) ? TL_REACH_MARKED : TL_REACH_UNMARKED;
    }
    size_t b = start_before(s, (a - s->lo) / TL_REACH_GRAIN);
    if (bit_set(s->holes, b))
        return TL_REACH_HOLE;
    return bit_set(s->marks, b) ? TL_REACH_MARKED : TL_REACH_UNMARKED;
}

size_t tl_reach_scanned(const struct tl_reach *r)
{
    return r->scanned;
}

void tl_reach_watch(struct tl_reach *r, uintptr_t addr)
{
    r->watch = addr;
    r->watch_from = 0;
}

uintptr_t tl_reach_watched_from(const struct tl_reach *r)
{
    return r->watch_from;
}
