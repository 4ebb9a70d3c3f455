/* tl_proof_mem: the process as a leak proof sees it (see tl_proof_mem.h).
 *
 * DESIGN. Files under /proc are read with open and the real read into stack buffers; directories
 * with getdents64; memory with process_vm_readv, so a page unmapped under our feet is a short
 * read, never a fault. glibc's heaps are cut into chunks by following the size fields from the
 * first chunk (the main arena starts at [heap]; another arena's heap starts after its heap_info,
 * and after its malloc_state for the arena's first heap: the offset is found by trying each
 * 16-byte step, since the layout differs between glibc versions); a chain that does not end
 * exactly at the heap's end (its top chunk, or the two fenceposts glibc leaves before a gap)
 * leaves the mapping one block, which is coarser but still sound.
 */
#include "tl_input.h"
#include "tl_proof_mem.h"

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tl_real.h"
#include "tl_vec.h"

#define ARENA_ALIGN (64UL << 20) /* glibc's HEAP_MAX_SIZE on 64-bit */
#define MINCHUNK    32
#define WINDOW      65536

size_t tl_pm_read(void *ctx, uintptr_t addr, void *buf, size_t len)
{
    (void)ctx;
    struct iovec local = {buf, len}, remote = {(void *)addr, len};
    ssize_t k = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    return k < 0 ? 0 : (size_t)k;
}

static void parse_map_line(struct tl_pm_map *e, const char *line)
{
    unsigned long lo, hi, off, inode;
    char perms[8] = "", dev[16] = "";
    int pos = 0;
    memset(e, 0, sizeof *e);
    if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &lo, &hi, perms, &off, dev, &inode, &pos) < 6)
        return;
    const char *path = line + pos;
    e->lo = lo;
    e->hi = hi;
    e->readable = perms[0] == 'r';
    e->writable = perms[1] == 'w';
    e->shared = perms[3] == 's';
    e->anon = inode == 0;
    e->heap = strncmp(path, "[heap]", 6) == 0;
    e->special = strncmp(path, "[vvar]", 6) == 0 || strncmp(path, "[vdso]", 6) == 0 ||
                 strncmp(path, "[vsyscall]", 10) == 0;
    e->device = strncmp(path, "/dev/", 5) == 0 && strncmp(path, "/dev/zero", 9) != 0 &&
                strncmp(path, "/dev/shm/", 9) != 0;
}

int tl_pm_maps_read(struct tl_pm_maps *m)
{
    memset(m, 0, sizeof *m);
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || tl_real.read == NULL)
        return fd < 0 ? -1 : (close(fd), -1);
    char buf[8192], line[4096 + 256];
    size_t ll = 0;
    ssize_t k;
    while ((k = tl_real.read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < k; i++) {
            if (buf[i] != '\n') {
                if (ll + 1 < sizeof line)
                    line[ll++] = buf[i];
                continue;
            }
            line[ll] = '\0';
            ll = 0;
            if (TL_VEC_PUSH_SLOT_MAPPED(m->v, m->cap, m->n) != 0) {
                close(fd);
                return -1;
            }
            parse_map_line(&m->v[m->n], line);
            if (m->v[m->n].hi > m->v[m->n].lo)
                m->n++;
        }
    }
    close(fd);
    return k < 0 ? -1 : 0;
}

void tl_pm_maps_free(struct tl_pm_maps *m)
{
    if (m->v != NULL)
        munmap(m->v, m->cap * sizeof *m->v);
    memset(m, 0, sizeof *m);
}

