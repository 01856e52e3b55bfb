/*
 * file_handle.c - opening, reading and closing files.
 *
 * Reads serve each chunk from the freshest copy this handle knows: the
 * write buffer, then a chunk still being sealed, then the chunk map
 * (through the mount's cache or a replica).  Bytes past a chunk's stored
 * length and holes read as zeros; reads stop at the handle's size.  A
 * read that continues where the last one ended (or starts the file)
 * starts background fetches of the next chunks, so a sequential reader
 * rarely waits on the network.
 */
#include "file_handle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attr_cache.h"
#include "chunk_io.h"
#include "log.h"

/* Mount-wide cap on background fetches (each holds one chunk): two
 * sequential readers at full depth. */
#define FH_MAX_PREFETCH 8
/* Chunks fetched ahead of a sequential reader.  A fetch takes a few ms
 * (the server reads the file, the bytes cross the socket and are
 * checked); four in flight keep a 1 GiB cold read from waiting on them
 * (measured: 2 ahead ~1.0 s, 4 ahead ~0.85 s, 6 no better). */
#define FH_PREFETCH_AHEAD 4

static struct dfs_file *fh_alloc(struct dfs_mount *m, uint64_t ino)
{
    struct dfs_file *fh = calloc(1, sizeof(*fh));
    if (!fh) return NULL;
    pthread_mutex_init(&fh->lock, NULL);
    fh->m = m;
    fh->ino = ino;
    fh->map.ino = ino;
    fh->map.chunk_size = m->chunk_size;
    return fh;
}

int fh_new_empty(struct dfs_mount *m, uint64_t ino, struct dfs_file **out)
{
    *out = fh_alloc(m, ino);
    if (*out) (*out)->loaded = true;
    return *out ? 0 : -ENOMEM;
}

/* The size we hold of the file is not its map's: another client changed
 * it.  Forget it here and in the kernel, which would read with it for up
 * to attr_timeout (decisions.md, "Kept pages"). */
static void size_check(struct dfs_file *fh)
{
    struct dfs_attr a;

    if (attr_cache_get(fh->m->attrs, fh->ino, &a) && a.size != fh->map.size)
        dfs_mount_forget_attrs(fh->m, fh->ino);
}

/* Under the lock: the map was fetched.  A handle opened for reading
 * without it registers it now, before its first read (kernel_cache.h). */
static void map_fetched(struct dfs_file *fh)
{
    struct map_digest d;

    if (!fh->kc_use.lazy) return;
    map_digest_of(&fh->map, &d);
    kernel_cache_loaded(fh->m->kcache, fh->ino, &d, &fh->kc_use);
    size_check(fh);
}

/* Fetch the map on first use; the caller holds the lock. */
int fh_load_locked(struct dfs_file *fh)
{
    struct dfs_chunk_map map;
    int rc;

    if (fh->loaded) return 0;
    rc = master_chunks(fh->m->mc, fh->ino, &map);
    if (rc < 0) return rc;
    meta_chunk_map_free(&fh->map);
    fh->map = map;
    __atomic_store_n(&fh->size, map.size, __ATOMIC_RELEASE);
    fh->loaded = true;
    map_fetched(fh);
    return 0;
}

int fh_open(struct dfs_mount *m, uint64_t ino, bool trunc,
            struct dfs_file **out)
{
    struct dfs_file *fh = fh_alloc(m, ino);
    int rc;

    if (!fh) return -ENOMEM;
    if (!trunc) {
        *out = fh;
        return 0;
    }
    rc = master_chunks(m->mc, ino, &fh->map);
    if (rc == 0 && fh->map.size > 0) {
        struct dfs_attr attr;
        rc = master_commit(m->mc, ino, 0, NULL, 0, &attr);
        if (rc == 0) {
            attr_cache_put(m->attrs, &attr);
            kernel_cache_changed(m->kcache, ino);
            meta_chunk_map_free(&fh->map);
            fh->map =
                (struct dfs_chunk_map){.ino = ino, .chunk_size = m->chunk_size};
        }
    }
    if (rc < 0) {
        fh_free(fh);
        return rc;
    }
    fh->size = fh->map.size;
    fh->loaded = true;
    *out = fh;
    return 0;
}

