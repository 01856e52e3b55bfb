/*
 * truncate.h - changing a file's size from setattr.
 *
 * Growing is the master's job alone (the new bytes are a hole).  Cutting
 * inside a chunk needs the bytes, which only a client has: the chunk is
 * read, shortened, stored as a new chunk and committed with the new size.
 * Our own open handles of the file are flushed first and re-read the map
 * afterwards, so buffered writes and the truncate happen in program order.
 */
#ifndef DFS_FUSE_TRUNCATE_H
#define DFS_FUSE_TRUNCATE_H

#include <stdint.h>

#include "dfs_mount.h"
#include "meta_wire.h"

/* Commit the writes buffered by every handle of ino in this mount. */
int truncate_flush_open(struct dfs_mount *m, uint64_t ino);

/* Set the size; *out is the new attr. */
int truncate_file(struct dfs_mount *m, uint64_t ino, uint64_t size,
                  struct dfs_attr *out);

#endif
