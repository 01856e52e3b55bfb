/*
 * chunk_cache.h - the mount's bounded LRU cache of whole chunks.
 *
 * Keyed by chunk id.  Ids are content addresses, so an entry can never be
 * stale: the only reason to drop one is memory.  Entries are reference
 * counted so a reader copies out of a chunk without holding the cache
 * lock, and an entry evicted while in use is freed by its last reader.
 *
 * Concurrent misses on the same id load it once: the first caller runs the
 * loader, the others wait for it (kernel readahead and our own prefetch
 * often ask for the same chunk at the same moment).
 */
#ifndef DFS_FUSE_CHUNK_CACHE_H
#define DFS_FUSE_CHUNK_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "chunk_id.h"

/* Immutable chunk bytes with a reference count. */
struct chunk_data {
    int refs;            /* atomic */
    size_t len;          /* valid bytes */
    size_t cap;          /* allocated bytes at data */
    unsigned char *data; /* bytes[], or the adopted buffer */
    void *adopted;       /* malloc'd buffer freed with us, or NULL */
    bool large;          /* data is its own aligned buffer, pooled */
    unsigned char bytes[];
};

/* Buffers of at least CHUNK_DATA_LARGE bytes start at a multiple of
 * CHUNK_DATA_ALIGN: enough for O_DIRECT, and a huge page's. */
#define CHUNK_DATA_LARGE (1u << 20)
#define CHUNK_DATA_ALIGN (2u << 20)

/* A zeroed buffer of cap bytes, len 0, one reference.  NULL on ENOMEM. */
struct chunk_data *chunk_data_new(size_t cap);
/* The same without zeroing: for a caller that writes every byte up to
 * the len it sets. */
struct chunk_data *chunk_data_new_uninit(size_t cap);
/* Wrap len bytes of a malloc'd buffer (an HTTP reply body) without a
 * copy; it is freed with the last reference.  NULL on ENOMEM (buf is
 * then still the caller's). */
struct chunk_data *chunk_data_adopt(void *buf, size_t len);
struct chunk_data *chunk_data_get(struct chunk_data *d);
void chunk_data_put(struct chunk_data *d);

struct chunk_cache;

struct chunk_cache *chunk_cache_new(size_t max_bytes);
void chunk_cache_free(struct chunk_cache *c);

/* Loads the chunk `id` into *out (one reference) or returns -errno. */
typedef int (*chunk_cache_loader)(void *arg, const char *id,
                                  struct chunk_data **out);

/* The chunk `id` with a new reference in *out: from the cache, or from
 * load() (inserted on success).  Returns 0 or load()'s error. */
int chunk_cache_get(struct chunk_cache *c, const char *id,
                    chunk_cache_loader load, void *arg,
                    struct chunk_data **out);

/* Cached (or being loaded) already? */
bool chunk_cache_has(struct chunk_cache *c, const char *id);

/* Insert bytes we already hold (a chunk we just wrote).  Takes its own
 * reference; no-op if the id is present. */
void chunk_cache_put(struct chunk_cache *c, const char *id,
                     struct chunk_data *d);

#endif
