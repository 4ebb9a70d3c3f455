/*
 * Function names for the fatal deadlock dump: which function a task started at.
 *
 * dladdr names only exported symbols, so a task started at a static function, or at any
 * function of an executable linked without -rdynamic (the usual case), would read "?". Go's
 * dumps always name functions; so does this one, from the module file's own symbol table
 * (.symtab, present unless the file was stripped): the file is mapped read-only, its section
 * headers give the symbol table and its string table, and the FUNC symbol covering the address
 * is the answer. Everything is bounds-checked against the file's size, so a truncated or odd file
 * reads "?" rather than faulting.
 *
 * Fatal path only: the dump runs once, on one thread, right before the process exits. The module
 * looked up last stays mapped between calls and the last answer is remembered, because thousands
 * of tasks usually share a handful of start functions (the final mapping is left to the exit).
 * A start function is an entry point: only a symbol starting exactly there names it, never the
 * nearest exported one below (which would name some other function).
 */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gor_impl.h"

/* The module mapped last; dump thread only. */
static struct {
    const void *base; /* its load address (dli_fbase), NULL when none is mapped */
    const unsigned char *map;
    size_t size;
    const Elf64_Sym *syms; /* .symtab, NULL when the file has none */
    size_t nsyms;
    const char *strs; /* its string table */
    size_t strs_size;
    bool relative; /* ET_DYN: symbol values are offsets from the load address */
} mod;

/* The last answer: many tasks share a start function. */
static struct {
    const void *addr;
    char name[128];
} last;

/* True when [off, off + len) lies inside the mapped file. */
static bool in_file(size_t off, size_t len)
{
    return off <= mod.size && len <= mod.size - off;
}

/* Finds .symtab and its string table in the mapped ELF file; false when absent or malformed. */
static bool find_symtab(void)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)mod.map;
    if (!in_file(0, sizeof *eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(eh->e_shoff, (size_t)eh->e_shnum * sizeof(Elf64_Shdr)))
        return false;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(mod.map + eh->e_shoff);
    mod.relative = eh->e_type == ET_DYN;
    for (size_t i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *st = &sh[sh[i].sh_link];
        if (!in_file(sh[i].sh_offset, sh[i].sh_size) || !in_file(st->sh_offset, st->sh_size))
            return false;
        mod.syms = (const Elf64_Sym *)(mod.map + sh[i].sh_offset);
        mod.nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
        mod.strs = (const char *)(mod.map + st->sh_offset);
        mod.strs_size = st->sh_size;
        return true;
    }
    return false;
}

/* The file of the module loaded at base: dladdr's path, or /proc/self/exe for the main program
 * (whose recorded path may be relative to a directory the program has left). */
static int open_module(const char *path, const void *base)
{
    Dl_info main_di;
    const void *phdr = (const void *)getauxval(AT_PHDR);
    if (phdr != NULL && dladdr(phdr, &main_di) != 0 && main_di.dli_fbase == base)
        path = "/proc/self/exe";
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* Maps the module at base (the one dladdr found at path) unless it is the one mapped already. */
static bool map_module(const char *path, const void *base)
{
    if (mod.base == base)
        return mod.syms != NULL;
    if (mod.map != NULL)
        munmap((void *)mod.map, mod.size);
    memset(&mod, 0, sizeof mod);
    mod.base = base;
    int fd = open_module(path, base);
    struct stat st;
    if (fd < 0)
        return false;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            mod.map = m;
            mod.size = (size_t)st.st_size;
        }
    }
    close(fd);
    return mod.map != NULL && find_symtab();
}

/* The FUNC symbol of the mapped module covering value, or NULL. */
static const char *lookup(uintptr_t value)
{
    for (size_t i = 0; i < mod.nsyms; i++) {
        const Elf64_Sym *s = &mod.syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
            s->st_name >= mod.strs_size)
            continue;
        if (value == s->st_value || (value > s->st_value && value - s->st_value < s->st_size))
            return memchr(mod.strs + s->st_name, '\0', mod.strs_size - s->st_name) != NULL
                       ? mod.strs + s->st_name
                       : NULL;
    }
    return NULL;
}

void gor_symname(const void *addr, char *name, size_t n, const char **module, uintptr_t *offset)
{
    Dl_info di = {0};
    *module = "?";
    *offset = 0;
    snprintf(name, n, "?");
    if (addr == NULL || dladdr(addr, &di) == 0)
        return;
    *module = di.dli_fname != NULL ? di.dli_fname : "?";
    *offset = (uintptr_t)addr - (uintptr_t)di.dli_fbase;
    if (di.dli_sname != NULL && di.dli_saddr == addr) {
        snprintf(name, n, "%s", di.dli_sname);
        return;
    }
    if (last.addr == addr) {
        snprintf(name, n, "%s", last.name);
        return;
    }
    const char *found = NULL;
    if (di.dli_fname != NULL && map_module(di.dli_fname, di.dli_fbase))
        found = lookup(mod.relative ? *offset : (uintptr_t)addr);
    snprintf(name, n, "%s", found != NULL ? found : "?");
    last.addr = addr;
    snprintf(last.name, sizeof last.name, "%s", name);
}
