/*
 * main.c - dfs-master: the metadata server.
 *
 * Reads as the table of contents: options, data directory and secret,
 * metadata store (meta.h), HTTP routes (routes.h), periodic jobs
 * (start_jobs below), then wait for SIGTERM/SIGINT and shut down in reverse.
 * Options and their defaults are declared once, in `options` below
 * (docs/programs.md says the same).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "auth.h"
#include "chunk_id.h"
#include "clock.h"
#include "config.h"
#include "daemon.h"
#include "fsutil.h"
#include "http_server.h"
#include "log.h"
#include "meta.h"
#include "privdrop.h"
#include "periodic.h"
#include "routes.h"
#include "wire.h"

#define PROG "dfs-master"
#define EXIT_USAGE DAEMON_EXIT_USAGE
#define DB_NAME "meta.db"
#define SECRET_NAME "secret"
#define CHUNK_SIZE_MIN 4096LL
#define CHUNK_SIZE_MAX (256LL * 1024 * 1024)

/* ---- options ---- */

static struct daemon_options dopt; /* the options dfs-chunkd takes too */
static char *opt_data, *opt_secret_file;
static bool opt_init;
static long long opt_replication, opt_chunk_size, opt_dead_after_ms;
static long long opt_gc_grace_ms;

static const struct config_option options[] = {
    {"data", CONFIG_STRING, NULL, "DIR", "data directory (meta.db, secret)",
     &opt_data},
    {"listen", CONFIG_STRING, "127.0.0.1:9400", "HOST:PORT",
     "address to serve; port 0 = any free port", &dopt.listen},
    DAEMON_OPTION_ADDR_FILE(dopt),
    {"secret-file", CONFIG_STRING, NULL, "FILE",
     "cluster secret (default DATA/secret; created if missing)",
     &opt_secret_file},
    {"init", CONFIG_BOOL, "false", NULL,
     "create DIR, the database and the secret, then exit", &opt_init},
    {"replication", CONFIG_INT, "3", "N",
     "copies of each chunk (stored at format time)", &opt_replication},
    {"chunk-size", CONFIG_INT, "4194304", "BYTES",
     "chunk size (stored at format time)", &opt_chunk_size},
    {"dead-after-ms", CONFIG_INT, "10000", "MS",
     "a chunk server silent this long is dead", &opt_dead_after_ms},
    {"gc-grace-ms", CONFIG_INT, "3600000", "MS",
     "delete a chunk no file refers to after this long (0: never); far "
     "above the mounts' writeback_s",
     &opt_gc_grace_ms},
    DAEMON_OPTION_LOG_LEVEL(dopt),
    DAEMON_OPTION_TLS_CERT(dopt),
    DAEMON_OPTION_TLS_KEY(dopt),
    DAEMON_OPTION_USER(dopt),
    DAEMON_OPTION_MAX_CONNS_PER_IP(dopt),
    DAEMON_OPTION_IDLE_TIMEOUT(dopt),
    {0}};

/* ---- routes and jobs ---- */

#define ROLE(r) (1u << AUTH_ROLE_##r)
#define READERS (ROLE(CLIENT) | ROLE(MASTER) | ROLE(CHUNKD))

/* One line per route: method, path, who may call it, body limit. */
#define ROUTE(m, path, roles, limit, fn)                                       \
    {                                                                          \
        .method = m, .prefix = path, .allowed_roles = roles,                   \
        .body_limit = limit, .handle = fn                                      \
    }
#define JSON_MAX DFS_JSON_BODY_MAX

static const struct http_route routes[] = {
    ROUTE("POST", DFS_PATH_FS, ROLE(CLIENT) | ROLE(MASTER), JSON_MAX,
          routes_fs),
    ROUTE("GET", DFS_PATH_CLUSTER_INFO, READERS, 0, routes_cluster_info),
    ROUTE("GET", DFS_PATH_CLUSTER_NODES, READERS, 0, routes_cluster_nodes),
    ROUTE("GET", DFS_PATH_CLUSTER_STATFS, READERS, 0, routes_cluster_statfs),
    ROUTE("GET", DFS_PATH_CLUSTER_STATUS, READERS, 0, routes_cluster_status),
    ROUTE("POST", DFS_PATH_CLUSTER_DRAIN, ROLE(CLIENT), JSON_MAX,
          routes_cluster_drain),
    ROUTE("POST", DFS_PATH_NODE_HEARTBEAT, ROLE(CHUNKD), JSON_MAX,
          routes_node_heartbeat),
    ROUTE("POST", DFS_PATH_NODE_REPORT, ROLE(CHUNKD), DFS_REPORT_BODY_MAX,
          routes_node_report),
    {0}};

