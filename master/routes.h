/*
 * routes.h - the master's HTTP handlers (routes_fs.c, routes_cluster.c).
 *
 * Each handler decodes a JSON request, makes one meta.h call and encodes
 * the reply; a failure becomes the wire's {"error","message"} body.  The
 * route table itself (paths, roles, body limits) is in main.c, where it
 * can be read in one place.  ctx is a struct master_ctx.
 */
#ifndef DFS_MASTER_ROUTES_H
#define DFS_MASTER_ROUTES_H

#include "http_server.h"
#include "meta.h"
#include "gc.h"
#include "leases.h"
#include "repair.h"

/* What every handler gets as ctx. */
struct master_ctx {
    struct meta *meta;
    struct repair *repair;
    struct gc *gc;
    struct leases *leases;
};

/* POST /v1/fs/<op>: the namespace and chunk map operations. */
void routes_fs(struct http_request *req, struct http_reply *rep, void *ctx);

/* GET /v1/cluster/... */
void routes_cluster_info(struct http_request *req, struct http_reply *rep,
                         void *ctx);
void routes_cluster_nodes(struct http_request *req, struct http_reply *rep,
                          void *ctx);
void routes_cluster_statfs(struct http_request *req, struct http_reply *rep,
                           void *ctx);
void routes_cluster_status(struct http_request *req, struct http_reply *rep,
                           void *ctx);
/* POST /v1/cluster/drain (dfs drain, dfs undrain) */
void routes_cluster_drain(struct http_request *req, struct http_reply *rep,
                          void *ctx);

/* POST /v1/node/... from chunk servers. */
void routes_node_heartbeat(struct http_request *req, struct http_reply *rep,
                           void *ctx);
void routes_node_report(struct http_request *req, struct http_reply *rep,
                        void *ctx);

#endif
