/*
 * test_repair.c - re-replication planning (master/repair.h) over a real
 * metadata store in a temporary file, on a fake clock: which chunk is
 * copied where and from whom when a node dies, the commands a node gets
 * per heartbeat, what "added" ends, what a timeout replans, and what
 * cannot be repaired (no room, no live copy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "balance.h"
#include "meta.h"
#include "placement.h"
#include "repair.h"
#include "temp_meta.h"
#include "wire.h"

#define CS 1000
#define DEAD_MS 10000
#define ROOMY 1000000

struct world {
    struct temp_meta t; /* the store's clock reads t.now_ms */
    struct meta *m;
    struct repair *r;
    uint64_t ino;
};

static int world_up(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    struct dfs_attr a;

    if (!w || temp_meta_open(&w->t, "test_repair", CS, DEAD_MS) < 0)
        return -1;
    w->m = w->t.m;
    struct meta_new_inode file = {.name = "f", .mode = S_IFREG | 0644};
    if (meta_mknod(w->m, 1, &file, &a) < 0) return -1;
    w->ino = a.ino;
    w->r = repair_new(w->m);
    *state = w;
    return w->r ? 0 : -1;
}

static int world_down(void **state)
{
    struct world *w = *state;
    repair_free(w->r);
    temp_meta_remove(&w->t);
    free(w);
    return 0;
}

