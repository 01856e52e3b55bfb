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

/* The most loaded node (*hi) and the least loaded one with room for a
 * chunk (*lo) of those that take part (not draining), given the copies
 * each holds scaled by its capacity against the mean capacity.  true when
 * they differ by more than the slack: *excess is that difference.
 * load: room for n loads. */
static bool loads_spread(const struct dfs_node *nodes, size_t n,
                         const uint64_t *copies, uint64_t chunk_size,
                         double *load, size_t *hi, size_t *lo, double *excess)
{
    double capacity = 0, total = 0;
    size_t k = 0;
    *hi = *lo = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (nodes[i].draining) continue;
        capacity += nodes[i].capacity ? (double)nodes[i].capacity : 1;
        k++;
    }
    if (k < 2) return false;
    capacity /= (double)k;
    for (size_t i = 0; i < n; i++) {
        if (nodes[i].draining) continue;
        double cap = nodes[i].capacity ? (double)nodes[i].capacity : 1;
        load[i] = (double)copies[i] * capacity / cap;
        total += load[i];
        if (*hi == SIZE_MAX || load[i] > load[*hi]) *hi = i;
        /* only a node with room for a chunk can take one */
        if (nodes[i].free >= chunk_size &&
            (*lo == SIZE_MAX || load[i] < load[*lo]))
            *lo = i;
    }
    double slack = total / (double)k * BALANCE_SLACK_PCT / 100;
    if (slack < BALANCE_SLACK_MIN) slack = BALANCE_SLACK_MIN;
    if (*lo == SIZE_MAX || *hi == *lo) return false;
    *excess = load[*hi] - load[*lo];
    return *excess > slack;
}

/* Up to max chunks to move from nodes[hi] to nodes[lo]: half the excess. */
static int plan_moves(struct meta *m, const struct dfs_node *nodes, size_t hi,
                      size_t lo, double excess, struct balance_move *out,
                      size_t max, size_t *nout)
{
    size_t want = (size_t)(excess / 2), got = 0;
    if (want > max) want = max;
    if (want == 0) want = 1;
    char(*movable)[CHUNK_ID_STRLEN] = calloc(want, sizeof(*movable));
    int rc = movable ? meta_movable_chunks(m, nodes[hi].id, nodes[lo].id,
                                           movable, want, &got)
                     : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < got; i++) {
        memcpy(out[i].id, movable[i], CHUNK_ID_STRLEN);
        out[i].from = hi;
        out[i].to = lo;
    }
    if (rc == 0) *nout = got;
    free(movable);
    return rc;
}

bool balance_wanted(const struct dfs_node *nodes, size_t n, uint64_t chunk_size)
{
    uint64_t *copies = calloc(n ? n : 1, sizeof(*copies));
    double excess, *load = calloc(n ? n : 1, sizeof(*load));
    size_t hi, lo;
    bool wanted = false;
    if (copies && load) {
        for (size_t i = 0; i < n; i++)
            copies[i] = nodes[i].chunk_count;
        wanted =
            loads_spread(nodes, n, copies, chunk_size, load, &hi, &lo, &excess);
    }
    free(copies);
    free(load);
    return wanted;
}

int balance_plan(struct meta *m, const struct dfs_node *nodes, size_t n,
                 struct balance_move *out, size_t max, size_t *nout)
{
    char(*ids)[PLACEMENT_NODE_ID_MAX + 1];
    uint64_t *counts, *copies = calloc(n ? n : 1, sizeof(*copies));
    double excess, *load = calloc(n ? n : 1, sizeof(*load));
    size_t nids, hi, lo;
    int rc =
        copies && load ? meta_node_loads(m, &ids, &counts, &nids) : -ENOMEM;
    *nout = 0;
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            copies[i] =
                copies_of((const char(*)[PLACEMENT_NODE_ID_MAX + 1]) ids,
                          counts, nids, nodes[i].id);
        if (loads_spread(nodes, n, copies, meta_chunk_size(m), load, &hi, &lo,
                         &excess))
            rc = plan_moves(m, nodes, hi, lo, excess, out, max, nout);
        free(ids);
        free(counts);
    }
    free(copies);
    free(load);
    return rc;
}
