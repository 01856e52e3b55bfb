/*
 * chunk_map.c - which chunks make up a file and where their replicas are
 * (meta_chunks, meta_commit of meta.h) over file_chunks and replicas.
 *
 * A reader gets, per chunk, the addresses of the live nodes that hold it,
 * ranked the way placement.h ranks them (weight = free space), so every
 * client tries replicas in the same order the writer chose them.  A
 * writer's commit swaps chunk ids in the map and records who holds the
 * new chunks, in one transaction: readers see the old map or the new one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meta_sqlite.h"
#include "placement.h"

/* More holders than this are not ranked (the map carries at most
 * DFS_MAX_REPLICAS of them anyway). */
#define HOLDERS_MAX 64

static uint64_t chunk_count_for(uint64_t size, uint32_t chunk_size)
{
    return size / chunk_size + (size % chunk_size != 0);
}

int meta_chunks_cut(struct meta *m, uint64_t ino, uint64_t size)
{
    sqlite3_stmt *st =
        meta_stmt(m, "DELETE FROM file_chunks WHERE ino = ? AND idx >= ?");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    sqlite3_bind_int64(st, 2, (int64_t)chunk_count_for(size, m->chunk_size));
    m->placement_version++;
    return meta_exec(m, st);
}

static int regular_file(struct meta *m, uint64_t ino, struct dfs_attr *a)
{
    int rc = meta_inode_get(m, ino, a);
    if (rc == 0 && !S_ISREG(a->mode)) rc = S_ISDIR(a->mode) ? -EISDIR : -EINVAL;
    return rc;
}

/* ---- reading the map ---- */

/* Live holders of c's chunk, as addresses in placement order. */
static int chunk_replicas(struct meta *m, struct dfs_chunk *c, int64_t now)
{
    struct placement_node nodes[HOLDERS_MAX];
    char addrs[HOLDERS_MAX][ADDR_TEXT_MAX];
    size_t n = 0, order[HOLDERS_MAX];
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT n.node_id, n.addr, n.zone, n.free FROM replicas r"
                     " JOIN nodes n ON n.node_id = r.node_id"
                     " WHERE r.chunk_id = ? AND n.last_seen_ms > ?");
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now - m->dead_after_ms);
    int rc;
    while (n < HOLDERS_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct placement_node *p = &nodes[n];
        snprintf(p->id, sizeof(p->id), "%s", sqlite3_column_text(st, 0));
        snprintf(addrs[n], sizeof(addrs[n]), "%s", sqlite3_column_text(st, 1));
        snprintf(p->zone, sizeof(p->zone), "%s", sqlite3_column_text(st, 2));
        int64_t free_bytes = sqlite3_column_int64(st, 3);
        p->weight = free_bytes > 0 ? (uint64_t)free_bytes : 0;
        n++;
    }
    if (n < HOLDERS_MAX && rc != SQLITE_DONE) {
        sqlite3_reset(st);
        return meta_errno(m, rc, "chunk replicas");
    }
    sqlite3_reset(st);
    placement_rank(c->id, nodes, n, n, order);
    c->nreplicas = n < DFS_MAX_REPLICAS ? n : DFS_MAX_REPLICAS;
    for (size_t i = 0; i < c->nreplicas; i++)
        memcpy(c->replicas[i], addrs[order[i]], ADDR_TEXT_MAX);
    return 0;
}

/* The file's chunk rows in index order, without replicas. */
static int chunk_rows(struct meta *m, uint64_t ino, struct dfs_chunk_map *out)
{
    size_t cap = 0;
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT idx, chunk_id, len FROM file_chunks WHERE ino = ?"
                     " ORDER BY idx");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->nchunks == cap) {
            cap = cap ? cap * 2 : 16;
            void *p = realloc(out->chunks, cap * sizeof(*out->chunks));
            if (!p) {
                sqlite3_reset(st);
                return -ENOMEM;
            }
            out->chunks = p;
        }
        struct dfs_chunk *c = &out->chunks[out->nchunks++];
        memset(c, 0, sizeof(*c));
        c->index = (uint64_t)sqlite3_column_int64(st, 0);
        snprintf(c->id, sizeof(c->id), "%s", sqlite3_column_text(st, 1));
        c->len = (uint32_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : meta_errno(m, rc, "chunk map");
}

