/*
 * fh_write.c - writing through a file handle: buffer, seal, commit.
 *
 * Writes fill a buffer for one chunk.  When the write moves to another
 * chunk or the buffer is full, the buffer is handed to a seal job (a
 * thread that hashes it and uploads it to its replicas) and a new buffer
 * starts; writing into a chunk that already has bytes starts from a copy
 * of them (read-modify-write: chunks are immutable).  Finished jobs are
 * reaped in order, oldest first, so a chunk rewritten twice ends with its
 * newest bytes in the map.  flush() turns the reaped results into one
 * master commit.
 */
#include "file_handle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attr_cache.h"
#include "chunk_io.h"
#include "clock.h"
#include "kernel_cache.h"
#include "log.h"
#include "setattr_behind.h"

/* Grow *arr (of *cap elements of size sz) to hold need; 0 or -ENOMEM. */
static int grow(void *arr, size_t *cap, size_t need, size_t sz)
{
    void **p = arr;
    size_t ncap = *cap ? *cap : 16;
    void *n;

    if (need <= *cap) return 0;
    while (ncap < need)
        ncap *= 2;
    n = realloc(*p, ncap * sz);
    if (!n) return -ENOMEM;
    *p = n;
    *cap = ncap;
    return 0;
}

static void *seal_main(void *p)
{
    struct fh_seal_job *job = p;
    struct chunk_data *d = job->data;
    char id[CHUNK_ID_STRLEN];

    /* Small last chunks would pin a whole chunk-size buffer in the cache.
     * job->data stays as it is: readers of this handle use it meanwhile. */
    if (d->len < d->cap / 2) {
        job->small = chunk_data_new_uninit(d->len);
        if (job->small) {
            memcpy(job->small->data, d->data, d->len);
            job->small->len = d->len;
        }
    }
    chunk_id_compute(d->data, d->len, id);
    job->rc = chunk_io_write(job->m, id, d->data, d->len, job->sync, &job->ref,
                             &job->where);
    return NULL;
}

static int remember_unsynced(struct dfs_file *fh, const struct dfs_chunk *c)
{
    if (grow(&fh->unsynced, &fh->cap_unsynced, fh->nunsynced + 1,
             sizeof(*fh->unsynced)) < 0)
        return -ENOMEM;
    memcpy(fh->unsynced[fh->nunsynced++], c->id, CHUNK_ID_STRLEN);
    for (size_t i = 0; i < c->nreplicas; i++) {
        size_t j = 0;
        while (j < fh->nsync_addrs &&
               strcmp(fh->sync_addrs[j], c->replicas[i]) != 0)
            j++;
        if (j < fh->nsync_addrs) continue;
        if (grow(&fh->sync_addrs, &fh->cap_sync_addrs, j + 1,
                 sizeof(*fh->sync_addrs)) < 0)
            return -ENOMEM;
        memcpy(fh->sync_addrs[fh->nsync_addrs++], c->replicas[i],
               ADDR_TEXT_MAX);
    }
    return 0;
}

static int add_pending(struct dfs_file *fh, const struct dfs_chunk_ref *r)
{
    for (size_t i = 0; i < fh->npending; i++) {
        if (fh->pending[i].index == r->index) {
            fh->pending[i] = *r;
            return 0;
        }
    }
    if (grow(&fh->pending, &fh->cap_pending, fh->npending + 1,
             sizeof(*fh->pending)) < 0)
        return -ENOMEM;
    fh->pending[fh->npending++] = *r;
    return 0;
}

/* Wait for the oldest job and take in its result. */
static void reap_oldest(struct dfs_file *fh)
{
    struct fh_seal_job *job = fh->jobs[0];
    int rc;

    if (job->joinable) pthread_join(job->thread, NULL);
    memmove(&fh->jobs[0], &fh->jobs[1], --fh->njobs * sizeof(fh->jobs[0]));
    rc = job->rc;
    if (rc == 0) {
        job->ref.index = job->where.index = job->index;
        rc = add_pending(fh, &job->ref);
        if (rc == 0) rc = fh_map_set(fh, &job->where);
        if (rc == 0 && !job->sync) rc = remember_unsynced(fh, &job->where);
        if (rc == 0)
            chunk_cache_put(fh->m->cache, job->ref.id,
                            job->small ? job->small : job->data);
    }
    if (rc < 0) {
        log_error("inode %llu chunk %llu: seal failed: %s",
                  (unsigned long long)fh->ino, (unsigned long long)job->index,
                  strerror(-rc));
        fh->err = -EIO;
    }
    chunk_data_put(job->data);
    chunk_data_put(job->small);
    free(job);
}

