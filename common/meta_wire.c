/*
 * meta_wire.c - metadata records to and from JSON.
 *
 * The same functions encode on the master and decode on the clients, so
 * the two cannot drift.  Decoders take peer input: every field is checked
 * for presence, type and range, ids and addresses are validated, arrays
 * are bounded, and a record is either decoded whole or refused with a
 * message naming the field.
 */
#include "meta_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "json_util.h"

static int wire_fail(char *err, size_t errlen, const char *fmt, const char *a)
{
    if (err && errlen) snprintf(err, errlen, fmt, a);
    return -EINVAL;
}

bool meta_name_valid(const char *name)
{
    if (!name) return false;
    size_t len = strnlen(name, DFS_NAME_MAX + 1);
    if (len == 0 || len > DFS_NAME_MAX) return false;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return false;
    return strchr(name, '/') == NULL;
}

void meta_attr_apply_setattr(struct dfs_attr *a, const struct dfs_setattr *s,
                             int64_t now_ns)
{
    if (s->set & DFS_SET_MODE)
        a->mode = (a->mode & S_IFMT) | (s->mode & 07777);
    if (s->set & DFS_SET_UID) a->uid = s->uid;
    if (s->set & DFS_SET_GID) a->gid = s->gid;
    if ((s->set & DFS_SET_SIZE) && s->size != a->size)
        a->mtime_ns = now_ns; /* truncate(2) changes mtime; explicit wins */
    if (s->set & DFS_SET_SIZE) a->size = s->size;
    if (s->set & DFS_SET_ATIME) a->atime_ns = s->atime_ns;
    if (s->set & DFS_SET_ATIME_NOW) a->atime_ns = now_ns;
    if (s->set & DFS_SET_MTIME) a->mtime_ns = s->mtime_ns;
    if (s->set & DFS_SET_MTIME_NOW) a->mtime_ns = now_ns;
    a->ctime_ns = now_ns;
}

/* Node ids end up in logs, the database and command lines: printable,
 * no spaces, no '/'. */
static bool node_id_valid(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len > PLACEMENT_NODE_ID_MAX) return false;
    for (const char *p = id; *p; p++)
        if (*p <= ' ' || *p >= 127 || *p == '/') return false;
    return true;
}

static int get_chunk_id(json_object *o, char out[CHUNK_ID_STRLEN], char *err,
                        size_t errlen)
{
    const char *s;
    int rc = json_get_string(o, K_ID, CHUNK_ID_HEX, &s, err, errlen);
    if (rc < 0) return rc;
    if (!chunk_id_valid(s))
        return wire_fail(err, errlen, "\"%s\" is not a valid chunk id", K_ID);
    memcpy(out, s, CHUNK_ID_STRLEN);
    return 0;
}

/* Element i of an array that must hold strings. */
static int array_string(json_object *arr, size_t i, const char *key,
                        const char **out, char *err, size_t errlen)
{
    json_object *v = json_object_array_get_idx(arr, i);
    if (!v || !json_object_is_type(v, json_type_string))
        return wire_fail(err, errlen, "\"%s\" must hold strings", key);
    *out = json_object_get_string(v);
    if (strlen(*out) != (size_t)json_object_get_string_len(v))
        return wire_fail(err, errlen, "\"%s\" holds a NUL character", key);
    return 0;
}

static int check_addr(const char *s, const char *key, char *err, size_t errlen)
{
    struct addr a;
    if (strlen(s) >= ADDR_TEXT_MAX || addr_parse(s, &a, NULL, 0) < 0)
        return wire_fail(err, errlen, "\"%s\" holds a bad address", key);
    return 0;
}

/* ---- attr ---------------------------------------------------------------- */

json_object *meta_attr_to_json(const struct dfs_attr *a)
{
    json_object *o = json_object_new_object();
    json_add_u64(o, K_INO, a->ino);
    json_add_u64(o, K_MODE, a->mode);
    json_add_u64(o, K_UID, a->uid);
    json_add_u64(o, K_GID, a->gid);
    json_add_u64(o, K_NLINK, a->nlink);
    json_add_u64(o, K_SIZE, a->size);
    json_add_u64(o, K_RDEV, a->rdev);
    json_add_i64(o, K_ATIME, a->atime_ns);
    json_add_i64(o, K_MTIME, a->mtime_ns);
    json_add_i64(o, K_CTIME, a->ctime_ns);
    return o;
}

