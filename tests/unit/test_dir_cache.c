/*
 * test_dir_cache.c - unit tests of the mount's dir cache: which lookups it
 * answers, how local changes and master answers update or drop a
 * directory, expiry and refresh, the race between a listing and a local
 * change, and the bounds.  Time is a fake clock the tests move.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dir_cache.h"

#define SEC 1000000000LL
#define D 100 /* a directory inode */

static int64_t fake_now;

static int64_t fake_clock(void)
{
    return fake_now;
}

static struct dir_cache *cache_new(void)
{
    struct dir_cache *c = dir_cache_new(1.0);
    assert_non_null(c);
    fake_now = 1000 * SEC;
    dir_cache_set_clock(c, fake_clock);
    return c;
}

static enum dir_cache_answer ask(struct dir_cache *c, uint64_t dir,
                                 const char *name)
{
    double ttl = -1;
    return dir_cache_lookup(c, dir, name, &ttl, NULL, NULL);
}

/* A lookup that may start a refresh; the listing, if any, is returned. */
static enum dir_cache_answer ask_refresh(struct dir_cache *c, uint64_t dir,
                                         const char *name,
                                         struct dir_cache_listing **l)
{
    double ttl = -1;
    *l = NULL;
    return dir_cache_lookup(c, dir, name, &ttl, NULL, l);
}

static void list_names(struct dir_cache *c, struct dir_cache_listing *l,
                       const char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dir_cache_listing_add(l, names[i], 0), 0);
    dir_cache_listing_end(c, l, 0);
}

static void test_made_dir_answers_absent(void **state)
{
    struct dir_cache *c = cache_new();
    double ttl = -1;

    (void)state;
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ASK); /* not tracked */
    dir_cache_made(c, D, dir_cache_stamp(c));
    fake_now += SEC / 4;
    assert_int_equal(dir_cache_lookup(c, D, "x", &ttl, NULL, NULL), DIR_CACHE_ABSENT);
    /* The kernel may keep the answer only until the set expires. */
    assert_true(ttl > 0.74 && ttl < 0.76);
    assert_int_equal(dir_cache_count(c, D), 0);
    dir_cache_free(c);
}

static void test_add_remove_rename(void **state)
{
    struct dir_cache *c = cache_new();

    (void)state;
    dir_cache_made(c, D, dir_cache_stamp(c));
    dir_cache_made(c, D + 1, dir_cache_stamp(c));
    dir_cache_added(c, D, "a", 0);
    dir_cache_added(c, D, "b", 0);
    dir_cache_added(c, D, "a", 0); /* twice: still one name */
    assert_int_equal(dir_cache_count(c, D), 2);
    assert_int_equal(ask(c, D, "a"), DIR_CACHE_ASK);
    assert_int_equal(ask(c, D, "b"), DIR_CACHE_ASK);
    assert_int_equal(ask(c, D, "c"), DIR_CACHE_ABSENT);
    dir_cache_removed(c, D, "b");
    assert_int_equal(ask(c, D, "b"), DIR_CACHE_ABSENT);
    /* rename a (D) to z (D+1), as ops_rename reports it */
    dir_cache_removed(c, D, "a");
    dir_cache_added(c, D + 1, "z", 0);
    assert_int_equal(ask(c, D, "a"), DIR_CACHE_ABSENT);
    assert_int_equal(ask(c, D + 1, "z"), DIR_CACHE_ASK);
    assert_int_equal(dir_cache_count(c, D), 0);
    assert_int_equal(dir_cache_count(c, D + 1), 1);
    dir_cache_free(c);
}

