/*
 * meta.h - the master's metadata store: namespace, chunk map, node registry.
 *
 * Everything the master knows lives behind these meta_* functions over an
 * opaque struct meta, so the HTTP layer never sees SQL and another engine
 * (PostgreSQL for a highly available master) can be added later by
 * providing the same functions.  The one engine today is SQLite
 * (meta_sqlite.c, namespace.c, chunk_map.c, nodes.c).
 *
 * Conventions: every function returns 0 or -errno with POSIX meaning
 * (-ENOENT, -EEXIST, -ENOTEMPTY, ...), ready to be sent as the wire error;
 * -EIO means the store itself failed (logged).  Every mutating call is one
 * transaction: it happens entirely or not at all, and once it returns 0 it
 * survives a crash of the process.  All functions are thread-safe.
 */
#ifndef DFS_MASTER_META_H
#define DFS_MASTER_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta_wire.h"

struct meta;

/* Fixed when the store is formatted; later opens keep the stored values. */
struct meta_format {
    uint32_t chunk_size;
    uint32_t replication;
};

/* Open the store at path, creating and formatting it (root directory,
 * inode 1, 0755 root:root) when it is new.  A corrupt or foreign file is
 * an error naming the file. */
int meta_open(const char *path, const struct meta_format *fmt,
              struct meta **out, char *err, size_t errlen);
void meta_close(struct meta *m);

uint32_t meta_chunk_size(const struct meta *m);
uint32_t meta_replication(const struct meta *m);

/* Node liveness: a node is alive while now - last heartbeat < dead_after.
 * The clock (CLOCK_REALTIME milliseconds by default) is injectable so
 * tests can move time. */
typedef int64_t (*meta_clock_fn)(void *arg);
void meta_set_clock(struct meta *m, meta_clock_fn now_ms, void *arg);
void meta_set_dead_after_ms(struct meta *m, int64_t ms);
/* Now on that clock. */
int64_t meta_time_ms(struct meta *m);
/* true once after the store saw something that may leave chunks with
 * fewer live copies than the factor (a commit naming fewer nodes, a chunk
 * report replacing a node's list), and once after opening. */
bool meta_weak_hint_take(struct meta *m);
/* A number that changes whenever the chunks files refer to, or the nodes
 * holding their copies, may have changed (not on heartbeats): what was
 * worked out from them is still right while it stays the same. */
uint64_t meta_placement_version(struct meta *m);

/* Several changes in one transaction (one write of the log instead of
 * one per change), each still on its own: between meta_batch_begin and
 * meta_batch_end the calling thread's changes are savepoints, so one
 * that fails is undone alone and the others stand.  meta_batch_end
 * commits them all: 0, or -errno when nothing was kept (the store
 * refused the commit, or undid the whole transaction itself, as SQLite
 * does on a full disk or an I/O error).  The store is held for the whole
 * batch.  No nesting. */
int meta_batch_begin(struct meta *m);
int meta_batch_end(struct meta *m);

/* Hold the store: no other thread's call runs until meta_let_go (this
 * thread's do; holds nest).  For a check made outside the store that
 * must stay true until a change is made: a directory lease
 * (leases.h). */
void meta_hold(struct meta *m);
void meta_let_go(struct meta *m);

/* ---- namespace (namespace.c) ---- */

int meta_lookup(struct meta *m, uint64_t parent, const char *name,
                struct dfs_attr *out);
int meta_getattr(struct meta *m, uint64_t ino, struct dfs_attr *out);
int meta_setattr(struct meta *m, uint64_t ino, const struct dfs_setattr *s,
                 struct dfs_attr *out);
/* What a new name and its inode are made of.  ino 0: the next free
 * number; else one from a range meta_ino_reserve handed out and not used
 * yet (-EINVAL otherwise), and a create that finds the name already made
 * with that very number succeeds again (a client resending it).  time_ns
 * 0: now; else the inode's atime, mtime and ctime. */
struct meta_new_inode {
    const char *name;
    uint32_t mode, uid, gid;
    uint64_t rdev;
    const char *target; /* symlinks */
    uint64_t ino;
    int64_t time_ns;
};

