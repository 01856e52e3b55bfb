/*
 * main.c - mount.dfs: mount a dfs cluster with FUSE.
 *
 * The table of contents: parse the command line, check what would make
 * the mount useless before mounting (mountpoint, secret, master), build
 * the shared mount state, mount, go to the background once the mount is
 * ready (unless -f), serve with the multithreaded loop until unmounted or
 * SIGTERM/SIGINT, clean up.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "attr_cache.h"
#include "auth.h"
#include "chunk_cache.h"
#include "dir_cache.h"
#include "dir_lease.h"
#include "kernel_cache.h"
#include "local_read.h"
#include "log.h"
#include "mount_opts.h"
#include "node_cache.h"
#include "open_table.h"
#include "ops.h"
#include "readahead.h"
#include "setattr_behind.h"
#include "writeback.h"
#include "wire.h"

#define PROG "mount.dfs"
#define MASTER_CHECK_MS 3000 /* how long to wait for the master at mount */
#define NODE_CACHE_TTL_MS 2000
/* Files whose kernel page cache is remembered after their last close:
 * about 100 bytes each. */
#define KERNEL_CACHE_FILES 65536
#define LOOP_MAX_THREADS 32

static int check_mountpoint(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        fprintf(stderr, PROG ": mountpoint %s does not exist\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, PROG ": mountpoint %s is not a directory\n", path);
        return -1;
    }
    return 0;
}

/* The cluster's chunk size and replication, or a one-line reason. */
static int check_master(struct http_client *http, const char *master,
                        long wait_ms, struct dfs_cluster_info *info)
{
    struct master_client *mc = master_client_new(http, master, wait_ms);
    struct http_response r;
    int rc;

    if (!mc) return -ENOMEM;
    rc = master_cluster_info(mc, info);
    master_client_free(mc);
    if (rc == 0) return 0;
    /* master_client says EIO for "unreachable"; one raw request gives
     * the transport's own words (Connection refused, ...). */
    int hrc = http_request(http, master, "GET", DFS_PATH_CLUSTER_INFO, NULL, 0,
                           NULL, wait_ms, &r);
    if (hrc < 0)
        fprintf(stderr, PROG ": cannot reach master %s: %s\n", master,
                hrc != -EIO || !r.error[0] ? strerror(-hrc) : r.error);
    else
        fprintf(stderr, PROG ": master %s: %s (HTTP %ld)\n", master,
                strerror(-rc), r.status);
    http_response_free(&r);
    return rc;
}

/* Once nothing else calls the master (prefetch threads may, up to the
 * end): unhook the queue of attribute changes, then send what it holds. */
static void behind_stop(struct dfs_mount *m)
{
    struct master_piggyback none = {0};

    if (!m->behind) return;
    master_client_set_piggyback(m->mc, &none);
    setattr_behind_free(m->behind);
    m->behind = NULL;
}

static void mount_state_free(struct dfs_mount *m)
{
    /* Detached prefetch threads use the cache and client: let them end. */
    while (__atomic_load_n(&m->prefetches, __ATOMIC_ACQUIRE) > 0)
        usleep(10000);
    writeback_stop(m->writeback);
    behind_stop(m);
    open_table_free(m->open);
    attr_cache_free(m->attrs);
    dir_lease_free(m->leases);
    dir_cache_free(m->dirs);
    node_cache_free(m->nodes);
    chunk_cache_free(m->cache);
    kernel_cache_free(m->kcache);
    local_read_free(m->local);
    master_client_free(m->behind_mc);
    master_client_free(m->mc);
}

/* Leases, unless turned off or the queue may hold a change longer than
 * a lease's margin (a change answered under a lease must reach the
 * master before the lease ends there: dir_lease.h). */
static bool leases_wanted(const struct mount_opts *o)
{
    if (!o->leases) return false;
    if (o->setattr_delay_ms <= DIR_LEASE_DELAY_MAX_MS) return true;
    log_info("no directory leases: setattr_delay_ms %ld is over %d",
             o->setattr_delay_ms, DIR_LEASE_DELAY_MAX_MS);
    return false;
}

/* A name of this mount for the master, new at every start: who holds its
 * directory leases (a restarted mount holds none). */
static void name_client(struct dfs_mount *m)
{
    unsigned char raw[16];
    char id[2 * sizeof(raw) + 1];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(id, sizeof(id), raw, sizeof(raw));
    master_client_set_id(m->mc, id);
    master_client_set_id(m->behind_mc, id);
}

