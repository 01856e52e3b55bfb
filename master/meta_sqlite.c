/*
 * meta_sqlite.c - the SQLite engine of meta.h: connection, schema,
 * transactions and the prepared-statement cache.
 *
 * The SQL of each concern lives next to its logic (namespace.c,
 * chunk_map.c, nodes.c); this file only owns the database itself.
 *
 * Schema (version 1):
 *
 *   meta(key TEXT PRIMARY KEY, value)   schema_version, chunk_size,
 *                                       replication: fixed at format time
 *   inodes(ino INTEGER PRIMARY KEY AUTOINCREMENT, mode, uid, gid, nlink,
 *          size, rdev, atime_ns, mtime_ns, ctime_ns, target TEXT)
 *          target is the symlink text.  AUTOINCREMENT so an inode number
 *          is never reused: the kernel may still hold a deleted one, and
 *          FUSE inode numbers must stay unique.
 *   dentries(id INTEGER PRIMARY KEY AUTOINCREMENT, parent, name, ino,
 *            UNIQUE(parent, name))
 *          id is the readdir cookie: increasing and never reused, so a
 *          listing in progress is stable while entries come and go.
 *   file_chunks(ino, idx, chunk_id, len, PRIMARY KEY(ino, idx))
 *          deleted with their inode (ON DELETE CASCADE).
 *   replicas(chunk_id, node_id, PRIMARY KEY(chunk_id, node_id))
 *          which node holds which chunk, as nodes report and commits say.
 *   nodes(node_id PRIMARY KEY, addr, zone, capacity, free, chunk_count,
 *         last_seen_ms, declared_dead)
 *
 * Durability: WAL mode with synchronous=NORMAL.  A commit appends the
 * transaction to the -wal file with write(2) before COMMIT returns; the
 * WAL is fsynced only at checkpoints.  Once written, the bytes are in the
 * kernel's page cache, which outlives the process, so kill -9 (or any
 * crash of the master alone) never loses a committed transaction, and
 * recovery on the next open replays the WAL.  Only an OS crash or power
 * loss can drop the last few transactions, and even then the database
 * stays consistent (the WAL frames carry checksums).  FULL would fsync on
 * every commit, which costs a disk flush per create; NORMAL is the usual
 * trade for metadata servers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "meta_sqlite.h"

#define META_SCHEMA_VERSION 1
#define META_BUSY_TIMEOUT_MS 5000
/* A checkpoint (the WAL copied into the database, both fsynced) runs inside
 * the commit that grows the WAL past this many pages, and stalls it for
 * milliseconds.  SQLite's default of 1000 pages meant one every ~150
 * creates; at 10000 (a WAL of up to ~40 MiB) creates are ~20% faster on
 * average, since the hot pages that every create rewrites are copied once
 * per checkpoint however many frames hold them.  Recovery reads the WAL at
 * open, which at this size takes well under a second. */
#define META_WAL_CHECKPOINT_PAGES 10000
/* Page cache: 32 MiB holds the whole store of a namespace of some 30000
 * files (about 1 KiB each), and the upper levels of every index of a much
 * larger one; the rest is read from the kernel's cache (SQLite's default
 * of 2 MiB sent most lookups there).  Not more: SQLite walks its page
 * cache at every commit here, so with 256 MiB and a store of 262144
 * chunks (1 TiB) a commit took about twice as long (bench/meta_scans.sh:
 * 1.0-1.3 ms against 0.55-0.75 ms; perf put over half of a loop of such
 * commits in that walk). */
#define META_CACHE_KIB "32768"
#define META_ROOT_MODE 0040755

