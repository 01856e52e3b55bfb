/*
 * master_client.c - typed calls to dfs-master with bounded retries.
 *
 * Every call is one JSON round trip through mc_call(), which owns the
 * retry policy: no response (refused, reset, timeout) and 5xx replies are
 * retried with exponential backoff until retry_ms have passed, so a master
 * restart is ridden out; 4xx replies are answers and come back at once as
 * -errno.  507 (ENOSPC) and 501 are answers too.
 *
 * Caveat: a non-idempotent op (mkdir, unlink, rename...) whose reply was
 * lost may have been applied; its retry then sees EEXIST or ENOENT.
 */
#include "master_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "errname.h"
#include "json_util.h"
#include "log.h"
#include "wire.h"

#define MC_ATTEMPT_MAX_MS 10000
#define MC_ATTEMPT_MIN_MS 200
#define MC_BACKOFF_FIRST_MS 50
#define MC_BACKOFF_MAX_MS 1000
/* 503: the master asks to come back soon (another client's directory
 * lease is being given up), so ask often, without backing off. */
#define MC_BUSY_RETRY_MS 20
#define MC_WARN_INTERVAL_MS 10000

struct master_client {
    struct http_client *http;
    char *hostport;
    long retry_ms;
    pthread_mutex_t lock;
    int64_t last_warn_ms; /* rate-limits the "giving up" line */
    struct master_piggyback piggyback;
    char id_header[sizeof(DFS_CLIENT_HEADER) + 80];
    const char *headers[3]; /* http_json_headers, and id_header if set */
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

struct master_client *master_client_new(struct http_client *http,
                                        const char *hostport, long retry_ms)
{
    struct master_client *mc = calloc(1, sizeof(*mc));
    if (!mc) return NULL;
    mc->http = http;
    mc->retry_ms = retry_ms < 0 ? 0 : retry_ms;
    mc->hostport = strdup(hostport);
    if (!mc->hostport) {
        free(mc);
        return NULL;
    }
    pthread_mutex_init(&mc->lock, NULL);
    mc->last_warn_ms = -MC_WARN_INTERVAL_MS;
    mc->headers[0] = http_json_headers[0];
    return mc;
}

void master_client_set_id(struct master_client *mc, const char *id)
{
    snprintf(mc->id_header, sizeof(mc->id_header), "%s: %.64s",
             DFS_CLIENT_HEADER, id);
    mc->headers[1] = mc->id_header;
}

void master_client_free(struct master_client *mc)
{
    if (!mc) return;
    pthread_mutex_destroy(&mc->lock);
    free(mc->hostport);
    free(mc);
}

static void mc_warn(struct master_client *mc, const char *path, const char *why)
{
    int64_t now = clock_monotonic_ms();
    pthread_mutex_lock(&mc->lock);
    bool say = now - mc->last_warn_ms >= MC_WARN_INTERVAL_MS;
    if (say) mc->last_warn_ms = now;
    pthread_mutex_unlock(&mc->lock);
    if (say)
        log_warn("master %s unreachable for %ld ms (%s): %s", mc->hostport,
                 mc->retry_ms, path, why);
}

static bool status_retryable(long status)
{
    return status == 0 || (status >= 500 && status != 501 && status != 507);
}

/* The master's "ask again soon" (EAGAIN): another client holds a lease
 * on a directory the call changes, and is being asked to give it up. */
static bool lease_busy(const struct http_response *resp)
{
    return resp->status == 503 && resp->body &&
           strstr(resp->body, "\"EAGAIN\"") != NULL;
}

/* One call with retries.  0 and *reply (caller puts), or -errno. */
static int mc_call(struct master_client *mc, const char *method,
                   const char *path, json_object *req, json_object **reply)
{
    size_t len;
    const char *body = http_json_text(req, &len);
    char why[256] = "";
    int64_t deadline = clock_monotonic_ms() + mc->retry_ms;
    long backoff = MC_BACKOFF_FIRST_MS;
    *reply = NULL;
    for (;;) {
        int64_t left = deadline - clock_monotonic_ms();
        long attempt = left > MC_ATTEMPT_MAX_MS   ? MC_ATTEMPT_MAX_MS
                       : left < MC_ATTEMPT_MIN_MS ? MC_ATTEMPT_MIN_MS
                                                  : (long)left;
        struct http_response resp;
        int rc = http_request(mc->http, mc->hostport, method, path, body, len,
                              mc->headers, attempt, &resp);
        if (rc == 0 && !status_retryable(resp.status)) {
            rc = http_response_json(&resp, mc->hostport, reply, why,
                                    sizeof(why));
            http_response_free(&resp);
            if (rc < 0 && resp.status >= 200 && resp.status < 300)
                log_warn("master %s %s: %s", mc->hostport, path, why);
            return rc;
        }
        bool busy = rc == 0 && lease_busy(&resp);
        if (rc < 0)
            snprintf(why, sizeof(why), "%s", resp.error);
        else
            snprintf(why, sizeof(why), "HTTP status %ld", resp.status);
        http_response_free(&resp);
        left = deadline - clock_monotonic_ms();
        if (left <= 0) break;
        if (busy) {
            sleep_ms(MC_BUSY_RETRY_MS < left ? MC_BUSY_RETRY_MS : (long)left);
            continue;
        }
        sleep_ms(backoff < left ? backoff : (long)left);
        backoff =
            backoff * 2 > MC_BACKOFF_MAX_MS ? MC_BACKOFF_MAX_MS : backoff * 2;
    }
    mc_warn(mc, path, why);
    return -EIO;
}

/* POST DFS_PATH_FS op, alone; req is consumed. */
static int mc_fs_alone(struct master_client *mc, const char *op,
                       json_object *req, json_object **reply)
{
    char path[64];
    snprintf(path, sizeof(path), "%s%s", DFS_PATH_FS, op);
    int rc = mc_call(mc, "POST", path, req, reply);
    json_object_put(req);
    return rc;
}

static int batch_send(struct master_client *mc, json_object *ops,
                      json_object **results);

/* ops behind the piggybacked ones (ahead) in one batch: done() gets the
 * results of those, *results only the results of ops.  Consumes both
 * arrays. */
static int batch_behind(struct master_client *mc, json_object *ahead,
                        json_object *ops, json_object **results)
{
    const struct master_piggyback *pb = &mc->piggyback;
    size_t n = json_object_array_length(ahead);
    size_t nops = json_object_array_length(ops);
    json_object *all;
    int rc;

    for (size_t i = 0; i < nops; i++)
        json_object_array_add(
            ahead, json_object_get(json_object_array_get_idx(ops, i)));
    json_object_put(ops);
    *results = NULL;
    rc = batch_send(mc, ahead, &all);
    if (rc < 0) {
        pb->done(pb->arg, NULL, rc);
        return rc;
    }
    pb->done(pb->arg, all, 0);
    *results = json_object_new_array_ext((int)nops);
    for (size_t i = 0; i < nops; i++)
        json_object_array_add(
            *results, json_object_get(json_object_array_get_idx(all, n + i)));
    json_object_put(all);
    return 0;
}

/* op behind the piggybacked ops, in one batch.  If the master has no
 * batches, op goes alone (the piggyback owner resends its own ops). */
static int mc_fs_behind(struct master_client *mc, const char *op,
                        json_object *req, json_object **reply,
                        json_object *ahead)
{
    json_object *ops = json_object_new_array(), *results, *result;
    int rc;

    json_object_object_add(req, K_OP, json_object_new_string(op));
    json_object_array_add(ops, json_object_get(req));
    rc = batch_behind(mc, ahead, ops, &results);
    if (rc == -ENOSYS) {
        json_object_object_del(req, K_OP);
        return mc_fs_alone(mc, op, req, reply);
    }
    json_object_put(req);
    if (rc < 0) return rc;
    result = json_object_array_get_idx(results, 0);
    rc = master_batch_errno(result);
    *reply = rc == 0 ? json_object_get(result) : NULL;
    json_object_put(results);
    return rc;
}

/* POST DFS_PATH_FS op; req is consumed. */
static int mc_fs(struct master_client *mc, const char *op, json_object *req,
                 json_object **reply)
{
    json_object *ahead =
        mc->piggyback.take ? mc->piggyback.take(mc->piggyback.arg) : NULL;
    return ahead ? mc_fs_behind(mc, op, req, reply, ahead)
                 : mc_fs_alone(mc, op, req, reply);
}

/* A reply we cannot decode is the master's fault: -EIO, logged. */
static int mc_bad_reply(struct master_client *mc, const char *what,
                        const char *why)
{
    log_warn("master %s: bad %s reply: %s", mc->hostport, what, why);
    return -EIO;
}

/* Calls whose reply is {"attr":{...}}. */
static int mc_fs_attr(struct master_client *mc, const char *op,
                      json_object *req, struct dfs_attr *out)
{
    json_object *reply, *attr;
    char why[256];
    int rc = mc_fs(mc, op, req, &reply);
    if (rc < 0) return rc;
    if (!json_object_object_get_ex(reply, K_ATTR, &attr)) {
        json_object_put(reply);
        return mc_bad_reply(mc, op, "no attr");
    }
    struct dfs_attr tmp;
    rc = meta_attr_from_json(attr, out ? out : &tmp, why, sizeof(why));
    json_object_put(reply);
    return rc < 0 ? mc_bad_reply(mc, op, why) : 0;
}

/* Calls that change names: keep the directories' new attributes.  A
 * reply without them (an older master), or with bad ones, leaves n = 0:
 * the caller then asks again when it needs them. */
static int mc_fs_dirs(struct master_client *mc, const char *op,
                      json_object *req, struct dfs_changed_dirs *dirs)
{
    json_object *reply, *arr;
    char why[256];
    int rc = mc_fs(mc, op, req, &reply);

    /* dirs->n is 0 already: the callers clear it before asking */
    if (rc < 0 || !dirs) {
        json_object_put(reply);
        return rc;
    }
    if (json_object_object_get_ex(reply, K_DIRS, &arr) &&
        json_object_is_type(arr, json_type_array)) {
        size_t count = json_object_array_length(arr);
        for (size_t i = 0; i < count && dirs->n < 2; i++) {
            json_object *o = json_object_array_get_idx(arr, i);
            if (meta_attr_from_json(o, &dirs->attr[dirs->n], why, sizeof(why)) <
                0) {
                dirs->n = 0;
                break;
            }
            dirs->n++;
        }
    }
    json_object_put(reply);
    return 0;
}

static json_object *req_ino(uint64_t ino)
{
    json_object *o = json_object_new_object();
    json_add_u64(o, K_INO, ino);
    return o;
}

static json_object *req_entry(uint64_t parent, const char *name)
{
    json_object *o = json_object_new_object();
    json_add_u64(o, K_PARENT, parent);
    json_add_string(o, K_NAME, name);
    return o;
}

/* Names longer than the wire allows fail here, as the kernel expects. */
static int check_name(const char *name)
{
    if (strlen(name) > DFS_NAME_MAX) return -ENAMETOOLONG;
    return meta_name_valid(name) ? 0 : -EINVAL;
}

/* ---- cluster ------------------------------------------------------------- */

int master_cluster_info(struct master_client *mc, struct dfs_cluster_info *out)
{
    json_object *reply;
    char why[256];
    int rc = mc_call(mc, "GET", DFS_PATH_CLUSTER_INFO, NULL, &reply);
    if (rc < 0) return rc;
    if ((rc = json_get_u32(reply, K_CHUNK_SIZE, &out->chunk_size, why,
                           sizeof(why))) == 0 &&
        (rc = json_get_u32(reply, K_REPLICATION, &out->replication, why,
                           sizeof(why))) == 0 &&
        out->chunk_size == 0) {
        snprintf(why, sizeof(why), "chunk_size 0");
        rc = -EINVAL;
    }
    json_object_put(reply);
    return rc < 0 ? mc_bad_reply(mc, "info", why) : 0;
}

int master_nodes(struct master_client *mc, struct dfs_node **nodes, size_t *n)
{
    json_object *reply, *arr;
    char why[256];
    *nodes = NULL;
    *n = 0;
    int rc = mc_call(mc, "GET", DFS_PATH_CLUSTER_NODES, NULL, &reply);
    if (rc < 0) return rc;
    rc = json_get_array(reply, K_NODES, &arr, why, sizeof(why));
    size_t count = rc < 0 ? 0 : json_object_array_length(arr);
    struct dfs_node *v = calloc(count ? count : 1, sizeof(*v));
    if (!v) rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = meta_node_from_json(json_object_array_get_idx(arr, i), &v[i], why,
                                 sizeof(why));
    json_object_put(reply);
    if (rc < 0) {
        free(v);
        return rc == -ENOMEM ? rc : mc_bad_reply(mc, "nodes", why);
    }
    *nodes = v;
    *n = count;
    return 0;
}

int master_statfs(struct master_client *mc, struct dfs_statfs *out)
{
    json_object *reply;
    char why[256];
    int rc = mc_call(mc, "GET", DFS_PATH_CLUSTER_STATFS, NULL, &reply);
    if (rc < 0) return rc;
    if ((rc = json_get_u64(reply, K_TOTAL, &out->total, why, sizeof(why))) ==
            0 &&
        (rc = json_get_u64(reply, K_AVAIL, &out->avail, why, sizeof(why))) == 0)
        rc = json_get_u64(reply, K_FILES, &out->files, why, sizeof(why));
    json_object_put(reply);
    return rc < 0 ? mc_bad_reply(mc, "statfs", why) : 0;
}

int master_status(struct master_client *mc, json_object **out)
{
    return mc_call(mc, "GET", DFS_PATH_CLUSTER_STATUS, NULL, out);
}

int master_drain(struct master_client *mc, const char *which, bool on,
                 struct dfs_node *out)
{
    json_object *req = json_object_new_object(), *reply = NULL, *node;
    char why[256] = "no node in the reply";
    json_add_string(req, K_NODE, which);
    json_object_object_add(req, K_DRAIN, json_object_new_boolean(on));
    int rc = mc_call(mc, "POST", DFS_PATH_CLUSTER_DRAIN, req, &reply);
    json_object_put(req);
    if (rc < 0) return rc;
    rc = json_object_object_get_ex(reply, K_NODE, &node)
             ? meta_node_from_json(node, out, why, sizeof(why))
             : -EINVAL;
    json_object_put(reply);
    return rc < 0 ? mc_bad_reply(mc, "drain", why) : 0;
}

/* ---- namespace ----------------------------------------------------------- */

int master_lookup(struct master_client *mc, uint64_t parent, const char *name,
                  struct dfs_attr *out)
{
    int rc = check_name(name);
    return rc < 0 ? rc : mc_fs_attr(mc, "lookup", req_entry(parent, name), out);
}

int master_getattr(struct master_client *mc, uint64_t ino, struct dfs_attr *out)
{
    return mc_fs_attr(mc, "getattr", req_ino(ino), out);
}

static json_object *req_setattr(uint64_t ino, const struct dfs_setattr *set)
{
    json_object *o = req_ino(ino);
    json_add_u64(o, K_SET, set->set);
    if (set->set & DFS_SET_MODE) json_add_u64(o, K_MODE, set->mode);
    if (set->set & DFS_SET_UID) json_add_u64(o, K_UID, set->uid);
    if (set->set & DFS_SET_GID) json_add_u64(o, K_GID, set->gid);
    if (set->set & DFS_SET_SIZE) json_add_u64(o, K_SIZE, set->size);
    if (set->set & DFS_SET_ATIME) json_add_i64(o, K_ATIME, set->atime_ns);
    if (set->set & DFS_SET_MTIME) json_add_i64(o, K_MTIME, set->mtime_ns);
    return o;
}

int master_setattr(struct master_client *mc, uint64_t ino,
                   const struct dfs_setattr *set, struct dfs_attr *out)
{
    return mc_fs_attr(mc, "setattr", req_setattr(ino, set), out);
}

json_object *master_mknod_op(uint64_t parent, const char *name, uint32_t mode,
                             uint32_t uid, uint32_t gid, uint64_t ino,
                             int64_t time_ns)
{
    json_object *o = req_entry(parent, name);
    json_object_object_add(o, K_OP, json_object_new_string("mknod"));
    json_add_u64(o, K_MODE, mode);
    json_add_u64(o, K_UID, uid);
    json_add_u64(o, K_GID, gid);
    json_add_u64(o, K_INO, ino);
    json_add_u64(o, K_TIME, (uint64_t)time_ns);
    return o;
}

int master_reserve(struct master_client *mc, uint32_t count, uint64_t *first,
                   uint32_t *got)
{
    json_object *o = json_object_new_object(), *reply;
    char why[256];
    int rc;

    json_add_u64(o, K_COUNT, count);
    if ((rc = mc_fs(mc, "reserve", o, &reply)) < 0) return rc;
    if (json_get_u64(reply, K_FIRST, first, why, sizeof(why)) < 0 ||
        json_get_u32(reply, K_COUNT, got, why, sizeof(why)) < 0 ||
        *first == 0 || *got == 0 || *got > count) {
        json_object_put(reply);
        return mc_bad_reply(mc, "reserve", "no range");
    }
    json_object_put(reply);
    return 0;
}

json_object *master_lease_op(uint64_t dir, bool held)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, K_OP, json_object_new_string("lease"));
    json_add_u64(o, K_INO, dir);
    if (held) json_add_bool(o, K_HELD, true);
    return o;
}

