/*
 * ops_ns.c - FUSE handlers for names and attributes.
 *
 * Each is one master call.  Permissions are the kernel's job
 * (default_permissions is always on), so requests carry the caller's
 * uid/gid only for ownership of what they create.  setattr first commits
 * our own buffered writes to the file: otherwise a later commit at close
 * would stamp a new mtime over the one `cp -p` or `touch -d` just set.
 */
#include "ops.h"

#include <errno.h>
#include <stdlib.h>

#include "open_table.h"
#include "truncate.h"

void ops_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct dfs_attr a;
    int rc = master_lookup(ops_mount(req)->mc, parent, name, &a);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    ops_reply_entry(req, &a);
}

void ops_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct dfs_attr a;
    int rc = master_getattr(ops_mount(req)->mc, ino, &a);

    (void)fi;
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    ops_reply_attr(req, &a);
}

static int64_t ts_ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static void setattr_fields(const struct stat *attr, int to_set,
                           struct dfs_setattr *s)
{
    if (to_set & FUSE_SET_ATTR_MODE) {
        s->set |= DFS_SET_MODE;
        s->mode = attr->st_mode;
    }
    if (to_set & FUSE_SET_ATTR_UID) {
        s->set |= DFS_SET_UID;
        s->uid = attr->st_uid;
    }
    if (to_set & FUSE_SET_ATTR_GID) {
        s->set |= DFS_SET_GID;
        s->gid = attr->st_gid;
    }
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
        s->set |= DFS_SET_ATIME_NOW;
    } else if (to_set & FUSE_SET_ATTR_ATIME) {
        s->set |= DFS_SET_ATIME;
        s->atime_ns = ts_ns(&attr->st_atim);
    }
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
        s->set |= DFS_SET_MTIME_NOW;
    } else if (to_set & FUSE_SET_ATTR_MTIME) {
        s->set |= DFS_SET_MTIME;
        s->mtime_ns = ts_ns(&attr->st_mtim);
    }
}

void ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                 struct fuse_file_info *fi)
{
    struct dfs_mount *m = ops_mount(req);
    struct dfs_setattr s = {0};
    struct dfs_attr a;
    int rc;

    (void)fi; /* every open handle of ino is flushed, fi's included */
    if (to_set & FUSE_SET_ATTR_SIZE) {
        rc = truncate_file(m, ino, (uint64_t)attr->st_size, &a);
    } else {
        rc = truncate_flush_open(m, ino) < 0 ? -EIO : 0;
    }
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    setattr_fields(attr, to_set, &s);
    if (s.set != 0 || !(to_set & FUSE_SET_ATTR_SIZE))
        rc = master_setattr(m->mc, ino, &s, &a);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    ops_reply_attr(req, &a);
}

void ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
               dev_t rdev)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct dfs_attr a;
    int rc = master_mknod(ops_mount(req)->mc, parent, name, mode, ctx->uid,
                          ctx->gid, rdev, &a);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    ops_reply_entry(req, &a);
}

void ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct dfs_attr a;
    int rc = master_mkdir(ops_mount(req)->mc, parent, name, mode | S_IFDIR,
                          ctx->uid, ctx->gid, &a);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    ops_reply_entry(req, &a);
}

void ops_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
                 const char *name)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct dfs_attr a;
    int rc = master_symlink(ops_mount(req)->mc, parent, name, link, ctx->uid,
                            ctx->gid, &a);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    ops_reply_entry(req, &a);
}

void ops_readlink(fuse_req_t req, fuse_ino_t ino)
{
    char *target;
    int rc = master_readlink(ops_mount(req)->mc, ino, &target);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    fuse_reply_readlink(req, target);
    free(target);
}

void ops_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
              const char *newname)
{
    struct dfs_attr a;
    int rc = master_link(ops_mount(req)->mc, ino, newparent, newname, &a);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    ops_reply_entry(req, &a);
}

void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    fuse_reply_err(req, -master_unlink(ops_mount(req)->mc, parent, name));
}

void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    fuse_reply_err(req, -master_rmdir(ops_mount(req)->mc, parent, name));
}

void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
                fuse_ino_t newparent, const char *newname, unsigned flags)
{
    fuse_reply_err(req, -master_rename(ops_mount(req)->mc, parent, name,
                                       newparent, newname, flags));
}
