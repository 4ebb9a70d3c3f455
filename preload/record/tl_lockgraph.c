/* tl_lockgraph: the lock-order graph (see tl_lockgraph.h).
 *
 * DESIGN. Edges live in one array indexed by id and are threaded on two singly linked lists, the
 * out-list of their `from` node and the in-list of their `to` node, so that a lookup walks one
 * out-list (a lock is rarely taken before more than a handful of others) and forgetting a lock
 * unlinks exactly its own edges. Nodes sit in an open-addressing table keyed by address, with
 * tombstones; a node disappears with its last edge. The cycle search is a breadth-first search
 * from the new edge's `to` back to its `from` over states (node, entered by a read): a state
 * entered by a read may not leave by an edge whose held end is a read, which is exactly "two
 * readers do not wait for each other". Breadth first gives the shortest cycle, the one a developer
 * reads most easily. Every array is an anonymous mapping grown with mremap: no malloc (see the
 * header for why).
 */
#include "tl_lockgraph.h"

#include <string.h>
#include <sys/mman.h>

#include "tl_vec.h"

#define EMPTY 0
#define TOMB  1

struct tl_lg_node {
    uintptr_t addr;   /* EMPTY, TOMB, or the lock */
    uint32_t out, in; /* first edge ids */
    uint32_t stamp[2]; /* search generation that reached (node, read) */
    uint32_t via[2];   /* edge id << 1 | read-state of its from node; 0 = search root */
};

/* Grows (or creates, p == NULL) a mapping from old to new bytes; NULL when out of memory (p is
 * then untouched). For the node table and the search queue, which a rehash sizes to the live
 * nodes (smaller as well as larger); the edge array only grows, through tl_vec. */
