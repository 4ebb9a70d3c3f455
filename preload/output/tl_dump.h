/* tl_dump: dumps on demand through a signal (dump_signal, default SIGUSR2).
 *
 * The handler is async-signal-safe and does one thing: it adds 1 to an eventfd. The watchdog
 * thread sleeps on that eventfd (tl_dump_wait) instead of a plain sleep, so a request wakes it at
 * once and the dump (tl_gate_dump: a "dump-<n>" report of every unit) is built on the watchdog
 * thread, never inside the handler. A request that arrives before the watchdog exists (a
 * single-threaded program) stays counted in the eventfd and is served when it starts.
 *
 * The program owns its signals: if it installs its own disposition for dump_signal (sigaction or
 * signal, seen by preload/ipose_signal.c; or one already present when the detector starts) that
 * disposition is kept, dumps by signal are switched off, and the detector says so once.
 */
#ifndef TL_DUMP_H
#define TL_DUMP_H

#include <signal.h>
#include <stdbool.h>

/* Creates the eventfd and installs the handler for dump_signal, the option's value (nothing when
 * 0, or when the program already has a disposition other than SIG_DFL for it). Call once from the
 * context's initialisation, after the options are read. errno preserved. */
void tl_dump_init(int dump_signal);

/* The program installed `handler` (SIG_DFL, SIG_IGN or a function) for sig through sigaction or
 * signal, and the real call succeeded: when sig is the dump signal and handler is not ours, dumps
 * by signal stop and one line on the log says so. Called by the interposers. */
void tl_dump_program_installed(int sig, void (*handler)(int));

/* Sleeps up to timeout_ms waiting for a dump request, or until also_fd (-1: none) is readable (it
 * is not read); returns the number of dump requests that arrived (0 on timeout), all consumed.
 * Watchdog thread only. */
int tl_dump_wait(int timeout_ms, int also_fd);

/* The real sigaction and signal (dlsym(RTLD_NEXT), never our wrappers); NULL when missing. */
int (*tl_dump_real_sigaction(void))(int, const struct sigaction *, struct sigaction *);
void (*(*tl_dump_real_signal(void))(int, void (*)(int)))(int);

/* The handler itself, so tests and the interposers can recognise it. */
void tl_dump_handler(int sig);

/* Fork child: a fresh eventfd, so the child's requests never wake the parent's watchdog. */
void tl_dump_atfork_child(void);

#endif /* TL_DUMP_H */
