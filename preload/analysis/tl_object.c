/* tl_object: names for the objects units wait on (see tl_object.h).
 *
 * DESIGN. Runs once per report, after the model is collected. Symbols answer first: the module
 * map already reads each module's symbol tables, variables included. What no symbol names is
 * placed by /proc/self/maps, read with plain open/read (no stdio: reports may be written on exit
 * paths that must not take stdio's locks) into one array of mappings. A thread's stack is the
 * mapping that holds its pthread_t: glibc places the thread descriptor at the top of the stack
 * block it allocates, so the handle the registry recorded at attach time finds the stack without
 * touching the thread. Reading the maps costs a few hundred microseconds, and only when some
 * unit waits on an object no symbol names; after that each name is a binary search (the kernel
 * lists mappings in address order) and one pass over the units marks every thread's stack, so
 * naming stays linear in the units for a process with hundreds of thousands of them.
 */
#include "tl_object.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_fmt.h"
#include "tl_input.h"
#include "tl_real.h"
#include "tl_reason.h"
#include "tl_symbols.h"
#include "tl_vec.h"

enum map_kind { MAP_OTHER, MAP_ANON, MAP_HEAP, MAP_MAIN_STACK };

struct mapping {
    uintptr_t lo, hi;
    enum map_kind kind;
    long owner; /* index in the report's units of the thread whose stack this is, -1 none */
};

struct maps {
    struct mapping *v;
    size_t n, cap;
};

/* One line "lo-hi perms offset dev inode [path]" into m; false when it is not one. */
static bool parse_line(const char *line, struct mapping *m)
{
    char *end;
    m->lo = (uintptr_t)strtoull(line, &end, 16);
    if (*end != '-')
        return false;
    m->hi = (uintptr_t)strtoull(end + 1, &end, 16);
    const char *p = end;
    for (int field = 0; field < 4 && p != NULL; field++) /* perms, offset, dev, inode */
        p = strchr(p + 1, ' ');
    while (p != NULL && *p == ' ')
        p++;
    m->owner = -1;
    if (p == NULL || *p == '\0' || *p == '\n')
        m->kind = MAP_ANON;
    else if (strncmp(p, "[stack]", 7) == 0)
        m->kind = MAP_MAIN_STACK;
    else if (strncmp(p, "[heap]", 6) == 0)
        m->kind = MAP_HEAP;
    else
        m->kind = MAP_OTHER;
    return true;
}

static void add_line(struct maps *mp, const char *line)
{
    struct mapping m;
    if (!parse_line(line, &m))
        return;
    if (TL_VEC_PUSH_SLOT(mp->v, mp->cap, mp->n) != 0)
        return;
    mp->v[mp->n++] = m;
}

/* Reads /proc/self/maps; an empty table when it cannot. Lines longer than the line buffer keep
 * their first part, which holds everything parsed. */
static void read_maps(struct maps *mp)
{
    char chunk[4096], line[512];
    size_t len = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    ssize_t got;
    while (fd >= 0 && tl_real.read != NULL && (got = tl_real.read(fd, chunk, sizeof chunk)) > 0) {
        for (ssize_t i = 0; i < got; i++) {
            if (chunk[i] != '\n') {
                if (len + 1 < sizeof line)
                    line[len++] = chunk[i];
                continue;
            }
            line[len] = '\0';
            add_line(mp, line);
            len = 0;
        }
    }
    if (fd >= 0)
        close(fd);
}

/* The mapping containing addr, by binary search: the kernel lists mappings in address order. */
static struct mapping *mapping_of(const struct maps *mp, uintptr_t addr)
{
    size_t lo = 0, hi = mp->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr < mp->v[mid].lo)
            hi = mid;
        else if (addr >= mp->v[mid].hi)
            lo = mid + 1;
        else
            return &mp->v[mid];
    }
    return NULL;
}

/* Marks each thread's stack mapping with its owner, in one pass over the units: the main thread
 * owns [stack], every other thread the mapping that holds its descriptor (pthread_t). */
