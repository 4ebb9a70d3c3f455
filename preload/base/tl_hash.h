/* tl_hash: the one way the detector includes uthash (with HASH_NONFATAL_OOM: uthash's default on
 * out-of-memory is exit()).
 *
 * uthash's default reaction to an allocation failure is exit(-1), which would kill the host
 * program. With HASH_NONFATAL_OOM the failed add leaves the table unchanged and calls
 * uthash_nonfatal_oom(), which here raises a per-thread flag: a caller clears tl_hash_oom, does
 * HASH_ADD*, and tests the flag to degrade (stop tracking, warn once) instead of dying.
 * Allocation goes to the process's malloc (the detector never interposes malloc; a host allocator
 * such as jemalloc is used as is). Include this header, never <uthash.h> directly.
 */
#ifndef TL_HASH_H
#define TL_HASH_H

#include <stdlib.h>

/* Set to 1 by uthash when an add failed for lack of memory; per thread, cleared by the caller. */
static __thread int tl_hash_oom __attribute__((unused, tls_model("initial-exec")));

#define HASH_NONFATAL_OOM        1
#define uthash_malloc(sz)        malloc(sz)
#define uthash_free(ptr, sz)     free(ptr)
#define uthash_nonfatal_oom(elt) (tl_hash_oom = 1)

#include <uthash.h>

#endif /* TL_HASH_H */
