/*
 * routes.c - the chunk server's HTTP interface.
 *
 * A chunk PUT is streamed: http_server hands the body over piece by piece
 * and chunk_store hashes and writes it as it comes, so a 4 MiB chunk is
 * never held in memory.  The put is committed once the body is complete:
 * in stream_close(ok) or in the handler, whichever http_server calls
 * first; the other one then finishes up (so this file does not depend on
 * their order).
 */
#include "routes.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunk_id.h"
#include "http_range.h"
#include "json_util.h"
#include "log.h"
#include "wire.h"

#define ROLE(r) (1u << AUTH_ROLE_##r)
#define ROLES_ANY (ROLE(CLIENT) | ROLE(CHUNKD) | ROLE(MASTER))

/* One PUT in flight. */
struct put_stream {
    struct chunk_put *put; /* NULL once committed */
    char id[CHUNK_ID_STRLEN];
    bool sync;
    bool committed;
    int rc; /* commit result */
    bool created;
    bool closed;  /* stream_close(ok=true) ran */
    bool replied; /* the handler ran */
};

/* The id in the URL, checked.  false after replying 400. */
static bool routes_chunk_id(struct http_request *req, struct http_reply *rep)
{
    if (chunk_id_valid(req->suffix)) return true;
    http_reply_error(rep, 400, "EINVAL",
                     "chunk id must be 64 lowercase hex characters");
    return false;
}

/* ---- PUT ---- */

static bool routes_want_sync(struct http_request *req)
{
    const char *sync = http_request_arg(req, DFS_QUERY_SYNC);

    return sync && strcmp(sync, "1") == 0;
}

