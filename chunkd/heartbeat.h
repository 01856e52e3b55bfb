/*
 * heartbeat.h - telling the master this chunk server is alive.
 *
 * Every heartbeat-ms a POST /v1/node/heartbeat carries the node id, the
 * address to reach us at, zone, capacity, free space and chunk count.
 * After the first heartbeat the master answers (at start, and again each
 * time the master comes back after being unreachable), and every
 * HEARTBEAT_REPORT_INTERVAL_S after that, a POST /v1/node/report sends the
 * full list of chunk ids so the master can reconcile its map.  The
 * heartbeat reply carries commands: each "copy" or "delete" goes to the copier
 * (copier.h), and the ids it has stored since go back in the "added"
 * array of the next heartbeat (those it could not copy in "failed"),
 * kept until a heartbeat is answered.
 *
 * Known limit: the report is one JSON body, and the master accepts at most
 * DFS_JSON_BODY_MAX (1 MiB), i.e. about 15,000 ids (~60 GiB of chunks);
 * bigger servers need a paged report (a wire change).
 */
#ifndef DFS_CHUNKD_HEARTBEAT_H
#define DFS_CHUNKD_HEARTBEAT_H

#include <stdint.h>

#include <json-c/json.h>

#include "chunk_store.h"
#include "copier.h"
#include "http_client.h"

#define HEARTBEAT_REPORT_INTERVAL_S 60

struct heartbeat_config {
    const char *master; /* "host:port" */
    const char *node_id;
    const char *addr;  /* advertised "host:port" */
    const char *zone;  /* "" for none */
    uint64_t capacity; /* configured; 0 = file system size */
    long long interval_ms;
    struct chunk_store *store;
    struct http_client *client; /* signs as the chunkd role */
    struct copier *copier;
};

struct heartbeat;

/* Start the heartbeat thread (first beat at once).  The strings in cfg
 * must outlive the heartbeat.  NULL with errno on failure. */
struct heartbeat *heartbeat_start(const struct heartbeat_config *cfg);
void heartbeat_stop(struct heartbeat *hb);

/* The master's orders (the "commands" array of a heartbeat reply): each
 * well-formed copy or delete goes to the copier; anything else is logged
 * and ignored. */
void heartbeat_run_commands(struct heartbeat *hb, json_object *commands);

#endif
