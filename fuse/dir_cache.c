/*
 * dir_cache.c - the names of directories this mount knows completely.
 *
 * Directories are found by inode in a small chained hash and kept on an
 * LRU list; each complete one holds its names in its own chained hash set
 * that doubles as it grows.  One mutex guards everything; the master is
 * never called with it held (listings are built outside, in a
 * dir_cache_listing, and swapped in).
 *
 * Every local change stamps its directory with a new sequence number, and
 * every entry remembers the number it was born with, so a listing can be
 * installed only when neither moved since it began: not the directory
 * changing under it, nor the entry being dropped and made again.
 */
#include "dir_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meta_wire.h"

#define DC_HASH 512   /* buckets of the directory table */
#define DC_SET_MIN 16 /* buckets of a new name set */

struct dc_name {
    struct dc_name *next;
    uint64_t ino; /* 0: not known (a rename's new name) */
    uint32_t hash;
    char s[];
};

struct dc_set {
    struct dc_name **b;
    size_t nb, n;
};

struct dc_dir {
    uint64_t ino;
    uint64_t born;       /* seq when the entry was made */
    uint64_t changed;    /* seq of the last local change */
    int64_t fresh_until; /* ns; absences are answered until then */
    int64_t exact_until; /* ns; the set is exact (a lease) until then */
    bool complete;       /* names is the whole directory */
    bool refreshing;     /* a listing is under way */
    bool too_big;        /* not worth listing */
    uint32_t asks;       /* lookups asked of the master since last listed */
    uint32_t listed;     /* names its last listing found */
    struct dc_set names;
    struct dc_dir *hnext;
    struct dc_dir *older, *newer;
};

struct dir_cache {
    pthread_mutex_t lock;
    int64_t ttl_ns;
    int64_t (*now)(void);
    uint64_t seq;
    size_t ndirs, nnames; /* nnames: in complete sets */
    struct dc_dir *hash[DC_HASH];
    struct dc_dir *newest, *oldest;
};

struct dir_cache_listing {
    uint64_t dir, seq;
    int64_t start;
    struct dc_set names;
};

static int64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- name sets ------------------------------------------------------------ */

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static struct dc_name **set_slot(const struct dc_set *s, const char *name,
                                 uint32_t h)
{
    struct dc_name **p = &s->b[h & (s->nb - 1)];
    while (*p && ((*p)->hash != h || strcmp((*p)->s, name) != 0))
        p = &(*p)->next;
    return p;
}

/* The entry of name, or NULL. */
static struct dc_name *set_get(const struct dc_set *s, const char *name)
{
    return s->nb > 0 ? *set_slot(s, name, name_hash(name)) : NULL;
}


static int set_grow(struct dc_set *s)
{
    size_t nb = s->nb ? s->nb * 2 : DC_SET_MIN;
    struct dc_name **b = calloc(nb, sizeof(*b));

    if (!b) return -ENOMEM;
    for (size_t i = 0; i < s->nb; i++) {
        struct dc_name *e = s->b[i], *next;
        for (; e; e = next) {
            next = e->next;
            e->next = b[e->hash & (nb - 1)];
            b[e->hash & (nb - 1)] = e;
        }
    }
    free(s->b);
    s->b = b;
    s->nb = nb;
    return 0;
}

/* 1 added, 0 already there (now naming ino), -ENOMEM. */
static int set_add(struct dc_set *s, const char *name, uint64_t ino)
{
    uint32_t h = name_hash(name);
    size_t len = strlen(name);
    struct dc_name *e;

    if (s->nb > 0 && (e = *set_slot(s, name, h)) != NULL) {
        e->ino = ino;
        return 0;
    }
    if (s->n >= s->nb && set_grow(s) < 0) return -ENOMEM;
    e = malloc(sizeof(*e) + len + 1);
    if (!e) return -ENOMEM;
    e->hash = h;
    e->ino = ino;
    memcpy(e->s, name, len + 1);
    e->next = s->b[h & (s->nb - 1)];
    s->b[h & (s->nb - 1)] = e;
    s->n++;
    return 1;
}

static bool set_del(struct dc_set *s, const char *name)
{
    struct dc_name **p, *e;

    if (s->nb == 0) return false;
    p = set_slot(s, name, name_hash(name));
    if (!*p) return false;
    e = *p;
    *p = e->next;
    free(e);
    s->n--;
    return true;
}

