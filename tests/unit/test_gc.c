/*
 * test_gc.c - garbage collection planning (master/gc.h) over a real
 * metadata store in a temporary file, on a fake clock: when the copies of
 * a chunk no file refers to are forgotten and their deletion ordered, what
 * the commands say, what a new reference saves, and the per-beat cap.
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

#include "gc.h"
#include "meta.h"
#include "temp_meta.h"
#include "wire.h"

#define CS 1000
#define GRACE_MS 60000

struct world {
    struct temp_meta t; /* first: the store's clock reads t.now_ms */
    struct meta *m;
    struct gc *g;
};

static int world_up(void **state)
{
    struct world *w = calloc(1, sizeof(*w));

    if (!w || temp_meta_open(&w->t, "test_gc", CS, 10000) < 0) return -1;
    w->m = w->t.m;
    w->g = gc_new(w->m, GRACE_MS);
    *state = w;
    return w->g ? 0 : -1;
}

static int world_down(void **state)
{
    struct world *w = *state;

    gc_free(w->g);
    temp_meta_remove(&w->t);
    free(w);
    return 0;
}

/* The id numbered k: 64 hex digits. */
static void id_numbered(unsigned k, char id[CHUNK_ID_STRLEN])
{
    for (int i = 0; i < 8; i++)
        snprintf(id + 8 * i, CHUNK_ID_STRLEN - 8 * (size_t)i, "%08x", k);
}

/* A file `name` whose nchunks chunks (ids numbered first, first+1...) are
 * on n1, n2 and n3; its inode number. */
static uint64_t file_with_chunks(struct world *w, const char *name,
                                 unsigned first, int nchunks)
{
    struct meta_new_inode n = {.name = name, .mode = S_IFREG | 0644};
    struct dfs_chunk_ref refs[8];
    struct dfs_attr a;

    assert_int_equal(meta_mknod(w->m, 1, &n, &a), 0);
    memset(refs, 0, sizeof(refs));
    for (int i = 0; i < nchunks; i++) {
        refs[i].index = (uint64_t)i;
        id_numbered(first + (unsigned)i, refs[i].id);
        refs[i].len = CS;
        for (int k = 0; k < 3; k++)
            snprintf(refs[i].nodes[refs[i].nnodes++], sizeof(refs[0].nodes[0]),
                     "n%d", k + 1);
    }
    assert_int_equal(
        meta_commit(w->m, a.ino, (uint64_t)nchunks * CS, refs, nchunks, &a),
        0);
    return a.ino;
}

static size_t unreferenced(struct world *w)
{
    struct meta_replica *rows;
    size_t n;
    assert_int_equal(meta_unreferenced(w->m, NULL, 100000, &rows, &n), 0);
    free(rows);
    return n;
}

/* The number of delete commands node n gets now, checking each. */
static size_t deletions(struct world *w, const char *node)
{
    json_object *cmds = json_object_new_array(), *v;
    gc_commands(w->g, node, cmds);
    size_t n = json_object_array_length(cmds);

    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(cmds, i);
        assert_true(json_object_object_get_ex(c, K_OP, &v));
        assert_string_equal(json_object_get_string(v), DFS_CMD_DELETE);
        assert_true(json_object_object_get_ex(c, K_MIN_AGE, &v));
        assert_int_equal(json_object_get_int64(v), GRACE_MS);
        assert_true(json_object_object_get_ex(c, K_ID, &v));
        assert_int_equal(strlen(json_object_get_string(v)), CHUNK_ID_HEX);
    }
    json_object_put(cmds);
    return n;
}

static void test_removed_file_collected_after_grace(void **state)
{
    struct world *w = *state;

    file_with_chunks(w, "gone", 1, 2);
    file_with_chunks(w, "kept", 10, 1);
    assert_int_equal(gc_run(w->g), 0);
    assert_int_equal(unreferenced(w), 0);
    assert_int_equal(meta_unlink(w->m, 1, "gone"), 0);
    assert_int_equal(unreferenced(w), 6);
    w->t.now_ms += GRACE_MS / 4; /* scans come a quarter grace apart */
    assert_int_equal(gc_run(w->g), 0); /* first seen now */
    assert_int_equal(deletions(w, "n1"), 0);
    w->t.now_ms += GRACE_MS - 1;
    assert_int_equal(gc_run(w->g), 0);
    assert_int_equal(deletions(w, "n1"), 0);
    w->t.now_ms += GRACE_MS / 4;
    assert_int_equal(gc_run(w->g), 0);
    assert_int_equal(unreferenced(w), 0); /* forgotten before ordered */
    for (int k = 1; k <= 3; k++) {
        char node[8];
        snprintf(node, sizeof(node), "n%d", k);
        assert_int_equal(deletions(w, node), 2);
        assert_int_equal(deletions(w, node), 0); /* handed out once */
    }
    assert_int_equal(gc_deleted(w->g), 6);
}

