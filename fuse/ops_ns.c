/*
 * ops_ns.c - FUSE handlers for names and attributes.
 *
 * Each is one master call.  Permissions are the kernel's job
 * (default_permissions is always on), so requests carry the caller's
 * uid/gid only for ownership of what they create.  setattr first commits
 * our own buffered writes to the file: otherwise a later commit at close
 * would stamp a new mtime over the one `cp -p` or `touch -d` just set.
 *
 * Attributes the master returns go into the mount's attr cache, so the
 * GETATTR the kernel sends after it changed an inode through us is
 * answered locally.  A missing name is answered as a negative entry
 * (inode 0) that the kernel keeps for entry_timeout, like a positive one.
 * In a directory the dir cache knows whole (made or listed within
 * entry_timeout) a missing name is answered without asking, and so is a
 * name it holds whose inode's attributes the attr cache has; every change
 * of a name is reported to that cache once the master has answered.
 */
#include "ops.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attr_cache.h"
#include "dir_cache.h"
#include "log.h"
#include "open_table.h"
#include "setattr_behind.h"
#include "truncate.h"

/* Every name of dir from the master into l, page by page, and their
 * attributes into the attr cache, as readdirplus puts them. */
int ops_list_dir(struct dfs_mount *m, uint64_t dir,
                 struct dir_cache_listing *l)
{
    uint64_t cookie = 0, version = attr_cache_version(m->attrs);

    for (;;) {
        struct dfs_dirent *ents;
        size_t n, i;
        bool eof;
        int rc = master_readdir(m->mc, dir, cookie, DFS_READDIR_LIMIT_MAX,
                                &ents, &n, &eof);
        if (rc < 0) return rc;
        for (i = 0; i < n && rc == 0; i++) {
            rc = dir_cache_listing_add(l, ents[i].name, ents[i].attr.ino);
            attr_cache_put_read(m->attrs, &ents[i].attr, version);
        }
        if (n > 0) cookie = ents[n - 1].cookie;
        free(ents);
        if (rc < 0 || eof || n == 0) return rc;
    }
}

/* What the dir cache knows of name in dir (ABSENT, PRESENT as *ino, or
 * ASK); *ttl_s is how long the kernel may keep the answer.  Lists dir
 * first when it is worth it. */
static enum dir_cache_answer dirs_answer(struct dfs_mount *m, uint64_t dir,
                                         const char *name, double *ttl_s,
                                         uint64_t *ino)
{
    struct dir_cache_listing *l = NULL;
    enum dir_cache_answer ans =
        dir_cache_lookup(m->dirs, dir, name, ttl_s, ino, &l);

    if (ans == DIR_CACHE_REFRESH) {
        dir_cache_listing_end(m->dirs, l, ops_list_dir(m, dir, l));
        ans = dir_cache_lookup(m->dirs, dir, name, ttl_s, ino, NULL);
    }
    return ans;
}

/* A name the dir cache holds, answered with the attributes the mount
 * holds for its inode (a listing's, or a change's).  False: ask. */
static bool reply_present(fuse_req_t req, uint64_t ino, double ttl_s)
{
    struct dfs_mount *m = ops_mount(req);
    struct fuse_entry_param e;
    struct dfs_attr a;

    if (!attr_cache_get(m->attrs, ino, &a)) return false;
    ops_fill_entry(m, &a, &e);
    e.entry_timeout = ttl_s;
    fuse_reply_entry(req, &e);
    return true;
}

static void reply_negative(fuse_req_t req, double ttl_s)
{
    struct fuse_entry_param e = {.ino = 0, .entry_timeout = ttl_s};
    fuse_reply_entry(req, &e);
}

void ops_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct dfs_mount *m = ops_mount(req);
    uint64_t version, ino = 0;
    struct dfs_attr a;
    double ttl_s;
    int rc;

    switch (dirs_answer(m, parent, name, &ttl_s, &ino)) {
    case DIR_CACHE_ABSENT:
        return reply_negative(req, ttl_s);
    case DIR_CACHE_PRESENT:
        if (reply_present(req, ino, ttl_s)) return;
        break;
    default:
        break;
    }
    version = attr_cache_version(m->attrs);
    rc = master_lookup(m->mc, parent, name, &a);
    if (rc == 0 || rc == -ENOENT)
        dir_cache_saw(m->dirs, parent, name, rc == 0, rc == 0 ? a.ino : 0);
    if (rc == -ENOENT && m->entry_timeout > 0)
        return reply_negative(req, m->entry_timeout);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    attr_cache_put_read(m->attrs, &a, version);
    ops_reply_entry(req, &a);
}

