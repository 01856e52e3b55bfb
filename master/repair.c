/*
 * repair.c - re-replication of weak chunks through heartbeat commands
 * (see repair.h).
 *
 * The outstanding copies are a small array (REPAIR_INFLIGHT_MAX): scans
 * over it are cheaper than any index would be at this size, and it is all
 * the state there is; a restarted master simply plans again.
 */
#include "repair.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "balance.h"
#include "json_util.h"
#include "log.h"
#include "placement.h"
#include "wire.h"

/* Weak chunks looked at per scan; the rest wait for the next one. */
#define REPAIR_SCAN_MAX 256

/* A copy to make, or (trim) a surplus copy to delete. */
struct copy_job {
    char id[CHUNK_ID_STRLEN];
    char target[PLACEMENT_NODE_ID_MAX + 1]; /* node that copies or deletes */
    char from[ADDR_TEXT_MAX];               /* holder it copies from */
    int64_t deadline_ms;
    bool sent;
    bool trim;
    /* a move (balance.h): once copied, the copy on this node goes */
    char move_from[PLACEMENT_NODE_ID_MAX + 1];
};

/* A node that could not copy a chunk is not asked again for a while. */
struct copy_failure {
    char id[CHUNK_ID_STRLEN];
    char node[PLACEMENT_NODE_ID_MAX + 1];
    int64_t until_ms;
};

struct repair {
    struct meta *m;
    pthread_mutex_t lock;
    struct copy_job jobs[REPAIR_INFLIGHT_MAX];
    size_t njobs;
    struct copy_failure failures[REPAIR_INFLIGHT_MAX]; /* a ring */
    size_t next_failure;
    int64_t retry_at; /* scan then: a failure kept a node out (0: none) */
    int64_t last_balance_ms;
    bool balanced;               /* the last balance look moved nothing */
    uint64_t balanced_version;   /* meta_placement_version then */
    uint64_t balanced_live_hash; /* live_hash then */
    bool scan_due;               /* scan at the next run */
    bool hinted;                 /* the store hinted since the last scan */
    int64_t last_scan_ms;        /* on the store's clock */
    uint64_t live_hash;          /* the live node set at the last scan */
    size_t lost; /* weak chunks with no live copy, last logged */
};

struct repair *repair_new(struct meta *m)
{
    struct repair *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->m = m;
    r->scan_due = true;
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void repair_free(struct repair *r)
{
    if (!r) return;
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---- outstanding copies (lock held) ---- */

static void job_drop(struct repair *r, size_t i)
{
    r->jobs[i] = r->jobs[--r->njobs];
}

static const struct dfs_node *node_by_id(const struct dfs_node *nodes, size_t n,
                                         const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(nodes[i].id, id) == 0) return &nodes[i];
    return NULL;
}

/* Drop the jobs that will not finish: too old, or for a node that is no
 * longer alive (nodes[0..n-1] are the live ones). */
static void jobs_expire(struct repair *r, const struct dfs_node *nodes,
                        size_t n, int64_t now)
{
    for (size_t i = r->njobs; i-- > 0;) {
        const struct copy_job *j = &r->jobs[i];
        bool dead = !node_by_id(nodes, n, j->target);
        if (j->deadline_ms > now && !dead) continue;
        if (dead)
            log_info("repair: node %s is gone: its order for chunk %.12s is "
                     "planned again",
                     j->target, j->id);
        else
            log_warn("repair: order for chunk %.12s to node %s not done in "
                     "%d s: planning it again",
                     j->id, j->target, REPAIR_TIMEOUT_MS / 1000);
        job_drop(r, i);
        r->scan_due = true;
    }
}

static bool job_targets(const struct repair *r, const char *id,
                        const char *node)
{
    for (size_t i = 0; i < r->njobs; i++)
        if (strcmp(r->jobs[i].id, id) == 0 &&
            strcmp(r->jobs[i].target, node) == 0)
            return true;
    return false;
}

static size_t jobs_for_chunk(const struct repair *r, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < r->njobs; i++)
        n += strcmp(r->jobs[i].id, id) == 0;
    return n;
}

