/*
 * local_read.h - mount.dfs's end of local reads: a chunk of a chunk
 * server on this host arrives as an open file descriptor and is read with
 * pread(), not over loopback TCP (common/local_chunk.h has the why and
 * the protocol).
 *
 * Connections are kept per server address and reused, at most
 * LOCAL_READ_IDLE_MAX idle ones each.  An address with no local server
 * (the usual case for a remote one) is remembered for
 * LOCAL_READ_RETRY_MS, so it costs one failed connect() per that
 * period, not one per chunk.  A pooled connection that fails (its
 * server restarted) drops the others idle for that address and is
 * replaced by a new one at once, so a restarted server is read locally
 * again from its first chunk.  Thread-safe.
 */
#ifndef DFS_FUSE_LOCAL_READ_H
#define DFS_FUSE_LOCAL_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"
#include "chunk_cache.h"
#include "chunk_client.h"

#define LOCAL_READ_IDLE_MAX 16
#define LOCAL_READ_RETRY_MS 10000
#define LOCAL_READ_STEP_MS 2000

struct local_read;

/* A copy of keys is kept (the client's and the chunk servers' keys are
 * needed for the proofs); direct: chunk files not in the page cache are
 * read with O_DIRECT (chunk_file.h).  NULL on ENOMEM. */
struct local_read *local_read_new(const struct auth_keys *keys, bool direct);
void local_read_free(struct local_read *lr);

/* Chunk id from the server advertised as addr, if it is on this host: 0
 * with *out (one reference) once the bytes pass the check `verify` asks
 * for, as an HTTP reply's must.  Otherwise:
 *   -ENOTCONN  no local server for addr, or the exchange failed: use HTTP
 *   -ENOENT    the server does not hold the chunk
 *   -EBADMSG   its bytes are not the chunk, or there are more than
 *              max_len of them (logged)
 *   -ENOMEM */
int local_read_fetch(struct local_read *lr, const char *addr, const char *id,
                     size_t max_len, enum chunk_verify verify,
                     struct chunk_data **out);

#endif
