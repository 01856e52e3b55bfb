/*
 * dir_lease.c - the directory leases this mount holds (see the header).
 *
 * A small table scanned whole (at most DIR_LEASE_MAX entries, most of
 * them only while a tree is being written), under one mutex.  A second
 * lock, a rwlock, orders answering against giving up: a change answered
 * under a lease holds it shared until the change is queued, and marking a
 * lease lost takes it exclusive, so every change answered under a lease
 * is in the queue before the give-up that ends it.
 *
 * The table counts the give-ups it decides (gen): a take answered after
 * one was decided is not used, since that give-up may be of the same
 * directory and reach the master after the take, ending it there (the
 * count is the table's, not the entry's, because an entry is reused).
 * And no take is sent while a give-up of its directory is on its way
 * (releasing), for the same reason.
 */
#include "dir_lease.h"

#include <pthread.h>
#include <stdlib.h>

#include "clock.h"

struct lease_entry {
    uint64_t dir;
    int64_t until_ms;         /* usable until (0: not held) */
    int64_t renewed_ms;       /* when the last renewal (or take) was sent */
    int64_t refused_until_ms; /* not asked again before */
    bool used;                /* used since the last renewal was sent */
    bool give_up;             /* to send with the next batch */
    bool releasing;           /* a give-up is on its way */
};

struct dir_lease {
    pthread_mutex_t lock;
    pthread_rwlock_t use;
    struct dir_cache *dirs;
    struct lease_entry e[DIR_LEASE_MAX];
    size_t n;
    uint32_t gen; /* give-ups decided so far, of any lease */
};

struct dir_lease *dir_lease_new(struct dir_cache *dirs)
{
    struct dir_lease *l = calloc(1, sizeof(*l));
    pthread_rwlockattr_t attr;

    if (!l) return NULL;
    pthread_mutex_init(&l->lock, NULL);
    /* A give-up must not wait behind a stream of answers. */
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(
        &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&l->use, &attr);
    pthread_rwlockattr_destroy(&attr);
    l->dirs = dirs;
    return l;
}

void dir_lease_free(struct dir_lease *l)
{
    if (!l) return;
    pthread_rwlock_destroy(&l->use);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

static bool entry_idle(const struct lease_entry *e, int64_t now)
{
    return e->until_ms <= now && e->refused_until_ms <= now &&
           !e->give_up && !e->releasing;
}

/* Under the lock: dir's entry, or NULL. */
static struct lease_entry *find(struct dir_lease *l, uint64_t dir)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->e[i].dir == dir) return &l->e[i];
    return NULL;
}

/* Under the lock: dir's entry, made in a free slot if missing (NULL when
 * the table is full of live ones). */
static struct lease_entry *get(struct dir_lease *l, uint64_t dir, int64_t now)
{
    struct lease_entry *e = find(l, dir);

    if (e) return e;
    for (size_t i = 0; i < l->n && !e; i++)
        if (entry_idle(&l->e[i], now)) e = &l->e[i];
    if (!e && l->n < DIR_LEASE_MAX) e = &l->e[l->n++];
    if (e) *e = (struct lease_entry){.dir = dir};
    return e;
}

bool dir_lease_worth_asking(struct dir_lease *l, uint64_t dir, uint32_t *gen)
{
    int64_t now = clock_monotonic_ms();
    struct lease_entry *e;
    bool worth;

    if (!l) return false;
    pthread_mutex_lock(&l->lock);
    e = get(l, dir, now);
    worth = e && e->until_ms <= now && e->refused_until_ms <= now &&
            !e->give_up && !e->releasing;
    if (worth) *gen = l->gen;
    pthread_mutex_unlock(&l->lock);
    return worth;
}

void dir_lease_taken(struct dir_lease *l, uint64_t dir, uint32_t gen,
                     int64_t sent_ms, int rc, int64_t ms)
{
    int64_t now = clock_monotonic_ms();
    struct lease_entry *e;

    if (!l) return;
    pthread_mutex_lock(&l->lock);
    e = get(l, dir, now);
    if (e && rc < 0) {
        e->refused_until_ms = now + DIR_LEASE_RETRY_MS;
    } else if (e && l->gen == gen && !e->give_up && !e->releasing) {
        e->until_ms = sent_ms + ms - DIR_LEASE_MARGIN_MS;
        e->renewed_ms = sent_ms;
        e->used = false;
    }
    pthread_mutex_unlock(&l->lock);
}