/* ---- planning ---- */

static uint64_t live_set_hash(const struct dfs_node *nodes, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a over the sorted ids */
    for (size_t i = 0; i < n; i++)
        for (const char *p = nodes[i].id; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h ^ n;
}

static bool holds(const struct meta_chunk_holders *w, const char *node)
{
    for (size_t i = 0; i < w->nholders; i++)
        if (strcmp(w->holders[i], node) == 0) return true;
    return false;
}

/* Whether node failed to copy id lately; if so, a scan is due when that
 * ends (r->retry_at). */
static bool failed_lately(struct repair *r, const char *id, const char *node,
                          int64_t now)
{
    for (size_t i = 0; i < REPAIR_INFLIGHT_MAX; i++) {
        const struct copy_failure *f = &r->failures[i];
        if (f->until_ms > now && strcmp(f->id, id) == 0 &&
            strcmp(f->node, node) == 0) {
            if (r->retry_at == 0 || f->until_ms < r->retry_at)
                r->retry_at = f->until_ms;
            return true;
        }
    }
    return false;
}

/* Live nodes that could take a copy of w: not holding it, not already
 * copying it, not failing to lately, not draining, with room for a chunk
 * (as of their last heartbeat).  Returns how many (indexes in idx). */
static size_t candidates(struct repair *r, const struct meta_chunk_holders *w,
                         const struct dfs_node *nodes, size_t n, size_t *idx,
                         int64_t now)
{
    size_t k = 0;
    uint64_t room = meta_chunk_size(r->m);
    for (size_t i = 0; i < n; i++)
        if (!holds(w, nodes[i].id) && !job_targets(r, w->id, nodes[i].id) &&
            !failed_lately(r, w->id, nodes[i].id, now) && !nodes[i].draining &&
            nodes[i].free >= room)
            idx[k++] = i;
    return k;
}

/* from NULL: a trim. */
static struct copy_job *job_add(struct repair *r, const char *id,
                                const char *target, const char *from,
                                int64_t now)
{
    struct copy_job *j = &r->jobs[r->njobs++];
    memset(j, 0, sizeof(*j));
    snprintf(j->id, sizeof(j->id), "%s", id);
    snprintf(j->target, sizeof(j->target), "%s", target);
    snprintf(j->from, sizeof(j->from), "%s", from ? from : "");
    j->trim = !from;
    j->deadline_ms = now + REPAIR_TIMEOUT_MS;
    if (from)
        log_info("repair: copy chunk %.12s to node %s from %s", id, target,
                 from);
    else
        log_info("repair: chunk %.12s has a copy too many: delete node %s's",
                 id, target);
    return j;
}

/* Scratch space for ranking, sized for the live node list of one scan. */
struct rank_space {
    size_t *idx, *order;
    struct placement_node *pn;
};

/* Queue the copies w lacks.  true while w still needs work (queued or
 * outstanding), false when nothing can be done for it now. */
static bool plan_chunk(struct repair *r, const struct meta_chunk_holders *w,
                       const struct dfs_node *nodes, size_t n,
                       struct rank_space *rs, int64_t now)
{
    size_t usable = 0; /* nodes that may hold a counted copy */
    for (size_t i = 0; i < n; i++)
        usable += !nodes[i].draining;
    size_t want =
        meta_replication(r->m) < usable ? meta_replication(r->m) : usable;
    if (w->ngood >= want) return false; /* as many as there are nodes */
    size_t missing = want - w->ngood, pending = jobs_for_chunk(r, w->id);
    if (pending >= missing) return true;

    size_t k = candidates(r, w, nodes, n, rs->idx, now);
    if (k == 0) return pending > 0;
    for (size_t i = 0; i < k; i++) {
        const struct dfs_node *c = &nodes[rs->idx[i]];
        memset(&rs->pn[i], 0, sizeof(rs->pn[i]));
        snprintf(rs->pn[i].id, sizeof(rs->pn[i].id), "%s", c->id);
        snprintf(rs->pn[i].zone, sizeof(rs->pn[i].zone), "%s", c->zone);
        rs->pn[i].weight = c->free;
    }
    placement_rank(w->id, rs->pn, k, k, rs->order);
    for (size_t i = 0; i < k && pending < missing; i++) {
        if (r->njobs == REPAIR_INFLIGHT_MAX) return true;
        /* spread the reads over the holders, chunk by chunk */
        size_t pick = (unsigned char)w->id[0] + pending;
        const struct dfs_node *src =
            node_by_id(nodes, n, w->holders[pick % w->nholders]);
        if (!src) return pending > 0;
        job_add(r, w->id, nodes[rs->idx[rs->order[i]]].id, src->addr, now);
        pending++;
    }
    return true;
}

/* Queue the deletion of c's surplus copies: its good copies are ranked
 * by placement and those past the factor go, so the copies kept are
 * where a writer would put them. */
static void plan_trim(struct repair *r, const struct meta_chunk_holders *c,
                      const struct dfs_node *nodes, size_t n,
                      struct rank_space *rs, int64_t now)
{
    size_t k = 0, keep = meta_replication(r->m);
    if (jobs_for_chunk(r, c->id) > 0) return; /* one change at a time */
    for (size_t i = 0; i < c->nholders; i++) {
        const struct dfs_node *h = node_by_id(nodes, n, c->holders[i]);
        if (!h || h->draining) continue;
        memset(&rs->pn[k], 0, sizeof(rs->pn[k]));
        snprintf(rs->pn[k].id, sizeof(rs->pn[k].id), "%s", h->id);
        snprintf(rs->pn[k].zone, sizeof(rs->pn[k].zone), "%s", h->zone);
        rs->pn[k].weight = h->free;
        rs->idx[k++] = (size_t)(h - nodes);
    }
    if (k <= keep) return;
    placement_rank(c->id, rs->pn, k, keep, rs->order);
    for (size_t i = keep; i < k && r->njobs < REPAIR_INFLIGHT_MAX; i++)
        job_add(r, c->id, nodes[rs->idx[rs->order[i]]].id, NULL, now);
}

static void log_lost(struct repair *r, size_t lost)
{
    if (lost != r->lost && lost > 0)
        log_error("repair: %zu chunk%s with no live copy: readable again only "
                  "if a server holding them returns",
                  lost, lost == 1 ? "" : "s");
    else if (lost != r->lost)
        log_info("repair: every chunk has a live copy again");
    r->lost = lost;
}

/* One scan: weak chunks in, copy jobs out (lock held). */
static int scan(struct repair *r, const struct dfs_node *nodes, size_t n,
                int64_t now)
{
    size_t slots = n ? n : 1, nweak = 0, lost = 0;
    struct meta_chunk_holders *weak = calloc(REPAIR_SCAN_MAX, sizeof(*weak));
    struct rank_space rs = {calloc(slots, sizeof(size_t)),
                            calloc(slots, sizeof(size_t)),
                            calloc(slots, sizeof(struct placement_node))};
    bool more = false;
    int rc = weak && rs.idx && rs.order && rs.pn
                 ? meta_weak_chunks(r->m, weak, REPAIR_SCAN_MAX, &nweak)
                 : -ENOMEM;
    for (size_t i = 0; rc == 0 && i < nweak; i++) {
        if (weak[i].nholders == 0)
            lost++;
        else if (plan_chunk(r, &weak[i], nodes, n, &rs, now))
            more = true;
    }
    /* surplus copies only while no copy is being made: copies first */
    size_t nsurplus = 0;
    if (rc == 0 && !more && nweak < REPAIR_SCAN_MAX)
        rc = meta_surplus_chunks(r->m, weak, REPAIR_SCAN_MAX, &nsurplus);
    for (size_t i = 0; rc == 0 && i < nsurplus; i++)
        plan_trim(r, &weak[i], nodes, n, &rs, now);
    free(weak);
    free(rs.idx);
    free(rs.order);
    free(rs.pn);
    if (rc < 0) return rc;
    log_lost(r, lost);
    /* a full page may hide more chunks behind the ones planned */
    r->scan_due =
        more || nweak == REPAIR_SCAN_MAX || nsurplus == REPAIR_SCAN_MAX;
    return 0;
}

/* When nothing else is under way: move chunks towards even shares
 * (balance.h), a batch at a time (lock held). */
static int balance(struct repair *r, const struct dfs_node *nodes, size_t n,
                   int64_t now)
{
    struct balance_move moves[REPAIR_PER_BEAT];
    size_t k = 0;
    uint64_t version = meta_placement_version(r->m);
    if (r->njobs > 0 || r->scan_due ||
        now - r->last_balance_ms < REPAIR_BALANCE_MS)
        return 0;
    /* The servers' own counts are even: no scan (balance.h). */
    if (!balance_wanted(nodes, n, meta_chunk_size(r->m))) return 0;
    /* The plan reads every copy: not again while nothing it reads changed
     * since it found nothing to move (but once a rescan period). */
    if (r->balanced && version == r->balanced_version &&
        r->live_hash == r->balanced_live_hash &&
        now - r->last_balance_ms < REPAIR_RESCAN_MS)
        return 0;
    r->last_balance_ms = now;
    int rc = balance_plan(r->m, nodes, n, moves, REPAIR_PER_BEAT, &k);
    r->balanced = rc == 0 && k == 0;
    r->balanced_version = version;
    r->balanced_live_hash = r->live_hash;
    for (size_t i = 0; rc == 0 && i < k; i++) {
        const struct dfs_node *from = &nodes[moves[i].from];
        struct copy_job *j =
            job_add(r, moves[i].id, nodes[moves[i].to].id, from->addr, now);
        snprintf(j->move_from, sizeof(j->move_from), "%s", from->id);
    }
    if (k > 0)
        log_info("balance: moving %zu chunk%s from node %s to node %s", k,
                 k == 1 ? "" : "s", nodes[moves[0].from].id,
                 nodes[moves[0].to].id);
    return rc;
}

int repair_run(struct repair *r)
{
    struct dfs_node *nodes;
    size_t n;
    int64_t now = meta_time_ms(r->m);
    int rc = meta_nodes(r->m, false, &nodes, &n);
    if (rc < 0) return rc;
    uint64_t h = live_set_hash(nodes, n);
    bool hint = meta_weak_hint_take(r->m);

    pthread_mutex_lock(&r->lock);
    jobs_expire(r, nodes, n, now);
    /* A cluster with fewer live servers than the factor hints at every
     * commit: such hints scan at most every REPAIR_HINT_MS. */
    r->hinted |= hint;
    if (r->scan_due || h != r->live_hash ||
        (r->hinted && now - r->last_scan_ms >= REPAIR_HINT_MS) ||
        (r->retry_at && now >= r->retry_at) ||
        now - r->last_scan_ms >= REPAIR_RESCAN_MS) {
        r->hinted = false;
        r->retry_at = 0;
        r->live_hash = h;
        r->last_scan_ms = now;
        rc = scan(r, nodes, n, now);
    }
    if (rc == 0) rc = balance(r, nodes, n, now);
    pthread_mutex_unlock(&r->lock);
    free(nodes);
    return rc;
}

/* ---- the chunk servers' side ---- */

static json_object *command_json(const char *op, const struct copy_job *j)
{
    json_object *c = json_object_new_object();
    json_add_string(c, K_OP, op);
    json_add_string(c, K_ID, j->id);
    if (!j->trim) json_add_string(c, K_FROM, j->from);
    return c;
}

/* A trim is done once sent, if the chunk still has a copy too many: the
 * copy stops counting before the command leaves, so no reader is sent to
 * it.  Checked now, not at planning: a node may have died since. */
static void trim_send(struct repair *r, const char *node_id,
                      const struct copy_job *j, json_object *arr)
{
    int rc = meta_node_trim(r->m, node_id, j->id);
    if (rc > 0) json_object_array_add(arr, command_json(DFS_CMD_DELETE, j));
    if (rc == 0)
        log_info("repair: chunk %.12s no longer has a copy too many: node "
                 "%s keeps its copy",
                 j->id, node_id);
    if (rc < 0) log_warn("repair: cannot trim a copy: %s", strerror(-rc));
    pthread_mutex_lock(&r->lock);
    for (size_t k = r->njobs; k-- > 0;)
        if (r->jobs[k].trim && strcmp(r->jobs[k].id, j->id) == 0 &&
            strcmp(r->jobs[k].target, node_id) == 0)
            job_drop(r, k);
    pthread_mutex_unlock(&r->lock);
}

json_object *repair_commands(struct repair *r, const char *node_id)
{
    json_object *arr = json_object_new_array();
    struct copy_job trims[REPAIR_PER_BEAT];
    size_t given = 0, ntrims = 0;
    int64_t now = meta_time_ms(r->m);
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->njobs && given < REPAIR_PER_BEAT; i++) {
        struct copy_job *j = &r->jobs[i];
        if (j->sent || strcmp(j->target, node_id) != 0) continue;
        if (j->trim)
            trims[ntrims++] = *j; /* sent below, without the lock */
        else
            json_object_array_add(arr, command_json(DFS_CMD_COPY, j));
        j->sent = true;
        j->deadline_ms = now + REPAIR_TIMEOUT_MS;
        given++;
    }
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < ntrims; i++)
        trim_send(r, node_id, &trims[i], arr);
    return arr;
}

