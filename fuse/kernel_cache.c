/*
 * kernel_cache.c - which files' kernel page cache an open may keep.
 *
 * See kernel_cache.h.  One record per inode in a chained hash table
 * under one mutex (calls are a few per open, none per read).  A record
 * with no claim and no handles carries nothing and is removed; when the
 * table is full, records without handles are dropped, oldest claims
 * first in bucket order, which only costs those files a re-read.
 */
#include "kernel_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "chunk_check.h"

#define KC_BUCKETS 4096

struct kc_record {
    uint64_t ino;
    struct map_digest claim; /* all zero: none */
    struct map_digest rv;    /* what every open reader reads, unless mixed */
    unsigned readers, writers, pending, lazy;
    /* Bumped by what may fill or change pages: a reader's registration,
     * a write, a truncate (compared by lazy handles). */
    uint64_t events;
    bool mixed;
    struct kc_record *next;
};

struct kernel_cache {
    pthread_mutex_t lock;
    /* A handle could not be recorded (ENOMEM): what it reads or writes is
     * unknown, so nothing is kept from then on. */
    bool broken;
    size_t max_files, nfiles;
    size_t sweep; /* next bucket to drop idle records from when full */
    struct kc_record *buckets[KC_BUCKETS];
};

static bool digest_none(const struct map_digest *d)
{
    return d->lo == 0 && d->hi == 0;
}

static bool digest_eq(const struct map_digest *a, const struct map_digest *b)
{
    return a->lo == b->lo && a->hi == b->hi;
}

/* The chunks' own checksum (chunk_check.h) over the map's fields. */
void map_digest_of(const struct dfs_chunk_map *map, struct map_digest *out)
{
    struct chunk_checker *ck = chunk_checker_new();
    unsigned char raw[CHUNK_CHECK_BYTES];

    if (!ck) { /* cannot hash: a digest no other map will have */
        static uint64_t unique;
        out->lo = __atomic_add_fetch(&unique, 1, __ATOMIC_RELAXED);
        out->hi = UINT64_MAX;
        return;
    }
    chunk_checker_update(ck, &map->size, sizeof(map->size));
    for (size_t i = 0; i < map->nchunks; i++) {
        const struct dfs_chunk *c = &map->chunks[i];
        chunk_checker_update(ck, &c->index, sizeof(c->index));
        chunk_checker_update(ck, c->id, strlen(c->id));
    }
    chunk_checker_final(ck, raw);
    chunk_checker_free(ck);
    memcpy(&out->lo, raw, sizeof(out->lo));
    memcpy(&out->hi, raw + sizeof(out->lo), sizeof(out->hi));
    if (digest_none(out)) out->lo = 1;
}

struct kernel_cache *kernel_cache_new(size_t max_files)
{
    struct kernel_cache *kc = calloc(1, sizeof(*kc));
    if (!kc) return NULL;
    pthread_mutex_init(&kc->lock, NULL);
    kc->max_files = max_files < 16 ? 16 : max_files;
    return kc;
}

void kernel_cache_free(struct kernel_cache *kc)
{
    if (!kc) return;
    for (size_t b = 0; b < KC_BUCKETS; b++) {
        struct kc_record *r = kc->buckets[b], *next;
        for (; r; r = next) {
            next = r->next;
            free(r);
        }
    }
    pthread_mutex_destroy(&kc->lock);
    free(kc);
}

static size_t bucket_of(uint64_t ino)
{
    return (size_t)((ino * 0x9E3779B97F4A7C15ull) >> 52) % KC_BUCKETS;
}

static bool record_idle(const struct kc_record *r)
{
    return r->readers == 0 && r->writers == 0 && r->pending == 0 &&
           r->lazy == 0;
}

/* Drop idle records, a bucket at a time, until there is room. */
static void make_room(struct kernel_cache *kc)
{
    for (size_t n = 0; n < KC_BUCKETS && kc->nfiles >= kc->max_files; n++) {
        struct kc_record **p = &kc->buckets[kc->sweep];
        kc->sweep = (kc->sweep + 1) % KC_BUCKETS;
        while (*p) {
            struct kc_record *r = *p;
            if (record_idle(r)) {
                *p = r->next;
                free(r);
                kc->nfiles--;
            } else {
                p = &r->next;
            }
        }
    }
}

/* The record of ino, created when `create`.  Records with handles may
 * outnumber max_files: each must be known.  NULL if absent, or on ENOMEM
 * (which breaks the table). */
static struct kc_record *record_get(struct kernel_cache *kc, uint64_t ino,
                                    bool create)
{
    size_t b = bucket_of(ino);
    struct kc_record *r;

    for (r = kc->buckets[b]; r; r = r->next)
        if (r->ino == ino) return r;
    if (!create) return NULL;
    if (kc->nfiles >= kc->max_files) make_room(kc);
    if (!(r = calloc(1, sizeof(*r)))) {
        kc->broken = true;
        return NULL;
    }
    r->ino = ino;
    r->next = kc->buckets[b];
    kc->buckets[b] = r;
    kc->nfiles++;
    return r;
}

