/*
 * ops.h - the FUSE low-level handlers of mount.dfs, and what they share.
 *
 * Handlers are split by concern: ops_ns.c (names and attributes),
 * ops_dir.c (directory listing), ops_file.c (open files), ops.c (the
 * table, init, statfs).  Each replies early and uniformly:
 * fuse_reply_err(req, -rc) with the errno the master or a module gave.
 */
#ifndef DFS_FUSE_OPS_H
#define DFS_FUSE_OPS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "dfs_mount.h"
#include "meta_wire.h"

extern const struct fuse_lowlevel_ops dfs_ops;

static inline struct dfs_mount *ops_mount(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

/* struct stat from an attr, with the size of our own unflushed writes. */
void ops_fill_stat(struct dfs_mount *m, const struct dfs_attr *a,
                   struct stat *st);
void ops_fill_entry(struct dfs_mount *m, const struct dfs_attr *a,
                    struct fuse_entry_param *e);
void ops_reply_entry(fuse_req_t req, const struct dfs_attr *a);
void ops_reply_attr(fuse_req_t req, const struct dfs_attr *a);

/* ops_ns.c */
/* Every name of dir from the master into l (a dir cache listing), and
 * their attributes into the attr cache.  0 or -errno. */
struct dir_cache_listing;
int ops_list_dir(struct dfs_mount *m, uint64_t dir,
                 struct dir_cache_listing *l);
/* Tell the dir cache how a master call that adds name to dir ended, and
 * the inode name now is when it succeeded (0: not known). */
void ops_dirs_added(struct dfs_mount *m, uint64_t dir, const char *name,
                    int rc, uint64_t ino);
/* The last handle of a file hidden by unlink-while-open went: remove
 * its hidden name (ops_ns.c). */
struct open_hidden;
struct dfs_file;
void ops_unlink_hidden(struct dfs_mount *m, const struct open_hidden *h);
/* Forget handle fh (release, or an open the kernel gave up on). */
void ops_handle_gone(struct dfs_mount *m, struct dfs_file *fh);
void ops_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);

/* ops_lease.c: names answered under a directory lease (dir_lease.h). */
/* Hold dir's lease with an exact set of its names, if worth it: take it
 * (or keep the one held) and list dir under it. */
void ops_lease_dir(struct dfs_mount *m, uint64_t dir);
/* A rename answered from the exact set of a leased directory and sent
 * behind: 0, or -EAGAIN to ask the master. */
int ops_rename_behind(struct dfs_mount *m, uint64_t parent, const char *name,
                      uint64_t newparent, const char *newname,
                      unsigned flags);
void ops_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                 struct fuse_file_info *fi);
void ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
               dev_t rdev);
void ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
               mode_t mode);
void ops_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
                 const char *name);
void ops_readlink(fuse_req_t req, fuse_ino_t ino);
void ops_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
              const char *newname);
void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
                fuse_ino_t newparent, const char *newname, unsigned flags);

/* ops_dir.c */
void ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                 struct fuse_file_info *fi);
void ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                     struct fuse_file_info *fi);
void ops_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync,
                  struct fuse_file_info *fi);

/* ops_file.c */
void ops_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_create(fuse_req_t req, fuse_ino_t parent, const char *name,
                mode_t mode, struct fuse_file_info *fi);
void ops_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
              struct fuse_file_info *fi);
void ops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
               off_t off, struct fuse_file_info *fi);
void ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
               struct fuse_file_info *fi);
void ops_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

#endif