int64_t dir_lease_until(struct dir_lease *l, uint64_t dir)
{
    struct lease_entry *e;
    int64_t until = 0;

    if (!l) return 0;
    pthread_mutex_lock(&l->lock);
    e = find(l, dir);
    if (e && e->until_ms > clock_monotonic_ms()) until = e->until_ms;
    pthread_mutex_unlock(&l->lock);
    return until;
}

bool dir_lease_use_begin(struct dir_lease *l, uint64_t dir)
{
    struct lease_entry *e;
    bool held;

    if (!l) return false;
    pthread_rwlock_rdlock(&l->use);
    pthread_mutex_lock(&l->lock);
    e = find(l, dir);
    held = e && e->until_ms > clock_monotonic_ms();
    if (held) e->used = true;
    pthread_mutex_unlock(&l->lock);
    if (!held) pthread_rwlock_unlock(&l->use);
    return held;
}

void dir_lease_use_end(struct dir_lease *l)
{
    if (l) pthread_rwlock_unlock(&l->use);
}

void dir_lease_pending(struct dir_lease *l, int64_t now_ms, uint64_t *renew,
                       size_t *nrenew, uint64_t *give_up, size_t *ngive_up,
                       size_t max)
{
    *nrenew = *ngive_up = 0;
    if (!l) return;
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->n; i++) {
        struct lease_entry *e = &l->e[i];
        if (e->give_up && *ngive_up < max) {
            give_up[(*ngive_up)++] = e->dir;
            e->give_up = false;
            e->releasing = true;
        } else if (e->until_ms > now_ms && e->used &&
                   now_ms - e->renewed_ms >= DIR_LEASE_RENEW_MS &&
                   *nrenew < max) {
            renew[(*nrenew)++] = e->dir;
            e->renewed_ms = now_ms;
            e->used = false;
        }
    }
    pthread_mutex_unlock(&l->lock);
}

/* Under the use lock held exclusive and the lock: e is given up. */
static void mark_given_up(struct dir_lease *l, struct lease_entry *e)
{
    e->until_ms = 0;
    e->give_up = true;
    l->gen++;
    dir_cache_inexact(l->dirs, e->dir);
}

void dir_lease_renewed(struct dir_lease *l, uint64_t dir, int64_t sent_ms,
                       int rc, int64_t ms)
{
    int64_t now = clock_monotonic_ms();
    struct lease_entry *e;

    if (!l) return;
    if (rc < 0) pthread_rwlock_wrlock(&l->use); /* answers in flight land */
    pthread_mutex_lock(&l->lock);
    e = find(l, dir);
    if (e && e->until_ms > now && rc == 0) {
        e->until_ms = sent_ms + ms - DIR_LEASE_MARGIN_MS;
        dir_cache_exact(l->dirs, dir, e->until_ms * 1000000, true);
    } else if (e && e->until_ms > now) {
        mark_given_up(l, e);
        e->refused_until_ms = now + DIR_LEASE_RETRY_MS;
    }
    pthread_mutex_unlock(&l->lock);
    if (rc < 0) pthread_rwlock_unlock(&l->use);
}

void dir_lease_released(struct dir_lease *l, uint64_t dir)
{
    struct lease_entry *e;

    if (!l) return;
    pthread_mutex_lock(&l->lock);
    e = find(l, dir);
    if (e) e->releasing = false;
    pthread_mutex_unlock(&l->lock);
}

/* Under the lock: whether e is held but unused since its last renewal,
 * which is at least DIR_LEASE_IDLE_MS old (all: any held one). */
static bool to_give_up(const struct lease_entry *e, int64_t now, bool all)
{
    if (e->until_ms <= now) return false;
    return all || (!e->used && now - e->renewed_ms >= DIR_LEASE_IDLE_MS);
}

/* Give up the leases to_give_up picks; whether any. */
static bool give_up_some(struct dir_lease *l, bool all)
{
    int64_t now = clock_monotonic_ms();
    bool any = false;

    if (!l) return false;
    /* cheap look first: the exclusive lock stalls answers */
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->n && !any; i++)
        any = to_give_up(&l->e[i], now, all);
    pthread_mutex_unlock(&l->lock);
    if (!any) return false;
    any = false;
    pthread_rwlock_wrlock(&l->use);
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->n; i++)
        if (to_give_up(&l->e[i], now, all)) {
            mark_given_up(l, &l->e[i]);
            any = true;
        }
    pthread_mutex_unlock(&l->lock);
    pthread_rwlock_unlock(&l->use);
    return any;
}

bool dir_lease_give_up_all(struct dir_lease *l)
{
    return give_up_some(l, true);
}

bool dir_lease_give_up_unused(struct dir_lease *l)
{
    return give_up_some(l, false);
}
