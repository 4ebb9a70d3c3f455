/*
 * What /proc says about the target (procfs.c): read without stopping anything, so these are the
 * first and last things the tool looks at.
 */
#ifndef TLA_ATTACH_PROC_H
#define TLA_ATTACH_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "attach.h"

/* "taskleak attach: cannot examine process PID: WHY" on stderr; returns TLA_EXIT_CANNOT. */
int tla_cannot(pid_t pid, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* TracerPid of pid (0 when none, -1 when unreadable). */
pid_t tla_tracer(pid_t pid);
/* The kernel's name of a process or thread (/proc/N/comm), escaped; "?" when unreadable. */
void tla_comm(pid_t pid, char *buf, size_t len);
/* kernel.yama.ptrace_scope as text, or "not set (no Yama)". */
void tla_ptrace_scope(char *buf, size_t len);
/* Whether pid exists and is not a zombie. */
bool tla_alive(pid_t pid);
/* State, name, wchan and time since it last ran of thread t of pid, read before the stop. */
void tla_read_prestop(pid_t pid, struct tla_thread *t);
/* exe, argv, ppid of p->pid. */
void tla_read_process(struct tla_proc *p);
/* Why an executable with this ELF header (its first len bytes) cannot be examined: not ELF, 32-bit,
 * another machine; NULL for x86-64 ELF64. buf may hold the text. */
const char *tla_foreign_elf(const unsigned char *h, size_t len, char *buf, size_t blen);
/* Whether the target has libtaskleak.so mapped. */
bool tla_preloaded(pid_t pid);

#endif
