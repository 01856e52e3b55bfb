/*
 * ops_dir.c - FUSE directory listing.
 *
 * The master pages through a directory by opaque, increasing cookies
 * (>= 1) and does not return "." and "..", so FUSE offsets are laid out
 * as: 0 = start, 1 = after ".", 2 = after "..", c + 2 = after the entry
 * with master cookie c.  Offsets then survive entries being added or
 * removed between calls, as the cookies do.
 */
#include "ops.h"

#include <errno.h>
#include <stdlib.h>

#include "attr_cache.h"
#include "setattr_behind.h"

#define DIR_OFF_DOT 1
#define DIR_OFF_DOTDOT 2
/* Rough bytes per reply entry, to ask the master for about a buffer's
 * worth of names per call rather than its maximum page. */
#define DIR_ENTRY_BYTES 32
#define DIR_ENTRY_PLUS_BYTES 160
#define DIR_PAGE_MIN 16
#define DIR_PAGE_MAX 512

struct dir_reply {
    fuse_req_t req;
    char *buf;
    size_t size, used;
    bool plus;
};

/* Add one entry; false when the buffer is full (entry not added). */
static bool dir_add(struct dir_reply *r, struct dfs_mount *m, const char *name,
                    const struct dfs_attr *a, off_t next, bool dot)
{
    size_t left = r->size - r->used, need;

    if (r->plus) {
        struct fuse_entry_param e;
        ops_fill_entry(m, a, &e);
        if (dot) /* "." and "..": no lookup count, nothing cached */
            e.ino = 0, e.attr_timeout = e.entry_timeout = 0;
        need = fuse_add_direntry_plus(r->req, r->buf + r->used, left, name, &e,
                                      next);
    } else {
        struct stat st = {.st_ino = a->ino, .st_mode = a->mode};
        need =
            fuse_add_direntry(r->req, r->buf + r->used, left, name, &st, next);
    }
    if (need > left) return false;
    r->used += need;
    return true;
}

static uint32_t dir_page(size_t size, bool plus)
{
    size_t n = size / (plus ? DIR_ENTRY_PLUS_BYTES : DIR_ENTRY_BYTES) + 1;
    if (n < DIR_PAGE_MIN) n = DIR_PAGE_MIN;
    if (n > DIR_PAGE_MAX) n = DIR_PAGE_MAX;
    return (uint32_t)n;
}

/* Fill r from the master's entries after `cookie`. */
static int dir_fill(struct dir_reply *r, struct dfs_mount *m, uint64_t ino,
                    uint64_t cookie)
{
    for (;;) {
        struct dfs_dirent *ents;
        size_t n, i;
        bool eof;
        uint64_t version = attr_cache_version(m->attrs);
        int rc = master_readdir(m->mc, ino, cookie, dir_page(r->size, r->plus),
                                &ents, &n, &eof);
        if (rc < 0) return rc;
        for (i = 0; r->plus && i < n; i++)
            attr_cache_put_read(m->attrs, &ents[i].attr, version);
        for (i = 0; i < n; i++) {
            if (!dir_add(r, m, ents[i].name, &ents[i].attr,
                         (off_t)(ents[i].cookie + DIR_OFF_DOTDOT), false))
                break;
        }
        bool full = i < n;
        if (n > 0) cookie = ents[n - 1].cookie;
        free(ents);
        if (full || eof || n == 0) return 0;
    }
}

static void dir_list(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                     bool plus)
{
    struct dfs_mount *m = ops_mount(req);
    struct dir_reply r = {.req = req, .size = size, .plus = plus};
    int rc = 0;

    r.buf = malloc(size ? size : 1);
    if (!r.buf) return (void)fuse_reply_err(req, ENOMEM);
    if (off < DIR_OFF_DOTDOT) {
        /* Only the type and inode of "." and ".." matter (the kernel
         * caches nothing for them), so they cost no round trip. */
        struct dfs_attr self = {.ino = ino, .mode = S_IFDIR};
        if (off < DIR_OFF_DOT) dir_add(&r, m, ".", &self, DIR_OFF_DOT, true);
        dir_add(&r, m, "..", &self, DIR_OFF_DOTDOT, true);
    }
    rc = dir_fill(&r, m, ino,
                  off > DIR_OFF_DOTDOT ? (uint64_t)off - DIR_OFF_DOTDOT : 0);
    /* Entries already in the buffer are worth more than the error. */
    if (rc < 0 && r.used == 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_buf(req, r.buf, r.used);
    free(r.buf);
}

void ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                 struct fuse_file_info *fi)
{
    (void)fi;
    dir_list(req, ino, size, off, false);
}

void ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    (void)fi;
    dir_list(req, ino, size, off, true);
}

void ops_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
                  struct fuse_file_info *fi)
{
    struct dfs_mount *m = ops_mount(req);

    (void)ino, (void)datasync, (void)fi;
    /* The master commits every change durably; only attribute changes
     * answered before may still be on their way. */
    if (m->behind) setattr_behind_flush(m->behind);
    fuse_reply_err(req, 0);
}