static void *routes_put_open(struct http_request *req, struct http_reply *rep,
                             void *arg)
{
    struct routes_ctx *ctx = arg;
    struct put_stream *st;
    int rc;

    if (!chunk_id_valid_n(req->suffix, strlen(req->suffix))) {
        routes_chunk_id(req, rep);
        return NULL;
    }
    /* http_server leaves the body check to the store (which hashes the
     * chunk anyway); that proves the signed body only if it is the id. */
    if (req->body_hash && strcmp(req->body_hash, req->suffix) != 0) {
        http_reply_error(rep, 400, "EINVAL",
                         "signed body hash is not the chunk id");
        return NULL;
    }
    st = calloc(1, sizeof(*st));
    if (!st) {
        http_reply_errno(rep, ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(st->id, req->suffix, CHUNK_ID_STRLEN);
    st->sync = routes_want_sync(req);
    rc = chunk_store_put_begin(ctx->store, st->id, &st->put);
    if (rc < 0) {
        log_error("cannot start writing chunk %s: %s", st->id, strerror(-rc));
        http_reply_errno(rep, -rc, "cannot store chunk: %s", strerror(-rc));
        free(st);
        return NULL;
    }
    return st;
}

static int routes_put_write(void *stream, const char *data, size_t len)
{
    struct put_stream *st = stream;
    int rc = chunk_store_put_write(st->put, data, len);

    if (rc < 0) /* http_server replies (507 for ENOSPC) and aborts */
        log_warn("writing chunk %s failed: %s", st->id, strerror(-rc));
    return rc;
}

static void routes_put_commit(struct put_stream *st)
{
    if (st->committed) return;
    st->committed = true;
    st->rc = chunk_store_put_commit(st->put, st->sync, &st->created);
    st->put = NULL;
}

static void routes_put_close(void *stream, bool ok)
{
    struct put_stream *st = stream;

    if (!ok) {
        /* cut short, too long, or not the body that was signed */
        chunk_store_put_abort(st->put);
        free(st);
        return;
    }
    routes_put_commit(st);
    if (st->replied)
        free(st);
    else
        st->closed = true;
}

static void routes_put_reply(struct put_stream *st, struct http_reply *rep)
{
    if (st->rc == 0) {
        http_reply_empty(rep, st->created ? 201 : 200);
    } else if (st->rc == -EBADMSG) {
        http_reply_error(rep, 400, "EBADMSG",
                         "body does not hash to the chunk id %s", st->id);
    } else if (st->rc == -ENOSPC) {
        log_warn("no space for chunk %s", st->id);
        http_reply_errno(rep, ENOSPC, "no space left for chunk %s", st->id);
    } else {
        log_error("storing chunk %s failed: %s", st->id, strerror(-st->rc));
        http_reply_errno(rep, -st->rc, "storing chunk %s failed: %s", st->id,
                         strerror(-st->rc));
    }
}

static void routes_put(struct http_request *req, struct http_reply *rep,
                       void *arg)
{
    struct routes_ctx *ctx = arg;
    struct put_stream *st = req->stream;

    if (!st) {
        /* no body was streamed at all: the empty chunk */
        struct put_stream empty = {0};
        if (!routes_chunk_id(req, rep)) return;
        memcpy(empty.id, req->suffix, CHUNK_ID_STRLEN);
        empty.rc = chunk_store_put(ctx->store, empty.id, "", 0,
                                   routes_want_sync(req), &empty.created);
        routes_put_reply(&empty, rep);
        return;
    }
    routes_put_commit(st);
    routes_put_reply(st, rep);
    if (st->closed)
        free(st);
    else
        st->replied = true;
}

/* ---- GET, HEAD ---- */

static void routes_get(struct http_request *req, struct http_reply *rep,
                       void *arg)
{
    struct routes_ctx *ctx = arg;
    uint64_t size, offset = 0, len;
    char range[96], check[CHUNK_CHECK_STRLEN];
    int fd, rc;

    if (!routes_chunk_id(req, rep)) return;
    rc = chunk_store_open_read(ctx->store, req->suffix, &fd, &size);
    if (rc < 0) {
        http_reply_errno(rep, -rc, "chunk %s: %s", req->suffix, strerror(-rc));
        return;
    }
    len = size;
    switch (http_range_parse(http_request_header(req, "Range"), size, &offset,
                             &len)) {
    case HTTP_RANGE_UNSATISFIABLE:
        close(fd);
        snprintf(range, sizeof(range), "bytes */%llu",
                 (unsigned long long)size);
        http_reply_error(rep, 416, "EINVAL",
                         "range outside chunk of %llu "
                         "bytes",
                         (unsigned long long)size);
        http_reply_header(rep, "Content-Range", range);
        return;
    case HTTP_RANGE_PARTIAL:
        snprintf(range, sizeof(range), "bytes %llu-%llu/%llu",
                 (unsigned long long)offset,
                 (unsigned long long)(offset + len - 1),
                 (unsigned long long)size);
        http_reply_fd(rep, 206, fd, offset, len);
        http_reply_header(rep, "Content-Range", range);
        break;
    case HTTP_RANGE_WHOLE:
        if (chunk_store_read_check(fd, check) == 0)
            http_reply_header(rep, DFS_CHECK_HEADER, check);
        http_reply_fd(rep, 200, fd, 0, size);
        break;
    }
    http_reply_header(rep, "Content-Type", "application/octet-stream");
    http_reply_header(rep, "Accept-Ranges", "bytes");
}

/* ---- DELETE ---- */

static void routes_delete(struct http_request *req, struct http_reply *rep,
                          void *arg)
{
    struct routes_ctx *ctx = arg;
    int rc;

    if (!routes_chunk_id(req, rep)) return;
    rc = chunk_store_delete(ctx->store, req->suffix);
    if (rc < 0 && rc != -ENOENT)
        log_error("deleting chunk %s: %s", req->suffix, strerror(-rc));
    if (rc < 0)
        http_reply_errno(rep, -rc, "chunk %s: %s", req->suffix, strerror(-rc));
    else
        http_reply_empty(rep, 204);
}

/* ---- POST /v1/sync ---- */

static int routes_sync_ids(json_object *arr, const char ***ids, size_t *n)
{
    size_t len = json_object_array_length(arr);
    const char **v = calloc(len ? len : 1, sizeof(*v));

    if (!v) return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(e, json_type_string) ||
            !chunk_id_valid(json_object_get_string(e))) {
            free(v);
            return -EINVAL;
        }
        v[i] = json_object_get_string(e);
    }
    *ids = v;
    *n = len;
    return 0;
}

