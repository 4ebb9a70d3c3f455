/*
 * The one way the report tool includes uthash. uthash's default reaction to a failed allocation
 * is exit(); with HASH_NONFATAL_OOM the add is abandoned instead and we record it here, so a
 * huge or hostile report ends with "out of memory" and exit status 2 rather than a silent exit.
 */
#ifndef TLR_HASH_H
#define TLR_HASH_H

#include <stddef.h>

#define HASH_NONFATAL_OOM 1
/* Set by uthash when an insertion could not allocate; cleared by whoever checks an insertion
 * (the loader, the merger, the baseline), who then owns the element uthash did not link. */
extern int tlr_hash_oom;
#define uthash_nonfatal_oom(obj) (tlr_hash_oom = 1)
/* uthash's allocator: malloc, except in tests that need an insertion to fail (model.c). */
extern void *(*tlr_hash_malloc)(size_t size);
#define uthash_malloc(sz) tlr_hash_malloc(sz)
#include <uthash.h>

#endif
