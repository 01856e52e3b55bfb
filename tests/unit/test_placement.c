/*
 * test_placement.c - weighted rendezvous ranking: determinism, order
 * independence, zone spreading, minimal movement and weight shares.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "chunk_id.h"
#include "placement.h"

#define MAXN 16

static void make_nodes(struct placement_node *nodes, size_t n)
{
    memset(nodes, 0, n * sizeof(*nodes));
    for (size_t i = 0; i < n; i++) {
        snprintf(nodes[i].id, sizeof(nodes[i].id), "node-%02zu", i);
        nodes[i].weight = 1000;
    }
}

static void make_id(unsigned i, char id[CHUNK_ID_STRLEN])
{
    char buf[32];

    snprintf(buf, sizeof(buf), "chunk %u", i);
    chunk_id_compute(buf, strlen(buf), id);
}

static size_t top_node(const struct placement_node *nodes, size_t n,
                       const char *id)
{
    size_t order[MAXN];

    placement_rank(id, nodes, n, 1, order);
    return order[0];
}

static void test_deterministic_permutation(void **state)
{
    struct placement_node nodes[8];
    size_t a[8], b[8];
    char id[CHUNK_ID_STRLEN];

    (void)state;
    make_nodes(nodes, 8);
    make_id(1, id);
    placement_rank(id, nodes, 8, 3, a);
    placement_rank(id, nodes, 8, 3, b);
    assert_memory_equal(a, b, sizeof(a));

    /* every index appears exactly once */
    int seen[8] = {0};
    for (size_t i = 0; i < 8; i++) {
        assert_true(a[i] < 8);
        seen[a[i]]++;
    }
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(seen[i], 1);
}

static void test_input_order_independent(void **state)
{
    struct placement_node nodes[8], rev[8];
    size_t a[8], b[8];
    char id[CHUNK_ID_STRLEN];

    (void)state;
    make_nodes(nodes, 8);
    for (size_t i = 0; i < 8; i++)
        rev[i] = nodes[7 - i];
    for (unsigned c = 0; c < 200; c++) {
        make_id(c, id);
        placement_rank(id, nodes, 8, 3, a);
        placement_rank(id, rev, 8, 3, b);
        for (size_t i = 0; i < 8; i++)
            assert_string_equal(nodes[a[i]].id, rev[b[i]].id);
    }
}

static void test_different_ids_differ(void **state)
{
    struct placement_node nodes[8];
    int tops[8] = {0};
    char id[CHUNK_ID_STRLEN];

    (void)state;
    make_nodes(nodes, 8);
    for (unsigned c = 0; c < 800; c++) {
        make_id(c, id);
        tops[top_node(nodes, 8, id)]++;
    }
    /* equal weights: each node ~100 of 800 first places */
    for (size_t i = 0; i < 8; i++) {
        assert_true(tops[i] > 50);
        assert_true(tops[i] < 150);
    }
}

static void test_zones_spread(void **state)
{
    struct placement_node nodes[9];
    size_t order[9];
    char id[CHUNK_ID_STRLEN];

    (void)state;
    make_nodes(nodes, 9);
    for (size_t i = 0; i < 9; i++)
        snprintf(nodes[i].zone, sizeof(nodes[i].zone), "z%zu", i % 3);
    for (unsigned c = 0; c < 300; c++) {
        make_id(c, id);
        placement_rank(id, nodes, 9, 3, order);
        assert_string_not_equal(nodes[order[0]].zone, nodes[order[1]].zone);
        assert_string_not_equal(nodes[order[0]].zone, nodes[order[2]].zone);
        assert_string_not_equal(nodes[order[1]].zone, nodes[order[2]].zone);
        /* the zone rule never changes who is first */
        size_t plain[9];
        placement_rank(id, nodes, 9, 0, plain);
        assert_int_equal(plain[0], order[0]);
    }
}

