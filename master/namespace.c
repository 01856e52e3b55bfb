/*
 * namespace.c - directories, names and attributes (the meta_* namespace
 * calls of meta.h) over the inodes and dentries tables.
 *
 * POSIX semantics the FUSE driver relies on are decided here, once:
 * which errno each failure gives, how nlink counts (a directory has 2 +
 * its subdirectories, a file one per name), that an inode and its chunk
 * map go away when the last name does, and that a change to a directory's
 * entries updates its mtime and ctime.  Each mutating call runs in one
 * transaction (meta_tx_begin / meta_tx_end), so a failure part way leaves
 * nothing behind.
 */
#include <errno.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meta_sqlite.h"

#define ROOT_INO 1
#define TYPE_BITS S_IFMT
#define PERM_BITS 07777

struct dentry {
    int64_t id; /* row id = readdir cookie */
    uint64_t ino;
};

static int name_check(const char *name)
{
    if (strnlen(name, DFS_NAME_MAX + 1) > DFS_NAME_MAX) return -ENAMETOOLONG;
    return meta_name_valid(name) ? 0 : -EINVAL;
}

/* Attr of ino, which must be a directory. */
static int dir_get(struct meta *m, uint64_t ino, struct dfs_attr *a)
{
    int rc = meta_inode_get(m, ino, a);
    if (rc == 0 && !S_ISDIR(a->mode)) rc = -ENOTDIR;
    return rc;
}

static int dentry_find(struct meta *m, uint64_t parent, const char *name,
                       struct dentry *d)
{
    sqlite3_stmt *st = meta_stmt(
        m, "SELECT id, ino FROM dentries WHERE parent = ? AND name = ?");
    sqlite3_bind_int64(st, 1, (int64_t)parent);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int rc = meta_step_row(m, st);
    if (rc <= 0) return rc == 0 ? -ENOENT : rc;
    d->id = sqlite3_column_int64(st, 0);
    d->ino = (uint64_t)sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    return 0;
}

/* 0 if parent has no entry called name, -EEXIST if it has. */
static int name_free(struct meta *m, uint64_t parent, const char *name)
{
    struct dentry d;
    int rc = dentry_find(m, parent, name, &d);
    if (rc == 0) return -EEXIST;
    return rc == -ENOENT ? 0 : rc;
}

static int dentry_add(struct meta *m, uint64_t parent, const char *name,
                      uint64_t ino)
{
    sqlite3_stmt *st = meta_stmt(
        m, "INSERT INTO dentries(parent, name, ino) VALUES (?, ?, ?)");
    sqlite3_bind_int64(st, 1, (int64_t)parent);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)ino);
    return meta_exec(m, st);
}

static int dentry_del(struct meta *m, int64_t id)
{
    sqlite3_stmt *st = meta_stmt(m, "DELETE FROM dentries WHERE id = ?");
    sqlite3_bind_int64(st, 1, id);
    return meta_exec(m, st);
}

/* A new inode row: the next number, or n->ino (reserved by the client)
 * when set; times are now, or n->time_ns when set. */
static int inode_add(struct meta *m, const struct meta_new_inode *n,
                     uint64_t *ino)
{
    int64_t now = n->time_ns ? n->time_ns : meta_now_ns();
    sqlite3_stmt *st = meta_stmt(
        m, "INSERT INTO inodes(ino, mode, uid, gid, nlink, size, rdev,"
           " atime_ns, mtime_ns, ctime_ns, target)"
           " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (n->ino) sqlite3_bind_int64(st, 1, (int64_t)n->ino);
    sqlite3_bind_int64(st, 2, n->mode);
    sqlite3_bind_int64(st, 3, n->uid);
    sqlite3_bind_int64(st, 4, n->gid);
    sqlite3_bind_int64(st, 5, S_ISDIR(n->mode) ? 2 : 1);
    sqlite3_bind_int64(st, 6, n->target ? (int64_t)strlen(n->target) : 0);
    sqlite3_bind_int64(st, 7, (int64_t)n->rdev);
    sqlite3_bind_int64(st, 8, now);
    sqlite3_bind_int64(st, 9, now);
    sqlite3_bind_int64(st, 10, now);
    if (n->target) sqlite3_bind_text(st, 11, n->target, -1, SQLITE_STATIC);
    int rc = meta_exec(m, st);
    if (rc == 0) *ino = (uint64_t)sqlite3_last_insert_rowid(m->db);
    return rc;
}

/* A directory's entries changed: mtime = ctime = now, nlink += delta
 * (a subdirectory's ".." counts as a link to its parent). */
static int dir_changed_at(struct meta *m, uint64_t dir, int delta,
                          int64_t now)
{
    sqlite3_stmt *st = meta_stmt(
        m, "UPDATE inodes SET nlink = nlink + ?, mtime_ns = ?, ctime_ns = ?"
           " WHERE ino = ?");
    sqlite3_bind_int64(st, 1, delta);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, (int64_t)dir);
    return meta_exec(m, st);
}

