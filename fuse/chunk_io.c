/*
 * chunk_io.c - moving chunk bytes between mount.dfs and chunk servers.
 *
 * Everything here is stateless apart from the shared cache and node list,
 * so any number of FUSE threads and background uploads may call in at
 * once; the http client pools the connections.
 */
#include "chunk_io.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "node_cache.h"
#include "placement.h"
#include "wire.h"

#define CHUNK_IO_TIMEOUT_MS 60000
#define CHUNK_IO_SYNC_BATCH 4096

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep before the next round of a retry loop; false once past deadline. */
static bool retry_wait(long long deadline, int *round)
{
    long long left = deadline - mono_ms();
    long wait = 100L << (*round < 4 ? *round : 4);
    if (left <= 0) return false;
    if (wait > left) wait = (long)left;
    usleep((useconds_t)wait * 1000);
    (*round)++;
    return true;
}

static void chunk_path(char *buf, size_t len, const char *id, bool sync)
{
    snprintf(buf, len, "%s%s%s", DFS_PATH_CHUNK, id,
             sync ? "?" DFS_QUERY_SYNC "=1" : "");
}

/* One replica: 0 and the bytes, or -errno (reason logged). */
static int fetch_from(struct dfs_mount *m, const struct dfs_chunk *c,
                      const char *addr, struct chunk_data **out)
{
    struct http_response r;
    char path[128], got[CHUNK_ID_STRLEN];
    int rc;

    chunk_path(path, sizeof(path), c->id, false);
    rc = http_request(m->http, addr, "GET", path, NULL, 0, NULL,
                      CHUNK_IO_TIMEOUT_MS, &r);
    if (rc < 0) {
        log_warn("chunk %.12s from %s: %s", c->id, addr, r.error);
        http_response_free(&r);
        return rc;
    }
    if (r.status != 200) {
        log_warn("chunk %.12s from %s: HTTP %ld", c->id, addr, r.status);
        http_response_free(&r);
        return -EIO;
    }
    chunk_id_compute(r.body ? r.body : "", r.body_len, got);
    if (strcmp(got, c->id) != 0) {
        log_error("chunk %.12s from %s: content hashes to %.12s", c->id, addr,
                  got);
        http_response_free(&r);
        return -EBADMSG;
    }
    /* The verified body becomes the chunk: no 4 MiB copy. */
    *out = r.body_len > 0 ? chunk_data_adopt(r.body, r.body_len)
                          : chunk_data_new_uninit(0);
    if (*out && r.body_len > 0) r.body = NULL;
    http_response_free(&r);
    return *out ? 0 : -ENOMEM;
}

static int chunk_load(void *arg, const char *id, struct chunk_data **out)
{
    void **a = arg;
    struct dfs_mount *m = a[0];
    const struct dfs_chunk *c = a[1];
    long long deadline = mono_ms() + m->retry_ms;
    int round = 0;

    (void)id;
    do {
        bool transport_only = true;
        for (size_t i = 0; i < c->nreplicas; i++) {
            int rc = fetch_from(m, c, c->replicas[i], out);
            if (rc == 0) return 0;
            if (rc == -EBADMSG || rc == -ENOMEM) transport_only = false;
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

/* Ranking of the current node list for one chunk. */
struct upload {
    struct dfs_node *nodes;
    size_t n;
    size_t *order;
    size_t next; /* next index into order to try */
};

static int upload_plan(struct dfs_mount *m, const char *id, struct upload *u)
{
    struct placement_node *pn;
    int rc = node_cache_get(m->nodes, &u->nodes, &u->n);
    if (rc < 0) return rc;
    pn = calloc(u->n ? u->n : 1, sizeof(*pn));
    u->order = calloc(u->n ? u->n : 1, sizeof(*u->order));
    if (!pn || !u->order) {
        free(pn);
        return -ENOMEM;
    }
    for (size_t i = 0; i < u->n; i++) {
        memcpy(pn[i].id, u->nodes[i].id, sizeof(pn[i].id));
        memcpy(pn[i].zone, u->nodes[i].zone, sizeof(pn[i].zone));
        pn[i].weight = u->nodes[i].free;
    }
    placement_rank(id, pn, u->n, m->replication, u->order);
    free(pn);
    u->next = 0;
    return 0;
}

static void upload_done(struct upload *u)
{
    free(u->nodes);
    free(u->order);
}

/* One pass down the ranking; returns the number of copies stored. */
static size_t upload_pass(struct dfs_mount *m, struct upload *u,
                          const char *path, const void *data, size_t len,
                          struct dfs_chunk_ref *ref, struct dfs_chunk *where)
{
    size_t want =
        m->replication < DFS_MAX_REPLICAS ? m->replication : DFS_MAX_REPLICAS;
    size_t stored = 0;
    struct http_parallel_request reqs[DFS_MAX_REPLICAS];
    size_t idx[DFS_MAX_REPLICAS];

    while (stored < want && u->next < u->n) {
        size_t k = 0;
        while (stored + k < want && u->next < u->n) {
            idx[k] = u->order[u->next++];
            reqs[k] = (struct http_parallel_request){.hostport =
                                                         u->nodes[idx[k]].addr,
                                                     .method = "PUT",
                                                     .path = path,
                                                     .body = data,
                                                     .body_len = len,
                                                     .body_hash = ref->id};
            k++;
        }
        http_request_parallel(m->http, reqs, k, CHUNK_IO_TIMEOUT_MS);
        for (size_t i = 0; i < k; i++) {
            const struct dfs_node *nd = &u->nodes[idx[i]];
            if (reqs[i].rc == 0 &&
                (reqs[i].resp.status == 200 || reqs[i].resp.status == 201)) {
                memcpy(ref->nodes[stored], nd->id, sizeof(ref->nodes[0]));
                memcpy(where->replicas[stored], nd->addr,
                       sizeof(where->replicas[0]));
                stored++;
            } else {
                log_warn("chunk %.12s to %s: %s", where->id, nd->addr,
                         reqs[i].rc < 0      ? reqs[i].resp.error
                         : reqs[i].resp.body ? reqs[i].resp.body
                                             : "HTTP error");
            }
            http_response_free(&reqs[i].resp);
        }
    }
    return stored;
}

int chunk_io_write(struct dfs_mount *m, const char *id, const void *data,
                   size_t len, bool sync, struct dfs_chunk_ref *ref,
                   struct dfs_chunk *where)
{
    char path[128];
    long long deadline = mono_ms() + m->retry_ms;
    int round = 0;
    size_t stored = 0;

    memset(ref, 0, sizeof(*ref));
    memcpy(ref->id, id, CHUNK_ID_STRLEN);
    ref->len = (uint32_t)len;
    memset(where, 0, sizeof(*where));
    memcpy(where->id, id, CHUNK_ID_STRLEN);
    where->len = (uint32_t)len;
    chunk_path(path, sizeof(path), id, sync);
    do {
        struct upload u;
        if (upload_plan(m, id, &u) == 0) {
            stored = upload_pass(m, &u, path, data, len, ref, where);
            upload_done(&u);
        }
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
    ref->nnodes = where->nreplicas = stored;
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
    http_request_parallel(m->http, reqs, naddrs, CHUNK_IO_TIMEOUT_MS);
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