static void set_free(struct dc_set *s)
{
    for (size_t i = 0; i < s->nb; i++) {
        struct dc_name *e = s->b[i], *next;
        for (; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    free(s->b);
    memset(s, 0, sizeof(*s));
}

/* --- the directory table -------------------------------------------------- */

static struct dc_dir **dir_slot(struct dir_cache *c, uint64_t ino)
{
    struct dc_dir **p = &c->hash[(ino * 0x9e3779b97f4a7c15ull) >> 55];
    while (*p && (*p)->ino != ino)
        p = &(*p)->hnext;
    return p;
}

static void lru_unlink(struct dir_cache *c, struct dc_dir *d)
{
    if (d->newer)
        d->newer->older = d->older;
    else
        c->newest = d->older;
    if (d->older)
        d->older->newer = d->newer;
    else
        c->oldest = d->newer;
    d->older = d->newer = NULL;
}

static void lru_push(struct dir_cache *c, struct dc_dir *d)
{
    d->older = c->newest;
    d->newer = NULL;
    if (c->newest) c->newest->newer = d;
    c->newest = d;
    if (!c->oldest) c->oldest = d;
}

static void touch(struct dir_cache *c, struct dc_dir *d)
{
    if (c->newest == d) return;
    lru_unlink(c, d);
    lru_push(c, d);
}

static void drop_names(struct dir_cache *c, struct dc_dir *d)
{
    c->nnames -= d->names.n;
    set_free(&d->names);
    d->complete = false;
    d->exact_until = 0;
}

static void remove_dir(struct dir_cache *c, struct dc_dir *d)
{
    struct dc_dir **p = dir_slot(c, d->ino);
    *p = d->hnext;
    lru_unlink(c, d);
    drop_names(c, d);
    c->ndirs--;
    free(d);
}

/* Drop the least recently used directories (never keep) while over the
 * bound on names. */
static void enforce_names(struct dir_cache *c, const struct dc_dir *keep)
{
    while (c->nnames > DIR_CACHE_NAMES && c->oldest && c->oldest != keep)
        remove_dir(c, c->oldest);
}

static struct dc_dir *find(struct dir_cache *c, uint64_t ino)
{
    return *dir_slot(c, ino);
}

/* The entry of ino, made (incomplete) if missing; NULL on ENOMEM. */
static struct dc_dir *get(struct dir_cache *c, uint64_t ino)
{
    struct dc_dir *d = find(c, ino);

    if (d) {
        touch(c, d);
        return d;
    }
    if (c->ndirs >= DIR_CACHE_DIRS) remove_dir(c, c->oldest);
    d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->ino = ino;
    d->born = d->changed = ++c->seq;
    struct dc_dir **p = dir_slot(c, ino);
    *p = d;
    lru_push(c, d);
    c->ndirs++;
    return d;
}

/* --- the interface -------------------------------------------------------- */

struct dir_cache *dir_cache_new(double ttl_s)
{
    struct dir_cache *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->ttl_ns = ttl_s > 0 ? (int64_t)(ttl_s * 1e9) : 0;
    c->now = clock_ns;
    return c;
}

void dir_cache_free(struct dir_cache *c)
{
    if (!c) return;
    while (c->oldest)
        remove_dir(c, c->oldest);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void dir_cache_set_clock(struct dir_cache *c, int64_t (*now_ns)(void))
{
    if (c) c->now = now_ns ? now_ns : clock_ns;
}

/* Until when d's answers hold: its listing's freshness, or a lease's. */
static int64_t fresh_until(const struct dc_dir *d)
{
    return d->exact_until > d->fresh_until ? d->exact_until : d->fresh_until;
}

/* Start a listing of d (under the lock); NULL when none is worth it. */
static struct dir_cache_listing *listing_begin(struct dir_cache *c,
                                               struct dc_dir *d, int64_t now)
{
    struct dir_cache_listing *l;

    if (d->refreshing || d->too_big) return NULL;
    if (d->complete && d->names.n > DIR_CACHE_REFRESH_MAX) {
        /* Grew by our own creates: too large to list every second. */
        d->too_big = true;
        drop_names(c, d);
        return NULL;
    }
    l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->dir = d->ino;
    l->seq = c->seq;
    l->start = now;
    d->refreshing = true;
    return l;
}

/* Worth listing d again?  A listing of n names costs about what n/128
 * lookups do (one round trip, then each entry's decoding), so a
 * directory once listed large is listed again only after that many
 * lookups went to the master: a big directory with a lookup now and
 * then is not listed whole every entry_timeout. */
static bool worth_listing(struct dc_dir *d)
{
    return ++d->asks >= 1 + d->listed / DIR_CACHE_LIST_COST;
}

enum dir_cache_answer dir_cache_lookup(struct dir_cache *c, uint64_t dir,
                                       const char *name, double *ttl_s,
                                       uint64_t *ino,
                                       struct dir_cache_listing **listing)
{
    enum dir_cache_answer ans = DIR_CACHE_ASK;
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0 || strlen(name) > DFS_NAME_MAX) return ans;
    pthread_mutex_lock(&c->lock);
    d = find(c, dir);
    if (d) {
        int64_t now = c->now();
        touch(c, d);
        int64_t until = fresh_until(d);
        if (d->complete && now < until) {
            struct dc_name *e = set_get(&d->names, name);
            if (!e || (ino && e->ino)) {
                ans = e ? DIR_CACHE_PRESENT : DIR_CACHE_ABSENT;
                if (e) *ino = e->ino;
                *ttl_s = (double)(until - now) / 1e9;
            }
        } else if (listing && worth_listing(d)) {
            *listing = listing_begin(c, d, now);
            if (*listing) ans = DIR_CACHE_REFRESH;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return ans;
}

int dir_cache_listing_add(struct dir_cache_listing *l, const char *name,
                          uint64_t ino)
{
    if (l->names.n >= DIR_CACHE_REFRESH_MAX) return -E2BIG;
    return set_add(&l->names, name, ino) < 0 ? -ENOMEM : 0;
}

bool dir_cache_listing_end(struct dir_cache *c, struct dir_cache_listing *l,
                           int rc)
{
    struct dc_dir *d;
    bool installed = false;

    pthread_mutex_lock(&c->lock);
    d = find(c, l->dir);
    /* born after the listing began: dropped and made again meanwhile,
     * and the refresh under way (if any) is someone else's. */
    if (d && d->refreshing && d->born <= l->seq) {
        d->refreshing = false;
        if (rc == 0 && d->changed <= l->seq) {
            drop_names(c, d);
            d->names = l->names;
            memset(&l->names, 0, sizeof(l->names));
            c->nnames += d->names.n;
            d->complete = true;
            d->fresh_until = l->start + c->ttl_ns;
            d->asks = 0;
            d->listed = (uint32_t)d->names.n;
            enforce_names(c, d);
            installed = true;
        } else if (rc == -E2BIG) {
            d->too_big = true;
            drop_names(c, d);
        }
    }
    pthread_mutex_unlock(&c->lock);
    set_free(&l->names);
    free(l);
    return installed;
}

struct dir_cache_listing *dir_cache_listing_begin(struct dir_cache *c,
                                                  uint64_t dir)
{
    struct dir_cache_listing *l = NULL;
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0) return NULL;
    pthread_mutex_lock(&c->lock);
    d = get(c, dir);
    if (d) l = listing_begin(c, d, c->now());
    pthread_mutex_unlock(&c->lock);
    return l;
}

/* --- exact sets (leases) -------------------------------------------------- */

void dir_cache_exact(struct dir_cache *c, uint64_t dir, int64_t until_ns,
                     bool renew)
{
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0) return;
    pthread_mutex_lock(&c->lock);
    d = find(c, dir);
    if (d && d->complete && (!renew || d->exact_until > c->now()))
        d->exact_until = until_ns;
    pthread_mutex_unlock(&c->lock);
}

void dir_cache_inexact(struct dir_cache *c, uint64_t dir)
{
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0) return;
    pthread_mutex_lock(&c->lock);
    d = find(c, dir);
    if (d && d->exact_until > 0) {
        int64_t end = c->now() + c->ttl_ns;
        /* others may change it from now on: answers age as a listing's */
        d->exact_until = 0;
        if (d->fresh_until < end) d->fresh_until = end;
    }
    pthread_mutex_unlock(&c->lock);
}

enum dir_cache_answer dir_cache_exact_lookup(struct dir_cache *c, uint64_t dir,
                                             const char *name, uint64_t *ino)
{
    enum dir_cache_answer ans = DIR_CACHE_ASK;
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0 || strlen(name) > DFS_NAME_MAX) return ans;
    pthread_mutex_lock(&c->lock);
    d = find(c, dir);
    if (d && d->complete && c->now() < d->exact_until) {
        struct dc_name *e = set_get(&d->names, name);
        ans = e ? DIR_CACHE_PRESENT : DIR_CACHE_ABSENT;
        if (ino) *ino = e ? e->ino : 0;
    }
    pthread_mutex_unlock(&c->lock);
    return ans;
}

