/*
 * test_leases.c - master/leases.c: who may change a directory's names,
 * on a clock the test moves by hand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "leases.h"

#define TERM 2000
#define A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A table whose restart grace is over at time `now`. */
static struct leases *settled(int64_t now)
{
    struct leases *l = leases_new(TERM, now - TERM);
    assert_non_null(l);
    return l;
}

static void test_holder_alone_changes(void **state)
{
    (void)state;
    struct leases *l = settled(1000);
    int64_t ms = 0;

    assert_int_equal(leases_may_change(l, 7, B, 1000), 0);
    assert_int_equal(leases_take(l, 7, A, false, 1000, &ms), 0);
    assert_int_equal(ms, TERM);
    assert_int_equal(leases_may_change(l, 7, A, 1001), 0);
    assert_int_equal(leases_may_change(l, 7, B, 1001), -EAGAIN);
    assert_int_equal(leases_may_change(l, 7, NULL, 1001), -EAGAIN);
    /* other directories are not leased */
    assert_int_equal(leases_may_change(l, 8, B, 1001), 0);
    assert_int_equal(leases_take(l, 7, B, false, 1002, &ms), -EBUSY);
    assert_int_equal(leases_count(l, 1002), 1);
    leases_free(l);
}

static void test_wanted_lease_runs_out(void **state)
{
    (void)state;
    struct leases *l = settled(0);
    int64_t ms;

    assert_int_equal(leases_take(l, 7, A, false, 0, &ms), 0);
    assert_int_equal(leases_take(l, 7, A, false, 500, &ms), 0); /* renew */
    assert_int_equal(leases_may_change(l, 7, B, 600), -EAGAIN);
    /* asked to give it up: no more renewals, but it still runs */
    assert_int_equal(leases_take(l, 7, A, false, 700, &ms), -EBUSY);
    assert_int_equal(leases_may_change(l, 7, A, 800), 0);
    assert_int_equal(leases_may_change(l, 7, B, 500 + TERM - 1), -EAGAIN);
    /* the term from the last renewal is over */
    assert_int_equal(leases_may_change(l, 7, B, 500 + TERM), 0);
    assert_int_equal(leases_count(l, 500 + TERM), 0);
    assert_int_equal(leases_take(l, 7, B, false, 500 + TERM, &ms), 0);
    assert_int_equal(leases_may_change(l, 7, A, 501 + TERM), -EAGAIN);
    leases_free(l);
}

static void test_give_up(void **state)
{
    (void)state;
    struct leases *l = settled(0);
    int64_t ms;

    assert_int_equal(leases_take(l, 7, A, false, 0, &ms), 0);
    leases_give_up(l, 7, B); /* not B's to give */
    assert_int_equal(leases_may_change(l, 7, B, 1), -EAGAIN);
    leases_give_up(l, 7, A);
    assert_int_equal(leases_may_change(l, 7, B, 2), 0);
    assert_int_equal(leases_count(l, 2), 0);
    leases_free(l);
}

/* After a restart only reclaims are granted, and only holders change
 * names, for one term. */
static void test_restart_grace(void **state)
{
    (void)state;
    struct leases *l = leases_new(TERM, 10000);
    int64_t ms;

    assert_int_equal(leases_may_change(l, 7, B, 10001), -EAGAIN);
    assert_int_equal(leases_may_change(l, 7, NULL, 10001), -EAGAIN);
    assert_int_equal(leases_take(l, 7, B, false, 10001, &ms), -EBUSY);
    assert_int_equal(leases_take(l, 7, A, true, 10002, &ms), 0);
    assert_int_equal(leases_may_change(l, 7, A, 10003), 0);
    assert_int_equal(leases_may_change(l, 7, B, 10003), -EAGAIN);
    /* grace over: the unleased directories are free again */
    assert_int_equal(leases_may_change(l, 8, B, 10000 + TERM), 0);
    assert_int_equal(leases_take(l, 8, B, false, 10000 + TERM, &ms), 0);
    leases_free(l);
}

static void test_client_ids(void **state)
{
    (void)state;
    struct leases *l = settled(0);
    int64_t ms;

    assert_false(leases_client_valid(NULL));
    assert_false(leases_client_valid(""));
    assert_false(leases_client_valid("abc"));                 /* short */
    assert_false(leases_client_valid("AAAAAAAAAAAAAAAAAAAA")); /* not hex */
    assert_false(leases_client_valid(
        "00000000000000000000000000000000000000000000000000000000000000000"));
    assert_true(leases_client_valid(A));
    assert_int_equal(leases_take(l, 7, NULL, false, 0, &ms), -EINVAL);
    assert_int_equal(leases_take(l, 7, "xyz", false, 0, &ms), -EINVAL);
    assert_int_equal(leases_count(l, 0), 0);
    leases_free(l);
}

/* Many leases in one bucket chain and expiring at different times. */
static void test_many(void **state)
{
    (void)state;
    struct leases *l = settled(0);
    int64_t ms;

    for (uint64_t d = 1; d <= 5000; d++)
        assert_int_equal(leases_take(l, d, A, false, (int64_t)d % 3, &ms), 0);
    assert_int_equal(leases_count(l, 2), 5000);
    assert_int_equal(leases_may_change(l, 4999, B, 3), -EAGAIN);
    /* those taken at 0 and 1 are over at TERM + 1 */
    assert_int_equal(leases_count(l, TERM + 1), 1667); /* d % 3 == 2 */
    assert_int_equal(leases_may_change(l, 3, B, TERM + 1), 0);
    assert_int_equal(leases_may_change(l, 2, B, TERM + 1), -EAGAIN);
    leases_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_holder_alone_changes),
        cmocka_unit_test(test_wanted_lease_runs_out),
        cmocka_unit_test(test_give_up),
        cmocka_unit_test(test_restart_grace),
        cmocka_unit_test(test_client_ids),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
