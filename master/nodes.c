/*
 * nodes.c - the registry of chunk servers (meta_node_*, meta_nodes,
 * meta_statfs, meta_counts, meta_*_chunks of meta.h) over the nodes and
 * replicas tables.
 *
 * A node exists once it has sent a heartbeat; it is alive while its last
 * heartbeat is younger than dead_after_ms on the injectable clock.
 * Liveness is computed at query time from last_seen_ms, so it is right
 * even if no sweep ran; the declared_dead column only remembers what was
 * logged, so "declared dead" and "is back" are each logged once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "meta_sqlite.h"

bool meta_node_id_valid(const char *id)
{
    size_t len = strnlen(id, PLACEMENT_NODE_ID_MAX + 1);
    if (len == 0 || len > PLACEMENT_NODE_ID_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int64_t alive_since(struct meta *m)
{
    return meta_now_ms(m) - m->dead_after_ms;
}

/* ---- heartbeat and report ---- */

static int heartbeat_check(const struct dfs_node *n)
{
    struct addr a;
    char err[128];
    if (!meta_node_id_valid(n->id) || addr_parse(n->addr, &a, err, sizeof(err)))
        return -EINVAL;
    if (strnlen(n->zone, sizeof(n->zone)) == sizeof(n->zone) ||
        n->capacity > INT64_MAX || n->free > INT64_MAX ||
        n->chunk_count > INT64_MAX)
        return -EINVAL;
    return 0;
}

/* Log a node's first heartbeat, or its first after being silent. */
static int heartbeat_log(struct meta *m, const struct dfs_node *n, int64_t now)
{
    sqlite3_stmt *st = meta_stmt(
        m, "SELECT last_seen_ms, declared_dead FROM nodes WHERE node_id = ?");
    sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
    int rc = meta_step_row(m, st);
    if (rc < 0) return rc;
    if (rc == 0) {
        log_info("node %s first seen at %s zone '%s'", n->id, n->addr, n->zone);
        return 0;
    }
    int64_t last = sqlite3_column_int64(st, 0);
    bool declared_dead = sqlite3_column_int(st, 1) != 0;
    sqlite3_reset(st);
    if (declared_dead || now - last >= m->dead_after_ms)
        log_info("node %s at %s is back after %lld ms", n->id, n->addr,
                 (long long)(now - last));
    return 0;
}

static int heartbeat_locked(struct meta *m, const struct dfs_node *n)
{
    int64_t now = meta_now_ms(m);
    int rc = heartbeat_log(m, n, now);
    if (rc < 0) return rc;
    sqlite3_stmt *st = meta_stmt(
        m, "INSERT INTO nodes(node_id, addr, zone, capacity, free,"
           " chunk_count, last_seen_ms, declared_dead)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)"
           " ON CONFLICT(node_id) DO UPDATE SET addr = ?2, zone = ?3,"
           " capacity = ?4, free = ?5, chunk_count = ?6, last_seen_ms = ?7,"
           " declared_dead = 0");
    sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, n->addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, n->zone, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (int64_t)n->capacity);
    sqlite3_bind_int64(st, 5, (int64_t)n->free);
    sqlite3_bind_int64(st, 6, (int64_t)n->chunk_count);
    sqlite3_bind_int64(st, 7, now);
    return meta_exec(m, st);
}

int meta_node_heartbeat(struct meta *m, const struct dfs_node *n)
{
    int rc = heartbeat_check(n);
    if (rc == 0) rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, heartbeat_locked(m, n));
}

static int replicas_add(struct meta *m, const char *node_id,
                        const char (*ids)[CHUNK_ID_STRLEN], size_t n)
{
    int rc = 0;
    m->placement_version++;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        sqlite3_stmt *st =
            meta_stmt(m, "INSERT OR IGNORE INTO replicas(chunk_id, node_id)"
                         " VALUES (?, ?)");
        sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, node_id, -1, SQLITE_STATIC);
        rc = meta_exec(m, st);
    }
    return rc;
}