json_object *master_unlease_op(uint64_t dir)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, K_OP, json_object_new_string("unlease"));
    json_add_u64(o, K_INO, dir);
    return o;
}

int master_lease_result(json_object *result, int64_t *ms)
{
    char why[128];
    uint64_t v;
    int rc = master_batch_errno(result);

    if (rc < 0) return rc;
    if (json_get_u64(result, K_MS, &v, why, sizeof(why)) < 0 ||
        v > DFS_LEASE_TERM_MS * 10)
        return -EIO;
    *ms = (int64_t)v;
    return 0;
}

int master_lease(struct master_client *mc, uint64_t dir, int64_t *ms)
{
    json_object *o = json_object_new_object(), *reply = NULL;
    int rc;

    json_add_u64(o, K_INO, dir);
    rc = mc_fs(mc, "lease", o, &reply);
    if (rc == 0) rc = master_lease_result(reply, ms);
    json_object_put(reply);
    return rc;
}

int master_release(struct master_client *mc, uint64_t first)
{
    json_object *o = json_object_new_object(), *reply = NULL;

    json_add_u64(o, K_FIRST, first);
    int rc = mc_fs(mc, "release", o, &reply);
    json_object_put(reply);
    return rc;
}

json_object *master_setattr_op(uint64_t ino, const struct dfs_setattr *set)
{
    json_object *o = req_setattr(ino, set);
    json_object_object_add(o, K_OP, json_object_new_string("setattr"));
    return o;
}

