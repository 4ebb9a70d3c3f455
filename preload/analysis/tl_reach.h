/* tl_reach: conservative reachability over an abstract memory, the core of leak proofs.
 *
 * The memory is described, not owned: a set of disjoint segments (ranges the program can only
 * reach through a pointer: heap mappings, anonymous mappings, stacks of units that are waiting),
 * each cut into blocks (a heap chunk, a task stack, a whole mapping when nothing finer is known),
 * some of which are holes (memory that is neither a root nor traversed: the thread descriptor and
 * TLS at the top of a waiting thread's stack, a waiting task's record); and root ranges (writable
 * segments of modules, live stacks and saved registers of units that can run). tl_reach_run
 * marks every block some root word points into, then every block a marked block's words point
 * into, and so on: any aligned word whose value lies inside a block counts (interior pointers
 * too). Afterwards tl_reach_state says whether an address is in a root, in a marked block, in an
 * unmarked block (nothing that runs can reach it) or somewhere unknown.
 *
 * Memory is read through a callback only, so a test can describe a memory of its own, and the
 * detector reads with process_vm_readv (an unmapped page is an error, never a fault). All working
 * memory comes from mmap (no malloc between the description and the end of the scan: the scan
 * must not change the heap it walks). Not thread-safe on one tl_reach; no locks, no signals.
 */
#ifndef TL_REACH_H
#define TL_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_REACH_GRAIN 16 /* block starts are 16-byte aligned (malloc's alignment) */

/* Reads len bytes at addr into buf; returns the bytes read from the start (short on a page that
 * is not readable). */
typedef size_t (*tl_reach_read_fn)(void *ctx, uintptr_t addr, void *buf, size_t len);

/* For segments whose blocks an allocator knows better than a map (ASan's heap): the block that
 * holds addr as [*lo, *hi), *hole set when it is a hole (a freed block), or false when none is
 * known (the whole segment then counts). */
typedef bool (*tl_reach_locate_fn)(void *ctx, uintptr_t addr, uintptr_t *lo, uintptr_t *hi,
                                   bool *hole);

enum tl_reach_state {
    TL_REACH_UNKNOWN = 0, /* in no segment nor root: nothing can be said */
    TL_REACH_ROOT,        /* inside a root range */
    TL_REACH_MARKED,      /* inside a block reachable from the roots */
    TL_REACH_UNMARKED,    /* inside a block nothing reachable points into */
    TL_REACH_HOLE,        /* inside a hole: excluded, nothing can be said */
};

struct tl_reach;

/* A new empty description, or NULL (errno ENOMEM). */
struct tl_reach *tl_reach_new(tl_reach_read_fn read, void *ctx);
void tl_reach_free(struct tl_reach *r);

/* Adds the segment [lo, hi) (lo and hi 16-byte aligned, disjoint from every other segment) as
 * one block. Returns its index, or -1 (EINVAL overlap/misaligned, ENOMEM). Segments may be added
 * in any order; blocks are cut after all segments are in (tl_reach_cut). */
int tl_reach_segment(struct tl_reach *r, uintptr_t lo, uintptr_t hi);

/* Marks segment seg (an index from tl_reach_segment) as cut by `locate` rather than by starts. */
void tl_reach_locate(struct tl_reach *r, int seg, tl_reach_locate_fn locate, void *ctx);

/* Starts a new block at addr (16-byte aligned) in whichever segment holds it; with hole, that
 * block (up to the next start) is a hole. No-op outside every segment. Returns 0 or -1 (ENOMEM). */
int tl_reach_cut(struct tl_reach *r, uintptr_t addr, bool hole);

/* Makes the block that starts exactly at addr a hole (memory of the detector's own that the
 * program's memory leads to, such as a thread's registry record). No-op when no block starts
 * there: a hole never swallows a block it does not know. For a located segment, the block the
 * allocator says starts at addr. Returns 0 or -1 (ENOMEM). */
int tl_reach_hole(struct tl_reach *r, uintptr_t addr);

/* Adds the root range [lo, hi) (any alignment; words are read at 8-byte alignment inside it). */
int tl_reach_root(struct tl_reach *r, uintptr_t lo, uintptr_t hi);

/* Marks everything reachable from the roots. Runs are incremental: roots added after a run are
 * scanned by the next one, and marks only grow (so a caller can release more roots, as units it
 * finds may wake, and run again). Returns 0, or -1 (ENOMEM) when it could not finish (then no
 * state may be trusted). `unread` receives the bytes of roots and marked blocks that could not be
 * read so far (a caller in doubt refuses proofs when it is not 0). */
int tl_reach_run(struct tl_reach *r, size_t *unread);

/* Where addr stands after tl_reach_run. */
enum tl_reach_state tl_reach_state(const struct tl_reach *r, uintptr_t addr);

/* Bytes scanned by all runs so far (roots and marked blocks). */
size_t tl_reach_scanned(const struct tl_reach *r);

/* Diagnostics: remembers the address of the word that first reached the block holding addr
 * (tl_reach_watched_from after a run; 0 when none did). One address at a time. */
void tl_reach_watch(struct tl_reach *r, uintptr_t addr);
uintptr_t tl_reach_watched_from(const struct tl_reach *r);

#endif /* TL_REACH_H */
