/*
 * tl_bypass: are a gor runtime's calls to its own entry points interposable? (hostile case
 * 52, docs/hostile-hosts.md; contracts in tl_bypass.h.)
 *
 * DESIGN
 * - What the detector needs. Tasks are recorded by gor's spawn hook whether or not the gor_go
 *   wrapper ran, and a task's wait is read from gor at report time: for tasks the blocking
 *   wrappers add nothing, except that gor_select's marks a select with a timeout so that the
 *   snapshot does not call its wait durable. For a plain thread, each blocking wrapper (and
 *   gor_main's) opens the core's blocking bracket, so the thread shows "chan receive" (or
 *   "join") rather than the futex gor sleeps on. So a bypassed gor_go costs nothing; a bypassed
 *   blocking entry point costs plain threads their gor wait reason; a bypassed gor_select also
 *   leaves timed selects unmarked. gor itself (runtime/gor_impl.h) never calls its public names:
 *   the entry points are aliases of hidden gor_i_* functions that no other module calls, so on
 *   our own runtime, in every build mode, the check finds nothing to warn about.
 * - How the object is read: from memory, through dl_iterate_phdr and tl_dynobj (no file, no fd,
 *   nothing allocated): DT_FLAGS/DT_SYMBOLIC, the dynamic symbol table and the RELA and JMPREL
 *   relocation tables. A relocation
 *   naming an entry point is a use the dynamic linker binds, to our wrapper unless the object is
 *   symbolic (then to itself). A call or jmp rel32 aimed at the entry point's address is a use
 *   nothing can redirect: -Bsymbolic, -fno-semantic-interposition, protected or hidden aliases
 *   all end up as such instructions. Finding them means scanning the executable segments once
 *   (tens of KiB for libgor), which is why the check runs once per object, at attach.
 * - Where it runs: ipose_gor.c calls tl_bypass_runtime when it resolves a real gor function,
 *   the first call of each wrapper, where dlsym and dl_iterate_phdr already run. A small table of
 *   load bases makes the check run once per runtime object.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "tl_ctx.h"
#include "tl_dynobj.h"
#include "tl_log.h"
#include "tl_bypass.h"

/* ---- the wrapped entry points and what the detector needs from each ---- */

enum { NEEDS_NOTHING = 0, NEEDS_THREAD_BRACKET = 1, NEEDS_TIMED_MARK = 2 };

static const struct entry {
    const char *name;
    int needs; /* NEEDS_*: what a report loses when the runtime calls it internally */
} ENTRIES[] = {
    {"gor_main", NEEDS_THREAD_BRACKET},
    {"gor_go", NEEDS_NOTHING}, /* the spawn hook records every task */
    {"gor_chan_send", NEEDS_THREAD_BRACKET},
    {"gor_chan_recv", NEEDS_THREAD_BRACKET},
    {"gor_select", NEEDS_THREAD_BRACKET | NEEDS_TIMED_MARK},
    {"gor_sleep", NEEDS_THREAD_BRACKET},
    {"gor_wg_wait", NEEDS_THREAD_BRACKET},
    {"gor_mutex_lock", NEEDS_THREAD_BRACKET},
    {"gor_fd_wait", NEEDS_THREAD_BRACKET},
};
enum { NENTRY = sizeof ENTRIES / sizeof ENTRIES[0], SELECT_ENTRY = 4 };

size_t tl_bypass_entry_count(void)
{
    return NENTRY;
}

const char *tl_bypass_entry_name(size_t i)
{
    return i < NENTRY ? ENTRIES[i].name : NULL;
}

/* ---- uses ---- */

static bool binds_by_name(uint32_t type)
{
#if defined(__x86_64__)
    return type == R_X86_64_JUMP_SLOT || type == R_X86_64_GLOB_DAT || type == R_X86_64_64;
#else
    (void)type;
    return false;
#endif
}

static void count_relocs(const struct tl_dynobj *o, const Elf64_Rela *r, size_t n,
                         struct tl_bypass_use *uses, size_t nuse)
{
    for (size_t i = 0; r != NULL && i < n; i++) {
        uint32_t sym = ELF64_R_SYM(r[i].r_info);
        if (sym == STN_UNDEF || !binds_by_name(ELF64_R_TYPE(r[i].r_info)))
            continue;
        const char *name = o->strtab + o->symtab[sym].st_name;
        for (size_t k = 0; k < nuse; k++)
            uses[k].relocs += strcmp(name, uses[k].name) == 0;
    }
}

/* The use a call/jmp at `at` aiming at `target` is, or NULL (recursion inside a function is not
 * a use from outside it). */
