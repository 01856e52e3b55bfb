/*
 * periodic.c - one thread per periodic job, all woken by one condition
 * variable when it is time to stop.
 *
 * A thread per job, not one for all: a job may block for a long time (a
 * heartbeat waiting on an unreachable master), and that must not delay
 * another whose interval is a promise (chunkd's batched fsync).
 *
 * The schedule runs on CLOCK_MONOTONIC, so a wall-clock step neither
 * stalls the jobs nor fires them in a burst.  A job is due one interval
 * after its previous run started; a run longer than the interval is
 * followed by the next at once, never by a burst of missed ones.
 */
#include "periodic.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

struct periodic_thread {
    struct periodic *owner;
    struct periodic_job job;
    pthread_t thread;
};

struct periodic {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* broadcast by periodic_stop */
    bool stop;
    size_t nthreads;     /* started so far */
    struct periodic_thread threads[];
};

static int64_t periodic_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleep until due_ms (monotonic); false when asked to stop. */
static bool periodic_sleep(struct periodic *p, int64_t due_ms)
{
    struct timespec until = {.tv_sec = due_ms / 1000,
                             .tv_nsec = (due_ms % 1000) * 1000000L};
    bool stop;

    pthread_mutex_lock(&p->lock);
    while (!p->stop && periodic_now_ms() < due_ms &&
           pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
        ;
    stop = p->stop;
    pthread_mutex_unlock(&p->lock);
    return !stop;
}

static void periodic_run(const struct periodic_job *job)
{
    int rc = job->run(job->ctx);

    if (rc < 0) log_error("%s: %s", job->name, strerror(-rc));
}

static void *periodic_main(void *arg)
{
    struct periodic_thread *t = arg;
    const struct periodic_job *job = &t->job;
    int64_t due = periodic_now_ms() + (job->run_now ? 0 : job->interval_ms);

    while (periodic_sleep(t->owner, due)) {
        due = periodic_now_ms() + job->interval_ms;
        periodic_run(job);
    }
    return NULL;
}

static size_t periodic_count(const struct periodic_job *jobs)
{
    size_t n = 0;

    while (jobs[n].name)
        n++;
    return n;
}

struct periodic *periodic_start(const struct periodic_job *jobs)
{
    size_t n = periodic_count(jobs);
    struct periodic *p = calloc(1, sizeof(*p) + n * sizeof(p->threads[0]));
    pthread_condattr_t attr;

    if (!p) return NULL;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &attr);
    pthread_condattr_destroy(&attr);
    for (size_t i = 0; i < n; i++) {
        struct periodic_thread *t = &p->threads[i];
        int rc;

        t->owner = p;
        t->job = jobs[i];
        if (t->job.interval_ms <= 0) t->job.interval_ms = 1;
        rc = pthread_create(&t->thread, NULL, periodic_main, t);
        if (rc != 0) {
            periodic_stop(p); /* the threads already started */
            errno = rc;
            return NULL;
        }
        p->nthreads++;
        log_debug("%s: every %lld ms", t->job.name, t->job.interval_ms);
    }
    return p;
}

void periodic_stop(struct periodic *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (size_t i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i].thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