static int dir_changed(struct meta *m, uint64_t dir, int delta)
{
    return dir_changed_at(m, dir, delta, meta_now_ns());
}

static int inode_touch_ctime(struct meta *m, uint64_t ino, int nlink_delta)
{
    sqlite3_stmt *st = meta_stmt(
        m, "UPDATE inodes SET nlink = nlink + ?, ctime_ns = ? WHERE ino = ?");
    sqlite3_bind_int64(st, 1, nlink_delta);
    sqlite3_bind_int64(st, 2, meta_now_ns());
    sqlite3_bind_int64(st, 3, (int64_t)ino);
    return meta_exec(m, st);
}

/* One name of inode a is gone: drop a link, and the inode itself (with
 * its chunk map, by cascade) when it was the last one.  A directory has
 * exactly one name. */
static int inode_unref(struct meta *m, const struct dfs_attr *a)
{
    if (!S_ISDIR(a->mode) && a->nlink > 1)
        return inode_touch_ctime(m, a->ino, -1);
    sqlite3_stmt *st = meta_stmt(m, "DELETE FROM inodes WHERE ino = ?");
    sqlite3_bind_int64(st, 1, (int64_t)a->ino);
    m->placement_version++; /* its chunk rows go with it */
    return meta_exec(m, st);
}

/* 0 if directory ino has no entries, -ENOTEMPTY otherwise. */
static int dir_empty(struct meta *m, uint64_t ino)
{
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT 1 FROM dentries WHERE parent = ? LIMIT 1");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    int rc = meta_step_row(m, st);
    if (rc == 1) {
        sqlite3_reset(st);
        return -ENOTEMPTY;
    }
    return rc;
}

/* Remove entry d (whose inode is a) from parent. */
static int entry_remove(struct meta *m, uint64_t parent, const struct dentry *d,
                        const struct dfs_attr *a)
{
    int rc = dentry_del(m, d->id);
    if (rc == 0) rc = inode_unref(m, a);
    if (rc == 0) rc = dir_changed(m, parent, S_ISDIR(a->mode) ? -1 : 0);
    return rc;
}

/* -EINVAL if dir is `of` or one of its ancestors: moving dir under `of`
 * would cut the subtree loose from the root. */
