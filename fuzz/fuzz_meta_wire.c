/*
 * fuzz_meta_wire.c - the metadata decoders mount.dfs and dfs run on what
 * the master sends: chunk maps, readdir entries, attributes, nodes, and
 * the chunk refs the master reads from a commit.
 *
 * The input is parsed with json_parse_object (as the clients do) and
 * given to every decoder, at the top level and for each element of the
 * arrays the wire wraps them in ("entries", "nodes", "chunks").  Whatever
 * a decoder accepts must survive encode -> decode unchanged: the encoded
 * form of the decoded record is compared as text after a second round.
 */
#include <stdint.h>

#include "fuzz_common.h"
#include "json_util.h"
#include "meta_wire.h"

/* Decode, and if accepted, check encode(decode(x)) is a fixed point. */
#define FUZZ_ROUND_TRIP(type, from, to, o, cleanup)                            \
    do {                                                                       \
        type a_, b_;                                                           \
        char err_[256];                                                        \
        memset(&a_, 0, sizeof(a_));                                            \
        memset(&b_, 0, sizeof(b_));                                            \
        if (from(o, &a_, err_, sizeof(err_)) == 0) {                           \
            json_object *j1_ = to(&a_);                                        \
            FUZZ_CHECK(from(j1_, &b_, err_, sizeof(err_)) == 0);               \
            json_object *j2_ = to(&b_);                                        \
            FUZZ_CHECK(strcmp(json_object_to_json_string(j1_),                 \
                              json_object_to_json_string(j2_)) == 0);          \
            json_object_put(j1_);                                              \
            json_object_put(j2_);                                              \
            cleanup(&b_);                                                      \
        }                                                                      \
        cleanup(&a_);                                                          \
    } while (0)

static void fuzz_nothing(void *p)
{
    (void)p;
}

static void fuzz_decoders(json_object *o)
{
    FUZZ_ROUND_TRIP(struct dfs_attr, meta_attr_from_json, meta_attr_to_json, o,
                    fuzz_nothing);
    FUZZ_ROUND_TRIP(struct dfs_dirent, meta_dirent_from_json,
                    meta_dirent_to_json, o, fuzz_nothing);
    FUZZ_ROUND_TRIP(struct dfs_chunk_ref, meta_chunk_ref_from_json,
                    meta_chunk_ref_to_json, o, fuzz_nothing);
    FUZZ_ROUND_TRIP(struct dfs_node, meta_node_from_json, meta_node_to_json, o,
                    fuzz_nothing);
    FUZZ_ROUND_TRIP(struct dfs_chunk_map, meta_chunk_map_from_json,
                    meta_chunk_map_to_json, o, meta_chunk_map_free);
}

static void fuzz_array(json_object *o, const char *key)
{
    json_object *arr;

    if (json_get_array(o, key, &arr, NULL, 0) < 0) return;
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        fuzz_decoders(json_object_array_get_idx(arr, i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_object *o;

    if (json_parse_object((const char *)data, size, &o, NULL, 0) < 0) return 0;
    fuzz_decoders(o);
    fuzz_array(o, "entries");
    fuzz_array(o, "nodes");
    fuzz_array(o, "chunks");
    json_object_put(o);
    return 0;
}
