/*
 * test_kernel_cache.c - unit tests of when an open may keep the kernel's
 * cached pages of a file: the map digest, and each rule of
 * kernel_cache.h (a claim needs a processed open, one map among the open
 * readers, no writer, no change since), and for opens that do not fetch
 * the map, the map registered at its load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel_cache.h"

static struct map_digest digest_n(uint64_t n)
{
    return (struct map_digest){.lo = n, .hi = 7};
}

/* Open a reader of ino seeing map digest n, and let its open finish. */
static bool open_done(struct kernel_cache *kc, uint64_t ino, uint64_t n,
                      struct kernel_cache_use *u)
{
    struct map_digest d = digest_n(n);
    bool keep = kernel_cache_open_reader(kc, ino, &d, u);
    kernel_cache_open_done(kc, ino, u);
    return keep;
}

/* One whole open-close of a reader: did it keep the pages? */
static bool reopen(struct kernel_cache *kc, uint64_t ino, uint64_t n)
{
    struct kernel_cache_use u;
    bool keep = open_done(kc, ino, n, &u);
    kernel_cache_closed(kc, ino, &u);
    return keep;
}

/* While handle u of ino is open, opens of map n keep nothing; once it
 * closes, the next open drops the pages and the one after keeps them. */
static void blocked_until_closed(struct kernel_cache *kc, uint64_t ino,
                                 uint64_t n, struct kernel_cache_use *u)
{
    assert_false(reopen(kc, ino, n));
    assert_false(reopen(kc, ino, n));
    kernel_cache_closed(kc, ino, u);
    assert_false(reopen(kc, ino, n));
    assert_true(reopen(kc, ino, n));
}

static void test_digest(void **state)
{
    struct dfs_chunk c[2] = {{.index = 0, .id = "aa"},
                             {.index = 1, .id = "bb"}};
    struct dfs_chunk_map m = {.size = 5000000, .nchunks = 2, .chunks = c};
    struct map_digest a, b, none = {0, 0};

    (void)state;
    map_digest_of(&m, &a);
    map_digest_of(&m, &b);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_memory_not_equal(&a, &none, sizeof(a));
    strcpy(c[1].id, "bc"); /* another chunk */
    map_digest_of(&m, &b);
    assert_memory_not_equal(&a, &b, sizeof(a));
    strcpy(c[1].id, "bb");
    m.size = 5000001; /* the same chunks, another size */
    map_digest_of(&m, &b);
    assert_memory_not_equal(&a, &b, sizeof(a));
    m.size = 5000000;
    c[1].index = 2; /* the same ids at other places */
    map_digest_of(&m, &b);
    assert_memory_not_equal(&a, &b, sizeof(a));
}

static void test_same_map_keeps(void **state)
{
    struct kernel_cache *kc = kernel_cache_new(100);

    (void)state;
    assert_false(reopen(kc, 1, 10)); /* nothing known yet */
    assert_true(reopen(kc, 1, 10));
    assert_true(reopen(kc, 1, 10));
    assert_false(reopen(kc, 1, 11)); /* changed elsewhere */
    assert_true(reopen(kc, 1, 11));
    assert_false(reopen(kc, 2, 11)); /* per inode */
    kernel_cache_free(kc);
}

static void test_pending_open_blocks(void **state)
{
    struct kernel_cache *kc = kernel_cache_new(100);
    struct kernel_cache_use a, b;
    struct map_digest d = digest_n(10), d11 = digest_n(11);

    (void)state;
    assert_false(reopen(kc, 1, 10));
    assert_false(kernel_cache_open_reader(kc, 1, &d11, &a));
    /* a's drop may not have happened yet: stale pages may be there */
    assert_false(kernel_cache_open_reader(kc, 1, &d11, &b));
    kernel_cache_open_done(kc, 1, &a);
    kernel_cache_open_done(kc, 1, &b);
    assert_true(reopen(kc, 1, 11));
    kernel_cache_closed(kc, 1, &a);
    kernel_cache_closed(kc, 1, &b);
    /* closing without a first request also ends the wait */
    assert_false(kernel_cache_open_reader(kc, 1, &d, &a));
    kernel_cache_closed(kc, 1, &a);
    assert_true(reopen(kc, 1, 10));
    kernel_cache_free(kc);
}

