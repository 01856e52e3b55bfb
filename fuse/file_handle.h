/*
 * file_handle.h - the state of one open file, and what a handle does.
 *
 * A handle holds the file's chunk map (close-to-open consistency: never
 * older than the open): fetched at the open when the open needs it to
 * decide whether the kernel keeps its cached pages of the file
 * (kernel_cache.h), otherwise at its first read or write, since many
 * opens never read.  It buffers writes for one chunk at a time.  A full
 * chunk, or the buffered one at flush/fsync, is sealed: hashed and
 * uploaded by a background thread while the application fills the next
 * chunk, with at most FH_MAX_INFLIGHT seals per handle to bound memory.  flush() waits
 * for the seals and commits every sealed chunk and the new size to the
 * master in one round trip.
 *
 * Every function takes the handle's mutex (the FUSE loop is
 * multithreaded); size and dirty are also readable without it, so the
 * open table can answer getattr while a writer is busy uploading.
 */
#ifndef DFS_FUSE_FILE_HANDLE_H
#define DFS_FUSE_FILE_HANDLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk_cache.h"
#include "dfs_mount.h"
#include "kernel_cache.h"
#include "meta_wire.h"

#define FH_MAX_INFLIGHT 4

/* One chunk being sealed by a background thread. */
struct fh_seal_job {
    pthread_t thread;
    bool joinable; /* thread started (else sealed inline) */
    struct dfs_mount *m;
    uint64_t index;
    struct chunk_data *data;  /* read-only while the thread runs */
    struct chunk_data *small; /* right-sized copy for the cache */
    bool sync;
    int rc;
    struct dfs_chunk_ref ref;
    struct dfs_chunk where;
};

struct dfs_file {
    pthread_mutex_t lock;
    struct dfs_mount *m;
    uint64_t ino;
    struct dfs_chunk_map map; /* as of first use, plus chunks we sealed */
    bool loaded;              /* map fetched (else size is not known) */
    uint64_t size;            /* our view, incl. unflushed writes; atomic */
    bool dirty;               /* something to commit; atomic */
    int64_t dirty_since_ms;   /* CLOCK_MONOTONIC, when it became dirty */
    int err;                  /* a seal failed: flush reports EIO */
    bool created_behind;      /* its create may still be on its way */

    struct chunk_data *buf; /* the chunk being written, or NULL */
    uint64_t buf_index;

    struct fh_seal_job *jobs[FH_MAX_INFLIGHT]; /* oldest first */
    size_t njobs;

    struct dfs_chunk_ref *pending; /* sealed, not yet committed */
    size_t npending, cap_pending;

    /* Chunks stored without sync=1, for fsync to ask about later. */
    char (*unsynced)[CHUNK_ID_STRLEN];
    size_t nunsynced, cap_unsynced;
    char (*sync_addrs)[ADDR_TEXT_MAX];
    size_t nsync_addrs, cap_sync_addrs;

    struct kernel_cache_use kc_use; /* its part in the kernel's cache */
    uint64_t next_read;         /* end of the last read, to spot streams */
    struct dfs_file *next_open; /* open_table chain */
};

/* Open an existing file (its map is fetched at first use; with trunc,
 * O_TRUNC, now). */
int fh_open(struct dfs_mount *m, uint64_t ino, bool trunc,
            struct dfs_file **out);
/* For a handle opened for reading: whether the kernel may keep the
 * file's cached pages (kernel_cache.h), fetching the map now if that
 * needs it.  Without a kernel_cache the map stays lazy and *keep false. */
int fh_open_reader(struct dfs_file *fh, bool *keep);
/* A handle on a file just created (empty, no round trip). */
int fh_new_empty(struct dfs_mount *m, uint64_t ino, struct dfs_file **out);
/* Free; the caller has flushed and removed it from the open table. */
void fh_free(struct dfs_file *fh);

/* The bytes of a read, as pieces that point into the chunks themselves
 * (each held by a reference), so the reply goes to the kernel without
 * another copy.  Zeros and the bytes of the chunk being written are
 * copied into `owned` buffers. */
struct fh_piece {
    const void *p;
    size_t len;
    struct chunk_data *ref; /* the chunk p points into, or NULL */
    void *owned;            /* freed with the reply, or NULL */
};
struct fh_read_reply {
    struct fh_piece *pieces;
    size_t npieces; /* none at EOF */
};

/* Up to size bytes at off (fewer only at EOF).  0, or -errno with
 * nothing left to release. */
int fh_read(struct dfs_file *fh, uint64_t off, size_t size,
            struct fh_read_reply *r);
/* Drop the pieces' references and buffers once the reply is sent. */
void fh_read_release(struct fh_read_reply *r);

/* Buffer a write; seals chunks as they fill.  -EIO after a failed seal. */
int fh_write(struct dfs_file *fh, const char *data, size_t size, uint64_t off);

/* Seal, wait, (fsync: make durable,) commit.  0 or -EIO. */
int fh_flush(struct dfs_file *fh, bool fsync);
/* Whether fh has held writes not committed for at least ms. */
bool fh_dirty_for_ms(struct dfs_file *fh, int64_t ms);

/* After a truncate by anyone in this mount: take the new map. */
int fh_reload(struct dfs_file *fh);

/* Lock-free peek for getattr: true and *size when there are uncommitted
 * writes. */
bool fh_dirty_size(struct dfs_file *fh, uint64_t *size);

/* Internal to file_handle.c / fh_write.c. */
const struct dfs_chunk *fh_map_find(const struct dfs_file *fh, uint64_t index);
int fh_map_set(struct dfs_file *fh, const struct dfs_chunk *c);
int fh_load_locked(struct dfs_file *fh);
const struct fh_seal_job *fh_job_find(const struct dfs_file *fh,
                                      uint64_t index);

#endif
