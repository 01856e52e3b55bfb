/*
 * main.c - dfs-chunkd, a chunk server: the table of contents.
 *
 * Parse the options, open the data directory (chunk store, node id) and
 * the cluster secret, serve HTTP, then run the periodic jobs until SIGTERM
 * or SIGINT:
 *   heartbeat   every --heartbeat-ms      (heartbeat.c: beat + chunk report)
 *   copier      on the master's commands  (copier.c: re-replication)
 *   fsync       every --fsync-delay-ms    (chunk_store_flush_pending)
 * On the way out the pending fsyncs are flushed so a clean stop never
 * loses an acknowledged chunk.
 *
 * Errors before serving are one line on stderr, "dfs-chunkd: what", exit
 * 1; usage errors exit 2.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "chunk_id.h"
#include "chunk_store.h"
#include "config.h"
#include "daemon.h"
#include "fsutil.h"
#include "heartbeat.h"
#include "http_client.h"
#include "http_server.h"
#include "local_server.h"
#include "log.h"
#include "node_id.h"
#include "periodic.h"
#include "privdrop.h"
#include "routes.h"
#include "wire.h"

#define PROGRAM "dfs-chunkd"
#define USAGE                                                                  \
    PROGRAM " --data DIR --master HOST:PORT [--listen HOST:PORT] "             \
            "[options]"

/* ---- options (docs/programs.md) ---- */

static struct daemon_options dopt; /* the options dfs-master takes too */
static char *opt_data, *opt_master, *opt_secret_file, *opt_zone, *opt_tls_ca;
static long long opt_heartbeat_ms, opt_fsync_delay_ms, opt_capacity;
static long long opt_chunk_size_max;
static bool opt_local_reads;

static const struct config_option options[] = {
    {"data", CONFIG_STRING, NULL, "DIR",
     "data directory: DIR/chunks/ab/cd/<id>, DIR/node_id, DIR/tmp/", &opt_data},
    {"listen", CONFIG_STRING, "127.0.0.1:9500", "HOST:PORT",
     "address to serve and to advertise; port 0 = any", &dopt.listen},
    {"master", CONFIG_STRING, NULL, "HOST:PORT", "where to heartbeat",
     &opt_master},
    DAEMON_OPTION_ADDR_FILE(dopt),
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
    {"local-reads", CONFIG_BOOL, "true", NULL,
     "hand chunk files to readers on this host that hold the secret",
     &opt_local_reads},
    DAEMON_OPTION_LOG_LEVEL(dopt),
    DAEMON_OPTION_TLS_CERT(dopt),
    DAEMON_OPTION_TLS_KEY(dopt),
    {"tls-ca", CONFIG_STRING, NULL, "FILE",
     "talk https to the master and peers, trusting this CA (PEM)",
     &opt_tls_ca},
    DAEMON_OPTION_USER(dopt),
    DAEMON_OPTION_MAX_CONNS_PER_IP(dopt),
    DAEMON_OPTION_IDLE_TIMEOUT(dopt),
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
    struct copier *copier;
    struct periodic *jobs;
    struct local_server *local; /* NULL when off or unavailable */
};

static void parse_options(int argc, char **argv, struct addr *listen)
{
    char err[512];
    int npos = 0;
    enum log_level level;

    switch (config_parse(options, USAGE, argc, argv, NULL, 0, &npos, err,
                         sizeof(err))) {
    case CONFIG_HELP:
        exit(0);
    case CONFIG_ERROR:
        daemon_die(2, "%s", err);
    case CONFIG_OK:
        break;
    }
    if (!opt_data) daemon_die(2, "--data DIR is required");
    if (!opt_master) daemon_die(2, "--master HOST:PORT is required");
    struct addr master_addr;
    if (addr_parse(opt_master, &master_addr, err, sizeof(err)) < 0)
        daemon_die(2, "--master %s: %s", opt_master, err);
    if (addr_parse(dopt.listen, listen, err, sizeof(err)) < 0)
        daemon_die(2, "--listen: %s", err);
    if (opt_heartbeat_ms <= 0 || opt_fsync_delay_ms <= 0)
        daemon_die(2, "--heartbeat-ms and --fsync-delay-ms must be positive");
    if (opt_capacity < 0 || opt_chunk_size_max <= 0)
        daemon_die(2, "--capacity and --chunk-size-max must not be negative");
    daemon_check_options(&dopt);
    if (daemon_log_level_parse(dopt.log_level, &level) < 0)
        daemon_die(2,
                   "--log-level must be debug, info, warn or error, not '%s'",
                   dopt.log_level);
    log_init(PROGRAM, level);
}

