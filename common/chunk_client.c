/*
 * chunk_client.c - store a chunk on ranked nodes, fetch a verified chunk.
 *
 * See chunk_client.h.  Stateless: any number of threads may call in at
 * once; the http client pools the connections.
 */
#include "chunk_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_check.h"
#include "chunk_id.h"
#include "json_util.h"
#include "log.h"
#include "placement.h"
#include "wire.h"

#define CHUNK_CLIENT_PATH_MAX (sizeof(DFS_PATH_CHUNK) + CHUNK_ID_HEX + 16)

static void chunk_client_path(char *buf, size_t len, const char *id, bool sync)
{
    snprintf(buf, len, "%s%s%s", DFS_PATH_CHUNK, id,
             sync ? "?" DFS_QUERY_SYNC "=1" : "");
}

/* Why a request failed: the transport error, or the HTTP status and the
 * server's message from its {"error","message"} body. */
static void chunk_client_why(int rc, const struct http_response *resp,
                             char *why, size_t whylen)
{
    json_object *body = NULL;
    const char *msg = NULL;
    char ignored[64];

    if (rc != 0) {
        snprintf(why, whylen, "%s",
                 resp->error[0] ? resp->error : strerror(-rc));
        return;
    }
    if (resp->body && json_parse_object(resp->body, resp->body_len, &body,
                                        ignored, sizeof(ignored)) == 0)
        json_get_string(body, K_MESSAGE, 512, &msg, ignored, sizeof(ignored));
    snprintf(why, whylen, "HTTP %ld%s%s", resp->status, msg ? ": " : "",
             msg ? msg : "");
    json_object_put(body);
}

int chunk_client_rank(const char *id, const struct dfs_node *nodes, size_t n,
                      size_t replicas, size_t *order)
{
    struct placement_node *pn;

    if (n == 0) return 0;
    pn = calloc(n, sizeof(*pn));
    if (!pn) return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        snprintf(pn[i].id, sizeof(pn[i].id), "%s", nodes[i].id);
        snprintf(pn[i].zone, sizeof(pn[i].zone), "%s", nodes[i].zone);
        pn[i].weight = nodes[i].free;
    }
    placement_rank(id, pn, n, replicas, order);
    free(pn);
    /* Draining nodes last, in their order: used only if all others fail.
     * A stable partition: each other node moves up past them. */
    for (size_t i = 0, k = 0; i < n; i++)
        if (!nodes[order[i]].draining) {
            size_t o = order[i];
            memmove(&order[k + 1], &order[k], (i - k) * sizeof(*order));
            order[k++] = o;
        }
    return 0;
}

/* Record one node that took the chunk, or log and keep why it did not. */
static void chunk_client_put_result(const struct dfs_node *node,
                                    struct http_parallel_request *req,
                                    struct dfs_chunk_ref *ref,
                                    struct dfs_chunk *where, char *err,
                                    size_t errlen)
{
    long st = req->resp.status;
    char why[600];

    if (req->rc == 0 && (st == 200 || st == 201)) {
        if (where)
            snprintf(where->replicas[ref->nnodes], sizeof(where->replicas[0]),
                     "%s", node->addr);
        snprintf(ref->nodes[ref->nnodes++], sizeof(ref->nodes[0]), "%s",
                 node->id);
        return;
    }
    chunk_client_why(req->rc, &req->resp, why, sizeof(why));
    log_warn("chunk %.12s to %s: %s", ref->id, node->addr, why);
    if (err && errlen) snprintf(err, errlen, "%s: %s", node->addr, why);
}

int chunk_client_put(struct http_client *http, const struct dfs_node *nodes,
                     const size_t *order, size_t n, size_t want,
                     const void *data, bool sync, struct dfs_chunk_ref *ref,
                     struct dfs_chunk *where, char *err, size_t errlen)
{
    struct http_parallel_request reqs[DFS_MAX_REPLICAS];
    char path[CHUNK_CLIENT_PATH_MAX];
    size_t next = 0;

    chunk_client_path(path, sizeof(path), ref->id, sync);
    if (want > DFS_MAX_REPLICAS) want = DFS_MAX_REPLICAS;
    if (want == 0) want = 1;
    ref->nnodes = 0;
    if (err && errlen) snprintf(err, errlen, "no live chunk server");

