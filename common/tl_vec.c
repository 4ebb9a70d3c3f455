/* tl_vec: doubling growth of plain arrays, on the heap or in anonymous mappings, overflow-checked,
 * reporting failure instead of exiting (see tl_vec.h for why the project has one of these rather
 * than a realloc at every append).
 *
 * The array pointer is read and written through memcpy so that one function serves every element
 * type without type-punning a `struct x **` as a `void **`. */
#include "tl_vec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The capacity to grow to, or 0 when none can hold `need` elements of `size` bytes. */
static size_t next_cap(size_t cap, size_t need, size_t size)
{
    size_t max = SIZE_MAX / size;
    if (need > max)
        return 0;
    size_t n = cap > max / 2 ? max : cap * 2;
    if (n < TL_VEC_MIN)
        n = TL_VEC_MIN < max ? TL_VEC_MIN : max;
    return n < need ? need : n;
}

int tl_vec_reserve_(void *arrp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = size ? next_cap(*cap, need, size) : 0;
    void *v;
    memcpy(&v, arrp, sizeof v);
    void *grown = n ? realloc(v, n * size) : NULL;
    if (!grown) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(arrp, &grown, sizeof grown);
    *cap = n;
    return 0;
}

int tl_vec_reserve_mapped_(void *arrp, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = size ? next_cap(*cap, need, size) : 0;
    void *v, *grown = MAP_FAILED;
    memcpy(&v, arrp, sizeof v);
    if (n != 0 && v == NULL)
        grown = mmap(NULL, n * size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    else if (n != 0)
        grown = mremap(v, *cap * size, n * size, MREMAP_MAYMOVE);
    if (grown == MAP_FAILED) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(arrp, &grown, sizeof grown);
    *cap = n;
    return 0;
}
