/* tl_metrics: the Prometheus text file of metrics=PATH (taskleak(7), METRICS; issue 18).
 *
 * Every interval the watchdog rewrites the file from its scan: units by kind, state and wait
 * reason, units created, the oldest wait per reason, deadlocked units, the live units of the top
 * creation sites, and how long the scan took. The file is written to a temporary name beside it
 * and renamed (the node_exporter textfile-collector convention): a reader, a crash or a kill never
 * sees a torn file, and a symlink at PATH is replaced, never followed. No server, no socket.
 */
#ifndef TL_METRICS_H
#define TL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "tl_wd_scan.h"

/* Top creation sites written as taskleak_site_units (bounded cardinality). */
#define TL_METRICS_TOP_SITES 20

/* At start-up: metrics is the metrics= option (kept: it must stay valid); when set, writes a
 * first file; when that fails, one line on the log names the path and the error, and metrics
 * stay off for the process. */
void tl_metrics_init(const char *metrics);

/* The watchdog's write after scan s (which took scan_ns); deadlocked: units the last report found
 * deadlocked. Nothing when metrics are off. Watchdog thread. */
void tl_metrics_write(const struct tl_wd_scan *s, int64_t scan_ns, size_t deadlocked);

/* The text of the file (malloc'd, NUL-terminated, *len bytes) for scan s; NULL without memory.
 * Exposed for the unit tests. */
char *tl_metrics_render(const struct tl_wd_scan *s, int64_t scan_ns, size_t deadlocked,
                        size_t *len);

#endif /* TL_METRICS_H */
