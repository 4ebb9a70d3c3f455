/* tl_vec: the one way a growable array grows, in the detector, the report tool and attach.
 *
 * An array here is a plain pointer plus a size_t capacity kept beside it by its owner (the count
 * of used elements is the owner's business too), so a grown array is still indexed as `v[i]` and
 * passed to qsort and friends as it is. Growth doubles (amortized O(1) appends), the byte count is
 * checked for overflow, and a failure is returned, never acted on: uthash's utarray exits the
 * process when memory runs out, which inside someone else's program is not ours to do. The caller
 * decides how to degrade (drop the record, report less, fail with a message).
 *
 * Libc only: it calls realloc and nothing else, so code that may call realloc (even under one of
 * the detector's spin locks) may call this. Not async-signal-safe: paths that must not allocate
 * (the signal report, what runs in a forked child) keep their preallocated arrays.
 *
 * Arrays that must stay off the heap (leak proofs read the heap as it is while they run; the lock
 * order graph grows inside the program's lock calls) grow the same way in anonymous mappings
 * (TL_VEC_RESERVE_MAPPED: mmap, then mremap; no malloc), freed with munmap(v, cap * size).
 */
#ifndef TL_VEC_H
#define TL_VEC_H

#include <stddef.h>

/* The capacity the first growth of an empty array gives, when `need` asks for less. */
#define TL_VEC_MIN 8

/* Makes `*arrp` (the address of an array pointer, NULL for an empty array) hold at least `need`
 * elements of `size` bytes. When `*cap` is already >= need nothing changes; otherwise the array is
 * reallocated to max(need, 2 * *cap, TL_VEC_MIN) elements (the new elements uninitialized) and
 * `*cap` set to that. Returns 0, or -1 with errno ENOMEM when memory ran out or the byte count
 * would not fit in size_t; then `*arrp` and `*cap` are untouched (the old array is still the
 * caller's to use and free). */
int tl_vec_reserve_(void *arrp, size_t *cap, size_t need, size_t size);

/* TL_VEC_RESERVE(arr, cap, need): the same for an array lvalue `arr` (any object pointer type)
 * with its size_t capacity lvalue `cap`; the element size is taken from the array's type. */
#define TL_VEC_RESERVE(arr, cap, need) tl_vec_reserve_(&(arr), &(cap), (need), sizeof *(arr))

/* TL_VEC_PUSH_SLOT(arr, cap, n): room for one element more after the `n` in use: 0 or -1 as above.
 * The caller then writes arr[n] and counts it. */
#define TL_VEC_PUSH_SLOT(arr, cap, n) TL_VEC_RESERVE(arr, cap, (size_t)(n) + 1)

/* As tl_vec_reserve_, in an anonymous private mapping instead of the heap (mmap for an empty
 * array, then mremap, which may move it); the new elements read as zero. */
int tl_vec_reserve_mapped_(void *arrp, size_t *cap, size_t need, size_t size);
#define TL_VEC_RESERVE_MAPPED(arr, cap, need)                                                      \
    tl_vec_reserve_mapped_(&(arr), &(cap), (need), sizeof *(arr))
#define TL_VEC_PUSH_SLOT_MAPPED(arr, cap, n) TL_VEC_RESERVE_MAPPED(arr, cap, (size_t)(n) + 1)

#endif /* TL_VEC_H */
