/*
 * truncate.c - changing a file's size from setattr.
 */
#include "truncate.h"

#include <errno.h>
#include <string.h>

#include "chunk_io.h"
#include "kernel_cache.h"
#include "log.h"
#include "open_table.h"

static int flush_one(struct dfs_file *fh, void *arg)
{
    (void)arg;
    return fh_flush(fh, false);
}

static int reload_one(struct dfs_file *fh, void *arg)
{
    (void)arg;
    if (fh_reload(fh) < 0)
        log_warn("inode %llu: map reload after truncate failed",
                 (unsigned long long)fh->ino);
    return 0;
}

int truncate_flush_open(struct dfs_mount *m, uint64_t ino)
{
    return open_table_each(m->open, ino, flush_one, NULL);
}

/* The chunk that straddles the new end, if it has bytes past it. */
static const struct dfs_chunk *cut_chunk(const struct dfs_chunk_map *map,
                                         uint64_t size, uint32_t cs)
{
    if (size >= map->size || size % cs == 0) return NULL;
    for (size_t i = 0; i < map->nchunks; i++)
        if (map->chunks[i].index == size / cs)
            return map->chunks[i].len > size % cs ? &map->chunks[i] : NULL;
    return NULL;
}

/* Store the first `keep` bytes of c as a new chunk and commit. */
static int commit_cut(struct dfs_mount *m, uint64_t ino, uint64_t size,
                      const struct dfs_chunk *c, struct dfs_attr *out)
{
    size_t keep = (size_t)(size % m->chunk_size);
    struct chunk_data *d;
    struct dfs_chunk_ref ref;
    struct dfs_chunk where;
    char id[CHUNK_ID_STRLEN];
    int rc = chunk_io_read(m, c, &d);

    if (rc < 0) return rc;
    if (keep > d->len) keep = d->len;
    chunk_id_compute(d->data, keep, id);
    rc = chunk_io_write(m, id, d->data, keep, false, &ref, &where);
    chunk_data_put(d);
    if (rc < 0) return rc;
    ref.index = c->index;
    return master_commit(m->mc, ino, size, &ref, 1, out);
}

int truncate_file(struct dfs_mount *m, uint64_t ino, uint64_t size,
                  struct dfs_attr *out)
{
    struct dfs_chunk_map map;
    const struct dfs_chunk *c;
    int rc = truncate_flush_open(m, ino);

    if (rc < 0) return -EIO;
    rc = master_chunks(m->mc, ino, &map);
    if (rc < 0) return rc;
    c = cut_chunk(&map, size, m->chunk_size);
    if (c) {
        rc = commit_cut(m, ino, size, c, out);
    } else {
        struct dfs_setattr s = {.set = DFS_SET_SIZE, .size = size};
        rc = master_setattr(m->mc, ino, &s, out);
    }
    meta_chunk_map_free(&map);
    kernel_cache_changed(m->kcache, ino);
    open_table_each(m->open, ino, reload_one, NULL);
    return rc;
}
