/*
 * routes_cluster.c - the cluster's view of itself over HTTP: GET
 * /v1/cluster/{info,nodes,statfs,status} for clients and operators, and
 * POST /v1/node/{heartbeat,report} from chunk servers.
 *
 * The heartbeat reply is where the master gives a chunk server its work
 * (repair_commands: copy chunk X from Y), and the next heartbeat says
 * which copies it made (K_ADDED, recorded by repair_added).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "log.h"
#include "meta.h"
#include "meta_wire.h"
#include "routes.h"
#include "wire.h"

/* Not (yet) in wire.h: only the status document carries it. */

static void reply_and_put(struct http_reply *rep, json_object *out)
{
    http_reply_json(rep, 200, out);
    json_object_put(out);
}

void routes_cluster_info(struct http_request *req, struct http_reply *rep,
                         void *ctx)
{
    struct meta *m = ((struct master_ctx *)ctx)->meta;
    (void)req;
    json_object *out = json_object_new_object();
    json_add_u64(out, K_CHUNK_SIZE, meta_chunk_size(m));
    json_add_u64(out, K_REPLICATION, meta_replication(m));
    reply_and_put(rep, out);
}

static json_object *nodes_json(const struct dfs_node *nodes, size_t n)
{
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, meta_node_to_json(&nodes[i]));
    return arr;
}

/* {"nodes": [...]} with all nodes or only live ones; NULL on error
 * (already replied). */
static json_object *nodes_reply(struct meta *m, bool all,
                                struct http_reply *rep)
{
    struct dfs_node *nodes;
    size_t n;
    int rc = meta_nodes(m, all, &nodes, &n);
    if (rc < 0) {
        http_reply_errno(rep, -rc, "cannot list nodes");
        return NULL;
    }
    json_object *out = json_object_new_object();
    json_object_object_add(out, K_NODES, nodes_json(nodes, n));
    free(nodes);
    return out;
}

void routes_cluster_nodes(struct http_request *req, struct http_reply *rep,
                          void *ctx)
{
    (void)req;
    json_object *out =
        nodes_reply(((struct master_ctx *)ctx)->meta, false, rep);
    if (out) reply_and_put(rep, out);
}

void routes_cluster_statfs(struct http_request *req, struct http_reply *rep,
                           void *ctx)
{
    struct meta_statfs s;
    (void)req;
    int rc = meta_statfs(((struct master_ctx *)ctx)->meta, &s);
    if (rc < 0) {
        http_reply_errno(rep, -rc, "statfs failed");
        return;
    }
    json_object *out = json_object_new_object();
    json_add_u64(out, K_TOTAL, s.total);
    json_add_u64(out, K_AVAIL, s.avail);
    json_add_u64(out, K_FILES, s.files);
    reply_and_put(rep, out);
}

void routes_cluster_status(struct http_request *req, struct http_reply *rep,
                           void *ctx)
{
    struct meta *m = ((struct master_ctx *)ctx)->meta;
    struct meta_counts c;
    (void)req;
    int rc = meta_counts(m, &c);
    if (rc < 0) {
        http_reply_errno(rep, -rc, "cannot count");
        return;
    }
    json_object *out = nodes_reply(m, true, rep);
    if (!out) return;
    json_add_u64(out, K_FILES, c.files);
    json_add_u64(out, K_CHUNKS, c.chunks);
    json_add_u64(out, K_CHUNK_SIZE, meta_chunk_size(m));
    json_add_u64(out, K_REPLICATION, meta_replication(m));
    json_add_u64(out, K_UNDER_REPLICATED, c.under_replicated);
    reply_and_put(rep, out);
}

/* Parse the body or reply 400; NULL when replied. */
static json_object *parse_body(struct http_request *req, struct http_reply *rep)
{
    char err[256];
    json_object *in = NULL;
    /* the route's body limit bounds the size (a report may be > 1 MiB) */
    if (json_parse_object_max(req->body, req->body_len, DFS_REPORT_BODY_MAX,
                              &in, err, sizeof(err))) {
        http_reply_errno(rep, EINVAL, "%s", err);
        return NULL;
    }
    return in;
}

/* The "chunks" array as validated ids; *ids malloc'd. */
static int decode_ids(json_object *arr, char (**ids)[CHUNK_ID_STRLEN],
                      size_t *n)
{
    *n = json_object_array_length(arr);
    *ids = calloc(*n ? *n : 1, sizeof(**ids));
    if (!*ids) return -ENOMEM;
    for (size_t i = 0; i < *n; i++) {
        const char *s =
            json_object_get_string(json_object_array_get_idx(arr, i));
        if (!json_object_is_type(json_object_array_get_idx(arr, i),
                                 json_type_string) ||
            !chunk_id_valid(s))
            return -EINVAL;
        memcpy((*ids)[i], s, CHUNK_ID_STRLEN);
    }
    return 0;
}

/* One optional list of chunk ids of a heartbeat (K_ADDED, K_FAILED), as
 * validated ids; *ids malloc'd (NULL and 0 when absent). */