/* ---- startup steps ---- */

/* As the --user (when started as root), so what we create is its own. */
static void open_data(struct chunkd *d)
{
    char err[512];
    struct privdrop *pd = &d->privdrop;

    if (privdrop_prepare(dopt.user, pd, err, sizeof(err)) < 0 ||
        fs_check_private_dir(opt_data, privdrop_data_owner(pd), err,
                             sizeof(err)) < 0 ||
        privdrop_enter_user(pd, err, sizeof(err)) < 0 ||
        fs_check_writable_dir(opt_data, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
    if (auth_keys_load(opt_secret_file, AUTH_ROLE_CHUNKD, &d->keys, err,
                       sizeof(err)) < 0)
        daemon_die(1, "%s", err);
    if (chunk_store_open(opt_data, &d->store, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
    if (node_id_load_or_create(opt_data, d->node_id, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
}

static void serve(struct chunkd *d, const struct addr *listen)
{
    struct http_server_config cfg = {0};
    struct addr bound = *listen;
    char err[512];

    d->routes.store = d->store;
    d->routes.node_id = d->node_id;
    d->routes.capacity = (uint64_t)opt_capacity;
    d->routes.chunk_size_max = (size_t)opt_chunk_size_max;
    cfg.listen = *listen;
    cfg.routes = routes_table(&d->routes);
    cfg.ctx = &d->routes;
    cfg.keys = &d->keys;
    cfg.per_ip_connection_limit = (unsigned)dopt.max_conns_per_ip;
    cfg.timeout_s = (unsigned)dopt.idle_timeout_s;
    cfg.tls_cert_file = dopt.tls_cert;
    cfg.tls_key_file = dopt.tls_key;
    /* Bind as root (a port below 1024 needs it), then drop root for good. */
    if (privdrop_enter_root(&d->privdrop, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
    d->server = http_server_start(&cfg, err, sizeof(err));
    if (!d->server) daemon_die(1, "%s", err);
    if (privdrop_finish(&d->privdrop, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
    bound.port = http_server_port(d->server);
    addr_format(&bound, d->addr, sizeof(d->addr));
    if (dopt.addr_file) daemon_write_addr_file(dopt.addr_file, d->addr);
    if (opt_local_reads)
        d->local = local_server_start(d->addr, d->store, &d->keys);
    log_info("serving %s as node %s, %llu chunks in %s", d->addr, d->node_id,
             (unsigned long long)chunk_store_count(d->store), opt_data);
}

/* chunk_store_flush_pending logs its own failures. */
static int fsync_job(void *store)
{
    chunk_store_flush_pending(store);
    return 0;
}

/* Every periodic job with its interval: the heartbeat (heartbeat.c, on its
 * own thread, first beat at once) and the table below. */
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
    struct periodic_job jobs[] = {
        {"fsync", opt_fsync_delay_ms, fsync_job, d->store, false},
        {0}};

    d->client = http_client_new(&d->keys, opt_tls_ca);
    if (!d->client) daemon_die(1, "cannot create the HTTP client");
    hb.client = d->client;
    d->copier = copier_start(d->store, d->client);
    if (!d->copier) daemon_die(1, "cannot start threads: %s", strerror(errno));
    hb.copier = d->copier;
    d->heartbeat = heartbeat_start(&hb);
    d->jobs = periodic_start(jobs);
    if (!d->heartbeat || !d->jobs)
        daemon_die(1, "cannot start threads: %s", strerror(errno));
}

static void stop(struct chunkd *d)
{
    int rc;

    heartbeat_stop(d->heartbeat);
    copier_stop(d->copier); /* after the heartbeat, which feeds it */
    periodic_stop(d->jobs);
    local_server_stop(d->local);
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
    int sig;

    daemon_init(PROGRAM);
    log_init(PROGRAM, LOG_LEVEL_INFO);
    parse_options(argc, argv, &listen);
    if (chunk_id_init() < 0) daemon_die(1, "libsodium failed to initialise");
    daemon_block_signals(&stop_signals);

    open_data(&d);
    serve(&d, &listen);
    start_jobs(&d);

    sig = daemon_wait_signal(&stop_signals);
    log_info("%s: stopping", strsignal(sig));
    stop(&d);
    return 0;
}
