/*
 * attr_cache.c - the attributes mount.dfs last saw, by inode.
 *
 * A chained hash table under one mutex; every operation is O(1) except
 * clear.  Rather than evict one by one, the table is emptied when it
 * reaches its bound: entries are cheap to get back and live a second.
 * Every function accepts NULL (no cache), for tests that build a mount.
 */
#include "attr_cache.h"

#include <pthread.h>
#include <stdlib.h>

#include "clock.h"

#define ATTR_BUCKETS 4096
#define ATTR_MAX_ENTRIES 65536

struct attr_entry {
    struct dfs_attr a;
    long long expires_ms;
    struct attr_entry *next;
};

struct attr_cache {
    pthread_mutex_t lock;
    long long ttl_ms;
    uint64_t version; /* bumped by every change */
    size_t n;
    struct attr_entry *buckets[ATTR_BUCKETS];
};

struct attr_cache *attr_cache_new(double ttl_s)
{
    struct attr_cache *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->ttl_ms = ttl_s > 0 ? (long long)(ttl_s * 1000) : 0;
    return c;
}

static void clear_locked(struct attr_cache *c)
{
    for (size_t i = 0; i < ATTR_BUCKETS; i++) {
        struct attr_entry *e = c->buckets[i], *n;
        for (; e; e = n) {
            n = e->next;
            free(e);
        }
        c->buckets[i] = NULL;
    }
    c->n = 0;
}

void attr_cache_free(struct attr_cache *c)
{
    if (!c) return;
    clear_locked(c);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static struct attr_entry **slot(struct attr_cache *c, uint64_t ino)
{
    struct attr_entry **p = &c->buckets[(ino * 0x9e3779b97f4a7c15ull) >> 52];
    while (*p && (*p)->a.ino != ino)
        p = &(*p)->next;
    return p;
}

bool attr_cache_get(struct attr_cache *c, uint64_t ino, struct dfs_attr *out)
{
    bool hit = false;
    if (!c || c->ttl_ms == 0) return false;
    pthread_mutex_lock(&c->lock);
    struct attr_entry *e = *slot(c, ino);
    if (e && e->expires_ms > clock_monotonic_ms()) {
        *out = e->a;
        hit = true;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

uint64_t attr_cache_version(struct attr_cache *c)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->lock);
    uint64_t v = c->version;
    pthread_mutex_unlock(&c->lock);
    return v;
}

static void store_locked(struct attr_cache *c, const struct dfs_attr *a)
{
    struct attr_entry **p = slot(c, a->ino);
    if (!*p) {
        if (c->n >= ATTR_MAX_ENTRIES) {
            clear_locked(c);
            p = slot(c, a->ino);
        }
        *p = calloc(1, sizeof(**p));
        if (!*p) return;
        c->n++;
    }
    (*p)->a = *a;
    (*p)->expires_ms = clock_monotonic_ms() + c->ttl_ms;
}

void attr_cache_put_read(struct attr_cache *c, const struct dfs_attr *a,
                         uint64_t version)
{
    if (!c || c->ttl_ms == 0) return;
    pthread_mutex_lock(&c->lock);
    if (c->version == version) store_locked(c, a);
    pthread_mutex_unlock(&c->lock);
}

void attr_cache_put(struct attr_cache *c, const struct dfs_attr *a)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->version++;
    if (c->ttl_ms != 0) store_locked(c, a);
    pthread_mutex_unlock(&c->lock);
}

void attr_cache_dir_added(struct attr_cache *c, uint64_t dir, int64_t when_ns,
                          int nlink_delta)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->version++;
    struct attr_entry *e = *slot(c, dir);
    if (e) {
        e->a.mtime_ns = e->a.ctime_ns = when_ns;
        e->a.nlink = (uint32_t)((int64_t)e->a.nlink + nlink_delta);
    }
    pthread_mutex_unlock(&c->lock);
}

void attr_cache_drop(struct attr_cache *c, uint64_t ino)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->version++;
    struct attr_entry **p = slot(c, ino), *e = *p;
    if (e) {
        *p = e->next;
        free(e);
        c->n--;
    }
    pthread_mutex_unlock(&c->lock);
}

void attr_cache_clear(struct attr_cache *c)
{
    if (!c) return;
    pthread_mutex_lock(&c->lock);
    c->version++;
    clear_locked(c);
    pthread_mutex_unlock(&c->lock);
}
