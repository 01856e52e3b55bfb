/*
 * chunk_io.h - moving chunk bytes between mount.dfs and chunk servers.
 *
 * Reads fetch whole chunks through the mount's cache and check them
 * against their id; writes place a chunk on `replication` servers chosen
 * by rendezvous hashing, in parallel, falling back down the ranking when a
 * server fails.  Both retry for the mount's retry_ms before giving up.
 */
#ifndef DFS_FUSE_CHUNK_IO_H
#define DFS_FUSE_CHUNK_IO_H

#include <stdbool.h>
#include <stddef.h>

#include "chunk_cache.h"
#include "dfs_mount.h"
#include "meta_wire.h"

/* The bytes of chunk c with one reference in *out, from the cache or the
 * first replica whose bytes hash to c->id.  -EIO when none does. */
int chunk_io_read(struct dfs_mount *m, const struct dfs_chunk *c,
                  struct chunk_data **out);

/* Store len bytes whose id is `id` (computed by the caller) on up to
 * m->replication servers; ?sync=1 when sync.  On success (at least one
 * copy) *ref lists the node ids and *where their addresses, both with
 * index left to the caller.  -EIO when no server took it. */
int chunk_io_write(struct dfs_mount *m, const char *id, const void *data,
                   size_t len, bool sync, struct dfs_chunk_ref *ref,
                   struct dfs_chunk *where);

/* Ask each address to fsync these chunks now (POST /v1/sync). */
int chunk_io_sync(struct dfs_mount *m, char (*addrs)[ADDR_TEXT_MAX],
                  size_t naddrs, char (*ids)[CHUNK_ID_STRLEN], size_t nids);

#endif
