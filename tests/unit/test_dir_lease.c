/*
 * test_dir_lease.c - fuse/dir_lease.c: when a mount may use a directory
 * lease, what rides with the next batch, and the exact sets of
 * dir_cache.c that go with a lease.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"
#include "dir_cache.h"
#include "dir_lease.h"

#define TERM 2000

static struct dir_cache *dirs;
static struct dir_lease *leases;

static int setup(void **state)
{
    (void)state;
    dirs = dir_cache_new(1.0);
    leases = dir_lease_new(dirs);
    return dirs && leases ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    dir_lease_free(leases);
    dir_cache_free(dirs);
    return 0;
}

/* Take dir's lease as the master granted it at `sent`. */
static void take(uint64_t dir, int64_t sent)
{
    uint32_t gen;
    assert_true(dir_lease_worth_asking(leases, dir, &gen));
    dir_lease_taken(leases, dir, gen, sent, 0, TERM);
}

/* What the next batch would carry. */
struct batch_ops {
    uint64_t renew[8], gone[8];
    size_t nrenew, ngone;
};

static struct batch_ops pending(int64_t now)
{
    struct batch_ops b;
    dir_lease_pending(leases, now, b.renew, &b.nrenew, b.gone, &b.ngone, 8);
    return b;
}

static void test_take_use_renew(void **state)
{
    (void)state;
    int64_t now = clock_monotonic_ms();
    struct batch_ops b;
    uint32_t gen;

    take(7, now);
    assert_int_equal(dir_lease_until(leases, 7),
                     now + TERM - DIR_LEASE_MARGIN_MS);
    assert_false(dir_lease_worth_asking(leases, 7, &gen)); /* held */
    /* unused: nothing to renew */
    b = pending(now + DIR_LEASE_RENEW_MS);
    assert_int_equal(b.nrenew, 0);
    assert_true(dir_lease_use_begin(leases, 7));
    dir_lease_use_end(leases);
    /* used, but renewed (taken) just now */
    b = pending(now + 1);
    assert_int_equal(b.nrenew, 0);
    b = pending(now + DIR_LEASE_RENEW_MS);
    assert_int_equal(b.nrenew, 1);
    assert_int_equal(b.renew[0], 7);
    assert_int_equal(b.ngone, 0);
    dir_lease_renewed(leases, 7, now + 50, 0, TERM);
    assert_int_equal(dir_lease_until(leases, 7),
                     now + 50 + TERM - DIR_LEASE_MARGIN_MS);
    /* a directory never taken is not usable */
    assert_false(dir_lease_use_begin(leases, 8));
}

static void test_refused_renewal_gives_up(void **state)
{
    (void)state;
    int64_t now = clock_monotonic_ms();
    struct batch_ops b;
    uint32_t gen;

    take(7, now);
    dir_cache_made(dirs, 7, dir_cache_stamp(dirs));
    dir_cache_exact(dirs, 7, (now + 60000) * 1000000, false);
    assert_int_equal(dir_cache_exact_lookup(dirs, 7, "x", NULL),
                     DIR_CACHE_ABSENT);
    dir_lease_renewed(leases, 7, now, -EBUSY, 0);
    assert_false(dir_lease_use_begin(leases, 7));
    assert_int_equal(dir_lease_until(leases, 7), 0);
    /* the set is no longer exact */
    assert_int_equal(dir_cache_exact_lookup(dirs, 7, "x", NULL),
                     DIR_CACHE_ASK);
    /* the give-up rides with the next batch, once */
    b = pending(now);
    assert_int_equal(b.ngone, 1);
    assert_int_equal(b.gone[0], 7);
    b = pending(now);
    assert_int_equal(b.ngone, 0);
    /* not asked again while the give-up is on its way, nor soon after */
    assert_false(dir_lease_worth_asking(leases, 7, &gen));
    dir_lease_released(leases, 7);
    assert_false(dir_lease_worth_asking(leases, 7, &gen));
}

/* A take answered after a give-up was decided is not used: the give-up
 * may reach the master after it and end it there. */
static void test_take_raced_by_give_up(void **state)
{
    (void)state;
    int64_t now = clock_monotonic_ms();
    struct batch_ops b;
    uint32_t gen, stale;

    take(9, now);
    assert_true(dir_lease_give_up_all(leases));
    b = pending(now);
    assert_int_equal(b.ngone, 1);
    dir_lease_released(leases, 9);
    assert_true(dir_lease_worth_asking(leases, 9, &stale));
    /* another give-up of everything while this take is on its way */
    take(10, now);
    assert_true(dir_lease_worth_asking(leases, 9, &gen));
    dir_lease_taken(leases, 9, gen, now, 0, TERM);
    assert_true(dir_lease_give_up_all(leases));
    dir_lease_taken(leases, 9, gen, now, 0, TERM); /* late answer */
    assert_false(dir_lease_use_begin(leases, 9));
    assert_false(dir_lease_use_begin(leases, 10));
    (void)stale;
}