static void test_expiry_and_refresh(void **state)
{
    struct dir_cache *c = cache_new();
    struct dir_cache_listing *l, *l2;
    const char *names[] = {"a", "theirs"};
    double ttl = -1;

    (void)state;
    dir_cache_made(c, D, dir_cache_stamp(c));
    dir_cache_added(c, D, "a", 0);
    fake_now += SEC + 1;
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ASK); /* expired */
    assert_int_equal(ask_refresh(c, D, "x", &l), DIR_CACHE_REFRESH);
    /* One refresh at a time: a concurrent lookup asks the master. */
    assert_int_equal(ask_refresh(c, D, "x", &l2), DIR_CACHE_ASK);
    assert_null(l2);
    int64_t began = fake_now;
    fake_now += SEC / 10; /* the listing takes a while */
    list_names(c, l, names, 2);
    assert_int_equal(dir_cache_count(c, D), 2);
    assert_int_equal(ask(c, D, "theirs"), DIR_CACHE_ASK);
    assert_int_equal(dir_cache_lookup(c, D, "x", &ttl, NULL, NULL), DIR_CACHE_ABSENT);
    /* Fresh from when the listing began, not from when it ended. */
    assert_true(ttl > 0.89 && ttl < 0.91);
    fake_now = began + SEC;
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ASK);
    dir_cache_free(c);
}

static void test_failed_listing_retried(void **state)
{
    struct dir_cache *c = cache_new();
    struct dir_cache_listing *l;

    (void)state;
    dir_cache_added(c, D, "a", 0); /* changed here: worth listing */
    assert_int_equal(dir_cache_count(c, D), -1);
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ASK);
    assert_int_equal(ask_refresh(c, D, "x", &l), DIR_CACHE_REFRESH);
    dir_cache_listing_end(c, l, -EIO);
    assert_int_equal(dir_cache_count(c, D), -1);
    assert_int_equal(ask_refresh(c, D, "x", &l), DIR_CACHE_REFRESH);
    assert_int_equal(dir_cache_listing_add(l, "a", 0), 0);
    dir_cache_listing_end(c, l, 0);
    assert_int_equal(dir_cache_count(c, D), 1);
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ABSENT);
    dir_cache_free(c);
}

/* A create that finishes while the listing runs may be missing from it:
 * such a listing must not be installed. */
static void test_change_during_listing_wins(void **state)
{
    struct dir_cache *c = cache_new();
    struct dir_cache_listing *l;
    const char *old[] = {"a"};

    (void)state;
    dir_cache_made(c, D, dir_cache_stamp(c));
    dir_cache_added(c, D, "a", 0);
    fake_now += 2 * SEC;
    assert_int_equal(ask_refresh(c, D, "x", &l), DIR_CACHE_REFRESH);
    dir_cache_added(c, D, "mine", 0); /* after the listing read the dir */
    list_names(c, l, old, 1);
    assert_int_equal(ask(c, D, "mine"), DIR_CACHE_ASK);
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ASK); /* still stale */
    /* The next refresh, undisturbed, is installed. */
    const char *now[] = {"a", "mine"};
    assert_int_equal(ask_refresh(c, D, "x", &l), DIR_CACHE_REFRESH);
    list_names(c, l, now, 2);
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ABSENT);
    assert_int_equal(ask(c, D, "mine"), DIR_CACHE_ASK);

    /* A removal during the listing counts as well. */
    dir_cache_added(c, D + 1, "f", 0);
    assert_int_equal(ask_refresh(c, D + 1, "x", &l), DIR_CACHE_REFRESH);
    dir_cache_removed(c, D + 1, "f");
    const char *f[] = {"f"};
    list_names(c, l, f, 1);
    assert_int_equal(dir_cache_count(c, D + 1), -1);

    /* So does the directory being dropped and tracked again. */
    dir_cache_added(c, D + 2, "f", 0);
    assert_int_equal(ask_refresh(c, D + 2, "x", &l), DIR_CACHE_REFRESH);
    dir_cache_forget(c, D + 2);
    dir_cache_removed(c, D + 2, "g"); /* tracked again, incomplete */
    list_names(c, l, f, 1);
    assert_int_equal(dir_cache_count(c, D + 2), -1);
    dir_cache_free(c);
}

