/*
 * chunk_store.c - a chunk server's chunks on local disk.
 *
 * Writes go to an unnamed file (O_TMPFILE in chunks/ab/) while the bytes are
 * hashed; only when the hash equals the id is it given its name in
 * chunks/ab/ with linkat(2).  A link never replaces, so two concurrent
 * puts of one chunk settle on exactly one file and the chunk
 * count stays right without holding a lock across disk I/O; a put cut
 * short leaves nothing behind.  The unnamed file spares the journal the
 * create, rename and unlink of a named temporary, which small-file creates
 * waited on.  Where the file system has no O_TMPFILE the bytes go to a
 * unique file in tmp/ that is renamed into place without replacing
 * (renameat2 RENAME_NOREPLACE, or link(2)).  The mutex only guards the
 * count and the pending-fsync list.
 *
 * Where chunks live (chunks/ab/<id>, directories made at open) is
 * chunk_layout's; a put only links a file into an existing directory.
 *
 * Making many chunks durable at once (the batch of the last second, or an
 * fsync() of a large file) takes one syncfs(2) instead: a fsync per file
 * and per directory is a journal commit each, and with a few hundred small
 * files a second on three servers sharing a disk those commits were what
 * creates waited on.  syncfs promises the same for every file of the
 * file system, these included.
 */
#include "chunk_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "chunk_check.h"
#include "chunk_id.h"
#include "chunk_layout.h"
#include "fsutil.h"
#include "log.h"

#define CHUNK_STORE_DIR_MODE CHUNK_LAYOUT_DIR_MODE
#define CHUNK_STORE_FILE_MODE 0644
/* Room left in a PATH_MAX buffer after the base directory, for
 * "/ab/<64 hex>" or "/put.XXXXXX"; open refuses longer data dirs. */
#define CHUNK_STORE_BASE_MAX (PATH_MAX - 128)
/* From this many chunks on, one syncfs beats a fsync for each. */
#define CHUNK_STORE_SYNCFS_MIN 4
/* Chunks from this size on are written out as soon as they are stored. */
#define CHUNK_STORE_WRITEBACK_MIN (1 << 20)

/* A chunk renamed into place but not yet fsynced. */
struct chunk_pending {
    char id[CHUNK_ID_STRLEN];
    bool large; /* written back early; dropped from the cache once synced */
};

struct chunk_store {
    char chunks_dir[CHUNK_STORE_BASE_MAX];
    char tmp_dir[CHUNK_STORE_BASE_MAX];
    pthread_mutex_t lock; /* guards count and pending */
    bool no_empty_path;   /* linkat(AT_EMPTY_PATH) refused: use /proc */
    bool no_xattr;        /* the file system keeps no user xattrs */
    uint64_t count;
    struct chunk_pending *pending;
    size_t npending, pending_cap;
};

struct chunk_put {
    struct chunk_store *store;
    char id[CHUNK_ID_STRLEN];
    struct chunk_hasher hasher;
    struct chunk_checker *checker; /* NULL when exists */
    bool exists;       /* already stored: hash only, write nothing */
    int fd;            /* temp file, -1 when exists */
    int err;           /* first write error */
    uint64_t len;      /* bytes received so far */
    char tmp[PATH_MAX]; /* named temp file; "" for an O_TMPFILE one */
};

/* ---- paths ---- */

static void chunk_store_path(const struct chunk_store *s, const char *id,
                             char out[PATH_MAX])
{
    chunk_layout_path(s->chunks_dir, id, out);
}

/* ---- durability helpers ---- */

static int chunk_store_fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0) return -errno;
    if (fsync(fd) < 0) rc = -errno;
    close(fd);
    return rc;
}

/* Every chunk of the store durable at once (see the top of the file). */
static int chunk_store_syncfs(const struct chunk_store *s)
{
    int fd = open(s->chunks_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0) return -errno;
    if (syncfs(fd) < 0) rc = -errno;
    close(fd);
    return rc;
}

/* A chunk and the directory entry that names it. */
static int chunk_store_sync_one(const struct chunk_store *s, const char *id)
{
    char path[PATH_MAX];
    int rc;

    chunk_store_path(s, id, path);
    rc = chunk_store_fsync_path(path);
    if (rc == 0) {
        chunk_layout_dir(s->chunks_dir, id, path);
        rc = fs_fsync_dir(path);
    }
    return rc;
}

