/* tl_proof internals shared by tl_proof.c (one scan: the looks, the marking, the verdict) and
 * tl_proof_desc.c (describing memory: segments, holes, roots of units that may run). Nothing here
 * is part of tl_proof's contract (tl_proof.h). */
#ifndef TL_PROOF_INT_H
#define TL_PROOF_INT_H

#include "../runtime/gor_introspect.h"
#include "tl_proof.h"
#include "tl_proof_mem.h"
#include "tl_reach.h"

#define MAX_TIDS       65536
#define MAX_GOR_THREADS 2048 /* gor's own threads a look judges by gor's counts */
#define GOR_MAP         (MAX_GOR_THREADS * (2 * sizeof(struct gor_thread_info) + sizeof(pid_t)))
#define DESC_AFTER     4096 /* a thread descriptor, at its thread pointer: at most this long */
/* ASan's shadow on x86-64: it reserves one page more below the low shadow's start (0x7fff8000) */
#define ASAN_SHADOW_LO 0x7fff7000UL
#define ASAN_SHADOW_HI 0x10007fff8000UL
#define ASAN_HEAP_LO   0x600000000000UL /* ASan's primary allocator on x86-64 */
#define ASAN_HEAP_HI   0x640000000000UL

/* A thread as the registry shows it, copied under the registry lock. */
struct reg {
    const void *unit;
    const unw_context_t *uctx;
    pid_t tid;
    uint64_t seq, progress;
    uintptr_t handle, start;
    int wstate;
    bool durable, internal;
};

/* One unit of the scan (thread or task) and where its memory is. */
struct who {
    size_t in;         /* index into the caller's units, or SIZE_MAX */
    uintptr_t sp, top; /* live stack [sp, top) */
    uintptr_t tp;      /* threads: the thread pointer (pthread_t), 0 for tasks */
    uint64_t sigblk;   /* threads: blocked signals */
    const unw_context_t *uctx;
    bool stuck, is_thread;
};

/* A waiting task among the caller's units, by task id (the index is sorted by id). */
struct task_key {
    int64_t task;
    size_t k;
};

struct scan {
    struct tl_proof_unit *u;
    size_t n;
    struct task_key *task_index; /* the durable waits of tasks, sorted; mmap'd */
    size_t ntask_index;
    const void *const *own;
    size_t nown;
    pid_t *tids, *tids2;
    size_t ntids;
    struct tl_pm_thread *look;
    struct gor_thread_info *gth, *gth2; /* gor's own threads at the two looks (MAX_GOR_THREADS) */
    size_t ngth;
    pid_t *quiet; /* threads the looks judge by gor's counts: its monitor, its idle workers */
    size_t nquiet;
    struct reg *regs;
    size_t nregs, capregs;
    struct gor_task_info *tasks, *tasks2;
    size_t ntasks, captasks;
    struct who *who;
    size_t nwho;
    unw_context_t *uctx_copies; /* registers of units that may run, as roots */
    size_t ncopies;
    struct tl_pm_maps maps;
    struct tl_reach *reach;
    struct tl_pm_tls tls[1 + TL_PM_TLS_EXTRA]; /* TLS blocks never roots (the detector's) */
    size_t ntls, static_tls;
    intptr_t tls_min; /* the lowest static TLS block, from the tp */
    uint64_t handlers;
    size_t desc_size;     /* a thread descriptor's bytes from its tp (glibc's, else DESC_AFTER) */
    uintptr_t stack_end;  /* __libc_stack_end: above it, the main thread's argv and environment */
    const char *doubt;    /* why the scan is in doubt, for verbosity=2 */
    uintptr_t tcache_key; /* glibc's: marks chunks in a tcache (free) */
    void *asan_loc;       /* __asan_locate_address under ASan, else NULL */
};

/* The calling thread's program entry (TL_PROOF_ENTRY), NULL when none. */
const void *tl_proof_entry(void);
bool tl_proof_copy_registry(struct scan *s);
bool tl_proof_copy_tasks(struct scan *s, struct gor_task_info *out, size_t *n);
const struct reg *tl_proof_reg_of(const struct scan *s, pid_t tid);
/* Whether tid is one of gor's threads that ran no program code during the scan (its monitor, an
 * idle worker): its stack holds runtime state only. */
bool tl_proof_quiet(const struct scan *s, pid_t tid);
const struct gor_task_info *tl_proof_task_of(const struct scan *s, uintptr_t a);
void tl_proof_sort_tasks(struct gor_task_info *t, size_t n); /* by stack, for tl_proof_task_of */
size_t tl_proof_unit_index(const struct scan *s, bool thread, pid_t tid, int64_t task);
struct who *tl_proof_new_who(struct scan *s, bool thread);
/* Releases w into the roots: its live stack (TLS and descriptor included), its registers. */
bool tl_proof_release(struct scan *s, struct who *w, uintptr_t tp);
/* Describes memory (segments, holes, roots); false when the scan is in doubt (s->doubt says). */
bool tl_proof_describe(struct scan *s);

#endif /* TL_PROOF_INT_H */