static int job_node_sweep(void *ctx)
{
    return meta_nodes_sweep(((struct master_ctx *)ctx)->meta);
}

static int job_repair(void *ctx)
{
    return repair_run(((struct master_ctx *)ctx)->repair);
}

static int job_gc(void *ctx)
{
    return gc_run(((struct master_ctx *)ctx)->gc);
}

/* Every periodic job of the master, with its interval. */
static struct periodic *start_jobs(struct master_ctx *mc)
{
    struct periodic_job jobs[] = {
        {"node liveness sweep", 1000, job_node_sweep, mc, false},
        {"repair planning", 1000, job_repair, mc, false},
        {"garbage collection", 1000, job_gc, mc, false},
        {0}};

    return periodic_start(jobs);
}

/* ---- startup steps ---- */

static enum log_level parse_log_level(const char *s)
{
    enum log_level level;
    if (daemon_log_level_parse(s, &level) < 0)
        daemon_die(EXIT_USAGE,
                   "--log-level: '%s' is not debug, info, warn or error", s);
    return level;
}

static void parse_options(int argc, char **argv, struct addr *listen)
{
    char err[512];
    int npos = 0;
    enum config_result r =
        config_parse(options, PROG " --data DIR [--listen HOST:PORT] [options]",
                     argc, argv, NULL, 0, &npos, err, sizeof(err));
    if (r == CONFIG_HELP) exit(0);
    if (r != CONFIG_OK) daemon_die(EXIT_USAGE, "%s", err);
    if (!opt_data || !opt_data[0])
        daemon_die(EXIT_USAGE, "--data DIR is required");
    if (addr_parse(dopt.listen, listen, err, sizeof(err)) < 0)
        daemon_die(EXIT_USAGE, "--listen: %s", err);
    if (opt_replication < 1 || opt_replication > DFS_MAX_REPLICAS)
        daemon_die(EXIT_USAGE, "--replication must be 1..%d", DFS_MAX_REPLICAS);
    if (opt_chunk_size < CHUNK_SIZE_MIN || opt_chunk_size > CHUNK_SIZE_MAX)
        daemon_die(EXIT_USAGE, "--chunk-size must be %lld..%lld",
                   CHUNK_SIZE_MIN, CHUNK_SIZE_MAX);
    if (opt_dead_after_ms < 1)
        daemon_die(EXIT_USAGE, "--dead-after-ms must be positive");
    if (opt_gc_grace_ms < 0)
        daemon_die(EXIT_USAGE, "--gc-grace-ms must be 0 (off) or positive");
    daemon_check_options(&dopt);
}

/* Create the data directory when missing: with --init its parents too;
 * without, only when its parent exists (a typo should not grow a tree).
 * Made as root when started as root (its parent is often root's), then
 * given to the --user. */
