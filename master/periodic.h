/*
 * periodic.h - the master's background jobs, each run every interval_ms
 * on one shared thread.
 *
 * main.c lists the jobs in one table, so every timer of the daemon is
 * visible in one place.  A job returns 0 or -errno; errors are logged and
 * the job runs again at its next tick.
 */
#ifndef DFS_MASTER_PERIODIC_H
#define DFS_MASTER_PERIODIC_H

struct periodic_job {
    const char *name;
    long interval_ms;
    int (*run)(void *ctx);
};

struct periodic;

/* jobs: terminated by a {0} entry; must outlive the periodic. */
struct periodic *periodic_start(const struct periodic_job *jobs, void *ctx);
/* Waits for a running job to finish. */
void periodic_stop(struct periodic *p);

#endif