void dir_cache_saw(struct dir_cache *c, uint64_t dir, const char *name,
                   bool exists, uint64_t ino)
{
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0) return;
    pthread_mutex_lock(&c->lock);
    d = find(c, dir);
    if (d && d->complete) {
        struct dc_name *e = set_get(&d->names, name);
        if (!e != !exists || (e && ino && e->ino && e->ino != ino))
            remove_dir(c, d);
        else if (e && ino)
            e->ino = ino;
    } else if (!d && exists && ino) {
        /* the first name found here: list it at the next lookup */
        get(c, dir);
    }
    pthread_mutex_unlock(&c->lock);
}

int64_t dir_cache_stamp(struct dir_cache *c)
{
    return c ? c->now() : 0;
}

void dir_cache_made(struct dir_cache *c, uint64_t dir, int64_t stamp)
{
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0) return;
    pthread_mutex_lock(&c->lock);
    d = get(c, dir);
    if (d) {
        drop_names(c, d);
        d->changed = ++c->seq; /* a listing under way must not install */
        d->complete = true;
        d->too_big = false;
        d->fresh_until = stamp + c->ttl_ns;
    }
    pthread_mutex_unlock(&c->lock);
}

/* The entry of dir, stamped with a new local change (under the lock):
 * a listing that began before must not be installed. */