static void prepare_data_dir(const char *dir, bool init,
                             const struct privdrop *pd)
{
    char err[512];
    struct stat st;
    if (stat(dir, &st) != 0 && errno == ENOENT) {
        int rc = init ? fs_mkdir_p(dir, 0700) : (mkdir(dir, 0700) ? -errno : 0);
        if (rc == 0 && pd->active && chown(dir, pd->uid, pd->gid) < 0)
            rc = -errno;
        if (rc < 0)
            daemon_die(1, "cannot create data directory %s: %s", dir,
                       strerror(-rc));
    }
    /* From here on work as the --user, so what we create is its own. */
    if (fs_check_private_dir(dir, privdrop_data_owner(pd), err, sizeof(err)) <
            0 ||
        privdrop_enter_user(pd, err, sizeof(err)) < 0 ||
        fs_check_writable_dir(dir, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
}

/* Bind as root (a port below 1024 needs it), then drop root for good. */
static struct http_server *serve(struct http_server_config *hc,
                                 const struct privdrop *pd)
{
    char err[512];
    if (privdrop_enter_root(pd, err, sizeof(err)) < 0) daemon_die(1, "%s", err);
    struct http_server *server = http_server_start(hc, err, sizeof(err));
    if (!server) daemon_die(1, "%s", err);
    if (privdrop_finish(pd, err, sizeof(err)) < 0) daemon_die(1, "%s", err);
    if (pd->active) log_info("running as user %s", pd->name);
    return server;
}

static void prepare_secret(const char *path, bool init, struct auth_keys *keys)
{
    char err[512];
    if (access(path, F_OK) != 0 && errno == ENOENT) {
        if (auth_secret_create(path, err, sizeof(err)) < 0)
            daemon_die(1, "%s", err);
        if (!init) log_info("created cluster secret %s", path);
    }
    if (auth_keys_load(path, AUTH_ROLE_MASTER, keys, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
}

static struct meta *open_store(const char *dir)
{
    char path[PATH_MAX], err[512];
    struct meta *m;
    struct meta_format fmt = {(uint32_t)opt_chunk_size,
                              (uint32_t)opt_replication};
    snprintf(path, sizeof(path), "%s/%s", dir, DB_NAME);
    if (meta_open(path, &fmt, &m, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
    meta_set_dead_after_ms(m, opt_dead_after_ms);
    return m;
}

/* host:port clients should use: the bound port, and loopback for a
 * wildcard host. */
static void write_addr_file(const char *path, const struct addr *listen,
                            int port)
{
    struct addr a = *listen;
    char text[ADDR_TEXT_MAX];
    a.port = port;
    if (strcmp(a.host, "0.0.0.0") == 0 || a.host[0] == '\0')
        snprintf(a.host, sizeof(a.host), "127.0.0.1");
    else if (strcmp(a.host, "::") == 0)
        snprintf(a.host, sizeof(a.host), "::1");
    addr_format(&a, text, sizeof(text));
    daemon_write_addr_file(path, text);
}

int main(int argc, char **argv)
{
    struct addr listen;
    struct auth_keys keys;
    struct privdrop pd;
    char secret[PATH_MAX], err[512];
    sigset_t stop_signals;
    int sig;

    daemon_init(PROG);
    parse_options(argc, argv, &listen);
    log_init(PROG, parse_log_level(dopt.log_level));
    if (chunk_id_init() < 0) daemon_die(1, "cannot initialise libsodium");
    if (privdrop_prepare(dopt.user, &pd, err, sizeof(err)) < 0)
        daemon_die(1, "%s", err);
    prepare_data_dir(opt_data, opt_init, &pd);
    if (opt_secret_file)
        snprintf(secret, sizeof(secret), "%s", opt_secret_file);
    else
        snprintf(secret, sizeof(secret), "%s/%s", opt_data, SECRET_NAME);
    struct meta *m = open_store(opt_data);
    prepare_secret(secret, opt_init, &keys);
    if (opt_init) {
        meta_close(m);
        config_free(options);
        return 0;
    }

    daemon_block_signals(&stop_signals);
    struct master_ctx mc = {
        m, repair_new(m), gc_new(m, opt_gc_grace_ms),
        leases_new(DFS_LEASE_TERM_MS, clock_monotonic_ms())};
    if (!mc.repair || !mc.gc || !mc.leases) daemon_die(1, "out of memory");
    struct http_server_config hc = {
        .listen = listen,
        .routes = routes,
        .ctx = &mc,
        .keys = &keys,
        .per_ip_connection_limit = (unsigned)dopt.max_conns_per_ip,
        .timeout_s = (unsigned)dopt.idle_timeout_s,
        .tls_cert_file = dopt.tls_cert,
        .tls_key_file = dopt.tls_key};
    struct http_server *server = serve(&hc, &pd);
    int port = http_server_port(server);
    if (dopt.addr_file) write_addr_file(dopt.addr_file, &listen, port);
    struct periodic *timers = start_jobs(&mc);
    if (!timers) daemon_die(1, "cannot start the periodic jobs thread");
    log_info("listening on %s:%d, data %s, chunk size %u, replication %u",
             listen.host, port, opt_data, meta_chunk_size(m),
             meta_replication(m));

    sig = daemon_wait_signal(&stop_signals);
    log_info("stopping on signal %d", sig);
    periodic_stop(timers);
    http_server_stop(server);
    repair_free(mc.repair);
    gc_free(mc.gc);
    leases_free(mc.leases);
    meta_close(m);
    config_free(options);
    sodium_memzero(&keys, sizeof(keys));
    return 0;
}