static int report_locked(struct meta *m, const char *node_id,
                         const char (*ids)[CHUNK_ID_STRLEN], size_t n)
{
    sqlite3_stmt *st = meta_stmt(m, "DELETE FROM replicas WHERE node_id = ?");
    sqlite3_bind_text(st, 1, node_id, -1, SQLITE_STATIC);
    int rc = meta_exec(m, st);
    m->weak_hint = true; /* the node may have lost chunks */
    m->placement_version++;
    return rc == 0 ? replicas_add(m, node_id, ids, n) : rc;
}

static int ids_check(const char *node_id, const char (*ids)[CHUNK_ID_STRLEN],
                     size_t n)
{
    if (!meta_node_id_valid(node_id)) return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!chunk_id_valid(ids[i])) return -EINVAL;
    return 0;
}

int meta_node_report(struct meta *m, const char *node_id,
                     const char (*ids)[CHUNK_ID_STRLEN], size_t n)
{
    int rc = ids_check(node_id, ids, n);
    if (rc == 0) rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, report_locked(m, node_id, ids, n));
}

int meta_node_added(struct meta *m, const char *node_id,
                    const char (*ids)[CHUNK_ID_STRLEN], size_t n)
{
    int rc = ids_check(node_id, ids, n);
    if (rc == 0 && n == 0) return 0;
    if (rc == 0) rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, replicas_add(m, node_id, ids, n));
}

/* ---- listing ---- */

static void node_from_row(sqlite3_stmt *st, int64_t since, struct dfs_node *d)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->id, sizeof(d->id), "%s", sqlite3_column_text(st, 0));
    snprintf(d->addr, sizeof(d->addr), "%s", sqlite3_column_text(st, 1));
    snprintf(d->zone, sizeof(d->zone), "%s", sqlite3_column_text(st, 2));
    d->capacity = (uint64_t)sqlite3_column_int64(st, 3);
    d->free = (uint64_t)sqlite3_column_int64(st, 4);
    d->chunk_count = (uint64_t)sqlite3_column_int64(st, 5);
    d->alive = sqlite3_column_int64(st, 6) > since;
    d->draining = sqlite3_column_int(st, 7) != 0;
}

static int nodes_locked(struct meta *m, bool all, struct dfs_node **out,
                        size_t *n)
{
    size_t cap = 0;
    int64_t since = alive_since(m);
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT node_id, addr, zone, capacity, free, chunk_count,"
                     " last_seen_ms,"
                     " node_id IN (SELECT node_id FROM draining)"
                     " FROM nodes WHERE ?1 OR last_seen_ms > ?2"
                     " ORDER BY node_id");
    sqlite3_bind_int(st, 1, all);
    sqlite3_bind_int64(st, 2, since);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            void *p = realloc(*out, cap * sizeof(**out));
            if (!p) {
                sqlite3_reset(st);
                return -ENOMEM;
            }
            *out = p;
        }
        node_from_row(st, since, &(*out)[(*n)++]);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : meta_errno(m, rc, "nodes");
}