static const char *const schema_sql =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE inodes(ino INTEGER PRIMARY KEY AUTOINCREMENT,"
    " mode INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL,"
    " nlink INTEGER NOT NULL, size INTEGER NOT NULL, rdev INTEGER NOT NULL,"
    " atime_ns INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    " ctime_ns INTEGER NOT NULL, target TEXT);"
    "CREATE TABLE dentries(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " parent INTEGER NOT NULL REFERENCES inodes(ino),"
    " name TEXT NOT NULL,"
    " ino INTEGER NOT NULL REFERENCES inodes(ino),"
    " UNIQUE(parent, name));"
    "CREATE INDEX dentries_by_parent ON dentries(parent, id);"
    "CREATE INDEX dentries_by_ino ON dentries(ino);"
    "CREATE TABLE file_chunks(ino INTEGER NOT NULL"
    " REFERENCES inodes(ino) ON DELETE CASCADE,"
    " idx INTEGER NOT NULL, chunk_id TEXT NOT NULL, len INTEGER NOT NULL,"
    " PRIMARY KEY(ino, idx)) WITHOUT ROWID;"
    "CREATE INDEX file_chunks_by_chunk ON file_chunks(chunk_id);"
    "CREATE TABLE replicas(chunk_id TEXT NOT NULL, node_id TEXT NOT NULL,"
    " PRIMARY KEY(chunk_id, node_id)) WITHOUT ROWID;"
    "CREATE INDEX replicas_by_node ON replicas(node_id);"
    "CREATE TABLE nodes(node_id TEXT PRIMARY KEY, addr TEXT NOT NULL,"
    " zone TEXT NOT NULL, capacity INTEGER NOT NULL, free INTEGER NOT NULL,"
    " chunk_count INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL,"
    " declared_dead INTEGER NOT NULL DEFAULT 0);";

/* Tables added after schema version 1 was fixed (older masters ignore
 * them).  draining: nodes being emptied (dfs drain): they take no new
 * chunk, and their copies do not count towards the replication factor.
 * ino_ranges: inode numbers reserved by clients (ino_ranges.c). */
static const char schema_added_sql[] =
    "CREATE TABLE IF NOT EXISTS draining(node_id TEXT PRIMARY KEY);"
    "CREATE TABLE IF NOT EXISTS ino_ranges(first INTEGER PRIMARY KEY,"
    " next INTEGER NOT NULL, last INTEGER NOT NULL);";

static int64_t realtime_ms(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The time of the running transaction, 0 outside one: every change a
 * transaction makes carries one instant, so a create gives the new inode's
 * ctime and its parent's mtime the same value (mount.dfs relies on that to
 * update the parent's cached attributes without asking again). */
static __thread int64_t tx_now_ns;
/* This thread runs a batch (meta_batch_begin): its transactions are
 * savepoints of the batch's. */
static __thread bool in_batch;

static int64_t clock_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t meta_now_ns(void)
{
    return tx_now_ns ? tx_now_ns : clock_now_ns();
}

int64_t meta_now_ms(struct meta *m)
{
    return m->now_ms(m->clock_arg);
}

void meta_set_clock(struct meta *m, meta_clock_fn now_ms, void *arg)
{
    m->now_ms = now_ms ? now_ms : realtime_ms;
    m->clock_arg = arg;
}

void meta_set_dead_after_ms(struct meta *m, int64_t ms)
{
    m->dead_after_ms = ms;
}

int64_t meta_time_ms(struct meta *m)
{
    return meta_now_ms(m);
}

uint64_t meta_placement_version(struct meta *m)
{
    meta_lock(m);
    uint64_t v = m->placement_version;
    meta_unlock(m);
    return v;
}

bool meta_weak_hint_take(struct meta *m)
{
    meta_lock(m);
    bool hint = m->weak_hint;
    m->weak_hint = false;
    meta_unlock(m);
    return hint;
}

uint32_t meta_chunk_size(const struct meta *m)
{
    return m->chunk_size;
}

uint32_t meta_replication(const struct meta *m)
{
    return m->replication;
}

void meta_lock(struct meta *m)
{
    pthread_mutex_lock(&m->lock);
}

void meta_unlock(struct meta *m)
{
    pthread_mutex_unlock(&m->lock);
}

void meta_hold(struct meta *m)
{
    meta_lock(m);
}

void meta_let_go(struct meta *m)
{
    meta_unlock(m);
}

int meta_errno(struct meta *m, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
        return -EEXIST;
    case SQLITE_FULL:
        log_error("%s: %s: disk full", m->path, what);
        return -ENOSPC;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        log_error("%s: %s: database is locked", m->path, what);
        return -EAGAIN;
    default:
        log_error("%s: %s: %s", m->path, what, sqlite3_errmsg(m->db));
        return -EIO;
    }
}

