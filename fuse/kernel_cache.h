/*
 * kernel_cache.h - whether an open may keep the kernel's cached pages of
 * a file.
 *
 * Close-to-open consistency asks that an open see every change committed
 * before it.  The kernel's page cache of a file outlives its opens, and
 * an open answered without FOPEN_KEEP_CACHE makes the kernel drop it:
 * safe, but every file read again is read again through the mount.  A
 * file's content is named exactly by its chunk map (its size and the
 * content addresses of its chunks), so an open that fetches the map can
 * tell whether the pages the kernel holds are still the file's bytes.
 *
 * Per inode, this module holds the digest of the map whose bytes the
 * kernel's cached pages are (the claim), and the handles that can change
 * them: pages are filled by reads of open handles and changed by writes
 * and truncates.  The claim holds only while
 *   - every open reading handle of the inode reads that same map,
 *   - no open handle has written, and nothing truncated the file since,
 *   - no open that asked the kernel to drop the pages may still be
 *     unprocessed (the kernel drops them after our reply; the handle's
 *     first request after the open shows that it has).
 * An open keeps the pages when the claim names its map; otherwise the
 * kernel drops them and the claim becomes the open's map if the rules
 * allow, or nothing.  Losing a claim (a full table, a failed fetch) only
 * costs a re-read.
 *
 * Fetching the map at open costs a master round trip, worth it only when
 * there is a claim to keep: without one the open drops the pages without
 * it (lazily: rsync opens every file it wrote, to set its times, and
 * reads none), and the handle registers the map it reads when it loads
 * it.  Its map then becomes the claim only if nothing else could have
 * filled pages since its open.
 *
 * Thread-safe.  The functions never call out of the module.  A NULL
 * table (keep_cache=false) keeps nothing.
 */
#ifndef DFS_FUSE_KERNEL_CACHE_H
#define DFS_FUSE_KERNEL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meta_wire.h"

/* What a map holds: size and (index, chunk id) of every chunk, hashed
 * with the chunks' checksum, XXH3-128.  Never all zero ("none"). */
struct map_digest {
    uint64_t lo, hi;
};

void map_digest_of(const struct dfs_chunk_map *map, struct map_digest *out);

/* A handle's part, kept in the handle and passed back in every call. */
struct kernel_cache_use {
    bool reads;        /* registered as a reader */
    bool lazy;         /* opened for reading, map not registered yet */
    bool wrote;        /* registered as a writer */
    bool open_pending; /* its open asked for a drop not yet seen done */
    uint64_t events;   /* lazy: the record's events at the open */
};

struct kernel_cache;

/* At most max_files inodes remembered (at least 16). */
struct kernel_cache *kernel_cache_new(size_t max_files);
void kernel_cache_free(struct kernel_cache *kc);

/* Whether an open for reading should fetch the map (a claim to test). */
bool kernel_cache_has_claim(struct kernel_cache *kc, uint64_t ino);

/* A handle of ino opened for reading the map with digest d (NULL: not
 * fetched, the open is lazy): true when the kernel may keep its cached
 * pages (FOPEN_KEEP_CACHE). */
bool kernel_cache_open_reader(struct kernel_cache *kc, uint64_t ino,
                              const struct map_digest *d,
                              struct kernel_cache_use *u);

/* A lazy handle loaded its map, digest d, before its first read. */
void kernel_cache_loaded(struct kernel_cache *kc, uint64_t ino,
                         const struct map_digest *d,
                         struct kernel_cache_use *u);

/* The handle's first request after its open (the open is processed). */
void kernel_cache_open_done(struct kernel_cache *kc, uint64_t ino,
                            struct kernel_cache_use *u);

/* The handle writes (it then counts as a writer until it closes). */
void kernel_cache_wrote(struct kernel_cache *kc, uint64_t ino,
                        struct kernel_cache_use *u);

/* The file changed here without a handle's write (truncate, O_TRUNC). */
void kernel_cache_changed(struct kernel_cache *kc, uint64_t ino);

/* The handle is gone (release, or an open whose reply failed). */
void kernel_cache_closed(struct kernel_cache *kc, uint64_t ino,
                         struct kernel_cache_use *u);

#endif