static int not_ancestor(struct meta *m, uint64_t dir, uint64_t of)
{
    uint64_t cur = of;
    while (cur != ROOT_INO) {
        if (cur == dir) return -EINVAL;
        sqlite3_stmt *st =
            meta_stmt(m, "SELECT parent FROM dentries WHERE ino = ? LIMIT 1");
        sqlite3_bind_int64(st, 1, (int64_t)cur);
        int rc = meta_step_row(m, st);
        if (rc <= 0) return rc; /* detached: cannot be under dir */
        cur = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    return dir == ROOT_INO ? -EINVAL : 0;
}

/* ---- creating names ---- */

/* A create of a reserved number that already happened (the client sent
 * it again, not knowing the first one landed) succeeds again. */
static int create_done_before(struct meta *m, uint64_t parent,
                              const struct meta_new_inode *n,
                              struct dfs_attr *out)
{
    struct dentry d;
    if (!n->ino || dentry_find(m, parent, n->name, &d) < 0 || d.ino != n->ino)
        return -EEXIST;
    return meta_inode_get(m, d.ino, out);
}

static int create_locked(struct meta *m, uint64_t parent,
                         const struct meta_new_inode *n, struct dfs_attr *out)
{
    struct dfs_attr pa;
    uint64_t ino = 0;
    int rc = dir_get(m, parent, &pa);
    if (rc == 0) rc = name_free(m, parent, n->name);
    if (rc == -EEXIST) return create_done_before(m, parent, n, out);
    if (rc == 0 && n->ino) rc = meta_ino_take(m, n->ino);
    if (rc == 0) rc = inode_add(m, n, &ino);
    if (rc == 0) rc = dentry_add(m, parent, n->name, ino);
    /* A client that chose the times saw the directory change then. */
    if (rc == 0)
        rc = dir_changed_at(m, parent, S_ISDIR(n->mode) ? 1 : 0,
                            n->time_ns ? n->time_ns : meta_now_ns());
    if (rc == 0) rc = meta_inode_get(m, ino, out);
    return rc;
}

static int create(struct meta *m, uint64_t parent,
                  const struct meta_new_inode *n, struct dfs_attr *out)
{
    int rc = name_check(n->name);
    if (rc == 0) rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    rc = create_locked(m, parent, n, out);
    return meta_tx_end(m, rc);
}

int meta_mknod(struct meta *m, uint64_t parent, const struct meta_new_inode *n,
               struct dfs_attr *out)
{
    struct meta_new_inode node = *n;
    uint32_t type = n->mode & TYPE_BITS;
    if (type == 0) type = S_IFREG; /* as mknod(2) */
    if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK &&
        type != S_IFCHR && type != S_IFBLK)
        return -EINVAL;
    node.mode = type | (n->mode & PERM_BITS);
    node.target = NULL;
    return create(m, parent, &node, out);
}

int meta_mkdir(struct meta *m, uint64_t parent, const char *name, uint32_t mode,
               uint32_t uid, uint32_t gid, struct dfs_attr *out)
{
    struct meta_new_inode n = {.name = name,
                               .mode = S_IFDIR | (mode & PERM_BITS),
                               .uid = uid,
                               .gid = gid};
    return create(m, parent, &n, out);
}

int meta_symlink(struct meta *m, uint64_t parent, const char *name,
                 const char *target, uint32_t uid, uint32_t gid,
                 struct dfs_attr *out)
{
    size_t len = strnlen(target, DFS_SYMLINK_MAX + 1);
    if (len == 0) return -EINVAL;
    if (len > DFS_SYMLINK_MAX) return -ENAMETOOLONG;
    struct meta_new_inode n = {.name = name,
                               .mode = S_IFLNK | 0777,
                               .uid = uid,
                               .gid = gid,
                               .target = target};
    return create(m, parent, &n, out);
}

static int link_locked(struct meta *m, uint64_t ino, uint64_t newparent,
                       const char *newname, struct dfs_attr *out)
{
    struct dfs_attr a, pa;
    int rc = meta_inode_get(m, ino, &a);
    if (rc == 0 && S_ISDIR(a.mode)) rc = -EPERM; /* link(2) on a directory */
    if (rc == 0) rc = dir_get(m, newparent, &pa);
    if (rc == 0) rc = name_free(m, newparent, newname);
    if (rc == 0) rc = dentry_add(m, newparent, newname, ino);
    if (rc == 0) rc = inode_touch_ctime(m, ino, +1);
    if (rc == 0) rc = dir_changed(m, newparent, 0);
    if (rc == 0) rc = meta_inode_get(m, ino, out);
    return rc;
}

int meta_link(struct meta *m, uint64_t ino, uint64_t newparent,
              const char *newname, struct dfs_attr *out)
{
    int rc = name_check(newname);
    if (rc == 0) rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, link_locked(m, ino, newparent, newname, out));
}