static void find_stack_owners(const struct tl_report *r, struct maps *mp)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct tl_rep_unit *u = &r->units[i];
        if (u->kind != TL_KIND_THREAD)
            continue;
        struct mapping *m = NULL;
        if (strcmp(u->id, "thread:1") == 0)
            for (size_t k = 0; k < mp->n && m == NULL; k++)
                m = mp->v[k].kind == MAP_MAIN_STACK ? &mp->v[k] : NULL;
        else if (u->handle != 0)
            m = mapping_of(mp, u->handle);
        if (m != NULL && m->owner < 0)
            m->owner = (long)i;
    }
}

static void place_name(const struct tl_report *r, const struct maps *mp, uintptr_t addr, char *buf,
                       size_t n)
{
    const struct mapping *m = mapping_of(mp, addr);
    const struct tl_rep_unit *owner = m != NULL && m->owner >= 0 ? &r->units[m->owner] : NULL;
    buf[0] = '\0';
    if (owner != NULL)
        snprintf(buf, n, "stack of %s", owner->id);
    else if (m != NULL && m->kind == MAP_MAIN_STACK)
        snprintf(buf, n, "stack of the main thread");
    else if (m != NULL && (m->kind == MAP_HEAP || m->kind == MAP_ANON))
        snprintf(buf, n, "heap");
}

/* Names one object into buf; reads the maps the first time a name needs them. */
static void name_object(struct tl_report *r, struct maps *mp, bool *maps_read, uintptr_t addr,
                        char *buf, size_t n)
{
    uintptr_t off = 0;
    const char *sym = r->modmap ? tl_symbolize_data(r->modmap, addr, &off) : NULL;
    if (sym != NULL) {
        snprintf(buf, n, off ? "%s+%lu" : "%s", sym, (unsigned long)off);
        return;
    }
    /* a module's data no symbol names (a stripped .bss): its place says where it is; never
     * "heap", though the kernel lists the .bss past the file's last page as anonymous memory */
    if (r->modmap != NULL && tl_modmap_find(r->modmap, addr, NULL) >= 0)
        return;
    if (!*maps_read) {
        read_maps(mp);
        find_stack_owners(r, mp);
        *maps_read = true;
    }
    place_name(r, mp, addr, buf, n);
}

void tl_object_name(struct tl_report *r, uintptr_t addr, char *buf, size_t n)
{
    struct maps mp = {0};
    bool maps_read = false;
    buf[0] = '\0';
    name_object(r, &mp, &maps_read, addr, buf, n);
    free(mp.v);
}

void tl_object_name_all(struct tl_report *r)
{
    struct maps mp = {0};
    bool maps_read = false;
    const struct tl_rep_unit *prev = NULL; /* many units often wait on one object */
    for (size_t i = 0; i < r->n; i++) {
        struct tl_rep_unit *u = &r->units[i];
        u->object_name[0] = '\0';
        if (!u->has_wait || u->wait.object == 0 || tl_reason_object_word(u->wait.reason) == NULL)
            continue;
        if (prev != NULL && prev->wait.object == u->wait.object)
            memcpy(u->object_name, prev->object_name, sizeof u->object_name);
        else
            name_object(r, &mp, &maps_read, u->wait.object, u->object_name, sizeof u->object_name);
        prev = u;
    }
    free(mp.v);
}

void tl_object_describe(struct tl_report *r, const struct tl_rep_unit *u, char *buf, size_t n)
{
    uintptr_t off = 0, addr = u->wait.object;
    int m = r->modmap ? tl_modmap_find(r->modmap, addr, &off) : -1;
    char place[128];
    if (m >= 0) {
        const char *path = tl_modmap_path(r->modmap, m), *base = strrchr(path, '/');
        char shown[96]; /* a file name may hold a newline: the text stays one line */
        snprintf(place, sizeof place, "%s+0x%lx",
                 tl_input_escape(base ? base + 1 : path, shown, sizeof shown), (unsigned long)off);
    } else {
        snprintf(place, sizeof place, "0x%lx", (unsigned long)addr);
    }
    char name[128];
    tl_fmt_object(buf, n, tl_input_escape(u->object_name, name, sizeof name), place);
}