/* n->mode carries the type (S_IFREG if none; not a directory or
 * symlink); n->target is ignored. */
int meta_mknod(struct meta *m, uint64_t parent, const struct meta_new_inode *n,
               struct dfs_attr *out);
int meta_mkdir(struct meta *m, uint64_t parent, const char *name, uint32_t mode,
               uint32_t uid, uint32_t gid, struct dfs_attr *out);
int meta_symlink(struct meta *m, uint64_t parent, const char *name,
                 const char *target, uint32_t uid, uint32_t gid,
                 struct dfs_attr *out);
/* *target malloc'd. */
int meta_readlink(struct meta *m, uint64_t ino, char **target);
int meta_link(struct meta *m, uint64_t ino, uint64_t newparent,
              const char *newname, struct dfs_attr *out);
int meta_unlink(struct meta *m, uint64_t parent, const char *name);
int meta_rmdir(struct meta *m, uint64_t parent, const char *name);
/* flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE (linux/fs.h values). */
int meta_rename(struct meta *m, uint64_t parent, const char *name,
                uint64_t newparent, const char *newname, unsigned flags);
/* Entries of directory ino after cookie (0 = start), at most limit.
 * *ents malloc'd (free()); *eof when no entry follows. */
int meta_readdir(struct meta *m, uint64_t ino, uint64_t cookie, uint32_t limit,
                 struct dfs_dirent **ents, size_t *n, bool *eof);

/* ---- garbage: copies of chunks no file refers to (garbage.c) ---- */

struct meta_replica {
    char chunk_id[CHUNK_ID_STRLEN];
    char node_id[PLACEMENT_NODE_ID_MAX + 1];
};
/* Up to max counted copies of chunks no file refers to, in (chunk id,
 * node id) order, from the one after `after` (NULL: from the first), so
 * a caller can read them a page at a time without holding the store
 * meanwhile.  *out malloc'd (free()). */
int meta_unreferenced(struct meta *m, const struct meta_replica *after,
                      size_t max, struct meta_replica **out, size_t *n);
/* Stop counting node_id's copy of chunk id if still no file refers to
 * it: 1 when forgotten (the copy may now be deleted), 0 when a file
 * refers to the chunk again or the copy was not counted. */
int meta_unreferenced_forget(struct meta *m, const char *id,
                             const char *node_id);

/* ---- inode numbers handed out ahead (ino_ranges.c) ---- */

/* Most numbers one reservation may take. */
#define META_INO_RESERVE_MAX 65536

/* Take count (1..META_INO_RESERVE_MAX) inode numbers no inode has had or
 * will be given by this master, for a client to create files with
 * (meta_new_inode.ino) without asking first; *first is the lowest.  The
 * range is durable like any change: a restarted master honours it. */
int meta_ino_reserve(struct meta *m, uint32_t count, uint64_t *first);
/* The client is done with the range starting at first: its unused
 * numbers are never given out.  0 also when there is no such range. */
int meta_ino_release(struct meta *m, uint64_t first);
/* Inside a transaction: use reserved number ino, and every lower unused
 * one of its range with it (numbers are used in increasing order).
 * -EINVAL when ino is in no range or was used already. */
int meta_ino_take(struct meta *m, uint64_t ino);

/* ---- chunk map (chunk_map.c) ---- */

/* Size and chunks of a regular file; each chunk's replicas are the live
 * nodes holding it, in placement order.  Free with meta_chunk_map_free. */
int meta_chunks(struct meta *m, uint64_t ino, struct dfs_chunk_map *out);
/* Set size exactly, drop chunks at or past ceil(size/chunk_size), put the
 * given chunks in place and record their replicas; mtime = ctime = now. */
int meta_commit(struct meta *m, uint64_t ino, uint64_t size,
                const struct dfs_chunk_ref *chunks, size_t n,
                struct dfs_attr *out);

/* ---- node registry (nodes.c) ---- */