const struct tl_pm_map *tl_pm_maps_find(const struct tl_pm_maps *m, uintptr_t a)
{
    size_t lo = 0, hi = m->n; /* /proc lists mappings in address order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a < m->v[mid].lo)
            hi = mid;
        else if (a >= m->v[mid].hi)
            lo = mid + 1;
        else
            return &m->v[mid];
    }
    return NULL;
}

size_t tl_pm_tids(pid_t *out, size_t max)
{
    int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return max + 1; /* unknown: the caller is in doubt */
    char buf[4096];
    size_t n = 0;
    long k;
    while ((k = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < k;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] < '0' || d->d_name[0] > '9')
                continue;
            if (n < max)
                out[n] = (pid_t)atoi(d->d_name);
            n++;
        }
    }
    close(fd);
    return k < 0 ? max + 1 : n > max ? max + 1 : n;
}

static uint64_t field_u64(const char *text, const char *key, int base)
{
    const char *p = strstr(text, key);
    return p ? strtoull(p + strlen(key), NULL, base) : 0;
}

bool tl_pm_thread(pid_t tid, struct tl_pm_thread *t)
{
    char path[64], buf[4096];
    memset(t, 0, sizeof *t);
    t->state = '?';
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    if (tl_input_small(path, buf, sizeof buf, tl_real.read) <= 0)
        return false;
    if (strncmp(buf, "Name:\t", 6) == 0) {
        size_t k = 0;
        while (k + 1 < sizeof t->name && buf[6 + k] != '\n' && buf[6 + k] != '\0') {
            t->name[k] = buf[6 + k];
            k++;
        }
        t->name[k] = '\0';
    }
    const char *st = strstr(buf, "\nState:");
    if (st != NULL) {
        st += 7;
        while (*st == ' ' || *st == '\t')
            st++;
        t->state = *st;
    }
    t->switches = field_u64(buf, "\nvoluntary_ctxt_switches:", 10) +
                  field_u64(buf, "\nnonvoluntary_ctxt_switches:", 10);
    t->sigblk = field_u64(buf, "\nSigBlk:", 16);
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    if (tl_input_small(path, buf, sizeof buf, tl_real.read) > 0 &&
        strncmp(buf, "running", 7) != 0) {
        /* "nr a1 a2 a3 a4 a5 a6 sp pc" */
        char *p = buf;
        for (int i = 0; i < 7 && p != NULL; i++) {
            p = strchr(p, ' ');
            p = p ? p + 1 : NULL;
        }
        t->sp = p ? (uintptr_t)strtoull(p, NULL, 16) : 0;
    }
    return true;
}

static bool own_address(uintptr_t a)
{
    Dl_info self, that;
    return dladdr((void *)tl_pm_read, &self) != 0 && dladdr((void *)a, &that) != 0 &&
           self.dli_fbase == that.dli_fbase;
}

uint64_t tl_pm_program_handlers(void)
{
    uint64_t mask = 0;
    for (int sig = 1; sig < 64; sig++) {
        /* faults only the faulting thread raises (and sanitizers catch), and glibc's own
         * cancellation and set*id signals, never wake a sleeping waiter */
        if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP ||
            sig == SIGSYS || sig == 32 || sig == 33)
            continue;
        struct {
            uintptr_t handler, flags, restorer;
            uint64_t mask;
        } ka;
        if (syscall(SYS_rt_sigaction, sig, NULL, &ka, 8) != 0)
            continue;
        if (ka.handler != (uintptr_t)SIG_DFL && ka.handler != (uintptr_t)SIG_IGN &&
            !own_address(ka.handler))
            mask |= 1ULL << (sig - 1);
    }
    return mask;
}

/* An fd the process can read with bytes waiting in the kernel (a pipe or a socket). */
static bool fd_holds_bytes(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return false;
    int fl = fcntl(fd, F_GETFL);
    int n = 0;
    return fl >= 0 && (fl & O_ACCMODE) != O_WRONLY && ioctl(fd, FIONREAD, &n) == 0 &&
           n >=
               (int)sizeof(void *); /* fewer bytes cannot carry a pointer (libunwind leaves some) */
}