/* A lease unused since its last renewal goes once that is
 * DIR_LEASE_IDLE_MS old; one in use, or renewed lately, stays. */
static void test_unused_given_up(void **state)
{
    (void)state;
    int64_t now = clock_monotonic_ms();
    struct batch_ops b;

    take(30, now - DIR_LEASE_IDLE_MS - 10); /* unused since */
    take(31, now);                          /* just taken */
    take(32, now - DIR_LEASE_IDLE_MS - 10); /* used since its renewal */
    assert_true(dir_lease_use_begin(leases, 32));
    dir_lease_use_end(leases);
    assert_true(dir_lease_give_up_unused(leases));
    assert_false(dir_lease_use_begin(leases, 30));
    b = pending(now);
    assert_int_equal(b.ngone, 1);
    assert_int_equal(b.gone[0], 30);
    assert_int_equal(b.nrenew, 1); /* 32, used */
    assert_int_equal(b.renew[0], 32);
    assert_false(dir_lease_give_up_unused(leases));
    assert_true(dir_lease_use_begin(leases, 31));
    dir_lease_use_end(leases);
}

static void test_refused_take(void **state)
{
    (void)state;
    int64_t now = clock_monotonic_ms();
    uint32_t gen;

    assert_true(dir_lease_worth_asking(leases, 11, &gen));
    dir_lease_taken(leases, 11, gen, now, -EBUSY, 0);
    assert_false(dir_lease_use_begin(leases, 11));
    assert_false(dir_lease_worth_asking(leases, 11, &gen));
    assert_false(dir_lease_give_up_all(leases)); /* none held */
}

/* A lease whose term has passed here is not used, and not renewed. */
static void test_expired(void **state)
{
    (void)state;
    int64_t now = clock_monotonic_ms();
    struct batch_ops b;

    take(12, now - TERM);
    assert_false(dir_lease_use_begin(leases, 12));
    b = pending(now);
    assert_int_equal(b.nrenew + b.ngone, 0);
}

/* An exact set answers only while exact, and a renewal extends only a
 * set that still is. */
static void test_exact_sets(void **state)
{
    (void)state;
    int64_t now = clock_monotonic_ms() * 1000000;
    uint64_t ino = 0;

    assert_int_equal(dir_cache_exact_lookup(dirs, 20, "a", NULL),
                     DIR_CACHE_ASK);
    dir_cache_made(dirs, 20, dir_cache_stamp(dirs));
    dir_cache_added(dirs, 20, "a", 5);
    /* complete but not exact */
    assert_int_equal(dir_cache_exact_lookup(dirs, 20, "b", NULL),
                     DIR_CACHE_ASK);
    dir_cache_exact(dirs, 20, now + 60000000000, true); /* not a renewal */
    assert_int_equal(dir_cache_exact_lookup(dirs, 20, "b", NULL),
                     DIR_CACHE_ASK);
    dir_cache_exact(dirs, 20, now + 60000000000, false);
    assert_int_equal(dir_cache_exact_lookup(dirs, 20, "b", NULL),
                     DIR_CACHE_ABSENT);
    assert_int_equal(dir_cache_exact_lookup(dirs, 20, "a", &ino),
                     DIR_CACHE_PRESENT);
    assert_int_equal(ino, 5);
    /* a lease's end in the past: not exact, and a renewal cannot revive it */
    dir_cache_exact(dirs, 20, now - 1, false);
    assert_int_equal(dir_cache_exact_lookup(dirs, 20, "b", NULL),
                     DIR_CACHE_ASK);
    dir_cache_exact(dirs, 20, now + 60000000000, true);
    assert_int_equal(dir_cache_exact_lookup(dirs, 20, "b", NULL),
                     DIR_CACHE_ASK);
    /* dropping the set drops exactness */
    dir_cache_exact(dirs, 20, now + 60000000000, false);
    dir_cache_forget(dirs, 20);
    dir_cache_made(dirs, 20, dir_cache_stamp(dirs));
    assert_int_equal(dir_cache_exact_lookup(dirs, 20, "b", NULL),
                     DIR_CACHE_ASK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_take_use_renew, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_renewal_gives_up, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_take_raced_by_give_up, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unused_given_up, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_take, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_sets, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
