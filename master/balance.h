/*
 * balance.h - which chunks to move so that chunk servers hold similar
 * shares, e.g. after a new server joins (it starts empty, and writes
 * alone would take long to fill it).
 *
 * A node's load is the number of copies of referenced chunks it holds,
 * scaled by its capacity against the mean of the live nodes that are not
 * draining.  When the most loaded and the least loaded differ by more
 * than BALANCE_SLACK_PCT of the mean (and at least BALANCE_SLACK_MIN
 * copies), balance_plan proposes moving up to half the difference, at
 * most max chunks, from the first to the second: chunks it holds that the
 * other does not.
 *
 * Counting the copies of referenced chunks reads every copy (about a
 * second per TiB stored), so the caller first asks balance_wanted, which
 * applies the same measure to the servers' own counts (chunk_count in
 * their heartbeats: every chunk file they hold, copies awaiting garbage
 * collection too).  A server that joins reports none, so it is seen at
 * its first heartbeat; a cluster in balance costs no scan however much
 * is written.
 * Repair carries a move out as a copy, and once that copy
 * is confirmed, the deletion of the source's copy (master/repair.h), so a
 * chunk never has fewer counted copies than the factor.  The planner keeps
 * no state: each call looks at the store as it is.
 */
#ifndef DFS_MASTER_BALANCE_H
#define DFS_MASTER_BALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta.h"

/* Placement alone leaves some spread (a few chunks in small clusters,
 * well under 10% in large ones): balance acts only on more than that,
 * so that writing files never sets chunks moving. */
#define BALANCE_SLACK_PCT 10
#define BALANCE_SLACK_MIN 16

struct balance_move {
    char id[CHUNK_ID_STRLEN];
    size_t from, to; /* indexes into the nodes given */
};

/* true when the servers' own chunk counts are out of balance: only then
 * is balance_plan worth its scan. */
bool balance_wanted(const struct dfs_node *nodes, size_t n,
                    uint64_t chunk_size);

/* Moves among nodes[0..n-1] (the live ones; draining ones are skipped)
 * into out[0..*nout-1].  0 or -errno. */
int balance_plan(struct meta *m, const struct dfs_node *nodes, size_t n,
                 struct balance_move *out, size_t max, size_t *nout);

#endif
