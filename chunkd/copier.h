/*
 * copier.h - copying chunks from other chunk servers on the master's
 * orders, and deleting surplus ones and garbage: the chunk server's half
 * of re-replication (master/repair.h) and garbage collection
 * (master/gc.h).
 *
 * The heartbeat hands each "copy" command of the master to
 * copier_enqueue.  One worker thread fetches the chunk from the server the
 * command names, and chunk_store_put checks the bytes against the id
 * (BLAKE2b) and stores them with an fsync: a copy counts as done only once
 * it would survive a power cut, because the master then relies on it.
 * The ids of finished copies, done or failed, wait until the heartbeat
 * takes them (copier_take) to tell the master, which then records the
 * replica or plans the copy elsewhere.  At most COPIER_QUEUE_MAX commands
 * wait; more are dropped (the master plans them again when they time
 * out).
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

/* Copy chunk id (a valid id) from the chunk server at from ("host:port"),
 * or with from NULL delete the local copy: a surplus one the master no
 * longer counts, or with min_age_ms > 0 garbage, kept if stored or put
 * again within that time (chunk_store_delete_unused).  A chunk already
 * queued is not queued twice. */
void copier_enqueue(struct copier *cp, const char *id, const char *from,
                    int64_t min_age_ms);

/* Move the ids of finished copies into the JSON arrays done and failed,
 * until each holds max. */
void copier_take(struct copier *cp, json_object *done, json_object *failed,
                 size_t max);

#endif
