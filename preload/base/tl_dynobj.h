/* tl_dynobj: a loaded object's dynamic section, read from memory (no file, no fd, no allocation).
 *
 * Two parts of the detector need to look inside an object the dynamic linker already mapped
 * without asking the dynamic linker: the runtime self-test (tl_bypass.c reads symbols and
 * relocations) and tl_real's fallback for a re-entered first resolution (a dlsym there could
 * recurse through an allocator preload). Both read the PT_DYNAMIC entries of a dl_iterate_phdr
 * record and look names up through DT_GNU_HASH (or DT_HASH). Everything here is pure and
 * async-signal-safe except tl_dynobj_find (dl_iterate_phdr) and tl_dynobj_lookup_any, the one
 * lookup that does go through the dynamic linker, object by object (the gor wrappers and hooks
 * use it to reach a runtime loaded RTLD_LOCAL).
 */
#ifndef TL_DYNOBJ_H
#define TL_DYNOBJ_H

#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tl_dynobj {
    uintptr_t base;                  /* load bias (dlpi_addr) */
    const Elf64_Sym *symtab;         /* DT_SYMTAB */
    const char *strtab;              /* DT_STRTAB */
    const uint32_t *gnu_hash;        /* DT_GNU_HASH, or NULL */
    const uint32_t *sysv_hash;       /* DT_HASH, or NULL */
    const Elf64_Half *versym;        /* DT_VERSYM, or NULL (no symbol versions) */
    const Elf64_Rela *rela, *jmprel; /* DT_RELA, DT_JMPREL */
    size_t relasz, jmprelsz;         /* entries in each */
    bool symbolic;                   /* DT_SYMBOLIC or DF_SYMBOLIC */
};

/* Reads the dynamic section of the object `info` describes. Returns 0, or -1 with errno ENOEXEC
 * when it has no dynamic symbol table or hash table. */
int tl_dynobj_read(const struct dl_phdr_info *info, struct tl_dynobj *o);

/* The object's own definition of a function named `name` in its default version (a hidden,
 * non-default version such as pthread_cond_wait@GLIBC_2.2.5 is skipped), or NULL. */
const Elf64_Sym *tl_dynobj_function(const struct tl_dynobj *o, const char *name);

/* Finds the first loaded object whose file name (after the last '/') starts with `prefix`
 * ("libc.so.") and returns the run-time address of its default definition of function `name`,
 * or NULL. No allocation and no call into the dynamic linker's symbol lookup. */
void *tl_dynobj_find(const char *prefix, const char *name);

/* Asks each loaded object in turn (the main program first) for `name` through its own handle
 * (dlopen RTLD_NOLOAD + dlsym), which also reaches a library loaded RTLD_LOCAL behind a plugin,
 * invisible to RTLD_DEFAULT and RTLD_NEXT. Returns the first answer other than `not` (NULL to
 * accept any) and, when `handle` is not NULL, keeps that object's handle open in *handle so it
 * cannot be unloaded (the caller owns the reference); otherwise the handle is closed. NULL when
 * no object answers. Not AS-safe (dlopen, dlsym). */
void *tl_dynobj_lookup_any(const char *name, const void * not, void **handle);

#endif /* TL_DYNOBJ_H */
