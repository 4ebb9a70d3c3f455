/* tl_model: the report model's types (units, groups, deadlocks, the report) and the questions every
 * reader of a model asks (a frame's function, a unit's functions, the failing count). tl_group
 * builds a model; the analyses (tl_deadlock, tl_object, tl_inversion, tl_hint) fill parts of it;
 * the writers (tl_report, tl_text) render it. Report time only.
 */
#ifndef TL_MODEL_H
#define TL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tl_growth.h"
#include "tl_registry.h"
#include "tl_stack.h"

struct tl_modmap;
struct tl_options;
struct tl_supp;
struct tl_rep_inversion;

enum tl_build_mode {
    TL_BUILD_EXIT,     /* exit gate: live units are leaked */
    TL_BUILD_CHECK,    /* taskleak_check: the same, ignored units skipped */
    TL_BUILD_DUMP,     /* taskleak_dump: every unit, no verdicts */
    TL_BUILD_WATCHDOG, /* watchdog: "blocked" past the threshold, ignored units skipped */
    TL_BUILD_SIGNAL,   /* killed by a signal: a final word, exit-like verdicts, no grace */
    TL_BUILD_DEADLOCK, /* a proven deadlock, the process's last report: with all_asleep every
                          unit is "deadlocked", else as the watchdog plus the cycles */
};

/* Whether a report of this mode is a final word on the process (the exit gate, taskleak_check,
 * and the signal and deadlock reports that end it): only those call a finished, never joined
 * thread "unjoined", since until then the program may still join it. The others leave exited
 * records out. */
bool tl_build_final(enum tl_build_mode mode);

struct tl_rep_unit {
    char id[40]; /* "thread:3", "thread:?1234", "task:7" */
    enum tl_unit_kind kind;
    pid_t tid;              /* 0 when unknown */
    int64_t task;           /* task id, 0 for threads */
    char name[32];          /* "" = none */
    uintptr_t start;        /* start routine, 0 = unknown */
    const char *state;      /* "running", "runnable", "blocked", "exited" (static) */
    const char *verdict;    /* "leaked", "unjoined", "deadlocked", "blocked" or NULL (static) */
    int64_t exited_ms;      /* exited threads: ms since the thread finished, -1 otherwise */
    const char *suppressed; /* the matching suppression pattern, NULL when none */
    bool detached, unknown, grouped;
    bool has_wait;
    struct tl_wait wait;       /* reason/call static strings */
    int64_t wait_ms;           /* since when, in ms (valid with has_wait) */
    pid_t owner_tid;           /* mutex waits: the owner read from the mutex, 0 = unknown */
    uintptr_t handle;          /* threads: the pthread_t a join names, 0 = unknown */
    char owner[40];            /* that owner's unit id, "" = unknown */
    char object_name[64];      /* the wait object by name (tl_object), "" = unknown */
    char created_by[40];       /* "" = unknown */
    tl_stack_id created_stack; /* one reference owned by the model */
    tl_stack_id blocked_stack; /* one reference owned by the model */
    char label[64];
    const char *proof; /* "unreachable" when proven by reachability (tl_proof), else NULL */
};

struct tl_rep_group {
    const char *verdict;
    const char *proof; /* every member's proof (units with and without one never share a group) */
    enum tl_unit_kind kind;
    const char *reason; /* NULL when not blocked */
    tl_stack_id created_stack, blocked_stack;
    size_t *members; /* indices into units */
    size_t count;
    int64_t wait_min, wait_max;
    struct tl_rep_growth *growth; /* verdict "growing" only (malloc'd with the group), else NULL */
    size_t members_cap;           /* members allocated (tl_vec), 0 when not known */
};

struct tl_deadlock {
    size_t *members; /* indices into units, in cycle order */
    size_t count;
};

struct tl_report {
    enum tl_build_mode mode;
    /* The options it was built under (threshold, stack_depth, proof) and is written with (report
     * directories, the JSON echo): the build's parameter, never NULL in a built model. */
    const struct tl_options *opts;
    /* The suppressions it was matched against and lists (JSON "suppressions"); the build's
     * parameter, NULL for none. Shared: only its atomic match counters move. */
    struct tl_supp *supp;
    const char *kind;   /* "exit", "check", "dump", "watchdog", "signal", "deadlock" */
    char file_kind[32]; /* "exit", "check-2", ... (the file name part) */
    struct tl_rep_unit *units;
    size_t n, cap;
    struct tl_rep_group *groups;
    size_t ngroups, groups_cap; /* groups_cap: allocated (tl_vec), 0 when not known */
    struct tl_deadlock *deadlocks;
    size_t ndeadlocks, deadlocks_cap;
    struct tl_modmap *modmap;
    uint64_t threads_created, tasks_created;
    size_t alive, leaked, deadlocked, blocked, suppressed;
    size_t unjoined;    /* threads finished, never joined nor detached (final modes only) */
    size_t growing;     /* "growing" groups (creation sites, tl_growth.h) */
    size_t proven;      /* units with a verdict whose leak is proven (proof "unreachable") */
    struct tl_rep_inversion *inversions; /* lock-order inversions (tl_inversion.h) */
    size_t ninversions, inverted;        /* all of them; the unsuppressed ones */
    int64_t written_ms; /* CLOCK_REALTIME */
    int signal;         /* TL_BUILD_SIGNAL: the signal that ends the process, else 0 */
    bool all_asleep;    /* TL_BUILD_DEADLOCK: the whole process is asleep */
};

/* The function name of ip (return address when `ret`), NULL when unknown; a call frame's call. */
const char *tl_report_function(struct tl_report *r, uintptr_t ip, bool ret);

/* Function names of u's start routine, creation and blocked stacks (NULL where unnamed) into
 * out[0..max), as suppressions match them; returns the count. */
size_t tl_report_unit_functions(struct tl_report *r, const struct tl_rep_unit *u, const char **out,
                                size_t max);

/* Number of units whose verdict is in the fail_on mask. */
size_t tl_report_failing(const struct tl_report *r, unsigned fail_on);

#endif /* TL_MODEL_H */
