/*
 * routes_fs.c - POST /v1/fs/<op>: the namespace and chunk map over HTTP.
 *
 * One handler serves every op: it parses the body, finds the op in the
 * table below, and sends either the op's reply object or the wire error
 * {"error": "ENOENT", "message": ...}.  Each op only decodes its fields
 * (json_util.h checks types and ranges), calls meta.h and encodes the
 * result with meta_wire.h, so the semantics live in one place (meta).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "errname.h"
#include "json_util.h"
#include "leases.h"
#include "log.h"
#include "meta.h"
#include "meta_wire.h"
#include "routes.h"
#include "wire.h"

/* Names longer than DFS_NAME_MAX still decode, so meta can answer
 * ENAMETOOLONG as the kernel expects rather than a generic EINVAL. */
#define NAME_DECODE_MAX 4096
#define TARGET_DECODE_MAX (2 * DFS_SYMLINK_MAX)

/* The call being served: the store, the leases, and who asks. */
struct fs_call {
    struct meta *meta;
    struct leases *leases;
    const char *client; /* DFS_CLIENT_HEADER, or NULL */
};

typedef int (*fs_op_fn)(struct fs_call *c, json_object *in, json_object *out,
                        char *err, size_t errlen);

static void add_attr(json_object *out, const struct dfs_attr *a)
{
    json_object_object_add(out, K_ATTR, meta_attr_to_json(a));
}

static int get_name(json_object *in, const char *key, const char **out,
                    char *err, size_t errlen)
{
    return json_get_string(in, key, NAME_DECODE_MAX, out, err, errlen);
}

static int op_lookup(struct fs_call *c, json_object *in, json_object *out,
                     char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t parent;
    const char *name;
    struct dfs_attr a;
    int rc;
    if ((rc = json_get_u64(in, K_PARENT, &parent, err, errlen)) < 0 ||
        (rc = get_name(in, K_NAME, &name, err, errlen)) < 0)
        return rc;
    rc = meta_lookup(m, parent, name, &a);
    if (rc == -ENOENT)
        snprintf(err, errlen, "no entry '%s' in directory %llu", name,
                 (unsigned long long)parent);
    if (rc == 0) add_attr(out, &a);
    return rc;
}

static int op_getattr(struct fs_call *c, json_object *in, json_object *out,
                      char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t ino;
    struct dfs_attr a;
    int rc = json_get_u64(in, K_INO, &ino, err, errlen);
    if (rc == 0) rc = meta_getattr(m, ino, &a);
    if (rc == 0) add_attr(out, &a);
    return rc;
}

/* The fields named by the set bits must be present. */
static int decode_setattr(json_object *in, struct dfs_setattr *s, char *err,
                          size_t errlen)
{
    int rc = json_get_u32(in, K_SET, &s->set, err, errlen);
    if (rc == 0 && (s->set & DFS_SET_MODE))
        rc = json_get_u32(in, K_MODE, &s->mode, err, errlen);
    if (rc == 0 && (s->set & DFS_SET_UID))
        rc = json_get_u32(in, K_UID, &s->uid, err, errlen);
    if (rc == 0 && (s->set & DFS_SET_GID))
        rc = json_get_u32(in, K_GID, &s->gid, err, errlen);
    if (rc == 0 && (s->set & DFS_SET_SIZE))
        rc = json_get_u64(in, K_SIZE, &s->size, err, errlen);
    if (rc == 0 && (s->set & DFS_SET_ATIME))
        rc = json_get_i64(in, K_ATIME, &s->atime_ns, err, errlen);
    if (rc == 0 && (s->set & DFS_SET_MTIME))
        rc = json_get_i64(in, K_MTIME, &s->mtime_ns, err, errlen);
    return rc;
}

static int op_setattr(struct fs_call *c, json_object *in, json_object *out,
                      char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t ino;
    struct dfs_setattr s = {0};
    struct dfs_attr a;
    int rc = json_get_u64(in, K_INO, &ino, err, errlen);
    if (rc == 0) rc = decode_setattr(in, &s, err, errlen);
    if (rc == 0) rc = meta_setattr(m, ino, &s, &a);
    if (rc == 0) add_attr(out, &a);
    return rc;
}