static void reap_all(struct dfs_file *fh)
{
    while (fh->njobs > 0)
        reap_oldest(fh);
}

/* Hand the buffer to a seal job; the buffer is empty afterwards.  here:
 * run it in this thread (flush waits for it anyway; for a small file a
 * thread start and join would cost as much as the upload). */
static void seal_buffer(struct dfs_file *fh, bool sync, bool here)
{
    struct fh_seal_job *job;

    if (!fh->buf) return;
    if (fh->buf->len == 0) {
        chunk_data_put(fh->buf);
        fh->buf = NULL;
        return;
    }
    if (fh->njobs == FH_MAX_INFLIGHT) reap_oldest(fh);
    job = calloc(1, sizeof(*job));
    if (!job) {
        fh->err = -EIO;
        return;
    }
    job->m = fh->m;
    job->index = fh->buf_index;
    job->data = fh->buf;
    job->sync = sync;
    fh->buf = NULL;
    fh->jobs[fh->njobs++] = job;
    job->joinable =
        !here && pthread_create(&job->thread, NULL, seal_main, job) == 0;
    if (!job->joinable) seal_main(job); /* or no thread to spare */
}

/* The bytes chunk `index` holds now, as this handle sees them, or NULL. */
static int old_bytes(struct dfs_file *fh, uint64_t index,
                     struct chunk_data **out)
{
    const struct fh_seal_job *job = fh_job_find(fh, index);
    const struct dfs_chunk *c;
    struct dfs_chunk copy;

    *out = NULL;
    if (job) {
        *out = chunk_data_get(job->data);
        return 0;
    }
    c = fh_map_find(fh, index);
    if (!c) return 0;
    copy = *c;
    return chunk_io_read(fh->m, &copy, out);
}

/* Make the buffer hold chunk `index`, ready for a write of [coff,
 * coff+take): seal the previous one, and start from the old bytes unless
 * the write replaces all of them. */
static int buffer_select(struct dfs_file *fh, uint64_t index, size_t coff,
                         size_t take)
{
    const struct dfs_chunk *c;
    struct chunk_data *old = NULL;
    const struct fh_seal_job *job;
    int rc;

    if (fh->buf && fh->buf_index == index) return 0;
    seal_buffer(fh, false, false);
    if (fh->err) return fh->err;
    job = fh_job_find(fh, index);
    c = fh_map_find(fh, index);
    bool covers = coff == 0 && take >= (job ? job->data->len : c ? c->len : 0);
    if (!covers) {
        rc = old_bytes(fh, index, &old);
        if (rc < 0) return rc;
    }
    fh->buf = chunk_data_new_uninit(fh->m->chunk_size);
    if (!fh->buf) {
        chunk_data_put(old);
        return -ENOMEM;
    }
    fh->buf_index = index;
    if (old) {
        size_t n = old->len < fh->buf->cap ? old->len : fh->buf->cap;
        memcpy(fh->buf->data, old->data, n);
        fh->buf->len = n;
        chunk_data_put(old);
    }
    return 0;
}

/* Under the lock: fh has writes to commit from now on. */
static void mark_dirty(struct dfs_file *fh)
{
    __atomic_store_n(&fh->dirty_since_ms, clock_monotonic_ms(),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&fh->dirty, true, __ATOMIC_RELEASE);
    /* the kernel's cached pages no longer match any committed map */
    kernel_cache_wrote(fh->m->kcache, fh->ino, &fh->kc_use);
}

bool fh_dirty_for_ms(struct dfs_file *fh, int64_t ms)
{
    return __atomic_load_n(&fh->dirty, __ATOMIC_ACQUIRE) &&
           clock_monotonic_ms() -
                   __atomic_load_n(&fh->dirty_since_ms, __ATOMIC_RELAXED) >=
               ms;
}

