/*
 * Reading a stopped process from outside with elfutils libdwfl: its modules (from
 * /proc/PID/maps), each thread's registers (PTRACE_GETREGS: the syscall it sleeps in and that
 * call's arguments) and its stack, unwound through the modules' CFI (.eh_frame, or .debug_frame
 * when debug information is installed). Debuginfod is never asked: the process is stopped while
 * this runs, and a network fetch would stretch the stop.
 */
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "attach.h"
#include "attach_proc.h"
#include "tl_vec.h"

static char *debuginfo_path;
static const Dwfl_Callbacks proc_cb = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

/* Reads len bytes at addr of the target; 0 or -1. */
static int tla_peek(pid_t pid, uint64_t addr, void *buf, size_t len)
{
    struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* Before the stop: each module's path, load base and build-id, with its ELF file and CFI
 * loaded so that the stop itself only reads registers and walks stacks. */
static int add_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
    struct tla_proc *p = arg;
    if (TL_VEC_PUSH_SLOT(p->modules, p->modules_cap, p->nmodules) != 0)
        return DWARF_CB_ABORT;
    struct tla_module *m = &p->modules[p->nmodules++];
    memset(m, 0, sizeof *m);
    Dwarf_Addr end = 0, bias = 0;
    dwfl_module_info(mod, NULL, NULL, &end, NULL, NULL, NULL, NULL);
    m->path = strdup(name ? name : "?");
    m->end = end;
    m->base = dwfl_module_getelf(mod, &bias) ? bias : start;
    dwfl_module_eh_cfi(mod, &bias); /* loaded now, before the stop, not during it */
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    for (int i = 0; n > 0 && n <= 64 && i < n; i++)
        sprintf(m->build_id + 2 * i, "%02x", bits[i]);
    *ud = (void *)(uintptr_t)p->nmodules; /* index + 1 */
    (void)start;
    return DWARF_CB_OK;
}

struct walk {
    struct tla_proc *p;
    struct tla_thread *t;
    Dwfl *dwfl;
};

static void name_frame(Dwfl *dwfl, struct tla_frame *f, Dwarf_Addr lookup)
{
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, lookup);
    f->module = -1;
    if (mod == NULL)
        return;
    void **ud;
    dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
    f->module = ud && *ud ? (int)(uintptr_t)*ud - 1 : -1;
    const char *name = dwfl_module_addrname(mod, lookup);
    if (name) {
        f->function = strdup(name);
        if (f->function)
            f->function[strcspn(f->function, "@")] = 0; /* pthread_cond_wait@@GLIBC_2.3.2 */
    }
}

static int on_frame(Dwfl_Frame *state, void *arg)
{
    struct walk *w = arg;
    Dwarf_Addr pc;
    bool activation;
    if (w->t->nframes >= TLA_MAX_FRAMES || !dwfl_frame_pc(state, &pc, &activation))
        return DWARF_CB_ABORT;
    struct tla_frame *f = &w->t->frames[w->t->nframes++];
    f->pc = pc;
    f->activation = activation;
    return DWARF_CB_OK;
}

/* Registers, and the words a futex waiter's object holds (mutex owner, joined thread's tid), read
 * while the thread is stopped so they agree with its stack. */
