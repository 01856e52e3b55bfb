/*
 * node_cache.c - the live chunk servers, as the master last listed them.
 *
 * The refresh happens under the lock: when the list is stale every writer
 * needs the new one anyway, and this way only one of them asks.
 */
#include "node_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

struct node_cache {
    pthread_mutex_t lock;
    struct master_client *mc;
    long ttl_ms;
    struct dfs_node *nodes;
    size_t n;
    long long fetched_ms; /* 0 = never / invalidated */
};

struct node_cache *node_cache_new(struct master_client *mc, long ttl_ms)
{
    struct node_cache *nc = calloc(1, sizeof(*nc));
    if (!nc) return NULL;
    pthread_mutex_init(&nc->lock, NULL);
    nc->mc = mc;
    nc->ttl_ms = ttl_ms;
    return nc;
}

void node_cache_free(struct node_cache *nc)
{
    if (!nc) return;
    free(nc->nodes);
    pthread_mutex_destroy(&nc->lock);
    free(nc);
}

static int node_cache_refresh(struct node_cache *nc)
{
    struct dfs_node *nodes;
    size_t n;
    int rc = master_nodes(nc->mc, &nodes, &n);
    if (rc < 0) {
        log_warn("listing chunk servers: %s", strerror(-rc));
        return rc;
    }
    free(nc->nodes);
    nc->nodes = nodes;
    nc->n = n;
    nc->fetched_ms = clock_monotonic_ms();
    return 0;
}

int node_cache_get(struct node_cache *nc, struct dfs_node **nodes, size_t *n)
{
    int rc = 0;

    pthread_mutex_lock(&nc->lock);
    if (nc->fetched_ms == 0 || clock_monotonic_ms() - nc->fetched_ms > nc->ttl_ms) {
        rc = node_cache_refresh(nc);
        /* A stale list beats none when the master is briefly away. */
        if (rc < 0 && nc->nodes) rc = 0;
    }
    if (rc == 0) {
        *n = nc->n;
        *nodes = malloc(sizeof(**nodes) * (nc->n ? nc->n : 1));
        if (*nodes)
            memcpy(*nodes, nc->nodes, sizeof(**nodes) * nc->n);
        else
            rc = -ENOMEM;
    }
    pthread_mutex_unlock(&nc->lock);
    return rc;
}

void node_cache_invalidate(struct node_cache *nc)
{
    pthread_mutex_lock(&nc->lock);
    nc->fetched_ms = 0;
    pthread_mutex_unlock(&nc->lock);
}
