/*
 * test_meta_wire.c - metadata records survive the wire, bad ones do not.
 *
 * Every record goes to JSON text and back (through the parser, as on the
 * wire) and must come back equal; then hand-made hostile inputs (bad ids,
 * wrong types, too many replicas, bad names) must be refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "json_util.h"
#include "meta_wire.h"

#define ID_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* Through text and back, as the peer would see it. */
static json_object *reparse(json_object *o)
{
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    json_object *back;
    char err[128];
    assert_int_equal(json_parse_object(s, strlen(s), &back, err, sizeof(err)),
                     0);
    json_object_put(o);
    return back;
}

static json_object *parse(const char *text)
{
    json_object *o;
    char err[128];
    assert_int_equal(
        json_parse_object(text, strlen(text), &o, err, sizeof(err)), 0);
    return o;
}

static struct dfs_attr sample_attr(void)
{
    struct dfs_attr a = {.ino = 42,
                         .mode = S_IFREG | 0644,
                         .uid = 1000,
                         .gid = UINT32_MAX,
                         .nlink = 2,
                         .size = (1ull << 62) + 5,
                         .rdev = 0x0801,
                         .atime_ns = -1,
                         .mtime_ns = INT64_MAX,
                         .ctime_ns = 1700000000123456789};
    return a;
}

static void test_attr_round_trip(void **state)
{
    (void)state;
    struct dfs_attr a = sample_attr(), b;
    char err[128];
    json_object *o = reparse(meta_attr_to_json(&a));
    assert_int_equal(meta_attr_from_json(o, &b, err, sizeof(err)), 0);
    assert_memory_equal(&a, &b, sizeof(a));
    json_object_put(o);
}