/* parent, name, uid, gid: common to every create. */
struct create_args {
    uint64_t parent;
    const char *name;
    uint32_t uid, gid;
};

static int decode_create(json_object *in, struct create_args *c, char *err,
                         size_t errlen)
{
    int rc;
    if ((rc = json_get_u64(in, K_PARENT, &c->parent, err, errlen)) < 0 ||
        (rc = get_name(in, K_NAME, &c->name, err, errlen)) < 0 ||
        (rc = json_get_u32(in, K_UID, &c->uid, err, errlen)) < 0 ||
        (rc = json_get_u32(in, K_GID, &c->gid, err, errlen)) < 0)
        return rc;
    return 0;
}

/* Optional: a number the client reserved, and the times it chose. */
static int decode_reserved(json_object *in, struct meta_new_inode *n,
                           char *err, size_t errlen)
{
    uint64_t t = 0;
    bool has_ino, has_time;
    int rc = json_opt_u64(in, K_INO, &n->ino, &has_ino, err, errlen);
    if (rc == 0) rc = json_opt_u64(in, K_TIME, &t, &has_time, err, errlen);
    if (rc == 0 && (t > INT64_MAX || (has_ino && n->ino == 0))) {
        snprintf(err, errlen, "'%s' or '%s' out of range", K_INO, K_TIME);
        rc = -EINVAL;
    }
    n->time_ns = (int64_t)t;
    return rc;
}

static int op_mknod(struct fs_call *c, json_object *in, json_object *out,
                    char *err, size_t errlen)
{
    struct meta *m = c->meta;
    struct create_args ca;
    struct meta_new_inode n = {0};
    bool has_rdev;
    struct dfs_attr a;
    int rc = decode_create(in, &ca, err, errlen);
    if (rc == 0) rc = json_get_u32(in, K_MODE, &n.mode, err, errlen);
    if (rc == 0)
        rc = json_opt_u64(in, K_RDEV, &n.rdev, &has_rdev, err, errlen);
    if (rc == 0) rc = decode_reserved(in, &n, err, errlen);
    n.name = ca.name, n.uid = ca.uid, n.gid = ca.gid;
    if (rc == 0) rc = meta_mknod(m, ca.parent, &n, &a);
    if (rc == 0) add_attr(out, &a);
    return rc;
}

static int op_reserve(struct fs_call *c, json_object *in, json_object *out,
                      char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint32_t count;
    uint64_t first;
    int rc = json_get_u32(in, K_COUNT, &count, err, errlen);
    if (rc == 0 && (count == 0 || count > META_INO_RESERVE_MAX)) {
        snprintf(err, errlen, "'%s' must be 1 to %d", K_COUNT,
                 META_INO_RESERVE_MAX);
        rc = -EINVAL;
    }
    if (rc == 0) rc = meta_ino_reserve(m, count, &first);
    if (rc < 0) return rc;
    json_add_u64(out, K_FIRST, first);
    json_add_u64(out, K_COUNT, count);
    return 0;
}

static int op_release(struct fs_call *c, json_object *in, json_object *out,
                      char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t first;
    (void)out;
    int rc = json_get_u64(in, K_FIRST, &first, err, errlen);
    return rc < 0 ? rc : meta_ino_release(m, first);
}

static int op_mkdir(struct fs_call *c, json_object *in, json_object *out,
                    char *err, size_t errlen)
{
    struct meta *m = c->meta;
    struct create_args ca;
    uint32_t mode;
    struct dfs_attr a;
    int rc = decode_create(in, &ca, err, errlen);
    if (rc == 0) rc = json_get_u32(in, K_MODE, &mode, err, errlen);
    if (rc == 0) rc = meta_mkdir(m, ca.parent, ca.name, mode, ca.uid, ca.gid, &a);
    if (rc == 0) add_attr(out, &a);
    return rc;
}

