/*
 * chunk_client.h - moving whole chunks between a client and chunk servers.
 *
 * The core that `dfs put/get` and mount.dfs share.  Storing: a chunk is
 * ranked over the live nodes with the placement the master uses (weight =
 * free space) and PUT to the first `want` of them in parallel; a node that
 * fails is replaced by the next one in the ranking, so one dead server
 * does not fail the write (the master repairs the missing copy later).
 * Fetching: one replica at a time, and a body whose hash is not the chunk
 * id is an error, so a corrupt copy is never returned.
 *
 * Policy on top (which replicas to try, retrying for a while, caching)
 * is the caller's.  Chunks are immutable and named by their hash, so a
 * retried PUT or GET can never produce two versions of one chunk.
 */
#ifndef DFS_CHUNK_CLIENT_H
#define DFS_CHUNK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "http_client.h"
#include "meta_wire.h"

/* Per-request limit: a 4 MiB chunk over a slow link still fits. */
#define CHUNK_CLIENT_TIMEOUT_MS 60000L

/* Rank nodes[0..n-1] for chunk id: order[0..n-1] receives node indexes,
 * best first (placement_rank with weight = free space, the zone rule on
 * the first `replicas`), draining nodes after all the others.  0, or
 * -ENOMEM. */
int chunk_client_rank(const char *id, const struct dfs_node *nodes, size_t n,
                      size_t replicas, size_t *order);

/* Store len bytes (ref->id and ref->len already set) on up to `want`
 * (clamped to 1..DFS_MAX_REPLICAS) of nodes[order[0..n-1]], best first,
 * in parallel; each failed node is logged (warn) and replaced by the next
 * untried one.  ref->nodes/nnodes name the nodes that took it, and when
 * where is not NULL, where->replicas/nreplicas their addresses in the same
 * order (its id, len and index are left alone).  ?sync=1 when sync.
 * 0 when at least one node took it (fewer than want only when the ranking
 * ran out); -EIO with the last failure in err (may be NULL) when none
 * did. */
int chunk_client_put(struct http_client *http, const struct dfs_node *nodes,
                     const size_t *order, size_t n, size_t want,
                     const void *data, bool sync, struct dfs_chunk_ref *ref,
                     struct dfs_chunk *where, char *err, size_t errlen);

/* How a fetched chunk's bytes are checked.  FAST: against the fast
 * checksum the server sends with them (chunk_check.h), or the id when it
 * sent none or it does not match; STRICT: always against the id (BLAKE2b,
 * ~1 s of CPU per GiB), trusting nothing the server says. */
enum chunk_verify { CHUNK_VERIFY_FAST, CHUNK_VERIFY_STRICT };

/* Are len bytes at data the chunk `id`?  With FAST, the server's check
 * text (empty when it sent none) first; a check that does not match
 * falls back to the id, since a damaged checksum must not cost a good
 * copy (that case is logged, naming addr).  On false, got holds the id
 * the bytes hash to. */
bool chunk_client_verified(const char *id, const void *data, size_t len,
                           const char *check, enum chunk_verify verify,
                           const char *addr, char got[CHUNK_ID_STRLEN]);

/* GET chunk id from the server at addr.  0 with *body (malloc'd, the
 * caller frees; NULL when the chunk is empty) and *len only if the bytes
 * pass the check `verify` asks for.  Errors, with the reason in err
 * (naming addr): -EINVAL id is not a chunk id; the transport's -errno
 * when no reply came; -EIO for an HTTP error status; -EBADMSG when the
 * bytes do not hash to the id. */
int chunk_client_fetch(struct http_client *http, const char *addr,
                       const char *id, enum chunk_verify verify, char **body,
                       size_t *len, char *err, size_t errlen);

/* HEAD chunk id on the server at addr: 0 when it holds the chunk,
 * -ENOENT when it answers that it does not, else the transport's -errno
 * or -EIO, with the reason in err (naming addr). */
int chunk_client_stat(struct http_client *http, const char *addr,
                      const char *id, char *err, size_t errlen);

#endif