    /* Each round sends to as many untried nodes as copies are missing. */
    while (ref->nnodes < want && next < n) {
        size_t batch = want - ref->nnodes;
        if (batch > n - next) batch = n - next;
        memset(reqs, 0, sizeof(reqs));
        for (size_t i = 0; i < batch; i++) {
            reqs[i].hostport = nodes[order[next + i]].addr;
            reqs[i].method = "PUT";
            reqs[i].path = path;
            reqs[i].body = data;
            reqs[i].body_hash = ref->id;
            reqs[i].body_len = ref->len;
        }
        http_request_parallel(http, reqs, batch, CHUNK_CLIENT_TIMEOUT_MS);
        for (size_t i = 0; i < batch; i++) {
            chunk_client_put_result(&nodes[order[next + i]], &reqs[i], ref,
                                    where, err, errlen);
            http_response_free(&reqs[i].resp);
        }
        next += batch;
    }
    if (where) where->nreplicas = ref->nnodes;
    return ref->nnodes > 0 ? 0 : -EIO;
}

bool chunk_client_verified(const char *id, const void *data, size_t len,
                           const char *check, enum chunk_verify verify,
                           const char *addr, char got[CHUNK_ID_STRLEN])
{
    const char *bytes = data ? data : "";

    if (verify == CHUNK_VERIFY_FAST && check[0] &&
        chunk_check_matches(check, bytes, len))
        return true;
    chunk_id_compute(bytes, len, got);
    if (strcmp(got, id) != 0) return false;
    if (verify == CHUNK_VERIFY_FAST && check[0])
        log_warn("chunk %.12s from %s: stored checksum %s is wrong, the "
                 "bytes are right",
                 id, addr, check);
    return true;
}

/* method ("GET" or "HEAD") on chunk id at addr.  0 when the answer is
 * 200, *resp to free; else -errno (-ENOENT for 404, -EIO for another
 * status) with the reason in err, naming addr, and nothing to free. */
static int chunk_client_call(struct http_client *http, const char *addr,
                             const char *id, const char *method,
                             struct http_response *resp, char *err,
                             size_t errlen)
{
    char path[CHUNK_CLIENT_PATH_MAX], why[600];

    if (!chunk_id_valid(id)) {
        snprintf(err, errlen, "%s: bad chunk id", addr);
        return -EINVAL;
    }
    chunk_client_path(path, sizeof(path), id, false);
    memset(resp, 0, sizeof(*resp));
    int rc = http_request(http, addr, method, path, NULL, 0, NULL,
                          CHUNK_CLIENT_TIMEOUT_MS, resp);
    if (rc == 0 && resp->status == 200) return 0;
    chunk_client_why(rc, resp, why, sizeof(why));
    snprintf(err, errlen, "%s: %s", addr, why);
    if (rc == 0) rc = resp->status == 404 ? -ENOENT : -EIO;
    http_response_free(resp);
    return rc;
}

int chunk_client_fetch(struct http_client *http, const char *addr,
                       const char *id, enum chunk_verify verify, char **body,
                       size_t *len, char *err, size_t errlen)
{
    struct http_response resp;
    char got[CHUNK_ID_STRLEN];

    *body = NULL;
    *len = 0;
    int rc = chunk_client_call(http, addr, id, "GET", &resp, err, errlen);
    if (rc < 0) return rc == -ENOENT ? -EIO : rc;
    if (!chunk_client_verified(id, resp.body, resp.body_len, resp.check,
                               verify, addr, got)) {
        snprintf(err, errlen, "%s: bytes hash to %.12s, not the chunk id", addr,
                 got);
        http_response_free(&resp);
        return -EBADMSG;
    }
    /* The verified body is handed over as is: no copy of 4 MiB. */
    *body = resp.body;
    *len = resp.body_len;
    resp.body = NULL;
    http_response_free(&resp);
    return 0;
}

int chunk_client_stat(struct http_client *http, const char *addr,
                      const char *id, char *err, size_t errlen)
{
    struct http_response resp;
    int rc = chunk_client_call(http, addr, id, "HEAD", &resp, err, errlen);
    if (rc == 0) http_response_free(&resp);
    return rc;
}