static int op_symlink(struct fs_call *c, json_object *in, json_object *out,
                      char *err, size_t errlen)
{
    struct meta *m = c->meta;
    struct create_args ca;
    const char *target;
    struct dfs_attr a;
    int rc = decode_create(in, &ca, err, errlen);
    if (rc == 0)
        rc = json_get_string(in, K_TARGET, TARGET_DECODE_MAX, &target, err,
                             errlen);
    if (rc == 0)
        rc = meta_symlink(m, ca.parent, ca.name, target, ca.uid, ca.gid, &a);
    if (rc == 0) add_attr(out, &a);
    return rc;
}

static int op_readlink(struct fs_call *c, json_object *in, json_object *out,
                       char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t ino;
    char *target = NULL;
    int rc = json_get_u64(in, K_INO, &ino, err, errlen);
    if (rc == 0) rc = meta_readlink(m, ino, &target);
    if (rc == 0) json_add_string(out, K_TARGET, target);
    free(target);
    return rc;
}

static int op_link(struct fs_call *c, json_object *in, json_object *out,
                   char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t ino, newparent;
    const char *newname;
    struct dfs_attr a;
    int rc;
    if ((rc = json_get_u64(in, K_INO, &ino, err, errlen)) < 0 ||
        (rc = json_get_u64(in, K_NEWPARENT, &newparent, err, errlen)) < 0 ||
        (rc = get_name(in, K_NEWNAME, &newname, err, errlen)) < 0)
        return rc;
    rc = meta_link(m, ino, newparent, newname, &a);
    if (rc == 0) add_attr(out, &a);
    return rc;
}

/* The directories a name change touched, as they are now: the client
 * keeps them, so the GETATTR the kernel sends next costs no round trip. */
static void add_dirs(struct meta *m, json_object *out, uint64_t parent,
                     uint64_t newparent)
{
    json_object *arr = json_object_new_array();
    struct dfs_attr a;

    if (meta_getattr(m, parent, &a) == 0)
        json_object_array_add(arr, meta_attr_to_json(&a));
    if (newparent != parent && meta_getattr(m, newparent, &a) == 0)
        json_object_array_add(arr, meta_attr_to_json(&a));
    json_object_object_add(out, K_DIRS, arr);
}

static int op_remove(struct meta *m, json_object *in, json_object *out,
                     bool dir, char *err, size_t errlen)
{
    uint64_t parent;
    const char *name;
    int rc;
    if ((rc = json_get_u64(in, K_PARENT, &parent, err, errlen)) < 0 ||
        (rc = get_name(in, K_NAME, &name, err, errlen)) < 0)
        return rc;
    rc = dir ? meta_rmdir(m, parent, name) : meta_unlink(m, parent, name);
    if (rc == 0) add_dirs(m, out, parent, parent);
    return rc;
}

static int op_unlink(struct fs_call *c, json_object *in, json_object *out,
                     char *err, size_t errlen)
{
    return op_remove(c->meta, in, out, false, err, errlen);
}

static int op_rmdir(struct fs_call *c, json_object *in, json_object *out,
                    char *err, size_t errlen)
{
    return op_remove(c->meta, in, out, true, err, errlen);
}

static int op_rename(struct fs_call *c, json_object *in, json_object *out,
                     char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t parent, newparent, flags = 0;
    const char *name, *newname;
    bool has_flags;
    int rc;
    if ((rc = json_get_u64(in, K_PARENT, &parent, err, errlen)) < 0 ||
        (rc = get_name(in, K_NAME, &name, err, errlen)) < 0 ||
        (rc = json_get_u64(in, K_NEWPARENT, &newparent, err, errlen)) < 0 ||
        (rc = get_name(in, K_NEWNAME, &newname, err, errlen)) < 0 ||
        (rc = json_opt_u64(in, K_FLAGS, &flags, &has_flags, err, errlen)) < 0)
        return rc;
    if (flags > UINT32_MAX) return -EINVAL;
    rc = meta_rename(m, parent, name, newparent, newname, (unsigned)flags);
    if (rc == 0) add_dirs(m, out, parent, newparent);
    return rc;
}

