/*
 * leases.c - directory leases (see the header for the promise).
 *
 * A chained hash by directory inode, under one mutex.  A lease past its
 * end is as good as absent; it is unlinked when its bucket is next
 * walked, or by a full sweep when the table looks full.
 */
#include "leases.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LEASES_BUCKETS 4096

struct lease {
    struct lease *next;
    uint64_t dir;
    int64_t until_ms;
    bool wanted; /* another client waits: no more renewals */
    char client[LEASES_CLIENT_MAX + 1];
};

struct leases {
    pthread_mutex_t lock;
    int64_t term_ms;
    int64_t grace_until_ms; /* restart: only reclaims until then */
    size_t n;
    struct lease *b[LEASES_BUCKETS];
};

struct leases *leases_new(int64_t term_ms, int64_t now_ms)
{
    struct leases *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    pthread_mutex_init(&l->lock, NULL);
    l->term_ms = term_ms;
    l->grace_until_ms = now_ms + term_ms;
    return l;
}

void leases_free(struct leases *l)
{
    if (!l) return;
    for (size_t i = 0; i < LEASES_BUCKETS; i++)
        while (l->b[i]) {
            struct lease *e = l->b[i];
            l->b[i] = e->next;
            free(e);
        }
    pthread_mutex_destroy(&l->lock);
    free(l);
}

bool leases_client_valid(const char *client)
{
    size_t n = client ? strlen(client) : 0;
    if (n < 16 || n > LEASES_CLIENT_MAX) return false;
    return strspn(client, "0123456789abcdef") == n;
}

static struct lease **bucket(struct leases *l, uint64_t dir)
{
    return &l->b[(dir * 0x9e3779b97f4a7c15ull) >> 52];
}

/* dir's live lease (unlinking dead ones on the way), or NULL. */
static struct lease *find(struct leases *l, uint64_t dir, int64_t now)
{
    struct lease **p = bucket(l, dir), *e;

    while ((e = *p) != NULL) {
        if (e->until_ms <= now) {
            *p = e->next;
            free(e);
            l->n--;
        } else if (e->dir == dir) {
            return e;
        } else {
            p = &e->next;
        }
    }
    return NULL;
}

static void sweep(struct leases *l, int64_t now)
{
    for (size_t i = 0; i < LEASES_BUCKETS; i++) {
        struct lease **p = &l->b[i], *e;
        while ((e = *p) != NULL) {
            if (e->until_ms > now) {
                p = &e->next;
                continue;
            }
            *p = e->next;
            free(e);
            l->n--;
        }
    }
}

static bool in_grace(const struct leases *l, int64_t now)
{
    return now < l->grace_until_ms;
}

/* Under the lock: a new lease of dir for client. */
static int grant(struct leases *l, uint64_t dir, const char *client,
                 int64_t now)
{
    struct lease *e;

    if (l->n >= LEASES_MAX) sweep(l, now);
    if (l->n >= LEASES_MAX) return -ENOSPC;
    e = calloc(1, sizeof(*e));
    if (!e) return -ENOMEM;
    e->dir = dir;
    e->until_ms = now + l->term_ms;
    strcpy(e->client, client);
    e->next = *bucket(l, dir);
    *bucket(l, dir) = e;
    l->n++;
    return 0;
}

int leases_take(struct leases *l, uint64_t dir, const char *client,
                bool held, int64_t now_ms, int64_t *ms)
{
    struct lease *e;
    int rc = 0;

    if (!leases_client_valid(client)) return -EINVAL;
    pthread_mutex_lock(&l->lock);
    e = find(l, dir, now_ms);
    if (e && (strcmp(e->client, client) != 0 || e->wanted))
        rc = -EBUSY;
    else if (e)
        e->until_ms = now_ms + l->term_ms;
    else if (in_grace(l, now_ms) && !held)
        rc = -EBUSY;
    else
        rc = grant(l, dir, client, now_ms);
    pthread_mutex_unlock(&l->lock);
    if (rc == 0) *ms = l->term_ms;
    return rc;
}

void leases_give_up(struct leases *l, uint64_t dir, const char *client)
{
    struct lease **p, *e;

    if (!client) return;
    pthread_mutex_lock(&l->lock);
    for (p = bucket(l, dir); (e = *p) != NULL; p = &e->next)
        if (e->dir == dir && strcmp(e->client, client) == 0) {
            *p = e->next;
            free(e);
            l->n--;
            break;
        }
    pthread_mutex_unlock(&l->lock);
}

int leases_may_change(struct leases *l, uint64_t dir, const char *client,
                      int64_t now_ms)
{
    struct lease *e;
    int rc = 0;

    pthread_mutex_lock(&l->lock);
    e = find(l, dir, now_ms);
    if (e && (!client || strcmp(e->client, client) != 0)) {
        e->wanted = true;
        rc = -EAGAIN;
    } else if (!e && in_grace(l, now_ms)) {
        rc = -EAGAIN;
    }
    pthread_mutex_unlock(&l->lock);
    return rc;
}

bool leases_any(struct leases *l)
{
    pthread_mutex_lock(&l->lock);
    bool any = l->n > 0;
    pthread_mutex_unlock(&l->lock);
    return any;
}

size_t leases_count(struct leases *l, int64_t now_ms)
{
    pthread_mutex_lock(&l->lock);
    sweep(l, now_ms);
    size_t n = l->n;
    pthread_mutex_unlock(&l->lock);
    return n;
}