/* ---- removing names ---- */

/* want_dir: rmdir (true) or unlink (false). */
static int remove_locked(struct meta *m, uint64_t parent, const char *name,
                         bool want_dir)
{
    struct dfs_attr pa, a;
    struct dentry d;
    int rc = dir_get(m, parent, &pa);
    if (rc == 0) rc = dentry_find(m, parent, name, &d);
    if (rc == 0) rc = meta_inode_get(m, d.ino, &a);
    if (rc == 0 && want_dir && !S_ISDIR(a.mode)) rc = -ENOTDIR;
    if (rc == 0 && !want_dir && S_ISDIR(a.mode)) rc = -EISDIR;
    if (rc == 0 && want_dir) rc = dir_empty(m, a.ino);
    if (rc == 0) rc = entry_remove(m, parent, &d, &a);
    return rc;
}

static int remove_name(struct meta *m, uint64_t parent, const char *name,
                       bool want_dir)
{
    int rc = name_check(name);
    if (rc == 0) rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, remove_locked(m, parent, name, want_dir));
}

int meta_unlink(struct meta *m, uint64_t parent, const char *name)
{
    return remove_name(m, parent, name, false);
}

int meta_rmdir(struct meta *m, uint64_t parent, const char *name)
{
    return remove_name(m, parent, name, true);
}

/* ---- rename ---- */

struct rename_side {
    uint64_t dir;
    struct dentry d;
    struct dfs_attr a;
    bool exists;
};

/* Load one side of a rename.  The directory must exist; a missing name
 * is -ENOENT only when must_exist (the source). */
static int side_load(struct meta *m, uint64_t dir, const char *name,
                     bool must_exist, struct rename_side *s)
{
    struct dfs_attr da;
    s->dir = dir;
    s->exists = false;
    int rc = dir_get(m, dir, &da);
    if (rc < 0) return rc;
    rc = dentry_find(m, dir, name, &s->d);
    if (rc == -ENOENT && !must_exist) return 0;
    if (rc == 0) rc = meta_inode_get(m, s->d.ino, &s->a);
    s->exists = rc == 0;
    return rc;
}

static int dentry_set_ino(struct meta *m, int64_t id, uint64_t ino)
{
    sqlite3_stmt *st = meta_stmt(m, "UPDATE dentries SET ino = ? WHERE id = ?");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    sqlite3_bind_int64(st, 2, id);
    return meta_exec(m, st);
}

/* Both parents changed; a directory moving from one to the other takes
 * its ".." link along. */
static int parents_changed(struct meta *m, uint64_t from, uint64_t to,
                           int dirs_moved)
{
    if (from == to) return dir_changed(m, from, 0);
    int rc = dir_changed(m, from, -dirs_moved);
    if (rc == 0) rc = dir_changed(m, to, dirs_moved);
    return rc;
}

static int rename_exchange(struct meta *m, struct rename_side *src,
                           struct rename_side *dst)
{
    if (src->d.id == dst->d.id) return 0;
    int rc = 0;
    if (src->dir != dst->dir && S_ISDIR(src->a.mode))
        rc = not_ancestor(m, src->a.ino, dst->dir);
    if (rc == 0 && src->dir != dst->dir && S_ISDIR(dst->a.mode))
        rc = not_ancestor(m, dst->a.ino, src->dir);
    if (rc == 0) rc = dentry_set_ino(m, src->d.id, dst->a.ino);
    if (rc == 0) rc = dentry_set_ino(m, dst->d.id, src->a.ino);
    int moved = (S_ISDIR(src->a.mode) ? 1 : 0) - (S_ISDIR(dst->a.mode) ? 1 : 0);
    if (rc == 0) rc = parents_changed(m, src->dir, dst->dir, moved);
    if (rc == 0) rc = inode_touch_ctime(m, src->a.ino, 0);
    if (rc == 0) rc = inode_touch_ctime(m, dst->a.ino, 0);
    return rc;
}

