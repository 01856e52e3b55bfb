/*
 * ticker.c - a background thread that runs one job at a fixed interval.
 *
 * The wait is a condition variable on CLOCK_MONOTONIC so a wall-clock jump
 * neither stalls heartbeats nor fires them in a burst, and ticker_stop can
 * wake the thread immediately.
 */
#include "ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"

struct ticker {
    const char *name;
    long long interval_ms;
    bool run_now;
    ticker_fn fn;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
};

static void ticker_deadline(struct timespec *ts, long long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Sleep one interval; false when asked to stop. */
static bool ticker_wait(struct ticker *t)
{
    struct timespec deadline;
    bool stop;

    ticker_deadline(&deadline, t->interval_ms);
    pthread_mutex_lock(&t->lock);
    while (!t->stop &&
           pthread_cond_timedwait(&t->cond, &t->lock, &deadline) != ETIMEDOUT)
        ;
    stop = t->stop;
    pthread_mutex_unlock(&t->lock);
    return !stop;
}

static void *ticker_main(void *arg)
{
    struct ticker *t = arg;

    if (t->run_now) t->fn(t->ctx);
    while (ticker_wait(t))
        t->fn(t->ctx);
    return NULL;
}

struct ticker *ticker_start(const char *name, long long interval_ms,
                            int run_now, ticker_fn fn, void *ctx)
{
    struct ticker *t = calloc(1, sizeof(*t));
    pthread_condattr_t attr;
    int rc;

    if (!t) return NULL;
    t->name = name;
    t->interval_ms = interval_ms > 0 ? interval_ms : 1;
    t->run_now = run_now;
    t->fn = fn;
    t->ctx = ctx;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cond, &attr);
    pthread_condattr_destroy(&attr);
    rc = pthread_create(&t->thread, NULL, ticker_main, t);
    if (rc != 0) {
        pthread_cond_destroy(&t->cond);
        pthread_mutex_destroy(&t->lock);
        free(t);
        errno = rc;
        return NULL;
    }
    log_debug("%s: every %lld ms", name, t->interval_ms);
    return t;
}

void ticker_stop(struct ticker *t)
{
    if (!t) return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