int meta_attr_from_json(json_object *o, struct dfs_attr *a, char *err,
                        size_t errlen)
{
    struct dfs_attr t;
    int rc;
    if ((rc = json_get_u64(o, K_INO, &t.ino, err, errlen)) < 0 ||
        (rc = json_get_u32(o, K_MODE, &t.mode, err, errlen)) < 0 ||
        (rc = json_get_u32(o, K_UID, &t.uid, err, errlen)) < 0 ||
        (rc = json_get_u32(o, K_GID, &t.gid, err, errlen)) < 0 ||
        (rc = json_get_u32(o, K_NLINK, &t.nlink, err, errlen)) < 0 ||
        (rc = json_get_u64(o, K_SIZE, &t.size, err, errlen)) < 0 ||
        (rc = json_get_u64(o, K_RDEV, &t.rdev, err, errlen)) < 0 ||
        (rc = json_get_i64(o, K_ATIME, &t.atime_ns, err, errlen)) < 0 ||
        (rc = json_get_i64(o, K_MTIME, &t.mtime_ns, err, errlen)) < 0 ||
        (rc = json_get_i64(o, K_CTIME, &t.ctime_ns, err, errlen)) < 0)
        return rc;
    if (t.ino == 0)
        return wire_fail(err, errlen, "\"%s\" must not be 0", K_INO);
    if (t.size > INT64_MAX)
        return wire_fail(err, errlen, "\"%s\" is out of range", K_SIZE);
    *a = t;
    return 0;
}

/* ---- chunk map ----------------------------------------------------------- */

static json_object *chunk_to_json(const struct dfs_chunk *c)
{
    json_object *o = json_object_new_object();
    json_add_u64(o, K_INDEX, c->index);
    json_add_string(o, K_ID, c->id);
    json_add_u64(o, K_LEN, c->len);
    json_object *reps = json_object_new_array();
    for (size_t i = 0; i < c->nreplicas; i++)
        json_object_array_add(reps, json_object_new_string(c->replicas[i]));
    json_object_object_add(o, K_REPLICAS, reps);
    return o;
}

json_object *meta_chunk_map_to_json(const struct dfs_chunk_map *m)
{
    json_object *o = json_object_new_object();
    json_add_u64(o, K_INO, m->ino);
    json_add_u64(o, K_SIZE, m->size);
    json_add_u64(o, K_CHUNK_SIZE, m->chunk_size);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < m->nchunks; i++)
        json_object_array_add(arr, chunk_to_json(&m->chunks[i]));
    json_object_object_add(o, K_CHUNKS, arr);
    return o;
}

static int chunk_from_json(json_object *o, uint32_t chunk_size,
                           struct dfs_chunk *c, char *err, size_t errlen)
{
    json_object *reps;
    int rc;
    if ((rc = json_get_u64(o, K_INDEX, &c->index, err, errlen)) < 0 ||
        (rc = get_chunk_id(o, c->id, err, errlen)) < 0 ||
        (rc = json_get_u32(o, K_LEN, &c->len, err, errlen)) < 0 ||
        (rc = json_get_array(o, K_REPLICAS, &reps, err, errlen)) < 0)
        return rc;
    if (c->len > chunk_size)
        return wire_fail(err, errlen, "\"%s\" is over the chunk size", K_LEN);
    size_t n = json_object_array_length(reps);
    if (n > DFS_MAX_REPLICAS)
        return wire_fail(err, errlen, "too many \"%s\"", K_REPLICAS);
    for (size_t i = 0; i < n; i++) {
        const char *s;
        if ((rc = array_string(reps, i, K_REPLICAS, &s, err, errlen)) < 0 ||
            (rc = check_addr(s, K_REPLICAS, err, errlen)) < 0)
            return rc;
        snprintf(c->replicas[i], ADDR_TEXT_MAX, "%s", s);
    }
    c->nreplicas = n;
    return 0;
}

