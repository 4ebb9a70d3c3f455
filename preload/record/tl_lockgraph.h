/* tl_lockgraph: the lock-order graph and its cycle search, with no process around it.
 *
 * A node is a lock (its address); an edge "from -> to" says some unit acquired `to` while holding
 * `from`. Edges are keyed by (from, to, mode): mode says whether each end was a read acquisition
 * of an rwlock, because two readers never wait for each other. A cycle whose every lock can really
 * make its acquirer wait is a potential deadlock: an inversion.
 *
 * The recorder (tl_lockorder) owns one graph and serialises every call on it with its own lock:
 * nothing here is thread-safe. Nothing here calls malloc either: the lock wrappers that feed the
 * graph may run inside an allocator's own critical section (jemalloc takes pthread mutexes), so
 * storage comes from mmap and grows with mremap. Out of memory: an add returns 0 and the graph
 * stays as it was.
 *
 * Memory is bounded by the live edges: tl_lg_forget (a lock destroyed or initialised again)
 * removes every edge of a lock and, with its last edge, the node itself.
 */
#ifndef TL_LOCKGRAPH_H
#define TL_LOCKGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_LG_FRAMES    32 /* frames kept per edge stack */
#define TL_LG_GATES     4  /* outer locks remembered per edge (the gate candidates) */
#define TL_LG_CYCLE_MAX 16 /* longest cycle reported (the search finds the shortest) */

/* Edge mode bits. */
enum { TL_LG_HELD_READ = 1, TL_LG_ACQ_READ = 2 };

/* Lock kinds, for names in reports. */
enum tl_lg_kind { TL_LG_MUTEX, TL_LG_RWLOCK, TL_LG_MTX, TL_LG_GOR_MUTEX };

struct tl_lg_stack {
    uint32_t n;                   /* frames used */
    uintptr_t ip[TL_LG_FRAMES];   /* innermost first */
};

struct tl_lg_edge {
    /* Written by the caller before tl_lg_add; constant afterwards except gate/ngate. */
    uintptr_t from, to;
    unsigned mode;                 /* TL_LG_* bits */
    unsigned char from_kind, to_kind; /* enum tl_lg_kind */
    uint64_t unit;                 /* thread seq of the unit that added it (first time seen) */
    int64_t task;                  /* gor task of that unit, 0 = none */
    struct tl_lg_stack held;       /* where `from` was taken */
    struct tl_lg_stack acquired;   /* where `to` was taken */
    uintptr_t gate[TL_LG_GATES];   /* locks held outside both every time it was seen */
    unsigned ngate;
    /* Graph-private. */
    uint32_t next_out, next_in; /* edge ids of the next edge from `from` / into `to`, 0 = end */
    bool live;
};

struct tl_lg_node;

struct tl_lg {
    struct tl_lg_edge *edge; /* ids are indexes; edge[0] unused */
    size_t nedge_cap, nedge_used, nedge_live;
    uint32_t free_edge; /* a free list through next_out */
    struct tl_lg_node *node; /* open-addressing table keyed by address */
    size_t nnode_cap, nnode_live, nnode_dead;
    uint32_t stamp;    /* search generation */
    uint32_t *queue;   /* search queue (node slot * 2 + read) */
    size_t queue_cap;
};

void tl_lg_init(struct tl_lg *g);
void tl_lg_fini(struct tl_lg *g); /* releases every mapping; g is empty again */

/* The id of edge (from, to, mode), 0 when absent. */
uint32_t tl_lg_find(const struct tl_lg *g, uintptr_t from, uintptr_t to, unsigned mode);

/* The edge with id (valid until the next add or forget). */
struct tl_lg_edge *tl_lg_edge(struct tl_lg *g, uint32_t id);

/* Adds a copy of *e (its from, to and mode must not be present yet); returns the new id, or 0 when
 * out of memory. */
uint32_t tl_lg_add(struct tl_lg *g, const struct tl_lg_edge *e);

/* Searches the shortest cycle through edge id, honouring modes (a lock entered by a read and left
 * by a read cannot make anyone wait, so no cycle passes there). Writes the cycle's edge ids to
 * out[0..] starting with id, in order (out[k]->to == out[k+1]->from) and returns their number; 0
 * when there is none, when the shortest is longer than max, or when one lock held outside every
 * edge of it (a gate) guards the whole cycle. */
size_t tl_lg_cycle(struct tl_lg *g, uint32_t id, uint32_t *out, size_t max);

/* Keeps in e's gate set only the locks also present in held[0..n); returns true when it shrank. */
bool tl_lg_narrow_gate(struct tl_lg_edge *e, const uintptr_t *held, size_t n);

/* Removes every edge from or to lock and the lock's node; returns the number of edges removed. */
size_t tl_lg_forget(struct tl_lg *g, uintptr_t lock);

/* Live edges and nodes, and the bytes of memory mapped for them. */
size_t tl_lg_edges(const struct tl_lg *g);
size_t tl_lg_nodes(const struct tl_lg *g);
size_t tl_lg_bytes(const struct tl_lg *g);

#endif /* TL_LOCKGRAPH_H */
