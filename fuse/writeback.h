/*
 * writeback.h - files kept open with writes not yet committed are flushed
 * (uploaded and committed, as close() does) once they have been dirty for
 * writeback_s seconds.
 *
 * Why: mount.dfs commits at close() and fsync() only.  A program that
 * keeps a file open for long (a log being appended, a database) would
 * otherwise leave its data in no file's chunk map for as long as it runs:
 * lost if mount.dfs dies, and, for the chunks it has already uploaded,
 * taken for garbage by the master once its grace runs out (master/gc.h).
 * Like the kernel's own dirty_expire for local files: written data
 * reaches the cluster within writeback_s (30 by default) plus the time to
 * upload it.  One thread looks at the open files every second.
 */
#ifndef DFS_FUSE_WRITEBACK_H
#define DFS_FUSE_WRITEBACK_H

#include "open_table.h"

struct writeback;

/* after_s <= 0: no thread, nothing is flushed early (returns NULL). */
struct writeback *writeback_start(struct open_table *open, long after_s);
/* NULL accepted. */
void writeback_stop(struct writeback *w);

#endif
