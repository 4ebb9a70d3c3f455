/* tl_proof_mem: what a leak proof needs to know about this process's memory and threads, read
 * from /proc and the loader without malloc (the heap must not change between being walked and
 * being scanned): the readable writable mappings, the modules' writable segments, the blocks of
 * glibc's heaps, each thread's scheduling state, and the kernel-held state that could hide a
 * pointer (timers, pending signals, unread bytes in pipes and sockets).
 *
 * Everything here is report time only, on one thread; no detector lock is taken.
 */
#ifndef TL_PROOF_MEM_H
#define TL_PROOF_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tl_reach.h"

struct tl_pm_map {
    uintptr_t lo, hi;
    bool readable, writable, shared;
    bool anon;    /* no file, or a special anonymous one ([heap], [stack], [anon:...]) */
    bool heap;    /* [heap]: glibc's main arena when malloc is glibc's */
    bool special; /* [vvar], [vdso], [vsyscall]: never scanned */
    bool device;  /* a /dev file other than /dev/zero and /dev/shm: reading it may act */
};

struct tl_pm_maps {
    struct tl_pm_map *v; /* mmap'd */
    size_t n, cap;
};

/* Reads /proc/self/maps. Returns 0 or -1. */
int tl_pm_maps_read(struct tl_pm_maps *m);
void tl_pm_maps_free(struct tl_pm_maps *m);
/* The mapping holding a, or NULL. */
const struct tl_pm_map *tl_pm_maps_find(const struct tl_pm_maps *m, uintptr_t a);

/* One thread as the kernel shows it. */
struct tl_pm_thread {
    char state;        /* 'R', 'S', 'D', ... ('?' when unreadable) */
    uint64_t switches; /* voluntary + involuntary context switches */
    uint64_t sigblk;   /* blocked signals (bit n-1 for signal n) */
    uintptr_t sp;      /* stack pointer while in a system call, 0 when not in one */
    char name[16];     /* the kernel's name of the thread */
};

/* The tids of this process's threads into out[0..max); returns the count (max+1 when more). */
size_t tl_pm_tids(pid_t *out, size_t max);
/* Fills t for tid; false when the thread is gone. */
bool tl_pm_thread(pid_t tid, struct tl_pm_thread *t);

/* Signals the program catches with a handler of its own (not the detector's), as a mask. */
uint64_t tl_pm_program_handlers(void);

/* What in the kernel may hold a pointer the program will read again ("a POSIX timer", "a pending
 * signal", "unread bytes in a pipe or socket"), or NULL when nothing may. */
const char *tl_pm_kernel_doubt(void);

/* Reads memory of this process without faulting (process_vm_readv): a tl_reach_read_fn. */
size_t tl_pm_read(void *ctx, uintptr_t addr, void *buf, size_t len);

/* A static TLS block as an offset from the thread pointer and a size. */
struct tl_pm_tls {
    intptr_t off;
    size_t size;
};
#define TL_PM_TLS_EXTRA 3

/* Adds every module's writable segments as roots, except the detector's (the module containing
 * `self`) and libunwind's (whose caches only hold what the detector unwound). tls[0] receives the
 * detector's static TLS block, tls[1..] libunwind's ((1 + TL_PM_TLS_EXTRA) entries; *ntls the
 * count), excluded from every thread's roots; *tls_min the lowest offset of any module's static
 * TLS block (where a thread's static TLS begins below its thread pointer). Returns 0 or -1. */
int tl_pm_module_roots(struct tl_reach *r, const void *self, struct tl_pm_tls *tls, size_t *ntls,
                       intptr_t *tls_min);

/* Whether malloc is glibc's own (so its heaps may be walked). */
bool tl_pm_glibc_malloc(void);

/* glibc's tcache key (the second word of every chunk in a tcache), learnt by freeing a chunk of
 * our own; 0 when unknown. Call before the heap is walked (it mallocs). */
uintptr_t tl_pm_tcache_key(void);

/* Cuts [lo, hi) (a mapping of glibc's main arena, or of another arena's heap when !main) into
 * its chunks, free chunks (in a bin, the top chunk, or carrying the tcache key) as holes. Leaves
 * the segment one block when the chunk chain does not check out exactly. Returns true when cut. */
bool tl_pm_walk_heap(struct tl_reach *r, uintptr_t lo, uintptr_t hi, bool main_arena,
                     uintptr_t key);

#endif /* TL_PROOF_MEM_H */