static int chunk_store_add_pending(struct chunk_store *s, const char *id,
                                   bool large)
{
    int rc = 0;

    pthread_mutex_lock(&s->lock);
    if (s->npending == s->pending_cap) {
        size_t ncap = s->pending_cap ? s->pending_cap * 2 : 64;
        struct chunk_pending *np = realloc(s->pending, ncap * sizeof(*np));
        if (!np) {
            rc = -ENOMEM;
            goto out;
        }
        s->pending = np;
        s->pending_cap = ncap;
    }
    memcpy(s->pending[s->npending].id, id, CHUNK_ID_STRLEN);
    s->pending[s->npending].large = large;
    s->npending++;
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Drop behind writes (as HDFS datanodes can): a large chunk just made
 * durable leaves the page cache, whose pages then serve the next writes.
 * Keeping three replicas' worth of new data cached costs memory that
 * readers of the mounts rarely need (they cache what they read), and on
 * virtual machines every page the cache grows into is slow to touch the
 * first time. */
static void chunk_store_drop_cached(const struct chunk_store *s,
                                    const struct chunk_pending *list, size_t n)
{
    char path[PATH_MAX];

    for (size_t i = 0; i < n; i++) {
        int fd;
        if (!list[i].large) continue;
        chunk_store_path(s, list[i].id, path);
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) continue;
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

int chunk_store_flush_pending(struct chunk_store *s)
{
    struct chunk_pending *list;
    size_t n;
    int rc = 0;

    /* take the list so puts can go on queueing while we fsync */
    pthread_mutex_lock(&s->lock);
    list = s->pending;
    n = s->npending;
    s->pending = NULL;
    s->npending = s->pending_cap = 0;
    pthread_mutex_unlock(&s->lock);

    if (n >= CHUNK_STORE_SYNCFS_MIN) {
        rc = chunk_store_syncfs(s);
        if (rc < 0)
            log_error("syncfs for %zu chunks failed: %s", n, strerror(-rc));
        else
            chunk_store_drop_cached(s, list, n);
        n = 0; /* done, or failed as a whole */
    }
    for (size_t i = 0; i < n; i++) {
        int r = chunk_store_sync_one(s, list[i].id);
        if (r == -ENOENT) /* deleted since: nothing to make durable */
            continue;
        if (r < 0) {
            log_error("fsync of chunk %s failed: %s", list[i].id, strerror(-r));
            if (rc == 0) rc = r;
        }
    }
    free(list);
    return rc;
}

int chunk_store_sync_ids(struct chunk_store *s, const char *const *ids,
                         size_t n)
{
    int rc = 0;

    for (size_t i = 0; i < n; i++)
        if (!chunk_id_valid(ids[i])) return -EINVAL;
    if (n >= CHUNK_STORE_SYNCFS_MIN) return chunk_store_syncfs(s);
    for (size_t i = 0; i < n; i++) {
        int r = chunk_store_sync_one(s, ids[i]);
        if (r < 0 && r != -ENOENT && rc == 0) rc = r;
    }
    return rc;
}

/* ---- open: clean tmp/, count chunks ---- */

static int chunk_store_clean_tmp(const char *tmp_dir)
{
    DIR *d = opendir(tmp_dir);
    struct dirent *e;
    int removed = 0;

    if (!d) return -errno;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0) removed++;
    }
    closedir(d);
    if (removed > 0)
        log_info("removed %d interrupted write(s) from %s", removed, tmp_dir);
    return 0;
}

int chunk_store_list(struct chunk_store *s,
                     int (*fn)(const char *id, void *ctx), void *ctx)
{
    return chunk_layout_walk(s->chunks_dir, fn, ctx);
}

static int chunk_store_count_one(const char *id, void *ctx)
{
    (void)id;
    (*(uint64_t *)ctx)++;
    return 0;
}

static int chunk_store_make_dirs(struct chunk_store *s, const char *dir,
                                 char *err, size_t errlen)
{
    int rc;

    if (snprintf(s->chunks_dir, sizeof(s->chunks_dir), "%s/chunks", dir) >=
            (int)sizeof(s->chunks_dir) ||
        snprintf(s->tmp_dir, sizeof(s->tmp_dir), "%s/tmp", dir) >=
            (int)sizeof(s->tmp_dir)) {
        snprintf(err, errlen, "data directory path too long: %s", dir);
        return -ENAMETOOLONG;
    }
    rc = fs_mkdir_p(s->chunks_dir, CHUNK_STORE_DIR_MODE);
    if (rc == 0) rc = fs_mkdir_p(s->tmp_dir, CHUNK_STORE_DIR_MODE);
    if (rc < 0) {
        snprintf(err, errlen, "cannot create %s/chunks and %s/tmp: %s", dir,
                 dir, strerror(-rc));
        return rc;
    }
    return chunk_layout_prepare(s->chunks_dir, err, errlen);
}