static struct tl_bypass_use *use_at(struct tl_bypass_use *uses, size_t n, uintptr_t at,
                                      uintptr_t target)
{
    for (size_t k = 0; k < n; k++)
        if (uses[k].addr == target && !(at >= target && at < target + uses[k].size))
            return &uses[k];
    return NULL;
}

/* Scans one executable segment for E8 (call rel32) and E9 (jmp rel32) aimed at a use. */
static void scan_segment(const unsigned char *code, size_t len, struct tl_bypass_use *uses,
                         size_t n)
{
    for (size_t i = 0; i + 5 <= len; i++) {
        if (code[i] != 0xe8 && code[i] != 0xe9)
            continue;
        int32_t rel;
        memcpy(&rel, code + i + 1, sizeof rel);
        uintptr_t at = (uintptr_t)(code + i);
        struct tl_bypass_use *u = use_at(uses, n, at, at + 5 + (intptr_t)rel);
        if (u != NULL)
            u->direct++;
    }
}

static void count_direct(const struct dl_phdr_info *info, struct tl_bypass_use *uses, size_t n)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const Elf64_Phdr *p = &info->dlpi_phdr[i];
        if (p->p_type == PT_LOAD && (p->p_flags & PF_X) && (p->p_flags & PF_R))
            scan_segment((const unsigned char *)(info->dlpi_addr + p->p_vaddr), p->p_filesz, uses,
                         n);
    }
}

int tl_bypass_inspect(const struct dl_phdr_info *info, struct tl_bypass_use *uses, size_t n,
                        bool *symbolic)
{
#if !defined(__x86_64__)
    errno = ENOTSUP;
    return -1;
#endif
    struct tl_dynobj o;
    if (tl_dynobj_read(info, &o) != 0)
        return -1;
    for (size_t k = 0; k < n; k++) {
        const Elf64_Sym *s = tl_dynobj_function(&o, uses[k].name);
        uses[k].addr = s != NULL ? o.base + s->st_value : 0;
        uses[k].size = s != NULL ? s->st_size : 0;
        uses[k].relocs = uses[k].direct = 0;
    }
    count_relocs(&o, o.rela, o.relasz, uses, n);
    count_relocs(&o, o.jmprel, o.jmprelsz, uses, n);
    count_direct(info, uses, n);
    *symbolic = o.symbolic;
    return 0;
}

bool tl_bypass_bypassed(const struct tl_bypass_use *u, bool symbolic)
{
    return u->addr != 0 && (u->direct > 0 || (symbolic && u->relocs > 0));
}

/* ---- the verdict ---- */

int tl_bypass_judge(const struct dl_phdr_info *info, struct tl_bypass_verdict *v)
{
    struct tl_bypass_use uses[NENTRY];
    memset(v, 0, sizeof *v);
    memset(uses, 0, sizeof uses);
    for (size_t i = 0; i < NENTRY; i++)
        uses[i].name = ENTRIES[i].name;
    if (tl_bypass_inspect(info, uses, NENTRY, &v->symbolic) != 0)
        return -1;
    for (size_t i = 0; i < NENTRY; i++) {
        unsigned bit = 1u << i;
        v->defined |= uses[i].addr != 0 ? bit : 0;
        if (!tl_bypass_bypassed(&uses[i], v->symbolic))
            continue;
        v->bypassed |= bit;
        v->harmful |= ENTRIES[i].needs != NEEDS_NOTHING ? bit : 0;
    }
    return 0;
}

/* Appends to buf[*len..n), keeping it NUL-terminated and *len at most n - 1. */
static void put(char *buf, size_t n, size_t *len, const char *s)
{
    int w = snprintf(buf + *len, n - *len, "%s", s);
    if (w > 0)
        *len = *len + (size_t)w < n ? *len + (size_t)w : n - 1;
}

/* "gor_chan_recv, gor_select": the entries of mask, comma-separated. */
static void put_names(char *buf, size_t n, size_t *len, unsigned mask)
{
    const char *sep = "";
    for (size_t i = 0; i < NENTRY; i++) {
        if (!(mask & (1u << i)))
            continue;
        put(buf, n, len, sep);
        put(buf, n, len, ENTRIES[i].name);
        sep = ", ";
    }
}

/* "(DF_SYMBOLIC: calls inside it bind to itself)" or "(calls to gor_x, gor_y bind inside it)". */
static void put_why(const struct tl_bypass_verdict *v, char *buf, size_t n, size_t *len)
{
    put(buf, n, len,
        v->symbolic ? "(linked symbolic, DT_SYMBOLIC/DF_SYMBOLIC; calls to " : "(direct calls to ");
    put_names(buf, n, len, v->bypassed);
    put(buf, n, len, v->symbolic ? " bind inside it)" : " inside it)");
}

