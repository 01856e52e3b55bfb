/*
 * open_table.h - which files this mount has open, by inode.
 *
 * getattr must not report the master's (older) size for a file we are
 * writing, or the kernel would shrink it under the writer; truncate and
 * setattr must flush our buffered writes first and refresh our handles'
 * chunk maps afterwards.  Both need every open handle of an inode.
 */
#ifndef DFS_FUSE_OPEN_TABLE_H
#define DFS_FUSE_OPEN_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "file_handle.h"

struct open_table;

struct open_table *open_table_new(void);
void open_table_free(struct open_table *t);

void open_table_add(struct open_table *t, struct dfs_file *fh);
void open_table_remove(struct open_table *t, struct dfs_file *fh);

/* The largest size of an open handle with uncommitted writes, if any. */
bool open_table_dirty_size(struct open_table *t, uint64_t ino, uint64_t *size);

/* fn on every open handle of ino, under the table lock (fn may lock the
 * handle, never the table).  Stops at and returns the first error. */
int open_table_each(struct open_table *t, uint64_t ino,
                    int (*fn)(struct dfs_file *fh, void *arg), void *arg);

#endif
