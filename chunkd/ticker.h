/*
 * ticker.h - a background thread that runs one job at a fixed interval.
 *
 * chunkd's periodic jobs (heartbeat, batched fsync) each get a ticker, so
 * main.c lists them in one place with their intervals.  Stopping wakes the
 * thread at once instead of waiting out the interval.
 */
#ifndef DFS_CHUNKD_TICKER_H
#define DFS_CHUNKD_TICKER_H

struct ticker;

typedef void (*ticker_fn)(void *ctx);

/* Run fn(ctx) every interval_ms (the first run after one interval, or at
 * once if run_now).  name is for the log.  NULL with errno set on failure. */
struct ticker *ticker_start(const char *name, long long interval_ms,
                            int run_now, ticker_fn fn, void *ctx);

/* Wait for a run in progress to end, stop the thread, free t. */
void ticker_stop(struct ticker *t);

#endif
