/* tl_wd_scan: what one light pass of the watchdog finds (tl_watchdog_scan fills it, tl_metrics
 * writes it out). A header of its own so the metrics writer needs nothing else of the watchdog.
 */
#ifndef TL_WD_SCAN_H
#define TL_WD_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* Blocked units of one kind and wait reason, as a scan found them (for the metrics). */
#define TL_WD_REASONS 24
struct tl_wd_reason {
    const char *reason; /* static string */
    int kind;           /* enum tl_unit_kind */
    size_t count;
    int64_t oldest_ns;  /* the earliest wait start among them (CLOCK_MONOTONIC) */
};

struct tl_wd_scan {
    int64_t now_ns;       /* in: CLOCK_MONOTONIC reference time */
    int64_t threshold_ns; /* in: a wait older than this is stuck */
    size_t units;         /* out: units visited */
    size_t stuck;         /* out: units stuck */
    uint64_t signature;   /* out: order-independent hash of the stuck units and their progress */
    size_t tasks;         /* out: live gor tasks seen (included in units) */
    size_t tasks_stuck;   /* out: of them blocked longer than the threshold (included in stuck) */
    size_t blocked[2];    /* out: blocked units by kind (threads, tasks), whatever their age */
    struct tl_wd_reason reasons[TL_WD_REASONS]; /* out: blocked units by kind and reason */
    size_t nreasons;      /* (reasons beyond TL_WD_REASONS are counted in blocked only) */
};
#endif /* TL_WD_SCAN_H */