static void routes_sync(struct http_request *req, struct http_reply *rep,
                        void *arg)
{
    struct routes_ctx *ctx = arg;
    json_object *body = NULL, *arr;
    const char **ids = NULL;
    char err[256];
    size_t n = 0;
    int rc;

    rc = json_parse_object(req->body, req->body_len, &body, err, sizeof(err));
    if (rc == 0) rc = json_get_array(body, K_CHUNKS, &arr, err, sizeof(err));
    if (rc == 0 && routes_sync_ids(arr, &ids, &n) < 0) {
        snprintf(err, sizeof(err), "\"%s\" must hold chunk ids", K_CHUNKS);
        rc = -EINVAL;
    }
    if (rc < 0) {
        http_reply_errno(rep, -rc, "%s", err);
    } else if ((rc = chunk_store_sync_ids(ctx->store, ids, n)) < 0) {
        log_error("sync of %zu chunks failed: %s", n, strerror(-rc));
        http_reply_errno(rep, -rc, "fsync failed: %s", strerror(-rc));
    } else {
        json_object *empty = json_object_new_object();
        http_reply_json(rep, 200, empty); /* copies the text; we still own it */
        json_object_put(empty);
    }
    free(ids);
    json_object_put(body);
}

/* ---- GET /v1/status ---- */

static void routes_status(struct http_request *req, struct http_reply *rep,
                          void *arg)
{
    struct routes_ctx *ctx = arg;
    uint64_t capacity = 0, free_bytes = 0;
    json_object *o;
    int rc;

    (void)req;
    rc = chunk_store_space_advertised(ctx->store, ctx->capacity, &capacity,
                                      &free_bytes);
    if (rc < 0) {
        http_reply_errno(rep, -rc, "statvfs: %s", strerror(-rc));
        return;
    }
    o = json_object_new_object();
    json_add_string(o, K_NODE_ID, ctx->node_id);
    json_add_u64(o, K_CAPACITY, capacity);
    json_add_u64(o, K_FREE, free_bytes);
    json_add_u64(o, K_CHUNK_COUNT, chunk_store_count(ctx->store));
    http_reply_json(rep, 200, o);
    json_object_put(o);
}

#define SIMPLE_ROUTE(m, path, roles, limit, fn)                                \
    {.method = (m), .prefix = (path), .allowed_roles = (roles),                \
     .body_limit = (limit), .handle = (fn)}

const struct http_route *routes_table(struct routes_ctx *ctx)
{
    const struct http_route table[] = {
        {.method = "PUT",
         .prefix = DFS_PATH_CHUNK,
         .allowed_roles = ROLES_ANY,
         .body_limit = ctx->chunk_size_max,
         .handle = routes_put,
         .stream_open = routes_put_open,
         .stream_write = routes_put_write,
         .stream_close = routes_put_close,
         .sink_checks_body_hash = true},
        SIMPLE_ROUTE("GET", DFS_PATH_CHUNK, ROLES_ANY, 0, routes_get),
        SIMPLE_ROUTE("HEAD", DFS_PATH_CHUNK, ROLES_ANY, 0, routes_get),
        SIMPLE_ROUTE("DELETE", DFS_PATH_CHUNK, ROLE(MASTER), 0, routes_delete),
        SIMPLE_ROUTE("POST", DFS_PATH_SYNC, ROLES_ANY, DFS_JSON_BODY_MAX,
                     routes_sync),
        SIMPLE_ROUTE("GET", DFS_PATH_STATUS, ROLES_ANY, 0, routes_status),
        {0},
    };

    _Static_assert(sizeof(table) <= sizeof(ctx->table), "ROUTES_MAX");
    memcpy(ctx->table, table, sizeof(table));
    return ctx->table;
}
