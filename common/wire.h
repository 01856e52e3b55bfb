/*
 * wire.h - the names on the wire: HTTP paths, JSON keys, limits.
 *
 * Every string that crosses a socket between dfs programs is spelled here
 * once, so a reader can see the whole protocol in one screen and a rename
 * cannot leave one side behind.  docs/wire.md describes the bodies.
 *
 * Master (JSON in, JSON out; every request is POST unless noted):
 *   fs ops:   DFS_PATH_FS "<op>"  op = lookup getattr setattr mknod mkdir
 *             symlink readlink link unlink rmdir rename readdir chunks commit
 *   cluster:  GET  /v1/cluster/info    chunk size, replication factor
 *             GET  /v1/cluster/nodes   live chunk servers (for placement)
 *             GET  /v1/cluster/statfs  capacity as df(1) should see it
 *             GET  /v1/cluster/status  everything `dfs status` prints
 *   nodes:    POST /v1/node/heartbeat  chunk server -> master
 *             POST /v1/node/report     chunk server -> master, full list
 * Chunk server:
 *             PUT/GET/HEAD/DELETE /v1/chunk/<64 hex id>  (PUT ?sync=1)
 *             POST /v1/sync     {"chunks":[id...]} fsync those now
 *             GET  /v1/status   counts and space
 * Errors from either: HTTP 4xx/5xx with {"error":"ENOENT","message":"..."}.
 */
#ifndef DFS_WIRE_H
#define DFS_WIRE_H

#define DFS_API_PREFIX "/v1/"

/* master: namespace operations, POST DFS_PATH_FS "lookup" etc. */
#define DFS_PATH_FS "/v1/fs/"
#define DFS_PATH_CLUSTER_INFO "/v1/cluster/info"
#define DFS_PATH_CLUSTER_NODES "/v1/cluster/nodes"
#define DFS_PATH_CLUSTER_STATFS "/v1/cluster/statfs"
#define DFS_PATH_CLUSTER_STATUS "/v1/cluster/status"
#define DFS_PATH_CLUSTER_DRAIN "/v1/cluster/drain"
#define DFS_PATH_NODE_HEARTBEAT "/v1/node/heartbeat"
#define DFS_PATH_NODE_REPORT "/v1/node/report"

/* chunk server */
#define DFS_PATH_CHUNK "/v1/chunk/" /* followed by the 64-hex id */
#define DFS_PATH_SYNC "/v1/sync"
#define DFS_PATH_STATUS "/v1/status"
#define DFS_QUERY_SYNC "sync" /* PUT ...?sync=1: fsync before replying */

/* JSON keys: attributes */
#define K_INO "ino"
#define K_MODE "mode" /* full st_mode: type bits | permission bits */
#define K_UID "uid"
#define K_GID "gid"
#define K_SIZE "size"
#define K_NLINK "nlink"
#define K_RDEV "rdev"
#define K_ATIME "atime_ns" /* nanoseconds since the epoch, int64 */
#define K_MTIME "mtime_ns"
#define K_CTIME "ctime_ns"
#define K_ATTR "attr"
/* unlink, rmdir, rename: the directories they changed, as they are now */
#define K_DIRS "dirs"

/* JSON keys: requests */
#define K_PARENT "parent"
#define K_NAME "name"
#define K_NEWPARENT "newparent"
#define K_NEWNAME "newname"
#define K_FLAGS "flags"
#define K_TARGET "target"
#define K_COOKIE "cookie" /* readdir position: 0 = start */
#define K_LIMIT "limit"
#define K_ENTRIES "entries"
#define K_EOF "eof"
#define K_SET "set" /* setattr: which fields to set, bitmask DFS_SET_* */
/* mknod of a reserved inode number: K_INO, and the times it starts with */
#define K_TIME "time_ns"
/* reserve / release: a range of inode numbers */
#define K_COUNT "count"
#define K_FIRST "first"