void ops_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct dfs_mount *m = ops_mount(req);
    uint64_t version = attr_cache_version(m->attrs);
    struct dfs_attr a;
    int rc = 0;

    (void)fi;
    if (!attr_cache_get(m->attrs, ino, &a)) {
        rc = master_getattr(m->mc, ino, &a);
        if (rc == 0) attr_cache_put_read(m->attrs, &a, version);
    }
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    ops_reply_attr(req, &a);
}

void ops_dirs_added(struct dfs_mount *m, uint64_t dir, const char *name,
                    int rc, uint64_t ino)
{
    if (rc == 0)
        dir_cache_added(m->dirs, dir, name, ino);
    else if (rc == -EEXIST) /* the master's word that the name is there */
        dir_cache_saw(m->dirs, dir, name, true, 0);
    else
        dir_cache_failed(m->dirs, dir, rc);
}

static void dirs_removed(struct dfs_mount *m, uint64_t dir, const char *name,
                         int rc)
{
    if (rc == 0)
        dir_cache_removed(m->dirs, dir, name);
    else if (rc == -ENOENT)
        dir_cache_saw(m->dirs, dir, name, false, 0);
    else
        dir_cache_failed(m->dirs, dir, rc);
}

/* A name was added to parent for the inode a (just created or linked). */
static void reply_added(fuse_req_t req, fuse_ino_t parent,
                        const struct dfs_attr *a)
{
    struct dfs_mount *m = ops_mount(req);
    attr_cache_put(m->attrs, a);
    attr_cache_dir_added(m->attrs, parent, a->ctime_ns,
                         S_ISDIR(a->mode) ? 1 : 0);
    ops_reply_entry(req, a);
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

/* A chmod/chown to what the inode already is, by fresh attributes:
 * rsync does one on every temp file it has just created (fchmod 0600).
 * Answered without a round trip; the only thing skipped is the ctime
 * bump, which the commit at close makes anyway. */
static bool setattr_is_noop(struct dfs_mount *m, fuse_ino_t ino,
                            const struct stat *attr, int to_set,
                            struct dfs_attr *a)
{
    const int owner = FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
                      FUSE_SET_ATTR_GID;

    if (to_set == 0 || (to_set & ~owner) || !attr_cache_get(m->attrs, ino, a))
        return false;
    if ((to_set & FUSE_SET_ATTR_MODE) &&
        (attr->st_mode & 07777) != (a->mode & 07777))
        return false;
    if ((to_set & FUSE_SET_ATTR_UID) && attr->st_uid != a->uid) return false;
    if ((to_set & FUSE_SET_ATTR_GID) && attr->st_gid != a->gid) return false;
    return true;
}

/* A change of mode, owner or times answered now and sent behind
 * (setattr_behind.h), when the mount holds the inode's attributes. */
static bool setattr_queued(struct dfs_mount *m, fuse_ino_t ino,
                           const struct dfs_setattr *s, struct dfs_attr *a)
{
    struct timespec now;

    if (!m->behind || !setattr_behind_accepts(s->set) ||
        !attr_cache_get(m->attrs, ino, a) ||
        setattr_behind_add(m->behind, ino, s) < 0)
        return false;
    /* the reply to the kernel while the change waits in the queue */
    clock_gettime(CLOCK_REALTIME, &now);
    meta_attr_apply_setattr(a, s, ts_ns(&now));
    attr_cache_put(m->attrs, a);
    return true;
}

void ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                 struct fuse_file_info *fi)
{
    struct dfs_mount *m = ops_mount(req);
    struct dfs_setattr s = {0};
    struct dfs_attr a;
    int rc;

    if (setattr_is_noop(m, ino, attr, to_set, &a))
        return ops_reply_attr(req, &a);
    (void)fi; /* every open handle of ino is flushed, fi's included */
    if (to_set & FUSE_SET_ATTR_SIZE) {
        rc = truncate_file(m, ino, (uint64_t)attr->st_size, &a);
    } else {
        rc = truncate_flush_open(m, ino) < 0 ? -EIO : 0;
    }
    setattr_fields(attr, to_set, &s);
    if (rc == 0 && !(to_set & FUSE_SET_ATTR_SIZE) &&
        setattr_queued(m, ino, &s, &a))
        return ops_reply_attr(req, &a);
    if (rc == 0 && (s.set != 0 || !(to_set & FUSE_SET_ATTR_SIZE)))
        rc = master_setattr(m->mc, ino, &s, &a);
    if (rc < 0) { /* a part may have happened: ask the master next time */
        attr_cache_drop(m->attrs, ino);
        return (void)fuse_reply_err(req, -rc);
    }
    attr_cache_put(m->attrs, &a);
    ops_reply_attr(req, &a);
}

void ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
               dev_t rdev)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct dfs_attr a;
    struct dfs_mount *m = ops_mount(req);
    int rc =
        master_mknod(m->mc, parent, name, mode, ctx->uid, ctx->gid, rdev, &a);
    ops_dirs_added(m, parent, name, rc, rc == 0 ? a.ino : 0);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    reply_added(req, parent, &a);
}

void ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct dfs_attr a;
    struct dfs_mount *m = ops_mount(req);
    int64_t stamp = dir_cache_stamp(m->dirs);
    int rc = master_mkdir(m->mc, parent, name, mode | S_IFDIR, ctx->uid,
                          ctx->gid, &a);
    ops_dirs_added(m, parent, name, rc, rc == 0 ? a.ino : 0);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    dir_cache_made(m->dirs, a.ino, stamp); /* empty since before the call */
    reply_added(req, parent, &a);
}

void ops_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
                 const char *name)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct dfs_attr a;
    struct dfs_mount *m = ops_mount(req);
    int rc = master_symlink(m->mc, parent, name, link, ctx->uid, ctx->gid, &a);
    ops_dirs_added(m, parent, name, rc, rc == 0 ? a.ino : 0);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    reply_added(req, parent, &a);
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
    struct dfs_mount *m = ops_mount(req);
    int rc = master_link(m->mc, ino, newparent, newname, &a);
    ops_dirs_added(m, newparent, newname, rc, rc == 0 ? a.ino : 0);
    if (rc < 0) return (void)fuse_reply_err(req, -rc);
    reply_added(req, newparent, &a);
}

/* unlink, rmdir and rename change inodes we cannot name (the one that
 * lost a link, the one moved): forget every cached attribute, then keep
 * the changed directories' new ones, which the master sends back, for
 * the GETATTR the kernel asks next. */
static void attrs_changed(struct dfs_mount *m,
                          const struct dfs_changed_dirs *dirs)
{
    attr_cache_clear(m->attrs);
    for (size_t i = 0; i < dirs->n; i++)
        attr_cache_put(m->attrs, &dirs->attr[i]);
}

/* The name a file open here lives on under once its last name is gone. */
static void hidden_name(struct open_hidden *h, uint64_t ino)
{
    snprintf(h->name, sizeof(h->name), ".dfs-unlinked-%llx-%08lx",
             (unsigned long long)ino, random());
}

/* A file that loses its last name while open here must still read and
 * write through its open descriptors until they close (tmpfile(3) relies
 * on it); the master would delete it at once.  So, as NFS clients do,
 * such an unlink renames it to a hidden name, removed at the last close.
 * True with *rc = 0 when it did; false: unlink as usual (also when the
 * rename failed, so unlink's own error is what the caller sees). */
static bool hide_if_open(struct dfs_mount *m, uint64_t parent,
                         const char *name, int *rc)
{
    struct dfs_changed_dirs dirs = {.n = 0};
    struct open_hidden h = {.parent = parent};
    struct dfs_attr a;

    if (open_table_empty(m->open) ||
        master_lookup(m->mc, parent, name, &a) < 0 || !S_ISREG(a.mode) ||
        a.nlink > 1 || !open_table_has(m->open, a.ino))
        return false;
    hidden_name(&h, a.ino);
    *rc = master_rename(m->mc, parent, name, parent, h.name,
                        RENAME_NOREPLACE, &dirs);
    attrs_changed(m, &dirs);
    if (*rc < 0) {
        dir_cache_forget(m->dirs, parent);
        return false;
    }
    dirs_removed(m, parent, name, 0);
    dir_cache_added(m->dirs, parent, h.name, a.ino);
    /* closed meanwhile: nobody will come back for the hidden name */
    if (!open_table_hide(m->open, a.ino, &h)) ops_unlink_hidden(m, &h);
    return true;
}

void ops_unlink_hidden(struct dfs_mount *m, const struct open_hidden *h)
{
    struct dfs_changed_dirs dirs = {.n = 0};
    int rc = master_unlink(m->mc, h->parent, h->name, &dirs);

    attrs_changed(m, &dirs);
    dirs_removed(m, h->parent, h->name, rc);
    if (rc < 0 && rc != -ENOENT)
        log_error("cannot remove %s (a file unlinked while open): %s",
                  h->name, strerror(-rc));
}

/* unlink (dir false) or rmdir (dir true) */
static void remove_name(fuse_req_t req, fuse_ino_t parent, const char *name,
                        bool dir)
{
    struct dfs_mount *m = ops_mount(req);
    struct dfs_changed_dirs dirs = {.n = 0};
    int rc;

    if (!dir && hide_if_open(m, parent, name, &rc))
        return (void)fuse_reply_err(req, -rc);
    rc = dir ? master_rmdir(m->mc, parent, name, &dirs)
             : master_unlink(m->mc, parent, name, &dirs);
    attrs_changed(m, &dirs);
    dirs_removed(m, parent, name, rc);
    fuse_reply_err(req, -rc);
}

void ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    remove_name(req, parent, name, false);
}

void ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    remove_name(req, parent, name, true);
}

/* An exchange leaves both names in place.  A failed rename other than
 * "target exists" drops both directories: a retried rename that had in
 * fact happened comes back ENOENT, and the target's set would miss it.
 * (A rename between two names of one file changes nothing, but the
 * kernel never sends one unless another client linked them, unseen; the
 * set then errs only until its next listing, entry_timeout at most.) */
static void dirs_renamed(struct dfs_mount *m, uint64_t parent, const char *name,
                         uint64_t newparent, const char *newname,
                         unsigned flags, int rc)
{
    if (rc == 0 && (flags & RENAME_EXCHANGE)) {
        /* both names stay, each now naming the other's inode */
        dir_cache_added(m->dirs, parent, name, 0);
        dir_cache_added(m->dirs, newparent, newname, 0);
    } else if (rc == 0) {
        dir_cache_removed(m->dirs, parent, name);
        dir_cache_added(m->dirs, newparent, newname, 0);
    } else if (rc == -EEXIST) {
        dir_cache_saw(m->dirs, newparent, newname, true, 0);
    } else if (rc < 0) {
        dir_cache_forget(m->dirs, parent);
        dir_cache_forget(m->dirs, newparent);
    }
}

/* The file a plain rename to newparent/newname would replace, when it is
 * open here (and this is its last name). */
static bool replaces_open(struct dfs_mount *m, uint64_t newparent,
                          const char *newname, unsigned flags,
                          struct dfs_attr *a)
{
    return flags == 0 && !open_table_empty(m->open) &&
           master_lookup(m->mc, newparent, newname, a) == 0 &&
           S_ISREG(a->mode) && a->nlink == 1 &&
           open_table_has(m->open, a->ino);
}

/* rename over a file open here, which must keep working through its
 * descriptors as after an unlink (an editor saving over a file a reader
 * holds, a log rotated under its writer): the target first moves to a
 * hidden name, then the rename, in one batch, so that no other client's
 * call comes between the two (the master runs a request's ops back to
 * back).  -ENOSYS from a master without batches: rename as usual. */
static int rename_over_open(struct dfs_mount *m, uint64_t parent,
                            const char *name, uint64_t newparent,
                            const char *newname, const struct dfs_attr *target)
{
    struct open_hidden h = {.parent = newparent};
    json_object *ops = json_object_new_array(), *results;
    int rc, hidden;

    hidden_name(&h, target->ino);
    json_object_array_add(ops, master_rename_op(newparent, newname, newparent,
                                                h.name, RENAME_NOREPLACE));
    json_object_array_add(
        ops, master_rename_op(parent, name, newparent, newname, 0));
    rc = master_batch(m->mc, ops, &results);
    if (rc < 0) return rc;
    hidden = master_batch_errno(json_object_array_get_idx(results, 0));
    rc = master_batch_errno(json_object_array_get_idx(results, 1));
    json_object_put(results);
    if (hidden < 0) return rc; /* gone meanwhile: a plain rename happened */
    dir_cache_added(m->dirs, newparent, h.name, target->ino);
    if (rc < 0) { /* put the target back under its name */
        struct dfs_changed_dirs dirs = {.n = 0};
        if (master_rename(m->mc, newparent, h.name, newparent, newname,
                          RENAME_NOREPLACE, &dirs) < 0)
            log_error("rename failed, and %s (the file it would have "
                      "replaced) could not get its name back",
                      h.name);
        dir_cache_forget(m->dirs, newparent);
        return rc;
    }
    if (!open_table_hide(m->open, target->ino, &h)) ops_unlink_hidden(m, &h);
    return 0;
}

void ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
                fuse_ino_t newparent, const char *newname, unsigned flags)
{
    struct dfs_mount *m = ops_mount(req);
    struct dfs_changed_dirs dirs = {.n = 0};
    struct dfs_attr target;
    int rc = ops_rename_behind(m, parent, name, newparent, newname, flags);

    if (rc == 0) return (void)fuse_reply_err(req, 0);
    rc = -ENOSYS;
    if (replaces_open(m, newparent, newname, flags, &target))
        rc = rename_over_open(m, parent, name, newparent, newname, &target);
    if (rc == -ENOSYS)
        rc = master_rename(m->mc, parent, name, newparent, newname, flags,
                           &dirs);
    attrs_changed(m, &dirs);
    dirs_renamed(m, parent, name, newparent, newname, flags, rc);
    fuse_reply_err(req, -rc);
}
