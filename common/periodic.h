/*
 * periodic.h - background jobs, each run every interval_ms on its own
 * thread, stopped promptly.
 *
 * A daemon's main.c lists its jobs in one table, so every timer of the
 * program is visible in one place with its interval:
 *
 *     struct periodic_job jobs[] = {
 *         {"node liveness sweep", 1000, job_node_sweep, meta, false},
 *         {0}};
 *     struct periodic *timers = periodic_start(jobs);
 *
 * A job returns 0 or -errno; an error is logged with the job's name and
 * the job runs again at its next tick.  periodic_stop wakes the sleeping
 * threads at once instead of waiting out the intervals.
 */
#ifndef DFS_PERIODIC_H
#define DFS_PERIODIC_H

#include <stdbool.h>

struct periodic_job {
    const char *name;       /* for the log */
    long long interval_ms;  /* <= 0 is taken as 1 */
    int (*run)(void *ctx);  /* 0 or -errno */
    void *ctx;
    bool run_now;           /* first run at start, not after one interval */
};

struct periodic;

/* Start one thread per job of jobs (terminated by a {0} entry; copied, so
 * the table may be a local).  NULL with errno set on failure. */
struct periodic *periodic_start(const struct periodic_job *jobs);

/* Wait for runs in progress to end, stop the threads, free p (NULL ok). */
void periodic_stop(struct periodic *p);

#endif
