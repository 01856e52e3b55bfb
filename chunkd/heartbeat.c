/*
 * heartbeat.c - telling the master this chunk server is alive.
 *
 * A master that is down is normal (it restarts, it is not up yet): the
 * thread warns once, keeps beating, and says when the master is back.
 * The full chunk report follows every reconnection because a restarted
 * master may have lost track of what we hold.
 */
#include "heartbeat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "chunk_id.h"
#include "json_util.h"
#include "log.h"
#include "periodic.h"
#include "wire.h"

struct heartbeat {
    struct heartbeat_config cfg;
    struct periodic *timer;
    bool reachable;      /* last beat got an answer */
    bool warned;         /* the "unreachable" warning was logged */
    bool report_due;     /* send the full list after the next good beat */
    time_t last_report;  /* CLOCK_MONOTONIC seconds */
    json_object *added;  /* copies made, not yet in an answered beat */
    json_object *failed; /* copies that failed, likewise */
};

static time_t heartbeat_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* A request should not outlive the interval by much, nor give up on a
 * busy master too fast. */
static long heartbeat_timeout_ms(const struct heartbeat *hb)
{
    long long t = hb->cfg.interval_ms * 2;

    if (t < 2000) t = 2000;
    if (t > 10000) t = 10000;
    return (long)t;
}

static json_object *heartbeat_body(struct heartbeat *hb)
{
    json_object *o = json_object_new_object();
    uint64_t capacity = 0, free_bytes = 0;
    int rc;

    rc = chunk_store_space_advertised(hb->cfg.store, hb->cfg.capacity,
                                      &capacity, &free_bytes);
    if (rc < 0) log_warn("cannot read free space: %s", strerror(-rc));
    json_add_string(o, K_NODE_ID, hb->cfg.node_id);
    json_add_string(o, K_ADDR, hb->cfg.addr);
    json_add_string(o, K_ZONE, hb->cfg.zone);
    json_add_u64(o, K_CAPACITY, capacity);
    json_add_u64(o, K_FREE, free_bytes);
    json_add_u64(o, K_CHUNK_COUNT, chunk_store_count(hb->cfg.store));
    if (hb->cfg.copier)
        copier_take(hb->cfg.copier, hb->added, hb->failed, DFS_ADDED_MAX);
    if (json_object_array_length(hb->added) > 0)
        json_object_object_add(o, K_ADDED, json_object_get(hb->added));
    if (json_object_array_length(hb->failed) > 0)
        json_object_object_add(o, K_FAILED, json_object_get(hb->failed));
    return o;
}

/* A copy or delete command's chunk id and source (NULL for a delete), if
 * it is one and well-formed. */
static bool chunk_command(json_object *c, const char **id, const char **from,
                          int64_t *min_age_ms)
{
    json_object *v;
    struct addr a;
    char err[128];
    if (!json_object_is_type(c, json_type_object) ||
        !json_object_object_get_ex(c, K_OP, &v))
        return false;
    const char *op = json_object_get_string(v);
    bool copy = strcmp(op, DFS_CMD_COPY) == 0;
    if (!copy && strcmp(op, DFS_CMD_DELETE) != 0) return false;
    *id = json_object_object_get_ex(c, K_ID, &v) ? json_object_get_string(v)
                                                 : NULL;
    *from = copy && json_object_object_get_ex(c, K_FROM, &v)
                ? json_object_get_string(v)
                : NULL;
    *min_age_ms = !copy && json_object_object_get_ex(c, K_MIN_AGE, &v)
                      ? json_object_get_int64(v)
                      : 0;
    return *id && chunk_id_valid(*id) &&
           (!copy || (*from && addr_parse(*from, &a, err, sizeof(err)) == 0));
}

void heartbeat_run_commands(struct heartbeat *hb, json_object *commands)
{
    size_t n = json_object_array_length(commands);
    const char *id, *from;
    int64_t min_age_ms;

    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(commands, i);
        if (hb->cfg.copier && chunk_command(c, &id, &from, &min_age_ms))
            copier_enqueue(hb->cfg.copier, id, from, min_age_ms);
        else
            log_warn("master command ignored (unknown or malformed): %.200s",
                     json_object_to_json_string(c));
    }
}

