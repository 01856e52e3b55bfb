/*
 * routes.h - the chunk server's HTTP interface (docs/wire.md, "Chunk
 * server"), on top of chunk_store.
 *
 *   PUT    /v1/chunk/<id>[?sync=1]  client, chunkd, master
 *   GET    /v1/chunk/<id>  (Range)  client, chunkd, master
 *   HEAD   /v1/chunk/<id>           client, chunkd, master
 *   DELETE /v1/chunk/<id>           master only
 *   POST   /v1/sync                 client, chunkd, master
 *   GET    /v1/status               anyone with a key
 */
#ifndef DFS_CHUNKD_ROUTES_H
#define DFS_CHUNKD_ROUTES_H

#include <stddef.h>
#include <stdint.h>

#include "chunk_store.h"
#include "http_server.h"

#define ROUTES_MAX 8

struct routes_ctx {
    struct chunk_store *store;
    const char *node_id;
    uint64_t capacity;     /* configured; 0 = file system size */
    size_t chunk_size_max; /* largest PUT body accepted */
    struct http_route table[ROUTES_MAX];
};

/* Fill ctx->table and return it (pass ctx as the server's ctx). */
const struct http_route *routes_table(struct routes_ctx *ctx);

#endif