static void test_mixed_readers(void **state)
{
    struct kernel_cache *kc = kernel_cache_new(100);
    struct kernel_cache_use old;

    (void)state;
    assert_false(open_done(kc, 1, 10, &old));
    assert_true(reopen(kc, 1, 10));
    /* the file changed; `old` still reads the old map into the cache */
    blocked_until_closed(kc, 1, 11, &old);
    kernel_cache_free(kc);
}

static void test_writer_blocks(void **state)
{
    struct kernel_cache *kc = kernel_cache_new(100);
    struct kernel_cache_use w = {0};

    (void)state;
    assert_false(reopen(kc, 1, 10));
    kernel_cache_wrote(kc, 1, &w);
    kernel_cache_wrote(kc, 1, &w); /* counted once */
    /* the commit may have failed: the pages hold bytes of no map */
    blocked_until_closed(kc, 1, 10, &w);
    kernel_cache_free(kc);
}

static void test_changed(void **state)
{
    struct kernel_cache *kc = kernel_cache_new(100);
    struct kernel_cache_use r;

    (void)state;
    assert_false(reopen(kc, 1, 10));
    kernel_cache_changed(kc, 1); /* truncated here */
    assert_false(reopen(kc, 1, 10));
    assert_true(reopen(kc, 1, 10));
    /* a reader open across the change reads the changed file */
    assert_true(open_done(kc, 1, 10, &r));
    kernel_cache_changed(kc, 1);
    blocked_until_closed(kc, 1, 12, &r);
    /* ...even when a later open finds the map r was registered with:
     * r reads the truncated file */
    assert_true(open_done(kc, 1, 12, &r));
    kernel_cache_changed(kc, 1);
    blocked_until_closed(kc, 1, 12, &r);
    kernel_cache_free(kc);
}

/* A lazy open of ino (no map fetched), its first request, then its load
 * of map n; the handle stays open. */
static void lazy_load(struct kernel_cache *kc, uint64_t ino, uint64_t n,
                      struct kernel_cache_use *u)
{
    struct map_digest d = digest_n(n);
    assert_false(kernel_cache_open_reader(kc, ino, NULL, u));
    kernel_cache_open_done(kc, ino, u);
    kernel_cache_loaded(kc, ino, &d, u);
}

