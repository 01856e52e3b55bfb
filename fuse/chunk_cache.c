/*
 * chunk_cache.c - the mount's bounded LRU cache of whole chunks.
 *
 * A chained hash table finds entries by id; a doubly linked list keeps
 * them in use order (head = most recent).  One mutex guards both: every
 * operation under it is O(1) apart from eviction, and the expensive part
 * (the network fetch) happens outside it.  Entries being loaded sit in the
 * table with data == NULL so that other callers wait on `loaded` instead
 * of fetching the same chunk again.
 */
#include "chunk_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CACHE_BUCKETS 4096
/* Bookkeeping charged per entry so many tiny chunks also hit the bound. */
#define CACHE_ENTRY_OVERHEAD 256

struct cache_entry {
    char id[CHUNK_ID_STRLEN];
    struct chunk_data *data; /* NULL while loading */
    struct cache_entry *hnext;
    struct cache_entry *prev, *next; /* LRU; only for loaded entries */
};

struct chunk_cache {
    pthread_mutex_t lock;
    pthread_cond_t loaded;
    size_t max_bytes, bytes;
    struct cache_entry *head, *tail;
    struct cache_entry *buckets[CACHE_BUCKETS];
};

/* Freed chunk-size buffers kept for reuse: a fresh 4 MiB allocation is
 * an mmap whose pages fault in one by one (and a munmap when freed),
 * which showed up as a tenth of mount.dfs's time in a sequential write. */
#define POOL_MAX 8

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk_data *pool[POOL_MAX];
static size_t npool;

static void large_free(struct chunk_data *d)
{
    free(d->data);
    free(d);
}

static struct chunk_data *pool_take(size_t cap)
{
    struct chunk_data *d = NULL;
    if (cap < CHUNK_DATA_LARGE) return NULL;
    pthread_mutex_lock(&pool_lock);
    for (size_t i = npool; i-- > 0;) {
        if (pool[i]->cap == cap) {
            d = pool[i];
            pool[i] = pool[--npool];
            break;
        }
    }
    pthread_mutex_unlock(&pool_lock);
    return d;
}

/* true if the pool kept d. */
static bool pool_give(struct chunk_data *d)
{
    bool kept = false;
    pthread_mutex_lock(&pool_lock);
    if (npool < POOL_MAX) {
        pool[npool++] = d;
        kept = true;
    }
    pthread_mutex_unlock(&pool_lock);
    return kept;
}

static void pool_drain(void)
{
    pthread_mutex_lock(&pool_lock);
    while (npool > 0)
        large_free(pool[--npool]);
    pthread_mutex_unlock(&pool_lock);
}

/* A chunk-size buffer: aligned for O_DIRECT (chunk_file.h), and in huge
 * pages where the kernel has them, so a direct read of a 4 MiB chunk is
 * two large disk requests instead of a thousand 4 KiB segments split
 * into many, and copies out of it miss the TLB less. */
static struct chunk_data *large_alloc(size_t cap)
{
    struct chunk_data *d = malloc(sizeof(*d));
    void *p;

    if (!d) return NULL;
    if (posix_memalign(&p, CHUNK_DATA_ALIGN, cap) != 0) {
        free(d);
        return NULL;
    }
    (void)madvise(p, cap, MADV_HUGEPAGE); /* a hint: fine if refused */
    d->data = p;
    d->large = true;
    return d;
}

struct chunk_data *chunk_data_new_uninit(size_t cap)
{
    struct chunk_data *d = pool_take(cap);
    if (!d && cap >= CHUNK_DATA_LARGE) {
        d = large_alloc(cap);
    } else if (!d) {
        d = malloc(sizeof(*d) + cap);
        if (d) {
            d->data = d->bytes;
            d->large = false;
        }
    }
    if (!d) return NULL;
    d->refs = 1;
    d->len = 0;
    d->cap = cap;
    d->adopted = NULL;
    return d;
}

struct chunk_data *chunk_data_adopt(void *buf, size_t len)
{
    struct chunk_data *d = malloc(sizeof(*d));
    if (!d) return NULL;
    d->refs = 1;
    d->len = d->cap = len;
    d->data = buf;
    d->adopted = buf;
    d->large = false;
    return d;
}

struct chunk_data *chunk_data_new(size_t cap)
{
    struct chunk_data *d = chunk_data_new_uninit(cap);
    if (d) memset(d->data, 0, cap);
    return d;
}

struct chunk_data *chunk_data_get(struct chunk_data *d)
{
    __atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
    return d;
}