static int fds_hold_bytes(void)
{
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return INT_MAX;
    char buf[4096];
    long k;
    int any = -1;
    while (any < 0 && (k = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0)
        for (long off = 0; off < k && any < 0;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            int fd = atoi(d->d_name);
            if (d->d_name[0] >= '0' && d->d_name[0] <= '9' && fd != dir && fd_holds_bytes(fd))
                any = fd;
        }
    close(dir);
    return any;
}

const char *tl_pm_kernel_doubt(void)
{
    char buf[4096];
    if (tl_input_small("/proc/self/timers", buf, sizeof buf, tl_real.read) >
        0) /* "ID: ..." per POSIX timer */
        return "a POSIX timer";
    if (tl_input_small("/proc/self/status", buf, sizeof buf, tl_real.read) <= 0)
        return "no /proc/self/status";
    if (field_u64(buf, "\nShdPnd:", 16) != 0 || field_u64(buf, "\nSigPnd:", 16) != 0)
        return "a pending signal";
    static char why[64];
    int fd = fds_hold_bytes();
    if (fd < 0)
        return NULL;
    snprintf(why, sizeof why, "unread bytes in a pipe or socket (fd %d)", fd);
    return why;
}

struct mod_ctx {
    struct tl_reach *r;
    uintptr_t self_base;
    intptr_t tls_off, tls_min;
    size_t tls_size;
    int err;
    struct tl_pm_tls *extra;
    size_t nextra;
};

static int add_module(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct mod_ctx *c = arg;
    /* libunwind works for the detector: its caches (global and per-thread) hold addresses the
     * detector unwound, none the program stored; a sanitizer runtime's bookkeeping (its thread
     * registry with every stack's bounds, its quarantine) holds copies the program never reads */
    const char *nm = info->dlpi_name != NULL ? info->dlpi_name : "";
    bool unwinder = strstr(nm, "/libunwind") != NULL || strstr(nm, "/libasan") != NULL ||
                    strstr(nm, "/libubsan") != NULL;
    bool self = info->dlpi_addr == c->self_base;
    if (unwinder && c->nextra < TL_PM_TLS_EXTRA)
        for (int i = 0; i < info->dlpi_phnum; i++)
            if (info->dlpi_phdr[i].p_type == PT_TLS && info->dlpi_tls_data != NULL) {
                c->extra[c->nextra].off =
                    (intptr_t)((uintptr_t)info->dlpi_tls_data - (uintptr_t)pthread_self());
                c->extra[c->nextra++].size = info->dlpi_phdr[i].p_memsz;
            }
    bool detector = self;
    self = self || unwinder;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_TLS && info->dlpi_tls_data != NULL) {
            intptr_t off = (intptr_t)((uintptr_t)info->dlpi_tls_data - (uintptr_t)pthread_self());
            if (off < 0 && off > -(intptr_t)(1 << 20) && off < c->tls_min)
                c->tls_min = off; /* static TLS lies just below the thread pointer */
            if (detector) {
                c->tls_off = off;
                c->tls_size = ph->p_memsz;
            }
        }
        if (self || ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (tl_reach_root(c->r, lo, lo + ph->p_memsz) != 0)
            c->err = -1;
    }
    return 0;
}

int tl_pm_module_roots(struct tl_reach *r, const void *self, struct tl_pm_tls *tls, size_t *ntls,
                       intptr_t *tls_min)
{
    Dl_info di;
    struct mod_ctx c = {r, 0, 0, 0, 0, 0, tls + 1, 0};
    if (dladdr(self, &di) == 0)
        return -1;
    /* dlpi_addr is the load bias; dli_fbase the lowest mapping: equal for a shared object */
    c.self_base = (uintptr_t)di.dli_fbase;
    dl_iterate_phdr(add_module, &c);
    tls[0].off = c.tls_off;
    tls[0].size = c.tls_size;
    *ntls = 1 + c.nextra;
    *tls_min = c.tls_min;
    return c.err;
}

