/*
 * State shared by the scheduler's two files: sched.c (queues, switching, parking, the worker
 * loop) and workers.c (starting, idling, slots and revocation). Nothing outside them uses it.
 */
#ifndef GOR_SCHED_IMPL_H
#define GOR_SCHED_IMPL_H

#include "gor_impl.h"

struct gor_sched {
    pthread_once_t once;
    int procs;                  /* GOR_PROCS; immutable after init */
    int max_workers;            /* procs + room for replacements; immutable */
    struct gor_worker *workers; /* max_workers entries; immutable pointer */
    _Atomic int nworkers;       /* started workers; grows under lock */
    struct gor_lock lock;       /* the sched lock */
    struct gor_task *gq_head;   /* global queue; under lock */
    struct gor_task *gq_tail;
    _Atomic size_t gq_len;     /* written under lock, read as a hint without */
    struct gor_worker *idle;   /* idle workers; under lock */
    _Atomic int nidle;         /* written under lock, read as a hint without */
    _Atomic int nspinning;     /* workers looking for work before they park */
    struct gor_worker *spares; /* revoked workers waiting for a slot; under lock */
    int nactive;               /* workers holding a slot (not revoked); under lock */
    bool poller;               /* an idle worker is in gor_poll_wait; under lock */
    _Atomic bool restart;      /* forked child: workers and monitor still to restart; set by
                                * the fork child handler, cleared under lock by the restart */
};

extern struct gor_sched gor_sched_state;

/* sched.c */
void gor_wake_idle_worker(void);           /* wakes one parked worker unless one is spinning */
void gor_runq_drain(struct gor_worker *w); /* w's runnext and ring to the global queue */
void *gor_worker_main(void *arg);          /* a worker thread's body */
/* workers.c */
void gor_go_idle(struct gor_worker *w);        /* parks an idle worker until woken */
void gor_reacquire_slot(struct gor_worker *w); /* a revoked worker's way back */
void gor_run_timers_if_due(void);
#endif
