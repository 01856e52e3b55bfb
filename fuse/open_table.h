/*
 * open_table.h - which files this mount has open, by inode.
 *
 * getattr must not report the master's (older) size for a file we are
 * writing, or the kernel would shrink it under the writer; truncate and
 * setattr must flush our buffered writes first and refresh our handles'
 * chunk maps afterwards.  Both need every open handle of an inode.
 *
 * It also remembers files that lost their last name while open here
 * (ops_ns.c hides them under a temporary name instead, as NFS clients
 * do): when the last handle goes, the caller removes that name.
 */
#ifndef DFS_FUSE_OPEN_TABLE_H
#define DFS_FUSE_OPEN_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "file_handle.h"
#include "wire.h"

/* A file kept alive under a hidden name until its last close. */
struct open_hidden {
    uint64_t parent;
    char name[DFS_NAME_MAX + 1];
};

struct open_table;

struct open_table *open_table_new(void);
void open_table_free(struct open_table *t);

void open_table_add(struct open_table *t, struct dfs_file *fh);
/* Remove fh.  True when it was the last handle of a hidden file: *out
 * then names what to unlink. */
bool open_table_remove(struct open_table *t, struct dfs_file *fh,
                       struct open_hidden *out);

/* Any handle open at all / of ino? */
bool open_table_empty(struct open_table *t);
bool open_table_has(struct open_table *t, uint64_t ino);
/* ino, open here, now lives on as h->parent/h->name.  False when no
 * handle of ino is open any more (the caller unlinks that name now) or
 * on ENOMEM (likewise). */
bool open_table_hide(struct open_table *t, uint64_t ino,
                     const struct open_hidden *h);

/* The largest size of an open handle with uncommitted writes, if any. */
bool open_table_dirty_size(struct open_table *t, uint64_t ino, uint64_t *size);

/* fn on every open handle of ino, under the table lock (fn may lock the
 * handle, never the table).  Stops at and returns the first error. */
int open_table_each(struct open_table *t, uint64_t ino,
                    int (*fn)(struct dfs_file *fh, void *arg), void *arg);
/* Likewise on every open handle of every inode. */
int open_table_each_all(struct open_table *t,
                        int (*fn)(struct dfs_file *fh, void *arg), void *arg);

#endif