static void put_lacks(const struct tl_bypass_verdict *v, char *buf, size_t n, size_t *len)
{
    unsigned threads = 0;
    for (size_t i = 0; i < NENTRY; i++)
        threads |=
            (v->harmful & (1u << i)) && (ENTRIES[i].needs & NEEDS_THREAD_BRACKET) ? 1u << i : 0;
    put(buf, n, len, "plain threads blocked in ");
    put_names(buf, n, len, threads);
    put(buf, n, len, " called by the library itself show gor's futex wait, not the gor reason");
    if (v->bypassed & (1u << SELECT_ENTRY))
        put(buf, n, len, "; task select waits are reported external (they may have a timeout)");
}

bool tl_bypass_format(const struct tl_bypass_verdict *v, const char *path, char *buf, size_t n)
{
    size_t len = 0;
    if (n == 0)
        return v->harmful != 0;
    buf[0] = '\0';
    put(buf, n, &len, path);
    if (v->harmful != 0) {
        put(buf, n, &len, ": internal calls not interposable ");
        put_why(v, buf, n, &len);
        put(buf, n, &len, ": ");
        put_lacks(v, buf, n, &len);
        return true;
    }
    if (v->bypassed != 0) {
        put(buf, n, &len, ": internal calls checked: the wrapper misses ");
        put_names(buf, n, &len, v->bypassed);
        put(buf, n, &len, " inside it ");
        put_why(v, buf, n, &len);
        put(buf, n, &len, "; harmless, gor's spawn hook records those tasks");
        return false;
    }
    put(buf, n, &len,
        v->symbolic ? ": internal calls checked: linked symbolic, but it calls none"
                    : ": internal calls checked: it calls none");
    put(buf, n, &len, " of its wrapped entry points behind the wrappers");
    return false;
}

/* ---- attach time ---- */

enum { SEEN_MAX = 8 };
static _Atomic uintptr_t seen[SEEN_MAX]; /* load bases of checked objects; claimed by CAS */
static _Atomic bool select_hidden;       /* a checked runtime calls gor_select behind the wrapper */

bool tl_bypass_select_durable_known(void)
{
    return !atomic_load_explicit(&select_hidden, memory_order_acquire);
}

/* Claims the object loaded at base for checking: false when it was checked already (or the
 * table is full: at most SEEN_MAX runtimes are checked). */
static bool claim(uintptr_t base)
{
    for (int i = 0; i < SEEN_MAX; i++) {
        uintptr_t cur = atomic_load(&seen[i]);
        if (cur == 0 && atomic_compare_exchange_strong(&seen[i], &cur, base))
            return true;
        if (cur == base)
            return false;
    }
    return false;
}

struct finding {
    uintptr_t addr;     /* in: an address inside the runtime */
    bool found, judged; /* out: the object was found, and judged (first time seen) */
    const char *path;   /* its dlpi_name ("" for the main program) */
    struct tl_bypass_verdict v;
};

static bool holds(const struct dl_phdr_info *info, uintptr_t addr)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const Elf64_Phdr *p = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + p->p_vaddr;
        if (p->p_type == PT_LOAD && addr >= lo && addr < lo + p->p_memsz)
            return true;
    }
    return false;
}

/* dl_iterate_phdr callback: judges the object holding f->addr, the first time it is seen. */
static int judge_holder(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct finding *f = arg;
    (void)size;
    if (!holds(info, f->addr))
        return 0;
    f->found = true;
    f->path = info->dlpi_name;
    f->judged = claim(info->dlpi_addr) && tl_bypass_judge(info, &f->v) == 0;
    return 1;
}

void tl_bypass_runtime(const void *addr)
{
    int saved = errno;
    struct finding f = {.addr = (uintptr_t)addr};
    if (addr == NULL || !tl_ctx_ready())
        goto out;
    dl_iterate_phdr(judge_holder, &f);
    if (!f.judged)
        goto out;
    if (f.v.bypassed & (1u << SELECT_ENTRY))
        atomic_store_explicit(&select_hidden, true, memory_order_release);
    char line[512];
    bool warn =
        tl_bypass_format(&f.v, f.path[0] ? f.path : "the main program", line, sizeof line);
    if (warn || tl_log_verbosity() >= 1)
        tl_logf("%s", line);
out:
    errno = saved;
}