int master_mknod(struct master_client *mc, uint64_t parent, const char *name,
                 uint32_t mode, uint32_t uid, uint32_t gid, uint64_t rdev,
                 struct dfs_attr *out)
{
    int rc = check_name(name);
    if (rc < 0) return rc;
    json_object *o = req_entry(parent, name);
    json_add_u64(o, K_MODE, mode);
    json_add_u64(o, K_UID, uid);
    json_add_u64(o, K_GID, gid);
    json_add_u64(o, K_RDEV, rdev);
    return mc_fs_attr(mc, "mknod", o, out);
}

int master_mkdir(struct master_client *mc, uint64_t parent, const char *name,
                 uint32_t mode, uint32_t uid, uint32_t gid,
                 struct dfs_attr *out)
{
    int rc = check_name(name);
    if (rc < 0) return rc;
    json_object *o = req_entry(parent, name);
    json_add_u64(o, K_MODE, mode);
    json_add_u64(o, K_UID, uid);
    json_add_u64(o, K_GID, gid);
    return mc_fs_attr(mc, "mkdir", o, out);
}

int master_symlink(struct master_client *mc, uint64_t parent, const char *name,
                   const char *target, uint32_t uid, uint32_t gid,
                   struct dfs_attr *out)
{
    int rc = check_name(name);
    if (rc < 0) return rc;
    if (strlen(target) > DFS_SYMLINK_MAX) return -ENAMETOOLONG;
    json_object *o = req_entry(parent, name);
    json_add_string(o, K_TARGET, target);
    json_add_u64(o, K_UID, uid);
    json_add_u64(o, K_GID, gid);
    return mc_fs_attr(mc, "symlink", o, out);
}