static int chunks_from_json(json_object *arr, struct dfs_chunk_map *m,
                            char *err, size_t errlen)
{
    size_t n = json_object_array_length(arr), cap = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(arr, i);
        /* Grow as elements prove valid: sizing the array from a hostile
         * length ("chunks":[0,0,...]) would ask for gigabytes up front. */
        if (i == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct dfs_chunk *p = realloc(m->chunks, ncap * sizeof(*p));
            if (!p)
                return wire_fail(err, errlen, "out of memory for %s", K_CHUNKS);
            memset(p + cap, 0, (ncap - cap) * sizeof(*p));
            m->chunks = p;
            cap = ncap;
        }
        if (!json_object_is_type(c, json_type_object))
            return wire_fail(err, errlen, "\"%s\" must hold objects", K_CHUNKS);
        int rc = chunk_from_json(c, m->chunk_size, &m->chunks[i], err, errlen);
        if (rc < 0) return rc;
        if (i > 0 && m->chunks[i].index <= m->chunks[i - 1].index)
            return wire_fail(err, errlen, "\"%s\" not sorted by index",
                             K_CHUNKS);
        m->nchunks = i + 1;
    }
    return 0;
}

int meta_chunk_map_from_json(json_object *o, struct dfs_chunk_map *m, char *err,
                             size_t errlen)
{
    json_object *arr;
    int rc;
    memset(m, 0, sizeof(*m));
    if ((rc = json_get_u64(o, K_INO, &m->ino, err, errlen)) < 0 ||
        (rc = json_get_u64(o, K_SIZE, &m->size, err, errlen)) < 0 ||
        (rc = json_get_u32(o, K_CHUNK_SIZE, &m->chunk_size, err, errlen)) < 0 ||
        (rc = json_get_array(o, K_CHUNKS, &arr, err, errlen)) < 0)
        return rc;
    if (m->chunk_size == 0)
        return wire_fail(err, errlen, "\"%s\" must not be 0", K_CHUNK_SIZE);
    rc = chunks_from_json(arr, m, err, errlen);
    if (rc < 0) meta_chunk_map_free(m);
    return rc;
}

void meta_chunk_map_free(struct dfs_chunk_map *m)
{
    if (!m) return;
    free(m->chunks);
    m->chunks = NULL;
    m->nchunks = 0;
}

/* ---- chunk ref (commit) -------------------------------------------------- */

json_object *meta_chunk_ref_to_json(const struct dfs_chunk_ref *r)
{
    json_object *o = json_object_new_object();
    json_add_u64(o, K_INDEX, r->index);
    json_add_string(o, K_ID, r->id);
    json_add_u64(o, K_LEN, r->len);
    json_object *nodes = json_object_new_array();
    for (size_t i = 0; i < r->nnodes; i++)
        json_object_array_add(nodes, json_object_new_string(r->nodes[i]));
    json_object_object_add(o, K_NODES, nodes);
    return o;
}

int meta_chunk_ref_from_json(json_object *o, struct dfs_chunk_ref *r, char *err,
                             size_t errlen)
{
    struct dfs_chunk_ref t;
    json_object *nodes;
    int rc;
    memset(&t, 0, sizeof(t));
    if ((rc = json_get_u64(o, K_INDEX, &t.index, err, errlen)) < 0 ||
        (rc = get_chunk_id(o, t.id, err, errlen)) < 0 ||
        (rc = json_get_u32(o, K_LEN, &t.len, err, errlen)) < 0 ||
        (rc = json_get_array(o, K_NODES, &nodes, err, errlen)) < 0)
        return rc;
    size_t n = json_object_array_length(nodes);
    if (n > DFS_MAX_REPLICAS)
        return wire_fail(err, errlen, "too many \"%s\"", K_NODES);
    for (size_t i = 0; i < n; i++) {
        const char *s;
        if ((rc = array_string(nodes, i, K_NODES, &s, err, errlen)) < 0)
            return rc;
        if (!node_id_valid(s))
            return wire_fail(err, errlen, "\"%s\" holds a bad node id",
                             K_NODES);
        memcpy(t.nodes[i], s, strlen(s) + 1);
    }
    t.nnodes = n;
    *r = t;
    return 0;
}