static int heartbeat_ids(json_object *in, const char *key,
                         char (**ids)[CHUNK_ID_STRLEN], size_t *n, char *err,
                         size_t errlen)
{
    json_object *arr;
    *ids = NULL;
    *n = 0;
    if (!json_object_object_get_ex(in, key, &arr)) return 0;
    if (!json_object_is_type(arr, json_type_array) ||
        json_object_array_length(arr) > DFS_ADDED_MAX) {
        snprintf(err, errlen, "\"%s\" is not an array of at most %d ids", key,
                 DFS_ADDED_MAX);
        return -EINVAL;
    }
    int rc = decode_ids(arr, ids, n);
    if (rc == -EINVAL)
        snprintf(err, errlen, "\"%s\" holds a bad chunk id", key);
    return rc;
}

/* The results of its copy commands a heartbeat carries. */
struct copy_results {
    char (*added)[CHUNK_ID_STRLEN], (*failed)[CHUNK_ID_STRLEN];
    size_t nadded, nfailed;
};

static int copy_results_record(struct repair *r, const char *node_id,
                               const struct copy_results *c)
{
    int rc = repair_added(r, node_id, (const char(*)[CHUNK_ID_STRLEN])c->added,
                          c->nadded);
    if (rc == 0)
        rc = repair_failed(
            r, node_id, (const char(*)[CHUNK_ID_STRLEN])c->failed, c->nfailed);
    return rc;
}

/* Everything in the body is checked before anything is recorded. */
void routes_node_heartbeat(struct http_request *req, struct http_reply *rep,
                           void *ctx)
{
    struct master_ctx *mc = ctx;
    struct dfs_node n;
    struct copy_results c = {0};
    char err[256] = "";
    json_object *in = parse_body(req, rep);
    if (!in) return;
    int rc = meta_node_from_json(in, &n, err, sizeof(err));
    if (rc == 0)
        rc = heartbeat_ids(in, K_ADDED, &c.added, &c.nadded, err, sizeof(err));
    if (rc == 0)
        rc = heartbeat_ids(in, K_FAILED, &c.failed, &c.nfailed, err,
                           sizeof(err));
    json_object_put(in);
    if (rc == 0 && (rc = meta_node_heartbeat(mc->meta, &n)) < 0)
        snprintf(err, sizeof(err), "refused for %s", n.id);
    if (rc == 0) rc = copy_results_record(mc->repair, n.id, &c);
    free(c.added);
    free(c.failed);
    if (rc < 0) {
        http_reply_errno(rep, -rc, "heartbeat: %s",
                         err[0] ? err : strerror(-rc));
        return;
    }
    json_object *out = json_object_new_object();
    json_object *cmds = repair_commands(mc->repair, n.id);
    if (mc->gc) gc_commands(mc->gc, n.id, cmds);
    json_object_object_add(out, K_COMMANDS, cmds);
    reply_and_put(rep, out);
}

void routes_node_report(struct http_request *req, struct http_reply *rep,
                        void *ctx)
{
    char err[256] = "";
    const char *node_id;
    json_object *arr;
    char(*ids)[CHUNK_ID_STRLEN] = NULL;
    size_t n = 0;
    json_object *in = parse_body(req, rep);
    if (!in) return;
    int rc = json_get_string(in, K_NODE_ID, PLACEMENT_NODE_ID_MAX, &node_id,
                             err, sizeof(err));
    if (rc == 0) rc = json_get_array(in, K_CHUNKS, &arr, err, sizeof(err));
    if (rc == 0 && (rc = decode_ids(arr, &ids, &n)) < 0)
        snprintf(err, sizeof(err), "\"%s\" holds a bad chunk id", K_CHUNKS);
    if (rc == 0)
        rc = meta_node_report(((struct master_ctx *)ctx)->meta, node_id,
                              (const char(*)[CHUNK_ID_STRLEN])ids, n);
    if (rc == 0) {
        log_debug("report from %s: %zu chunks", node_id, n);
        reply_and_put(rep, json_object_new_object());
    } else {
        http_reply_errno(rep, -rc, "report: %s", err[0] ? err : strerror(-rc));
    }
    free(ids);
    json_object_put(in);
}

/* Start or stop draining a node: {"node": id, id prefix or address,
 * "drain": bool} -> {"node": {...}}. */
void routes_cluster_drain(struct http_request *req, struct http_reply *rep,
                          void *ctx)
{
    struct master_ctx *mc = ctx;
    char err[256] = "";
    const char *which = NULL;
    bool on = false;
    struct dfs_node n;
    json_object *in = parse_body(req, rep);
    if (!in) return;
    int rc =
        json_get_string(in, K_NODE, ADDR_TEXT_MAX, &which, err, sizeof(err));
    if (rc == 0) rc = json_get_bool(in, K_DRAIN, &on, err, sizeof(err));
    if (rc == 0) rc = meta_node_drain(mc->meta, which, on, &n);
    if (rc == -ENOENT)
        snprintf(err, sizeof(err), "no chunk server has the id or address '%s'",
                 which);
    else if (rc == -EINVAL && !err[0])
        snprintf(
            err, sizeof(err),
            "'%s' begins the ids of several chunk servers: give more of it",
            which);
    if (rc < 0) {
        http_reply_errno(rep, -rc, "drain: %s", err[0] ? err : strerror(-rc));
    } else {
        log_info("node %s at %s: %s", n.id, n.addr,
                 on ? "draining: its chunks are copied to other nodes"
                    : "no longer draining");
        json_object *out = json_object_new_object();
        json_object_object_add(out, K_NODE, meta_node_to_json(&n));
        reply_and_put(rep, out);
    }
    json_object_put(in);
}
