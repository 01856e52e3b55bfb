/*
 * garbage.c - copies of chunks no file refers to (the meta_* garbage calls
 * of meta.h), for master/gc.c.
 *
 * A copy is garbage when its chunk has no file_chunks row: the file was
 * removed or rewritten, or a writer stored the chunk and never committed
 * it (it crashed, or is still writing: gc.c and the chunk servers keep a
 * grace period for that).  file_chunks_by_chunk makes the NOT EXISTS one
 * index probe per copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "meta_sqlite.h"

int meta_unreferenced(struct meta *m, const struct meta_replica *after,
                      size_t max, struct meta_replica **out, size_t *n)
{
    struct meta_replica *v = calloc(max ? max : 1, sizeof(*v));
    sqlite3_stmt *st;
    size_t count = 0;
    int rc = 0;

    *out = NULL;
    *n = 0;
    if (!v) return -ENOMEM;
    meta_lock(m);
    /* (chunk_id, node_id) is the primary key: a page starts where the
     * last one ended, with no re-reading. */
    st = meta_stmt(m, "SELECT r.chunk_id, r.node_id FROM replicas r"
                      " WHERE (r.chunk_id, r.node_id) > (?1, ?2) AND"
                      " NOT EXISTS (SELECT 1 FROM file_chunks f"
                      "  WHERE f.chunk_id = r.chunk_id)"
                      " ORDER BY r.chunk_id, r.node_id LIMIT ?3");
    sqlite3_bind_text(st, 1, after ? after->chunk_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, after ? after->node_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)max);
    while (count < max && (rc = meta_step_row(m, st)) == 1) {
        snprintf(v[count].chunk_id, sizeof(v[count].chunk_id), "%s",
                 (const char *)sqlite3_column_text(st, 0));
        snprintf(v[count].node_id, sizeof(v[count].node_id), "%s",
                 (const char *)sqlite3_column_text(st, 1));
        count++;
    }
    if (rc == 1) sqlite3_reset(st);
    meta_unlock(m);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = count;
    return 0;
}

int meta_unreferenced_forget(struct meta *m, const char *id,
                             const char *node_id)
{
    int rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    /* In the same statement as the check: a commit that has just referred
     * to the chunk keeps every copy. */
    sqlite3_stmt *st = meta_stmt(
        m, "DELETE FROM replicas WHERE chunk_id = ?1 AND node_id = ?2 AND"
           " NOT EXISTS (SELECT 1 FROM file_chunks WHERE chunk_id = ?1)");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, node_id, -1, SQLITE_STATIC);
    rc = meta_exec(m, st);
    int forgot = rc == 0 && sqlite3_changes(m->db) > 0;
    rc = meta_tx_end(m, rc);
    return rc < 0 ? rc : forgot;
}
