/* tl_watchdog: the detector's own thread, in the mould of Linux's kernel/hung_task.c.
 *
 * Every `interval` it makes a light pass over the registry (tl_watchdog_scan: a few atomic loads
 * per unit, under the registry lock in bounded batches, nothing copied but a count and a
 * signature) and finds the units that have been in one wait longer than `threshold` with no
 * progress since. Only when that set changes (or a repeat is due) does it build a full report
 * (mode TL_BUILD_WATCHDOG: verdict "blocked", cycles "deadlocked"), outside the lock: the JSON
 * "watchdog" report is rewritten atomically whenever its findings change, and the text goes to
 * the log the first time a group appears, when it grows, and then at doubling intervals. It also
 * serves dump requests (tl_dump) and leaves as soon as it is the process's last thread, so it
 * never keeps a process alive. threshold=0 turns the scans off (dumps still work).
 *
 * It also proves deadlocks (on_deadlock): whenever a scan found a stuck unit it takes a
 * tl_asleep look, and two asleep looks one interval apart with the same progress signature prove
 * the whole process asleep; with on_deadlock=any, the same wait-for cycle past the threshold in
 * two builds one interval apart proves it too. tl_gate_deadlock then writes the "deadlock" report
 * and ends the process. This keeps running after the exit gate quiesced the reports: a hang in an
 * atexit handler or a destructor is proven like any other.
 *
 * The thread is started by the first thread creation of the program (single-threaded programs
 * never get one), with every signal blocked, detached, through the real pthread_create: it is not
 * a unit and never appears in reports.
 */
#ifndef TL_WATCHDOG_H
#define TL_WATCHDOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tl_wd_scan.h"

/* Hands the watchdog the options it runs under (interval, threshold, report, on_deadlock, proof,
 * dump_signal) and the suppressions its reports match (s, NULL for none); called once at
 * start-up, before any thread could start it. o and s must stay valid. */
struct tl_options;
struct tl_supp;
void tl_watchdog_init(const struct tl_options *o, struct tl_supp *s);

/* Starts the watchdog thread the first time it is called (later calls: one relaxed load). Call
 * after a successful thread creation. Does nothing when threshold=0 and dump_signal=0, or when the
 * detector is off. errno preserved. Not AS-safe. */
void tl_watchdog_maybe_start(void);

/* Fork child: the thread did not survive; the child starts its own on its next thread creation.
 * Also resets tl_dump's and the exit ring's (tl_exits) per-process state. */
void tl_watchdog_atfork_child(void);

/* One light pass (the watchdog's scan, exposed for tests and the benchmark). */
void tl_watchdog_scan(struct tl_wd_scan *s);

#endif /* TL_WATCHDOG_H */
