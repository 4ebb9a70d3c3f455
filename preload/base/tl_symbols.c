/* tl_symbols: module map and function names for reports.
 *
 * DESIGN. Stacks are recorded as raw addresses (tl_stack); names are resolved only for what a
 * report prints. The module map is a snapshot of dl_iterate_phdr taken at report time: for each
 * object its load bias, its PT_LOAD segments (executable ones marked) and its GNU build id, read
 * from the PT_NOTE segments already mapped in memory. A report writes the map, so the report tool
 * can symbolize offline against the same files even after the process is gone.
 *
 * In-process names come from the ELF symbol tables. A module's tables are read on first use,
 * with libelf: .symtab (present in unstripped binaries, and the only table that names static
 * functions), .dynsym, and .symtab of a separate debug file found by build id under
 * /usr/lib/debug/.build-id when one is installed. FUNC (and IFUNC) symbols, and OBJECT symbols
 * with a size (variables, for naming the objects units wait on), are collected with
 * runtime addresses (st_value + load bias: zero for ET_EXEC, the mapping base for PIE and shared
 * objects), sorted, and searched by address: the symbol whose [start, start+size) encloses the
 * address wins; a size-0 symbol (hand-written assembly) covers the gap up to the next symbol,
 * within the same segment. Reports are rare, so simplicity beats memory here: names are kept in
 * one growing arena per module.
 */
#include "tl_symbols.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_vec.h"

struct segment {
    uintptr_t start, end; /* runtime addresses */
    bool exec;
};

struct symbol {
    uintptr_t start, size; /* runtime address and st_size */
    uint32_t name;         /* offset into module.names */
    bool global;           /* STB_GLOBAL/WEAK: preferred over a local alias at the same address */
    bool object;           /* STT_OBJECT (a variable), else a function */
};

struct module {
    char *path;     /* file path; NULL-free: "" when unknown */
    char *build_id; /* lowercase hex, "" when none */
    uintptr_t base; /* load bias (dlpi_addr) */
    struct segment *segs;
    int nsegs;
    bool syms_loaded;    /* tables read (or found absent) */
    struct symbol *syms; /* sorted by start */
    size_t nsyms, capsyms;
    char *names; /* arena of NUL-terminated names */
    size_t names_len, names_cap;
};

struct tl_modmap {
    struct module *mods;
    int n;
    size_t cap;
    bool failed; /* an allocation failed while taking the snapshot */
};

/* ---- the snapshot --------------------------------------------------------------------------- */

static char *hex_of(const unsigned char *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", p[i]);
    s[2 * n] = '\0';
    return s;
}

/* Walks one mapped PT_NOTE segment looking for NT_GNU_BUILD_ID; NULL when absent. */
static char *build_id_in_note(const unsigned char *p, size_t len)
{
    while (len >= sizeof(ElfW(Nhdr))) {
        const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
        size_t namesz = (nh->n_namesz + 3) & ~3u, descsz = (nh->n_descsz + 3) & ~3u;
        size_t total = sizeof *nh + namesz + descsz;
        if (total > len)
            break;
        const char *name = (const char *)(nh + 1);
        if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && memcmp(name, "GNU", 4) == 0)
            return hex_of((const unsigned char *)name + namesz, nh->n_descsz);
        p += total;
        len -= total;
    }
    return NULL;
}

static char *module_path(const char *name)
{
    char buf[PATH_MAX];
    if (name && *name)
        return strdup(name);
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    return strdup(buf);
}