int meta_nodes(struct meta *m, bool all, struct dfs_node **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    meta_lock(m);
    int rc = nodes_locked(m, all, out, n);
    meta_unlock(m);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int sweep_locked(struct meta *m)
{
    int64_t now = meta_now_ms(m);
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT node_id, addr, last_seen_ms FROM nodes"
                     " WHERE declared_dead = 0 AND last_seen_ms <= ?");
    sqlite3_bind_int64(st, 1, now - m->dead_after_ms);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        log_warn("node %s at %s declared dead: silent for %lld ms",
                 sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                 (long long)(now - sqlite3_column_int64(st, 2)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return meta_errno(m, rc, "sweep");
    st = meta_stmt(m, "UPDATE nodes SET declared_dead = 1"
                      " WHERE declared_dead = 0 AND last_seen_ms <= ?");
    sqlite3_bind_int64(st, 1, now - m->dead_after_ms);
    /* Their chunks are now weak (meta_weak_chunks): repair.c sees that. */
    return meta_exec(m, st);
}

int meta_nodes_sweep(struct meta *m)
{
    int rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, sweep_locked(m));
}

/* ---- totals ---- */

/* One integer from a query with one (bound) int64 parameter or none. */
static int count_query(struct meta *m, sqlite3_stmt *st, uint64_t *out)
{
    int rc = meta_step_row(m, st);
    if (rc <= 0) return rc == 0 ? -EIO : rc;
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    *out = v > 0 ? (uint64_t)v : 0;
    return 0;
}

static int files_count(struct meta *m, uint64_t *files)
{
    return count_query(m, meta_stmt(m, "SELECT count(*) FROM inodes"), files);
}

int meta_statfs(struct meta *m, struct meta_statfs *out)
{
    uint64_t cap = 0, avail = 0;
    meta_lock(m);
    int64_t since = alive_since(m);
    sqlite3_stmt *st = meta_stmt(
        m, "SELECT coalesce(sum(capacity), 0) FROM nodes WHERE last_seen_ms > ?"
           " AND node_id NOT IN (SELECT node_id FROM draining)");
    sqlite3_bind_int64(st, 1, since);
    int rc = count_query(m, st, &cap);
    if (rc == 0) {
        st = meta_stmt(
            m, "SELECT coalesce(sum(free), 0) FROM nodes WHERE last_seen_ms > ?"
               " AND node_id NOT IN (SELECT node_id FROM draining)");
        sqlite3_bind_int64(st, 1, since);
        rc = count_query(m, st, &avail);
    }
    if (rc == 0) rc = files_count(m, &out->files);
    meta_unlock(m);
    out->total = cap / m->replication;
    out->avail = avail / m->replication;
    return rc;
}

/* The last id of the next page of referenced chunks, the META_LOADS_PAGE
 * rows of file_chunks after chunk id `after` in id order, into last (""
 * when none are left).  Lock held. */
static int page_end(struct meta *m, const char *after,
                    char last[CHUNK_ID_STRLEN])
{
    sqlite3_stmt *st = meta_stmt(
        m, "SELECT max(chunk_id) FROM (SELECT chunk_id FROM file_chunks"
           " WHERE chunk_id > ?1 ORDER BY chunk_id LIMIT ?2)");
    sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, META_LOADS_PAGE);
    int rc = sqlite3_step(st);
    last[0] = '\0';
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(last, CHUNK_ID_STRLEN, "%s", sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : meta_errno(m, rc, "chunk page");
}

/* What a scan does with one page: the referenced chunks with ids in
 * (after, last], lock held.  0 to go on, 1 to stop, or -errno. */
typedef int (*page_fn)(struct meta *m, const char *after, const char *last,
                       void *ctx);

/* fn over every referenced chunk, a page at a time in id order, with the
 * store free for other calls between pages: as single statements, the
 * scans of 262144 chunks (1 TiB) held every request for one to two
 * seconds.  A copy added or dropped meanwhile may be counted or missed;
 * the next scan sees it.  0 or -errno. */
static int pages_each(struct meta *m, page_fn fn, void *ctx)
{
    char after[CHUNK_ID_STRLEN] = "", last[CHUNK_ID_STRLEN];
    int rc = 0;
    while (rc == 0) {
        meta_lock(m);
        rc = page_end(m, after, last);
        if (rc == 0) rc = last[0] ? fn(m, after, last, ctx) : 1;
        meta_unlock(m);
        memcpy(after, last, sizeof(after));
    }
    return rc < 0 ? rc : 0;
}

/* Node ids are [0-9a-zA-Z_-], so a comma separates them safely.  Copies
 * on draining nodes are holders (sources), but not counted as good.  ?1
 * the time after which a node is alive, ?2 the replication factor, the
 * page's ids are (?4, ?5]. */
#define HOLDERS_SELECT                                                         \
    "SELECT c.chunk_id, group_concat(n.node_id, ','),"                         \
    " count(n.node_id) - count(d.node_id) AS good FROM"                        \
    " (SELECT DISTINCT chunk_id FROM file_chunks"                              \
    "  WHERE chunk_id > ?4 AND chunk_id <= ?5) c"                              \
    " LEFT JOIN replicas r ON r.chunk_id = c.chunk_id"                         \
    " LEFT JOIN nodes n ON n.node_id = r.node_id AND n.last_seen_ms > ?1"      \
    " LEFT JOIN draining d ON d.node_id = n.node_id GROUP BY c.chunk_id"

/* Bind HOLDERS_SELECT's parameters but the limit (?3). */
static void holders_bind(struct meta *m, sqlite3_stmt *st, const char *after,
                         const char *last)
{
    sqlite3_bind_int64(st, 1, alive_since(m));
    sqlite3_bind_int64(st, 2, m->replication);
    sqlite3_bind_text(st, 4, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, last, -1, SQLITE_TRANSIENT);
}

/* A page of meta_counts: the referenced chunks, and those of them with
 * fewer good holders than the factor (as meta_weak_chunks). */
static int counts_page(struct meta *m, const char *after, const char *last,
                       void *ctx)
{
    struct meta_counts *out = ctx;
    uint64_t n = 0;
    sqlite3_stmt *st = meta_stmt(m, "SELECT count(DISTINCT chunk_id) FROM"
                                    " file_chunks WHERE chunk_id > ?1"
                                    " AND chunk_id <= ?2");
    sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, last, -1, SQLITE_TRANSIENT);
    int rc = count_query(m, st, &n);
    out->chunks += n;
    if (rc < 0) return rc;
    st = meta_stmt(m, "SELECT count(*) FROM (" HOLDERS_SELECT
                      " HAVING good < ?2)");
    holders_bind(m, st, after, last);
    rc = count_query(m, st, &n);
    out->under_replicated += n;
    return rc;
}