/* Node "nK" at 127.0.0.1:900K beats with free bytes. */
/* The copies node id holds, as a server counts its chunk files. */
static uint64_t held(struct world *w, const char *id)
{
    char(*ids)[PLACEMENT_NODE_ID_MAX + 1];
    uint64_t *counts, count = 0;
    size_t n;
    assert_int_equal(meta_node_loads(w->m, &ids, &counts, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) count = counts[i];
    free(ids);
    free(counts);
    return count;
}

/* Node k's heartbeat, saying it holds `count` chunk files. */
static void beat_count(struct world *w, int k, uint64_t free_bytes,
                       uint64_t count)
{
    struct dfs_node n;
    memset(&n, 0, sizeof(n));
    snprintf(n.id, sizeof(n.id), "n%d", k);
    n.chunk_count = count;
    snprintf(n.addr, sizeof(n.addr), "127.0.0.1:900%d", k);
    n.capacity = 10 * (uint64_t)ROOMY;
    n.free = free_bytes;
    assert_int_equal(meta_node_heartbeat(w->m, &n), 0);
}

/* Node k's heartbeat, with its true count of chunks. */
static void beat(struct world *w, int k, uint64_t free_bytes)
{
    char id[16];
    snprintf(id, sizeof(id), "n%d", k);
    beat_count(w, k, free_bytes, held(w, id));
}

/* Chunk index idx of the file is chunk id, on the nodes in `on` ("123"
 * = n1, n2, n3). */
static void chunk_with_id(struct world *w, uint64_t idx, const char *id,
                          const char *on)
{
    struct dfs_chunk_ref ref;
    struct dfs_attr a;
    memset(&ref, 0, sizeof(ref));
    ref.index = idx;
    snprintf(ref.id, sizeof(ref.id), "%s", id);
    ref.len = CS;
    for (const char *p = on; *p; p++)
        snprintf(ref.nodes[ref.nnodes++], sizeof(ref.nodes[0]), "n%c", *p);
    assert_int_equal(meta_commit(w->m, w->ino, (idx + 1) * CS, &ref, 1, &a), 0);
}

/* Chunk index idx, id = 64 x fill. */
static void chunk_on(struct world *w, uint64_t idx, char fill, const char *on)
{
    char id[CHUNK_ID_STRLEN];
    memset(id, fill, CHUNK_ID_HEX);
    id[CHUNK_ID_HEX] = '\0';
    chunk_with_id(w, idx, id, on);
}

/* Chunk index i, with an id of its own. */
static void chunk_numbered(struct world *w, int i, const char *on)
{
    char id[CHUNK_ID_STRLEN];
    snprintf(id, sizeof(id), "%064x", i + 1);
    chunk_with_id(w, (uint64_t)i, id, on);
}

/* Let time pass; the nodes in `alive` beat every second of it. */
static void pass(struct world *w, int64_t ms, const char *alive)
{
    for (int64_t t = 0; t < ms; t += 1000) {
        w->t.now_ms += 1000;
        for (const char *p = alive; *p; p++)
            beat(w, *p - '0', ROOMY);
    }
}

static void id_of(char fill, char out[CHUNK_ID_STRLEN])
{
    memset(out, fill, CHUNK_ID_HEX);
    out[CHUNK_ID_HEX] = '\0';
}

/* The one command node k gets now: its chunk id and source. */
static void one_command(struct world *w, int k, char id[CHUNK_ID_STRLEN],
                        char from[64])
{
    char node[8];
    snprintf(node, sizeof(node), "n%d", k);
    json_object *cmds = repair_commands(w->r, node), *v;
    assert_int_equal(json_object_array_length(cmds), 1);
    json_object *c = json_object_array_get_idx(cmds, 0);
    assert_true(json_object_object_get_ex(c, K_OP, &v));
    assert_string_equal(json_object_get_string(v), DFS_CMD_COPY);
    assert_true(json_object_object_get_ex(c, K_ID, &v));
    snprintf(id, CHUNK_ID_STRLEN, "%s", json_object_get_string(v));
    assert_true(json_object_object_get_ex(c, K_FROM, &v));
    snprintf(from, 64, "%s", json_object_get_string(v));
    json_object_put(cmds);
}

/* One planning run, then this many copies outstanding. */
static void run_expect(struct world *w, size_t outstanding)
{
    assert_int_equal(repair_run(w->r), 0);
    assert_int_equal(repair_outstanding(w->r), outstanding);
}

static size_t weak_count(struct world *w)
{
    struct meta_chunk_holders weak[8];
    size_t n;
    assert_int_equal(meta_weak_chunks(w->m, weak, 8, &n), 0);
    return n;
}

static void test_dead_node_repaired(void **state)
{
    struct world *w = *state;
    char id[CHUNK_ID_STRLEN], want[CHUNK_ID_STRLEN], from[64];
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    chunk_on(w, 0, 'a', "123");
    chunk_on(w, 1, 'b', "234");
    run_expect(w, 0);

    pass(w, DEAD_MS, "234"); /* n1 dies: chunk a has 2 live copies */
    assert_int_equal(weak_count(w), 1);
    run_expect(w, 1);
    one_command(w, 4, id, from); /* n4 is the only node without it */
    id_of('a', want);
    assert_string_equal(id, want);
    assert_true(strcmp(from, "127.0.0.1:9002") == 0 ||
                strcmp(from, "127.0.0.1:9003") == 0);
    json_object *again = repair_commands(w->r, "n4"); /* sent once only */
    assert_int_equal(json_object_array_length(again), 0);
    json_object_put(again);
    run_expect(w, 1); /* not planned twice */

    assert_int_equal(
        repair_added(w->r, "n4", (const char(*)[CHUNK_ID_STRLEN])id, 1), 0);
    assert_int_equal(repair_outstanding(w->r), 0);
    assert_int_equal(weak_count(w), 0);
    run_expect(w, 0);
}

static void test_unconfirmed_copy_replanned(void **state)
{
    struct world *w = *state;
    char id[CHUNK_ID_STRLEN], from[64];
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    chunk_on(w, 0, 'a', "123");
    pass(w, DEAD_MS, "234");
    assert_int_equal(repair_run(w->r), 0);
    one_command(w, 4, id, from);
    pass(w, REPAIR_TIMEOUT_MS - 1000, "234");
    run_expect(w, 1); /* still waiting */
    pass(w, 1000, "234");
    run_expect(w, 1); /* expired, planned again */
    one_command(w, 4, id, from);
}

static void test_failed_copy_goes_elsewhere(void **state)
{
    struct world *w = *state;
    char id[CHUNK_ID_STRLEN], first[8], other[8], from[64];
    for (int k = 1; k <= 5; k++)
        beat(w, k, ROOMY);
    chunk_on(w, 0, 'a', "123");
    pass(w, DEAD_MS, "2345"); /* n1 dies; n4 and n5 could take a copy */
    run_expect(w, 1);
    json_object *c4 = repair_commands(w->r, "n4");
    json_object *c5 = repair_commands(w->r, "n5");
    size_t to4 = json_object_array_length(c4);
    assert_int_equal(to4 + json_object_array_length(c5), 1);
    json_object_put(c4);
    json_object_put(c5);
    snprintf(first, sizeof(first), "%s", to4 ? "n4" : "n5");
    snprintf(other, sizeof(other), "%s", to4 ? "n5" : "n4");
    id_of('a', id);

    assert_int_equal(
        repair_failed(w->r, first, (const char(*)[CHUNK_ID_STRLEN])id, 1), 0);
    assert_int_equal(repair_outstanding(w->r), 0);
    run_expect(w, 1); /* at once, on the other node */
    one_command(w, other[1] - '0', id, from);
    assert_int_equal(
        repair_failed(w->r, other, (const char(*)[CHUNK_ID_STRLEN])id, 1), 0);
    run_expect(w, 0); /* both failed lately: wait */
    pass(w, REPAIR_RETRY_MS, "2345");
    run_expect(w, 1);
}

/* An order for a node that dies before doing it goes to another node. */
static void test_dead_target_replanned(void **state)
{
    struct world *w = *state;
    char id[CHUNK_ID_STRLEN], from[64];
    for (int k = 1; k <= 5; k++)
        beat(w, k, ROOMY);
    chunk_on(w, 0, 'a', "123");
    pass(w, DEAD_MS, "2345");
    run_expect(w, 1);
    json_object *c4 = repair_commands(w->r, "n4");
    bool to4 = json_object_array_length(c4) == 1;
    json_object_put(c4);
    pass(w, DEAD_MS, to4 ? "235" : "234"); /* the target dies */
    run_expect(w, 1);
    one_command(w, to4 ? 5 : 4, id, from);
}

static void test_what_cannot_be_repaired(void **state)
{
    struct world *w = *state;
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    chunk_on(w, 0, 'a', "123");
    chunk_on(w, 1, 'b', "1");
    /* n1 dies; n4 is alive but has no room for a chunk */
    for (int64_t t = 0; t < DEAD_MS; t += 1000) {
        w->t.now_ms += 1000;
        beat(w, 2, ROOMY);
        beat(w, 3, ROOMY);
        beat(w, 4, CS - 1);
    }
    assert_int_equal(weak_count(w), 2); /* a: 2 copies, b: none */
    run_expect(w, 0);
    /* room appears, and n4's report hints: a is copied (once the hint may
     * scan again), b still has no copy to copy from */
    beat(w, 4, ROOMY);
    assert_int_equal(meta_node_report(w->m, "n4", NULL, 0), 0);
    run_expect(w, 0);
    pass(w, REPAIR_HINT_MS, "234");
    run_expect(w, 1);
}

static void test_drained_node_emptied(void **state)
{
    struct world *w = *state;
    struct dfs_node n;
    char id[CHUNK_ID_STRLEN], want[CHUNK_ID_STRLEN], from[64];
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    chunk_on(w, 0, 'a', "123");
    chunk_on(w, 1, 'b', "234");
    assert_int_equal(repair_run(w->r), 0);
    assert_int_equal(weak_count(w), 0);

    assert_int_equal(meta_node_drain(w->m, "n1", true, &n), 0);
    assert_true(n.draining);
    assert_int_equal(weak_count(w), 1); /* a: n1's copy does not count */
    pass(w, REPAIR_HINT_MS, "1234");
    assert_int_equal(repair_run(w->r), 0);
    one_command(w, 4, id, from); /* not n1 again, of course */
    id_of('a', want);
    assert_string_equal(id, want);
    assert_int_equal(
        repair_added(w->r, "n4", (const char(*)[CHUNK_ID_STRLEN])id, 1), 0);
    assert_int_equal(weak_count(w), 0);

    /* n4 dies: b has 2 counted copies, and the only node without it is
     * the draining n1, which takes nothing */
    pass(w, DEAD_MS, "123");
    run_expect(w, 0);
    /* n1 undrained: it is a target again */
    assert_int_equal(meta_node_drain(w->m, "n1", false, &n), 0);
    pass(w, REPAIR_HINT_MS, "123");
    assert_int_equal(repair_run(w->r), 0);
    one_command(w, 1, id, from);
    id_of('b', want);
    assert_string_equal(id, want);
}

static void test_surplus_trimmed(void **state)
{
    struct world *w = *state;
    char id[CHUNK_ID_STRLEN], from[64];
    struct meta_chunk_holders c[4];
    size_t n;
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    chunk_on(w, 0, 'a', "123");
    pass(w, DEAD_MS, "234"); /* n1 dies, n4 gets a copy */
    assert_int_equal(repair_run(w->r), 0);
    one_command(w, 4, id, from);
    assert_int_equal(
        repair_added(w->r, "n4", (const char(*)[CHUNK_ID_STRLEN])id, 1), 0);

    beat(w, 1, ROOMY); /* n1 is back: 4 copies */
    assert_int_equal(meta_surplus_chunks(w->m, c, 4, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].ngood, 4);
    run_expect(w, 1); /* the live set changed */
    int trimmed = 0;
    for (int k = 1; k <= 4; k++) {
        char node[8];
        snprintf(node, sizeof(node), "n%d", k);
        json_object *cmds = repair_commands(w->r, node), *v;
        if (json_object_array_length(cmds) == 1) {
            trimmed = k;
            json_object *cmd = json_object_array_get_idx(cmds, 0);
            assert_true(json_object_object_get_ex(cmd, K_OP, &v));
            assert_string_equal(json_object_get_string(v), DFS_CMD_DELETE);
            assert_false(json_object_object_get_ex(cmd, K_FROM, &v));
        }
        json_object_put(cmds);
    }
    assert_true(trimmed > 0);
    /* forgotten as the command left: exactly 3 counted copies */
    assert_int_equal(repair_outstanding(w->r), 0);
    assert_int_equal(meta_surplus_chunks(w->m, c, 4, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(weak_count(w), 0);
}

/* A trim planned while the chunk had a copy too many is not sent once a
 * node holding a kept copy has died. */
static void test_trim_rechecked(void **state)
{
    struct world *w = *state;
    char id[CHUNK_ID_STRLEN], alive[8] = "";
    struct placement_node pn[4];
    size_t order[4];
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    chunk_on(w, 0, 'a', "1234"); /* 4 copies: one too many */
    /* the copy the plan deletes is the one placement ranks last */
    memset(pn, 0, sizeof(pn));
    for (int k = 0; k < 4; k++) {
        snprintf(pn[k].id, sizeof(pn[k].id), "n%d", k + 1);
        pn[k].weight = ROOMY;
    }
    id_of('a', id);
    placement_rank(id, pn, 4, 3, order);
    int target = (int)order[3] + 1, victim = (int)order[0] + 1;
    run_expect(w, 1);

    for (int k = 1; k <= 4; k++)
        if (k != victim) alive[strlen(alive)] = (char)('0' + k);
    pass(w, DEAD_MS, alive); /* a kept copy's node dies */
    char node[16];
    snprintf(node, sizeof(node), "n%d", target);
    json_object *cmds = repair_commands(w->r, node);
    assert_int_equal(json_object_array_length(cmds), 0);
    json_object_put(cmds);
    assert_int_equal(repair_outstanding(w->r), 0);
    assert_int_equal(weak_count(w), 0); /* 3 copies still count */
}

/* A new, empty node gets chunks moved to it from the fullest: copy
 * first, and only then the deletion of the source's copy.  With a
 * difference of 2 x BALANCE_SLACK_MIN, a batch moves half of it, at most
 * a heartbeat's worth. */
#define BATCH                                                                  \
    (BALANCE_SLACK_MIN < REPAIR_PER_BEAT ? BALANCE_SLACK_MIN : REPAIR_PER_BEAT)
static void test_new_node_balanced(void **state)
{
    struct world *w = *state;
    char ids[BATCH][CHUNK_ID_STRLEN];
    for (int k = 1; k <= 3; k++)
        beat(w, k, ROOMY);
    /* a difference of BALANCE_SLACK_MIN copies moves nothing */
    for (int i = 0; i < BALANCE_SLACK_MIN; i++)
        chunk_numbered(w, i, "123");
    beat(w, 4, ROOMY);
    pass(w, REPAIR_BALANCE_MS, "1234");
    run_expect(w, 0);
    for (int i = BALANCE_SLACK_MIN; i < 2 * BALANCE_SLACK_MIN; i++)
        chunk_numbered(w, i, "123");
    pass(w, REPAIR_BALANCE_MS, "1234");
    run_expect(w, BATCH); /* half the difference, at most a beat's */
    json_object *cmds = repair_commands(w->r, "n4"), *v;
    assert_int_equal(json_object_array_length(cmds), BATCH);
    for (size_t i = 0; i < BATCH; i++) {
        json_object *c = json_object_array_get_idx(cmds, i);
        assert_true(json_object_object_get_ex(c, K_OP, &v));
        assert_string_equal(json_object_get_string(v), DFS_CMD_COPY);
        assert_true(json_object_object_get_ex(c, K_ID, &v));
        snprintf(ids[i], CHUNK_ID_STRLEN, "%s", json_object_get_string(v));
    }
    json_object_put(cmds);
    cmds = repair_commands(w->r, "n1"); /* nothing deleted before the copy */
    assert_int_equal(json_object_array_length(cmds), 0);
    json_object_put(cmds);
    assert_int_equal(
        repair_added(w->r, "n4", (const char(*)[CHUNK_ID_STRLEN])ids, BATCH),
        0);
    cmds = repair_commands(w->r, "n1");
    assert_int_equal(json_object_array_length(cmds), BATCH);
    for (size_t i = 0; i < BATCH; i++) {
        json_object *c = json_object_array_get_idx(cmds, i);
        assert_true(json_object_object_get_ex(c, K_OP, &v));
        assert_string_equal(json_object_get_string(v), DFS_CMD_DELETE);
    }
    json_object_put(cmds);
    assert_int_equal(weak_count(w), 0);
    assert_int_equal(repair_outstanding(w->r), 0);
}

/* Whether to count copies at all is judged from the servers' own counts:
 * a node that says it holds as many chunk files as the others (copies
 * awaiting collection, say) gets nothing, however few of them are
 * referenced; once it reports its true count, chunks move to it. */
static void test_balance_wanted_from_reports(void **state)
{
    struct world *w = *state;
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    for (int i = 0; i < 2 * BALANCE_SLACK_MIN; i++)
        chunk_numbered(w, i, "123");
    pass(w, REPAIR_BALANCE_MS, "123");
    beat_count(w, 4, ROOMY, held(w, "n1"));
    run_expect(w, 0);
    pass(w, REPAIR_BALANCE_MS, "1234"); /* n4 now says 0 */
    run_expect(w, BATCH);
}

/* Chunk i of `count`, each on the nodes `on(i)` names, in one commit. */
static void chunks_committed(struct world *w, size_t count,
                             const char *(*on)(size_t i))
{
    struct dfs_chunk_ref *refs = calloc(count, sizeof(*refs));
    struct dfs_attr a;
    assert_non_null(refs);
    for (size_t i = 0; i < count; i++) {
        refs[i].index = i;
        snprintf(refs[i].id, sizeof(refs[i].id), "%064zx", i + 1);
        refs[i].len = CS;
        for (const char *p = on(i); *p; p++)
            snprintf(refs[i].nodes[refs[i].nnodes++], sizeof(refs[i].nodes[0]),
                     "n%c", *p);
    }
    assert_int_equal(meta_commit(w->m, w->ino, count * CS, refs, count, &a),
                     0);
    free(refs);
}

/* Weak chunks in both pages, surplus ones in the second only. */
static const char *two_pages_on(size_t i)
{
    if (i < 4) return "12";                         /* weak: 2 good copies */
    if (i < META_LOADS_PAGE) return "123";          /* enough */
    if (i < META_LOADS_PAGE + 4) return "1";        /* weak: 1 */
    return "1234";                                  /* a copy too many */
}

/* n1 and n2 hold every chunk, n3 the even ones, n4 the odd. */
static const char *parity_on(size_t i)
{
    return i % 2 ? "124" : "123";
}

/* The loads are counted a page of chunks at a time: every copy counts
 * once, across page boundaries, and unreferenced copies not at all. */
static void test_loads_across_pages(void **state)
{
    struct world *w = *state;
    size_t count = META_LOADS_PAGE + 7;
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    chunks_committed(w, count, parity_on);
    /* a copy of a chunk no file refers to (left for collection) */
    char orphan[1][CHUNK_ID_STRLEN];
    id_of('e', orphan[0]);
    assert_int_equal(meta_node_added(w->m, "n3", orphan, 1), 0);
    assert_int_equal(held(w, "n1"), count);
    assert_int_equal(held(w, "n2"), count);
    assert_int_equal(held(w, "n3"), (count + 1) / 2);
    assert_int_equal(held(w, "n4"), count / 2);
}

/* The weak and surplus scans and the counts of dfs status read a page of
 * chunks at a time, yet answer as one query would: the weakest first
 * whatever page they are in, surplus chunks found past the first page,
 * every chunk counted once. */
static void test_holders_across_pages(void **state)
{
    struct world *w = *state;
    struct meta_chunk_holders out[8];
    char id[CHUNK_ID_STRLEN];
    size_t n;
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    chunks_committed(w, META_LOADS_PAGE + 8, two_pages_on);
    assert_int_equal(meta_weak_chunks(w->m, out, 6, &n), 0);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < 6; i++) {
        size_t want = i < 4 ? META_LOADS_PAGE + i : i - 4;
        snprintf(id, sizeof(id), "%064zx", want + 1);
        assert_string_equal(out[i].id, id);
        assert_int_equal(out[i].ngood, i < 4 ? 1 : 2);
    }
    struct meta_counts c;
    assert_int_equal(meta_counts(w->m, &c), 0); /* as dfs status shows */
    assert_int_equal(c.chunks, META_LOADS_PAGE + 8);
    assert_int_equal(c.under_replicated, 8);
    assert_int_equal(meta_surplus_chunks(w->m, out, 8, &n), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 4; i++) {
        snprintf(id, sizeof(id), "%064zx", META_LOADS_PAGE + 4 + i + 1);
        assert_string_equal(out[i].id, id);
        assert_int_equal(out[i].ngood, 4);
    }
}

static void test_commands_per_beat(void **state)
{
    struct world *w = *state;
    for (int k = 1; k <= 4; k++)
        beat(w, k, ROOMY);
    for (int i = 0; i < REPAIR_PER_BEAT + 4; i++)
        chunk_numbered(w, i, "123");
    pass(w, DEAD_MS, "234");
    run_expect(w, REPAIR_PER_BEAT + 4);
    json_object *cmds = repair_commands(w->r, "n4");
    assert_int_equal(json_object_array_length(cmds), REPAIR_PER_BEAT);
    json_object_put(cmds);
    cmds = repair_commands(w->r, "n4"); /* the rest at the next beat */
    assert_int_equal(json_object_array_length(cmds), 4);
    json_object_put(cmds);
    cmds = repair_commands(w->r, "n2"); /* n2 holds them all */
    assert_int_equal(json_object_array_length(cmds), 0);
    json_object_put(cmds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dead_node_repaired, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_unconfirmed_copy_replanned,
                                        world_up, world_down),
        cmocka_unit_test_setup_teardown(test_failed_copy_goes_elsewhere,
                                        world_up, world_down),
        cmocka_unit_test_setup_teardown(test_dead_target_replanned, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_what_cannot_be_repaired, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_drained_node_emptied, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_surplus_trimmed, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_trim_rechecked, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_new_node_balanced, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_balance_wanted_from_reports,
                                        world_up, world_down),
        cmocka_unit_test_setup_teardown(test_loads_across_pages, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_holders_across_pages, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_commands_per_beat, world_up,
                                        world_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