static int mount_state_init(struct dfs_mount *m, const struct mount_opts *o,
                            struct http_client *http,
                            const struct auth_keys *keys,
                            const struct dfs_cluster_info *info)
{
    memset(m, 0, sizeof(*m));
    m->http = http;
    m->chunk_size = info->chunk_size;
    m->replication = info->replication ? info->replication : 1;
    m->attr_timeout = o->attr_timeout;
    m->entry_timeout = o->entry_timeout;
    m->retry_ms = o->retry_ms;
    m->writeback_cache = o->writeback_cache;
    m->create_behind = o->create_behind;
    m->verify_strict = o->verify_strict;
    m->read_ahead_kb = o->read_ahead_kb;
    m->mc = master_client_new(http, o->master, o->retry_ms);
    m->behind_mc = master_client_new(http, o->master, o->retry_ms);
    m->cache = chunk_cache_new((size_t)o->cache_mb << 20);
    m->kcache = o->keep_cache ? kernel_cache_new(KERNEL_CACHE_FILES) : NULL;
    m->local = o->local_reads ? local_read_new(keys, o->direct_reads) : NULL;
    m->open = open_table_new();
    m->attrs = attr_cache_new(o->attr_timeout);
    m->dirs = dir_cache_new(o->entry_timeout);
    bool leases = leases_wanted(o);
    m->leases = leases ? dir_lease_new(m->dirs) : NULL;
    m->nodes = m->mc ? node_cache_new(m->mc, NODE_CACHE_TTL_MS) : NULL;
    if (!m->mc || !m->behind_mc || !m->cache ||
        (o->keep_cache && !m->kcache) ||
        (o->local_reads && !m->local) || !m->open || !m->attrs ||
        !m->dirs || (leases && !m->leases) || !m->nodes) {
        mount_state_free(m);
        return -ENOMEM;
    }
    name_client(m);
    return 0;
}

/* libfuse's argv: fsname/subtype so mount(8) shows "dfs#HOST:PORT on DIR
 * type fuse.dfs", default_permissions so the kernel checks modes. */
static struct fuse_session *session_new(const struct mount_opts *o,
                                        struct dfs_mount *m)
{
    char opts[MOUNT_OPTS_FUSE_MAX + 512];
    char *argv[] = {PROG, "-o", opts, o->debug ? "-d" : NULL, NULL};
    struct fuse_args args = FUSE_ARGS_INIT(o->debug ? 4 : 3, argv);
    struct fuse_session *se;

    snprintf(opts, sizeof(opts),
             "fsname=dfs#%s,subtype=dfs,"
             "default_permissions%s%s",
             o->master, o->fuse_opts[0] ? "," : "", o->fuse_opts);
    se = fuse_session_new(&args, &dfs_ops, sizeof(dfs_ops), m);
    fuse_opt_free_args(&args);
    m->se = se; /* before any request: handlers may notify the kernel */
    return se;
}

static int serve(struct fuse_session *se)
{
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    int rc;

    if (!cfg) return -ENOMEM;
    fuse_loop_cfg_set_max_threads(cfg, LOOP_MAX_THREADS);
    rc = fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
    /* Stopped by a signal is a clean exit. */
    if (rc == SIGTERM || rc == SIGINT || rc == SIGHUP || rc == -SIGTERM ||
        rc == -SIGINT || rc == -SIGHUP)
        rc = 0;
    return rc;
}

/* Larger kernel reads for sequential files (see readahead.h); a mount
 * that may not set it (not root) keeps the kernel's 128 KiB.  where is
 * the mountpoint resolved before mounting: resolving it now would ask
 * our own file system, which does not answer until serve(). */
static void set_read_ahead(const struct mount_opts *o, const char *where)
{
    char err[512];

    if (o->read_ahead_kb == 0 || !where[0]) return;
    if (readahead_set(where, o->read_ahead_kb, err, sizeof(err)) < 0)
        log_info("read-ahead stays the kernel's: %s", err);
}

/* The queue of answered attribute changes has a thread, so it starts
 * after fuse_daemonize's fork, and rides on every call of the mount's
 * client.  behind_stop (from mount_state_free) sends what is left. */