int meta_counts(struct meta *m, struct meta_counts *out)
{
    meta_lock(m);
    int rc = files_count(m, &out->files);
    meta_unlock(m);
    out->chunks = out->under_replicated = 0;
    return rc < 0 ? rc : pages_each(m, counts_page, out);
}

/* ---- weak and surplus chunks (for repair) ---- */

/* holders: the comma-separated live node ids of group_concat, or NULL. */
static void holders_from_row(sqlite3_stmt *st, struct meta_chunk_holders *w)
{
    memset(w, 0, sizeof(*w));
    snprintf(w->id, sizeof(w->id), "%s", sqlite3_column_text(st, 0));
    const char *p = (const char *)sqlite3_column_text(st, 1);
    while (p && *p && w->nholders < DFS_MAX_REPLICAS) {
        size_t len = strcspn(p, ",");
        if (len > 0 && len <= PLACEMENT_NODE_ID_MAX)
            memcpy(w->holders[w->nholders++], p, len);
        p += len + (p[len] == ',');
    }
    int64_t good = sqlite3_column_int64(st, 2);
    w->ngood = good > 0 ? (size_t)good : 0;
}

/* Up to max rows of a holders query over the chunks with ids in (after,
 * last] (lock held): chunk id, the live holders' ids (group_concat), the
 * count of those not draining. */
static int holders_rows(struct meta *m, sqlite3_stmt *st, const char *after,
                        const char *last, struct meta_chunk_holders *out,
                        size_t max, size_t *n)
{
    int rc = SQLITE_DONE;
    *n = 0;
    holders_bind(m, st, after, last);
    sqlite3_bind_int64(st, 3, (int64_t)max);
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        holders_from_row(st, &out[(*n)++]);
    if (*n == max) rc = SQLITE_DONE;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : meta_errno(m, rc, "chunk holders");
}

/* a before b: fewer good copies first, then by id */
static bool holders_before(const struct meta_chunk_holders *a,
                           const struct meta_chunk_holders *b)
{
    if (a->ngood != b->ngood) return a->ngood < b->ngood;
    return strcmp(a->id, b->id) < 0;
}

/* Rows of a holders scan: out[0..n) of max; page and tmp hold max each. */
struct holders_scan {
    struct meta_chunk_holders *out, *page, *tmp;
    size_t max, n;
};

/* A page of meta_weak_chunks: its weakest rows merged into out, which
 * keeps the max weakest of all pages so far. */
static int weak_page(struct meta *m, const char *after, const char *last,
                     void *ctx)
{
    struct holders_scan *hs = ctx;
    size_t got, i = 0, j = 0, k = 0;
    int rc = holders_rows(m,
                          meta_stmt(m, HOLDERS_SELECT
                                    " HAVING good < ?2"
                                    " ORDER BY good, c.chunk_id LIMIT ?3"),
                          after, last, hs->page, hs->max, &got);
    if (rc < 0) return rc;
    while (k < hs->max && (i < hs->n || j < got))
        hs->tmp[k++] = j == got || (i < hs->n &&
                                    holders_before(&hs->out[i], &hs->page[j]))
                           ? hs->out[i++]
                           : hs->page[j++];
    memcpy(hs->out, hs->tmp, k * sizeof(*hs->out));
    hs->n = k;
    return 0;
}

