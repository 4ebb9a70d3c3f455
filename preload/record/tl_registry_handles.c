/* tl_registry_handles: the registry's pthread_t half — the handle index, threads finishing,
 * joins, detaches and names (see tl_registry.h; the slot table is tl_registry.c).
 *
 * DESIGN. A joinable thread that finishes leaves an exited record in its slot (not counted as
 * live) until a join or a detach forgets it; a program that joins its threads therefore keeps
 * only its live threads, whatever its churn, and one that never joins keeps one record per thread
 * it leaked. Units are found by pthread_t through a uthash index on `handle` (O(1) per join,
 * detach or name; if an add ever fails for memory, lookups fall back to scanning the slots).
 * glibc recycles a pthread_t once its thread is joined or detached, so: a join looks its unit up
 * (slot, seq) before calling the real join and forgets that record, not whatever holds the handle
 * afterwards; and a thread whose handle an exited record still holds proves that record stale (it
 * was joined or detached behind our back) and drops it as it takes the handle. Records dropped
 * under the lock are chained and freed after it (freeing takes the stack table's lock).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "tl_exits.h"
#include "tl_registry_int.h"

static struct tl_unit *by_handle; /* the index; lock */
static bool index_lossy;          /* an add failed: lookups scan the slots instead; lock */

void tl_reg_index_del(struct tl_unit *u)
{
    if (u->indexed)
        HASH_DELETE(hh, by_handle, u);
    u->indexed = false;
}

void tl_reg_index_reset(void)
{
    HASH_CLEAR(hh, by_handle);
    index_lossy = false;
}

static void index_add(struct tl_unit *u)
{
    tl_hash_oom = 0;
    HASH_ADD(hh, by_handle, handle, sizeof u->handle, u);
    if (tl_hash_oom)
        index_lossy = true;
    else
        u->indexed = true;
}

/* A unit holding handle h (lock held), NULL when none. */
static struct tl_unit *index_find(pthread_t h)
{
    struct tl_unit *u = NULL;
    if (!index_lossy) {
        HASH_FIND(hh, by_handle, &h, sizeof h, u);
        return u;
    }
    for (size_t i = 0; i < tl_reg_high() && u == NULL; i++) {
        struct tl_unit *o = tl_reg_slot(i);
        u = o != NULL && o->handle_known && pthread_equal(o->handle, h) ? o : NULL;
    }
    return u;
}

void tl_reg_free_chain(struct tl_unit *u)
{
    while (u != NULL) {
        struct tl_unit *next = u->next_free;
        tl_reg_unit_free(u);
        u = next;
    }
}

/* Unlinks exited record u (lock held) and chains it on *chain for tl_reg_free_chain. */
static void drop_record(struct tl_unit *u, struct tl_unit **chain)
{
    tl_reg_slot_remove(u);
    u->next_free = *chain;
    *chain = u;
}

void tl_reg_take_handle(struct tl_unit *u, pthread_t h, struct tl_unit **chain)
{
    if (u->handle_known) /* the creator and the thread both record it: the first one did */
        return;
    for (struct tl_unit *o; (o = index_find(h)) != NULL && o->exited;)
        drop_record(o, chain);
    u->handle = h;
    u->handle_known = true;
    index_add(u);
}

/* The kernel name the finishing thread has now, if it is its own (not inherited from the program
 * or from a gor worker): a name set with prctl never passed through pthread_setname_np. */
static void exit_name(const struct tl_unit *u, char *out)
{
    out[0] = '\0';
    if (u->name[0] == '\0' && prctl(PR_GET_NAME, out) == 0 &&
        (strcmp(out, program_invocation_short_name) == 0 || strcmp(out, u->inherited_name) == 0))
        out[0] = '\0';
}

void tl_registry_finish(struct tl_unit *u)
{
    if (u == NULL)
        return;
    int saved = errno;
    tl_reg_leave(u);
    tl_reg_settle(u);
    tl_registry_site_leave(u); /* not live any more, even as an exited record */
    char comm[TL_NAME_MAX + 1];
    exit_name(u, comm);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    tl_reg_lock();
    /* Under the lock, so that a pthread_detach racing with the exit sees one or the other. */
    bool keep = !u->detached && u->seq != 1;
    if (keep) {
        u->exited = true;
        u->exited_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        if (comm[0] != '\0')
            snprintf(u->name, sizeof u->name, "%s", comm);
        tl_reg_count_exited();
    } else {
        tl_reg_slot_remove(u);
    }
    tl_reg_unlock();
    tl_exits_note(u->seq, atomic_load(&u->tid), u->created_stack);
    if (!keep)
        tl_reg_unit_free(u);
    errno = saved;
}

/* The unit whose thread handle is h (lock held), NULL when none; a unit counts from the moment
 * its creator or the thread itself recorded the handle. The calling thread (the common
 * pthread_detach(pthread_self()) case) is found without a lookup. */
static struct tl_unit *find_handle(pthread_t h)
{
    struct tl_unit *me = tl_registry_self();
    if (me != NULL && pthread_equal(h, pthread_self()))
        return me;
    return index_find(h);
}

void tl_registry_set_detached(pthread_t h)
{
    struct tl_unit *gone = NULL;
    tl_reg_lock();
    struct tl_unit *u = find_handle(h);
    if (u != NULL && u->exited)
        drop_record(u, &gone);
    else if (u != NULL)
        u->detached = true;
    tl_reg_unlock();
    tl_reg_free_chain(gone);
}

void tl_registry_join_ref(pthread_t h, struct tl_join_ref *ref)
{
    ref->slot = 0;
    ref->seq = 0;
    tl_reg_lock();
    struct tl_unit *u = find_handle(h);
    if (u != NULL) {
        ref->slot = u->slot;
        ref->seq = u->seq;
    }
    tl_reg_unlock();
}

void tl_registry_joined(const struct tl_join_ref *ref, pthread_t h)
{
    struct tl_unit *gone = NULL, *u;
    tl_reg_lock();
    if (ref->seq != 0) {
        u = tl_reg_slot(ref->slot);
        u = u != NULL && u->seq == ref->seq ? u : NULL;
    } else {
        u = find_handle(h);
    }
    if (u != NULL && u->exited)
        drop_record(u, &gone);
    tl_reg_unlock();
    tl_reg_free_chain(gone);
}

void tl_registry_set_name(pthread_t h, const char *name)
{
    tl_reg_lock();
    struct tl_unit *u = find_handle(h);
    if (u != NULL && !u->exited)
        snprintf(u->name, sizeof u->name, "%s", name);
    tl_reg_unlock();
}