sqlite3_stmt *meta_stmt(struct meta *m, const char *sql)
{
    for (size_t i = 0; i < m->nstmts; i++) {
        if (m->stmts[i].sql == sql) {
            sqlite3_reset(m->stmts[i].stmt);
            sqlite3_clear_bindings(m->stmts[i].stmt);
            return m->stmts[i].stmt;
        }
    }
    /* The SQL is a constant checked against the schema at open, so a
     * failure here is a bug (or a full cache), not bad input. */
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(m->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                                NULL);
    if (rc != SQLITE_OK || m->nstmts == META_STMT_CACHE) {
        log_error("%s: cannot prepare \"%s\": %s", m->path, sql,
                  sqlite3_errmsg(m->db));
        abort();
    }
    m->stmts[m->nstmts].sql = sql;
    m->stmts[m->nstmts].stmt = st;
    m->nstmts++;
    return st;
}

int meta_exec(struct meta *m, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return 0;
    return meta_errno(m, rc, sqlite3_sql(st));
}

int meta_step_row(struct meta *m, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) return 1;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return 0;
    return meta_errno(m, rc, sqlite3_sql(st));
}

/* BEGIN, COMMIT and ROLLBACK run for every change: prepared once, like
 * every other statement, rather than parsed again each time. */
static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";
static const char sql_savepoint[] = "SAVEPOINT op";
static const char sql_release[] = "RELEASE op";
static const char sql_rollback_to[] = "ROLLBACK TO op";

static int exec_simple(struct meta *m, const char *sql)
{
    return meta_exec(m, meta_stmt(m, sql));
}

