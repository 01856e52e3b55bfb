/*
 * meta_wire.h - metadata records and their JSON form.
 *
 * The master encodes these and the clients (mount.dfs, dfs) decode them,
 * with the same code on both sides.  Decoders treat input as hostile:
 * types, ranges and lengths are checked, ids validated.
 */
#ifndef DFS_META_WIRE_H
#define DFS_META_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "addr.h"
#include "chunk_id.h"
#include "placement.h"
#include "wire.h"

struct dfs_attr {
    uint64_t ino;
    uint32_t mode; /* st_mode incl. S_IFMT bits */
    uint32_t uid, gid;
    uint32_t nlink;
    uint64_t size;
    uint64_t rdev;
    int64_t atime_ns, mtime_ns, ctime_ns;
};

/* A change of attributes (setattr); the fields the DFS_SET_* bits of set
 * (wire.h) name are the ones that change. */
struct dfs_setattr {
    unsigned set;
    uint32_t mode, uid, gid;
    uint64_t size;
    int64_t atime_ns, mtime_ns;
};

struct dfs_dirent {
    char name[DFS_NAME_MAX + 1];
    uint64_t cookie; /* pass back to continue after this entry */
    struct dfs_attr attr;
};

#define DFS_MAX_REPLICAS 16

/* One chunk of a file as the master tells a reader about it. */
struct dfs_chunk {
    uint64_t index; /* covers [index*chunk_size, (index+1)*chunk_size) */
    char id[CHUNK_ID_STRLEN];
    uint32_t len;   /* bytes stored; bytes past len up to EOF read as 0 */
    size_t nreplicas;
    char replicas[DFS_MAX_REPLICAS][ADDR_TEXT_MAX]; /* addresses, best first */
};

struct dfs_chunk_map {
    uint64_t ino;
    uint64_t size;
    uint32_t chunk_size;
    size_t nchunks;          /* sorted by index; holes are absent */
    struct dfs_chunk *chunks; /* malloc'd */
};

/* One chunk a writer stored, as it tells the master in a commit. */
struct dfs_chunk_ref {
    uint64_t index;
    char id[CHUNK_ID_STRLEN];
    uint32_t len;
    size_t nnodes;
    char nodes[DFS_MAX_REPLICAS][PLACEMENT_NODE_ID_MAX + 1]; /* node ids */
};

/* A live chunk server, as the master lists them for placement. */
struct dfs_node {
    char id[PLACEMENT_NODE_ID_MAX + 1];
    char addr[ADDR_TEXT_MAX];
    char zone[64];
    uint64_t capacity, free;
    uint64_t chunk_count;
    bool alive;
    bool draining; /* dfs drain: takes no new chunk, its copies are moved */
};

json_object *meta_attr_to_json(const struct dfs_attr *a);
int meta_attr_from_json(json_object *o, struct dfs_attr *a, char *err,
                        size_t errlen);

json_object *meta_chunk_map_to_json(const struct dfs_chunk_map *m);
int meta_chunk_map_from_json(json_object *o, struct dfs_chunk_map *m,
                             char *err, size_t errlen);
void meta_chunk_map_free(struct dfs_chunk_map *m);

json_object *meta_chunk_ref_to_json(const struct dfs_chunk_ref *r);
int meta_chunk_ref_from_json(json_object *o, struct dfs_chunk_ref *r,
                             char *err, size_t errlen);

json_object *meta_dirent_to_json(const struct dfs_dirent *d);
int meta_dirent_from_json(json_object *o, struct dfs_dirent *d, char *err,
                          size_t errlen);

json_object *meta_node_to_json(const struct dfs_node *n);
int meta_node_from_json(json_object *o, struct dfs_node *n, char *err,
                        size_t errlen);

/* true if name is a valid directory entry name: 1..255 bytes, no '/', no
 * NUL, not "." or "..". */
bool meta_name_valid(const char *name);

/* a after the change s at time now_ns, as the master makes it: the mode's
 * type bits stay, a size that changes sets mtime unless s sets it too, and
 * ctime becomes now.  mount.dfs uses it to answer a change it sends
 * behind with what the master will make of it. */
void meta_attr_apply_setattr(struct dfs_attr *a, const struct dfs_setattr *s,
                             int64_t now_ns);

#endif
