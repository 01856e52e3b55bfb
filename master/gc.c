/*
 * gc.c - deleting the copies of chunks no file refers to (see gc.h).
 *
 * `seen` holds the unreferenced chunks of the last scan with the time each
 * was first seen so, sorted by id (the scan's order), so the next scan
 * finds a chunk's time by binary search; a chunk missing from a scan (it
 * is referenced again, or its copies are gone) starts over.  `orders` is
 * the queue of deletions not yet handed to their servers.
 */
#include "gc.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "wire.h"

struct gc_seen {
    char id[CHUNK_ID_STRLEN];
    int64_t since_ms;
};

struct gc_order {
    struct meta_replica copy;
    int64_t queued_ms;
};

struct gc {
    struct meta *m;
    int64_t grace_ms;
    int64_t next_scan_ms;
    int64_t rescan_ms;          /* a scan even if nothing seems to change */
    uint64_t version;           /* meta_placement_version at the last scan */
    struct gc_seen *seen; /* sorted by id */
    size_t nseen;
    pthread_mutex_t lock; /* orders, deleted */
    struct gc_order *orders;
    size_t norders;
    uint64_t deleted;
};

struct gc *gc_new(struct meta *m, int64_t grace_ms)
{
    struct gc *g = calloc(1, sizeof(*g));
    if (!g) return NULL;
    g->orders = calloc(GC_ORDERS_MAX, sizeof(*g->orders));
    if (!g->orders) {
        free(g);
        return NULL;
    }
    g->m = m;
    g->grace_ms = grace_ms;
    pthread_mutex_init(&g->lock, NULL);
    return g;
}

void gc_free(struct gc *g)
{
    if (!g) return;
    pthread_mutex_destroy(&g->lock);
    free(g->seen);
    free(g->orders);
    free(g);
}

static int seen_cmp(const void *a, const void *b)
{
    return strcmp(((const struct gc_seen *)a)->id,
                  ((const struct gc_seen *)b)->id);
}

/* When chunk id was first seen unreferenced: in the last scan, or now. */
static int64_t seen_since(const struct gc *g, const char *id, int64_t now)
{
    struct gc_seen key = {0}, *hit;
    memcpy(key.id, id, CHUNK_ID_STRLEN);
    hit = g->nseen ? bsearch(&key, g->seen, g->nseen, sizeof(key), seen_cmp)
                   : NULL;
    return hit ? hit->since_ms : now;
}

/* The chunks of rows (sorted by chunk id), each with its first-seen time. */
static struct gc_seen *seen_update(const struct gc *g,
                                   const struct meta_replica *rows, size_t n,
                                   int64_t now, size_t *nout)
{
    struct gc_seen *v = calloc(n ? n : 1, sizeof(*v));
    size_t k = 0;

    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (k > 0 && strcmp(v[k - 1].id, rows[i].chunk_id) == 0) continue;
        memcpy(v[k].id, rows[i].chunk_id, CHUNK_ID_STRLEN);
        v[k].since_ms = seen_since(g, rows[i].chunk_id, now);
        k++;
    }
    *nout = k;
    return v;
}

/* Forget copy c and queue its deletion; false when the queue is full. */
static bool order_delete(struct gc *g, const struct meta_replica *c,
                         int64_t now)
{
    pthread_mutex_lock(&g->lock);
    bool room = g->norders < GC_ORDERS_MAX;
    pthread_mutex_unlock(&g->lock);
    if (!room || meta_unreferenced_forget(g->m, c->chunk_id, c->node_id) != 1)
        return room;
    pthread_mutex_lock(&g->lock);
    g->orders[g->norders].copy = *c;
    g->orders[g->norders].queued_ms = now;
    g->norders++;
    g->deleted++;
    pthread_mutex_unlock(&g->lock);
    return true;
}

/* Up to GC_TRACK_MAX unreferenced copies, read GC_PAGE at a time: the
 * store is free for other calls between pages. */
static int scan(struct gc *g, struct meta_replica **out, size_t *n)
{
    struct meta_replica *all = NULL, *page;
    size_t nall = 0, got;
    int rc;

    do {
        rc = meta_unreferenced(g->m, nall ? &all[nall - 1] : NULL, GC_PAGE,
                               &page, &got);
        if (rc < 0) break;
        struct meta_replica *grown =
            realloc(all, (nall + got + 1) * sizeof(*all));
        if (!grown) {
            free(page);
            rc = -ENOMEM;
            break;
        }
        all = grown;
        memcpy(all + nall, page, got * sizeof(*page));
        nall += got;
        free(page);
    } while (got == GC_PAGE && nall < GC_TRACK_MAX);
    if (rc < 0) {
        free(all);
        return rc;
    }
    *out = all;
    *n = nall;
    return 0;
}

static int64_t scan_interval(const struct gc *g)
{
    int64_t ms = g->grace_ms / 4 < GC_SCAN_MS ? g->grace_ms / 4 : GC_SCAN_MS;
    return ms < 1000 ? 1000 : ms;
}

int gc_run(struct gc *g)
{
    struct meta_replica *rows;
    struct gc_seen *seen;
    size_t n, nseen;
    int64_t now = meta_time_ms(g->m);
    int rc;

    uint64_t version = meta_placement_version(g->m);

    if (g->grace_ms <= 0 || now < g->next_scan_ms) return 0;
    /* The scan reads every copy: only when something may have become
     * garbage (a file's chunks or a server's copies changed), while
     * earlier garbage waits out its grace, and now and then anyway. */
    if (version == g->version && g->nseen == 0 && now < g->rescan_ms)
        return 0;
    g->version = version;
    g->rescan_ms = now + GC_RESCAN_MS;
    g->next_scan_ms = now + scan_interval(g);
    if ((rc = scan(g, &rows, &n)) < 0) return rc;
    seen = seen_update(g, rows, n, now, &nseen);
    if (!seen) {
        free(rows);
        return -ENOMEM;
    }
    for (size_t i = 0, j = 0; i < n; i++) {
        while (strcmp(seen[j].id, rows[i].chunk_id) != 0)
            j++;
        if (now - seen[j].since_ms >= g->grace_ms &&
            !order_delete(g, &rows[i], now))
            break; /* the queue is full: the rest waits for the next scan */
    }
    free(g->seen);
    g->seen = seen;
    g->nseen = nseen;
    free(rows);
    return 0;
}

void gc_commands(struct gc *g, const char *node_id, json_object *cmds)
{
    int64_t now = meta_time_ms(g->m);
    size_t kept = 0, given = 0;

    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->norders; i++) {
        struct gc_order *o = &g->orders[i];
        if (given < GC_PER_BEAT && strcmp(o->copy.node_id, node_id) == 0) {
            json_object *c = json_object_new_object();
            json_object_object_add(c, K_OP,
                                   json_object_new_string(DFS_CMD_DELETE));
            json_object_object_add(c, K_ID,
                                   json_object_new_string(o->copy.chunk_id));
            json_object_object_add(c, K_MIN_AGE,
                                   json_object_new_int64(g->grace_ms));
            json_object_array_add(cmds, c);
            given++;
        } else if (now - o->queued_ms < GC_ORDER_TTL_MS) {
            g->orders[kept++] = *o;
        }
    }
    g->norders = kept;
    pthread_mutex_unlock(&g->lock);
}

uint64_t gc_deleted(struct gc *g)
{
    pthread_mutex_lock(&g->lock);
    uint64_t n = g->deleted;
    pthread_mutex_unlock(&g->lock);
    return n;
}
