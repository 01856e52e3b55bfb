/*
 * copier.h - copying chunks from other chunk servers on the master's
 * orders: the chunk server's half of re-replication (master/repair.h).
 *
 * The heartbeat hands each "copy" command of the master to
 * copier_enqueue.  One worker thread fetches the chunk from the server the
 * command names, and chunk_store_put checks the bytes against the id
 * (BLAKE2b) and stores them with an fsync: a copy counts as done only once
 * it would survive a power cut, because the master then relies on it.
 * Done ids wait until the heartbeat takes them (copier_take_done) to tell
 * the master.  A copy that fails is logged and forgotten; the master plans
 * it again when its command times out.  At most COPIER_QUEUE_MAX commands
 * wait; more are dropped the same way.
 *
 * Thread-safe.
 */
#ifndef DFS_CHUNKD_COPIER_H
#define DFS_CHUNKD_COPIER_H

#include <stddef.h>

#include <json-c/json.h>

#include "chunk_store.h"
#include "http_client.h"

#define COPIER_QUEUE_MAX 256

struct copier;

/* Start the worker.  NULL with errno on failure. */
struct copier *copier_start(struct chunk_store *store,
                            struct http_client *client);
/* Stop after the copy under way, if any; waiting copies are dropped. */
void copier_stop(struct copier *cp);

/* Copy chunk id (a valid id) from the chunk server at from ("host:port").
 * A chunk already queued is not queued twice. */
void copier_enqueue(struct copier *cp, const char *id, const char *from);

/* Move up to max ids of finished copies into arr (JSON strings); returns
 * how many. */
size_t copier_take_done(struct copier *cp, json_object *arr, size_t max);

#endif
