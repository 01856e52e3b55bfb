/*
 * gc.h - garbage collection: the copies of chunks no file refers to any
 * more are deleted, so removing or rewriting files gives the space back.
 *
 * gc_run (a periodic job) asks the store, every GC_SCAN_MS or a quarter of
 * the grace if that is shorter, for the copies of chunks no file refers
 * to (meta_unreferenced, GC_PAGE at a time so other calls get the store
 * in between, at most GC_TRACK_MAX).  That reads every copy,
 * so it happens only while something may have become garbage (the
 * store's placement version moved: files' chunks or servers' copies
 * changed), while earlier garbage waits out its grace, and every
 * GC_RESCAN_MS regardless.  It remembers since when
 * each such chunk has been seen, scan after scan.  Once a chunk has been
 * unreferenced for the whole grace period (dfs-master --gc-grace-ms), each
 * of its copies is forgotten (meta_unreferenced_forget, which checks
 * again in the same statement, so a commit that has just referred to it
 * keeps it) and a "delete" command with the grace as min_age_ms is queued
 * for its holder.
 *
 * Why a grace, and why the servers check it too: a writer uploads chunks
 * before it commits them (at close, fsync, or mount.dfs's writeback of a
 * file kept open, -o writeback_s), and an upload of a chunk a server
 * already holds stores nothing, so the master cannot tell garbage from a
 * chunk about to be referred to.  The chunk server keeps a copy that was
 * stored or put again within the grace (chunk_store_delete_unused), and
 * writers commit far sooner than the grace (an hour by default).  A copy
 * a server keeps comes back in its next report and is looked at again;
 * so does one whose command was lost.
 *
 * Commands ride on heartbeat replies, like repair's: gc_commands, at most
 * GC_PER_BEAT per server per heartbeat; an order not taken within
 * GC_ORDER_TTL_MS (its server is dead) is dropped.
 *
 * Thread-safe (one mutex, never held across a store call).
 */
#ifndef DFS_MASTER_GC_H
#define DFS_MASTER_GC_H

#include <json-c/json.h>
#include <stdint.h>

#include "meta.h"

#define GC_SCAN_MS 60000
#define GC_RESCAN_MS 600000
#define GC_TRACK_MAX 65536
#define GC_PAGE 1024
#define GC_PER_BEAT 64
#define GC_ORDERS_MAX 4096
#define GC_ORDER_TTL_MS 300000

struct gc;

/* grace_ms <= 0: nothing is ever collected.  NULL on allocation failure.
 * m must outlive the gc. */
struct gc *gc_new(struct meta *m, int64_t grace_ms);
void gc_free(struct gc *g);

/* Scan when due and queue the deletions whose grace is over.  0 or
 * -errno. */
int gc_run(struct gc *g);

/* Append the deletions for node_id to the JSON array cmds. */
void gc_commands(struct gc *g, const char *node_id, json_object *cmds);

/* Copies forgotten and queued for deletion so far (status, tests). */
uint64_t gc_deleted(struct gc *g);

#endif