static void test_master_disagrees(void **state)
{
    struct dir_cache *c = cache_new();

    (void)state;
    dir_cache_made(c, D, dir_cache_stamp(c));
    dir_cache_added(c, D, "a", 0);
    dir_cache_saw(c, D, "a", true, 0); /* agrees */
    dir_cache_saw(c, D, "b", false, 0);
    assert_int_equal(dir_cache_count(c, D), 1);
    dir_cache_saw(c, D, "b", true, 0); /* someone else made b */
    assert_int_equal(dir_cache_count(c, D), -1);
    assert_int_equal(ask(c, D, "zz"), DIR_CACHE_ASK);

    dir_cache_made(c, D, dir_cache_stamp(c));
    dir_cache_added(c, D, "a", 0);
    dir_cache_saw(c, D, "a", false, 0); /* someone else removed a */
    assert_int_equal(dir_cache_count(c, D), -1);
    dir_cache_free(c);
}

static void test_failures(void **state)
{
    struct dir_cache *c = cache_new();

    (void)state;
    dir_cache_made(c, D, dir_cache_stamp(c));
    dir_cache_failed(c, D, -EEXIST);
    dir_cache_failed(c, D, -ENOTEMPTY);
    dir_cache_failed(c, D, -EACCES);
    assert_int_equal(dir_cache_count(c, D), 0);
    dir_cache_failed(c, D, -EIO); /* may or may not have happened */
    assert_int_equal(dir_cache_count(c, D), -1);
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ASK);
    dir_cache_free(c);
}

static void test_disabled(void **state)
{
    struct dir_cache *c = dir_cache_new(0);
    struct dir_cache_listing *l;

    (void)state;
    dir_cache_made(c, D, dir_cache_stamp(c));
    dir_cache_added(c, D, "a", 0);
    assert_int_equal(ask(c, D, "x"), DIR_CACHE_ASK);
    assert_int_equal(ask_refresh(c, D, "x", &l), DIR_CACHE_ASK);
    assert_int_equal(dir_cache_count(c, D), -1);
    dir_cache_free(c);
    /* No cache at all is a cache that never answers. */
    assert_int_equal(ask(NULL, D, "x"), DIR_CACHE_ASK);
    dir_cache_added(NULL, D, "x", 0);
}

static void test_long_name_asks(void **state)
{
    struct dir_cache *c = cache_new();
    char name[300];

    (void)state;
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    dir_cache_made(c, D, dir_cache_stamp(c));
    assert_int_equal(ask(c, D, name),
                     DIR_CACHE_ASK); /* master's ENAMETOOLONG */
    name[255] = '\0';
    assert_int_equal(ask(c, D, name), DIR_CACHE_ABSENT);
    dir_cache_free(c);
}

static void test_dir_too_big(void **state)
{
    struct dir_cache *c = cache_new();
    struct dir_cache_listing *l;
    char name[32];
    int i;

    (void)state;
    dir_cache_made(c, D + 3, dir_cache_stamp(c)); /* a bystander */
    dir_cache_made(c, D, dir_cache_stamp(c));
    for (i = 0; i < DIR_CACHE_DIR_MAX; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        dir_cache_added(c, D, name, 0);
    }
    assert_int_equal(dir_cache_count(c, D), DIR_CACHE_DIR_MAX);
    assert_int_equal(ask(c, D, "f1"), DIR_CACHE_ASK);
    assert_int_equal(ask(c, D, "nope"), DIR_CACHE_ABSENT);
    dir_cache_added(c, D, "one-more", 0);
    assert_int_equal(dir_cache_count(c, D), -1);
    assert_int_equal(ask_refresh(c, D, "nope", &l), DIR_CACHE_ASK);

    /* Grown past what is worth listing: not refreshed once expired. */
    dir_cache_made(c, D + 1, dir_cache_stamp(c));
    for (i = 0; i <= DIR_CACHE_REFRESH_MAX; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        dir_cache_added(c, D + 1, name, 0);
    }
    /* The names of D no longer count against the bound on all names. */
    assert_int_equal(dir_cache_count(c, D + 3), 0);
    fake_now += 2 * SEC;
    assert_int_equal(ask_refresh(c, D + 1, "nope", &l), DIR_CACHE_ASK);
    assert_int_equal(dir_cache_count(c, D + 1), -1);

    /* A listing that finds too many names stops trying. */
    dir_cache_added(c, D + 2, "x", 0);
    assert_int_equal(ask_refresh(c, D + 2, "nope", &l), DIR_CACHE_REFRESH);
    int rc = 0;
    for (i = 0; rc == 0; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        rc = dir_cache_listing_add(l, name, 0);
    }
    assert_int_equal(rc, -E2BIG);
    assert_int_equal(i, DIR_CACHE_REFRESH_MAX + 1);
    dir_cache_listing_end(c, l, rc);
    assert_int_equal(dir_cache_count(c, D + 2), -1);
    assert_int_equal(ask_refresh(c, D + 2, "nope", &l), DIR_CACHE_ASK);
    dir_cache_free(c);
}

