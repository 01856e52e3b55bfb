/*
 * fuzz_master_routes.c - the master's request handlers on hostile bodies.
 *
 * The master decodes each request inside its route handler, next to the
 * meta_* call (there is no separate decode step to fuzz alone), so this
 * harness drives the real handlers (routes_fs, routes_node_heartbeat,
 * routes_node_report, routes_cluster_drain) against a real SQLite store
 * (inode reservations included: ino_ranges.c)
 * on tmpfs.  The HTTP layer is replaced by the small stubs below.  The
 * store is recreated every FUZZ_RESET inputs so it does not grow without
 * bound.
 *
 * Input: the route up to the first '\n' ("heartbeat", "report", "drain",
 * or an fs op such as "mkdir"), then the body.
 *
 * Property: what the master answers with 200 must decode with the very
 * decoders mount.dfs uses (meta_wire.h); otherwise a client could be
 * handed a record it refuses.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fuzz_common.h"
#include "http_server.h"
#include "json_util.h"
#include "log.h"
#include "meta.h"
#include "meta_wire.h"
#include "routes.h"
#include "wire.h"

#define FUZZ_RESET 1000

struct http_reply {
    int status;
    const char *op;
};

static struct meta *fuzz_meta;
static struct master_ctx fuzz_ctx; /* what the handlers get */
static char fuzz_dir[] = "/dev/shm/dfs-fuzz-master-XXXXXX";
static char fuzz_db[sizeof(fuzz_dir) + 16];
static unsigned fuzz_runs;

/* ---- the HTTP layer, stubbed ---- */

const char *http_request_arg(const struct http_request *req, const char *name)
{
    (void)req;
    (void)name;
    return NULL;
}

/* Every call comes from one client, so lease ops are taken and renewed
 * (another client's gate is covered by tests/unit/test_leases). */
const char *http_request_header(const struct http_request *req,
                                const char *name)
{
    (void)req;
    return strcmp(name, DFS_CLIENT_HEADER) == 0 ? "00112233445566778899aabbccddeeff"
                                                : NULL;
}

static void fuzz_check_attr(json_object *body)
{
    json_object *a;
    struct dfs_attr attr;
    char err[256];

    if (!json_object_object_get_ex(body, K_ATTR, &a)) return;
    if (meta_attr_from_json(a, &attr, err, sizeof(err)) < 0) {
        fprintf(stderr, "master sent an attr clients refuse: %s\n%s\n", err,
                json_object_to_json_string(body));
        abort();
    }
}

static void fuzz_check_reply(const char *op, json_object *body)
{
    struct dfs_chunk_map map;
    struct dfs_dirent d;
    json_object *arr;
    char err[256] = "";
    int rc = 0;

    fuzz_check_attr(body);
    if (strcmp(op, "readdir") == 0) {
        FUZZ_CHECK(json_get_array(body, K_ENTRIES, &arr, NULL, 0) == 0);
        for (size_t i = 0; rc == 0 && i < json_object_array_length(arr); i++)
            rc = meta_dirent_from_json(json_object_array_get_idx(arr, i), &d,
                                       err, sizeof(err));
    } else if (strcmp(op, "chunks") == 0) {
        rc = meta_chunk_map_from_json(body, &map, err, sizeof(err));
        meta_chunk_map_free(&map);
    }
    if (rc < 0) {
        fprintf(stderr, "master sent a %s reply clients refuse: %s\n%s\n", op,
                err, json_object_to_json_string(body));
        abort();
    }
}

void http_reply_json(struct http_reply *rep, int status, json_object *body)
{
    rep->status = status;
    json_object_to_json_string(body);
    if (status == 200 && rep->op) fuzz_check_reply(rep->op, body);
}

void http_reply_errno(struct http_reply *rep, int err, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    FUZZ_CHECK(err > 0);
    rep->status = 400;
}

void http_reply_error(struct http_reply *rep, int status, const char *code,
                      const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    (void)code;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    rep->status = status;
}

void http_reply_empty(struct http_reply *rep, int status)
{
    rep->status = status;
}

/* ---- the store ---- */

static void fuzz_store_open(void)
{
    struct meta_format fmt = {.chunk_size = 4096, .replication = 2};
    char err[256];

    unlink(fuzz_db);
    snprintf(err, sizeof(err), "%s-wal", fuzz_db);
    unlink(err);
    snprintf(err, sizeof(err), "%s-shm", fuzz_db);
    unlink(err);
    if (meta_open(fuzz_db, &fmt, &fuzz_meta, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz_master_routes: %s\n", err);
        abort();
    }
    fuzz_ctx.meta = fuzz_meta;
    fuzz_ctx.repair = repair_new(fuzz_meta);
    /* started a term ago: no restart grace holding changes back */
    fuzz_ctx.leases = leases_new(DFS_LEASE_TERM_MS,
                                 clock_monotonic_ms() - DFS_LEASE_TERM_MS);
    if (!fuzz_ctx.repair || !fuzz_ctx.leases) abort();
}

static void fuzz_store_close(void)
{
    repair_free(fuzz_ctx.repair);
    leases_free(fuzz_ctx.leases);
    meta_close(fuzz_meta);
}

static void fuzz_cleanup(void)
{
    char path[sizeof(fuzz_db) + 8];

    fuzz_store_close();
    unlink(fuzz_db);
    snprintf(path, sizeof(path), "%s-wal", fuzz_db);
    unlink(path);
    snprintf(path, sizeof(path), "%s-shm", fuzz_db);
    unlink(path);
    rmdir(fuzz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_init("fuzz_master_routes", LOG_LEVEL_ERROR);
    if (!mkdtemp(fuzz_dir)) abort();
    snprintf(fuzz_db, sizeof(fuzz_db), "%s/meta.db", fuzz_dir);
    fuzz_store_open();
    atexit(fuzz_cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t oplen = nl ? (size_t)(nl - data) : size;
    char *op = fuzz_strndup(data, oplen);
    char *body = nl ? fuzz_strndup(nl + 1, size - oplen - 1) : NULL;
    struct http_request req = {.method = "POST",
                               .path = "/v1/fuzz",
                               .suffix = op,
                               .role = AUTH_ROLE_CLIENT,
                               .body = body,
                               .body_len = body ? size - oplen - 1 : 0};
    struct http_reply rep = {.status = 0, .op = op};

    if (++fuzz_runs % FUZZ_RESET == 0) {
        fuzz_store_close();
        fuzz_store_open();
    }
    if (strcmp(op, "heartbeat") == 0) {
        req.role = AUTH_ROLE_CHUNKD;
        rep.op = NULL;
        routes_node_heartbeat(&req, &rep, &fuzz_ctx);
    } else if (strcmp(op, "report") == 0) {
        req.role = AUTH_ROLE_CHUNKD;
        rep.op = NULL;
        routes_node_report(&req, &rep, &fuzz_ctx);
    } else if (strcmp(op, "drain") == 0) {
        rep.op = NULL;
        routes_cluster_drain(&req, &rep, &fuzz_ctx);
    } else {
        routes_fs(&req, &rep, &fuzz_ctx);
    }
    FUZZ_CHECK(rep.status != 0); /* every request gets an answer */
    free(op);
    free(body);
    return 0;
}
