/* tl_sigreport: the "signal" report of a program ended by SIGHUP, SIGINT, SIGQUIT or SIGTERM.
 *
 * A run killed by its CI timeout, by timeout(1) or by Ctrl-C keeps its evidence: when one of these
 * four signals arrives while its disposition is the default one, the detector writes a report of
 * kind "signal" (taskleak.<pid>.signal.json, and the text on the log: every unit, its wait, its
 * stacks), then restores the default disposition and raises the signal again, so the process ends
 * exactly as it would have (killed by the same signal, a core for SIGQUIT where the limits allow).
 * SIGQUIT also prints the text on stderr first, as Go's runtime does.
 *
 * The program's view is never changed: our handler is installed at start only where the
 * disposition is SIG_DFL (an inherited SIG_IGN, say from nohup, stays), and the first time the
 * program sets any disposition of its own for the signal (sigaction, signal, bsd_signal,
 * sysv_signal, sigset; SIG_DFL included) it gets exactly that and we step aside for good. Until
 * then a query answers what the program would see without us (tl_sigreport_view).
 *
 * The handler builds nothing itself in the common case: it hands the report to the watchdog thread
 * through an eventfd and waits for it, bounded (SIGREPORT_WAIT_MS), then re-raises. With no
 * watchdog (a single-threaded program, or threshold=0 and dump_signal=0) the report is built in
 * the handler only when the thread was interrupted inside a wait the detector brackets (a blocking
 * call: it holds no lock of ours or of the allocator) and is the process's only thread; otherwise
 * one raw line says no report was possible. Signals that arrive while a report is pending (a second
 * SIGTERM from timeout(1)'s process-group kill, say, on another thread) wait for the same report
 * and end the process too.
 */
#ifndef TL_SIGREPORT_H
#define TL_SIGREPORT_H

#include <signal.h>
#include <stdbool.h>

/* Installs the handler for each of the four signals whose disposition is SIG_DFL now (not for
 * o's dump signal when it is one of them); the reports are built under o and match the
 * suppressions s (NULL for none; both kept: they must stay valid). Call once from the context's
 * initialisation, after tl_dump_init. errno preserved. */
struct tl_options;
struct tl_supp;
void tl_sigreport_init(const struct tl_options *o, struct tl_supp *s);

/* True when sig is one of the four signals this module may own. AS-safe. */
bool tl_sigreport_covers(int sig);

/* The program set a disposition of its own for sig through the interposers and the real call
 * succeeded: from now on the signal is the program's. AS-safe. */
void tl_sigreport_program_installed(int sig);

/* Rewrites an old action the kernel returned (*old, for sig) into what the program would see
 * without us: our handler becomes the action that was there before it (SIG_DFL). AS-safe. */
void tl_sigreport_view(int sig, struct sigaction *old);

/* The same for a handler value returned by signal()-like calls. AS-safe. */
void (*tl_sigreport_view_handler(int sig, void (*old)(int)))(int);

/* The eventfd the watchdog polls beside the dump eventfd, created by the first call (-1 when it
 * cannot be). Watchdog thread only. */
int tl_sigreport_fd(void);

/* Watchdog thread: builds and writes the pending signal report, if one was asked for. */
void tl_sigreport_serve(void);

/* The handler itself (tests recognise it). */
void tl_sigreport_handler(int sig);

/* Fork child: the parent's eventfd closed and no pending request (the child's signals are its
 * own; its watchdog, if it starts one, makes a new eventfd). */
void tl_sigreport_atfork_child(void);

#endif /* TL_SIGREPORT_H */