int master_readlink(struct master_client *mc, uint64_t ino, char **target)
{
    json_object *reply;
    const char *t;
    char why[256];
    *target = NULL;
    int rc = mc_fs(mc, "readlink", req_ino(ino), &reply);
    if (rc < 0) return rc;
    rc =
        json_get_string(reply, K_TARGET, DFS_SYMLINK_MAX, &t, why, sizeof(why));
    if (rc == 0 && !(*target = strdup(t))) rc = -ENOMEM;
    json_object_put(reply);
    if (rc == -EINVAL) return mc_bad_reply(mc, "readlink", why);
    return rc;
}

int master_link(struct master_client *mc, uint64_t ino, uint64_t newparent,
                const char *newname, struct dfs_attr *out)
{
    int rc = check_name(newname);
    if (rc < 0) return rc;
    json_object *o = req_ino(ino);
    json_add_u64(o, K_NEWPARENT, newparent);
    json_add_string(o, K_NEWNAME, newname);
    return mc_fs_attr(mc, "link", o, out);
}

int master_unlink(struct master_client *mc, uint64_t parent, const char *name,
                  struct dfs_changed_dirs *dirs)
{
    int rc = check_name(name);
    if (dirs) dirs->n = 0;
    return rc < 0 ? rc
                  : mc_fs_dirs(mc, "unlink", req_entry(parent, name), dirs);
}