static void test_lazy_open(void **state)
{
    struct kernel_cache *kc = kernel_cache_new(100);
    struct kernel_cache_use a, b;
    struct map_digest d10 = digest_n(10), d11 = digest_n(11);

    (void)state;
    assert_false(kernel_cache_has_claim(kc, 1));
    lazy_load(kc, 1, 10, &a);
    kernel_cache_closed(kc, 1, &a);
    assert_true(kernel_cache_has_claim(kc, 1)); /* alone: its map */
    assert_true(reopen(kc, 1, 10));
    /* never loaded: nothing registered, nothing left behind */
    assert_false(kernel_cache_open_reader(kc, 2, NULL, &a));
    kernel_cache_closed(kc, 2, &a);
    assert_false(kernel_cache_has_claim(kc, 2));
    /* a reader of another map came and went between the open and the
     * load: its pages may be cached */
    assert_false(kernel_cache_open_reader(kc, 3, NULL, &a));
    kernel_cache_open_done(kc, 3, &a);
    assert_false(reopen(kc, 3, 11));
    kernel_cache_loaded(kc, 3, &d10, &a);
    kernel_cache_closed(kc, 3, &a);
    assert_false(kernel_cache_has_claim(kc, 3));
    /* a write between the open and the load */
    assert_false(kernel_cache_open_reader(kc, 4, NULL, &a));
    memset(&b, 0, sizeof(b));
    kernel_cache_wrote(kc, 4, &b);
    kernel_cache_closed(kc, 4, &b);
    kernel_cache_loaded(kc, 4, &d10, &a);
    kernel_cache_closed(kc, 4, &a);
    assert_false(kernel_cache_has_claim(kc, 4));
    /* a lazy open drops what was claimed; alone, its map is the claim */
    assert_false(reopen(kc, 5, 10));
    assert_true(reopen(kc, 5, 10));
    lazy_load(kc, 5, 11, &a);
    assert_true(reopen(kc, 5, 11));
    /* ...and while it reads, another map is not kept */
    assert_false(reopen(kc, 5, 12));
    blocked_until_closed(kc, 5, 12, &a);
    /* two lazy readers of one map: the second is not alone */
    assert_false(kernel_cache_open_reader(kc, 6, NULL, &a));
    assert_false(kernel_cache_open_reader(kc, 6, NULL, &b));
    kernel_cache_open_done(kc, 6, &a);
    kernel_cache_open_done(kc, 6, &b);
    kernel_cache_loaded(kc, 6, &d11, &a);
    kernel_cache_loaded(kc, 6, &d11, &b);
    kernel_cache_closed(kc, 6, &a);
    kernel_cache_closed(kc, 6, &b);
    assert_true(kernel_cache_has_claim(kc, 6)); /* a's, and b reads it */
    assert_true(reopen(kc, 6, 11));
    /* a reader of another map, open since before the lazy open */
    assert_false(open_done(kc, 7, 10, &b));
    assert_false(kernel_cache_open_reader(kc, 7, NULL, &a));
    kernel_cache_open_done(kc, 7, &a);
    kernel_cache_loaded(kc, 7, &d11, &a);
    assert_false(kernel_cache_has_claim(kc, 7));
    kernel_cache_closed(kc, 7, &a);
    kernel_cache_closed(kc, 7, &b);
    /* a writer open since before the lazy open */
    memset(&b, 0, sizeof(b));
    kernel_cache_wrote(kc, 8, &b);
    lazy_load(kc, 8, 10, &a);
    assert_false(kernel_cache_has_claim(kc, 8));
    kernel_cache_closed(kc, 8, &a);
    kernel_cache_closed(kc, 8, &b);
    kernel_cache_free(kc);
}

static void test_off(void **state)
{
    struct kernel_cache_use u = {0};

    (void)state;
    assert_false(reopen(NULL, 1, 10));
    assert_false(reopen(NULL, 1, 10));
    kernel_cache_wrote(NULL, 1, &u);
    kernel_cache_changed(NULL, 1);
    kernel_cache_closed(NULL, 1, &u);
}

static void test_bounded(void **state)
{
    struct kernel_cache *kc = kernel_cache_new(16);
    struct kernel_cache_use busy[40];
    int kept = 0;

    (void)state;
    for (uint64_t ino = 1; ino <= 1000; ino++)
        assert_false(reopen(kc, ino, ino));
    for (uint64_t ino = 1; ino <= 1000; ino++)
        kept += reopen(kc, ino, ino);
    assert_true(kept <= 16); /* at most max_files claims remembered */
    /* Files with handles are never forgotten, even past the bound: a
     * writer must keep blocking claims. */
    for (uint64_t i = 0; i < 40; i++) {
        memset(&busy[i], 0, sizeof(busy[i]));
        kernel_cache_wrote(kc, 5000 + i, &busy[i]);
    }
    for (uint64_t i = 0; i < 40; i++) {
        assert_false(reopen(kc, 5000 + i, 1));
        assert_false(reopen(kc, 5000 + i, 1));
    }
    for (uint64_t i = 0; i < 40; i++)
        kernel_cache_closed(kc, 5000 + i, &busy[i]);
    kernel_cache_free(kc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_same_map_keeps),
        cmocka_unit_test(test_pending_open_blocks),
        cmocka_unit_test(test_mixed_readers),
        cmocka_unit_test(test_writer_blocks),
        cmocka_unit_test(test_changed),
        cmocka_unit_test(test_lazy_open),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
