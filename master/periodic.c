/*
 * periodic.c - one thread that runs the master's periodic jobs.
 *
 * Jobs are short (a sweep over the nodes table), so one thread running
 * them in turn is enough and keeps them from contending with each other.
 * The monotonic clock drives the schedule so a wall clock step does not
 * stall or rush the jobs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "periodic.h"

#define PERIODIC_MAX_JOBS 16

struct periodic {
    const struct periodic_job *jobs;
    void *ctx;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    int64_t due_ms[PERIODIC_MAX_JOBS];
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the due jobs; return the time of the next one. */
static int64_t run_due(struct periodic *p, int64_t now)
{
    int64_t next = now + 60000;
    for (size_t i = 0; i < PERIODIC_MAX_JOBS && p->jobs[i].name; i++) {
        const struct periodic_job *j = &p->jobs[i];
        if (p->due_ms[i] <= now) {
            int rc = j->run(p->ctx);
            if (rc < 0) log_error("%s: %s", j->name, strerror(-rc));
            p->due_ms[i] = now + j->interval_ms;
        }
        if (p->due_ms[i] < next) next = p->due_ms[i];
    }
    return next;
}

static void *periodic_main(void *arg)
{
    struct periodic *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        pthread_mutex_unlock(&p->lock);
        int64_t next = run_due(p, mono_ms());
        pthread_mutex_lock(&p->lock);
        struct timespec until = {.tv_sec = next / 1000,
                                 .tv_nsec = (next % 1000) * 1000000};
        while (!p->stop && mono_ms() < next &&
               pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct periodic *periodic_start(const struct periodic_job *jobs, void *ctx)
{
    struct periodic *p = calloc(1, sizeof(*p));
    if (!p) return NULL;
    p->jobs = jobs;
    p->ctx = ctx;
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->wake, &ca);
    pthread_condattr_destroy(&ca);
    int64_t now = mono_ms();
    for (size_t i = 0; i < PERIODIC_MAX_JOBS && jobs[i].name; i++)
        p->due_ms[i] = now + jobs[i].interval_ms;
    if (pthread_create(&p->thread, NULL, periodic_main, p) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

void periodic_stop(struct periodic *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