static int op_readdir(struct fs_call *c, json_object *in, json_object *out,
                      char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t ino, cookie;
    uint32_t limit;
    struct dfs_dirent *ents = NULL;
    size_t n = 0;
    bool eof = true;
    int rc;
    if ((rc = json_get_u64(in, K_INO, &ino, err, errlen)) < 0 ||
        (rc = json_get_u64(in, K_COOKIE, &cookie, err, errlen)) < 0 ||
        (rc = json_get_u32(in, K_LIMIT, &limit, err, errlen)) < 0)
        return rc;
    rc = meta_readdir(m, ino, cookie, limit, &ents, &n, &eof);
    if (rc < 0) return rc;
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, meta_dirent_to_json(&ents[i]));
    json_object_object_add(out, K_ENTRIES, arr);
    json_add_bool(out, K_EOF, eof);
    free(ents);
    return 0;
}

static int op_chunks(struct fs_call *c, json_object *in, json_object *out,
                     char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t ino;
    struct dfs_chunk_map map;
    int rc = json_get_u64(in, K_INO, &ino, err, errlen);
    if (rc == 0) rc = meta_chunks(m, ino, &map);
    if (rc < 0) return rc;
    /* Move the encoded map's fields into the reply object. */
    json_object *o = meta_chunk_map_to_json(&map);
    json_object_object_foreach(o, key, val)
        json_object_object_add(out, key, json_object_get(val));
    json_object_put(o);
    meta_chunk_map_free(&map);
    return 0;
}

static int decode_chunk_refs(json_object *arr, struct dfs_chunk_ref **refs,
                             size_t *n, char *err, size_t errlen)
{
    size_t len = json_object_array_length(arr), cap = 0;

    /* Grow as elements decode, never from the claimed length alone: a
     * 1 MiB body of "[0,0,...]" must not make the master allocate 500 MB. */
    *n = 0;
    *refs = NULL;
    for (size_t i = 0; i < len; i++) {
        if (i == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct dfs_chunk_ref *p = realloc(*refs, ncap * sizeof(*p));
            if (!p) return -ENOMEM;
            *refs = p;
            cap = ncap;
        }
        int rc = meta_chunk_ref_from_json(json_object_array_get_idx(arr, i),
                                          &(*refs)[i], err, errlen);
        if (rc < 0) return rc;
        *n = i + 1;
    }
    return 0;
}

static int op_commit(struct fs_call *c, json_object *in, json_object *out,
                     char *err, size_t errlen)
{
    struct meta *m = c->meta;
    uint64_t ino, size;
    json_object *arr;
    struct dfs_chunk_ref *refs = NULL;
    size_t n = 0;
    struct dfs_attr a;
    int rc;
    if ((rc = json_get_u64(in, K_INO, &ino, err, errlen)) < 0 ||
        (rc = json_get_u64(in, K_SIZE, &size, err, errlen)) < 0 ||
        (rc = json_get_array(in, K_CHUNKS, &arr, err, errlen)) < 0)
        return rc;
    rc = decode_chunk_refs(arr, &refs, &n, err, errlen);
    if (rc == 0) {
        rc = meta_commit(m, ino, size, refs, n, &a);
        if (rc == -EINVAL)
            snprintf(err, errlen,
                     "a chunk lies past size %llu, is over the "
                     "chunk size, or names a bad id",
                     (unsigned long long)size);
    }
    if (rc == 0) add_attr(out, &a);
    free(refs);
    return rc;
}