int chunk_store_open(const char *dir, struct chunk_store **out, char *err,
                     size_t errlen)
{
    struct chunk_store *s = calloc(1, sizeof(*s));
    int rc;

    if (!s) return -ENOMEM;
    pthread_mutex_init(&s->lock, NULL);
    rc = chunk_store_make_dirs(s, dir, err, errlen);
    if (rc == 0) {
        rc = chunk_store_clean_tmp(s->tmp_dir);
        if (rc < 0)
            snprintf(err, errlen, "cannot clean %s: %s", s->tmp_dir,
                     strerror(-rc));
    }
    if (rc == 0) {
        rc = chunk_store_list(s, chunk_store_count_one, &s->count);
        if (rc < 0)
            snprintf(err, errlen, "cannot read %s: %s", s->chunks_dir,
                     strerror(-rc));
    }
    if (rc < 0) {
        chunk_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void chunk_store_close(struct chunk_store *s)
{
    if (!s) return;
    pthread_mutex_destroy(&s->lock);
    free(s->pending);
    free(s);
}

uint64_t chunk_store_count(struct chunk_store *s)
{
    uint64_t n;

    pthread_mutex_lock(&s->lock);
    n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int chunk_store_space(struct chunk_store *s, uint64_t *total, uint64_t *avail)
{
    struct statvfs st;

    if (statvfs(s->chunks_dir, &st) < 0) return -errno;
    *total = (uint64_t)st.f_blocks * st.f_frsize;
    *avail = (uint64_t)st.f_bavail * st.f_frsize;
    return 0;
}

int chunk_store_space_advertised(struct chunk_store *s, uint64_t configured,
                                 uint64_t *capacity, uint64_t *free_bytes)
{
    uint64_t total = 0, avail = 0;
    int rc = chunk_store_space(s, &total, &avail);

    if (rc < 0) return rc;
    *capacity = configured ? configured : total;
    *free_bytes = avail < *capacity ? avail : *capacity;
    return 0;
}

/* ---- reading and deleting ---- */

int chunk_store_open_read(struct chunk_store *s, const char *id, int *fd,
                          uint64_t *size)
{
    char path[PATH_MAX];
    struct stat st;
    int f;

    if (!chunk_id_valid(id)) return -EINVAL;
    chunk_store_path(s, id, path);
    f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) return -errno;
    if (fstat(f, &st) < 0) {
        int e = errno;
        close(f);
        return -e;
    }
    *fd = f;
    *size = (uint64_t)st.st_size;
    return 0;
}

int chunk_store_read_check(int fd, char out[CHUNK_CHECK_STRLEN])
{
    unsigned char raw[CHUNK_CHECK_BYTES];
    ssize_t n = fgetxattr(fd, CHUNK_STORE_CHECK_XATTR, raw, sizeof(raw));

    if (n < 0) return -errno;
    if (n != (ssize_t)sizeof(raw)) return -ENODATA;
    chunk_check_format(raw, out);
    return 0;
}

int chunk_store_stat(struct chunk_store *s, const char *id, uint64_t *size)
{
    char path[PATH_MAX];
    struct stat st;

    if (!chunk_id_valid(id)) return -EINVAL;
    chunk_store_path(s, id, path);
    if (stat(path, &st) < 0) return -errno;
    *size = (uint64_t)st.st_size;
    return 0;
}

static int64_t timespec_ms(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000 + t->tv_nsec / 1000000;
}

/* Unlink chunk id unless min_age_ms > 0 and its file changed (was stored,
 * or put again: chunk_store_commit_existing) less than that long ago.
 * Under the lock, so a put of the chunk cannot slip between the look and
 * the unlink. */
static int chunk_store_remove(struct chunk_store *s, const char *id,
                              int64_t min_age_ms)
{
    char path[PATH_MAX], dir[PATH_MAX];
    struct timespec now;
    struct stat st;
    int rc = 0;

    if (!chunk_id_valid(id)) return -EINVAL;
    chunk_store_path(s, id, path);
    pthread_mutex_lock(&s->lock);
    clock_gettime(CLOCK_REALTIME, &now);
    if (min_age_ms > 0 && stat(path, &st) == 0 &&
        timespec_ms(&now) - timespec_ms(&st.st_mtim) < min_age_ms)
        rc = -EBUSY;
    else if (unlink(path) < 0)
        rc = -errno;
    else
        s->count--;
    pthread_mutex_unlock(&s->lock);
    if (rc < 0) return rc;
    /* the master forgets the replica once we answer: make it stick */
    chunk_layout_dir(s->chunks_dir, id, dir);
    return fs_fsync_dir(dir);
}

int chunk_store_delete(struct chunk_store *s, const char *id)
{
    return chunk_store_remove(s, id, 0);
}

int chunk_store_delete_unused(struct chunk_store *s, const char *id,
                              int64_t min_age_ms)
{
    return chunk_store_remove(s, id, min_age_ms);
}

/* ---- writing ---- */

/* The file a new chunk's bytes go to: unnamed where the file system can,
 * else a unique name in tmp/. */
static int chunk_store_open_tmp(struct chunk_put *p)
{
    char dir[PATH_MAX];

    /* In the directory it will be linked into: ext4 puts a file's inode
     * near its directory's, and the 256 directories are spread over the
     * disk (chunk_layout_prepare), so are the inodes. */
    chunk_layout_dir(p->store->chunks_dir, p->id, dir);
    p->tmp[0] = '\0';
    p->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, CHUNK_STORE_FILE_MODE);
    if (p->fd >= 0) return 0;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return -errno;
    snprintf(p->tmp, sizeof(p->tmp), "%s/put.XXXXXX", p->store->tmp_dir);
    p->fd = mkostemp(p->tmp, O_CLOEXEC);
    return p->fd < 0 ? -errno : 0;
}

int chunk_store_put_begin(struct chunk_store *s, const char *id,
                          struct chunk_put **out)
{
    struct chunk_put *p;
    uint64_t size;

    if (!chunk_id_valid(id)) return -EINVAL;
    p = calloc(1, sizeof(*p));
    if (!p) return -ENOMEM;
    p->store = s;
    p->fd = -1;
    memcpy(p->id, id, CHUNK_ID_STRLEN);
    chunk_hasher_init(&p->hasher);
    p->exists = chunk_store_stat(s, id, &size) == 0;
    if (!p->exists) {
        int rc = chunk_store_open_tmp(p);
        if (rc == 0 && !(p->checker = chunk_checker_new())) {
            close(p->fd);
            rc = -ENOMEM;
        }
        if (rc < 0) {
            free(p);
            return rc;
        }
    }
    *out = p;
    return 0;
}

int chunk_store_put_write(struct chunk_put *p, const void *data, size_t len)
{
    if (p->err) return p->err;
    chunk_hasher_update(&p->hasher, data, len);
    if (p->checker) chunk_checker_update(p->checker, data, len);
    if (p->fd >= 0) p->err = fs_write_all(p->fd, data, len);
    p->len += len;
    return p->err;
}

void chunk_store_put_abort(struct chunk_put *p)
{
    if (!p) return;
    if (p->fd >= 0) {
        close(p->fd);
        if (p->tmp[0]) unlink(p->tmp);
    }
    chunk_checker_free(p->checker);
    free(p);
}

/* Move tmp to path unless path exists: 0, or -EEXIST with tmp left. */
static int chunk_store_link_noreplace(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS) return -errno;
    /* file system without RENAME_NOREPLACE: link(2) never replaces */
    if (link(tmp, path) < 0) return -errno;
    unlink(tmp);
    return 0;
}

