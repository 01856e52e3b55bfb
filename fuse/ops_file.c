/*
 * ops_file.c - FUSE handlers for open files.
 *
 * fi->fh carries the struct dfs_file.  flush (every close of a
 * descriptor) commits what was written, so close() returns only once the
 * data is on its replicas and in the master's map, and reports EIO if
 * that failed; release (the last close) does the same and frees.
 * create without O_EXCL opens the file if the name turns out to exist.
 */
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "attr_cache.h"
#include "clock.h"
#include "dir_cache.h"
#include "dir_lease.h"
#include "file_handle.h"
#include "kernel_cache.h"
#include "open_table.h"
#include "setattr_behind.h"

static struct dfs_file *fh_of(struct fuse_file_info *fi)
{
    return (struct dfs_file *)(uintptr_t)fi->fh;
}

/* The handle of a request on an open file.  That the kernel sends one
 * shows the handle's open is processed: the pages it asked the kernel to
 * drop are gone (kernel_cache.h). */
static struct dfs_file *fh_used(fuse_req_t req, struct fuse_file_info *fi)
{
    struct dfs_file *fh = fh_of(fi);
    kernel_cache_open_done(ops_mount(req)->kcache, fh->ino, &fh->kc_use);
    return fh;
}

void ops_handle_gone(struct dfs_mount *m, struct dfs_file *fh)
{
    struct open_hidden h;

    kernel_cache_closed(m->kcache, fh->ino, &fh->kc_use);
    if (open_table_remove(m->open, fh, &h)) ops_unlink_hidden(m, &h);
    fh_free(fh);
}

/* Close-to-open: the kernel keeps its cached pages of the file only when
 * they are known to be the bytes of the map this open sees. */
static int attach(struct dfs_mount *m, struct dfs_file *fh,
                  struct fuse_file_info *fi, bool existing)
{
    bool keep = false;
    int rc = 0;

    if (existing && (fi->flags & O_ACCMODE) != O_WRONLY)
        rc = fh_open_reader(fh, &keep);
    if (rc < 0) {
        kernel_cache_closed(m->kcache, fh->ino, &fh->kc_use);
        fh_free(fh);
        return rc;
    }
    open_table_add(m->open, fh);
    fi->fh = (uint64_t)(uintptr_t)fh;
    fi->keep_cache = keep;
    return 0;
}

void ops_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct dfs_mount *m = ops_mount(req);
    struct dfs_file *fh;
    int rc = fh_open(m, ino, fi->flags & O_TRUNC, &fh);

    if (rc == 0) rc = attach(m, fh, fi, true);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    if (fuse_reply_open(req, fi) != 0) /* interrupted: no release comes */
        ops_handle_gone(m, fh);
}

/* Whether the caller may open the file a with these flags.  The kernel
 * checks this before a plain open, but not before a create it thinks
 * made the file, so create_or_open asks here. */
static bool may_open(fuse_req_t req, const struct dfs_attr *a, int flags)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    int acc = flags & O_ACCMODE;
    uint32_t want = 0, bits = a->mode;
    gid_t groups[64];
    int n;

    if (acc == O_RDONLY || acc == O_RDWR) want |= 4;
    if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC)) want |= 2;
    if (ctx->uid == 0) return true;
    if (ctx->uid == a->uid) return ((bits >> 6) & want) == want;
    n = fuse_req_getgroups(req, 64, groups);
    bool member = ctx->gid == a->gid;
    for (int i = 0; i < n && i < 64 && !member; i++)
        member = groups[i] == a->gid;
    return ((member ? bits >> 3 : bits) & want) == want;
}

/* The new file, or without O_EXCL the one already there.  The kernel
 * sends CREATE whenever it holds a negative entry for the name, which may
 * be up to entry_timeout old (the master's answer, or the dir cache's),
 * so EEXIST here means "open it", as a local file system would.  *made
 * tells which happened. */
static int create_or_open(fuse_req_t req, fuse_ino_t parent, const char *name,
                          mode_t mode, struct fuse_file_info *fi,
                          struct dfs_attr *a, struct dfs_file **fh, bool *made)
{
    struct dfs_mount *m = ops_mount(req);
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    int rc = -EEXIST;

    /* Twice at most: the name may vanish between EEXIST and the lookup. */
    for (int tries = 0; tries < 2 && rc == -EEXIST; tries++) {
        rc = master_mknod(m->mc, parent, name, S_IFREG | (mode & 07777),
                          ctx->uid, ctx->gid, 0, a);
        ops_dirs_added(m, parent, name, rc, rc == 0 ? a->ino : 0);
        *made = rc == 0;
        if (rc == 0) return fh_new_empty(m, a->ino, fh);
        if (rc != -EEXIST || (fi->flags & O_EXCL)) return rc;
        rc = master_lookup(m->mc, parent, name, a);
        if (rc == -ENOENT) rc = -EEXIST;
    }
    if (rc < 0) return rc;
    if (S_ISDIR(a->mode)) return -EISDIR;
    if (!S_ISREG(a->mode)) return -EEXIST; /* a symlink is not followed */
    if (!may_open(req, a, fi->flags)) return -EACCES;
    rc = fh_open(m, a->ino, fi->flags & O_TRUNC, fh);
    if (rc == 0 && (fi->flags & O_TRUNC)) a->size = 0;
    return rc;
}