int fh_open_reader(struct dfs_file *fh, bool *keep)
{
    struct kernel_cache *kc = fh->m->kcache;
    struct map_digest d;
    int rc = 0;

    *keep = false;
    if (!kc) return 0;
    pthread_mutex_lock(&fh->lock);
    if (fh->loaded || kernel_cache_has_claim(kc, fh->ino)) {
        rc = fh_load_locked(fh);
        if (rc == 0) {
            map_digest_of(&fh->map, &d);
            *keep = kernel_cache_open_reader(kc, fh->ino, &d, &fh->kc_use);
            size_check(fh);
        }
    } else {
        kernel_cache_open_reader(kc, fh->ino, NULL, &fh->kc_use);
    }
    pthread_mutex_unlock(&fh->lock);
    return rc;
}

void fh_free(struct dfs_file *fh)
{
    if (!fh) return;
    /* flush() reaped the jobs; this covers a failed flush. */
    for (size_t i = 0; i < fh->njobs; i++) {
        if (fh->jobs[i]->joinable) pthread_join(fh->jobs[i]->thread, NULL);
        chunk_data_put(fh->jobs[i]->data);
        chunk_data_put(fh->jobs[i]->small);
        free(fh->jobs[i]);
    }
    chunk_data_put(fh->buf);
    meta_chunk_map_free(&fh->map);
    free(fh->pending);
    free(fh->unsynced);
    free(fh->sync_addrs);
    pthread_mutex_destroy(&fh->lock);
    free(fh);
}

bool fh_dirty_size(struct dfs_file *fh, uint64_t *size)
{
    if (!__atomic_load_n(&fh->dirty, __ATOMIC_ACQUIRE)) return false;
    *size = __atomic_load_n(&fh->size, __ATOMIC_ACQUIRE);
    return true;
}

