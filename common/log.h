/*
 * log.h - one-line log messages to stderr.
 *
 * Every daemon logs "2026-11-25T14:00:00Z dfs-master[pid] LEVEL: text" to
 * stderr; systemd and tools/cluster redirect it to a file or the journal.
 * Thread-safe (one write(2) per line).
 */
#ifndef DFS_LOG_H
#define DFS_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Set the program name shown in each line and the lowest level printed. */
void log_init(const char *program, enum log_level min_level);

/* Send lines to syslog (daemon facility) from now on, for a process that
 * has gone to the background with stderr closed (mount.dfs without -f). */
void log_use_syslog(void);

void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