/* Whether name is free in parent, for a create answered here: for
 * O_EXCL only an exact set (a lease, dir_lease.h) will do, and the lease
 * is then in use until the caller's dir_lease_use_end, so its give-up
 * waits for the create to be queued; otherwise a fresh set will
 * (dir_cache.h). */
static bool create_free_begin(struct dfs_mount *m, uint64_t parent,
                              const char *name, bool excl)
{
    double ttl;

    if (!excl)
        return dir_cache_lookup(m->dirs, parent, name, &ttl, NULL, NULL) ==
               DIR_CACHE_ABSENT;
    if (dir_cache_exact_lookup(m->dirs, parent, name, NULL) == DIR_CACHE_ASK)
        ops_lease_dir(m, parent);
    if (!dir_lease_use_begin(m->leases, parent)) return false;
    if (dir_cache_exact_lookup(m->dirs, parent, name, NULL) ==
        DIR_CACHE_ABSENT)
        return true;
    dir_lease_use_end(m->leases);
    return false;
}

/* The new file answered here, its create sent to the master ahead of
 * its commit (setattr_behind.h): for open(O_CREAT) of a name this mount
 * knows is free; with O_EXCL, only in a directory it holds the lease of
 * (otherwise the master is the only judge of what other clients made
 * meanwhile).  -EAGAIN: create it through the master. */
static int create_behind(fuse_req_t req, fuse_ino_t parent, const char *name,
                         mode_t mode, struct fuse_file_info *fi,
                         struct dfs_attr *a, struct dfs_file **fh)
{
    struct dfs_mount *m = ops_mount(req);
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    bool excl = fi->flags & O_EXCL;
    int rc;

    if (!m->create_behind || !m->behind ||
        !create_free_begin(m, parent, name, excl))
        return -EAGAIN;
    *a = (struct dfs_attr){.mode = S_IFREG | (mode & 07777),
                           .uid = ctx->uid,
                           .gid = ctx->gid,
                           .nlink = 1};
    a->atime_ns = a->mtime_ns = a->ctime_ns = clock_realtime_ns();
    rc = setattr_behind_create(m->behind, parent, name, a->mode, a->uid,
                               a->gid, a->ctime_ns, &a->ino);
    if (rc == 0) dir_cache_added(m->dirs, parent, name, a->ino);
    if (excl) dir_lease_use_end(m->leases);
    if (rc < 0) return rc;
    rc = fh_new_empty(m, a->ino, fh);
    if (rc == 0) (*fh)->created_behind = true;
    return rc;
}

void ops_create(fuse_req_t req, fuse_ino_t parent, const char *name,
                mode_t mode, struct fuse_file_info *fi)
{
    struct dfs_mount *m = ops_mount(req);
    struct fuse_entry_param e;
    struct dfs_file *fh;
    struct dfs_attr a;
    bool made = true;
    int rc = create_behind(req, parent, name, mode, fi, &a, &fh);

    if (rc == -EAGAIN)
        rc = create_or_open(req, parent, name, mode, fi, &a, &fh, &made);
    if (rc == 0) rc = attach(m, fh, fi, !made);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    if (made) {
        attr_cache_put(m->attrs, &a);
        attr_cache_dir_added(m->attrs, parent, a.ctime_ns, 0);
    }
    ops_fill_entry(m, &a, &e);
    if (fuse_reply_create(req, &e, fi) != 0) ops_handle_gone(m, fh);
}

void ops_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
              struct fuse_file_info *fi)
{
    struct fh_read_reply r;
    struct iovec *iov;
    int rc;

    (void)ino;
    rc = fh_read(fh_used(req, fi), (uint64_t)off, size, &r);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    iov = calloc(r.npieces ? r.npieces : 1, sizeof(*iov));
    if (!iov) {
        fh_read_release(&r);
        return (void)fuse_reply_err(req, ENOMEM);
    }
    for (size_t i = 0; i < r.npieces; i++)
        iov[i] = (struct iovec){.iov_base = (void *)r.pieces[i].p,
                                .iov_len = r.pieces[i].len};
    /* writev straight from the cached chunks: no copy of our own */
    fuse_reply_iov(req, iov, (int)r.npieces);
    free(iov);
    fh_read_release(&r);
}

void ops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
               off_t off, struct fuse_file_info *fi)
{
    int rc = fh_write(fh_used(req, fi), buf, size, (uint64_t)off);

    (void)ino;
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    fuse_reply_write(req, size);
}

void ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    fuse_reply_err(req, -fh_flush(fh_used(req, fi), false));
}

void ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
               struct fuse_file_info *fi)
{
    struct dfs_mount *m = ops_mount(req);
    int rc = fh_flush(fh_used(req, fi), true);

    (void)ino, (void)datasync;
    /* attribute changes answered before, this file's among them */
    if (m->behind) setattr_behind_flush(m->behind);
    fuse_reply_err(req, -rc);
}

void ops_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct dfs_mount *m = ops_mount(req);
    struct dfs_file *fh = fh_of(fi);
    int rc = fh_flush(fh, false);

    (void)ino;
    ops_handle_gone(m, fh);
    fuse_reply_err(req, -rc);
}