/* Several statements, run once (the schema). */
static int exec_script(struct meta *m, const char *sql)
{
    int rc = sqlite3_exec(m->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : meta_errno(m, rc, sql);
}

int meta_tx_begin(struct meta *m)
{
    int rc;

    meta_lock(m);
    if (in_batch)
        /* the batch's transaction is gone if SQLite undid it */
        rc = sqlite3_get_autocommit(m->db) ? -EIO
                                           : exec_simple(m, sql_savepoint);
    else
        /* IMMEDIATE takes the write lock now, so the transaction cannot
         * fail half way with SQLITE_BUSY on its first write. */
        rc = exec_simple(m, sql_begin);
    if (rc < 0)
        meta_unlock(m);
    else
        tx_now_ns = clock_now_ns();
    return rc;
}

/* The end of one change inside a batch: kept, or undone alone. */
static int savepoint_end(struct meta *m, int rc)
{
    if (rc == 0) rc = exec_simple(m, sql_release);
    if (rc < 0) {
        (void)exec_simple(m, sql_rollback_to);
        (void)exec_simple(m, sql_release);
    }
    return rc;
}

int meta_tx_end(struct meta *m, int rc)
{
    if (in_batch) {
        rc = savepoint_end(m, rc);
    } else if (rc == 0) {
        rc = exec_simple(m, sql_commit);
        if (rc < 0) (void)exec_simple(m, sql_rollback);
    } else {
        (void)exec_simple(m, sql_rollback);
    }
    tx_now_ns = 0;
    meta_unlock(m);
    return rc;
}

int meta_batch_begin(struct meta *m)
{
    if (in_batch) return -EINVAL;
    int rc = meta_tx_begin(m); /* holds the store until meta_batch_end */
    if (rc == 0) in_batch = true;
    return rc;
}

int meta_batch_end(struct meta *m)
{
    if (!in_batch) return -EINVAL;
    in_batch = false;
    bool undone = sqlite3_get_autocommit(m->db); /* SQLite undid it all */
    if (undone) log_error("%s: a batch of changes was rolled back", m->path);
    return meta_tx_end(m, undone ? -EIO : 0);
}

void meta_attr_from_row(sqlite3_stmt *st, int col, struct dfs_attr *a)
{
    a->ino = (uint64_t)sqlite3_column_int64(st, col + 0);
    a->mode = (uint32_t)sqlite3_column_int64(st, col + 1);
    a->uid = (uint32_t)sqlite3_column_int64(st, col + 2);
    a->gid = (uint32_t)sqlite3_column_int64(st, col + 3);
    a->nlink = (uint32_t)sqlite3_column_int64(st, col + 4);
    a->size = (uint64_t)sqlite3_column_int64(st, col + 5);
    a->rdev = (uint64_t)sqlite3_column_int64(st, col + 6);
    a->atime_ns = sqlite3_column_int64(st, col + 7);
    a->mtime_ns = sqlite3_column_int64(st, col + 8);
    a->ctime_ns = sqlite3_column_int64(st, col + 9);
}

int meta_inode_get(struct meta *m, uint64_t ino, struct dfs_attr *a)
{
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT " META_ATTR_COLS " FROM inodes i WHERE ino = ?");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    int rc = meta_step_row(m, st);
    if (rc <= 0) return rc == 0 ? -ENOENT : rc;
    meta_attr_from_row(st, 0, a);
    sqlite3_reset(st);
    return 0;
}

/* ---- open and format ---- */

static int set_err(char *err, size_t errlen, int rc, const char *fmt,
                   const char *a, const char *b)
{
    snprintf(err, errlen, fmt, a, b);
    return rc;
}

static int put_meta_value(struct meta *m, const char *key, int64_t v)
{
    sqlite3_stmt *st =
        meta_stmt(m, "INSERT INTO meta(key, value) VALUES (?, ?)");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    return meta_exec(m, st);
}

static int get_meta_value(struct meta *m, const char *key, int64_t *v)
{
    sqlite3_stmt *st = meta_stmt(m, "SELECT value FROM meta WHERE key = ?");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = meta_step_row(m, st);
    if (rc <= 0) return rc == 0 ? -ENOENT : rc;
    *v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int format_db(struct meta *m, const struct meta_format *fmt)
{
    int rc = exec_script(m, schema_sql);
    if (rc == 0) rc = exec_script(m, schema_added_sql);
    if (rc == 0) rc = put_meta_value(m, "schema_version", META_SCHEMA_VERSION);
    if (rc == 0) rc = put_meta_value(m, "chunk_size", fmt->chunk_size);
    if (rc == 0) rc = put_meta_value(m, "replication", fmt->replication);
    if (rc < 0) return rc;
    int64_t now = meta_now_ns();
    sqlite3_stmt *st = meta_stmt(
        m,
        "INSERT INTO inodes(ino, mode, uid, gid, nlink, size, rdev,"
        " atime_ns, mtime_ns, ctime_ns) VALUES (1, ?, 0, 0, 2, 0, 0, ?, ?, ?)");
    sqlite3_bind_int64(st, 1, META_ROOT_MODE);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, now);
    return meta_exec(m, st);
}

/* Format a new database, or read the parameters of an existing one. */
static int format_or_load(struct meta *m, const struct meta_format *fmt,
                          char *err, size_t errlen)
{
    int rc = meta_tx_begin(m);
    if (rc < 0)
        return set_err(err, errlen, rc, "%s: %s", m->path,
                       sqlite3_errmsg(m->db));
    sqlite3_stmt *st = meta_stmt(
        m, "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'meta'),"
           " (SELECT count(*) FROM sqlite_master)");
    rc = meta_step_row(m, st);
    int has_meta = rc == 1 ? sqlite3_column_int(st, 0) : 0;
    int nobjects = rc == 1 ? sqlite3_column_int(st, 1) : 0;
    sqlite3_reset(st);
    if (rc < 0) return meta_tx_end(m, rc);
    if (!has_meta && nobjects > 0) {
        set_err(err, errlen, -EINVAL, "%s: %s", m->path,
                "not a dfs metadata database");
        return meta_tx_end(m, -EINVAL);
    }
    if (!has_meta) {
        m->chunk_size = fmt->chunk_size;
        m->replication = fmt->replication;
        rc = format_db(m, fmt);
        if (rc < 0)
            set_err(err, errlen, rc, "%s: cannot format: %s", m->path,
                    sqlite3_errmsg(m->db));
        return meta_tx_end(m, rc);
    }
    int64_t version = 0, cs = 0, repl = 0;
    if (get_meta_value(m, "schema_version", &version) < 0 ||
        get_meta_value(m, "chunk_size", &cs) < 0 ||
        get_meta_value(m, "replication", &repl) < 0 || cs <= 0 ||
        cs > UINT32_MAX || repl <= 0 || repl > DFS_MAX_REPLICAS) {
        set_err(err, errlen, -EINVAL, "%s: %s", m->path, "damaged meta table");
        return meta_tx_end(m, -EINVAL);
    }
    if (version != META_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema version %lld, this master reads %d",
                 m->path, (long long)version, META_SCHEMA_VERSION);
        return meta_tx_end(m, -EINVAL);
    }
    m->chunk_size = (uint32_t)cs;
    m->replication = (uint32_t)repl;
    /* Tables added after version 1 was fixed (schema_added_sql). */
    rc = exec_script(m, schema_added_sql);
    if (rc < 0)
        set_err(err, errlen, rc, "%s: %s", m->path, sqlite3_errmsg(m->db));
    return meta_tx_end(m, rc);
}

