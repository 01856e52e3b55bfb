/*
 * ops.c - the handler table of mount.dfs, session init, and statfs.
 *
 * init() asks the kernel for what the design wants: 1 MiB writes (and, by
 * the same max_pages, 1 MiB reads), readdirplus so `ls -l` and rsync get
 * attributes with names, AUTO_INVAL_DATA so a file changed by another
 * client is re-read once its mtime moves, and the write-back cache only
 * when the mount option asks for it.
 */
#include "ops.h"

#include <errno.h>
#include <string.h>

#include "attr_cache.h"
#include "open_table.h"

#define OPS_MAX_WRITE (1u << 20)
#define OPS_BLKSIZE (1u << 20) /* st_blksize: makes cp use 1 MiB writes */
#define OPS_STATFS_BSIZE 4096
#define OPS_STATFS_FREE_INODES (1ull << 32) /* inodes are rows: no limit */

void ops_fill_stat(struct dfs_mount *m, const struct dfs_attr *a,
                   struct stat *st)
{
    uint64_t size = a->size, dirty;

    if (S_ISREG(a->mode) && open_table_dirty_size(m->open, a->ino, &dirty) &&
        dirty > size)
        size = dirty;
    memset(st, 0, sizeof(*st));
    st->st_ino = a->ino;
    st->st_mode = a->mode;
    st->st_nlink = a->nlink;
    st->st_uid = a->uid;
    st->st_gid = a->gid;
    st->st_rdev = a->rdev;
    st->st_size = (off_t)size;
    st->st_blocks = (blkcnt_t)((size + 511) / 512);
    st->st_blksize = OPS_BLKSIZE;
    st->st_atim.tv_sec = a->atime_ns / 1000000000;
    st->st_atim.tv_nsec = a->atime_ns % 1000000000;
    st->st_mtim.tv_sec = a->mtime_ns / 1000000000;
    st->st_mtim.tv_nsec = a->mtime_ns % 1000000000;
    st->st_ctim.tv_sec = a->ctime_ns / 1000000000;
    st->st_ctim.tv_nsec = a->ctime_ns % 1000000000;
}

void ops_fill_entry(struct dfs_mount *m, const struct dfs_attr *a,
                    struct fuse_entry_param *e)
{
    memset(e, 0, sizeof(*e));
    e->ino = a->ino;
    e->attr_timeout = m->attr_timeout;
    e->entry_timeout = m->entry_timeout;
    ops_fill_stat(m, a, &e->attr);
}

void ops_reply_entry(fuse_req_t req, const struct dfs_attr *a)
{
    struct fuse_entry_param e;
    ops_fill_entry(ops_mount(req), a, &e);
    fuse_reply_entry(req, &e);
}

void ops_reply_attr(fuse_req_t req, const struct dfs_attr *a)
{
    struct dfs_mount *m = ops_mount(req);
    struct stat st;
    ops_fill_stat(m, a, &st);
    fuse_reply_attr(req, &st, m->attr_timeout);
}

void dfs_mount_forget_attrs(struct dfs_mount *m, uint64_t ino)
{
    attr_cache_drop(m->attrs, ino);
    /* offset -1: the attributes only, no page is touched (safe inside a
     * request on the same inode) */
    if (m->se) fuse_lowlevel_notify_inval_inode(m->se, ino, -1, 0);
}

static void ops_init(void *userdata, struct fuse_conn_info *conn)
{
    struct dfs_mount *m = userdata;

    if (conn->capable & FUSE_CAP_READDIRPLUS)
        conn->want |= FUSE_CAP_READDIRPLUS;
    /* Plain readdirplus for every listing: the master returns attributes
     * with names anyway, so adaptive mode would only add getattr calls. */
    conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
    if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
        conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
    if (m->writeback_cache && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
        conn->want |= FUSE_CAP_WRITEBACK_CACHE;
    else
        conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
    conn->max_write = OPS_MAX_WRITE;
    /* The kernel keeps the smaller of this and the device's read-ahead,
     * which main.c raised before INIT (readahead.h). */
    if (m->read_ahead_kb) conn->max_readahead = m->read_ahead_kb * 1024;
    conn->max_background = 64;
    conn->congestion_threshold = 48;
    conn->time_gran = 1;
}

static void ops_statfs(fuse_req_t req, fuse_ino_t ino)
{
    struct dfs_statfs s;
    struct statvfs v;
    int rc = master_statfs(ops_mount(req)->mc, &s);

    (void)ino;
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    memset(&v, 0, sizeof(v));
    v.f_bsize = v.f_frsize = OPS_STATFS_BSIZE;
    v.f_blocks = s.total / OPS_STATFS_BSIZE;
    v.f_bfree = v.f_bavail = s.avail / OPS_STATFS_BSIZE;
    v.f_files = s.files + OPS_STATFS_FREE_INODES;
    v.f_ffree = v.f_favail = OPS_STATFS_FREE_INODES;
    v.f_namemax = DFS_NAME_MAX;
    fuse_reply_statfs(req, &v);
}

const struct fuse_lowlevel_ops dfs_ops = {
    .init = ops_init,
    .lookup = ops_lookup,
    .getattr = ops_getattr,
    .setattr = ops_setattr,
    .readlink = ops_readlink,
    .mknod = ops_mknod,
    .mkdir = ops_mkdir,
    .unlink = ops_unlink,
    .rmdir = ops_rmdir,
    .symlink = ops_symlink,
    .rename = ops_rename,
    .link = ops_link,
    .open = ops_open,
    .read = ops_read,
    .write = ops_write,
    .flush = ops_flush,
    .release = ops_release,
    .fsync = ops_fsync,
    .readdir = ops_readdir,
    .fsyncdir = ops_fsyncdir,
    .statfs = ops_statfs,
    .create = ops_create,
    .readdirplus = ops_readdirplus,
};
