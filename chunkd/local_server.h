/*
 * local_server.h - the chunk server's end of local reads: chunk files
 * handed as descriptors to readers on the same host (common/local_chunk.h
 * has the why and the protocol).
 *
 * One thread polls the abstract socket and every connected reader; each
 * request costs it an open() and an fgetxattr(), never the bytes, so one
 * thread keeps up with any number of readers.  At most
 * LOCAL_SERVER_MAX_CLIENTS readers are connected at once; a reader past
 * that is hung up on and uses HTTP.  A reader that fails the secret's
 * proof is logged and hung up on.
 */
#ifndef DFS_CHUNKD_LOCAL_SERVER_H
#define DFS_CHUNKD_LOCAL_SERVER_H

#include "auth.h"
#include "chunk_store.h"

#define LOCAL_SERVER_MAX_CLIENTS 64
/* How long a reader may take over one step of the proofs or a reply. */
#define LOCAL_SERVER_STEP_MS 1000

struct local_server;

/* Serve the chunks of store to local readers of the server advertised as
 * addr.  NULL when the socket cannot be made (logged: another process
 * holds the name, say); the chunk server then serves HTTP only. */
struct local_server *local_server_start(const char *addr,
                                        struct chunk_store *store,
                                        const struct auth_keys *keys);

/* Hang up on every reader and stop the thread.  NULL is a no-op. */
void local_server_stop(struct local_server *ls);

#endif
