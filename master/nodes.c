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

/* Add the referenced chunks with ids in (after, last], and those of them
 * with fewer live holders than the factor not counting draining ones (as
 * meta_weak_chunks), to *chunks and *weak.  Lock held. */
static int counts_page(struct meta *m, const char *after, const char *last,
                       uint64_t *chunks, uint64_t *weak)
{
    uint64_t n = 0;
    sqlite3_stmt *st = meta_stmt(m, "SELECT count(DISTINCT chunk_id) FROM"
                                    " file_chunks WHERE chunk_id > ?1"
                                    " AND chunk_id <= ?2");
    sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, last, -1, SQLITE_TRANSIENT);
    int rc = count_query(m, st, &n);
    *chunks += n;
    if (rc < 0) return rc;
    st = meta_stmt(m, "SELECT count(*) FROM (SELECT c.chunk_id FROM"
                      " (SELECT DISTINCT chunk_id FROM file_chunks"
                      "  WHERE chunk_id > ?3 AND chunk_id <= ?4) c"
                      " LEFT JOIN replicas r ON r.chunk_id = c.chunk_id"
                      " LEFT JOIN nodes n ON n.node_id = r.node_id"
                      "  AND n.last_seen_ms > ?1"
                      " LEFT JOIN draining d ON d.node_id = n.node_id"
                      " GROUP BY c.chunk_id"
                      " HAVING count(n.node_id) - count(d.node_id) < ?2)");
    sqlite3_bind_int64(st, 1, alive_since(m));
    sqlite3_bind_int64(st, 2, m->replication);
    sqlite3_bind_text(st, 3, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, last, -1, SQLITE_TRANSIENT);
    rc = count_query(m, st, &n);
    *weak += n;
    return rc;
}

int meta_counts(struct meta *m, struct meta_counts *out)
{
    char after[CHUNK_ID_STRLEN] = "", last[CHUNK_ID_STRLEN];
    meta_lock(m);
    int rc = files_count(m, &out->files);
    meta_unlock(m);
    out->chunks = out->under_replicated = 0;
    /* a page at a time, as the scans of repair (meta.h) */
    while (rc == 0) {
        meta_lock(m);
        rc = page_end(m, after, last);
        if (rc == 0 && last[0])
            rc = counts_page(m, after, last, &out->chunks,
                             &out->under_replicated);
        meta_unlock(m);
        if (!last[0]) break;
        memcpy(after, last, sizeof(after));
    }
    return rc;
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
    sqlite3_bind_int64(st, 1, alive_since(m));
    sqlite3_bind_int64(st, 2, m->replication);
    sqlite3_bind_int64(st, 3, (int64_t)max);
    sqlite3_bind_text(st, 4, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, last, -1, SQLITE_TRANSIENT);
    while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
        holders_from_row(st, &out[(*n)++]);
    if (*n == max) rc = SQLITE_DONE;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : meta_errno(m, rc, "chunk holders");
}

/* Node ids are [0-9a-zA-Z_-], so a comma separates them safely.  Copies
 * on draining nodes are holders (sources), but not counted as good. */
#define HOLDERS_SELECT                                                         \
    "SELECT c.chunk_id, group_concat(n.node_id, ','),"                         \
    " count(n.node_id) - count(d.node_id) AS good FROM"                        \
    " (SELECT DISTINCT chunk_id FROM file_chunks"                              \
    "  WHERE chunk_id > ?4 AND chunk_id <= ?5) c"                              \
    " LEFT JOIN replicas r ON r.chunk_id = c.chunk_id"                         \
    " LEFT JOIN nodes n ON n.node_id = r.node_id AND n.last_seen_ms > ?1"      \
    " LEFT JOIN draining d ON d.node_id = n.node_id GROUP BY c.chunk_id"

/* a before b: fewer good copies first, then by id */
static bool holders_before(const struct meta_chunk_holders *a,
                           const struct meta_chunk_holders *b)
{
    if (a->ngood != b->ngood) return a->ngood < b->ngood;
    return strcmp(a->id, b->id) < 0;
}

/* Merge page[0..got) into out[0..*n), both in holders_before order,
 * keeping the first max.  tmp: room for max. */
static void holders_merge(struct meta_chunk_holders *out, size_t *n,
                          const struct meta_chunk_holders *page, size_t got,
                          struct meta_chunk_holders *tmp, size_t max)
{
    size_t i = 0, j = 0, k = 0;
    while (k < max && (i < *n || j < got))
        tmp[k++] = j == got || (i < *n && holders_before(&out[i], &page[j]))
                       ? out[i++]
                       : page[j++];
    memcpy(out, tmp, k * sizeof(*out));
    *n = k;
}

/* Up to max rows of query sql (HOLDERS_SELECT and an order) over every
 * referenced chunk, a page at a time with the store free for other calls
 * in between: in one statement, 262144 chunks (1 TiB) held every request
 * for two seconds.  by_good: keep the rows in holders_before order (every
 * page is read); else in id order (stop once max are found). */
