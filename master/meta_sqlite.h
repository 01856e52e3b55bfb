/*
 * meta_sqlite.h - private to the SQLite engine of meta.h.
 *
 * Shared by meta_sqlite.c (connection, schema, transactions, statement
 * cache) and the files that hold the SQL of one concern each
 * (namespace.c, chunk_map.c, nodes.c).  Nothing outside master/meta*.c,
 * namespace.c, chunk_map.c and nodes.c includes it.
 */
#ifndef DFS_MASTER_META_SQLITE_H
#define DFS_MASTER_META_SQLITE_H

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "meta.h"

#define META_STMT_CACHE 96

struct meta_stmt_slot {
    const char *sql; /* the literal's address is the cache key */
    sqlite3_stmt *stmt;
};

struct meta {
    sqlite3 *db;
    char *path;
    /* One connection, one writer: handlers on several HTTP threads take
     * this lock around each whole operation, which also makes multi-query
     * reads (readdir with attributes) consistent. */
    pthread_mutex_t lock;
    uint32_t chunk_size;
    uint32_t replication;
    meta_clock_fn now_ms;
    void *clock_arg;
    int64_t dead_after_ms;
    bool weak_hint; /* see meta_weak_hint_take */
    /* Bumped by every change to which chunks files hold or where their
     * copies are (see meta_placement_version). */
    uint64_t placement_version;
    struct meta_stmt_slot stmts[META_STMT_CACHE];
    size_t nstmts;
};

/* A prepared statement for sql (a string literal), reset and with its
 * bindings cleared.  Prepared once per connection and cached. */
sqlite3_stmt *meta_stmt(struct meta *m, const char *sql);

/* Step a statement that writes; 0 or -errno (constraint -EEXIST, full
 * -ENOSPC, else -EIO, logged).  Resets the statement. */
int meta_exec(struct meta *m, sqlite3_stmt *st);

/* Step a query expected to give at most one row: 1 row (read it, then
 * sqlite3_reset), 0 none (already reset), or -errno. */
int meta_step_row(struct meta *m, sqlite3_stmt *st);

/* sqlite result code -> -errno, logging the failure. */
int meta_errno(struct meta *m, int rc, const char *what);

/* Lock + BEGIN IMMEDIATE; meta_tx_end commits when rc == 0, rolls back
 * otherwise, unlocks, and returns the final rc. */
int meta_tx_begin(struct meta *m);
int meta_tx_end(struct meta *m, int rc);
void meta_lock(struct meta *m);
void meta_unlock(struct meta *m);

int64_t meta_now_ns(void);
int64_t meta_now_ms(struct meta *m);

/* Columns "ino, mode, uid, gid, nlink, size, rdev, atime_ns, mtime_ns,
 * ctime_ns" starting at column col, into a. */
#define META_ATTR_COLS                                                         \
    "i.ino, i.mode, i.uid, i.gid, i.nlink, i.size, i.rdev, i.atime_ns, "       \
    "i.mtime_ns, i.ctime_ns"
void meta_attr_from_row(sqlite3_stmt *st, int col, struct dfs_attr *a);

/* Attr of ino; -ENOENT if absent.  Lock held. */
int meta_inode_get(struct meta *m, uint64_t ino, struct dfs_attr *a);

/* The file ino is now size bytes long: drop chunk rows at or past
 * ceil(size / chunk_size) (chunk_map.c).  A chunk cut in the middle stays
 * as it is: only the client has its bytes to write a shorter one, and
 * reads stop at the file size anyway. */
int meta_chunks_cut(struct meta *m, uint64_t ino, uint64_t size);

#endif