static int behind_start(struct dfs_mount *m, long delay_ms)
{
    struct master_piggyback pb;

    m->behind =
        setattr_behind_new(m->behind_mc, m->attrs, m->dirs, m->leases,
                           delay_ms);
    if (!m->behind) return -ENOMEM;
    pb = setattr_behind_piggyback(m->behind);
    master_client_set_piggyback(m->mc, &pb);
    return 0;
}

static int run(const struct mount_opts *o, struct dfs_mount *m)
{
    struct fuse_session *se = session_new(o, m);
    char where[PATH_MAX];
    int rc = 1;

    if (!se) return 1;
    if (fuse_set_signal_handlers(se) != 0) goto out_destroy;
    if (!realpath(o->mountpoint, where)) where[0] = '\0';
    if (fuse_session_mount(se, o->mountpoint) != 0) goto out_signals;
    set_read_ahead(o, where);
    /* mount(8) helpers are silent on success; in the background the log
     * goes to syslog, since fuse_daemonize points stderr at /dev/null. */
    fuse_daemonize(o->foreground);
    if (!o->foreground) log_use_syslog();
    log_info("mounted %s at %s (chunk size %u, %u replicas)", o->master,
             o->mountpoint, m->chunk_size, m->replication);
    m->writeback = writeback_start(m->open, o->writeback_s);
    if (o->writeback_s > 0 && !m->writeback)
        log_error("cannot start the writeback of files kept open");
    else if (behind_start(m, o->setattr_delay_ms) < 0)
        log_error("cannot start the attribute queue: out of memory");
    else
        rc = serve(se) == 0 ? 0 : 1;
    fuse_session_unmount(se);
    log_info("unmounted %s", o->mountpoint);
out_signals:
    fuse_remove_signal_handlers(se);
out_destroy:
    fuse_session_destroy(se);
    return rc;
}

/* Chunk buffers are 4 MiB.  glibc would mmap and munmap each one, so every
 * chunk read or written costs a thousand page faults and a zeroing of
 * fresh pages (a quarter of mount.dfs's CPU on a cold read); keeping them
 * on the heap lets freed chunk buffers be reused as they are.  One arena:
 * glibc gives other threads 64 MiB heaps that it unmaps whenever they
 * empty, whatever the trim threshold, which brought the faults back
 * (prefetch threads allocate, FUSE threads free). */
static void malloc_keep_chunk_buffers(void)
{
    /* glibc refuses thresholds over 32 MiB (and then mmaps everything
     * over 128 KiB, since the trim setting turns the adaptive one off).
     * Other allocators (a sanitizer's) refuse all three: only speed is
     * lost, so their answers are not checked. */
    (void)mallopt(M_MMAP_THRESHOLD, 16 << 20);
    (void)mallopt(M_TRIM_THRESHOLD, 512 << 20);
    (void)mallopt(M_ARENA_MAX, 1);
}

int main(int argc, char **argv)
{
    struct mount_opts o;
    struct auth_keys keys;

    malloc_keep_chunk_buffers();
    struct dfs_cluster_info info;
    struct http_client *http;
    struct dfs_mount m;
    char err[256];
    int rc = mount_opts_parse(argc, argv, &o, err, sizeof(err));

    if (rc == MOUNT_OPTS_HELP) return 0;
    if (rc < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    log_init(PROG, o.debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
    if (check_mountpoint(o.mountpoint) < 0 || chunk_id_init() < 0) return 1;
    if (auth_keys_load(o.secret_file, AUTH_ROLE_CLIENT, &keys, err,
                       sizeof(err)) < 0) {
        fprintf(stderr, PROG ": %s: %s\n", o.secret_file, err);
        return 1;
    }
    http = http_client_new(&keys, o.tls_ca);
    /* The mount command says one line when the master is not there; the
     * client's retry warnings belong in the daemon's log, not there. */
    log_init(PROG, LOG_LEVEL_ERROR);
    rc = http ? check_master(http, o.master,
                             o.retry_ms < MASTER_CHECK_MS ? o.retry_ms
                                                          : MASTER_CHECK_MS,
                             &info)
              : -ENOMEM;
    log_init(PROG, o.debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
    if (rc == 0) rc = mount_state_init(&m, &o, http, &keys, &info);
    sodium_memzero(&keys, sizeof(keys));
    if (rc < 0) {
        http_client_free(http);
        return 1;
    }
    rc = run(&o, &m);
    mount_state_free(&m);
    http_client_free(http);
    mount_opts_free(&o);
    return rc;
}
