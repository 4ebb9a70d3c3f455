/*
 * The report tool's in-memory model of taskleak/1 reports (docs/json-schema.md).
 *
 * One struct tlr_proc per report file, built by the loader and afterwards read-only except for
 * the symbolizer, which fills the frames' debug locations. Everything is single-threaded: the
 * tool never shares these structures between threads, so no field needs a lock. Strings are
 * owned by the struct that points to them and freed by tlr_proc_free().
 */
#ifndef TLR_MODEL_H
#define TLR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tlr_hash.h"

struct tlr_loc {    /* one source location found by the symbolizer */
    char *function; /* DWARF name, may be NULL */
    char *file;     /* may be NULL */
    int line;       /* 0 when unknown */
};

struct tlr_frame {
    uint64_t ip;     /* as recorded in the process */
    bool has_ip;     /* false in a call frame (ip null) */
    int module;      /* index into proc->modules, -1 when the report gave none */
    uint64_t offset; /* ip relative to the module's load base */
    char *function;  /* from the report (the module's symbol tables); may be NULL */
    /* Filled by the symbolizer: locs[0] is the innermost (inlined) location, locs[nlocs-1] the
     * real function the frame belongs to. nlocs == 0 when no debug information matched. */
    struct tlr_loc *locs;
    size_t nlocs, locs_cap; /* locs_cap: allocated (tl_vec) */
};

struct tlr_stack {
    long long id; /* as in the report */
    struct tlr_frame *frames;
    size_t nframes;
    UT_hash_handle hh; /* proc->stack_index, keyed by id */
};

enum tlr_mod_state {
    TLR_MOD_UNTRIED,
    TLR_MOD_OK,
    TLR_MOD_MISSING,
    TLR_MOD_MISMATCH,
    TLR_MOD_NODEBUG,
    TLR_MOD_NOTFILE /* the path is a FIFO, device, socket or directory here: never opened */
};

struct tlr_module {
    long long id;
    char *path;
    char *build_id; /* lower-case hex, NULL when the report had none */
    uint64_t base;
    enum tlr_mod_state state; /* written by the symbolizer */
};

struct tlr_wait {
    char *reason, *call, *object, *owner; /* NULL when absent */
    char *object_name; /* "cache_lock", "stats+16", "heap", "stack of thread:3"; NULL unknown */
    long long since_ms;
    bool durable;
};

struct tlr_unit {
    char *id; /* "thread:3", "task:12", "thread:?4711" */
    char *kind, *name, *start, *state, *verdict, *created_by, *label;
    char *proof; /* "unreachable" when the leak is proven by reachability, else NULL */
    long long tid, task; /* -1 when null */
    long long exited_ms; /* an exited thread's record: ms since it finished; -1 when absent */
    bool detached, unknown_origin;
    char *suppressed; /* the detector's suppression pattern that removed its verdict, or NULL */
    bool has_wait;
    struct tlr_wait wait;
    long long created_stack, blocked_stack; /* -1 when null */
    UT_hash_handle hh;                      /* proc->units, keyed by id */
};

struct tlr_group {
    char *verdict, *kind, *reason; /* verdict NULL: not judged (a dump); reason NULL: not waiting */
    struct tlr_stack *created, *blocked; /* NULL when the report had null */
    long long count;
    long long proven; /* members proven leaked by reachability (0 in older reports) */
    char **units; /* unit ids as listed (may be fewer than count) */
    size_t nunits;
    long long wait_min, wait_max; /* -1 when absent */
    char *hint;                   /* the suppression line the detector suggests, or NULL */
    /* verdict "growing": its growth object (a creation site's live units rising) */
    char *growth_site; /* NULL when the group has none */
    long long growth_count, growth_before, growth_window_ms;
    double growth_rate; /* rate_per_s as the detector wrote it */
};

struct tlr_deadlock {
    char **units, **objects;
    size_t nunits, nobjects;
};

struct tlr_summary {
    long long threads_created, tasks_created, alive, leaked, deadlocked, blocked;
    long long unjoined; /* 0 in reports written before the verdict existed */
    long long inversions; /* unsuppressed lock-order inversions (0 in reports from before) */
    long long proven;     /* units proven leaked by reachability (0 in reports from before) */
    long long suppressed; /* units whose verdict a suppression removed */
};

struct tlr_inv_edge {
    char *unit, *held, *acquired;         /* NULL when absent */
    long long held_stack, acquired_stack; /* -1 when null */
};

struct tlr_inversion { /* one lock-order inversion (a cycle); rendered by inversion.h */
    char **objects;
    size_t nobjects;
    struct tlr_inv_edge *edges;
    size_t nedges;
    char *suppressed; /* the detector's matching pattern, or the tool's (set by tlr_inv_mark) */
};

struct tlr_proc {
    char *file; /* the path it was read from */
    char *kind;   /* exit, check-N, watchdog, dump-N */
    char *signal; /* a signal report's signal ("SIGTERM"), else NULL */
    long long pid, ppid;
    char *exe;
    char **argv;
    size_t nargv;
    char *started, *written;
    struct tlr_summary summary;
    struct tlr_module *modules;
    size_t nmodules;
    struct tlr_stack *stacks; /* array; stack_index hashes into it */
    size_t nstacks;
    struct tlr_stack *stack_index;
    struct tlr_unit *units; /* uthash head; only the units the caller asked for */
    size_t units_total;     /* how many units the file listed */
    struct tlr_group *groups;
    size_t ngroups;
    struct tlr_deadlock *deadlocks;
    size_t ndeadlocks;
    json_t *suppressions; /* array as written by the detector, or NULL */
    json_t *options;      /* object as written, or NULL (re-emitted as it stands) */
    json_t *attach;       /* an attach report's "attach" object, or NULL */
    char **fail_on;       /* options.fail_on: the verdicts the detector failed on; NULL = absent */
    size_t nfail_on;
    struct tlr_inversion *inversions; /* lock-order inversions (inversion.h) */
    size_t ninversions;
};

/* Reads the "inversions" array of a report (absent: none) into p. 0, or -1 (out of memory).
 * tlr_inv_free releases them (tlr_proc_free calls it). load_inversions.c. */
int tlr_inv_read(struct tlr_proc *p, json_t *inversions);
void tlr_inv_free(struct tlr_proc *p);

/* Frees everything the proc owns (not the struct itself). Safe on a zeroed or half-built proc. */
void tlr_proc_free(struct tlr_proc *p);
/* Frees one unit that is in no hash. */
void tlr_unit_free(struct tlr_unit *u);
/* The stack with this id, or NULL. */
struct tlr_stack *tlr_proc_stack(const struct tlr_proc *p, long long id);
/* The unit with this id if it was loaded, or NULL. */
struct tlr_unit *tlr_proc_unit(const struct tlr_proc *p, const char *id);
/* Whether u (NULL allowed) is a process's main thread, "thread:1": nothing created it. */
bool tlr_unit_is_main(const struct tlr_unit *u);
/* A frame's name for display and identity: the report's function, else "module+0xoff". Writes
 * into buf when it must compose; returns buf or the frame's own string. */
const char *tlr_frame_name(const struct tlr_proc *p, const struct tlr_frame *f, char *buf,
                           size_t len);

#endif