/* true if id is 1..PLACEMENT_NODE_ID_MAX characters of [0-9a-zA-Z_-]. */
bool meta_node_id_valid(const char *id);

/* Register or refresh a node (id, addr, zone, capacity, free,
 * chunk_count of n; n->alive is ignored).  Logs first sight and return. */
int meta_node_heartbeat(struct meta *m, const struct dfs_node *n);
/* The node holds exactly these chunks: replace its replica records. */
int meta_node_report(struct meta *m, const char *node_id,
                     const char (*ids)[CHUNK_ID_STRLEN], size_t n);
/* The node now also holds these chunks (copies it made on command). */
int meta_node_added(struct meta *m, const char *node_id,
                    const char (*ids)[CHUNK_ID_STRLEN], size_t n);
/* Nodes (all, or only live ones) sorted by id, with alive set.
 * *out malloc'd (free()). */
int meta_nodes(struct meta *m, bool all, struct dfs_node **out, size_t *n);
/* Start (on) or stop draining the node `which` names: its id, a prefix of
 * at least 4 characters of one id, or its address.  A draining node takes
 * no new chunk and its copies do not count towards the replication
 * factor, so repair copies its chunks elsewhere (meta_weak_chunks).
 * *out is the node.  -ENOENT no such node, -EINVAL several match. */
int meta_node_drain(struct meta *m, const char *which, bool on,
                    struct dfs_node *out);
/* Log nodes that went silent since the last sweep (run periodically). */
int meta_nodes_sweep(struct meta *m);

struct meta_statfs {
    uint64_t total, avail; /* bytes over live nodes / replication */
    uint64_t files;        /* inodes */
};
int meta_statfs(struct meta *m, struct meta_statfs *out);

struct meta_counts {
    uint64_t files;            /* inodes */
    uint64_t chunks;           /* distinct chunks referenced by files */
    uint64_t under_replicated; /* of those, with < replication live copies */
};
/* Reads every chunk row, a page at a time (as meta_node_loads). */
int meta_counts(struct meta *m, struct meta_counts *out);

/* A chunk some file refers to, with the live nodes that hold it. */
struct meta_chunk_holders {
    char id[CHUNK_ID_STRLEN];
    size_t ngood;    /* live holders that are not draining */
    size_t nholders; /* live holders, draining ones too (copy sources) */
    char holders[DFS_MAX_REPLICAS][PLACEMENT_NODE_ID_MAX + 1];
};
/* Up to max weak chunks into out: fewer live copies than the replication
 * factor on nodes that are not draining; fewest first (a chunk with none,
 * lost until a holder returns, comes first).  Scans every referenced
 * chunk (a page at a time, as meta_node_loads): run it when something
 * changed, not on every request. */
int meta_weak_chunks(struct meta *m, struct meta_chunk_holders *out, size_t max,
                     size_t *n);
/* Likewise, the chunks with more counted copies than the factor (a dead
 * node came back, a drain was stopped). */
int meta_surplus_chunks(struct meta *m, struct meta_chunk_holders *out,
                        size_t max, size_t *n);
/* The copies of referenced chunks each node holds, for every node with
 * any: ids[i] holds counts[i].  *ids and *counts malloc'd.  Reads every
 * copy, META_LOADS_PAGE chunks at a time with the store free for other
 * calls in between, so the counts are not one snapshot. */
#define META_LOADS_PAGE 4096
int meta_node_loads(struct meta *m, char (**ids)[PLACEMENT_NODE_ID_MAX + 1],
                    uint64_t **counts, size_t *n);
/* Up to max referenced chunks node `from` holds and node `to` does not. */
int meta_movable_chunks(struct meta *m, const char *from, const char *to,
                        char (*ids)[CHUNK_ID_STRLEN], size_t max, size_t *n);
/* Stop counting the node's copy of chunk id, if the chunk has more
 * counted copies than the factor (the node is then told to delete it):
 * 1 done, 0 left alone (no longer a copy too many), or -errno. */
int meta_node_trim(struct meta *m, const char *node_id, const char *id);

#endif
