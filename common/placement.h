/*
 * placement.h - where a chunk's replicas go: weighted rendezvous hashing.
 *
 * Each (chunk id, node id) pair gets a score from a hash; the nodes are
 * ranked by score, weighted by free capacity (the logarithmic method of
 * weighted rendezvous hashing: score = -weight / ln(u), u in (0,1) taken
 * from BLAKE2b(chunk id || node id)).  Replicas go to the first nodes of
 * the ranking, at most one per zone while distinct zones remain.  Adding
 * or removing a node moves only the chunks whose top ranks change.
 *
 * The client and the master compute the same ranking from the same node
 * list, so the client needs no round trip to learn where to write.
 */
#ifndef DFS_PLACEMENT_H
#define DFS_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#define PLACEMENT_NODE_ID_MAX 64

struct placement_node {
    char id[PLACEMENT_NODE_ID_MAX + 1]; /* stable node id */
    char zone[64];                      /* "" = no zone */
    uint64_t weight;                    /* e.g. free bytes; 0 counts as 1 */
};

/* Rank all n nodes for chunk_id: order[0..n-1] receives node indexes, best
 * first, with the zone rule applied to the first `replicas` entries (a
 * node in an already-used zone is pushed after nodes from unused zones).
 * Deterministic for the same inputs, independent of input order. */
void placement_rank(const char *chunk_id, const struct placement_node *nodes,
                    size_t n, size_t replicas, size_t *order);

#endif
