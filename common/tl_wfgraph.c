/* tl_wfgraph: cycles of a functional wait-for graph (see tl_wfgraph.h).
 *
 * The classic three-colour walk: walk[i] records which start first reached i, so a walk that
 * meets its own mark has found a cycle and one that meets an older walk's mark stops (that cycle,
 * if any, is already known). O(n) time, two arrays of n.
 */
#include "tl_wfgraph.h"

#include <stdlib.h>

static long edge(const long *next, size_t n, long i)
{
    long e = next[i];
    return e >= 0 && (size_t)e < n ? e : -1;
}

int tl_wfg_cycles(const long *next, size_t n,
                  void (*found)(void *ctx, const size_t *members, size_t len), void *ctx)
{
    size_t *walk = calloc(n ? n : 1, sizeof *walk);
    size_t *cycle = malloc((n ? n : 1) * sizeof *cycle);
    int rc = walk && cycle ? 0 : -1;
    for (size_t s = 0; rc == 0 && s < n; s++) {
        long cur = (long)s;
        while (cur >= 0 && walk[cur] == 0) {
            walk[cur] = s + 1;
            cur = edge(next, n, cur);
        }
        if (cur < 0 || walk[cur] != s + 1)
            continue;
        size_t len = 0;
        long k = cur;
        do {
            cycle[len++] = (size_t)k;
            k = edge(next, n, k);
        } while (k != cur);
        found(ctx, cycle, len);
    }
    free(walk);
    free(cycle);
    return rc;
}

/* st: 2 reaches a dead unit, 1 does not (or is being walked), 0 not yet known. */
int tl_wfg_reaches(const long *next, size_t n, const bool *dead, bool *reach)
{
    unsigned char *st = calloc(n ? n : 1, 1);
    size_t *path = malloc((n ? n : 1) * sizeof *path);
    if (st == NULL || path == NULL) {
        free(st);
        free(path);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        st[i] = dead[i] ? 2 : 0;
    for (size_t s = 0; s < n; s++) {
        size_t len = 0;
        long cur = (long)s;
        while (cur >= 0 && st[cur] == 0) {
            st[cur] = 1;
            path[len++] = (size_t)cur;
            cur = edge(next, n, cur);
        }
        unsigned char res = cur >= 0 && st[cur] == 2 ? 2 : 1;
        for (size_t k = 0; k < len; k++)
            st[path[k]] = res;
    }
    for (size_t i = 0; i < n; i++)
        reach[i] = st[i] == 2;
    free(st);
    free(path);
    return 0;
}
