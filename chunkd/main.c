/*
 * main.c - dfs-chunkd, a chunk server: the table of contents.
 *
 * Parse the options, open the data directory (chunk store, node id) and
 * the cluster secret, serve HTTP, then run the periodic jobs until SIGTERM
 * or SIGINT:
 *   heartbeat   every --heartbeat-ms      (heartbeat.c: beat + chunk report)
 *   fsync       every --fsync-delay-ms    (chunk_store_flush_pending)
 * On the way out the pending fsyncs are flushed so a clean stop never
 * loses an acknowledged chunk.
 *
 * Errors before serving are one line on stderr, "dfs-chunkd: what", exit
 * 1; usage errors exit 2.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "auth.h"
#include "chunk_id.h"
#include "chunk_store.h"
#include "config.h"
#include "fsutil.h"
#include "heartbeat.h"
#include "http_client.h"
#include "http_server.h"
#include "log.h"
#include "node_id.h"
#include "privdrop.h"
#include "routes.h"
#include "ticker.h"
#include "wire.h"

#define PROGRAM "dfs-chunkd"
#define USAGE                                                                  \
    PROGRAM " --data DIR --master HOST:PORT [--listen HOST:PORT] "             \
            "[options]"

/* ---- options (docs/programs.md) ---- */

static char *opt_data, *opt_listen, *opt_master, *opt_addr_file;
static char *opt_secret_file, *opt_zone, *opt_log_level;
static char *opt_tls_cert, *opt_tls_key, *opt_tls_ca, *opt_user;
static long long opt_heartbeat_ms, opt_fsync_delay_ms, opt_capacity;
static long long opt_chunk_size_max, opt_max_conns_per_ip;

static const struct config_option options[] = {
    {"data", CONFIG_STRING, NULL, "DIR",
     "data directory: DIR/chunks/ab/cd/<id>, DIR/node_id, DIR/tmp/", &opt_data},
    {"listen", CONFIG_STRING, "127.0.0.1:9500", "HOST:PORT",
     "address to serve and to advertise; port 0 = any", &opt_listen},
    {"master", CONFIG_STRING, NULL, "HOST:PORT", "where to heartbeat",
     &opt_master},
    {"addr-file", CONFIG_STRING, NULL, "FILE",
     "after binding, write the bound host:port here", &opt_addr_file},
    {"secret-file", CONFIG_STRING, "/etc/dfs/secret", "FILE", "cluster secret",
     &opt_secret_file},
    {"zone", CONFIG_STRING, "", "NAME", "failure zone for placement",
     &opt_zone},
    {"heartbeat-ms", CONFIG_INT, "2000", "MS", "heartbeat interval",
     &opt_heartbeat_ms},
    {"fsync-delay-ms", CONFIG_INT, "1000", "MS",
     "chunks not written with sync=1 are fsynced in a batch within this",
     &opt_fsync_delay_ms},
    {"capacity", CONFIG_INT, "0", "BYTES",
     "advertised capacity; 0 = the file system's size", &opt_capacity},
    {"chunk-size-max", CONFIG_INT, "4194304", "BYTES",
     "largest chunk accepted (the cluster's chunk size)", &opt_chunk_size_max},
    {"log-level", CONFIG_STRING, "info", "LEVEL", "debug, info, warn, error",
     &opt_log_level},
    {"tls-cert", CONFIG_STRING, NULL, "FILE",
     "serve https with this PEM certificate (needs --tls-key)", &opt_tls_cert},
    {"tls-key", CONFIG_STRING, NULL, "FILE", "PEM private key for --tls-cert",
     &opt_tls_key},
    {"tls-ca", CONFIG_STRING, NULL, "FILE",
     "talk https to the master and peers, trusting this CA (PEM)",
     &opt_tls_ca},
    {"user", CONFIG_STRING, NULL, "NAME",
     "when started as root, run as NAME once the port is bound", &opt_user},
    {"max-conns-per-ip", CONFIG_INT, "128", "N",
     "open connections allowed from one client address", &opt_max_conns_per_ip},
    {0}};

/* Everything the daemon holds while running. */
struct chunkd {
    struct auth_keys keys;
    struct privdrop privdrop;
    struct chunk_store *store;
    char node_id[NODE_ID_STRLEN];
    char addr[ADDR_TEXT_MAX]; /* advertised: listen host, bound port */
    struct routes_ctx routes;
    struct http_server *server;
    struct http_client *client;
    struct heartbeat *heartbeat;
    struct ticker *fsync;
};

static void die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void die(int status, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, PROGRAM ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

static enum log_level parse_log_level(const char *name)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};

    for (int i = 0; i < 4; i++)
        if (strcasecmp(name, names[i]) == 0) return (enum log_level)i;
    die(2, "--log-level must be debug, info, warn or error, not '%s'", name);
}

static void parse_options(int argc, char **argv, struct addr *listen)
{
    char err[512];
    int npos = 0;

    switch (config_parse(options, USAGE, argc, argv, NULL, 0, &npos, err,
                         sizeof(err))) {
    case CONFIG_HELP:
        exit(0);
    case CONFIG_ERROR:
        die(2, "%s", err);
    case CONFIG_OK:
        break;
    }
    if (!opt_data) die(2, "--data DIR is required");
    if (!opt_master) die(2, "--master HOST:PORT is required");
    if (addr_parse(opt_listen, listen, err, sizeof(err)) < 0)
        die(2, "--listen: %s", err);
    if (opt_heartbeat_ms <= 0 || opt_fsync_delay_ms <= 0)
        die(2, "--heartbeat-ms and --fsync-delay-ms must be positive");
    if (opt_capacity < 0 || opt_chunk_size_max <= 0)
        die(2, "--capacity and --chunk-size-max must not be negative");
    if (!opt_tls_cert != !opt_tls_key)
        die(2, "--tls-cert and --tls-key go together");
    if (opt_max_conns_per_ip < 1 || opt_max_conns_per_ip > 65536)
        die(2, "--max-conns-per-ip must be 1..65536");
    log_init(PROGRAM, parse_log_level(opt_log_level));
}