/* ---- dirent -------------------------------------------------------------- */

json_object *meta_dirent_to_json(const struct dfs_dirent *d)
{
    json_object *o = json_object_new_object();
    json_add_string(o, K_NAME, d->name);
    json_add_u64(o, K_COOKIE, d->cookie);
    json_object_object_add(o, K_ATTR, meta_attr_to_json(&d->attr));
    return o;
}

int meta_dirent_from_json(json_object *o, struct dfs_dirent *d, char *err,
                          size_t errlen)
{
    const char *name;
    json_object *attr;
    uint64_t cookie;
    int rc;
    if ((rc = json_get_string(o, K_NAME, DFS_NAME_MAX, &name, err, errlen)) <
            0 ||
        (rc = json_get_u64(o, K_COOKIE, &cookie, err, errlen)) < 0)
        return rc;
    if (!meta_name_valid(name))
        return wire_fail(err, errlen, "\"%s\" is not a valid name", K_NAME);
    if (!json_object_object_get_ex(o, K_ATTR, &attr) ||
        !json_object_is_type(attr, json_type_object))
        return wire_fail(err, errlen, "\"%s\" must be an object", K_ATTR);
    if ((rc = meta_attr_from_json(attr, &d->attr, err, errlen)) < 0) return rc;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->cookie = cookie;
    return 0;
}

/* ---- node ---------------------------------------------------------------- */

json_object *meta_node_to_json(const struct dfs_node *n)
{
    json_object *o = json_object_new_object();
    json_add_string(o, K_NODE_ID, n->id);
    json_add_string(o, K_ADDR, n->addr);
    json_add_string(o, K_ZONE, n->zone);
    json_add_u64(o, K_CAPACITY, n->capacity);
    json_add_u64(o, K_FREE, n->free);
    json_add_u64(o, K_CHUNK_COUNT, n->chunk_count);
    json_add_bool(o, K_ALIVE, n->alive);
    json_add_bool(o, K_DRAINING, n->draining);
    return o;
}

/* "alive" is optional (a heartbeat does not carry it); absent = true.
 * "draining" likewise; absent = false. */
int meta_node_from_json(json_object *o, struct dfs_node *n, char *err,
                        size_t errlen)
{
    struct dfs_node t;
    const char *id, *addr, *zone;
    json_object *alive, *draining;
    int rc;
    memset(&t, 0, sizeof(t));
    if ((rc = json_get_string(o, K_NODE_ID, PLACEMENT_NODE_ID_MAX, &id, err,
                              errlen)) < 0 ||
        (rc = json_get_string(o, K_ADDR, ADDR_TEXT_MAX - 1, &addr, err,
                              errlen)) < 0 ||
        (rc = json_get_string(o, K_ZONE, sizeof(t.zone) - 1, &zone, err,
                              errlen)) < 0 ||
        (rc = json_get_u64(o, K_CAPACITY, &t.capacity, err, errlen)) < 0 ||
        (rc = json_get_u64(o, K_FREE, &t.free, err, errlen)) < 0 ||
        (rc = json_get_u64(o, K_CHUNK_COUNT, &t.chunk_count, err, errlen)) < 0)
        return rc;
    if (!node_id_valid(id))
        return wire_fail(err, errlen, "\"%s\" is not a valid node id",
                         K_NODE_ID);
    if ((rc = check_addr(addr, K_ADDR, err, errlen)) < 0) return rc;
    t.alive = true;
    if (json_object_object_get_ex(o, K_ALIVE, &alive) &&
        (rc = json_get_bool(o, K_ALIVE, &t.alive, err, errlen)) < 0)
        return rc;
    if (json_object_object_get_ex(o, K_DRAINING, &draining) &&
        (rc = json_get_bool(o, K_DRAINING, &t.draining, err, errlen)) < 0)
        return rc;
    snprintf(t.id, sizeof(t.id), "%s", id);
    snprintf(t.addr, sizeof(t.addr), "%s", addr);
    snprintf(t.zone, sizeof(t.zone), "%s", zone);
    *n = t;
    return 0;
}