static int heartbeat_add_id(const char *id, void *ctx)
{
    json_object_array_add(ctx, json_object_new_string(id));
    return 0;
}

static void heartbeat_report(struct heartbeat *hb)
{
    json_object *req = json_object_new_object(), *ids, *reply = NULL;
    char err[256];
    int rc;

    json_add_string(req, K_NODE_ID, hb->cfg.node_id);
    ids = json_object_new_array();
    json_object_object_add(req, K_CHUNKS, ids);
    rc = chunk_store_list(hb->cfg.store, heartbeat_add_id, ids);
    if (rc < 0) {
        log_error("cannot list chunks for the report: %s", strerror(-rc));
        json_object_put(req);
        return;
    }
    rc = http_json(hb->cfg.client, hb->cfg.master, "POST", DFS_PATH_NODE_REPORT,
                   req, heartbeat_timeout_ms(hb) * 3, &reply, err, sizeof(err));
    if (rc == 0)
        log_info("reported %zu chunks to the master",
                 json_object_array_length(ids));
    else
        log_warn("chunk report to master %s failed: %s", hb->cfg.master, err);
    /* a refused report is retried at the next interval, not on every beat:
     * walking every directory each heartbeat would be its own outage */
    hb->report_due = false;
    hb->last_report = heartbeat_now();
    json_object_put(reply);
    json_object_put(req);
}

static void heartbeat_note_failure(struct heartbeat *hb, const char *err)
{
    if (!hb->warned)
        log_warn("master %s unreachable: %s (will keep trying)", hb->cfg.master,
                 err);
    hb->warned = true;
    hb->reachable = false;
    hb->report_due = true;
}

static void heartbeat_note_success(struct heartbeat *hb)
{
    if (hb->warned)
        log_info("master %s is reachable again", hb->cfg.master);
    else if (!hb->reachable)
        log_info("registered with master %s as %s", hb->cfg.master,
                 hb->cfg.node_id);
    hb->warned = false;
    hb->reachable = true;
}

static int heartbeat_tick(void *arg)
{
    struct heartbeat *hb = arg;
    json_object *req = heartbeat_body(hb), *reply = NULL, *commands;
    char err[256] = "";
    int rc;

    rc = http_json(hb->cfg.client, hb->cfg.master, "POST",
                   DFS_PATH_NODE_HEARTBEAT, req, heartbeat_timeout_ms(hb),
                   &reply, err, sizeof(err));
    json_object_put(req);
    if (rc < 0) {
        /* logged once per outage by note_failure, not on every tick */
        heartbeat_note_failure(hb, err[0] ? err : strerror(-rc));
        return 0;
    }
    heartbeat_note_success(hb);
    json_object_put(hb->added); /* the master has them now */
    json_object_put(hb->failed);
    hb->added = json_object_new_array();
    hb->failed = json_object_new_array();
    if (json_object_object_get_ex(reply, K_COMMANDS, &commands) &&
        json_object_is_type(commands, json_type_array))
        heartbeat_run_commands(hb, commands);
    json_object_put(reply);
    if (hb->report_due ||
        heartbeat_now() - hb->last_report >= HEARTBEAT_REPORT_INTERVAL_S)
        heartbeat_report(hb);
    return 0;
}

struct heartbeat *heartbeat_start(const struct heartbeat_config *cfg)
{
    struct heartbeat *hb = calloc(1, sizeof(*hb));

    if (!hb) return NULL;
    hb->cfg = *cfg;
    hb->report_due = true;
    hb->added = json_object_new_array();
    hb->failed = json_object_new_array();
    const struct periodic_job jobs[] = {
        {"heartbeat", cfg->interval_ms, heartbeat_tick, hb, true}, {0}};
    hb->timer = periodic_start(jobs);
    if (!hb->timer) {
        json_object_put(hb->added);
        json_object_put(hb->failed);
        free(hb);
        return NULL;
    }
    return hb;
}

void heartbeat_stop(struct heartbeat *hb)
{
    if (!hb) return;
    periodic_stop(hb->timer);
    json_object_put(hb->added);
    json_object_put(hb->failed);
    free(hb);
}