/* The target exists and will be replaced: check the kinds match. */
static int replace_check(struct meta *m, const struct rename_side *src,
                         const struct rename_side *dst)
{
    bool sdir = S_ISDIR(src->a.mode), ddir = S_ISDIR(dst->a.mode);
    if (sdir && !ddir) return -ENOTDIR;
    if (!sdir && ddir) return -EISDIR;
    return ddir ? dir_empty(m, dst->a.ino) : 0;
}

static int rename_move(struct meta *m, struct rename_side *src,
                       struct rename_side *dst, const char *newname)
{
    bool sdir = S_ISDIR(src->a.mode);
    int rc = 0;
    if (sdir && src->dir != dst->dir)
        rc = not_ancestor(m, src->a.ino, dst->dir);
    if (rc == 0 && dst->exists) {
        /* Same entry, or two names of one file: POSIX says do nothing. */
        if (src->d.id == dst->d.id || src->a.ino == dst->a.ino) return 0;
        rc = replace_check(m, src, dst);
        if (rc == 0) rc = entry_remove(m, dst->dir, &dst->d, &dst->a);
    }
    if (rc < 0) return rc;
    /* Keep the dentry row (and so its cookie); only its place changes. */
    sqlite3_stmt *st =
        meta_stmt(m, "UPDATE dentries SET parent = ?, name = ? WHERE id = ?");
    sqlite3_bind_int64(st, 1, (int64_t)dst->dir);
    sqlite3_bind_text(st, 2, newname, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, src->d.id);
    rc = meta_exec(m, st);
    if (rc == 0) rc = parents_changed(m, src->dir, dst->dir, sdir ? 1 : 0);
    if (rc == 0) rc = inode_touch_ctime(m, src->a.ino, 0);
    return rc;
}

static int rename_locked(struct meta *m, uint64_t parent, const char *name,
                         uint64_t newparent, const char *newname,
                         unsigned flags)
{
    struct rename_side src, dst;
    int rc = side_load(m, parent, name, true, &src);
    if (rc == 0) rc = side_load(m, newparent, newname, false, &dst);
    if (rc < 0) return rc;
    if (!dst.exists && (flags & RENAME_EXCHANGE)) return -ENOENT;
    if (flags & RENAME_EXCHANGE) return rename_exchange(m, &src, &dst);
    if (dst.exists && (flags & RENAME_NOREPLACE)) return -EEXIST;
    return rename_move(m, &src, &dst, newname);
}