const struct dfs_chunk *fh_map_find(const struct dfs_file *fh, uint64_t index)
{
    size_t lo = 0, hi = fh->map.nchunks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t at = fh->map.chunks[mid].index;
        if (at == index) return &fh->map.chunks[mid];
        if (at < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

int fh_map_set(struct dfs_file *fh, const struct dfs_chunk *c)
{
    struct dfs_chunk_map *map = &fh->map;
    struct dfs_chunk *grown;
    size_t at = 0;

    struct dfs_chunk *old = (struct dfs_chunk *)fh_map_find(fh, c->index);
    if (old) {
        *old = *c;
        return 0;
    }
    grown = realloc(map->chunks, (map->nchunks + 1) * sizeof(*grown));
    if (!grown) return -ENOMEM;
    map->chunks = grown;
    while (at < map->nchunks && map->chunks[at].index < c->index)
        at++;
    memmove(&map->chunks[at + 1], &map->chunks[at],
            (map->nchunks - at) * sizeof(*grown));
    map->chunks[at] = *c;
    map->nchunks++;
    return 0;
}

const struct fh_seal_job *fh_job_find(const struct dfs_file *fh, uint64_t index)
{
    for (size_t i = fh->njobs; i > 0; i--)
        if (fh->jobs[i - 1]->index == index) return fh->jobs[i - 1];
    return NULL;
}

int fh_reload(struct dfs_file *fh)
{
    struct dfs_chunk_map map;
    int rc = master_chunks(fh->m->mc, fh->ino, &map);
    if (rc < 0) return rc;
    pthread_mutex_lock(&fh->lock);
    meta_chunk_map_free(&fh->map);
    fh->map = map;
    __atomic_store_n(&fh->size, map.size, __ATOMIC_RELEASE);
    fh->loaded = true;
    map_fetched(fh);
    pthread_mutex_unlock(&fh->lock);
    return 0;
}

struct prefetch_arg {
    struct dfs_mount *m;
    struct dfs_chunk chunk;
};

static void *prefetch_main(void *p)
{
    struct prefetch_arg *a = p;
    struct chunk_data *d;
    if (chunk_io_read(a->m, &a->chunk, &d) == 0) chunk_data_put(d);
    __atomic_sub_fetch(&a->m->prefetches, 1, __ATOMIC_ACQ_REL);
    free(a);
    return NULL;
}

/* Fetch chunk `index` into the cache in the background, if worth it. */
static void fh_prefetch(struct dfs_file *fh, uint64_t index)
{
    struct dfs_mount *m = fh->m;
    const struct dfs_chunk *c = fh_map_find(fh, index);
    struct prefetch_arg *a;
    pthread_t t;

    if (!c || fh_job_find(fh, index) || (fh->buf && fh->buf_index == index) ||
        chunk_cache_has(m->cache, c->id))
        return;
    if (__atomic_add_fetch(&m->prefetches, 1, __ATOMIC_ACQ_REL) >
        FH_MAX_PREFETCH)
        goto skip;
    a = malloc(sizeof(*a));
    if (!a) goto skip;
    a->m = m;
    a->chunk = *c;
    if (pthread_create(&t, NULL, prefetch_main, a) != 0) {
        free(a);
        goto skip;
    }
    pthread_detach(t);
    return;
skip:
    __atomic_sub_fetch(&m->prefetches, 1, __ATOMIC_ACQ_REL);
}

/* Add a piece of `take` bytes at coff of chunk bytes d (len valid, zeros
 * past len).  keep: d is immutable, so the piece refers to it; else
 * (the chunk being written) the bytes are copied now, under the lock. */
static int piece_add(struct fh_read_reply *r, struct chunk_data *d,
                     size_t coff, size_t take, bool keep)
{
    size_t len = d ? d->len : 0;
    size_t have = coff < len ? len - coff : 0;
    struct fh_piece *pc;

    if (have > take) have = take;
    if (have > 0) {
        pc = &r->pieces[r->npieces++];
        if (keep) {
            pc->ref = chunk_data_get(d);
            pc->p = d->data + coff;
        } else {
            if (!(pc->owned = malloc(have))) return -ENOMEM;
            memcpy(pc->owned, d->data + coff, have);
            pc->p = pc->owned;
        }
        pc->len = have;
    }
    if (take > have) { /* a hole, or past a short chunk's end */
        pc = &r->pieces[r->npieces++];
        if (!(pc->owned = calloc(1, take - have))) return -ENOMEM;
        pc->p = pc->owned;
        pc->len = take - have;
    }
    return 0;
}

/* One chunk's part of a read; may drop and retake the lock to fetch. */
static int fh_read_part(struct dfs_file *fh, uint64_t index, size_t coff,
                        size_t take, struct fh_read_reply *r)
{
    const struct fh_seal_job *job;
    const struct dfs_chunk *c;
    struct dfs_chunk copy;
    struct chunk_data *d;
    int rc;

    if (fh->buf && fh->buf_index == index)
        return piece_add(r, fh->buf, coff, take, false);
    job = fh_job_find(fh, index);
    if (job) return piece_add(r, job->data, coff, take, true);
    c = fh_map_find(fh, index);
    if (!c) return piece_add(r, NULL, coff, take, true);
    copy = *c;
    pthread_mutex_unlock(&fh->lock);
    rc = chunk_io_read(fh->m, &copy, &d);
    pthread_mutex_lock(&fh->lock);
    if (rc < 0) return rc;
    rc = piece_add(r, d, coff, take, true);
    chunk_data_put(d);
    return rc;
}

void fh_read_release(struct fh_read_reply *r)
{
    for (size_t i = 0; i < r->npieces; i++) {
        if (r->pieces[i].ref) chunk_data_put(r->pieces[i].ref);
        free(r->pieces[i].owned);
    }
    free(r->pieces);
    memset(r, 0, sizeof(*r));
}

int fh_read(struct dfs_file *fh, uint64_t off, size_t size,
            struct fh_read_reply *r)
{
    uint64_t cs = fh->m->chunk_size, end, pos;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    /* two pieces (bytes, zeros) per chunk the range touches */
    r->pieces = calloc(2 * (size / cs + 2), sizeof(*r->pieces));
    if (!r->pieces) return -ENOMEM;
    pthread_mutex_lock(&fh->lock);
    rc = fh_load_locked(fh);
    end = rc == 0 && off + size < fh->size ? off + size : fh->size;
    if (rc < 0) end = off;
    for (pos = off; pos < end && rc == 0;) {
        uint64_t index = pos / cs;
        size_t coff = (size_t)(pos % cs);
        size_t take = (size_t)(end - pos < cs - coff ? end - pos : cs - coff);
        rc = fh_read_part(fh, index, coff, take, r);
        pos += take;
    }
    if (rc == 0 && end > off) {
        if (off == fh->next_read)
            for (uint64_t i = 1; i <= FH_PREFETCH_AHEAD; i++)
                fh_prefetch(fh, (end - 1) / cs + i);
        fh->next_read = end;
    }
    pthread_mutex_unlock(&fh->lock);
    if (rc < 0) fh_read_release(r);
    return rc;
}