/* Remove r when it holds nothing any more. */
static void record_settle(struct kernel_cache *kc, struct kc_record *r)
{
    struct kc_record **p = &kc->buckets[bucket_of(r->ino)];

    if (r->readers == 0) r->mixed = false;
    if (!record_idle(r) || !digest_none(&r->claim)) return;
    while (*p != r)
        p = &(*p)->next;
    *p = r->next;
    free(r);
    kc->nfiles--;
}

bool kernel_cache_has_claim(struct kernel_cache *kc, uint64_t ino)
{
    struct kc_record *r;
    bool has;

    if (!kc) return false;
    pthread_mutex_lock(&kc->lock);
    r = record_get(kc, ino, false);
    has = r && !digest_none(&r->claim);
    pthread_mutex_unlock(&kc->lock);
    return has;
}

/* u reads the map with digest d from now on. */
static void add_reader(struct kc_record *r, const struct map_digest *d,
                       struct kernel_cache_use *u)
{
    if (r->readers == 0)
        r->rv = *d;
    else if (!digest_eq(&r->rv, d))
        r->mixed = true;
    r->readers++;
    r->events++;
    u->reads = true;
}

bool kernel_cache_open_reader(struct kernel_cache *kc, uint64_t ino,
                              const struct map_digest *d,
                              struct kernel_cache_use *u)
{
    struct kc_record *r;
    bool keep = false;

    memset(u, 0, sizeof(*u));
    if (!kc) return false;
    pthread_mutex_lock(&kc->lock);
    r = kc->broken ? NULL : record_get(kc, ino, true);
    if (!r) {
        pthread_mutex_unlock(&kc->lock);
        return false;
    }
    if (d) {
        add_reader(r, d, u);
        /* A claim implies that every reader already open reads it too,
         * and that no handle has written. */
        keep = digest_eq(&r->claim, d) && r->pending == 0;
    } else {
        r->lazy++;
        u->lazy = true;
        u->events = r->events;
    }
    if (!keep) {
        r->pending++;
        u->open_pending = true;
        if (d)
            r->claim =
                !r->mixed && r->writers == 0 ? *d : (struct map_digest){0};
    }
    pthread_mutex_unlock(&kc->lock);
    return keep;
}

void kernel_cache_loaded(struct kernel_cache *kc, uint64_t ino,
                         const struct map_digest *d, struct kernel_cache_use *u)
{
    struct kc_record *r;
    bool alone;

    if (!kc || !u->lazy) return;
    pthread_mutex_lock(&kc->lock);
    if ((r = record_get(kc, ino, false))) {
        /* Nothing registered, wrote or truncated since the open dropped
         * the pages, and nobody else reads: what is cached is ours. */
        alone = r->events == u->events && r->readers == 0 && r->writers == 0;
        r->lazy--;
        u->lazy = false;
        add_reader(r, d, u);
        if (!digest_eq(&r->claim, d))
            r->claim = alone ? *d : (struct map_digest){0};
    }
    pthread_mutex_unlock(&kc->lock);
}

void kernel_cache_open_done(struct kernel_cache *kc, uint64_t ino,
                            struct kernel_cache_use *u)
{
    struct kc_record *r;

    if (!kc || !__atomic_load_n(&u->open_pending, __ATOMIC_ACQUIRE)) return;
    pthread_mutex_lock(&kc->lock);
    if (u->open_pending && (r = record_get(kc, ino, false))) {
        r->pending--;
        record_settle(kc, r);
    }
    __atomic_store_n(&u->open_pending, false, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&kc->lock);
}

void kernel_cache_wrote(struct kernel_cache *kc, uint64_t ino,
                        struct kernel_cache_use *u)
{
    struct kc_record *r;

    if (!kc) return;
    pthread_mutex_lock(&kc->lock);
    r = record_get(kc, ino, !u->wrote);
    if (r) {
        r->claim = (struct map_digest){0};
        r->events++;
        if (!u->wrote) r->writers++;
    }
    u->wrote = r != NULL; /* else the table is broken: nothing is kept */
    pthread_mutex_unlock(&kc->lock);
}

void kernel_cache_changed(struct kernel_cache *kc, uint64_t ino)
{
    struct kc_record *r;

    if (!kc) return;
    pthread_mutex_lock(&kc->lock);
    if ((r = record_get(kc, ino, false))) {
        r->claim = (struct map_digest){0};
        r->events++;
        /* Open readers read the changed file now (truncate reloads their
         * maps), which may not be what they were registered with, even if
         * a later open finds that map again. */
        if (r->readers > 0) r->mixed = true;
        record_settle(kc, r);
    }
    pthread_mutex_unlock(&kc->lock);
}

void kernel_cache_closed(struct kernel_cache *kc, uint64_t ino,
                         struct kernel_cache_use *u)
{
    struct kc_record *r;

    if (!kc || (!u->reads && !u->lazy && !u->wrote && !u->open_pending)) return;
    pthread_mutex_lock(&kc->lock);
    if ((r = record_get(kc, ino, false))) {
        if (u->reads) r->readers--;
        if (u->lazy) r->lazy--;
        if (u->wrote) r->writers--;
        if (u->open_pending) r->pending--;
        record_settle(kc, r);
    }
    memset(u, 0, sizeof(*u));
    pthread_mutex_unlock(&kc->lock);
}