static int configure(struct meta *m, char *err, size_t errlen)
{
    sqlite3_busy_timeout(m->db, META_BUSY_TIMEOUT_MS);
    /* Only this process opens the file: holding the lock for good spares
     * the fcntl lock calls of every transaction and the shared-memory
     * index (set before WAL, so the index lives in the heap), and keeps a
     * second master off the same data directory. */
    if (sqlite3_exec(m->db, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL,
                     NULL) != SQLITE_OK)
        return set_err(err, errlen, -EIO, "%s: %s", m->path,
                       sqlite3_errmsg(m->db));
    /* journal_mode is the first statement that reads the file, so a
     * corrupt or foreign file fails here with "file is not a database". */
    sqlite3_stmt *st = NULL;
    int rc =
        sqlite3_prepare_v2(m->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    const char *mode =
        rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (!mode || strcmp(mode, "wal") != 0) {
        set_err(err, errlen, -EIO, "%s: %s", m->path,
                mode ? "cannot switch to WAL mode" : sqlite3_errmsg(m->db));
        sqlite3_finalize(st);
        return -EIO;
    }
    sqlite3_finalize(st);
    rc = sqlite3_exec(m->db,
                      "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                      " PRAGMA cache_size=-" META_CACHE_KIB ";"
                      /* a batch's savepoints keep the pages they may have
                       * to restore in a sub-journal: in memory, not in a
                       * temporary file written for every op */
                      " PRAGMA temp_store=MEMORY;",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return set_err(err, errlen, -EIO, "%s: %s", m->path,
                       sqlite3_errmsg(m->db));
    sqlite3_wal_autocheckpoint(m->db, META_WAL_CHECKPOINT_PAGES);
    return 0;
}

int meta_open(const char *path, const struct meta_format *fmt,
              struct meta **out, char *err, size_t errlen)
{
    struct meta *m = calloc(1, sizeof(*m));
    if (!m || !(m->path = strdup(path))) {
        free(m);
        return set_err(err, errlen, -ENOMEM, "%s: %s", path, "out of memory");
    }
    /* recursive: a batch holds the store while its changes take it */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&m->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    meta_set_clock(m, NULL, NULL);
    m->dead_after_ms = 10000;
    m->weak_hint = true; /* nothing is known about the replicas yet */
    int rc = sqlite3_open_v2(path, &m->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        set_err(err, errlen, -EIO, "%s: %s", path,
                m->db ? sqlite3_errmsg(m->db) : "cannot open");
        meta_close(m);
        return -EIO;
    }
    rc = configure(m, err, errlen);
    if (rc == 0) rc = format_or_load(m, fmt, err, errlen);
    if (rc < 0) {
        meta_close(m);
        return rc;
    }
    *out = m;
    return 0;
}

void meta_close(struct meta *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nstmts; i++)
        sqlite3_finalize(m->stmts[i].stmt);
    if (m->db) sqlite3_close(m->db);
    pthread_mutex_destroy(&m->lock);
    free(m->path);
    free(m);
}
