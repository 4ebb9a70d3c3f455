/* tl_registry_int.h: what the registry's two files share (tl_registry.c: the slot table,
 * snapshots, labels; tl_registry_handles.c: the pthread_t index, finishing threads, joins,
 * detaches, names). Nothing else includes it. "Lock held" means the registry lock.
 */
#ifndef TL_REGISTRY_INT_H
#define TL_REGISTRY_INT_H

#include "tl_registry.h"

/* In tl_registry.c. */
void tl_reg_lock(void);
void tl_reg_unlock(void);
struct tl_unit *tl_reg_slot(size_t i);      /* slot i's unit or NULL (lock held) */
size_t tl_reg_high(void);                   /* slots in use (lock held) */
void tl_reg_slot_remove(struct tl_unit *u); /* frees u's slot, unindexes it (lock held) */
void tl_reg_unit_free(struct tl_unit *u);   /* releases and frees u (never under the lock) */
void tl_reg_settle(struct tl_unit *u);      /* waits out a snapshot pinning u, marks it running */
void tl_reg_leave(struct tl_unit *u);       /* the calling thread drops u as its TLS unit */
void tl_reg_count_exited(void);             /* one live unit became an exited record (lock held) */

/* In tl_registry_handles.c. */
/* Records h as u's handle and indexes it (lock held); no-op when u's handle is known already.
 * Exited records holding h are stale (glibc reuses a handle only after a join or a detach): they
 * are unlinked onto *chain, for tl_reg_free_chain once the lock is released. */
void tl_reg_take_handle(struct tl_unit *u, pthread_t h, struct tl_unit **chain);
void tl_reg_free_chain(struct tl_unit *chain);
void tl_reg_index_del(struct tl_unit *u); /* no-op when u is not indexed (lock held) */
void tl_reg_index_reset(void);            /* empties the index (fork child, lock held) */

#endif /* TL_REGISTRY_INT_H */
