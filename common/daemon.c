/*
 * daemon.c - startup and shutdown plumbing shared by dfs-master and
 * dfs-chunkd (see daemon.h).
 */
#include "daemon.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "fsutil.h"

static const char *daemon_program = "dfs";

void daemon_init(const char *program)
{
    daemon_program = program;
}

void daemon_die(int status, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", daemon_program);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

void daemon_check_options(const struct daemon_options *o)
{
    if (!o->tls_cert != !o->tls_key)
        daemon_die(DAEMON_EXIT_USAGE, "--tls-cert and --tls-key go together");
    if (o->max_conns_per_ip < 1 || o->max_conns_per_ip > 65536)
        daemon_die(DAEMON_EXIT_USAGE, "--max-conns-per-ip must be 1..65536");
    if (o->idle_timeout_s < 1 || o->idle_timeout_s > 86400)
        daemon_die(DAEMON_EXIT_USAGE, "--idle-timeout must be 1..86400 s");
}

int daemon_log_level_parse(const char *name, enum log_level *level)
{
    /* In enum log_level order. */
    static const char *const names[] = {"debug", "info", "warn", "error"};

    for (int i = 0; i < 4; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            *level = (enum log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

void daemon_write_addr_file(const char *path, const char *addr)
{
    char line[ADDR_TEXT_MAX + 1];
    int rc;

    snprintf(line, sizeof(line), "%s\n", addr);
    rc = fs_write_file_atomic(path, line, strlen(line), 0644);
    if (rc < 0) daemon_die(1, "cannot write %s: %s", path, strerror(-rc));
}

void daemon_block_signals(sigset_t *stop_signals)
{
    sigemptyset(stop_signals);
    sigaddset(stop_signals, SIGTERM);
    sigaddset(stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN); /* a peer hanging up is an error, not death */
}

int daemon_wait_signal(const sigset_t *stop_signals)
{
    int sig = 0;

    sigwait(stop_signals, &sig);
    return sig;
}