static void test_zones_exhausted(void **state)
{
    struct placement_node nodes[4];
    size_t order[4];
    char id[CHUNK_ID_STRLEN];

    (void)state;
    /* two zones, three replicas: first two differ, third fills in */
    make_nodes(nodes, 4);
    strcpy(nodes[0].zone, "a");
    strcpy(nodes[1].zone, "a");
    strcpy(nodes[2].zone, "a");
    strcpy(nodes[3].zone, "b");
    for (unsigned c = 0; c < 100; c++) {
        make_id(c, id);
        placement_rank(id, nodes, 4, 3, order);
        assert_string_not_equal(nodes[order[0]].zone, nodes[order[1]].zone);
        int seen[4] = {0};
        for (size_t i = 0; i < 4; i++)
            seen[order[i]]++;
        for (size_t i = 0; i < 4; i++)
            assert_int_equal(seen[i], 1);
    }
}

static void test_remove_node_moves_little(void **state)
{
    struct placement_node nodes[10], fewer[9];
    const unsigned N = 10000;
    unsigned moved = 0;
    char id[CHUNK_ID_STRLEN];

    (void)state;
    make_nodes(nodes, 10);
    /* drop node-04 */
    for (size_t i = 0, j = 0; i < 10; i++)
        if (i != 4) fewer[j++] = nodes[i];
    for (unsigned c = 0; c < N; c++) {
        make_id(c, id);
        size_t before = top_node(nodes, 10, id);
        size_t after = top_node(fewer, 9, id);
        if (strcmp(nodes[before].id, fewer[after].id) != 0) {
            /* only chunks that lived on the removed node may move */
            assert_int_equal(before, 4);
            moved++;
        } else {
            assert_true(before != 4);
        }
    }
    assert_true(moved > N / 20);
    assert_true(moved < N / 5);
}

static void test_weights_shift_share(void **state)
{
    struct placement_node nodes[4];
    int tops[4] = {0};
    char id[CHUNK_ID_STRLEN];

    (void)state;
    make_nodes(nodes, 4);
    nodes[0].weight = 4000; /* 4 / 7 of the total */
    for (unsigned c = 0; c < 7000; c++) {
        make_id(c, id);
        tops[top_node(nodes, 4, id)]++;
    }
    assert_true(tops[0] > 3600 && tops[0] < 4400);
    for (size_t i = 1; i < 4; i++)
        assert_true(tops[i] > 800 && tops[i] < 1200);
}

static void test_zero_weight_counts_as_one(void **state)
{
    struct placement_node nodes[2];
    int tops[2] = {0};
    char id[CHUNK_ID_STRLEN];

    (void)state;
    make_nodes(nodes, 2);
    nodes[0].weight = 0;
    nodes[1].weight = 1;
    for (unsigned c = 0; c < 2000; c++) {
        make_id(c, id);
        tops[top_node(nodes, 2, id)]++;
    }
    assert_true(tops[0] > 800 && tops[1] > 800);
}

static void test_single_and_empty(void **state)
{
    struct placement_node nodes[1];
    size_t order[1] = {42};
    char id[CHUNK_ID_STRLEN];

    (void)state;
    make_nodes(nodes, 1);
    make_id(7, id);
    placement_rank(id, nodes, 0, 3, order);
    assert_int_equal(order[0], 42);
    placement_rank(id, nodes, 1, 3, order);
    assert_int_equal(order[0], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_permutation),
        cmocka_unit_test(test_input_order_independent),
        cmocka_unit_test(test_different_ids_differ),
        cmocka_unit_test(test_zones_spread),
        cmocka_unit_test(test_zones_exhausted),
        cmocka_unit_test(test_remove_node_moves_little),
        cmocka_unit_test(test_weights_shift_share),
        cmocka_unit_test(test_zero_weight_counts_as_one),
        cmocka_unit_test(test_single_and_empty),
    };

    if (chunk_id_init() < 0) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
