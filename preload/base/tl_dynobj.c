/* tl_dynobj: a loaded object's dynamic section, read from memory (contracts in tl_dynobj.h).
 *
 * DESIGN. dl_iterate_phdr hands out each object's load bias and program headers; PT_DYNAMIC then
 * leads to the symbol, string, hash, version and relocation tables, all mapped already. glibc
 * relocates some d_ptr values in place to run-time addresses and leaves others as link-time
 * offsets; an offset is always below the load bias of a shared object, which tells them apart.
 * A name is looked up through its hash chain exactly as the dynamic linker does, but only the
 * object's own definitions count, and among several versions of one name the default one (the
 * versym entry without the hidden bit) is the answer, as for an unversioned dlsym.
 */
#include "tl_dynobj.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

static uintptr_t dyn_ptr(const struct tl_dynobj *o, Elf64_Addr p)
{
    return p < o->base ? o->base + p : p;
}

static void read_entry(struct tl_dynobj *o, const Elf64_Dyn *d)
{
    switch (d->d_tag) {
    case DT_SYMBOLIC:
        o->symbolic = true;
        break;
    case DT_FLAGS:
        o->symbolic |= (d->d_un.d_val & DF_SYMBOLIC) != 0;
        break;
    case DT_SYMTAB:
        o->symtab = (const Elf64_Sym *)dyn_ptr(o, d->d_un.d_ptr);
        break;
    case DT_STRTAB:
        o->strtab = (const char *)dyn_ptr(o, d->d_un.d_ptr);
        break;
    case DT_GNU_HASH:
        o->gnu_hash = (const uint32_t *)dyn_ptr(o, d->d_un.d_ptr);
        break;
    case DT_HASH:
        o->sysv_hash = (const uint32_t *)dyn_ptr(o, d->d_un.d_ptr);
        break;
    case DT_VERSYM:
        o->versym = (const Elf64_Half *)dyn_ptr(o, d->d_un.d_ptr);
        break;
    case DT_RELA:
        o->rela = (const Elf64_Rela *)dyn_ptr(o, d->d_un.d_ptr);
        break;
    case DT_RELASZ:
        o->relasz = d->d_un.d_val / sizeof(Elf64_Rela);
        break;
    case DT_JMPREL:
        o->jmprel = (const Elf64_Rela *)dyn_ptr(o, d->d_un.d_ptr);
        break;
    case DT_PLTRELSZ:
        o->jmprelsz = d->d_un.d_val / sizeof(Elf64_Rela);
        break;
    default:
        break;
    }
}

int tl_dynobj_read(const struct dl_phdr_info *info, struct tl_dynobj *o)
{
    memset(o, 0, sizeof *o);
    o->base = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
            continue;
        const Elf64_Dyn *d = (const Elf64_Dyn *)(o->base + info->dlpi_phdr[i].p_vaddr);
        for (; d->d_tag != DT_NULL; d++)
            read_entry(o, d);
    }
    if (o->symtab == NULL || o->strtab == NULL || (o->gnu_hash == NULL && o->sysv_hash == NULL)) {
        errno = ENOEXEC;
        return -1;
    }
    return 0;
}

static uint32_t gnu_hash_of(const char *s)
{
    uint32_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

static uint32_t sysv_hash_of(const char *s)
{
    uint32_t h = 0;
    for (; *s; s++) {
        h = (h << 4) + (unsigned char)*s;
        h ^= (h >> 24) & 0xf0;
    }
    return h & 0x0fffffff;
}

/* Symbol i answers a lookup of `name`: the name, a function the object defines, its default
 * version. */
static bool answers(const struct tl_dynobj *o, uint32_t i, const char *name)
{
    const Elf64_Sym *s = &o->symtab[i];
    return strcmp(o->strtab + s->st_name, name) == 0 && s->st_shndx != SHN_UNDEF &&
           ELF64_ST_TYPE(s->st_info) == STT_FUNC &&
           (o->versym == NULL || (o->versym[i] & 0x8000) == 0);
}

static const Elf64_Sym *lookup_gnu(const struct tl_dynobj *o, const char *name)
{
    const uint32_t *h = o->gnu_hash;
    uint32_t nbuckets = h[0], symoffset = h[1], bloom_words = h[2];
    const uint32_t *buckets = (const uint32_t *)((const Elf64_Addr *)(h + 4) + bloom_words);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t want = gnu_hash_of(name);
    uint32_t i = nbuckets ? buckets[want % nbuckets] : 0;
    if (i < symoffset)
        return NULL;
    for (;; i++) {
        uint32_t hv = chain[i - symoffset];
        if ((hv | 1) == (want | 1) && answers(o, i, name))
            return &o->symtab[i];
        if (hv & 1)
            return NULL; /* end of this bucket's chain */
    }
}

static const Elf64_Sym *lookup_sysv(const struct tl_dynobj *o, const char *name)
{
    uint32_t nbucket = o->sysv_hash[0];
    const uint32_t *bucket = o->sysv_hash + 2, *chain = bucket + nbucket;
    if (nbucket == 0)
        return NULL;
    for (uint32_t i = bucket[sysv_hash_of(name) % nbucket]; i != STN_UNDEF; i = chain[i])
        if (answers(o, i, name))
            return &o->symtab[i];
    return NULL;
}

const Elf64_Sym *tl_dynobj_function(const struct tl_dynobj *o, const char *name)
{
    return o->gnu_hash != NULL ? lookup_gnu(o, name) : lookup_sysv(o, name);
}

struct find {
    const char *prefix, *name; /* in */
    void *found;               /* out */
};

static int find_in(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct find *f = arg;
    (void)size;
    const char *base = strrchr(info->dlpi_name, '/');
    base = base != NULL ? base + 1 : info->dlpi_name;
    if (strncmp(base, f->prefix, strlen(f->prefix)) != 0)
        return 0;
    struct tl_dynobj o;
    const Elf64_Sym *s = tl_dynobj_read(info, &o) == 0 ? tl_dynobj_function(&o, f->name) : NULL;
    f->found = s != NULL ? (void *)(o.base + s->st_value) : NULL;
    return 1;
}

void *tl_dynobj_find(const char *prefix, const char *name)
{
    struct find f = {prefix, name, NULL};
    dl_iterate_phdr(find_in, &f);
    return f.found;
}

struct lookup_any {
    const char *name;  /* in */
    const void * not ; /* in: never the answer (a wrapper of ours) */
    void *found;       /* out */
    void *handle;      /* out: the answering object's handle, still open */
};

static int lookup_any_in(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct lookup_any *l = arg;
    (void)size;
    void *h = dlopen(info->dlpi_name[0] ? info->dlpi_name : NULL, RTLD_LAZY | RTLD_NOLOAD);
    if (h == NULL)
        return 0;
    void *p = dlsym(h, l->name);
    if (p == NULL || p == l->not ) {
        dlclose(h);
        return 0;
    }
    l->found = p;
    l->handle = h;
    return 1;
}

void *tl_dynobj_lookup_any(const char *name, const void * not, void **handle)
{
    struct lookup_any l = {name, not, NULL, NULL};
    dl_iterate_phdr(lookup_any_in, &l);
    if (handle != NULL)
        *handle = l.handle;
    else if (l.handle != NULL)
        dlclose(l.handle);
    return l.found;
}
