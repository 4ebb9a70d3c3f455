/* tl_gate: leak checks — the exit gate, taskleak_check and taskleak_dump.
 *
 * The exit gate runs from an atexit handler registered at start-up (so it runs after the
 * program's own atexit handlers, which may still join threads, and before library destructors):
 * it flushes stdout, waits up to `grace` for units to finish (ending early when every remaining
 * unit sits in a durable wait and none moved since the last look), builds the report, emits it,
 * and when fail_on verdicts were found and exitcode != 0 calls exit(exitcode) from the handler:
 * glibc then runs the remaining handlers and uses the last status. _exit and abort never reach
 * it, so they cannot hang in it.
 */
#ifndef TL_GATE_H
#define TL_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hands the gate the options it runs under (exit_check, grace, fail_on, exitcode, report, proof,
 * and every report it builds) and the suppressions its reports match (s, NULL for none); called
 * once at start-up, before the first report. o and s must stay valid. */
struct tl_options;
struct tl_supp;
void tl_gate_init(const struct tl_options *o, struct tl_supp *s);

/* The atexit handler. Runs the gate once per process (a fork child has its own). */
void tl_gate_atexit(void);

/* For gor's global-deadlock hook: writes the exit report now (tasks come out deadlocked) and,
 * when fail_on includes a verdict found and exitcode != 0, _exit(exitcode)s; otherwise returns
 * (the runtime then exits with its own status). */
void tl_gate_exit_now(void);

/* The watchdog proved a deadlock: writes the "deadlock" report (all_asleep: every unit of the
 * process asleep, the text starting "taskleak: all threads are asleep - deadlock!"; else a
 * wait-for cycle while other units run) and, when `end` and exitcode != 0, ends the process with
 * _exit(exitcode): no atexit handler or destructor runs (one may join the stuck units and hang
 * again), and nothing on this path takes a stdio lock a stuck unit may hold. Works inside exit()
 * too (after the exit gate has run). Watchdog thread only. */
void tl_gate_deadlock(bool all_asleep, bool end);

/* taskleak_check: grace, then a "check-<n>" report; returns the number of units leaked,
 * deadlocked or unjoined (the caller and ignored units excluded). -1 when the detector is off. */
int tl_gate_check(void);

/* taskleak_dump: a "dump-<n>" report of every unit, now. */
void tl_gate_dump(void);

/* taskleak_ignore_current: every unit alive now is ignored by later checks. */
void tl_gate_ignore_current(void);

/* The grace wait alone (exposed for tests): returns the number of relevant units still alive
 * when it ended. exclude_seq: the calling thread's unit; skip_ignored for checks. */
size_t tl_gate_grace(int64_t grace_ms, uint64_t exclude_seq, int skip_ignored);

#endif /* TL_GATE_H */