/* A page of meta_surplus_chunks: its rows appended (ids ascend from page
 * to page); stop once out is full. */
static int surplus_page(struct meta *m, const char *after, const char *last,
                        void *ctx)
{
    struct holders_scan *hs = ctx;
    size_t got;
    int rc = holders_rows(m,
                          meta_stmt(m, HOLDERS_SELECT
                                    " HAVING good > ?2"
                                    " ORDER BY c.chunk_id LIMIT ?3"),
                          after, last, hs->out + hs->n, hs->max - hs->n, &got);
    hs->n += got;
    return rc < 0 ? rc : hs->n == hs->max;
}

int meta_weak_chunks(struct meta *m, struct meta_chunk_holders *out, size_t max,
                     size_t *n)
{
    struct holders_scan hs = {out, calloc(max ? max : 1, sizeof(*out)),
                              calloc(max ? max : 1, sizeof(*out)), max, 0};
    int rc = hs.page && hs.tmp ? pages_each(m, weak_page, &hs) : -ENOMEM;
    free(hs.page);
    free(hs.tmp);
    *n = hs.n;
    return rc;
}

int meta_surplus_chunks(struct meta *m, struct meta_chunk_holders *out,
                        size_t max, size_t *n)
{
    struct holders_scan hs = {out, NULL, NULL, max, 0};
    int rc = max ? pages_each(m, surplus_page, &hs) : 0;
    *n = hs.n;
    return rc;
}

int meta_node_trim(struct meta *m, const char *node_id, const char *id)
{
    int rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    /* Checked in the same statement: the copies that stay still make the
     * factor, whatever died or began draining since the plan. */
    sqlite3_stmt *st = meta_stmt(
        m, "DELETE FROM replicas WHERE chunk_id = ?1 AND node_id = ?2 AND"
           " (SELECT count(n.node_id) - count(d.node_id) FROM replicas r"
           "  JOIN nodes n ON n.node_id = r.node_id AND n.last_seen_ms > ?3"
           "  LEFT JOIN draining d ON d.node_id = n.node_id"
           "  WHERE r.chunk_id = ?1) > ?4");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, node_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, alive_since(m));
    sqlite3_bind_int64(st, 4, m->replication);
    rc = meta_exec(m, st);
    int trimmed = rc == 0 && sqlite3_changes(m->db) > 0;
    if (trimmed) m->placement_version++;
    rc = meta_tx_end(m, rc); /* commits only on 0 */
    return rc < 0 ? rc : trimmed;
}

/* ---- drain ---- */

/* The node `which` names: its id, else the one id it begins, else the one
 * node at that address.  0 with *out (lock held), -ENOENT or -EINVAL
 * (more than one). */
static int node_find_locked(struct meta *m, const char *which,
                            struct dfs_node *out)
{
    sqlite3_stmt *st = meta_stmt(
        m, "SELECT node_id, addr, zone, capacity, free, chunk_count,"
           " last_seen_ms, node_id IN (SELECT node_id FROM draining)"
           " FROM nodes WHERE node_id = ?1 OR addr = ?1"
           "  OR (length(?1) >= 4 AND substr(node_id, 1, length(?1)) = ?1)"
           " ORDER BY node_id = ?1 DESC LIMIT 2");
    sqlite3_bind_text(st, 1, which, -1, SQLITE_STATIC);
    int rc, n = 0;
    bool exact = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < 2) {
        if (n == 0) {
            node_from_row(st, meta_now_ms(m) - m->dead_after_ms, out);
            exact = strcmp(out->id, which) == 0;
        }
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return meta_errno(m, rc, "node");
    if (n == 0) return -ENOENT;
    return n == 1 || exact ? 0 : -EINVAL;
}

