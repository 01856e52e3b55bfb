/*
 * chunk_layout.h - where chunks live under a store's chunks/ directory.
 *
 *   chunks/ab/<id>    ab = the id's first two hex digits
 *
 * One level of 256 directories, all made when the store opens, so a put
 * never creates a directory: that was two more inodes, a mkdir and a
 * failed link for most small files, and a directory fsync for each.  A
 * directory per 256th of the chunks keeps them small enough (a server
 * with 4 million chunks has 16k per directory; ext4 and xfs index them).
 *
 * Stores written before this layout kept chunks/ab/cd/<id>;
 * chunk_layout_prepare moves such chunks up one level, once.
 *
 * chunks/ is flagged as the top of a hierarchy for ext4 (chattr +T), so
 * the 256 directories, and the inodes of the chunks made in them, are
 * spread over the disk's block groups (chunk_layout.c says why).
 */
#ifndef DFS_CHUNKD_CHUNK_LAYOUT_H
#define DFS_CHUNKD_CHUNK_LAYOUT_H

#include <limits.h>
#include <stddef.h>

#define CHUNK_LAYOUT_DIR_MODE 0755

/* chunks/ab and chunks/ab/<id> of a valid id. */
void chunk_layout_dir(const char *chunks_dir, const char *id,
                      char out[PATH_MAX]);
void chunk_layout_path(const char *chunks_dir, const char *id,
                       char out[PATH_MAX]);

/* Make the 256 directories that are missing (durably) and move chunks of
 * the old two-level layout into them.  0, or -errno with err set. */
int chunk_layout_prepare(const char *chunks_dir, char *err, size_t errlen);

/* Call fn for every chunk id found; stops and returns fn's value if it is
 * non-zero.  Files that are not chunk ids, or sit in the wrong directory,
 * are ignored. */
int chunk_layout_walk(const char *chunks_dir,
                      int (*fn)(const char *id, void *ctx), void *ctx);

#endif
