/*
 * clock.h - the two clocks dfs reads: monotonic milliseconds for timeouts,
 * ages and schedules (a wall-clock step moves none of them), and wall-clock
 * nanoseconds for file times.
 */
#ifndef DFS_CLOCK_H
#define DFS_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_monotonic_ms(void);
/* CLOCK_REALTIME in nanoseconds since the epoch. */
int64_t clock_realtime_ns(void);

#endif