int master_rmdir(struct master_client *mc, uint64_t parent, const char *name,
                 struct dfs_changed_dirs *dirs)
{
    int rc = check_name(name);
    if (dirs) dirs->n = 0;
    return rc < 0 ? rc : mc_fs_dirs(mc, "rmdir", req_entry(parent, name), dirs);
}

static json_object *req_rename(uint64_t parent, const char *name,
                               uint64_t newparent, const char *newname,
                               unsigned flags)
{
    json_object *o = req_entry(parent, name);
    json_add_u64(o, K_NEWPARENT, newparent);
    json_add_string(o, K_NEWNAME, newname);
    json_add_u64(o, K_FLAGS, flags);
    return o;
}

int master_rename(struct master_client *mc, uint64_t parent, const char *name,
                  uint64_t newparent, const char *newname, unsigned flags,
                  struct dfs_changed_dirs *dirs)
{
    int rc = check_name(name);
    if (dirs) dirs->n = 0;
    if (rc == 0) rc = check_name(newname);
    if (rc < 0) return rc;
    return mc_fs_dirs(mc, "rename",
                      req_rename(parent, name, newparent, newname, flags),
                      dirs);
}

json_object *master_rename_op(uint64_t parent, const char *name,
                              uint64_t newparent, const char *newname,
                              unsigned flags)
{
    json_object *o = req_rename(parent, name, newparent, newname, flags);
    json_object_object_add(o, K_OP, json_object_new_string("rename"));
    return o;
}

