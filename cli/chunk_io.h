/*
 * chunk_io.h - moving whole chunks between a client and chunk servers.
 *
 * Storing: a chunk goes to the first `replicas` nodes of its placement
 * order in parallel; a node that fails is replaced by the next one in the
 * order, so one dead server does not fail the write (the master repairs
 * the missing copy later).  Fetching: replicas are tried in the order the
 * master gave, and a body whose hash is not the chunk id counts as a
 * failure, so a corrupt copy is never returned.
 *
 * Generic enough for mount.dfs too; it lives in cli/ until the lead
 * decides whether to move it to common/.
 */
#ifndef DFS_CHUNK_IO_H
#define DFS_CHUNK_IO_H

#include <stdbool.h>
#include <stddef.h>

#include "http_client.h"
#include "meta_wire.h"

/* Per-request limit: a 4 MiB chunk over a slow link still fits. */
#define CHUNK_IO_TIMEOUT_MS 60000L

/* Store len bytes (ref->id and ref->len already set) on up to `replicas`
 * of nodes[order[0..n-1]].  On success ref->nodes/nnodes name the nodes
 * that took it (at least one, fewer than `replicas` only when the order
 * ran out).  sync asks each server to fsync before answering.  -EIO with
 * the last failure in err when no node took it. */
int chunk_io_put(struct http_client *http, const struct dfs_node *nodes,
                 const size_t *order, size_t n, size_t replicas,
                 const void *data, bool sync, struct dfs_chunk_ref *ref,
                 char *err, size_t errlen);

/* Fetch chunk c into buf (room for c->len bytes) from its first replica
 * that answers with the right bytes.  -EIO with the reason in err when
 * none does. */
int chunk_io_get(struct http_client *http, const struct dfs_chunk *c, void *buf,
                 char *err, size_t errlen);

#endif