static void test_referenced_again_is_kept(void **state)
{
    struct world *w = *state;

    file_with_chunks(w, "old", 1, 1);
    assert_int_equal(meta_unlink(w->m, 1, "old"), 0);
    assert_int_equal(gc_run(w->g), 0);
    w->t.now_ms += GRACE_MS / 2;
    file_with_chunks(w, "new", 1, 1); /* the same bytes again */
    assert_int_equal(gc_run(w->g), 0);
    w->t.now_ms += GRACE_MS;
    assert_int_equal(gc_run(w->g), 0);
    assert_int_equal(deletions(w, "n1"), 0);
    /* Unreferenced again: the grace starts over. */
    assert_int_equal(meta_unlink(w->m, 1, "new"), 0);
    w->t.now_ms += GRACE_MS / 2;
    assert_int_equal(gc_run(w->g), 0);
    w->t.now_ms += GRACE_MS / 2 + 1000;
    assert_int_equal(gc_run(w->g), 0);
    assert_int_equal(deletions(w, "n1"), 0);
    w->t.now_ms += GRACE_MS;
    assert_int_equal(gc_run(w->g), 0);
    assert_int_equal(deletions(w, "n1"), 1);
}

static void test_forget_rechecks(void **state)
{
    struct world *w = *state;
    char id[CHUNK_ID_STRLEN];

    file_with_chunks(w, "f", 7, 1);
    id_numbered(7, id);
    assert_int_equal(meta_unreferenced_forget(w->m, id, "n1"), 0);
    assert_int_equal(meta_unlink(w->m, 1, "f"), 0);
    assert_int_equal(meta_unreferenced_forget(w->m, id, "n1"), 1);
    assert_int_equal(meta_unreferenced_forget(w->m, id, "n1"), 0);
    assert_int_equal(unreferenced(w), 2);
}

/* Pages of unreferenced copies follow each other with no gap and no
 * copy twice, a chunk's copies split across pages included. */
static void test_pages(void **state)
{
    struct world *w = *state;
    struct meta_replica *page, last;
    size_t n, total = 0;
    bool first = true;

    file_with_chunks(w, "f", 1, 8); /* 24 copies */
    assert_int_equal(meta_unlink(w->m, 1, "f"), 0);
    do {
        assert_int_equal(
            meta_unreferenced(w->m, first ? NULL : &last, 5, &page, &n), 0);
        for (size_t i = 0; i < n; i++) {
            if (!first || i > 0) {
                const struct meta_replica *prev = i ? &page[i - 1] : &last;
                int c = strcmp(prev->chunk_id, page[i].chunk_id);
                assert_true(c < 0 ||
                            (c == 0 &&
                             strcmp(prev->node_id, page[i].node_id) < 0));
            }
        }
        if (n > 0) last = page[n - 1], first = false;
        total += n;
        free(page);
    } while (n == 5);
    assert_int_equal(total, 24);
}

static void test_capped_per_beat(void **state)
{
    struct world *w = *state;
    char name[16];
    size_t given = 0, got;

    /* 50 files of 8 chunks: 1200 copies, more than one GC_PAGE */
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        file_with_chunks(w, name, 100 + 8 * (unsigned)i, 8);
        assert_int_equal(meta_unlink(w->m, 1, name), 0);
    }
    assert_true(unreferenced(w) > GC_PAGE);
    assert_int_equal(gc_run(w->g), 0);
    w->t.now_ms += GRACE_MS + 1000;
    assert_int_equal(gc_run(w->g), 0);
    assert_int_equal(unreferenced(w), 0);
    assert_int_equal(deletions(w, "n2"), GC_PER_BEAT);
    given = GC_PER_BEAT;
    while ((got = deletions(w, "n2")) > 0) {
        assert_true(got <= GC_PER_BEAT);
        given += got;
    }
    assert_int_equal(given, 400);
}

static void test_off(void **state)
{
    struct world *w = *state;
    struct gc *off = gc_new(w->m, 0);

    file_with_chunks(w, "f", 5, 1);
    assert_int_equal(meta_unlink(w->m, 1, "f"), 0);
    assert_int_equal(gc_run(off), 0);
    w->t.now_ms += 100 * GRACE_MS;
    assert_int_equal(gc_run(off), 0);
    json_object *cmds = json_object_new_array();
    gc_commands(off, "n1", cmds);
    assert_int_equal(json_object_array_length(cmds), 0);
    json_object_put(cmds);
    assert_int_equal(unreferenced(w), 3);
    gc_free(off);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_removed_file_collected_after_grace,
                                        world_up, world_down),
        cmocka_unit_test_setup_teardown(test_referenced_again_is_kept,
                                        world_up, world_down),
        cmocka_unit_test_setup_teardown(test_forget_rechecks, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_pages, world_up, world_down),
        cmocka_unit_test_setup_teardown(test_capped_per_beat, world_up,
                                        world_down),
        cmocka_unit_test_setup_teardown(test_off, world_up, world_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