static int readdir_decode(json_object *reply, uint32_t limit,
                          struct dfs_dirent **ents, size_t *n, bool *eof,
                          char *why, size_t whylen)
{
    json_object *arr;
    int rc = json_get_array(reply, K_ENTRIES, &arr, why, whylen);
    if (rc < 0 || (rc = json_get_bool(reply, K_EOF, eof, why, whylen)) < 0)
        return rc;
    size_t count = json_object_array_length(arr);
    if (count > limit) {
        snprintf(why, whylen, "%zu entries for a limit of %u", count, limit);
        return -EINVAL;
    }
    struct dfs_dirent *v = calloc(count ? count : 1, sizeof(*v));
    if (!v) return -ENOMEM;
    for (size_t i = 0; i < count; i++) {
        rc = meta_dirent_from_json(json_object_array_get_idx(arr, i), &v[i],
                                   why, whylen);
        if (rc < 0) {
            free(v);
            return rc;
        }
    }
    *ents = v;
    *n = count;
    return 0;
}

int master_readdir(struct master_client *mc, uint64_t ino, uint64_t cookie,
                   uint32_t limit, struct dfs_dirent **ents, size_t *n,
                   bool *eof)
{
    json_object *reply;
    char why[256];
    *ents = NULL;
    *n = 0;
    *eof = false;
    if (limit == 0 || limit > DFS_READDIR_LIMIT_MAX)
        limit = DFS_READDIR_LIMIT_MAX;
    json_object *o = req_ino(ino);
    json_add_u64(o, K_COOKIE, cookie);
    json_add_u64(o, K_LIMIT, limit);
    int rc = mc_fs(mc, "readdir", o, &reply);
    if (rc < 0) return rc;
    rc = readdir_decode(reply, limit, ents, n, eof, why, sizeof(why));
    json_object_put(reply);
    if (rc == -EINVAL) return mc_bad_reply(mc, "readdir", why);
    return rc;
}