static void test_dirs_bounded(void **state)
{
    struct dir_cache *c = cache_new();
    uint64_t d;

    (void)state;
    for (d = 1; d <= DIR_CACHE_DIRS; d++)
        dir_cache_made(c, d, dir_cache_stamp(c));
    assert_int_equal(ask(c, 1, "x"), DIR_CACHE_ABSENT); /* 1: recently used */
    dir_cache_made(c, DIR_CACHE_DIRS + 1, dir_cache_stamp(c));
    assert_int_equal(dir_cache_count(c, 1), 0);
    assert_int_equal(dir_cache_count(c, 2), -1); /* the least recent went */
    assert_int_equal(dir_cache_count(c, DIR_CACHE_DIRS + 1), 0);
    dir_cache_free(c);
}

static void test_names_bounded(void **state)
{
    struct dir_cache *c = cache_new();
    const int per = 16000, dirs = DIR_CACHE_NAMES / 16000 + 1;
    char name[32];

    (void)state;
    for (int d = 1; d <= dirs; d++) {
        dir_cache_made(c, (uint64_t)d, dir_cache_stamp(c));
        for (int i = 0; i < per; i++) {
            snprintf(name, sizeof(name), "f%d", i);
            dir_cache_added(c, (uint64_t)d, name, 0);
        }
    }
    assert_int_equal(dir_cache_count(c, 1), -1); /* dropped first */
    assert_int_equal(dir_cache_count(c, (uint64_t)dirs), per);
    dir_cache_free(c);
}

struct worker {
    struct dir_cache *c;
    uint64_t dir;
};

/* Each thread fills its own directory; all share the cache. */
static void *worker_run(void *arg)
{
    struct worker *w = arg;
    char name[32];

    for (int i = 0; i < 2000; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        double ttl;
        if (dir_cache_lookup(w->c, w->dir, name, &ttl, NULL, NULL) !=
            DIR_CACHE_ABSENT)
            return "absent name not answered";
        dir_cache_added(w->c, w->dir, name, 0);
        if (i % 2) dir_cache_removed(w->c, w->dir, name);
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct dir_cache *c = cache_new();
    struct worker w[8];
    pthread_t t[8];

    (void)state;
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){.c = c, .dir = (uint64_t)i + 1};
        dir_cache_made(c, w[i].dir, dir_cache_stamp(c));
        assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        void *err;
        pthread_join(t[i], &err);
        assert_null(err);
        assert_int_equal(dir_cache_count(c, w[i].dir), 1000);
    }
    dir_cache_free(c);
}

/* A lookup that wants an inode for a name the set holds. */
static enum dir_cache_answer ask_ino(struct dir_cache *c, uint64_t dir,
                                     const char *name, uint64_t *ino,
                                     double *ttl)
{
    *ino = 0;
    return dir_cache_lookup(c, dir, name, ttl, ino, NULL);
}

