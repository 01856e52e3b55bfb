/*
 * dfs_mount.h - the state of one mount, shared by every FUSE handler.
 *
 * Built once in main.c before the session starts and passed to the
 * low-level ops as the session's userdata; read-only afterwards except
 * through the thread-safe modules it points to.
 */
#ifndef DFS_FUSE_MOUNT_H
#define DFS_FUSE_MOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "http_client.h"
#include "master_client.h"

struct attr_cache;
struct chunk_cache;
struct dir_cache;
struct dir_lease;
struct fuse_session;
struct kernel_cache;
struct local_read;
struct node_cache;
struct open_table;
struct writeback;

struct dfs_mount {
    struct master_client *mc;
    struct http_client *http;
    uint32_t chunk_size;
    uint32_t replication;
    double attr_timeout, entry_timeout;
    long retry_ms;
    bool writeback_cache;
    bool create_behind; /* creates ride ahead of the commit (-o) */
    bool verify_strict; /* chunks read are checked by id, not checksum */
    unsigned read_ahead_kb; /* asked of the kernel at INIT; 0: its own */
    struct chunk_cache *cache;
    struct kernel_cache *kcache; /* NULL: keep_cache=false */
    struct fuse_session *se;      /* for notifications to the kernel */
    struct local_read *local; /* chunk files from servers on this host */
    struct node_cache *nodes;
    struct open_table *open;
    struct attr_cache *attrs;
    struct dir_cache *dirs; /* names of directories known whole */
    struct dir_lease *leases; /* directories only we change; NULL: off */
    /* attribute changes answered, on their way to the master (NULL until
     * the session runs); behind_mc is the client its thread sends with */
    struct setattr_behind *behind;
    struct master_client *behind_mc;
    struct writeback *writeback; /* NULL until the session runs, or off */
    int prefetches; /* background fetches running (atomic) */
};

/* Forget the attributes of ino held here and in the kernel, so that the
 * next getattr asks the master (ops.c). */
void dfs_mount_forget_attrs(struct dfs_mount *m, uint64_t ino);

#endif
