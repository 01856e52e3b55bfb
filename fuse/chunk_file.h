/*
 * chunk_file.h - reading a whole chunk file that a local chunk server
 * handed over (local_read.h), as cheaply as this host allows.
 *
 * A chunk file whose pages are all in the page cache is read with
 * pread(): a copy from memory.  One that is not is read with O_DIRECT
 * into a chunk buffer aligned for it (chunk_cache.h): the disk fills the
 * buffer itself, which saves the copy out of the page cache and the cost
 * of filling it, and does not cache the chunk a second time (the mount's
 * chunk cache and the kernel's cache of the dfs file already hold it).
 * Measured on a 2-core VM: half of mount.dfs's CPU in a cold 1 GiB read,
 * and the read 1.8x faster (docs/decisions.md, "Direct local
 * reads").
 *
 * Where the file system refuses O_DIRECT, or the kernel cannot say what
 * is cached (cachestat(2) is Linux 6.5), the read is a plain pread().
 * O_DIRECT reads are coherent with the page cache (dirty pages are
 * written first), so either way the bytes are the file's; the caller
 * checks them against the chunk id as always.
 */
#ifndef DFS_FUSE_CHUNK_FILE_H
#define DFS_FUSE_CHUNK_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "chunk_cache.h"

/* Smaller files are always read through the page cache: the saving is
 * small and their buffers are not aligned (chunk_cache.h). */
#define CHUNK_FILE_DIRECT_MIN CHUNK_DATA_LARGE

/* All size bytes of the open regular file fd (its size, from fstat) into
 * a new chunk_data (one reference) in *out; with O_DIRECT only when
 * `direct` allows it.  0, or -ENOMEM, -EBADMSG when the file is shorter
 * than size, or pread's -errno.  fd must be this caller's own open file
 * description: its flags change for the read. */
int chunk_file_read(int fd, size_t size, bool direct, struct chunk_data **out);

#endif