int repair_added(struct repair *r, const char *node_id,
                 const char (*ids)[CHUNK_ID_STRLEN], size_t n)
{
    int rc = meta_node_added(r->m, node_id, ids, n);
    if (rc < 0 || n == 0) return rc;
    int64_t now = meta_time_ms(r->m);
    pthread_mutex_lock(&r->lock);
    for (size_t k = 0; k < n; k++)
        for (size_t i = r->njobs; i-- > 0;) {
            struct copy_job *j = &r->jobs[i];
            if (strcmp(j->id, ids[k]) != 0 || strcmp(j->target, node_id) != 0)
                continue;
            char from[sizeof(j->move_from)];
            memcpy(from, j->move_from, sizeof(from));
            job_drop(r, i);
            /* a move: now the source's copy goes (rechecked when sent) */
            if (from[0]) job_add(r, ids[k], from, NULL, now);
        }
    r->scan_due = true; /* the next page of weak chunks, if any */
    pthread_mutex_unlock(&r->lock);
    log_debug("node %s stored %zu repair cop%s", node_id, n,
              n == 1 ? "y" : "ies");
    return 0;
}

int repair_failed(struct repair *r, const char *node_id,
                  const char (*ids)[CHUNK_ID_STRLEN], size_t n)
{
    int64_t now = meta_time_ms(r->m);
    pthread_mutex_lock(&r->lock);
    for (size_t k = 0; k < n; k++) {
        for (size_t i = r->njobs; i-- > 0;)
            if (strcmp(r->jobs[i].id, ids[k]) == 0 &&
                strcmp(r->jobs[i].target, node_id) == 0)
                job_drop(r, i);
        struct copy_failure *f = &r->failures[r->next_failure];
        r->next_failure = (r->next_failure + 1) % REPAIR_INFLIGHT_MAX;
        snprintf(f->id, sizeof(f->id), "%s", ids[k]);
        snprintf(f->node, sizeof(f->node), "%s", node_id);
        f->until_ms = now + REPAIR_RETRY_MS;
        log_warn("repair: node %s could not copy chunk %.12s (its log says "
                 "why): trying another node",
                 node_id, ids[k]);
    }
    if (n > 0) r->scan_due = true;
    pthread_mutex_unlock(&r->lock);
    return 0;
}

size_t repair_outstanding(struct repair *r)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->njobs;
    pthread_mutex_unlock(&r->lock);
    return n;
}