int master_chunks(struct master_client *mc, uint64_t ino,
                  struct dfs_chunk_map *out)
{
    json_object *reply;
    char why[256];
    memset(out, 0, sizeof(*out));
    int rc = mc_fs(mc, "chunks", req_ino(ino), &reply);
    if (rc < 0) return rc;
    rc = meta_chunk_map_from_json(reply, out, why, sizeof(why));
    json_object_put(reply);
    return rc < 0 ? mc_bad_reply(mc, "chunks", why) : 0;
}

int master_commit(struct master_client *mc, uint64_t ino, uint64_t size,
                  const struct dfs_chunk_ref *chunks, size_t n,
                  struct dfs_attr *out)
{
    json_object *o = req_ino(ino);
    json_add_u64(o, K_SIZE, size);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, meta_chunk_ref_to_json(&chunks[i]));
    json_object_object_add(o, K_CHUNKS, arr);
    return mc_fs_attr(mc, "commit", o, out);
}

/* ---- batches ------------------------------------------------------------- */

void master_client_set_piggyback(struct master_client *mc,
                                 const struct master_piggyback *pb)
{
    mc->piggyback = *pb;
}

/* ops alone in one batch request; consumes ops. */
static int batch_send(struct master_client *mc, json_object *ops,
                      json_object **results)
{
    size_t n = json_object_array_length(ops);
    json_object *req = json_object_new_object(), *reply, *arr;
    int rc;

    *results = NULL;
    json_object_object_add(req, K_OPS, ops);
    rc = mc_fs_alone(mc, "batch", req, &reply);
    /* An older master has no such op: 404 with ENOENT. */
    if (rc == -ENOENT) return -ENOSYS;
    if (rc < 0) return rc;
    if (!json_object_object_get_ex(reply, K_RESULTS, &arr) ||
        !json_object_is_type(arr, json_type_array) ||
        json_object_array_length(arr) != n) {
        json_object_put(reply);
        return mc_bad_reply(mc, "batch", "not one result per op");
    }
    *results = json_object_get(arr);
    json_object_put(reply);
    return 0;
}

int master_batch(struct master_client *mc, json_object *ops,
                 json_object **results)
{
    json_object *ahead =
        mc->piggyback.take ? mc->piggyback.take(mc->piggyback.arg) : NULL;
    return ahead ? batch_behind(mc, ahead, ops, results)
                 : batch_send(mc, ops, results);
}

int master_batch_errno(json_object *result)
{
    json_object *v;

    if (!json_object_is_type(result, json_type_object)) return -EIO;
    if (!json_object_object_get_ex(result, K_ERROR, &v)) return 0;
    return -errname_to_errno(json_object_get_string(v));
}