static int holders_paged(struct meta *m, const char *sql, bool by_good,
                         struct meta_chunk_holders *out, size_t max, size_t *n)
{
    struct meta_chunk_holders *page = calloc(max ? max : 1, sizeof(*page));
    struct meta_chunk_holders *tmp = calloc(max ? max : 1, sizeof(*tmp));
    char after[CHUNK_ID_STRLEN] = "", last[CHUNK_ID_STRLEN];
    int rc = page && tmp ? 0 : -ENOMEM;
    *n = 0;
    while (rc == 0 && (by_good || *n < max)) {
        size_t got = 0;
        meta_lock(m);
        rc = page_end(m, after, last);
        if (rc == 0 && last[0])
            rc = holders_rows(m, meta_stmt(m, sql), after, last,
                              by_good ? page : out + *n,
                              by_good ? max : max - *n, &got);
        meta_unlock(m);
        if (rc < 0 || !last[0]) break;
        if (by_good)
            holders_merge(out, n, page, got, tmp, max);
        else
            *n += got;
        memcpy(after, last, sizeof(after));
    }
    free(page);
    free(tmp);
    return rc;
}

int meta_weak_chunks(struct meta *m, struct meta_chunk_holders *out, size_t max,
                     size_t *n)
{
    return holders_paged(m,
                         HOLDERS_SELECT " HAVING good < ?2"
                                        " ORDER BY good, c.chunk_id LIMIT ?3",
                         true, out, max, n);
}

int meta_surplus_chunks(struct meta *m, struct meta_chunk_holders *out,
                        size_t max, size_t *n)
{
    return holders_paged(m,
                         HOLDERS_SELECT " HAVING good > ?2"
                                        " ORDER BY c.chunk_id LIMIT ?3",
                         false, out, max, n);
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

/* Add count copies to node id in the arrays (grown as needed). */
static int loads_add(char (**ids)[PLACEMENT_NODE_ID_MAX + 1], uint64_t **counts,
                     size_t *n, size_t *cap, const char *id, uint64_t count)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*ids)[i], id) == 0) {
            (*counts)[i] += count;
            return 0;
        }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        void *a = realloc(*ids, *cap * sizeof(**ids));
        if (a) *ids = a;
        void *b = realloc(*counts, *cap * sizeof(**counts));
        if (b) *counts = b;
        if (!a || !b) return -ENOMEM;
    }
    snprintf((*ids)[*n], sizeof((*ids)[0]), "%s", id);
    (*counts)[(*n)++] = count;
    return 0;
}

/* One page: the copies of the referenced chunks with ids in (after,
 * after + META_LOADS_PAGE chunks], added to the arrays; the page's last
 * id into after ("" when there was none).  Lock held. */
static int loads_page(struct meta *m, char after[CHUNK_ID_STRLEN],
                      char (**ids)[PLACEMENT_NODE_ID_MAX + 1],
                      uint64_t **counts, size_t *n, size_t *cap)
{
    char last[CHUNK_ID_STRLEN];
    int rc = page_end(m, after, last);
    if (rc < 0) return rc;
    if (!last[0]) {
        after[0] = '\0';
        return 0;
    }
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT node_id, count(*) FROM replicas r"
                     " WHERE chunk_id > ?1 AND chunk_id <= ?2 AND EXISTS"
                     " (SELECT 1 FROM file_chunks f WHERE f.chunk_id ="
                     " r.chunk_id) GROUP BY node_id");
    sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, last, -1, SQLITE_TRANSIENT);
    int err = 0;
    while (err == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = loads_add(ids, counts, n, cap,
                        (const char *)sqlite3_column_text(st, 0),
                        (uint64_t)sqlite3_column_int64(st, 1));
    sqlite3_reset(st);
    if (err < 0) return err;
    if (rc != SQLITE_DONE) return meta_errno(m, rc, "node loads");
    memcpy(after, last, CHUNK_ID_STRLEN);
    return 0;
}

int meta_node_loads(struct meta *m, char (**ids)[PLACEMENT_NODE_ID_MAX + 1],
                    uint64_t **counts, size_t *n)
{
    char after[CHUNK_ID_STRLEN] = "";
    size_t cap = 0;
    int rc;
    *ids = NULL;
    *counts = NULL;
    *n = 0;
    /* A page at a time, the store free for other calls in between: in
     * one statement, 262144 chunks (1 TiB) held every request for over a
     * second.  A copy added or dropped meanwhile may be counted or missed,
     * which a balance with a 10% slack does not notice. */
    do {
        meta_lock(m);
        rc = loads_page(m, after, ids, counts, n, &cap);
        meta_unlock(m);
    } while (rc == 0 && after[0]);
    if (rc == 0) return 0;
    free(*ids);
    free(*counts);
    *ids = NULL;
    *counts = NULL;
    *n = 0;
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
