/* tl_origin: what can be told about a thread of unknown origin (created behind the interposer:
 * a raw clone, a library calling glibc's pthread_create directly, threads older than us).
 *
 * Its start function is read from the outermost frames of its stack: glibc's start_thread calls
 * the start routine, so the return address into start_thread sits at the bottom of the start
 * routine's frame, and the first return address below it (nearer the stack pointer) lies inside
 * the start routine. The stack pointer comes from /proc/self/task/TID/syscall (known while the
 * thread sits in a system call, as a thread that has not moved for a while does), the stack's
 * extent from /proc/self/maps; memory is read with process_vm_readv, which fails cleanly on an
 * unmapped page, so a thread that exits meanwhile costs nothing but the answer. A word counts as
 * a return address only if it points into a loaded module right after a call instruction.
 *
 * Report time only: reads /proc, symbolizes. Never called under a detector lock.
 */
#ifndef TL_ORIGIN_H
#define TL_ORIGIN_H

#include <stdint.h>
#include <sys/types.h>

struct tl_modmap;

/* The start function of thread tid (an address inside it, its entry when the symbol table names
 * it), or 0 when it cannot be found: the thread is running, its stack is not a glibc thread's,
 * or it has exited. */
uintptr_t tl_origin_start(pid_t tid, struct tl_modmap *m);

#endif /* TL_ORIGIN_H */