bool tl_pm_glibc_malloc(void)
{
    Dl_info m, g;
    void *mp = dlsym(RTLD_DEFAULT, "malloc");
    return mp != NULL && dladdr(mp, &m) != 0 && dladdr((void *)getpid, &g) != 0 &&
           m.dli_fbase == g.dli_fbase;
}

/* Reads size fields through a window so that a walk costs one system call per 64 KiB. */
struct window {
    uintptr_t base;
    size_t len;
    unsigned char buf[WINDOW];
};

static bool size_at(struct window *w, uintptr_t a, uint64_t *out)
{
    if (a < w->base || a + 8 > w->base + w->len) {
        w->base = a;
        w->len = tl_pm_read(NULL, a, w->buf, WINDOW);
        if (w->len < 8)
            return false;
    }
    memcpy(out, w->buf + (a - w->base), 8);
    return true;
}

/* A free chunk: the next one says its predecessor is not in use (a bin's or the top chunk), or it
 * sits in a thread's tcache (its second word is the process's tcache key). Free chunks keep stale
 * words, and malloc's own lists lead to them: they are holes. */
static bool chunk_free(struct window *w, uintptr_t p, uint64_t sz, uintptr_t end, uintptr_t key)
{
    uint64_t next = 1, second = 0;
    if (p + sz + 16 <= end && !size_at(w, p + sz + 8, &next))
        return false;
    if (p + sz >= end)
        return true; /* the top chunk */
    if ((next & 1) == 0)
        return true;
    return key != 0 && size_at(w, p + 24, &second) && second == key;
}

/* Follows the chain from first; true when it ends exactly at end (cutting when cut). */
static bool walk(struct tl_reach *r, struct window *w, uintptr_t first, uintptr_t end, bool cut,
                 uintptr_t key)
{
    uintptr_t p = first;
    while (p < end) {
        uint64_t head;
        if (!size_at(w, p + 8, &head))
            return false;
        uint64_t sz = head & ~(uint64_t)7;
        if (sz == 16 && end - p <= 64) /* the fenceposts before a gap */
            return true;
        if (sz < MINCHUNK || sz % 16 || sz > end - p)
            return false;
        /* a block runs from the chunk's user data to the next one's: the last 8 bytes of user
         * data sit in the next chunk's prev_size word */
        if (cut && tl_reach_cut(r, p + 16, chunk_free(w, p, sz, end, key)) != 0)
            return false;
        p += sz;
    }
    return p == end;
}

uintptr_t tl_pm_tcache_key(void)
{
    void *volatile p = malloc(24);
    if (p == NULL)
        return 0;
    free(p);
    /* Reading the freed chunk is the point: glibc has just written its tcache key there
     * (tcache_entry { next, key }). Never called under ASan, whose allocator is asked instead. */
    /* cppcheck-suppress deallocret */
    return ((volatile uintptr_t *)p)[1]; /* NOLINT(clang-analyzer-unix.Malloc) */
}

bool tl_pm_walk_heap(struct tl_reach *r, uintptr_t lo, uintptr_t hi, bool main_arena, uintptr_t key)
{
    struct window *w =
        mmap(NULL, sizeof *w, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED)
        return false;
    w->len = 0;
    bool ok = false;
    if (main_arena) {
        ok = walk(r, w, lo, hi, false, key) && walk(r, w, lo, hi, true, key);
    } else if (lo % ARENA_ALIGN == 0) {
        uint64_t size; /* heap_info: ar_ptr, prev, size, ... */
        if (size_at(w, lo + 16, &size) && size > 0 && size <= hi - lo && size % 4096 == 0)
            for (uintptr_t first = lo + 32; !ok && first < lo + 4096; first += 16)
                ok = walk(r, w, first, lo + size, false, key) &&
                     walk(r, w, first, lo + size, true, key);
    }
    munmap(w, sizeof *w);
    return ok;
}
