/* tl_proof: leaks proven by reachability while the program runs.
 *
 * A unit in a durable wait can only be woken by code that reaches the object it waits on. If no
 * word of memory that running code can use holds an address inside that object (or inside the
 * heap block holding it), nothing will ever wake the unit: it is leaked, proven, at any time. The
 * roots are the writable segments of every module but the detector, and the live stacks (from
 * the stack pointer up, TLS and thread descriptor included) and saved registers of every unit
 * that can still run; a unit waiting on an object is released into the roots as soon as its
 * object is found reachable, so a cycle of waiters that only reach each other is proven together.
 * docs/internals.md ("Leak proofs") gives the soundness argument: the scan only counts when no
 * thread of the process ran during it (each thread but the scanner asleep in the kernel, with
 * the same context-switch count before and after), and it refuses any proof when it cannot tell
 * (a thread whose registers it cannot know, a pointer that may sit in the kernel).
 *
 * Report time only: allocations happen before the scan starts, none while it runs.
 */
#ifndef TL_PROOF_H
#define TL_PROOF_H

#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tl_registry.h"

/* What a proof needs of one unit (filled by the caller, `proven` by tl_proof_scan). */
struct tl_proof_unit {
    enum tl_unit_kind kind;
    pid_t tid;          /* threads */
    uint64_t seq;       /* threads: the unit's number ("thread:N"), 0 = unknown */
    int64_t task;       /* tasks */
    uintptr_t handle;   /* threads: the pthread_t (a join waits on it), 0 = unknown */
    const char *reason; /* wait reason, NULL when not waiting */
    uintptr_t object;   /* what it waits on */
    bool durable;
    bool proven; /* out */
};

/* Bytes kept as a hole at the top of a gor task's stack: its record (gor's carve: the record,
 * rounded to 64, sits at the very top; the tl_proof suite checks the record fits). The record's
 * own size, rounded so: its words 6 and 7 are the stack's base and size. */
#define TL_PROOF_GOR_RECORD   256
#define TL_PROOF_GOR_REC_SIZE 192

/* Decides, for every unit of u[0..n) in a durable wait, whether its object is unreachable, and
 * sets `proven` accordingly (callers ask only with proof=1). Returns the number proven, or -1
 * when the process could not be judged this time (a thread ran during the scan, a pointer may
 * sit where no scan can see it); then nothing is proven. Never called with a detector lock held.
 * The calling thread is a root from the frame that called TL_PROOF_ENTRY up (the watchdog thread
 * needs none: it is the detector's own). own[0..nown) are heap blocks of the detector's (malloc'd
 * arrays that copy wait objects, as u itself and a report's units), never traversed. */
long tl_proof_scan(struct tl_proof_unit *u, size_t n, const void *const *own, size_t nown);

/* Units proven by the last scan, bytes it scanned and its duration: for the bench and the log. */
struct tl_proof_stats {
    size_t proven, scanned;
    int64_t ns;
};
void tl_proof_last(struct tl_proof_stats *s);

/* The calling thread's program frames start at `entry` (an unw_context_t in the frame of the
 * detector's entry point, holding the program's registers); NULL when it leaves. */
void tl_proof_set_entry(const void *entry);

/* In a detector entry point called by the program (taskleak_check, taskleak_dump, the exit gate):
 * saves the program's registers in this frame so the scanning thread's own roots are known. */
#define TL_PROOF_ENTRY()                                                                           \
    unw_context_t tl_proof_uc_;                                                                    \
    unw_getcontext(&tl_proof_uc_);                                                                 \
    tl_proof_set_entry(&tl_proof_uc_)
#define TL_PROOF_LEAVE() tl_proof_set_entry(NULL)

struct tl_report;

/* Proves what can be proven among r's units (tl_proof_scan) when r was built with proof=1: each
 * proven unit gets proof "unreachable" and the verdict "leaked" unless it has "deadlocked" or
 * "unjoined". Watchdog reports run the scan at most once per r's threshold and within the
 * watchdog's budget for proofs (sharing tl_proof_watch's clock). */
void tl_proof_apply(struct tl_report *r);

/* For the exit gate's grace wait: true when every live unit a check would judge (not thread
 * exclude_seq, not the runtime's, not ignored ones with skip_ignored) is proven leaked, so that
 * waiting longer cannot change the answer. The caller asks only with proof=1. */
bool tl_proof_all_proven(uint64_t exclude_seq, int skip_ignored);

/* The watchdog's call with proof=1, `units` the units its look saw: at most once per threshold_ms
 * (threshold=), only while some unit is in a durable wait, and after a gap of 20 times the last
 * scan's cost (before the first scan, 20 times a guess from `units`), scans and logs each unit
 * newly proven ("task:12 leaked (proven: ...)"). */
void tl_proof_watch(size_t units, int64_t threshold_ms);

#endif /* TL_PROOF_H */