int fh_write(struct dfs_file *fh, const char *data, size_t size, uint64_t off)
{
    uint64_t cs = fh->m->chunk_size;
    size_t done = 0;
    int rc = 0;

    pthread_mutex_lock(&fh->lock);
    if (fh->err) rc = -EIO;
    if (rc == 0) rc = fh_load_locked(fh);
    while (rc == 0 && done < size) {
        uint64_t pos = off + done, index = pos / cs;
        size_t coff = (size_t)(pos % cs);
        size_t take = size - done < cs - coff ? size - done : cs - coff;

        rc = buffer_select(fh, index, coff, take);
        if (rc < 0) break;
        if (coff > fh->buf->len) /* a hole inside the chunk */
            memset(fh->buf->data + fh->buf->len, 0, coff - fh->buf->len);
        memcpy(fh->buf->data + coff, data + done, take);
        if (coff + take > fh->buf->len) fh->buf->len = coff + take;
        if (pos + take > fh->size)
            __atomic_store_n(&fh->size, pos + take, __ATOMIC_RELEASE);
        if (!fh->dirty) mark_dirty(fh);
        if (fh->buf->len == cs && coff + take == cs)
            seal_buffer(fh, false, false);
        done += take;
    }
    pthread_mutex_unlock(&fh->lock);
    return rc;
}

/* A commit body must stay under the master's 1 MiB JSON limit (a chunk
 * ref is ~250 bytes), so a file of more than FH_COMMIT_BATCH new chunks
 * is committed in several transactions, each with the final size: data
 * already in the file is never dropped, and until the last one lands a
 * reader may briefly see zeros where new chunks are still uncommitted. */
#define FH_COMMIT_BATCH 1024

static int commit_pending(struct dfs_file *fh, struct dfs_attr *attr)
{
    size_t done = 0;
    int rc = 0;

    do {
        size_t n = fh->npending - done;
        if (n > FH_COMMIT_BATCH) n = FH_COMMIT_BATCH;
        rc = master_commit(fh->m->mc, fh->ino, fh->size, fh->pending + done,
                           n, attr);
        done += n;
    } while (rc == 0 && done < fh->npending);
    return rc;
}

/* A file created behind (setattr_behind.h): make sure its create has
 * reached the master (sent: a master call since would have carried it),
 * and fail for good if the master refused it. */
static int create_landed(struct dfs_file *fh, bool sent)
{
    if (!fh->created_behind) return 0;
    if (!sent) setattr_behind_flush(fh->m->behind);
    fh->created_behind = false;
    if (!setattr_behind_refused(fh->m->behind, fh->ino)) return 0;
    fh->err = -EIO;
    return -EIO;
}

static int flush_locked(struct dfs_file *fh, bool fsync)
{
    struct dfs_attr attr;
    int rc;

    seal_buffer(fh, fsync, true);
    reap_all(fh);
    if (fh->err) return -EIO;
    if (fsync && fh->nunsynced > 0) {
        rc = chunk_io_sync(fh->m, fh->sync_addrs, fh->nsync_addrs, fh->unsynced,
                           fh->nunsynced);
        if (rc < 0) return -EIO;
        fh->nunsynced = fh->nsync_addrs = 0;
    }
    if (!fh->dirty) return fsync ? create_landed(fh, false) : 0;
    rc = commit_pending(fh, &attr);
    if (create_landed(fh, true) < 0) return -EIO;
    if (rc == 0) attr_cache_put(fh->m->attrs, &attr);
    /* Unlinked while open: nobody can see the data any more. */
    if (rc == -ENOENT) rc = 0;
    if (rc < 0) {
        log_error("inode %llu: commit of %zu chunks failed: %s",
                  (unsigned long long)fh->ino, fh->npending, strerror(-rc));
        return -EIO;
    }
    fh->npending = 0;
    fh->map.size = fh->size;
    __atomic_store_n(&fh->dirty, false, __ATOMIC_RELEASE);
    return 0;
}

int fh_flush(struct dfs_file *fh, bool fsync)
{
    pthread_mutex_lock(&fh->lock);
    int rc = flush_locked(fh, fsync);
    pthread_mutex_unlock(&fh->lock);
    return rc;
}