static void *remap(void *p, size_t old, size_t new)
{
    void *q = p == NULL ? mmap(NULL, new, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                        : mremap(p, old, new, MREMAP_MAYMOVE);
    return q == MAP_FAILED ? NULL : q;
}

void tl_lg_init(struct tl_lg *g)
{
    memset(g, 0, sizeof *g);
}

void tl_lg_fini(struct tl_lg *g)
{
    if (g->edge != NULL)
        munmap(g->edge, g->nedge_cap * sizeof *g->edge);
    if (g->node != NULL)
        munmap(g->node, g->nnode_cap * sizeof *g->node);
    if (g->queue != NULL)
        munmap(g->queue, g->queue_cap * sizeof *g->queue);
    tl_lg_init(g);
}

static size_t hash(uintptr_t a, size_t cap)
{
    return (size_t)(((uint64_t)a >> 3) * 0x9e3779b97f4a7c15ULL >> 20) & (cap - 1);
}

/* The slot of lock a, or (size_t)-1 when absent. */
static size_t node_find(const struct tl_lg *g, uintptr_t a)
{
    if (g->nnode_cap == 0)
        return (size_t)-1;
    for (size_t i = hash(a, g->nnode_cap);; i = (i + 1) & (g->nnode_cap - 1)) {
        if (g->node[i].addr == a)
            return i;
        if (g->node[i].addr == EMPTY)
            return (size_t)-1;
    }
}

static size_t node_place(struct tl_lg_node *tab, size_t cap, uintptr_t a)
{
    size_t i = hash(a, cap);
    while (tab[i].addr > TOMB)
        i = (i + 1) & (cap - 1);
    return i;
}

/* Rebuilds the table at twice the live size (at least 64 slots), dropping tombstones. */
static int node_rehash(struct tl_lg *g)
{
    size_t cap = 64;
    while (cap < 4 * (g->nnode_live + 1))
        cap *= 2;
    struct tl_lg_node *tab = remap(NULL, 0, cap * sizeof *tab);
    uint32_t *queue = remap(g->queue, g->queue_cap * sizeof *queue, 2 * cap * sizeof *queue);
    if (tab == NULL || queue == NULL) {
        if (tab != NULL)
            munmap(tab, cap * sizeof *tab);
        if (queue != NULL)
            g->queue = queue, g->queue_cap = 2 * cap;
        return -1;
    }
    g->queue = queue;
    g->queue_cap = 2 * cap;
    for (size_t i = 0; i < g->nnode_cap; i++)
        if (g->node[i].addr > TOMB)
            tab[node_place(tab, cap, g->node[i].addr)] = g->node[i];
    if (g->node != NULL)
        munmap(g->node, g->nnode_cap * sizeof *g->node);
    g->node = tab;
    g->nnode_cap = cap;
    g->nnode_dead = 0;
    return 0;
}

/* The slot of lock a, created when absent; (size_t)-1 when out of memory. */
static size_t node_get(struct tl_lg *g, uintptr_t a)
{
    size_t i = node_find(g, a);
    if (i != (size_t)-1)
        return i;
    if (2 * (g->nnode_live + g->nnode_dead + 1) > g->nnode_cap && node_rehash(g) < 0)
        return (size_t)-1;
    i = node_place(g->node, g->nnode_cap, a);
    if (g->node[i].addr == TOMB)
        g->nnode_dead--;
    memset(&g->node[i], 0, sizeof g->node[i]);
    g->node[i].addr = a;
    g->nnode_live++;
    return i;
}

static void node_drop_if_bare(struct tl_lg *g, size_t i)
{
    if (g->node[i].out != 0 || g->node[i].in != 0)
        return;
    g->node[i].addr = TOMB;
    g->nnode_live--;
    g->nnode_dead++;
}

uint32_t tl_lg_find(const struct tl_lg *g, uintptr_t from, uintptr_t to, unsigned mode)
{
    size_t i = node_find(g, from);
    if (i == (size_t)-1)
        return 0;
    for (uint32_t id = g->node[i].out; id != 0; id = g->edge[id].next_out)
        if (g->edge[id].to == to && g->edge[id].mode == mode)
            return id;
    return 0;
}

struct tl_lg_edge *tl_lg_edge(struct tl_lg *g, uint32_t id)
{
    return &g->edge[id];
}

static uint32_t edge_alloc(struct tl_lg *g)
{
    if (g->free_edge != 0) {
        uint32_t id = g->free_edge;
        g->free_edge = g->edge[id].next_out;
        return id;
    }
    if (g->nedge_used == 0)
        g->nedge_used = 1; /* id 0 means "none" */
    if (g->nedge_used >= UINT32_MAX ||
        TL_VEC_PUSH_SLOT_MAPPED(g->edge, g->nedge_cap, g->nedge_used) != 0)
        return 0;
    return (uint32_t)g->nedge_used++;
}

uint32_t tl_lg_add(struct tl_lg *g, const struct tl_lg_edge *e)
{
    size_t f = node_get(g, e->from);
    if (f == (size_t)-1)
        return 0;
    size_t t = node_get(g, e->to);
    f = node_find(g, e->from); /* creating `to` may have rebuilt the table */
    uint32_t id = t == (size_t)-1 ? 0 : edge_alloc(g);
    if (id == 0) {
        node_drop_if_bare(g, f);
        if (t != (size_t)-1)
            node_drop_if_bare(g, t);
        return 0;
    }
    struct tl_lg_edge *n = &g->edge[id];
    *n = *e;
    n->live = true;
    n->next_out = g->node[f].out;
    g->node[f].out = id;
    n->next_in = g->node[t].in;
    g->node[t].in = id;
    g->nedge_live++;
    return id;
}

/* Whether one lock is in the gate set of every edge of cyc[0..n). */
static bool gated(struct tl_lg *g, const uint32_t *cyc, size_t n)
{
    const struct tl_lg_edge *first = &g->edge[cyc[0]];
    for (unsigned k = 0; k < first->ngate; k++) {
        bool all = true;
        for (size_t c = 1; c < n && all; c++) {
            const struct tl_lg_edge *e = &g->edge[cyc[c]];
            bool has = false;
            for (unsigned m = 0; m < e->ngate; m++)
                has |= e->gate[m] == first->gate[k];
            all = has;
        }
        if (all)
            return true;
    }
    return false;
}

static void next_stamp(struct tl_lg *g)
{
    if (++g->stamp == 0) { /* wrapped: old marks could look current */
        for (size_t i = 0; i < g->nnode_cap; i++)
            g->node[i].stamp[0] = g->node[i].stamp[1] = 0;
        g->stamp = 1;
    }
}

/* Writes the path that reached state (slot, r) back to the root, then id, reversed into out. */
static size_t unwind_path(struct tl_lg *g, uint32_t id, size_t slot, unsigned r, uint32_t *out,
                          size_t max)
{
    uint32_t rev[TL_LG_CYCLE_MAX];
    size_t n = 0;
    for (uint32_t v = g->node[slot].via[r]; v != 0; v = g->node[slot].via[r]) {
        if (n + 2 > max || n + 2 > TL_LG_CYCLE_MAX)
            return 0;
        uint32_t eid = v >> 1;
        rev[n++] = eid;
        r = v & 1;
        slot = node_find(g, g->edge[eid].from);
    }
    out[0] = id;
    for (size_t k = 0; k < n; k++)
        out[k + 1] = rev[n - 1 - k];
    return n + 1;
}

size_t tl_lg_cycle(struct tl_lg *g, uint32_t id, uint32_t *out, size_t max)
{
    const struct tl_lg_edge *e = &g->edge[id];
    size_t start = node_find(g, e->to);
    if (start == (size_t)-1 || e->from == e->to || max == 0)
        return 0;
    next_stamp(g);
    size_t head = 0, tail = 0;
    unsigned r0 = (e->mode & TL_LG_ACQ_READ) != 0;
    g->node[start].stamp[r0] = g->stamp;
    g->node[start].via[r0] = 0;
    g->queue[tail++] = (uint32_t)(start * 2 + r0);
    while (head < tail) {
        size_t s = g->queue[head] / 2;
        unsigned r = g->queue[head++] % 2;
        if (g->node[s].addr == e->from) {
            if (r && (e->mode & TL_LG_HELD_READ))
                continue; /* entered by a read, left (by the new edge) by a read */
            size_t n = unwind_path(g, id, s, r, out, max);
            if (n > 0 && !gated(g, out, n))
                return n;
            continue;
        }
        for (uint32_t f = g->node[s].out; f != 0; f = g->edge[f].next_out) {
            const struct tl_lg_edge *x = &g->edge[f];
            if (r && (x->mode & TL_LG_HELD_READ))
                continue;
            unsigned r2 = (x->mode & TL_LG_ACQ_READ) != 0;
            size_t t = node_find(g, x->to);
            if (g->node[t].stamp[r2] == g->stamp || tail >= g->queue_cap)
                continue;
            g->node[t].stamp[r2] = g->stamp;
            g->node[t].via[r2] = f << 1 | r;
            g->queue[tail++] = (uint32_t)(t * 2 + r2);
        }
    }
    return 0;
}

bool tl_lg_narrow_gate(struct tl_lg_edge *e, const uintptr_t *held, size_t n)
{
    unsigned kept = 0, before = e->ngate;
    for (unsigned k = 0; k < e->ngate; k++) {
        bool in = false;
        for (size_t i = 0; i < n && !in; i++)
            in = held[i] == e->gate[k];
        if (in)
            e->gate[kept++] = e->gate[k];
    }
    e->ngate = kept;
    return kept < before;
}

/* Unlinks edge id from the list starting at *head (linked through next_out or next_in). */
static void unlink_edge(struct tl_lg *g, uint32_t *head, uint32_t id, bool out)
{
    for (uint32_t *p = head; *p != 0;) {
        uint32_t *next = out ? &g->edge[*p].next_out : &g->edge[*p].next_in;
        if (*p == id) {
            *p = *next;
            return;
        }
        p = next;
    }
}

static void edge_free(struct tl_lg *g, uint32_t id)
{
    g->edge[id].live = false;
    g->edge[id].next_out = g->free_edge;
    g->free_edge = id;
    g->nedge_live--;
}

size_t tl_lg_forget(struct tl_lg *g, uintptr_t lock)
{
    size_t i = node_find(g, lock), removed = 0;
    if (i == (size_t)-1)
        return 0;
    while (g->node[i].out != 0) {
        uint32_t id = g->node[i].out;
        g->node[i].out = g->edge[id].next_out;
        size_t t = node_find(g, g->edge[id].to);
        if (t != i) {
            unlink_edge(g, &g->node[t].in, id, false);
            node_drop_if_bare(g, t);
        } else {
            unlink_edge(g, &g->node[i].in, id, false);
        }
        edge_free(g, id);
        removed++;
    }
    while (g->node[i].in != 0) {
        uint32_t id = g->node[i].in;
        g->node[i].in = g->edge[id].next_in;
        size_t f = node_find(g, g->edge[id].from);
        unlink_edge(g, &g->node[f].out, id, true);
        node_drop_if_bare(g, f);
        edge_free(g, id);
        removed++;
    }
    node_drop_if_bare(g, i);
    return removed;
}

size_t tl_lg_edges(const struct tl_lg *g)
{
    return g->nedge_live;
}

size_t tl_lg_nodes(const struct tl_lg *g)
{
    return g->nnode_live;
}

size_t tl_lg_bytes(const struct tl_lg *g)
{
    return g->nedge_cap * sizeof *g->edge + g->nnode_cap * sizeof *g->node +
           g->queue_cap * sizeof *g->queue;
}