static int chunks_locked(struct meta *m, uint64_t ino,
                         struct dfs_chunk_map *out)
{
    struct dfs_attr a;
    int rc = regular_file(m, ino, &a);
    if (rc < 0) return rc;
    out->ino = ino;
    out->size = a.size;
    out->chunk_size = m->chunk_size;
    rc = chunk_rows(m, ino, out);
    int64_t now = meta_now_ms(m);
    for (size_t i = 0; rc == 0 && i < out->nchunks; i++)
        rc = chunk_replicas(m, &out->chunks[i], now);
    return rc;
}

int meta_chunks(struct meta *m, uint64_t ino, struct dfs_chunk_map *out)
{
    memset(out, 0, sizeof(*out));
    meta_lock(m);
    int rc = chunks_locked(m, ino, out);
    meta_unlock(m);
    if (rc < 0) meta_chunk_map_free(out);
    return rc;
}

/* ---- commit ---- */

/* Peer input: every entry must lie inside the new size and fit a chunk. */
static int commit_check(const struct meta *m, uint64_t size,
                        const struct dfs_chunk_ref *chunks, size_t n)
{
    if (size > INT64_MAX) return -EFBIG;
    uint64_t count = chunk_count_for(size, m->chunk_size);
    for (size_t i = 0; i < n; i++) {
        const struct dfs_chunk_ref *r = &chunks[i];
        if (r->index >= count || r->len > m->chunk_size ||
            !chunk_id_valid(r->id) || r->nnodes > DFS_MAX_REPLICAS)
            return -EINVAL;
        for (size_t j = 0; j < r->nnodes; j++)
            if (!meta_node_id_valid(r->nodes[j])) return -EINVAL;
    }
    return 0;
}

static int chunk_put(struct meta *m, uint64_t ino,
                     const struct dfs_chunk_ref *r)
{
    sqlite3_stmt *st = meta_stmt(
        m, "INSERT OR REPLACE INTO file_chunks(ino, idx, chunk_id, len)"
           " VALUES (?, ?, ?, ?)");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    sqlite3_bind_int64(st, 2, (int64_t)r->index);
    sqlite3_bind_text(st, 3, r->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, r->len);
    m->placement_version++;
    int rc = meta_exec(m, st);
    for (size_t j = 0; rc == 0 && j < r->nnodes; j++) {
        st = meta_stmt(m, "INSERT OR IGNORE INTO replicas(chunk_id, node_id)"
                          " VALUES (?, ?)");
        sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->nodes[j], -1, SQLITE_STATIC);
        rc = meta_exec(m, st);
    }
    return rc;
}

static int commit_locked(struct meta *m, uint64_t ino, uint64_t size,
                         const struct dfs_chunk_ref *chunks, size_t n,
                         struct dfs_attr *out)
{
    struct dfs_attr a;
    int rc = regular_file(m, ino, &a);
    if (rc < 0) return rc;
    int64_t now = meta_now_ns();
    sqlite3_stmt *st =
        meta_stmt(m, "UPDATE inodes SET size = ?, mtime_ns = ?, ctime_ns = ?"
                     " WHERE ino = ?");
    sqlite3_bind_int64(st, 1, (int64_t)size);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, (int64_t)ino);
    rc = meta_exec(m, st);
    if (rc == 0) rc = meta_chunks_cut(m, ino, size);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = chunk_put(m, ino, &chunks[i]);
        if (chunks[i].nnodes < m->replication) m->weak_hint = true;
    }
    if (rc == 0) rc = meta_inode_get(m, ino, out);
    return rc;
}

int meta_commit(struct meta *m, uint64_t ino, uint64_t size,
                const struct dfs_chunk_ref *chunks, size_t n,
                struct dfs_attr *out)
{
    int rc = commit_check(m, size, chunks, n);
    if (rc == 0) rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, commit_locked(m, ino, size, chunks, n, out));
}