int meta_rename(struct meta *m, uint64_t parent, const char *name,
                uint64_t newparent, const char *newname, unsigned flags)
{
    if ((flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
        flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
        return -EINVAL;
    int rc = name_check(name);
    if (rc == 0) rc = name_check(newname);
    if (rc == 0) rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    rc = rename_locked(m, parent, name, newparent, newname, flags);
    return meta_tx_end(m, rc);
}

/* ---- reading ---- */

int meta_getattr(struct meta *m, uint64_t ino, struct dfs_attr *out)
{
    meta_lock(m);
    int rc = meta_inode_get(m, ino, out);
    meta_unlock(m);
    return rc;
}

int meta_lookup(struct meta *m, uint64_t parent, const char *name,
                struct dfs_attr *out)
{
    struct dfs_attr pa;
    struct dentry d;
    int rc = name_check(name);
    if (rc < 0) return rc;
    meta_lock(m);
    rc = dir_get(m, parent, &pa);
    if (rc == 0) rc = dentry_find(m, parent, name, &d);
    if (rc == 0) rc = meta_inode_get(m, d.ino, out);
    meta_unlock(m);
    return rc;
}

int meta_readlink(struct meta *m, uint64_t ino, char **target)
{
    meta_lock(m);
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT mode, target FROM inodes WHERE ino = ?");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    int rc = meta_step_row(m, st);
    if (rc == 1) {
        const char *t = (const char *)sqlite3_column_text(st, 1);
        if (!S_ISLNK((uint32_t)sqlite3_column_int64(st, 0)) || !t)
            rc = -EINVAL;
        else if (!(*target = strdup(t)))
            rc = -ENOMEM;
        else
            rc = 0;
        sqlite3_reset(st);
    } else if (rc == 0) {
        rc = -ENOENT;
    }
    meta_unlock(m);
    return rc;
}

static int readdir_locked(struct meta *m, uint64_t ino, uint64_t cookie,
                          uint32_t limit, struct dfs_dirent *ents, size_t *n,
                          bool *eof)
{
    struct dfs_attr da;
    int rc = dir_get(m, ino, &da);
    if (rc < 0) return rc;
    /* One row more than asked tells whether the listing is complete. */
    sqlite3_stmt *st =
        meta_stmt(m, "SELECT d.id, d.name, " META_ATTR_COLS " FROM dentries d"
                     " JOIN inodes i ON i.ino = d.ino"
                     " WHERE d.parent = ? AND d.id > ? ORDER BY d.id LIMIT ?");
    sqlite3_bind_int64(st, 1, (int64_t)ino);
    sqlite3_bind_int64(st, 2, cookie > INT64_MAX ? INT64_MAX : (int64_t)cookie);
    sqlite3_bind_int64(st, 3, (int64_t)limit + 1);
    *n = 0;
    *eof = true;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == limit) {
            *eof = false;
            break;
        }
        struct dfs_dirent *e = &ents[(*n)++];
        e->cookie = (uint64_t)sqlite3_column_int64(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
        meta_attr_from_row(st, 2, &e->attr);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return meta_errno(m, rc, "readdir");
    return 0;
}

int meta_readdir(struct meta *m, uint64_t ino, uint64_t cookie, uint32_t limit,
                 struct dfs_dirent **ents, size_t *n, bool *eof)
{
    if (limit == 0 || limit > DFS_READDIR_LIMIT_MAX)
        limit = DFS_READDIR_LIMIT_MAX;
    *ents = calloc(limit, sizeof(**ents));
    if (!*ents) return -ENOMEM;
    meta_lock(m);
    int rc = readdir_locked(m, ino, cookie, limit, *ents, n, eof);
    meta_unlock(m);
    if (rc < 0) {
        free(*ents);
        *ents = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- setattr ---- */

static int setattr_locked(struct meta *m, uint64_t ino,
                          const struct dfs_setattr *s, struct dfs_attr *out)
{
    struct dfs_attr a;
    int rc = meta_inode_get(m, ino, &a);
    if (rc < 0) return rc;
    if ((s->set & DFS_SET_SIZE) && !S_ISREG(a.mode))
        return S_ISDIR(a.mode) ? -EISDIR : -EINVAL;
    meta_attr_apply_setattr(&a, s, meta_now_ns());
    sqlite3_stmt *st =
        meta_stmt(m, "UPDATE inodes SET mode = ?, uid = ?, gid = ?, size = ?,"
                     " atime_ns = ?, mtime_ns = ?, ctime_ns = ? WHERE ino = ?");
    sqlite3_bind_int64(st, 1, a.mode);
    sqlite3_bind_int64(st, 2, a.uid);
    sqlite3_bind_int64(st, 3, a.gid);
    sqlite3_bind_int64(st, 4, (int64_t)a.size);
    sqlite3_bind_int64(st, 5, a.atime_ns);
    sqlite3_bind_int64(st, 6, a.mtime_ns);
    sqlite3_bind_int64(st, 7, a.ctime_ns);
    sqlite3_bind_int64(st, 8, (int64_t)ino);
    rc = meta_exec(m, st);
    if (rc == 0 && (s->set & DFS_SET_SIZE))
        rc = meta_chunks_cut(m, ino, a.size);
    if (rc == 0) *out = a;
    return rc;
}

int meta_setattr(struct meta *m, uint64_t ino, const struct dfs_setattr *s,
                 struct dfs_attr *out)
{
    if ((s->set & DFS_SET_SIZE) && s->size > INT64_MAX) return -EFBIG;
    int rc = meta_tx_begin(m);
    if (rc < 0) return rc;
    return meta_tx_end(m, setattr_locked(m, ino, s, out));
}