/* The bytes were right and the chunk was already there (before the put or
 * placed by a concurrent one). */
static int chunk_store_commit_existing(struct chunk_put *p, bool sync,
                                       bool *created)
{
    char path[PATH_MAX];
    int rc;

    *created = false;
    /* A writer is about to refer to this chunk: its mtime says so to
     * chunk_store_delete_unused, under the same lock.  A DELETE between
     * begin and commit would leave us claiming a chunk we never wrote:
     * make the client retry instead. */
    chunk_store_path(p->store, p->id, path);
    pthread_mutex_lock(&p->store->lock);
    rc = utimensat(AT_FDCWD, path, NULL, 0) == 0 ? 0 : -EAGAIN;
    pthread_mutex_unlock(&p->store->lock);
    if (rc < 0) return rc;
    return sync ? chunk_store_sync_one(p->store, p->id) : 0;
}

/* Start writing a large chunk out now, without waiting: the batched sync
 * then finds it mostly on disk, and the disk stays busy at an even pace
 * instead of taking three replicas' worth of dirty pages at once.  Small
 * chunks are left to the batch, where they cost less together.  True for
 * a large chunk (it is dropped from the cache once synced). */
static bool chunk_store_start_writeback(const struct chunk_put *p)
{
    if (p->len < CHUNK_STORE_WRITEBACK_MIN) return false;
    (void)sync_file_range(p->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    return true;
}

/* Give the unnamed file fd the name path; never replaces (-EEXIST). */
static int chunk_store_link_unnamed(struct chunk_store *s, int fd,
                                    const char *path)
{
    char proc[64];

    if (!__atomic_load_n(&s->no_empty_path, __ATOMIC_RELAXED)) {
        if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0) return 0;
        if (errno != EPERM) return -errno;
        /* AT_EMPTY_PATH wants CAP_DAC_READ_SEARCH (gone after --user) */
        __atomic_store_n(&s->no_empty_path, true, __ATOMIC_RELAXED);
    }
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    return -errno;
}

