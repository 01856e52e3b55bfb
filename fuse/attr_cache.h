/*
 * attr_cache.h - the attributes mount.dfs last saw, by inode.
 *
 * The kernel forgets an inode's attributes whenever it changes the inode
 * through us (a write, a create in a directory, a chmod), and then asks
 * with GETATTR.  Most of the time we already hold the answer: the master
 * returned the new attributes with the change (commit, setattr, create).
 * Serving them from here saves a master round trip per small file, for
 * no more staleness than the kernel's own attr_timeout allows.
 *
 * Entries live for the same attr_timeout.  Changes made through this
 * mount replace or drop entries; a change whose new attributes we do not
 * get back (unlink, rmdir, rename) drops everything, since we cannot tell
 * which inode lost a name.  A reply that only read the master (lookup,
 * getattr, readdirplus) may be older than a change that raced with it, so
 * it is kept only if no change happened since the read began (the
 * version taken with attr_cache_version).
 */
#ifndef DFS_FUSE_ATTR_CACHE_H
#define DFS_FUSE_ATTR_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "meta_wire.h"

struct attr_cache;

/* ttl_s <= 0: a cache that never answers. */
struct attr_cache *attr_cache_new(double ttl_s);
void attr_cache_free(struct attr_cache *c);

/* Fresh attributes of ino, if held. */
bool attr_cache_get(struct attr_cache *c, uint64_t ino, struct dfs_attr *out);

/* Take before asking the master a read-only question. */
uint64_t attr_cache_version(struct attr_cache *c);
/* Keep a read-only answer unless a change happened since `version`. */
void attr_cache_put_read(struct attr_cache *c, const struct dfs_attr *a,
                         uint64_t version);

/* Attributes returned by a change made through this mount. */
void attr_cache_put(struct attr_cache *c, const struct dfs_attr *a);
/* An entry was added to dir at `when_ns` (the master stamps the parent
 * with the new inode's ctime); nlink_delta for a new subdirectory. */
void attr_cache_dir_added(struct attr_cache *c, uint64_t dir, int64_t when_ns,
                          int nlink_delta);
void attr_cache_drop(struct attr_cache *c, uint64_t ino);
void attr_cache_clear(struct attr_cache *c);

#endif