/* Take or renew a directory's lease (leases.h): {"ms": how long it runs}. */
static int op_lease(struct fs_call *c, json_object *in, json_object *out,
                    char *err, size_t errlen)
{
    uint64_t dir;
    int64_t ms = 0;
    bool held = false;
    int rc = json_get_u64(in, K_INO, &dir, err, errlen);

    if (rc == 0 && json_object_object_get_ex(in, K_HELD, NULL))
        rc = json_get_bool(in, K_HELD, &held, err, errlen);
    if (rc < 0) return rc;
    rc = leases_take(c->leases, dir, c->client, held, clock_monotonic_ms(),
                     &ms);
    if (rc == -EBUSY)
        snprintf(err, errlen,
                 "directory %llu: leased by another client, being given "
                 "up, or the master has just started",
                 (unsigned long long)dir);
    else if (rc == -EINVAL)
        snprintf(err, errlen, "no valid client id in %s", DFS_CLIENT_HEADER);
    if (rc == 0) {
        json_add_u64(out, K_MS, (uint64_t)ms);
        log_debug("lease of directory %llu to client %s%s",
                  (unsigned long long)dir, c->client,
                  held ? " (renewed)" : "");
    }
    return rc;
}

static int op_unlease(struct fs_call *c, json_object *in, json_object *out,
                      char *err, size_t errlen)
{
    uint64_t dir;
    int rc = json_get_u64(in, K_INO, &dir, err, errlen);

    (void)out;
    if (rc == 0) {
        leases_give_up(c->leases, dir, c->client);
        log_debug("lease of directory %llu given up by client %s",
                  (unsigned long long)dir, c->client ? c->client : "(none)");
    }
    return rc;
}

static int op_batch(struct fs_call *c, json_object *in, json_object *out,
                    char *err, size_t errlen);

static const struct {
    const char *name;
    fs_op_fn fn;
} fs_ops[] = {
    {"lookup", op_lookup},     {"getattr", op_getattr}, {"setattr", op_setattr},
    {"mknod", op_mknod},       {"mkdir", op_mkdir},     {"symlink", op_symlink},
    {"readlink", op_readlink}, {"link", op_link},       {"unlink", op_unlink},
    {"rmdir", op_rmdir},       {"rename", op_rename},   {"readdir", op_readdir},
    {"chunks", op_chunks},     {"commit", op_commit},     {"batch", op_batch},
    {"reserve", op_reserve},   {"release", op_release},   {"lease", op_lease},
    {"unlease", op_unlease},
};

static fs_op_fn find_op(const char *name)
{
    for (size_t i = 0; i < sizeof(fs_ops) / sizeof(fs_ops[0]); i++)
        if (strcmp(fs_ops[i].name, name) == 0) return fs_ops[i].fn;
    return NULL;
}

/* A message for a failure the op did not describe: what it was about. */
static void describe(json_object *in, int rc, char *err, size_t errlen)
{
    json_object *v;
    const char *name = NULL;
    if (in && json_object_object_get_ex(in, K_NAME, &v))
        name = json_object_get_string(v);
    if (in && name && json_object_object_get_ex(in, K_PARENT, &v))
        snprintf(err, errlen, "'%.300s' in directory %s: %s", name,
                 json_object_get_string(v), strerror(-rc));
    else if (in && json_object_object_get_ex(in, K_INO, &v))
        snprintf(err, errlen, "inode %s: %s", json_object_get_string(v),
                 strerror(-rc));
    else
        snprintf(err, errlen, "%s", strerror(-rc));
}

/* The directories whose names op changes (0, 1 or 2 of them), which a
 * lease held by another client keeps it from changing.  Fields missing
 * or malformed count as none: the op itself refuses them. */
static size_t named_dirs(const char *op, json_object *in, uint64_t dirs[2])
{
    static const char *const by_parent[] = {"mknod", "mkdir", "symlink",
                                            "unlink", "rmdir", "rename"};
    char scratch[64];
    size_t n = 0;

    for (size_t i = 0; i < sizeof(by_parent) / sizeof(by_parent[0]); i++)
        if (strcmp(op, by_parent[i]) == 0 &&
            json_get_u64(in, K_PARENT, &dirs[n], scratch, sizeof(scratch)) ==
                0)
            n++;
    if ((strcmp(op, "rename") == 0 || strcmp(op, "link") == 0) &&
        json_get_u64(in, K_NEWPARENT, &dirs[n], scratch, sizeof(scratch)) ==
            0 &&
        (n == 0 || dirs[0] != dirs[n]))
        n++;
    return n;
}

/* The directory op would remove (rmdir, or a rename over an empty one),
 * or 0: its lease matters too, since its holder may have answered
 * creates in it that are still on their way. */
