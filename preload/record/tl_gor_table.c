/* tl_gor_table: the table of tracked gor tasks (see tl_gor_impl.h, "the task table"): NSHARD
 * shards, each a uthash table under a spin lock with a permanent sentinel and a free list, and the
 * lifetime rule that forgets a record when its task has exited and no child still counts on it.
 * Called from tl_gor.c's spawn and exit hooks and from report-time snapshots (tl_gor_snap.c).
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "tl_gor_impl.h"

struct shard tl_gor_shards[NSHARD];

/* The record of the task that last spawned on this thread: valid while that task runs here, as
 * a running task's record cannot be forgotten (it has not exited). */
static __thread struct {
    int64_t id;
    struct task_rec *rec;
} last_spawner;

void tl_gor_table_init(void)
{
    for (int i = 0; i < NSHARD; i++) {
        tl_gor_shards[i].sentinel.id = -1 - i;
        HASH_ADD(hh, tl_gor_shards[i].tasks, id, sizeof(int64_t), &tl_gor_shards[i].sentinel);
    }
}

/* Adds the record *tmpl describes. A boxed spawn's record (tmpl itself, allocated by
 * tl_gor_box) is inserted as is; otherwise one comes from the shard's free list (malloc when
 * empty) and is filled from *tmpl. Returns it, or NULL when out of memory (the task then goes
 * untracked; a boxed record then stays owned by its task). */
struct task_rec *tl_gor_insert(struct task_rec *tmpl)
{
    struct shard *s = shard_of(tmpl->id);
    struct task_rec *r = tmpl->boxed ? tmpl : NULL;
    spin_lock(&s->lock);
    if (r == NULL && (r = s->free) != NULL)
        s->free = r->next_free;
    if (r == NULL) {
        spin_unlock(&s->lock);
        if ((r = malloc(sizeof *r)) == NULL)
            return NULL;
        spin_lock(&s->lock);
    }
    if (r != tmpl)
        *r = *tmpl;
    tl_hash_oom = 0;
    HASH_ADD(hh, s->tasks, id, sizeof r->id, r);
    if (tl_hash_oom && !r->boxed) {
        r->next_free = s->free;
        s->free = r;
    }
    spin_unlock(&s->lock);
    return tl_hash_oom ? NULL : r;
}

/* The record of the running task id (the caller's own task, so it cannot go away meanwhile). */
struct task_rec *tl_gor_running_rec(int64_t id)
{
    if (last_spawner.id == id && last_spawner.rec != NULL)
        return last_spawner.rec;
    struct shard *s = shard_of(id);
    spin_lock(&s->lock);
    struct task_rec *r = find_locked(s, id);
    spin_unlock(&s->lock);
    last_spawner.id = id;
    last_spawner.rec = r;
    return r;
}

/* Forgets r (its life ended) and returns its parent's record, whose life must then drop a child. */
static struct task_rec *forget(struct task_rec *r)
{
    struct shard *s = shard_of(r->id);
    spin_lock(&s->lock);
    struct task_rec *parent = r->parent_rec;
    HASH_DELETE(hh, s->tasks, r);
    r->next_free = s->free;
    s->free = r;
    spin_unlock(&s->lock);
    return parent;
}

/* r's task exited (drop EXITED) or one of its children's records went (drop CHILD): forgets
 * every record whose life ended, up the chain of exited ancestors. */
void tl_gor_release(struct task_rec *r, uint64_t drop)
{
    for (; r != NULL && life_ends(r, drop); drop = CHILD)
        r = forget(r);
}

void tl_gor_table_atfork_child(void)
{
    for (int i = 0; i < NSHARD; i++)
        atomic_store(&tl_gor_shards[i].lock.v, 0);
    last_spawner.id = 0;
    last_spawner.rec = NULL;
}
