/*
 * chunk_io.c - moving chunk bytes between mount.dfs and chunk servers.
 *
 * The transfers themselves are chunk_client's; this file adds what the
 * mount needs on top: retrying for retry_ms, the node list from
 * node_cache, the chunk cache, and batched fsync requests.  Everything
 * here is stateless apart from the shared cache and node list, so any
 * number of FUSE threads and background uploads may call in at once.
 */
#include "chunk_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunk_client.h"
#include "clock.h"
#include "local_read.h"
#include "log.h"
#include "node_cache.h"
#include "wire.h"

#define CHUNK_IO_SYNC_BATCH 4096

/* Sleep before the next round of a retry loop; false once past deadline. */
static bool retry_wait(long long deadline, int *round)
{
    long long left = deadline - clock_monotonic_ms();
    long wait = 100L << (*round < 4 ? *round : 4);
    if (left <= 0) return false;
    if (wait > left) wait = (long)left;
    usleep((useconds_t)wait * 1000);
    (*round)++;
    return true;
}

/* One replica: 0 and the bytes, or -errno (reason logged).  A server on
 * this host hands over the chunk file; only when it cannot (it is
 * elsewhere, or the exchange failed) the bytes come over HTTP. */
static int fetch_from(struct dfs_mount *m, const struct dfs_chunk *c,
                      const char *addr, struct chunk_data **out)
{
    enum chunk_verify verify =
        m->verify_strict ? CHUNK_VERIFY_STRICT : CHUNK_VERIFY_FAST;
    char *body, err[700];
    size_t len;
    int rc = m->local ? local_read_fetch(m->local, addr, c->id, m->chunk_size,
                                         verify, out)
                      : -ENOTCONN;

    if (rc == -ENOENT) log_warn("chunk %.12s from %s: not there", c->id, addr);
    if (rc != -ENOTCONN) return rc == -ENOENT ? -EIO : rc;
    rc = chunk_client_fetch(m->http, addr, c->id, verify, &body, &len, err,
                            sizeof(err));

    if (rc == -EBADMSG) log_error("chunk %.12s from %s", c->id, err);
    if (rc < 0 && rc != -EBADMSG) log_warn("chunk %.12s from %s", c->id, err);
    if (rc < 0) return rc;
    /* The verified body becomes the chunk: no 4 MiB copy. */
    *out = len > 0 ? chunk_data_adopt(body, len) : chunk_data_new_uninit(0);
    if (!*out) free(body);
    return *out ? 0 : -ENOMEM;
}

static int chunk_load(void *arg, const char *id, struct chunk_data **out)
{
    void **a = arg;
    struct dfs_mount *m = a[0];
    const struct dfs_chunk *c = a[1];
    long long deadline = clock_monotonic_ms() + m->retry_ms;
    int round = 0;

    (void)id;
    do {
        bool transport_only = true;
        for (size_t i = 0; i < c->nreplicas; i++) {
            int rc = fetch_from(m, c, c->replicas[i], out);
            if (rc == 0) return 0;
            if (rc == -EBADMSG || rc == -ENOMEM || rc == -EINVAL)
                transport_only = false;
        }
        /* Only waiting can help a server that is down or restarting; a
         * corrupt copy everywhere will not heal within retry_ms. */
        if (!transport_only) break;
    } while (c->nreplicas > 0 && retry_wait(deadline, &round));
    log_error("chunk %.12s: no replica of %zu served it", c->id, c->nreplicas);
    return -EIO;
}

int chunk_io_read(struct dfs_mount *m, const struct dfs_chunk *c,
                  struct chunk_data **out)
{
    void *arg[2] = {m, (void *)c};
    return chunk_cache_get(m->cache, c->id, chunk_load, arg, out);
}

/* One pass down the ranking of the current node list; the number of
 * copies stored (each failed node is logged by chunk_client_put). */