void chunk_data_put(struct chunk_data *d)
{
    if (!d || __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    if (d->adopted) {
        free(d->adopted);
        free(d);
    } else if (d->large) {
        if (!pool_give(d)) large_free(d);
    } else {
        free(d);
    }
}

struct chunk_cache *chunk_cache_new(size_t max_bytes)
{
    struct chunk_cache *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->loaded, NULL);
    c->max_bytes = max_bytes;
    return c;
}

void chunk_cache_free(struct chunk_cache *c)
{
    if (!c) return;
    for (size_t i = 0; i < CACHE_BUCKETS; i++) {
        struct cache_entry *e = c->buckets[i], *n;
        for (; e; e = n) {
            n = e->hnext;
            chunk_data_put(e->data);
            free(e);
        }
    }
    pool_drain();
    pthread_cond_destroy(&c->loaded);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Ids are uniformly distributed hex, so their first 8 digits hash well. */
static size_t cache_bucket(const char *id)
{
    return strtoul((char[9]){id[0], id[1], id[2], id[3], id[4], id[5], id[6],
                             id[7], 0},
                   NULL, 16) %
           CACHE_BUCKETS;
}

static struct cache_entry **cache_slot(struct chunk_cache *c, const char *id)
{
    struct cache_entry **p = &c->buckets[cache_bucket(id)];
    while (*p && strcmp((*p)->id, id) != 0)
        p = &(*p)->hnext;
    return p;
}

static size_t entry_cost(const struct cache_entry *e)
{
    return e->data->cap + CACHE_ENTRY_OVERHEAD;
}

static void lru_unlink(struct chunk_cache *c, struct cache_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(struct chunk_cache *c, struct cache_entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head) c->head->prev = e;
    c->head = e;
    if (!c->tail) c->tail = e;
}

static void cache_remove(struct chunk_cache *c, struct cache_entry *e)
{
    struct cache_entry **p = cache_slot(c, e->id);
    *p = e->hnext;
    if (e->data) {
        lru_unlink(c, e);
        c->bytes -= entry_cost(e);
        chunk_data_put(e->data);
    }
    free(e);
}

static void cache_evict(struct chunk_cache *c)
{
    while (c->bytes > c->max_bytes && c->tail)
        cache_remove(c, c->tail);
}

/* Turn a loading (or new) entry into a loaded one; lock held. */
static void cache_fill(struct chunk_cache *c, struct cache_entry *e,
                       struct chunk_data *d)
{
    e->data = chunk_data_get(d);
    c->bytes += entry_cost(e);
    lru_push(c, e);
    cache_evict(c);
}

int chunk_cache_get(struct chunk_cache *c, const char *id,
                    chunk_cache_loader load, void *arg, struct chunk_data **out)
{
    struct cache_entry *e;
    int rc;

    pthread_mutex_lock(&c->lock);
    for (;;) {
        e = *cache_slot(c, id);
        if (!e) break;
        if (e->data) {
            lru_unlink(c, e);
            lru_push(c, e);
            *out = chunk_data_get(e->data);
            pthread_mutex_unlock(&c->lock);
            return 0;
        }
        pthread_cond_wait(&c->loaded, &c->lock);
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        pthread_mutex_unlock(&c->lock);
        return -ENOMEM;
    }
    memcpy(e->id, id, CHUNK_ID_STRLEN);
    e->hnext = NULL;
    *cache_slot(c, id) = e;
    pthread_mutex_unlock(&c->lock);

    rc = load(arg, id, out);

    pthread_mutex_lock(&c->lock);
    if (rc == 0)
        cache_fill(c, e, *out);
    else
        cache_remove(c, e);
    pthread_cond_broadcast(&c->loaded);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

bool chunk_cache_has(struct chunk_cache *c, const char *id)
{
    pthread_mutex_lock(&c->lock);
    bool has = *cache_slot(c, id) != NULL;
    pthread_mutex_unlock(&c->lock);
    return has;
}

void chunk_cache_put(struct chunk_cache *c, const char *id,
                     struct chunk_data *d)
{
    pthread_mutex_lock(&c->lock);
    struct cache_entry **p = cache_slot(c, id);
    if (!*p) {
        struct cache_entry *e = calloc(1, sizeof(*e));
        if (e) {
            memcpy(e->id, id, CHUNK_ID_STRLEN);
            *p = e;
            cache_fill(c, e, d);
        }
    }
    pthread_mutex_unlock(&c->lock);
}