static uint64_t removed_dir(struct fs_call *c, const char *op,
                            json_object *in)
{
    bool rmdir = strcmp(op, "rmdir") == 0;
    const char *pkey = rmdir ? K_PARENT : K_NEWPARENT;
    const char *nkey = rmdir ? K_NAME : K_NEWNAME;
    char scratch[64];
    const char *name;
    uint64_t parent;
    struct dfs_attr a;

    /* a lookup per rename otherwise, on the path of every rsync'd file */
    if ((!rmdir && strcmp(op, "rename") != 0) || !leases_any(c->leases))
        return 0;
    if (json_get_u64(in, pkey, &parent, scratch, sizeof(scratch)) < 0 ||
        get_name(in, nkey, &name, scratch, sizeof(scratch)) < 0 ||
        meta_lookup(c->meta, parent, name, &a) < 0 || !S_ISDIR(a.mode))
        return 0;
    return a.ino;
}

/* Whether op may change the names it names now: 0, or -EAGAIN (another
 * client holds a lease on one of its directories). */
static int lease_gate(struct fs_call *c, const char *op, json_object *in,
                      char *err, size_t errlen)
{
    uint64_t dirs[3];
    size_t n = named_dirs(op, in, dirs);
    int64_t now = clock_monotonic_ms();

    if ((dirs[n] = removed_dir(c, op, in)) != 0) n++;
    for (size_t i = 0; i < n; i++)
        if (leases_may_change(c->leases, dirs[i], c->client, now) < 0) {
            snprintf(err, errlen,
                     "directory %llu is leased by another client (or the "
                     "master has just started): ask again",
                     (unsigned long long)dirs[i]);
            return -EAGAIN;
        }
    return 0;
}

static void error_object(json_object *out, int rc, const char *err)
{
    json_object_object_add(
        out, K_ERROR, json_object_new_string(errname_from_errno(-rc)));
    json_object_object_add(out, K_MESSAGE, json_object_new_string(err));
}

/* One op of a batch: its reply object, or the error object a lone call
 * would have had as its body. */
static json_object *batch_one(struct fs_call *c, json_object *in)
{
    char err[512] = "";
    json_object *out = json_object_new_object();
    const char *name = NULL;
    fs_op_fn fn = NULL;
    int rc = json_get_string(in, K_OP, 32, &name, err, sizeof(err));

    if (rc == 0 && (!(fn = find_op(name)) || fn == op_batch)) {
        snprintf(err, sizeof(err), "no operation '%s' in a batch", name);
        rc = -EINVAL;
    }
    if (rc == 0) rc = fn(c, in, out, err, sizeof(err));
    if (rc == 0) return out;
    if (!err[0]) describe(in, rc, err, sizeof(err));
    json_object_put(out);
    out = json_object_new_object();
    error_object(out, rc, err);
    return out;
}

/* Before any op of a batch runs: the whole batch waits (-EAGAIN) if one
 * of its ops may not change its names yet, so that a batch is never
 * half applied for a lease.  Leases the batch takes count for the ops
 * after them, so they are taken here (results[i]), in order. */
static int batch_gate(struct fs_call *c, json_object *ops, size_t n,
                      json_object **results, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        json_object *in = json_object_array_get_idx(ops, i), *v;
        const char *op;
        if (!json_object_object_get_ex(in, K_OP, &v) ||
            !json_object_is_type(v, json_type_string))
            continue;
        op = json_object_get_string(v);
        if (strcmp(op, "lease") == 0 || strcmp(op, "unlease") == 0)
            results[i] = batch_one(c, in);
        else if (lease_gate(c, op, in, err, errlen) < 0)
            return -EAGAIN;
    }
    return 0;
}

/* Several ops in one round trip, applied in order, each on its own as if
 * it came alone (one failing is undone alone and stops nothing), so a
 * client can send changes it has already answered for ahead of a call
 * that needs a reply.  The reply has one result per op.  All of them are
 * committed together (meta_batch_begin): a file's create and its commit
 * cost one write of the store's log, not two.  If that commit fails,
 * none is kept and the whole call fails. */