/* ---- startup steps ---- */

/* As the --user (when started as root), so what we create is its own. */
static void open_data(struct chunkd *d)
{
    char err[512];
    struct privdrop *pd = &d->privdrop;

    if (privdrop_prepare(opt_user, pd, err, sizeof(err)) < 0 ||
        fs_check_private_dir(opt_data, privdrop_data_owner(pd), err,
                             sizeof(err)) < 0 ||
        privdrop_enter_user(pd, err, sizeof(err)) < 0 ||
        fs_check_writable_dir(opt_data, err, sizeof(err)) < 0)
        die(1, "%s", err);
    if (auth_keys_load(opt_secret_file, AUTH_ROLE_CHUNKD, &d->keys, err,
                       sizeof(err)) < 0)
        die(1, "%s", err);
    if (chunk_store_open(opt_data, &d->store, err, sizeof(err)) < 0)
        die(1, "%s", err);
    if (node_id_load_or_create(opt_data, d->node_id, err, sizeof(err)) < 0)
        die(1, "%s", err);
}

static void serve(struct chunkd *d, const struct addr *listen)
{
    struct http_server_config cfg = {0};
    struct addr bound = *listen;
    char err[512];
    int rc;

    d->routes.store = d->store;
    d->routes.node_id = d->node_id;
    d->routes.capacity = (uint64_t)opt_capacity;
    d->routes.chunk_size_max = (size_t)opt_chunk_size_max;
    cfg.listen = *listen;
    cfg.routes = routes_table(&d->routes);
    cfg.ctx = &d->routes;
    cfg.keys = &d->keys;
    cfg.per_ip_connection_limit = (unsigned)opt_max_conns_per_ip;
    cfg.tls_cert_file = opt_tls_cert;
    cfg.tls_key_file = opt_tls_key;
    /* Bind as root (a port below 1024 needs it), then drop root for good. */
    if (privdrop_enter_root(&d->privdrop, err, sizeof(err)) < 0)
        die(1, "%s", err);
    d->server = http_server_start(&cfg, err, sizeof(err));
    if (!d->server) die(1, "%s", err);
    if (privdrop_finish(&d->privdrop, err, sizeof(err)) < 0)
        die(1, "%s", err);
    bound.port = http_server_port(d->server);
    addr_format(&bound, d->addr, sizeof(d->addr));
    if (opt_addr_file) {
        char line[ADDR_TEXT_MAX + 1];
        snprintf(line, sizeof(line), "%s\n", d->addr);
        rc = fs_write_file_atomic(opt_addr_file, line, strlen(line), 0644);
        if (rc < 0) die(1, "cannot write %s: %s", opt_addr_file, strerror(-rc));
    }
    log_info("serving %s as node %s, %llu chunks in %s", d->addr, d->node_id,
             (unsigned long long)chunk_store_count(d->store), opt_data);
}

static void fsync_tick(void *store)
{
    chunk_store_flush_pending(store);
}

static void start_jobs(struct chunkd *d)
{
    struct heartbeat_config hb = {
        .master = opt_master,
        .node_id = d->node_id,
        .addr = d->addr,
        .zone = opt_zone,
        .capacity = (uint64_t)opt_capacity,
        .interval_ms = opt_heartbeat_ms,
        .store = d->store,
    };

    d->client = http_client_new(&d->keys, opt_tls_ca);
    if (!d->client) die(1, "cannot create the HTTP client");
    hb.client = d->client;
    d->heartbeat = heartbeat_start(&hb);
    d->fsync =
        ticker_start("fsync", opt_fsync_delay_ms, 0, fsync_tick, d->store);
    if (!d->heartbeat || !d->fsync)
        die(1, "cannot start threads: %s", strerror(errno));
}

/* Block the stop signals in every thread (threads inherit the mask), so
 * only main's sigwait sees them. */
static void block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN); /* a peer hanging up is an error, not death */
}

static void stop(struct chunkd *d)
{
    int rc;

    heartbeat_stop(d->heartbeat);
    ticker_stop(d->fsync);
    http_server_stop(d->server); /* no more puts after this */
    rc = chunk_store_flush_pending(d->store);
    if (rc < 0) log_error("final fsync failed: %s", strerror(-rc));
    http_client_free(d->client);
    chunk_store_close(d->store);
    config_free(options);
}

int main(int argc, char **argv)
{
    struct chunkd d = {0};
    struct addr listen;
    sigset_t stop_signals;
    int sig = 0;

    log_init(PROGRAM, LOG_LEVEL_INFO);
    parse_options(argc, argv, &listen);
    if (chunk_id_init() < 0) die(1, "libsodium failed to initialise");
    block_signals(&stop_signals);

    open_data(&d);
    serve(&d, &listen);
    start_jobs(&d);

    sigwait(&stop_signals, &sig);
    log_info("%s: stopping", strsignal(sig));
    stop(&d);
    return 0;
}
