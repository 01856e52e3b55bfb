/*
 * test_chunk_cache.c - unit tests of the mount's chunk cache: hits,
 * misses, the byte bound, load errors, and one load for many callers.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "chunk_cache.h"

static int loads;
static int load_rc;

static int fake_load(void *arg, const char *id, struct chunk_data **out)
{
    size_t len = arg ? *(size_t *)arg : 1000;
    __atomic_add_fetch(&loads, 1, __ATOMIC_RELAXED);
    usleep(20000); /* give concurrent callers time to pile up */
    if (load_rc) return load_rc;
    *out = chunk_data_new(len);
    memset((*out)->data, id[0], len);
    (*out)->len = len;
    return 0;
}

static void id_of(char c, char out[CHUNK_ID_STRLEN])
{
    memset(out, c, CHUNK_ID_HEX);
    out[CHUNK_ID_HEX] = 0;
}

static void test_hit_after_miss(void **state)
{
    struct chunk_cache *c = chunk_cache_new(1 << 20);
    struct chunk_data *d;
    char id[CHUNK_ID_STRLEN];

    (void)state;
    loads = load_rc = 0;
    id_of('a', id);
    assert_false(chunk_cache_has(c, id));
    assert_int_equal(chunk_cache_get(c, id, fake_load, NULL, &d), 0);
    assert_int_equal(d->len, 1000);
    assert_int_equal(d->data[0], 'a');
    chunk_data_put(d);
    assert_true(chunk_cache_has(c, id));
    assert_int_equal(chunk_cache_get(c, id, fake_load, NULL, &d), 0);
    chunk_data_put(d);
    assert_int_equal(loads, 1);
    chunk_cache_free(c);
}

static void test_bound_evicts_oldest(void **state)
{
    size_t len = 100000;
    struct chunk_cache *c = chunk_cache_new(250000);
    struct chunk_data *d;
    char a[CHUNK_ID_STRLEN], b[CHUNK_ID_STRLEN], e[CHUNK_ID_STRLEN];

    (void)state;
    loads = load_rc = 0;
    id_of('a', a), id_of('b', b), id_of('e', e);
    assert_int_equal(chunk_cache_get(c, a, fake_load, &len, &d), 0);
    chunk_data_put(d);
    assert_int_equal(chunk_cache_get(c, b, fake_load, &len, &d), 0);
    chunk_data_put(d);
    /* touch a so b is the oldest */
    assert_int_equal(chunk_cache_get(c, a, fake_load, &len, &d), 0);
    chunk_data_put(d);
    assert_int_equal(chunk_cache_get(c, e, fake_load, &len, &d), 0);
    /* d stays valid while held even if evicted later */
    assert_true(chunk_cache_has(c, a));
    assert_false(chunk_cache_has(c, b));
    assert_true(chunk_cache_has(c, e));
    assert_int_equal(d->data[len - 1], 'e');
    chunk_data_put(d);
    chunk_cache_free(c);
}

static void test_load_error_not_cached(void **state)
{
    struct chunk_cache *c = chunk_cache_new(1 << 20);
    struct chunk_data *d;
    char id[CHUNK_ID_STRLEN];

    (void)state;
    loads = 0;
    load_rc = -EIO;
    id_of('c', id);
    assert_int_equal(chunk_cache_get(c, id, fake_load, NULL, &d), -EIO);
    assert_false(chunk_cache_has(c, id));
    load_rc = 0;
    assert_int_equal(chunk_cache_get(c, id, fake_load, NULL, &d), 0);
    chunk_data_put(d);
    assert_int_equal(loads, 2);
    chunk_cache_free(c);
}

static struct chunk_cache *shared;

static void *getter(void *arg)
{
    struct chunk_data *d;
    char id[CHUNK_ID_STRLEN];
    (void)arg;
    id_of('d', id);
    if (chunk_cache_get(shared, id, fake_load, NULL, &d) == 0)
        chunk_data_put(d);
    return NULL;
}

static void test_concurrent_misses_load_once(void **state)
{
    pthread_t t[8];

    (void)state;
    loads = load_rc = 0;
    shared = chunk_cache_new(1 << 20);
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, getter, NULL);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(loads, 1);
    chunk_cache_free(shared);
}

static void test_put_inserts(void **state)
{
    struct chunk_cache *c = chunk_cache_new(1 << 20);
    struct chunk_data *d = chunk_data_new(10), *got;
    char id[CHUNK_ID_STRLEN];

    (void)state;
    loads = load_rc = 0;
    id_of('f', id);
    d->len = 10;
    chunk_cache_put(c, id, d);
    chunk_data_put(d);
    assert_int_equal(chunk_cache_get(c, id, fake_load, NULL, &got), 0);
    assert_int_equal(got->len, 10);
    assert_int_equal(loads, 0);
    chunk_data_put(got);
    chunk_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_after_miss),
        cmocka_unit_test(test_bound_evicts_oldest),
        cmocka_unit_test(test_load_error_not_cached),
        cmocka_unit_test(test_concurrent_misses_load_once),
        cmocka_unit_test(test_put_inserts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