static int chunk_store_link_into(struct chunk_put *p, const char *path)
{
    if (p->tmp[0]) return chunk_store_link_noreplace(p->tmp, path);
    return chunk_store_link_unnamed(p->store, p->fd, path);
}

/* Put the verified bytes under their name: 0, or -EEXIST when a chunk
 * is already there (a named temp file is then left for the caller). */
static int chunk_store_place(struct chunk_put *p, const char *path)
{
    /* mkostemp made it 0600 */
    if (p->tmp[0] && fchmod(p->fd, CHUNK_STORE_FILE_MODE) < 0) return -errno;
    return chunk_store_link_into(p, path);
}

/* Keep the fast checksum with the file before it gets its name, so a
 * visible chunk has it from the start.  Optional: without it readers
 * check the id instead, so a file system without user xattrs (or a
 * full xattr block) only costs them time. */
static void chunk_store_keep_check(struct chunk_put *p)
{
    struct chunk_store *s = p->store;
    unsigned char raw[CHUNK_CHECK_BYTES];

    if (__atomic_load_n(&s->no_xattr, __ATOMIC_RELAXED)) return;
    chunk_checker_final(p->checker, raw);
    if (fsetxattr(p->fd, CHUNK_STORE_CHECK_XATTR, raw, sizeof(raw), 0) == 0)
        return;
    if (errno == ENOTSUP || errno == EOPNOTSUPP) {
        log_warn("%s keeps no user xattrs: readers will check chunk ids "
                 "(slower)",
                 s->chunks_dir);
        __atomic_store_n(&s->no_xattr, true, __ATOMIC_RELAXED);
    }
}

static int chunk_store_commit_new(struct chunk_put *p, bool sync, bool *created)
{
    struct chunk_store *s = p->store;
    char path[PATH_MAX];
    bool large = false;
    int rc = 0;

    chunk_store_keep_check(p);
    if (sync && fsync(p->fd) < 0) rc = -errno;
    if (!sync) large = chunk_store_start_writeback(p);
    chunk_store_path(s, p->id, path);
    if (rc == 0) rc = chunk_store_place(p, path);
    /* Local file systems report write-back errors at fsync (ours or the
     * batch's syncfs), not at close: its result adds nothing. */
    close(p->fd);
    p->fd = -1;
    if (rc < 0 && p->tmp[0]) unlink(p->tmp);
    if (rc == -EEXIST) return chunk_store_commit_existing(p, sync, created);
    if (rc < 0) return rc;
    *created = true;
    pthread_mutex_lock(&s->lock);
    s->count++;
    pthread_mutex_unlock(&s->lock);
    if (sync) {
        chunk_layout_dir(s->chunks_dir, p->id, path);
        return fs_fsync_dir(path);
    }
    return chunk_store_add_pending(s, p->id, large);
}

int chunk_store_put_commit(struct chunk_put *p, bool sync, bool *created)
{
    char got[CHUNK_ID_STRLEN];
    int rc;

    *created = false;
    if (p->err) {
        rc = p->err;
        chunk_store_put_abort(p);
        return rc;
    }
    chunk_hasher_final(&p->hasher, got);
    if (strcmp(got, p->id) != 0) {
        chunk_store_put_abort(p);
        return -EBADMSG;
    }
    if (p->exists)
        rc = chunk_store_commit_existing(p, sync, created);
    else
        rc = chunk_store_commit_new(p, sync, created);
    chunk_checker_free(p->checker);
    free(p);
    return rc;
}

int chunk_store_put(struct chunk_store *s, const char *id, const void *data,
                    size_t len, bool sync, bool *created)
{
    struct chunk_put *p;
    int rc = chunk_store_put_begin(s, id, &p);

    if (rc < 0) return rc;
    rc = chunk_store_put_write(p, data, len);
    if (rc < 0) {
        chunk_store_put_abort(p);
        return rc;
    }
    return chunk_store_put_commit(p, sync, created);
}
