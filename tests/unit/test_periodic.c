/*
 * test_periodic.c - periodic jobs: they run at about their interval, each
 * on its own schedule, keep running after an error, and stop promptly.
 *
 * Timing bounds are loose (a loaded test machine delays threads) but still
 * tell "about the interval" from "never" or "in a burst".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "log.h"
#include "periodic.h"

struct counter {
    atomic_int runs;
    int result;        /* what the job returns */
    long sleep_ms;     /* how long one run takes */
    atomic_int inside; /* a run is in progress */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int count_job(void *arg)
{
    struct counter *c = arg;

    atomic_store(&c->inside, 1);
    if (c->sleep_ms) sleep_ms(c->sleep_ms);
    atomic_fetch_add(&c->runs, 1);
    atomic_store(&c->inside, 0);
    return c->result;
}

static void test_runs_at_interval(void **state)
{
    struct counter c = {0};
    struct periodic_job jobs[] = {{"count", 50, count_job, &c, false}, {0}};
    struct periodic *p;

    (void)state;
    p = periodic_start(jobs);
    assert_non_null(p);
    sleep_ms(25);
    assert_int_equal(atomic_load(&c.runs), 0); /* first run after 50 ms */
    sleep_ms(500);                             /* ~10 runs by now */
    periodic_stop(p);
    assert_in_range(atomic_load(&c.runs), 5, 12);
}

static void test_run_now(void **state)
{
    struct counter c = {0};
    struct periodic_job jobs[] = {{"now", 10000, count_job, &c, true}, {0}};
    struct periodic *p;

    (void)state;
    p = periodic_start(jobs);
    assert_non_null(p);
    sleep_ms(100);
    periodic_stop(p);
    assert_int_equal(atomic_load(&c.runs), 1);
}

static void test_stop_is_prompt(void **state)
{
    struct counter c = {0};
    struct periodic_job jobs[] = {{"slow", 10000, count_job, &c, false},
                                  {0}};
    struct periodic *p;
    int64_t t0;

    (void)state;
    p = periodic_start(jobs);
    assert_non_null(p);
    sleep_ms(20);
    t0 = now_ms();
    periodic_stop(p);
    assert_true(now_ms() - t0 < 500); /* not the 10 s interval */
    assert_int_equal(atomic_load(&c.runs), 0);
}

static void test_two_intervals(void **state)
{
    struct counter fast = {0}, slow = {0};
    struct periodic_job jobs[] = {{"fast", 20, count_job, &fast, false},
                                  {"slow", 150, count_job, &slow, false},
                                  {0}};
    struct periodic *p;
    int nfast, nslow;

    (void)state;
    p = periodic_start(jobs);
    assert_non_null(p);
    sleep_ms(640);
    periodic_stop(p);
    nfast = atomic_load(&fast.runs); /* ~32 */
    nslow = atomic_load(&slow.runs); /* ~4 */
    assert_in_range(nslow, 2, 5);
    assert_in_range(nfast, 12, 40);
    assert_true(nfast >= 3 * nslow);
}

/* A failing job is logged and runs again at its next tick. */
static void test_error_keeps_running(void **state)
{
    struct counter c = {.result = -EIO};
    struct periodic_job jobs[] = {{"failing", 20, count_job, &c, false},
                                  {0}};
    struct periodic *p;

    (void)state;
    p = periodic_start(jobs);
    assert_non_null(p);
    sleep_ms(200);
    periodic_stop(p);
    assert_true(atomic_load(&c.runs) >= 3);
}

/* Stop waits for a run in progress, and nothing runs after it returns. */
static void test_stop_waits_for_run(void **state)
{
    struct counter c = {.sleep_ms = 150};
    struct periodic_job jobs[] = {{"long", 10000, count_job, &c, true}, {0}};
    struct periodic *p;
    int runs;

    (void)state;
    p = periodic_start(jobs);
    assert_non_null(p);
    sleep_ms(30);
    assert_int_equal(atomic_load(&c.inside), 1);
    periodic_stop(p);
    assert_int_equal(atomic_load(&c.inside), 0);
    runs = atomic_load(&c.runs);
    assert_int_equal(runs, 1);
    sleep_ms(50);
    assert_int_equal(atomic_load(&c.runs), runs);
}

static void test_no_jobs(void **state)
{
    struct periodic_job jobs[] = {{0}};
    struct periodic *p;

    (void)state;
    p = periodic_start(jobs);
    assert_non_null(p);
    periodic_stop(p);
    periodic_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_at_interval),
        cmocka_unit_test(test_run_now),
        cmocka_unit_test(test_stop_is_prompt),
        cmocka_unit_test(test_two_intervals),
        cmocka_unit_test(test_error_keeps_running),
        cmocka_unit_test(test_stop_waits_for_run),
        cmocka_unit_test(test_no_jobs),
    };

    /* Quiet: the failing job would log an error at every tick. */
    log_init("test_periodic", (enum log_level)(LOG_LEVEL_ERROR + 1));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
