/*
 * chunk_io.c - store a chunk on its replicas, fetch a verified chunk.
 *
 * See chunk_io.h.  Chunks are immutable and named by their hash, so both
 * directions are idempotent: retrying a PUT on another node, or a GET from
 * another replica, can never produce two different versions of a chunk.
 */
#include "chunk_io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chunk_id.h"
#include "json_util.h"
#include "wire.h"

#define CHUNK_IO_PATH_MAX (sizeof(DFS_PATH_CHUNK) + CHUNK_ID_HEX + 16)

/* Describe a failed request in err: the transport error, or the HTTP
 * status and the server's message from its {"error","message"} body. */
static void chunk_io_why(const char *addr, int rc,
                         const struct http_response *resp, char *err,
                         size_t errlen)
{
    json_object *body = NULL;
    const char *msg = NULL;
    char ignored[64];

    if (!err || !errlen) return;
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", addr,
                 resp->error[0] ? resp->error : strerror(-rc));
        return;
    }
    if (resp->body && json_parse_object(resp->body, resp->body_len, &body,
                                        ignored, sizeof(ignored)) == 0)
        json_get_string(body, K_MESSAGE, 512, &msg, ignored, sizeof(ignored));
    snprintf(err, errlen, "%s: HTTP %ld%s%s", addr, resp->status,
             msg ? ": " : "", msg ? msg : "");
    json_object_put(body);
}

int chunk_io_put(struct http_client *http, const struct dfs_node *nodes,
                 const size_t *order, size_t n, size_t replicas,
                 const void *data, bool sync, struct dfs_chunk_ref *ref,
                 char *err, size_t errlen)
{
    struct http_parallel_request reqs[DFS_MAX_REPLICAS];
    char path[CHUNK_IO_PATH_MAX];
    size_t next = 0;

    snprintf(path, sizeof(path), "%s%s%s", DFS_PATH_CHUNK, ref->id,
             sync ? "?" DFS_QUERY_SYNC "=1" : "");
    if (replicas > DFS_MAX_REPLICAS) replicas = DFS_MAX_REPLICAS;
    if (replicas == 0) replicas = 1;
    ref->nnodes = 0;
    if (err && errlen) snprintf(err, errlen, "no live chunk server");

    /* Each round sends to as many untried nodes as copies are missing. */
    while (ref->nnodes < replicas && next < n) {
        size_t batch = replicas - ref->nnodes;
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
        http_request_parallel(http, reqs, batch, CHUNK_IO_TIMEOUT_MS);
        for (size_t i = 0; i < batch; i++) {
            const struct dfs_node *node = &nodes[order[next + i]];
            long st = reqs[i].resp.status;
            if (reqs[i].rc == 0 && (st == 200 || st == 201))
                snprintf(ref->nodes[ref->nnodes++], sizeof(ref->nodes[0]), "%s",
                         node->id);
            else
                chunk_io_why(node->addr, reqs[i].rc, &reqs[i].resp, err,
                             errlen);
            http_response_free(&reqs[i].resp);
        }
        next += batch;
    }
    return ref->nnodes > 0 ? 0 : -EIO;
}

/* One replica: 0 and the bytes in buf only if they hash to the id. */
static int chunk_io_get_one(struct http_client *http, const struct dfs_chunk *c,
                            const char *addr, const char *path, void *buf,
                            char *err, size_t errlen)
{
    struct http_response resp;
    char got[CHUNK_ID_STRLEN];
    int rc;

    memset(&resp, 0, sizeof(resp));
    rc = http_request(http, addr, "GET", path, NULL, 0, NULL,
                      CHUNK_IO_TIMEOUT_MS, &resp);
    if (rc != 0 || resp.status != 200) {
        chunk_io_why(addr, rc, &resp, err, errlen);
        http_response_free(&resp);
        return -EIO;
    }
    if (resp.body_len != c->len) {
        snprintf(err, errlen, "%s: %zu bytes, expected %u", addr, resp.body_len,
                 (unsigned)c->len);
        http_response_free(&resp);
        return -EIO;
    }
    chunk_id_compute(resp.body ? resp.body : "", resp.body_len, got);
    if (strcmp(got, c->id) != 0) {
        snprintf(err, errlen, "%s: bytes do not match the chunk id", addr);
        http_response_free(&resp);
        return -EIO;
    }
    if (c->len) memcpy(buf, resp.body, c->len);
    http_response_free(&resp);
    return 0;
}

int chunk_io_get(struct http_client *http, const struct dfs_chunk *c, void *buf,
                 char *err, size_t errlen)
{
    char path[CHUNK_IO_PATH_MAX];
    char why[512] = "no live replica";

    if (!chunk_id_valid(c->id)) {
        snprintf(err, errlen, "chunk %" PRIu64 ": bad id", c->index);
        return -EIO;
    }
    snprintf(path, sizeof(path), "%s%s", DFS_PATH_CHUNK, c->id);
    for (size_t r = 0; r < c->nreplicas && r < DFS_MAX_REPLICAS; r++) {
        if (chunk_io_get_one(http, c, c->replicas[r], path, buf, why,
                             sizeof(why)) == 0)
            return 0;
    }
    snprintf(err, errlen, "chunk %" PRIu64 " (%.12s...): %s", c->index, c->id,
             why);
    return -EIO;
}