static void test_attr_rejects(void **state)
{
    (void)state;
    struct dfs_attr a = sample_attr(), b;
    char err[128];
    const char *bad[][2] = {{"uid", "-1"},         {"mode", "\"0644\""},
                            {"gid", "4294967296"}, {"size", "1.5"},
                            {"ino", "0"},          {"atime_ns", "null"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_object *o = meta_attr_to_json(&a);
        json_object_object_add(o, bad[i][0], json_tokener_parse(bad[i][1]));
        o = reparse(o);
        assert_int_equal(meta_attr_from_json(o, &b, err, sizeof(err)), -EINVAL);
        json_object_put(o);
    }
    json_object *o = meta_attr_to_json(&a);
    json_object_object_del(o, "nlink");
    assert_int_equal(meta_attr_from_json(o, &b, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "nlink"));
    json_object_put(o);
    assert_int_equal(meta_attr_from_json(NULL, &b, err, sizeof(err)), -EINVAL);
}

static void test_chunk_map_round_trip(void **state)
{
    (void)state;
    struct dfs_chunk ch[2] = {
        {.index = 0,
         .id = ID_A,
         .len = 4096,
         .nreplicas = 2,
         .replicas = {"127.0.0.1:9001", "[::1]:9002"}},
        {.index = 7, .id = ID_B, .len = 1, .nreplicas = 0}};
    struct dfs_chunk_map m = {.ino = 9,
                              .size = 7 * 65536 + 1,
                              .chunk_size = 65536,
                              .nchunks = 2,
                              .chunks = ch},
                         back;
    char err[128];
    json_object *o = reparse(meta_chunk_map_to_json(&m));
    assert_int_equal(meta_chunk_map_from_json(o, &back, err, sizeof(err)), 0);
    assert_int_equal(back.ino, 9);
    assert_int_equal(back.size, m.size);
    assert_int_equal(back.chunk_size, 65536);
    assert_int_equal(back.nchunks, 2);
    assert_memory_equal(back.chunks, ch, sizeof(ch));
    meta_chunk_map_free(&back);
    json_object_put(o);

    struct dfs_chunk_map empty = {.ino = 3, .chunk_size = 4096};
    o = reparse(meta_chunk_map_to_json(&empty));
    assert_int_equal(meta_chunk_map_from_json(o, &back, err, sizeof(err)), 0);
    assert_int_equal(back.nchunks, 0);
    meta_chunk_map_free(&back);
    json_object_put(o);
}

static void expect_bad_map(const char *text)
{
    struct dfs_chunk_map m;
    char err[128] = "";
    json_object *o = parse(text);
    assert_int_equal(meta_chunk_map_from_json(o, &m, err, sizeof(err)),
                     -EINVAL);
    assert_true(err[0] != '\0');
    assert_null(m.chunks);
    json_object_put(o);
}

static void test_chunk_map_rejects(void **state)
{
    (void)state;
    /* bad id: upper case, short, path traversal */
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":"
                   "[{\"index\":0,\"id\":\"" ID_A "\",\"len\":1,\"replicas\":"
                   "[]},{\"index\":1,\"id\":\"0123456789ABCDEF0123456789abcdef"
                   "0123456789abcdef0123456789abcdef\",\"len\":1,"
                   "\"replicas\":[]}]}");
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":"
                   "[{\"index\":0,\"id\":\"../../etc/passwd\",\"len\":1,"
                   "\"replicas\":[]}]}");
    /* chunk size 0, len over the chunk size */
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":0,\"chunks\":[]}");
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":"
                   "[{\"index\":0,\"id\":\"" ID_A "\",\"len\":4097,"
                   "\"replicas\":[]}]}");
    /* wrong types */
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":{}}");
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":"
                   "[[]]}");
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":"
                   "[{\"index\":0,\"id\":\"" ID_A "\",\"len\":1,"
                   "\"replicas\":[5]}]}");
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":"
                   "[{\"index\":0,\"id\":\"" ID_A "\",\"len\":1,"
                   "\"replicas\":[\"no-port\"]}]}");
    /* unsorted / duplicate indexes */
    expect_bad_map("{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":"
                   "[{\"index\":1,\"id\":\"" ID_A "\",\"len\":1,\"replicas\":"
                   "[]},{\"index\":1,\"id\":\"" ID_B "\",\"len\":1,"
                   "\"replicas\":[]}]}");
    /* too many replicas */
    char text[4096];
    int n = snprintf(text, sizeof(text),
                     "{\"ino\":1,\"size\":1,\"chunk_size\":4096,\"chunks\":"
                     "[{\"index\":0,\"id\":\"" ID_A "\",\"len\":1,"
                     "\"replicas\":[");
    for (int i = 0; i <= DFS_MAX_REPLICAS; i++)
        n += snprintf(text + n, sizeof(text) - (size_t)n, "%s\"h%d:1\"",
                      i ? "," : "", i);
    snprintf(text + n, sizeof(text) - (size_t)n, "]}]}");
    expect_bad_map(text);
}

static void test_chunk_ref(void **state)
{
    (void)state;
    struct dfs_chunk_ref r = {.index = 3,
                              .id = ID_B,
                              .len = 100,
                              .nnodes = 3,
                              .nodes = {"node-a", "node-b", "node-c"}},
                         back;
    char err[128];
    json_object *o = reparse(meta_chunk_ref_to_json(&r));
    assert_int_equal(meta_chunk_ref_from_json(o, &back, err, sizeof(err)), 0);
    assert_memory_equal(&r, &back, sizeof(r));
    json_object_put(o);

    const char *bad[] = {
        "{\"index\":0,\"id\":\"" ID_A "x\",\"len\":1,\"nodes\":[\"a\"]}",
        "{\"index\":-1,\"id\":\"" ID_A "\",\"len\":1,\"nodes\":[\"a\"]}",
        "{\"index\":0,\"id\":\"" ID_A "\",\"len\":1,\"nodes\":[\"a/b\"]}",
        "{\"index\":0,\"id\":\"" ID_A "\",\"len\":1,\"nodes\":[\"\"]}",
        "{\"index\":0,\"id\":\"" ID_A "\",\"len\":1,\"nodes\":\"a\"}",
        "{\"index\":0,\"id\":\"" ID_A "\",\"len\":1,\"nodes\":[\"a\",\"b\","
        "\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\","
        "\"n\",\"o\",\"p\",\"q\"]}",
        "{\"index\":0,\"id\":5,\"len\":1,\"nodes\":[]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = parse(bad[i]);
        assert_int_equal(meta_chunk_ref_from_json(o, &back, err, sizeof(err)),
                         -EINVAL);
        json_object_put(o);
    }
}

