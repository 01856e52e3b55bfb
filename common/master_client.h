/*
 * master_client.h - typed calls to dfs-master, for mount.dfs and dfs(1).
 *
 * Each function is one round trip (POST /v1/fs/<op> or a /v1/cluster GET)
 * and returns 0 or -errno: the master's error name mapped back to errno
 * (-ENOENT, -EEXIST, -ENOTEMPTY...), or -EIO when the master could not be
 * reached within the retry window.  Transport failures (connection
 * refused, reset, timeout, 5xx) are retried with backoff for retry_ms, so
 * a restarted master is picked up again without a remount and a dead one
 * yields -EIO in bounded time.  Thread-safe.
 */
#ifndef DFS_MASTER_CLIENT_H
#define DFS_MASTER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "http_client.h"
#include "meta_wire.h"

struct master_client;

/* hostport of the master; http is shared (not owned). */
struct master_client *master_client_new(struct http_client *http,
                                        const char *hostport, long retry_ms);
void master_client_free(struct master_client *mc);
/* Name this client in every call (DFS_CLIENT_HEADER, at most 64
 * characters): the master's directory leases are held by that name.
 * Set before the client is shared between threads. */
void master_client_set_id(struct master_client *mc, const char *id);

struct dfs_cluster_info {
    uint32_t chunk_size;
    uint32_t replication;
};

struct dfs_statfs {
    uint64_t total;  /* bytes, raw capacity / replication */
    uint64_t avail;  /* bytes, raw free / replication */
    uint64_t files;  /* inodes in use */
};

int master_cluster_info(struct master_client *mc, struct dfs_cluster_info *out);

int master_lookup(struct master_client *mc, uint64_t parent, const char *name,
                  struct dfs_attr *out);
int master_getattr(struct master_client *mc, uint64_t ino,
                   struct dfs_attr *out);
int master_setattr(struct master_client *mc, uint64_t ino,
                   const struct dfs_setattr *set, struct dfs_attr *out);
/* Regular files (S_IFREG), fifos, sockets, devices: mode has the type. */
int master_mknod(struct master_client *mc, uint64_t parent, const char *name,
                 uint32_t mode, uint32_t uid, uint32_t gid, uint64_t rdev,
                 struct dfs_attr *out);
int master_mkdir(struct master_client *mc, uint64_t parent, const char *name,
                 uint32_t mode, uint32_t uid, uint32_t gid,
                 struct dfs_attr *out);
int master_symlink(struct master_client *mc, uint64_t parent, const char *name,
                   const char *target, uint32_t uid, uint32_t gid,
                   struct dfs_attr *out);
/* *target malloc'd. */
int master_readlink(struct master_client *mc, uint64_t ino, char **target);
int master_link(struct master_client *mc, uint64_t ino, uint64_t newparent,
                const char *newname, struct dfs_attr *out);
/* The directories an unlink, rmdir or rename changed, as the master saw
 * them just after (n is 0 from a master that does not say). */
struct dfs_changed_dirs {
    struct dfs_attr attr[2];
    size_t n;
};

/* dirs may be NULL. */
int master_unlink(struct master_client *mc, uint64_t parent, const char *name,
                  struct dfs_changed_dirs *dirs);
int master_rmdir(struct master_client *mc, uint64_t parent, const char *name,
                 struct dfs_changed_dirs *dirs);
/* flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE (linux/fs.h values). */
int master_rename(struct master_client *mc, uint64_t parent, const char *name,
                  uint64_t newparent, const char *newname, unsigned flags,
                  struct dfs_changed_dirs *dirs);

/* Entries after cookie (0 = from the start), at most limit of them, with
 * attributes.  *ents malloc'd (free()).  *eof when none follow. */
int master_readdir(struct master_client *mc, uint64_t ino, uint64_t cookie,
                   uint32_t limit, struct dfs_dirent **ents, size_t *n,
                   bool *eof);