static void test_present_names(void **state)
{
    struct dir_cache *c = cache_new();
    uint64_t ino;
    double ttl;

    (void)state;
    dir_cache_made(c, D, dir_cache_stamp(c));
    dir_cache_added(c, D, "a", 7);
    dir_cache_added(c, D, "b", 0); /* a rename's new name: inode unknown */
    fake_now += SEC / 4;
    assert_int_equal(ask_ino(c, D, "a", &ino, &ttl), DIR_CACHE_PRESENT);
    assert_int_equal(ino, 7);
    assert_true(ttl > 0.74 && ttl < 0.76); /* only the time left */
    assert_int_equal(ask_ino(c, D, "b", &ino, &ttl), DIR_CACHE_ASK);
    assert_int_equal(ask_ino(c, D, "c", &ino, &ttl), DIR_CACHE_ABSENT);
    /* a caller that cannot use an inode is told to ask */
    assert_int_equal(ask(c, D, "a"), DIR_CACHE_ASK);
    /* renamed over: the name now is an inode we do not know */
    dir_cache_added(c, D, "a", 0);
    assert_int_equal(ask_ino(c, D, "a", &ino, &ttl), DIR_CACHE_ASK);
    dir_cache_added(c, D, "a", 9);
    assert_int_equal(ask_ino(c, D, "a", &ino, &ttl), DIR_CACHE_PRESENT);
    assert_int_equal(ino, 9);
    fake_now += SEC;
    assert_int_equal(ask_ino(c, D, "a", &ino, &ttl), DIR_CACHE_ASK);
    dir_cache_free(c);
}

static void test_found_name_lists_dir(void **state)
{
    struct dir_cache *c = cache_new();
    struct dir_cache_listing *l;
    uint64_t ino;
    double ttl;

    (void)state;
    assert_int_equal(ask_refresh(c, D, "x", &l), DIR_CACHE_ASK);
    dir_cache_saw(c, D, "gone", false, 0); /* an absence tracks nothing */
    assert_int_equal(ask_refresh(c, D, "x", &l), DIR_CACHE_ASK);
    dir_cache_saw(c, D, "x", true, 5); /* the master found x */
    assert_int_equal(ask_refresh(c, D, "y", &l), DIR_CACHE_REFRESH);
    assert_int_equal(dir_cache_listing_add(l, "x", 5), 0);
    assert_int_equal(dir_cache_listing_add(l, "y", 6), 0);
    dir_cache_listing_end(c, l, 0);
    assert_int_equal(ask_ino(c, D, "y", &ino, &ttl), DIR_CACHE_PRESENT);
    assert_int_equal(ino, 6);
    /* the master names another inode: someone replaced it, drop all */
    dir_cache_saw(c, D, "x", true, 5);
    assert_int_equal(dir_cache_count(c, D), 2);
    dir_cache_saw(c, D, "x", true, 8);
    assert_int_equal(dir_cache_count(c, D), -1);
    dir_cache_free(c);
}

/* A directory listed large is listed again only after enough lookups. */
static void test_relisting_paid_by_lookups(void **state)
{
    struct dir_cache *c = cache_new();
    struct dir_cache_listing *l;
    char name[32];
    int asks;

    (void)state;
    dir_cache_saw(c, D, "f0", true, 1);
    assert_int_equal(ask_refresh(c, D, "f0", &l), DIR_CACHE_REFRESH);
    for (int i = 0; i < 1280; i++) {
        snprintf(name, sizeof(name), "f%d", i);
        assert_int_equal(dir_cache_listing_add(l, name, (uint64_t)i + 1), 0);
    }
    dir_cache_listing_end(c, l, 0);
    fake_now += 2 * SEC;
    for (asks = 1; ask_refresh(c, D, "f1", &l) != DIR_CACHE_REFRESH; asks++)
        assert_true(asks < 100);
    assert_int_equal(asks, 1 + 1280 / DIR_CACHE_LIST_COST);
    dir_cache_listing_end(c, l, -EIO);
    dir_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_made_dir_answers_absent),
        cmocka_unit_test(test_add_remove_rename),
        cmocka_unit_test(test_expiry_and_refresh),
        cmocka_unit_test(test_failed_listing_retried),
        cmocka_unit_test(test_change_during_listing_wins),
        cmocka_unit_test(test_master_disagrees),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_long_name_asks),
        cmocka_unit_test(test_dir_too_big),
        cmocka_unit_test(test_dirs_bounded),
        cmocka_unit_test(test_names_bounded),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_present_names),
        cmocka_unit_test(test_found_name_lists_dir),
        cmocka_unit_test(test_relisting_paid_by_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
