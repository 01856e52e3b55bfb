/*
 * log.c - one-line log messages to stderr.
 *
 * Each line is formatted whole into a stack buffer and handed to the kernel
 * in a single write(2), so lines from different threads never interleave.
 * The program name and level are set once at start-up, before threads.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096

static char log_program[64] = "dfs";
static enum log_level log_min = LOG_LEVEL_INFO;
static int log_to_syslog; /* set once, before threads, by log_use_syslog */

static const char *const log_level_names[] = {
    [LOG_LEVEL_DEBUG] = "DEBUG",
    [LOG_LEVEL_INFO] = "INFO",
    [LOG_LEVEL_WARN] = "WARN",
    [LOG_LEVEL_ERROR] = "ERROR",
};

void log_init(const char *program, enum log_level min_level)
{
    if (program) {
        /* basename: argv[0] may be a full path */
        const char *slash = strrchr(program, '/');
        snprintf(log_program, sizeof(log_program), "%s",
                 slash ? slash + 1 : program);
    }
    log_min = min_level;
}

void log_use_syslog(void)
{
    openlog(log_program, LOG_PID, LOG_DAEMON);
    log_to_syslog = 1;
}

static void log_syslog(enum log_level level, const char *fmt, va_list ap)
{
    static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
    vsyslog(prio[level], fmt, ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char line[LOG_LINE_MAX];
    struct tm tm;
    time_t now;
    size_t n;
    int saved_errno = errno; /* callers may log and then use errno */

    if (level < log_min) return;
    if ((unsigned)level > LOG_LEVEL_ERROR) level = LOG_LEVEL_ERROR;
    if (log_to_syslog) {
        va_list ap;
        va_start(ap, fmt);
        log_syslog(level, fmt, ap);
        va_end(ap);
        errno = saved_errno;
        return;
    }

    now = time(NULL);
    gmtime_r(&now, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
    n += (size_t)snprintf(line + n, sizeof(line) - n,
                          "%s[%ld] %s: ", log_program, (long)getpid(),
                          log_level_names[level]);
    if (n < sizeof(line)) {
        va_list ap;
        int m;

        va_start(ap, fmt);
        m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        if (m > 0) n += (size_t)m;
    }
    /* keep room for the newline even if the message was truncated */
    if (n > sizeof(line) - 1) n = sizeof(line) - 1;
    line[n++] = '\n';

    /* stderr may be a pipe to a dead reader; nothing useful to do then */
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
    errno = saved_errno;
}