static int drain_locked(struct meta *m, const char *which, bool on,
                        struct dfs_node *out)
{
    int rc = node_find_locked(m, which, out);
    if (rc < 0) return rc;
    sqlite3_stmt *st =
        meta_stmt(m, on ? "INSERT OR IGNORE INTO draining(node_id) VALUES (?)"
                        : "DELETE FROM draining WHERE node_id = ?");
    sqlite3_bind_text(st, 1, out->id, -1, SQLITE_STATIC);
    rc = meta_exec(m, st);
    out->draining = on;
    m->weak_hint = true; /* its chunks now count as weak, or not */
    m->placement_version++;
    return rc;
}

int meta_node_drain(struct meta *m, const char *which, bool on,
                    struct dfs_node *out)
{
    if (!which[0] || strlen(which) > ADDR_TEXT_MAX) return -ENOENT;
    int rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, drain_locked(m, which, on, out));
}

/* ---- balance ---- */

/* The loads being counted: ids[i] holds counts[i], of n (room for cap). */
struct loads {
    char (*ids)[PLACEMENT_NODE_ID_MAX + 1];
    uint64_t *counts;
    size_t n, cap;
};

/* Add count copies to node id (the arrays grown as needed). */
static int loads_add(struct loads *l, const char *id, uint64_t count)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->ids[i], id) == 0) {
            l->counts[i] += count;
            return 0;
        }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        void *a = realloc(l->ids, l->cap * sizeof(*l->ids));
        if (a) l->ids = a;
        void *b = realloc(l->counts, l->cap * sizeof(*l->counts));
        if (b) l->counts = b;
        if (!a || !b) return -ENOMEM;
    }
    snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", id);
    l->counts[l->n++] = count;
    return 0;
}

/* A page of meta_node_loads: its copies of referenced chunks, per node. */
static int loads_page(struct meta *m, const char *after, const char *last,
                      void *ctx)
{
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT node_id, count(*) FROM replicas r"
                     " WHERE chunk_id > ?1 AND chunk_id <= ?2 AND EXISTS"
                     " (SELECT 1 FROM file_chunks f WHERE f.chunk_id ="
                     " r.chunk_id) GROUP BY node_id");
    sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, last, -1, SQLITE_TRANSIENT);
    int rc, err = 0;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = loads_add(ctx, (const char *)sqlite3_column_text(st, 0),
                        (uint64_t)sqlite3_column_int64(st, 1));
    sqlite3_reset(st);
    if (err < 0) return err;
    return rc == SQLITE_DONE ? 0 : meta_errno(m, rc, "node loads");
}

int meta_node_loads(struct meta *m, char (**ids)[PLACEMENT_NODE_ID_MAX + 1],
                    uint64_t **counts, size_t *n)
{
    struct loads l = {0};
    int rc = pages_each(m, loads_page, &l);
    if (rc < 0) {
        free(l.ids);
        free(l.counts);
        l = (struct loads){0};
    }
    *ids = l.ids;
    *counts = l.counts;
    *n = l.n;
    return rc;
}

int meta_movable_chunks(struct meta *m, const char *from, const char *to,
                        char (*ids)[CHUNK_ID_STRLEN], size_t max, size_t *n)
{
    int rc = SQLITE_DONE;
    *n = 0;
    meta_lock(m);
    sqlite3_stmt *st =
        /* EXISTS, not IN (SELECT ...): IN built the list of every
         * referenced chunk before the first row (0.25 s at 1 TiB). */
        meta_stmt(m, "SELECT r.chunk_id FROM replicas r WHERE r.node_id = ?1"
                     " AND EXISTS (SELECT 1 FROM file_chunks f"
                     "  WHERE f.chunk_id = r.chunk_id)"
                     " AND NOT EXISTS (SELECT 1 FROM replicas t"
                     "  WHERE t.chunk_id = r.chunk_id AND t.node_id = ?2)"
                     " ORDER BY r.chunk_id LIMIT ?3");
    sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)max);
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        snprintf(ids[(*n)++], CHUNK_ID_STRLEN, "%s",
                 sqlite3_column_text(st, 0));
    if (*n == max) rc = SQLITE_DONE;
    sqlite3_reset(st);
    meta_unlock(m);
    return rc == SQLITE_DONE ? 0 : meta_errno(m, rc, "movable chunks");
}
