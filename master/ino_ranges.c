/*
 * ino_ranges.c - inode numbers reserved by clients (meta.h).
 *
 * A mount that creates files without waiting for the master (the create
 * rides ahead of the file's commit, fuse/setattr_behind.h) must give the
 * kernel an inode number at once.  It takes numbers from a range reserved
 * here.  Reserving moves the inodes table's AUTOINCREMENT counter
 * (sqlite_sequence) past the range, so the master's own creates never
 * pick one of its numbers, and records the range with the lowest number
 * not used yet.  A create of a reserved number must be above that mark,
 * which then moves past it: a number is used once, so a client can never
 * bring back the number of a deleted inode that another client may still
 * hold in a cache.  Ranges live in the database, so a restarted master
 * accepts the creates a mount queued before the restart.
 */
#include <errno.h>

#include "meta_sqlite.h"

static int sequence_get(struct meta *m, int64_t *seq)
{
    sqlite3_stmt *st = meta_stmt(
        m, "SELECT coalesce((SELECT seq FROM sqlite_sequence"
           " WHERE name = 'inodes'), (SELECT max(ino) FROM inodes), 1)");
    int rc = meta_step_row(m, st);
    if (rc <= 0) return rc == 0 ? -EIO : rc;
    *seq = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int meta_ino_reserve(struct meta *m, uint32_t count, uint64_t *first)
{
    int64_t seq = 0;
    sqlite3_stmt *st;
    int rc;

    if (count == 0 || count > META_INO_RESERVE_MAX) return -EINVAL;
    if ((rc = meta_tx_begin(m)) < 0) return rc;
    rc = sequence_get(m, &seq);
    if (rc == 0) {
        st = meta_stmt(m, "UPDATE sqlite_sequence SET seq = ?"
                          " WHERE name = 'inodes'");
        sqlite3_bind_int64(st, 1, seq + count);
        rc = meta_exec(m, st);
    }
    if (rc == 0) {
        st = meta_stmt(m, "INSERT INTO ino_ranges(first, next, last)"
                          " VALUES (?, ?, ?)");
        sqlite3_bind_int64(st, 1, seq + 1);
        sqlite3_bind_int64(st, 2, seq + 1);
        sqlite3_bind_int64(st, 3, seq + count);
        rc = meta_exec(m, st);
    }
    if (rc == 0) *first = (uint64_t)seq + 1;
    return meta_tx_end(m, rc);
}

int meta_ino_release(struct meta *m, uint64_t first)
{
    int rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    sqlite3_stmt *st = meta_stmt(m, "DELETE FROM ino_ranges WHERE first = ?");
    sqlite3_bind_int64(st, 1, (int64_t)first);
    return meta_tx_end(m, meta_exec(m, st));
}

int meta_ino_take(struct meta *m, uint64_t ino)
{
    sqlite3_stmt *st = meta_stmt(
        m, "SELECT first, next, last FROM ino_ranges WHERE first <= ?"
           " ORDER BY first DESC LIMIT 1");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    int rc = meta_step_row(m, st);
    if (rc <= 0) return rc == 0 ? -EINVAL : rc;
    int64_t first = sqlite3_column_int64(st, 0);
    int64_t next = sqlite3_column_int64(st, 1);
    int64_t last = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    if ((int64_t)ino < next || (int64_t)ino > last) return -EINVAL;
    if ((int64_t)ino == last) {
        st = meta_stmt(m, "DELETE FROM ino_ranges WHERE first = ?");
        sqlite3_bind_int64(st, 1, first);
    } else {
        st = meta_stmt(m, "UPDATE ino_ranges SET next = ? WHERE first = ?");
        sqlite3_bind_int64(st, 1, (int64_t)ino + 1);
        sqlite3_bind_int64(st, 2, first);
    }
    return meta_exec(m, st);
}