static int run_batch(struct fs_call *c, json_object *ops, size_t n,
                     json_object **pre, json_object *out, char *err,
                     size_t errlen)
{
    json_object *results;
    int rc = batch_gate(c, ops, n, pre, err, errlen);

    if (rc == 0) rc = meta_batch_begin(c->meta);
    if (rc < 0) return rc;
    results = json_object_new_array_ext((int)n);
    for (size_t i = 0; i < n; i++) {
        json_object *r =
            pre[i] ? pre[i] : batch_one(c, json_object_array_get_idx(ops, i));
        pre[i] = NULL;
        json_object_array_add(results, r);
    }
    rc = meta_batch_end(c->meta);
    if (rc < 0) {
        json_object_put(results);
        snprintf(err, errlen, "the batch could not be committed");
        return rc;
    }
    json_object_object_add(out, K_RESULTS, results);
    return 0;
}

static int op_batch(struct fs_call *c, json_object *in, json_object *out,
                    char *err, size_t errlen)
{
    json_object *ops, *pre[DFS_BATCH_MAX] = {NULL};
    int rc = json_get_array(in, K_OPS, &ops, err, errlen);
    size_t n = rc == 0 ? json_object_array_length(ops) : 0;

    if (rc < 0) return rc;
    if (n > DFS_BATCH_MAX) {
        snprintf(err, errlen, "%zu ops in a batch, at most %d", n,
                 DFS_BATCH_MAX);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        if (!json_object_is_type(json_object_array_get_idx(ops, i),
                                 json_type_object)) {
            snprintf(err, errlen, "op %zu of the batch is not an object", i);
            return -EINVAL;
        }
    /* Held from the lease checks to the commit (recursive). */
    meta_hold(c->meta);
    rc = run_batch(c, ops, n, pre, out, err, errlen);
    meta_let_go(c->meta);
    for (size_t i = 0; i < n; i++)
        json_object_put(pre[i]);
    return rc;
}

/* One op; one that changes names is checked against the leases and done
 * with the store held in between. */
static int run_op(struct fs_call *c, fs_op_fn fn, const char *op,
                  json_object *in, json_object *out, char *err, size_t errlen)
{
    uint64_t dirs[2];
    int rc;

    if (named_dirs(op, in, dirs) == 0) return fn(c, in, out, err, errlen);
    meta_hold(c->meta);
    rc = lease_gate(c, op, in, err, errlen);
    if (rc == 0) rc = fn(c, in, out, err, errlen);
    meta_let_go(c->meta);
    return rc;
}

void routes_fs(struct http_request *req, struct http_reply *rep, void *ctx)
{
    struct master_ctx *mctx = ctx;
    struct fs_call c = {mctx->meta, mctx->leases,
                        http_request_header(req, DFS_CLIENT_HEADER)};
    char err[512] = "";
    json_object *in = NULL;
    fs_op_fn fn = find_op(req->suffix);
    log_debug("%s %s", req->method, req->path);
    if (!fn) {
        http_reply_error(rep, 404, "ENOENT", "no operation '%s'", req->suffix);
        return;
    }
    if (c.client && !leases_client_valid(c.client)) c.client = NULL;
    int rc = json_parse_object(req->body, req->body_len, &in, err, sizeof(err));
    json_object *out = json_object_new_object();
    if (rc == 0 && fn == op_batch)
        rc = fn(&c, in, out, err, sizeof(err));
    else if (rc == 0)
        rc = run_op(&c, fn, req->suffix, in, out, err, sizeof(err));
    if (rc < 0 && !err[0]) describe(in, rc, err, sizeof(err));
    if (rc == 0)
        http_reply_json(rep, 200, out);
    else
        http_reply_errno(rep, -rc, "%s: %s", req->suffix, err);
    if (rc < 0) /* ENOENT, EEXIST... are answers, not faults: debug only */
        log_debug("%s: %s", req->suffix, err);
    json_object_put(out);
    json_object_put(in);
}