static struct dc_dir *change(struct dir_cache *c, uint64_t dir)
{
    struct dc_dir *d = get(c, dir);
    if (d) d->changed = ++c->seq;
    return d;
}

void dir_cache_added(struct dir_cache *c, uint64_t dir, const char *name,
                     uint64_t ino)
{
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0) return;
    pthread_mutex_lock(&c->lock);
    d = change(c, dir);
    if (d && d->complete) {
        int rc = set_add(&d->names, name, ino);
        if (rc > 0) c->nnames++;
        if (rc < 0) {
            remove_dir(c, d);
        } else if (d->names.n > DIR_CACHE_DIR_MAX) {
            d->too_big = true;
            drop_names(c, d);
        } else {
            enforce_names(c, d);
        }
    }
    pthread_mutex_unlock(&c->lock);
}

void dir_cache_removed(struct dir_cache *c, uint64_t dir, const char *name)
{
    struct dc_dir *d;

    if (!c || c->ttl_ns == 0) return;
    pthread_mutex_lock(&c->lock);
    d = change(c, dir);
    if (d && d->complete && set_del(&d->names, name)) c->nnames--;
    pthread_mutex_unlock(&c->lock);
}

/* Refusals the master gives before changing anything. */
static const int definite_errors[] = {
    ENOENT, EEXIST, ENOTEMPTY,    ENOTDIR, EISDIR,     EACCES,
    EPERM,  EINVAL, ENAMETOOLONG, EXDEV,   ENOSPC,     EDQUOT,
    EMLINK, ELOOP,  EROFS,        EBUSY,   EOPNOTSUPP,
};

static bool definite(int rc)
{
    for (size_t i = 0; i < sizeof(definite_errors) / sizeof(int); i++)
        if (-rc == definite_errors[i]) return true;
    return false;
}

void dir_cache_failed(struct dir_cache *c, uint64_t dir, int rc)
{
    if (!definite(rc)) dir_cache_forget(c, dir);
}

void dir_cache_forget(struct dir_cache *c, uint64_t dir)
{
    struct dc_dir *d;

    if (!c) return;
    pthread_mutex_lock(&c->lock);
    d = find(c, dir);
    if (d) remove_dir(c, d);
    pthread_mutex_unlock(&c->lock);
}

long dir_cache_count(struct dir_cache *c, uint64_t dir)
{
    struct dc_dir *d;
    long n = -1;

    if (!c) return n;
    pthread_mutex_lock(&c->lock);
    d = find(c, dir);
    if (d && d->complete) n = (long)d->names.n;
    pthread_mutex_unlock(&c->lock);
    return n;
}