static int fill_module(struct module *m, struct dl_phdr_info *info)
{
    m->base = info->dlpi_addr;
    m->path = module_path(info->dlpi_name);
    m->segs = calloc(info->dlpi_phnum ? info->dlpi_phnum : 1, sizeof *m->segs);
    if (!m->path || !m->segs)
        return -1;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            struct segment *s = &m->segs[m->nsegs++];
            s->start = info->dlpi_addr + ph->p_vaddr;
            s->end = s->start + ph->p_memsz;
            s->exec = (ph->p_flags & PF_X) != 0;
        } else if (ph->p_type == PT_NOTE && !m->build_id) {
            m->build_id = build_id_in_note((const unsigned char *)(info->dlpi_addr + ph->p_vaddr),
                                           ph->p_memsz);
        }
    }
    if (!m->build_id)
        m->build_id = strdup("");
    return m->build_id ? 0 : -1;
}

static int add_module(struct dl_phdr_info *info, size_t size, void *data)
{
    struct tl_modmap *map = data;
    (void)size;
    if (map->n == INT_MAX || TL_VEC_PUSH_SLOT(map->mods, map->cap, map->n) != 0) {
        map->failed = true;
        return 1; /* stops the iteration */
    }
    struct module *m = &map->mods[map->n++];
    memset(m, 0, sizeof *m);
    if (fill_module(m, info) < 0) {
        map->failed = true;
        return 1;
    }
    return 0;
}

struct tl_modmap *tl_modmap_take(void)
{
    struct tl_modmap *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    dl_iterate_phdr(add_module, map);
    if (map->failed) {
        tl_modmap_free(map);
        errno = ENOMEM;
        return NULL;
    }
    return map;
}

void tl_modmap_free(struct tl_modmap *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n; i++) {
        free(m->mods[i].path);
        free(m->mods[i].build_id);
        free(m->mods[i].segs);
        free(m->mods[i].syms);
        free(m->mods[i].names);
    }
    free(m->mods);
    free(m);
}

int tl_modmap_count(const struct tl_modmap *m)
{
    return m ? m->n : 0;
}
const char *tl_modmap_path(const struct tl_modmap *m, int i)
{
    return m->mods[i].path;
}
const char *tl_modmap_build_id(const struct tl_modmap *m, int i)
{
    return m->mods[i].build_id;
}
uintptr_t tl_modmap_base(const struct tl_modmap *m, int i)
{
    return m->mods[i].base;
}

static const struct segment *segment_of(const struct module *m, uintptr_t ip, bool exec_only)
{
    for (int s = 0; s < m->nsegs; s++)
        if ((!exec_only || m->segs[s].exec) && ip >= m->segs[s].start && ip < m->segs[s].end)
            return &m->segs[s];
    return NULL;
}

int tl_modmap_find(const struct tl_modmap *m, uintptr_t ip, uintptr_t *offset)
{
    for (int pass = 0; m && pass < 2; pass++) {
        for (int i = 0; i < m->n; i++) {
            if (segment_of(&m->mods[i], ip, pass == 0)) {
                if (offset)
                    *offset = ip - m->mods[i].base;
                return i;
            }
        }
    }
    return -1;
}

/* ---- reading symbol tables ------------------------------------------------------------------ */

static int add_symbol(struct module *m, uintptr_t start, uintptr_t size, const char *name,
                      bool global, bool object)
{
    size_t len = strlen(name) + 1;
    if (TL_VEC_PUSH_SLOT(m->syms, m->capsyms, m->nsyms) != 0 ||
        TL_VEC_RESERVE(m->names, m->names_cap, m->names_len + len) != 0)
        return -1;
    memcpy(m->names + m->names_len, name, len);
    m->syms[m->nsyms++] = (struct symbol){start, size, (uint32_t)m->names_len, global, object};
    m->names_len += len;
    return 0;
}

static void read_symtab(struct module *m, Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
                        uintptr_t bias)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    size_t count = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;
    for (size_t i = 0; data && i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym))
            break;
        int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
        bool object = type == STT_OBJECT && sym.st_size > 0; /* variables: named objects */
        if ((type != STT_FUNC && type != STT_GNU_IFUNC && !object) || sym.st_shndx == SHN_UNDEF ||
            sym.st_value == 0)
            continue;
        const char *name = elf_strptr(elf, sh->sh_link, sym.st_name);
        if (!name || !*name)
            continue;
        if (add_symbol(m, bias + sym.st_value, sym.st_size, name, bind != STB_LOCAL, object) < 0)
            return;
    }
}

