/*
 * node_cache.h - the live chunk servers, as the master last listed them.
 *
 * Writers need the node list for every chunk they place; asking the
 * master each time would add a round trip per chunk, so the list is kept
 * for a couple of seconds and refreshed early when an upload fails.
 */
#ifndef DFS_FUSE_NODE_CACHE_H
#define DFS_FUSE_NODE_CACHE_H

#include <stddef.h>

#include "master_client.h"

struct node_cache;

struct node_cache *node_cache_new(struct master_client *mc, long ttl_ms);
void node_cache_free(struct node_cache *nc);

/* A malloc'd copy of the list (free()), refreshed if older than the ttl.
 * -EIO when the master cannot be asked and nothing is cached. */
int node_cache_get(struct node_cache *nc, struct dfs_node **nodes, size_t *n);

/* Forget the list so the next get asks the master. */
void node_cache_invalidate(struct node_cache *nc);

#endif