static size_t upload_pass(struct dfs_mount *m, const void *data, bool sync,
                          struct dfs_chunk_ref *ref, struct dfs_chunk *where)
{
    struct dfs_node *nodes;
    size_t n, *order;

    if (node_cache_get(m->nodes, &nodes, &n) < 0) return 0;
    order = calloc(n ? n : 1, sizeof(*order));
    if (order && chunk_client_rank(ref->id, nodes, n, m->replication,
                                   order) == 0)
        chunk_client_put(m->http, nodes, order, n, m->replication, data, sync,
                         ref, where, NULL, 0);
    free(order);
    free(nodes);
    return ref->nnodes;
}

int chunk_io_write(struct dfs_mount *m, const char *id, const void *data,
                   size_t len, bool sync, struct dfs_chunk_ref *ref,
                   struct dfs_chunk *where)
{
    long long deadline = clock_monotonic_ms() + m->retry_ms;
    int round = 0;
    size_t stored = 0;

    memset(ref, 0, sizeof(*ref));
    memcpy(ref->id, id, CHUNK_ID_STRLEN);
    ref->len = (uint32_t)len;
    memset(where, 0, sizeof(*where));
    memcpy(where->id, id, CHUNK_ID_STRLEN);
    where->len = (uint32_t)len;
    do {
        stored = upload_pass(m, data, sync, ref, where);
        if (stored < m->replication) node_cache_invalidate(m->nodes);
    } while (stored == 0 && retry_wait(deadline, &round));
    if (stored == 0) {
        log_error("chunk %.12s: no chunk server stored it", id);
        return -EIO;
    }
    if (stored < m->replication)
        log_warn("chunk %.12s: %zu of %u copies stored; the master will "
                 "repair",
                 id, stored, m->replication);
    return 0;
}

static int sync_batch(struct dfs_mount *m, char (*addrs)[ADDR_TEXT_MAX],
                      size_t naddrs, char (*ids)[CHUNK_ID_STRLEN], size_t nids)
{
    json_object *o = json_object_new_object(), *a = json_object_new_array();
    struct http_parallel_request *reqs = calloc(naddrs, sizeof(*reqs));
    const char *body;
    int rc = 0;

    if (!reqs) {
        json_object_put(o);
        json_object_put(a);
        return -ENOMEM;
    }
    for (size_t i = 0; i < nids; i++)
        json_object_array_add(a, json_object_new_string(ids[i]));
    json_object_object_add(o, K_CHUNKS, a);
    body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    for (size_t i = 0; i < naddrs; i++)
        reqs[i] = (struct http_parallel_request){.hostport = addrs[i],
                                                 .method = "POST",
                                                 .path = DFS_PATH_SYNC,
                                                 .body = body,
                                                 .body_len = strlen(body)};
    http_request_parallel(m->http, reqs, naddrs, CHUNK_CLIENT_TIMEOUT_MS);
    for (size_t i = 0; i < naddrs; i++) {
        if (reqs[i].rc < 0 || reqs[i].resp.status / 100 != 2) {
            log_error("fsync on %s: %s", addrs[i],
                      reqs[i].rc < 0 ? reqs[i].resp.error : "HTTP error");
            rc = -EIO;
        }
        http_response_free(&reqs[i].resp);
    }
    free(reqs);
    json_object_put(o);
    return rc;
}

int chunk_io_sync(struct dfs_mount *m, char (*addrs)[ADDR_TEXT_MAX],
                  size_t naddrs, char (*ids)[CHUNK_ID_STRLEN], size_t nids)
{
    for (size_t i = 0; i < nids; i += CHUNK_IO_SYNC_BATCH) {
        size_t k =
            nids - i < CHUNK_IO_SYNC_BATCH ? nids - i : CHUNK_IO_SYNC_BATCH;
        int rc = sync_batch(m, addrs, naddrs, ids + i, k);
        if (rc < 0) return rc;
    }
    return 0;
}
