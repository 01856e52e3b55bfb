/*
 * balance.c - proposing chunk moves between chunk servers (see balance.h).
 */
#include "balance.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Copies node id holds, from the loads query. */
static uint64_t copies_of(const char (*ids)[PLACEMENT_NODE_ID_MAX + 1],
                          const uint64_t *counts, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) return counts[i];
    return 0;
}

/* Loads of the nodes that take part (load[i] < 0: not), and their mean.
 * false when fewer than two take part. */
static bool node_loads(struct meta *m, const struct dfs_node *nodes, size_t n,
                       const char (*ids)[PLACEMENT_NODE_ID_MAX + 1],
                       const uint64_t *counts, size_t nids, double *load,
                       double *mean)
{
    double capacity = 0, total = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (nodes[i].draining) continue;
        capacity += nodes[i].capacity ? (double)nodes[i].capacity : 1;
        k++;
    }
    if (k < 2) return false;
    capacity /= (double)k;
    for (size_t i = 0; i < n; i++) {
        load[i] = -1;
        if (nodes[i].draining) continue;
        double cap = nodes[i].capacity ? (double)nodes[i].capacity : 1;
        load[i] =
            (double)copies_of(ids, counts, nids, nodes[i].id) * capacity / cap;
        total += load[i];
    }
    *mean = total / (double)k;
    (void)m;
    return true;
}

int balance_plan(struct meta *m, const struct dfs_node *nodes, size_t n,
                 struct balance_move *out, size_t max, size_t *nout)
{
    char(*ids)[PLACEMENT_NODE_ID_MAX + 1];
    uint64_t *counts;
    size_t nids, hi = SIZE_MAX, lo = SIZE_MAX;
    double mean, *load = calloc(n ? n : 1, sizeof(*load));
    *nout = 0;
    if (!load) return -ENOMEM;
    int rc = meta_node_loads(m, &ids, &counts, &nids);
    bool some =
        rc == 0 &&
        node_loads(m, nodes, n, (const char(*)[PLACEMENT_NODE_ID_MAX + 1]) ids,
                   counts, nids, load, &mean);
    for (size_t i = 0; some && i < n; i++) {
        if (load[i] < 0) continue;
        if (hi == SIZE_MAX || load[i] > load[hi]) hi = i;
        /* only a node with room for a chunk can take one */
        if (nodes[i].free >= meta_chunk_size(m) &&
            (lo == SIZE_MAX || load[i] < load[lo]))
            lo = i;
    }
    double slack = mean * BALANCE_SLACK_PCT / 100;
    if (slack < BALANCE_SLACK_MIN) slack = BALANCE_SLACK_MIN;
    if (some && lo != SIZE_MAX && hi != lo && load[hi] - load[lo] > slack) {
        size_t want = (size_t)((load[hi] - load[lo]) / 2);
        char(*movable)[CHUNK_ID_STRLEN] = NULL;
        if (want > max) want = max;
        if (want == 0) want = 1;
        movable = calloc(want, sizeof(*movable));
        size_t got = 0;
        rc = movable ? meta_movable_chunks(m, nodes[hi].id, nodes[lo].id,
                                           movable, want, &got)
                     : -ENOMEM;
        for (size_t i = 0; rc == 0 && i < got; i++) {
            memcpy(out[i].id, movable[i], CHUNK_ID_STRLEN);
            out[i].from = hi;
            out[i].to = lo;
        }
        if (rc == 0) *nout = got;
        free(movable);
    }
    free(ids);
    free(counts);
    free(load);
    return rc;
}