static void test_dirent(void **state)
{
    (void)state;
    struct dfs_dirent d = {.name = "héllo world.txt",
                           .cookie = 77,
                           .attr = sample_attr()},
                      back;
    char err[128];
    json_object *o = reparse(meta_dirent_to_json(&d));
    assert_int_equal(meta_dirent_from_json(o, &back, err, sizeof(err)), 0);
    assert_string_equal(back.name, d.name);
    assert_int_equal(back.cookie, 77);
    assert_memory_equal(&back.attr, &d.attr, sizeof(d.attr));
    json_object_put(o);

    char longname[300];
    memset(longname, 'x', 256);
    longname[256] = '\0';
    const char *bad[] = {"a/b", "..", ".", "", longname};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = meta_dirent_to_json(&d);
        json_object_object_add(o, "name", json_object_new_string(bad[i]));
        assert_int_equal(meta_dirent_from_json(o, &back, err, sizeof(err)),
                         -EINVAL);
        json_object_put(o);
    }
    /* embedded NUL */
    o = meta_dirent_to_json(&d);
    json_object_object_add(o, "name", json_object_new_string_len("a\0b", 3));
    assert_int_equal(meta_dirent_from_json(o, &back, err, sizeof(err)),
                     -EINVAL);
    json_object_put(o);
    /* attr of the wrong type */
    o = meta_dirent_to_json(&d);
    json_object_object_add(o, "attr", json_object_new_int(1));
    assert_int_equal(meta_dirent_from_json(o, &back, err, sizeof(err)),
                     -EINVAL);
    json_object_put(o);
}

static void test_name_valid(void **state)
{
    (void)state;
    char name[300];
    memset(name, 'n', sizeof(name));
    name[255] = '\0';
    assert_true(meta_name_valid(name));
    name[255] = 'n';
    name[256] = '\0';
    assert_false(meta_name_valid(name));
    assert_true(meta_name_valid("..."));
    assert_true(meta_name_valid(".hidden"));
    assert_false(meta_name_valid("."));
    assert_false(meta_name_valid(".."));
    assert_false(meta_name_valid("a/"));
    assert_false(meta_name_valid(""));
    assert_false(meta_name_valid(NULL));
}

static void test_node(void **state)
{
    (void)state;
    struct dfs_node n = {.id = "chunk-1",
                         .addr = "127.0.0.1:9401",
                         .zone = "rack-a",
                         .capacity = 1ull << 40,
                         .free = 12345,
                         .chunk_count = 9,
                         .alive = false},
                    back;
    char err[128];
    json_object *o = reparse(meta_node_to_json(&n));
    assert_int_equal(meta_node_from_json(o, &back, err, sizeof(err)), 0);
    assert_memory_equal(&n, &back, sizeof(n));
    json_object_put(o);

    /* a heartbeat carries no "alive" */
    o = meta_node_to_json(&n);
    json_object_object_del(o, "alive");
    assert_int_equal(meta_node_from_json(o, &back, err, sizeof(err)), 0);
    assert_true(back.alive);
    json_object_put(o);

    const char *bad[][2] = {{"node_id", "\"has space\""},
                            {"node_id", "\"\""},
                            {"addr", "\"nohost\""},
                            {"addr", "7"},
                            {"free", "-3"},
                            {"alive", "1"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o = meta_node_to_json(&n);
        json_object_object_add(o, bad[i][0], json_tokener_parse(bad[i][1]));
        assert_int_equal(meta_node_from_json(o, &back, err, sizeof(err)),
                         -EINVAL);
        json_object_put(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attr_round_trip),
        cmocka_unit_test(test_attr_rejects),
        cmocka_unit_test(test_chunk_map_round_trip),
        cmocka_unit_test(test_chunk_map_rejects),
        cmocka_unit_test(test_chunk_ref),
        cmocka_unit_test(test_dirent),
        cmocka_unit_test(test_name_valid),
        cmocka_unit_test(test_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