static void read_regs(pid_t pid, struct tla_thread *t)
{
    struct user_regs_struct r;
    if (ptrace(PTRACE_GETREGS, t->tid, 0, &r) != 0)
        return;
    t->sysno = (long)r.orig_rax;
    t->sp = r.rsp;
    uint64_t a[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
    memcpy(t->args, a, sizeof a);
    if (t->sysno == SYS_futex && tla_peek(pid, a[0], t->futex_words, sizeof t->futex_words) != 0)
        memset(t->futex_words, 0, sizeof t->futex_words);
}

int tla_modules(struct tla_proc *p)
{
    Dwfl *dwfl = dwfl_begin(&proc_cb);
    if (dwfl == NULL || dwfl_linux_proc_report(dwfl, p->pid) != 0 ||
        dwfl_report_end(dwfl, NULL, NULL) != 0) {
        dwfl_end(dwfl);
        return tla_cannot(p->pid, "its modules cannot be read (/proc/%d/maps): %s", (int)p->pid,
                          dwfl_errmsg(-1));
    }
    p->dwfl = dwfl;
    dwfl_getmodules(dwfl, add_module, p, 0);
    return 0;
}

int tla_read_stopped(struct tla_proc *p)
{
    Dwfl *dwfl = p->dwfl;
    bool frames = dwfl_linux_proc_attach(dwfl, p->pid, true) == 0;
    for (size_t i = 0; i < p->n; i++) {
        struct tla_thread *t = &p->t[i];
        read_regs(p->pid, t);
        struct walk w = {p, t, dwfl};
        if (frames)
            dwfl_getthread_frames(dwfl, t->tid, on_frame, &w);
    }
    return frames ? 0 : -1;
}

void tla_name_frames(struct tla_proc *p)
{
    for (size_t i = 0; i < p->n; i++)
        for (int k = 0; k < p->t[i].nframes; k++) {
            struct tla_frame *f = &p->t[i].frames[k];
            name_frame(p->dwfl, f, f->activation ? f->pc : f->pc - 1);
        }
}

void tla_unwind_end(struct tla_proc *p)
{
    dwfl_end(p->dwfl);
    p->dwfl = NULL;
}

/* Whether frame f lies in a sanitizer runtime (its thread trampoline is not the program's). */
static bool in_sanitizer(const struct tla_proc *p, const struct tla_frame *f)
{
    const char *path = f->module >= 0 ? p->modules[f->module].path : "";
    return strstr(path, "/libasan") || strstr(path, "/libtsan") || strstr(path, "/libubsan") ||
           strstr(path, "/liblsan");
}

/* The function the thread started in: the one start_thread called (a sanitizer's trampoline
 * skipped), or, when libc's symbols do not name start_thread (no debug symbols), the outermost
 * frame outside libc. */
static void start_of(const struct tla_proc *p, struct tla_thread *t)
{
    for (int k = 1; k < t->nframes; k++)
        if (t->frames[k].function && !strcmp(t->frames[k].function, "start_thread")) {
            int s = k - 1;
            while (s > 0 && in_sanitizer(p, &t->frames[s]))
                s--;
            if (t->frames[s].function)
                snprintf(t->start, sizeof t->start, "%s", t->frames[s].function);
            return;
        }
    int k = t->nframes - 1;
    while (k >= 0 && (tla_in_libc(p, &t->frames[k]) || in_sanitizer(p, &t->frames[k])))
        k--;
    if (k >= 0 && k < t->nframes - 1 && t->frames[k].function)
        snprintf(t->start, sizeof t->start, "%s", t->frames[k].function);
}

/* A variable of a loaded module holding addr: "name" or "name+off". */
static bool variable_at(Dwfl *dwfl, uint64_t addr, char *buf, size_t len)
{
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, addr);
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = mod ? dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL) : NULL;
    if (!name || GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
        return false;
    if (off)
        snprintf(buf, len, "%s+%llu", name, (unsigned long long)off);
    else
        snprintf(buf, len, "%s", name);
    return true;
}

/* "stack of <unit>" when addr lies in the mapping of a thread's stack, "heap" for other
 * anonymous memory, "" otherwise (a mapped file). */
static void place_at(const struct tla_proc *p, uint64_t addr, char *buf, size_t len)
{
    char path[64], line[4352];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)p->pid);
    FILE *f = fopen(path, "re");
    buf[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        int name = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &name) < 2 || addr < lo ||
            addr >= hi)
            continue;
        char *n = line + name;
        n[strcspn(n, "\n")] = 0;
        for (size_t i = 0; i < p->n && !buf[0]; i++)
            if (p->t[i].sp >= lo && p->t[i].sp < hi) {
                char id[32];
                tla_unit_id(p, i, id, sizeof id);
                snprintf(buf, len, "stack of %s", id);
            }
        if (!buf[0] && (!name || !*n || !strcmp(n, "[heap]")))
            snprintf(buf, len, "heap");
        break;
    }
    if (f)
        fclose(f);
}

void tla_describe(struct tla_proc *p)
{
    for (size_t i = 0; i < p->n; i++) {
        struct tla_thread *t = &p->t[i];
        if (t->tid != p->pid)
            start_of(p, t);
        const char *r = t->wait.reason;
        if (!r || !t->wait.object || !strcmp(r, "IO wait") || !strcmp(r, "sleep"))
            continue;
        if (!p->dwfl ||
            !variable_at(p->dwfl, t->wait.object, t->object_name, sizeof t->object_name))
            place_at(p, t->wait.object, t->object_name, sizeof t->object_name);
    }
}
