/*
 * chunk_store.h - a chunk server's chunks on local disk, no HTTP.
 *
 * Layout under the data directory:
 *   chunks/ab/<id>      a stored chunk (ab = the id's first two hex
 *                       digits; see chunk_layout.h), never modified
 *                       after it appears; its xattr user.dfs.check holds
 *                       the XXH3-128 of the bytes (chunk_check.h), set
 *                       before it appears
 *   tmp/                incoming writes; whatever is here at open was
 *                       interrupted and is removed
 *
 * A chunk is written as a stream: put_begin, put_write as pieces arrive
 * (hashed on the way), put_commit, which checks the bytes hash to the id
 * before anything appears under chunks/.  So a chunk file, once visible,
 * always has the right name for its content.
 *
 * Durability: a put committed with sync=true is fsynced (file and
 * directories) before put_commit returns.  Otherwise it goes on a pending
 * list that chunk_store_flush_pending() fsyncs in a batch (a background
 * thread calls it every fsync-delay-ms, and main at shutdown).
 *
 * Every id passes chunk_id_valid() before it touches a path: functions
 * given an invalid id return -EINVAL.  Thread-safe.
 */
#ifndef DFS_CHUNK_STORE_H
#define DFS_CHUNK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chunk_check.h"

/* The xattr that holds a chunk's check (raw, CHUNK_CHECK_BYTES). */
#define CHUNK_STORE_CHECK_XATTR "user.dfs.check"

struct chunk_store;
struct chunk_put;

/* Open the store in dir (which must exist), creating chunks/ and tmp/ as
 * needed, removing leftovers in tmp/ and counting the chunks. */
int chunk_store_open(const char *dir, struct chunk_store **out, char *err,
                     size_t errlen);
/* Does not flush pending fsyncs: call chunk_store_flush_pending first. */
void chunk_store_close(struct chunk_store *s);

/* Start writing chunk id.  If the chunk is already stored the body is
 * still hashed (so a wrong body is still refused) but not written. */
int chunk_store_put_begin(struct chunk_store *s, const char *id,
                          struct chunk_put **out);
/* Append bytes.  -ENOSPC (or another -errno) when the disk refuses; the
 * caller then aborts. */
int chunk_store_put_write(struct chunk_put *p, const void *data, size_t len);
/* Finish and free p.  0 with *created true (new chunk) or false (it was
 * already stored); -EBADMSG when the bytes do not hash to the id;
 * -ENOSPC/-EIO...  On any error nothing appears and the temp file is gone. */
int chunk_store_put_commit(struct chunk_put *p, bool sync, bool *created);
/* Throw away an unfinished put and free p. */
void chunk_store_put_abort(struct chunk_put *p);

/* The whole put in one call, for callers holding the bytes in memory. */
int chunk_store_put(struct chunk_store *s, const char *id, const void *data,
                    size_t len, bool sync, bool *created);

/* Open a chunk for reading: *fd (caller closes) and *size.  -ENOENT. */
int chunk_store_open_read(struct chunk_store *s, const char *id, int *fd,
                          uint64_t *size);
/* The fast checksum kept with an open chunk file, as header text.
 * -ENODATA (or -ENOTSUP) when it has none: chunks stored before checks
 * were kept, or on a file system without user xattrs. */
int chunk_store_read_check(int fd, char out[CHUNK_CHECK_STRLEN]);
/* Size of a stored chunk, or -ENOENT. */
int chunk_store_stat(struct chunk_store *s, const char *id, uint64_t *size);
/* Remove a chunk (durably).  -ENOENT if absent. */
int chunk_store_delete(struct chunk_store *s, const char *id);
/* Remove a chunk no file refers to (garbage), unless it was stored or put
 * again in the last min_age_ms: a put of a chunk already here marks it
 * (its file's mtime), because the writer is about to refer to it.
 * -EBUSY when it is that young, -ENOENT if absent. */
int chunk_store_delete_unused(struct chunk_store *s, const char *id,
                              int64_t min_age_ms);

/* fsync now the listed chunks that are present (absent ones are skipped)
 * with their directories.  -EINVAL if any id is invalid (nothing done). */
int chunk_store_sync_ids(struct chunk_store *s, const char *const *ids,
                         size_t n);
/* fsync every chunk committed without sync since the last flush. */
int chunk_store_flush_pending(struct chunk_store *s);

/* Chunks stored now. */
uint64_t chunk_store_count(struct chunk_store *s);
/* Call fn for every stored chunk id (walks the directories); stops and
 * returns fn's value if it is non-zero. */
int chunk_store_list(struct chunk_store *s,
                     int (*fn)(const char *id, void *ctx), void *ctx);
/* File system size and space available to this process, in bytes. */
int chunk_store_space(struct chunk_store *s, uint64_t *total, uint64_t *avail);
/* What the server advertises: capacity is the configured one (0 = the file
 * system's size), free the space available capped by that capacity. */
int chunk_store_space_advertised(struct chunk_store *s, uint64_t configured,
                                 uint64_t *capacity, uint64_t *free_bytes);

#endif