/* JSON keys: chunks and nodes */
#define K_CHUNKS "chunks"
#define K_CHUNK_SIZE "chunk_size"
#define K_REPLICATION "replication"
#define K_INDEX "index"
#define K_ID "id"
#define K_LEN "len"
#define K_NODES "nodes" /* node ids holding a chunk (commit) */
#define K_REPLICAS "replicas" /* node addresses, placement order (map) */
#define K_NODE_ID "node_id"
#define K_ADDR "addr"
#define K_ZONE "zone"
#define K_CAPACITY "capacity" /* bytes */
#define K_FREE "free" /* bytes */
#define K_CHUNK_COUNT "chunk_count"
#define K_ALIVE "alive"
#define K_DRAINING "draining" /* node: being emptied (dfs drain) */
#define K_NODE "node"         /* drain: node id, id prefix or address */
#define K_DRAIN "drain"       /* drain: true to start, false to stop */
#define K_COMMANDS "commands"
#define K_OP "op"
#define K_OPS "ops"         /* batch: the ops, each {"op": name, ...} */
#define K_RESULTS "results" /* batch: each op's reply or error object */
#define K_FROM "from"
/* lease: the client held this lease before (a reclaim after a restart) */
#define K_HELD "held"
/* lease: how long the lease runs from when the master answered */
#define K_MS "ms"
/* heartbeat: chunks this node stored on a copy command since its last
 * answered beat */
#define K_ADDED "added"
/* heartbeat: chunks this node failed to copy, likewise */
#define K_FAILED "failed"
#define K_TOTAL "total"
#define K_AVAIL "avail"
#define K_FILES "files"
#define K_UNDER_REPLICATED "under_replicated"

/* JSON keys: errors */
#define K_ERROR "error" /* errno name, e.g. "ENOENT" */
#define K_MESSAGE "message"

/* setattr bitmask (K_SET) */
#define DFS_SET_MODE (1u << 0)
#define DFS_SET_UID (1u << 1)
#define DFS_SET_GID (1u << 2)
#define DFS_SET_SIZE (1u << 3)
#define DFS_SET_ATIME (1u << 4)
#define DFS_SET_MTIME (1u << 5)
#define DFS_SET_ATIME_NOW (1u << 6)
#define DFS_SET_MTIME_NOW (1u << 7)

/* Limits that both sides enforce. */
#define DFS_CHUNK_SIZE_DEFAULT (4u * 1024 * 1024)
#define DFS_REPLICATION_DEFAULT 3
#define DFS_JSON_BODY_MAX (1u * 1024 * 1024)
/* A chunk server's full report: ~250k ids (1 TiB of chunks). */
#define DFS_REPORT_BODY_MAX (16u * 1024 * 1024)
/* Replies from dfs servers (a chunk map of a large file): ~300k chunks. */
#define DFS_JSON_REPLY_MAX (64u * 1024 * 1024)
#define DFS_NAME_MAX 255
#define DFS_SYMLINK_MAX 4095
#define DFS_READDIR_LIMIT_MAX 1024
/* ops in one POST /v1/fs/batch */
#define DFS_BATCH_MAX 256
/* ids in one heartbeat's K_ADDED, and in its K_FAILED */
#define DFS_ADDED_MAX 1024

/* Heartbeat reply commands ({"op": ..., ...} in K_COMMANDS). */
/* Fetch chunk K_ID from the chunk server at K_FROM ("host:port"), check
 * it against its id, store it durably, list it in the next K_ADDED. */
#define DFS_CMD_COPY "copy"
/* Delete the node's copy of chunk K_ID: the master holds enough others
 * and has stopped counting this one; or, with K_MIN_AGE, no file refers
 * to it (garbage), and the node keeps it if it was stored or put again
 * within that many milliseconds. */
#define DFS_CMD_DELETE "delete"
#define K_MIN_AGE "min_age_ms"

/* HTTP header carrying the request signature (see auth.h). */
#define DFS_AUTH_HEADER "X-Dfs-Auth"
/* HTTP header of a whole-chunk GET reply: the chunk's fast checksum as
 * the server computed it when it verified the id (see chunk_check.h). */
#define DFS_CHECK_HEADER "X-Dfs-Check"
/* HTTP header naming the calling client (a mount), chosen at random when
 * it starts: who holds a directory lease (master/leases.h). */
#define DFS_CLIENT_HEADER "X-Dfs-Client"
/* How long a directory lease runs unless renewed. */
#define DFS_LEASE_TERM_MS 2000

#endif
