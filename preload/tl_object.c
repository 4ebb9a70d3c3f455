/* tl_object: names for the objects units wait on (see tl_object.h).
 *
 * DESIGN. Runs once per report, after the model is collected. Symbols answer first: the module
 * map already reads each module's symbol tables, variables included. What no symbol names is
 * placed by /proc/self/maps, read with plain open/read (no stdio: reports may be written on exit
 * paths that must not take stdio's locks) into one array of mappings. A thread's stack is the
 * mapping that holds its pthread_t: glibc places the thread descriptor at the top of the stack
 * block it allocates, so the handle the registry recorded at attach time finds the stack without
 * touching the thread. Reading the maps costs a few hundred microseconds, and only when some
 * unit waits on an object no symbol names.
 */
#include "tl_object.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tl_real.h"
#include "tl_reason.h"
#include "tl_symbols.h"

enum map_kind { MAP_OTHER, MAP_ANON, MAP_HEAP, MAP_MAIN_STACK };

struct mapping {
    uintptr_t lo, hi;
    enum map_kind kind;
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
    if (mp->n == mp->cap) {
        size_t cap = mp->cap ? mp->cap * 2 : 256;
        struct mapping *v = realloc(mp->v, cap * sizeof *v);
        if (v == NULL)
            return;
        mp->v = v;
        mp->cap = cap;
    }
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

static const struct mapping *mapping_of(const struct maps *mp, uintptr_t addr)
{
    for (size_t i = 0; i < mp->n; i++)
        if (addr >= mp->v[i].lo && addr < mp->v[i].hi)
            return &mp->v[i];
    return NULL;
}

/* The thread whose stack is the mapping m: the main thread for [stack], else the thread whose
 * descriptor (pthread_t) lies in m. NULL when none. */
static const struct tl_rep_unit *stack_owner(const struct tl_report *r, const struct mapping *m)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct tl_rep_unit *u = &r->units[i];
        if (u->kind != TL_KIND_THREAD)
            continue;
        if (m->kind == MAP_MAIN_STACK ? strcmp(u->id, "thread:1") == 0
                                      : u->handle >= m->lo && u->handle < m->hi)
            return u;
    }
    return NULL;
}

static void place_name(const struct tl_report *r, const struct maps *mp, uintptr_t addr, char *buf,
                       size_t n)
{
    const struct mapping *m = mapping_of(mp, addr);
    const struct tl_rep_unit *owner = m != NULL ? stack_owner(r, m) : NULL;
    buf[0] = '\0';
    if (owner != NULL)
        snprintf(buf, n, "stack of %s", owner->id);
    else if (m != NULL && m->kind == MAP_MAIN_STACK)
        snprintf(buf, n, "stack of the main thread");
    else if (m != NULL && (m->kind == MAP_HEAP || m->kind == MAP_ANON))
        snprintf(buf, n, "heap");
}

void tl_object_name_all(struct tl_report *r)
{
    struct maps mp = {0};
    bool maps_read = false;
    for (size_t i = 0; i < r->n; i++) {
        struct tl_rep_unit *u = &r->units[i];
        uintptr_t off = 0;
        u->object_name[0] = '\0';
        if (!u->has_wait || u->wait.object == 0 || tl_reason_object_word(u->wait.reason) == NULL)
            continue;
        const char *sym = r->modmap ? tl_symbolize_data(r->modmap, u->wait.object, &off) : NULL;
        if (sym != NULL) {
            snprintf(u->object_name, sizeof u->object_name, off ? "%s+%lu" : "%s", sym,
                     (unsigned long)off);
            continue;
        }
        if (!maps_read) {
            read_maps(&mp);
            maps_read = true;
        }
        place_name(r, &mp, u->wait.object, u->object_name, sizeof u->object_name);
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
        snprintf(place, sizeof place, "%s+0x%lx", base ? base + 1 : path, (unsigned long)off);
    } else {
        snprintf(place, sizeof place, "0x%lx", (unsigned long)addr);
    }
    if (u->object_name[0] != '\0')
        snprintf(buf, n, "%s (%s)", u->object_name, place);
    else
        snprintf(buf, n, "%s", place);
}
