/*
 * daemon.h - what dfs-master and dfs-chunkd do alike around their work:
 * the options both take, fatal startup errors, --addr-file, and waiting
 * for SIGTERM/SIGINT.
 *
 * Startup errors are one line on stderr, "PROGRAM: what", then exit
 * (DAEMON_EXIT_USAGE for a bad invocation, 1 otherwise).
 *
 * The shared options are rows for a program's config_option table, so
 * each table still lists all its options in its own --help order:
 *
 *     static struct daemon_options dopt;
 *     static const struct config_option options[] = {
 *         {"listen", CONFIG_STRING, "127.0.0.1:9400", "HOST:PORT", "...",
 *          &dopt.listen},
 *         DAEMON_OPTION_ADDR_FILE(dopt),
 *         ...
 */
#ifndef DFS_DAEMON_H
#define DFS_DAEMON_H

#include <signal.h>

#include "config.h"
#include "log.h"

#define DAEMON_EXIT_USAGE 2

/* Targets of the options every daemon takes (listen's default and help
 * differ per daemon, so its row is the program's own). */
struct daemon_options {
    char *listen, *addr_file, *log_level, *tls_cert, *tls_key, *user;
    long long max_conns_per_ip, idle_timeout_s;
};

#define DAEMON_OPTION_ADDR_FILE(o)                                             \
    {"addr-file", CONFIG_STRING, NULL, "FILE",                                 \
     "after binding, write the bound host:port here", &(o).addr_file}
#define DAEMON_OPTION_LOG_LEVEL(o)                                             \
    {"log-level", CONFIG_STRING, "info", "LEVEL", "debug, info, warn, error",  \
     &(o).log_level}
#define DAEMON_OPTION_TLS_CERT(o)                                              \
    {"tls-cert", CONFIG_STRING, NULL, "FILE",                                  \
     "serve https with this PEM certificate (needs --tls-key)", &(o).tls_cert}
#define DAEMON_OPTION_TLS_KEY(o)                                               \
    {"tls-key", CONFIG_STRING, NULL, "FILE", "PEM private key for --tls-cert", \
     &(o).tls_key}
#define DAEMON_OPTION_USER(o)                                                  \
    {"user", CONFIG_STRING, NULL, "NAME",                                      \
     "when started as root, run as NAME once the port is bound", &(o).user}
#define DAEMON_OPTION_MAX_CONNS_PER_IP(o)                                      \
    {"max-conns-per-ip", CONFIG_INT, "128", "N",                               \
     "open connections allowed from one client address",                      \
     &(o).max_conns_per_ip}
#define DAEMON_OPTION_IDLE_TIMEOUT(o)                                          \
    {"idle-timeout", CONFIG_INT, "30", "SECONDS",                              \
     "close a connection that sent nothing for this long",                    \
     &(o).idle_timeout_s}

/* Name the program for daemon_die ("dfs-master"); call first. */
void daemon_init(const char *program);

/* Print "PROGRAM: message" on stderr and exit(status). */
void daemon_die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Die with a usage error unless --tls-cert/--tls-key come together and
 * --max-conns-per-ip and --idle-timeout are in range.  (--listen and --log-level are checked
 * by the callers, whose messages and order differ.) */
void daemon_check_options(const struct daemon_options *o);

/* "debug", "info", "warn", "error" (any case) -> level; -EINVAL if none. */
int daemon_log_level_parse(const char *name, enum log_level *level);

/* Write "addr\n" to path atomically, or die. */
void daemon_write_addr_file(const char *path, const char *addr);

/* Block SIGTERM and SIGINT in this thread and all threads started after
 * (they inherit the mask), so only daemon_wait_signal sees them; ignore
 * SIGPIPE.  Call before starting any thread. */
void daemon_block_signals(sigset_t *stop_signals);

/* Wait for one of stop_signals; return its number. */
int daemon_wait_signal(const sigset_t *stop_signals);

#endif
