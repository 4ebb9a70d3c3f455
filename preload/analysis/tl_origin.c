/* tl_origin: start functions of threads of unknown origin (see tl_origin.h).
 *
 * DESIGN. Three cheap reads and one scan, all failing softly: the stack pointer from
 * /proc/self/task/TID/syscall, the mapping that holds it from /proc/self/maps, the top
 * SCAN_BYTES of that mapping through process_vm_readv on ourselves (never a plain load: the
 * thread may exit and its stack be unmapped while we read). The scan walks from the top of the
 * stack down to the stack pointer; the first word that is a return address into start_thread
 * marks the start routine's frame, and the next return address below it names the routine.
 */
#include "tl_origin.h"

#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tl_real.h"
#include "tl_symbols.h"

#define SCAN_BYTES (64 * 1024)

/* Reads n bytes of our own memory at addr; false when any of it is not mapped. */
static bool peek(uintptr_t addr, void *buf, size_t n)
{
    struct iovec local = {buf, n}, remote = {(void *)addr, n};
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n;
}

/* The stack pointer of a thread sitting in a system call ("nr args... sp pc"), 0 otherwise. */
static uintptr_t stack_pointer(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t k = tl_real.read ? tl_real.read(fd, buf, sizeof buf - 1) : -1;
    close(fd);
    if (k <= 0)
        return 0;
    buf[k] = '\0';
    char *words[10];
    int n = 0;
    for (char *save = NULL, *w = strtok_r(buf, " \n", &save); w && n < 10;
         w = strtok_r(NULL, " \n", &save))
        words[n++] = w;
    if (n < 3 || strcmp(words[0], "running") == 0)
        return 0;
    return (uintptr_t)strtoull(words[n - 2], NULL, 16);
}

/* The end of the mapping that contains sp (the stack's top), 0 when none. */
static uintptr_t stack_top(uintptr_t sp)
{
    FILE *f = fopen("/proc/self/maps", "re");
    char line[512];
    uintptr_t top = 0;
    while (f != NULL && top == 0 && fgets(line, sizeof line, f) != NULL) {
        uintptr_t lo, hi;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2 && lo <= sp && sp < hi)
            top = hi;
    }
    if (f != NULL)
        fclose(f);
    return top;
}

/* True when w is a return address: in a module, right after a call (e8 rel32, ff /2). */
static bool after_call(struct tl_modmap *m, uintptr_t w)
{
    unsigned char c[7];
    if (w < sizeof c || tl_modmap_find(m, w, NULL) < 0 || !peek(w - sizeof c, c, sizeof c))
        return false;
    if (c[2] == 0xe8) /* call rel32 */
        return true;
    for (int len = 2; len <= 7; len++) /* call r/m64: ff, modrm with reg field 2 */
        if (c[7 - len] == 0xff && ((c[8 - len] >> 3) & 7) == 2)
            return true;
    return false;
}

static bool is_start_thread(struct tl_modmap *m, uintptr_t w)
{
    const char *fn = tl_symbolize(m, w - 1);
    return fn != NULL && strcmp(fn, "start_thread") == 0;
}

/* Scans words [0, n) of the stack copy from the top down (see DESIGN). */
static uintptr_t scan(struct tl_modmap *m, const uintptr_t *w, size_t n)
{
    size_t k = n;
    while (k > 0 && !(after_call(m, w[k - 1]) && is_start_thread(m, w[k - 1])))
        k--;
    for (; k > 1; k--) {
        uintptr_t ret = w[k - 2], off = 0;
        if (!after_call(m, ret))
            continue;
        return tl_symbolize_off(m, ret - 1, &off) != NULL ? ret - 1 - off : ret - 1;
    }
    return 0;
}

uintptr_t tl_origin_start(pid_t tid, struct tl_modmap *m)
{
    uintptr_t sp = 0;
    for (int tries = 0; sp == 0 && tries < 3; tries++) /* caught between two system calls */
        if ((sp = stack_pointer(tid)) == 0)
            sched_yield();
    uintptr_t top = sp ? stack_top(sp) : 0;
    if (m == NULL || top == 0)
        return 0;
    uintptr_t from = top - sp > SCAN_BYTES ? top - SCAN_BYTES : sp;
    from &= ~(uintptr_t)(sizeof(uintptr_t) - 1);
    size_t n = (top - from) / sizeof(uintptr_t);
    uintptr_t *copy = malloc(n * sizeof *copy);
    uintptr_t start = 0;
    if (copy != NULL && peek(from, copy, n * sizeof *copy))
        start = scan(m, copy, n);
    free(copy);
    return start;
}