/* Reads .symtab and .dynsym of the ELF file at path into m. */
static void read_file_symbols(struct module *m, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr eh;
    if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh)) {
        /* ET_EXEC symbols are absolute; dlpi_addr is 0 for them, so base works for both. */
        for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
            GElf_Shdr sh;
            if (gelf_getshdr(scn, &sh) && (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
                read_symtab(m, elf, scn, &sh, m->base);
        }
    }
    if (elf)
        elf_end(elf);
    close(fd);
}

static int by_start(const void *a, const void *b)
{
    const struct symbol *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    /* at one address: sized before unsized, global before local */
    if ((x->size != 0) != (y->size != 0))
        return x->size ? -1 : 1;
    return (int)y->global - (int)x->global;
}

static void load_symbols(struct module *m)
{
    char debug[PATH_MAX];
    m->syms_loaded = true;
    if (elf_version(EV_CURRENT) == EV_NONE || !m->path[0])
        return;
    read_file_symbols(m, m->path);
    if (strlen(m->build_id) > 2 &&
        snprintf(debug, sizeof debug, "/usr/lib/debug/.build-id/%.2s/%s.debug", m->build_id,
                 m->build_id + 2) < (int)sizeof debug)
        read_file_symbols(m, debug);
    if (m->nsyms)
        qsort(m->syms, m->nsyms, sizeof *m->syms, by_start);
}

/* Index of the last symbol starting at or below ip, or -1. */
static ssize_t last_at_or_below(const struct module *m, uintptr_t ip)
{
    ssize_t lo = 0, hi = (ssize_t)m->nsyms - 1, best = -1;
    while (lo <= hi) {
        ssize_t mid = lo + (hi - lo) / 2;
        if (m->syms[mid].start <= ip) {
            best = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return best;
}

/* The function (object: the variable) containing ip, or NULL. */
static const struct symbol *lookup(const struct module *m, uintptr_t ip, bool object)
{
    ssize_t i = last_at_or_below(m, ip);
    if (i < 0)
        return NULL;
    /* Several symbols may start at or below ip; walk back over the first with the same start
     * (the sorted order puts the preferred alias first) and a few earlier ones for nesting. */
    while (i > 0 && m->syms[i - 1].start == m->syms[i].start)
        i--;
    for (ssize_t k = i; k >= 0 && k > i - 8; k--) {
        const struct symbol *s = &m->syms[k];
        if (s->object == object && s->size && ip < s->start + s->size)
            return s;
    }
    const struct symbol *s = &m->syms[i];
    if (!object && !s->object && s->size == 0 &&
        segment_of(m, ip, false) == segment_of(m, s->start, false))
        return s;
    return NULL;
}

static const char *symbolize(struct tl_modmap *m, uintptr_t ip, uintptr_t *sym_offset, bool object)
{
    int i = tl_modmap_find(m, ip, NULL);
    if (i < 0)
        return NULL;
    struct module *mod = &m->mods[i];
    if (!mod->syms_loaded)
        load_symbols(mod);
    const struct symbol *s = lookup(mod, ip, object);
    if (!s)
        return NULL;
    if (sym_offset)
        *sym_offset = ip - s->start;
    return mod->names + s->name;
}

const char *tl_symbolize_off(struct tl_modmap *m, uintptr_t ip, uintptr_t *sym_offset)
{
    return symbolize(m, ip, sym_offset, false);
}

const char *tl_symbolize_data(struct tl_modmap *m, uintptr_t addr, uintptr_t *sym_offset)
{
    return symbolize(m, addr, sym_offset, true);
}

const char *tl_symbolize(struct tl_modmap *m, uintptr_t ip)
{
    return tl_symbolize_off(m, ip, NULL);
}