/* The file's size and chunks with live replica addresses in placement
 * order.  Free with meta_chunk_map_free. */
int master_chunks(struct master_client *mc, uint64_t ino,
                  struct dfs_chunk_map *out);

/* Set the file's size to `size` exactly, drop chunks at or past
 * ceil(size/chunk_size), and put the given chunks in place, in one
 * transaction; mtime/ctime become now.  *out is the new attr. */
int master_commit(struct master_client *mc, uint64_t ino, uint64_t size,
                  const struct dfs_chunk_ref *chunks, size_t n,
                  struct dfs_attr *out);

/* Live chunk servers.  *nodes malloc'd. */
int master_nodes(struct master_client *mc, struct dfs_node **nodes, size_t *n);

int master_statfs(struct master_client *mc, struct dfs_statfs *out);

/* The raw status document (for dfs status). */
int master_status(struct master_client *mc, json_object **out);
/* Start (on) or stop draining the chunk server `which` names (its id, an
 * id prefix of 4+ characters, or its address); *out is that server.
 * -ENOENT no such server, -EINVAL the prefix matches several. */
int master_drain(struct master_client *mc, const char *which, bool on,
                 struct dfs_node *out);

/* Reserve count inode numbers for creates made without asking first
 * (master_mknod_op): *got of them from *first on. */
int master_reserve(struct master_client *mc, uint32_t count, uint64_t *first,
                   uint32_t *got);
/* Give back the unused rest of the range reserved from first on. */
int master_release(struct master_client *mc, uint64_t first);

/* ---- batches ---- */

/* Several ops in one round trip (POST /v1/fs/batch), applied by the
 * master in order, each on its own.  ops is an array of objects
 * {"op": "setattr", ...the op's fields} and is consumed.  0 and *results
 * (caller puts): one reply or error object per op; -ENOSYS from a master
 * without batches; else -errno as for any call.  Piggybacked ops (below)
 * go ahead of them, as with every call. */
int master_batch(struct master_client *mc, json_object *ops,
                 json_object **results);
/* One result of a batch: 0, or -errno from its error object. */
int master_batch_errno(json_object *result);
/* The {"op": ...} objects of batch ops. */
json_object *master_setattr_op(uint64_t ino, const struct dfs_setattr *set);
/* A regular file, fifo... made with a reserved inode number and times. */
json_object *master_mknod_op(uint64_t parent, const char *name, uint32_t mode,
                             uint32_t uid, uint32_t gid, uint64_t ino,
                             int64_t time_ns);
json_object *master_rename_op(uint64_t parent, const char *name,
                              uint64_t newparent, const char *newname,
                              unsigned flags);

/* Directory leases (master/leases.h): take or renew dir's lease; 0 and
 * *ms it runs from when the master answered, -EBUSY when another client
 * holds it (or this one was asked to give it up). */
int master_lease(struct master_client *mc, uint64_t dir, int64_t *ms);
/* held: a renewal (or a reclaim after the master restarted). */
json_object *master_lease_op(uint64_t dir, bool held);
json_object *master_unlease_op(uint64_t dir);
/* A lease op's result: 0 and *ms, or -errno. */
int master_lease_result(json_object *result, int64_t *ms);

/* Changes the caller has already answered for (mount.dfs's attribute
 * changes, fuse/setattr_behind.h) ride to the master ahead of the next
 * call of this client, in the same round trip.  Before every call,
 * take(arg) returns the queued ops as an array for master_batch
 * (ownership passes), or NULL when there are none; done(arg, results,
 * rc) then always follows, with the array of their results in order
 * (borrowed), or NULL and the error when the batch did not go through;
 * the ops are then the caller's to send again. */
struct master_piggyback {
    json_object *(*take)(void *arg);
    void (*done)(void *arg, json_object *results, int rc);
    void *arg;
};
/* Set before the client is shared between threads. */
void master_client_set_piggyback(struct master_client *mc,
                                 const struct master_piggyback *pb);

#endif
