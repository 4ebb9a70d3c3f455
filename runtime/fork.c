/*
 * fork() in a gor program (pthread_atfork handlers, installed when the scheduler starts).
 *
 * Before the fork, prepare takes every runtime-wide lock in the documented order (timer, context
 * tree, poll, sched, registry shards, stack pool), so no other thread is half-way through one of
 * those structures when the address space is copied. The parent then just releases them. In the
 * child only the forking thread exists: it may be a worker running a task (the usual case, since
 * gor_main's body is a task) or a plain thread. The child bumps gor_fork_epoch, so every task
 * spawned by the parent is stale there — gor_ready drops it, and it never runs in the child —
 * keeps only the forking task, gets its own epoll instance, empties the run queues and lets
 * workers and the monitor restart lazily (workers.c). Channel and mutex locks are not taken:
 * a channel locked by another thread at the instant of the fork stays locked in the child, as
 * with any pthread mutex (gor(3) BUGS).
 */
#include <pthread.h>

#include "gor_impl.h"

_Atomic uint32_t gor_fork_epoch;

static void fork_prepare(void)
{
    gor_timer_fork(GOR_FORK_PREPARE);
    gor_ctx_fork(GOR_FORK_PREPARE);
    gor_poll_fork(GOR_FORK_PREPARE);
    gor_sched_fork(GOR_FORK_PREPARE);
    gor_registry_fork(GOR_FORK_PREPARE, NULL);
    gor_stack_fork(GOR_FORK_PREPARE);
}

static void fork_parent(void)
{
    gor_stack_fork(GOR_FORK_PARENT);
    gor_registry_fork(GOR_FORK_PARENT, NULL);
    gor_sched_fork(GOR_FORK_PARENT);
    gor_poll_fork(GOR_FORK_PARENT);
    gor_ctx_fork(GOR_FORK_PARENT);
    gor_timer_fork(GOR_FORK_PARENT);
}

static void fork_child(void)
{
    atomic_fetch_add(&gor_fork_epoch, 1); /* first: the kept task takes the new epoch */
    gor_stack_fork(GOR_FORK_CHILD);
    gor_registry_fork(GOR_FORK_CHILD, gor_cur_task());
    gor_sched_fork(GOR_FORK_CHILD);
    gor_poll_fork(GOR_FORK_CHILD);
    gor_ctx_fork(GOR_FORK_CHILD);
    gor_timer_fork(GOR_FORK_CHILD);
}

void gor_fork_install(void)
{
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
        gor_panic("cannot install the fork handlers");
}
