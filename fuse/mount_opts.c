/*
 * mount_opts.c - the command line of mount.dfs.
 */
#include "mount_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define USAGE "mount.dfs MASTER:PORT MOUNTPOINT [-o opt[,opt...]] [-f] [-d]"

static char *opt_secret_file;
static char *opt_tls_ca;
static char *opt_attr_timeout;
static char *opt_entry_timeout;
static long long opt_retry_ms;
static long long opt_cache_mb;
static bool opt_writeback_cache;
static bool opt_create_behind;
static bool opt_local_reads;
static bool opt_direct_reads;
static bool opt_keep_cache;
static bool opt_leases;
static long long opt_writeback_s;
static char *opt_verify;
static long long opt_read_ahead_kb;
static long long opt_setattr_delay_ms;

static const struct config_option options[] = {
    {"secret_file", CONFIG_STRING, "/etc/dfs/secret", "FILE", "cluster secret",
     &opt_secret_file},
    {"tls_ca", CONFIG_STRING, NULL, "FILE",
     "the cluster uses TLS: talk https, trusting this CA (PEM)", &opt_tls_ca},
    {"attr_timeout", CONFIG_STRING, "1", "S", "kernel attribute cache, seconds",
     &opt_attr_timeout},
    {"entry_timeout", CONFIG_STRING, "1", "S", "kernel name cache, seconds",
     &opt_entry_timeout},
    {"retry_ms", CONFIG_INT, "30000", "MS",
     "retry a failed request this long, then EIO", &opt_retry_ms},
    {"cache_mb", CONFIG_INT, "64", "MB", "chunk read cache", &opt_cache_mb},
    {"writeback_cache", CONFIG_BOOL, "false", NULL, "kernel write-back cache",
     &opt_writeback_cache},
    {"read_ahead_kb", CONFIG_INT, "1024", "KB",
     "kernel read-ahead (and largest READ) of the mount, 0: the kernel's",
     &opt_read_ahead_kb},
    {"create_behind", CONFIG_BOOL, "true", NULL,
     "answer open(O_CREAT) without O_EXCL of a name known free at once, "
     "and create the file at the master with its commit (false: ask "
     "first)",
     &opt_create_behind},
    {"leases", CONFIG_BOOL, "true", NULL,
     "hold directory leases: open(O_EXCL) and rename in a directory this "
     "mount is filling are answered at once and sent with the next call "
     "(false: every one asks the master)",
     &opt_leases},
    {"writeback_s", CONFIG_INT, "30", "S",
     "flush a file kept open once it has held uncommitted writes this "
     "long (0: only at close and fsync)",
     &opt_writeback_s},
    {"setattr_delay_ms", CONFIG_INT, "5", "MS",
     "longest a chmod/chown/utimes, answered at once, waits to ride with "
     "another call to the master",
     &opt_setattr_delay_ms},
    {"local_reads", CONFIG_BOOL, "true", NULL,
     "read the chunks of chunk servers on this host from the files they "
     "hand over, not over TCP (false: always HTTP)",
     &opt_local_reads},
    {"direct_reads", CONFIG_BOOL, "true", NULL,
     "read a local chunk file that is not in the page cache with O_DIRECT "
     "(false: always through the page cache)",
     &opt_direct_reads},
    {"keep_cache", CONFIG_BOOL, "true", NULL,
     "let the kernel keep a file's cached pages across opens while the "
     "file's chunk map is unchanged (false: every open drops them)",
     &opt_keep_cache},
    {"verify", CONFIG_STRING, "fast", "fast|strict",
     "check chunks read by the servers' checksum, or always by their id",
     &opt_verify},
    {0}};

/* Accepted for fstab and mount(8), meaningless to us. */
static bool opt_dropped(const char *key)
{
    static const char *const dropped[] = {"_netdev",
                                          "nofail",
                                          "auto",
                                          "noauto",
                                          "user",
                                          "users",
                                          "nouser",
                                          "defaults",
                                          "owner",
                                          "group",
                                          "default_permissions",
                                          NULL};
    for (size_t i = 0; dropped[i]; i++)
        if (strcmp(key, dropped[i]) == 0) return true;
    return strncmp(key, "x-systemd.", 10) == 0 ||
           strncmp(key, "comment=", 8) == 0;
}

static int fuse_opt_append(struct mount_opts *o, const char *opt, char *err,
                           size_t errlen)
{
    size_t used = strlen(o->fuse_opts);
    int n = snprintf(o->fuse_opts + used, sizeof(o->fuse_opts) - used, "%s%s",
                     used ? "," : "", opt);
    if (n < 0 || (size_t)n >= sizeof(o->fuse_opts) - used) {
        snprintf(err, errlen, "-o options too long");
        return -EINVAL;
    }
    return 0;
}

/* One "key" or "key=value" from -o. */
static int opt_one(struct mount_opts *o, char *opt, char *err, size_t errlen)
{
    char *eq = strchr(opt, '=');
    char key[64];
    int rc;

    if (*opt == '\0' || opt_dropped(opt)) return 0;
    snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - opt) : (int)strlen(opt),
             opt);
    if (opt_dropped(key)) return 0;
    /* CONFIG_BOOL wants a value; a bare -o key means on. */
    rc = config_set(options, key, eq ? eq + 1 : "true", err, errlen);
    if (rc == -ENOENT) return fuse_opt_append(o, opt, err, errlen);
    return rc;
}

static int opt_list(struct mount_opts *o, const char *list, char *err,
                    size_t errlen)
{
    char *copy = strdup(list), *save = NULL;
    int rc = 0;

    if (!copy) return -ENOMEM;
    for (char *t = strtok_r(copy, ",", &save); t && rc == 0;
         t = strtok_r(NULL, ",", &save))
        rc = opt_one(o, t, err, errlen);
    free(copy);
    return rc;
}

static int opt_seconds(const char *name, const char *text, double *out,
                       char *err, size_t errlen)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end);
    if (errno || end == text || *end || *out < 0) {
        snprintf(err, errlen, "bad %s '%s' (seconds)", name, text);
        return -EINVAL;
    }
    return 0;
}

static int opt_finish(struct mount_opts *o, char *err, size_t errlen)
{
    if (!o->master || !o->mountpoint) {
        snprintf(err, errlen, "need MASTER:PORT and MOUNTPOINT (see -h)");
        return -EINVAL;
    }
    if (opt_retry_ms < 0 || opt_cache_mb < 0 || opt_writeback_s < 0) {
        snprintf(err, errlen,
                 "retry_ms, cache_mb and writeback_s must be >= 0");
        return -EINVAL;
    }
    if (opt_read_ahead_kb < 0 || opt_read_ahead_kb > 1048576) {
        snprintf(err, errlen, "bad read_ahead_kb %lld (0 to 1048576)",
                 opt_read_ahead_kb);
        return -EINVAL;
    }
    if (opt_setattr_delay_ms < 0 || opt_setattr_delay_ms > 60000) {
        snprintf(err, errlen, "bad setattr_delay_ms %lld (0 to 60000)",
                 opt_setattr_delay_ms);
        return -EINVAL;
    }
    o->read_ahead_kb = (unsigned)opt_read_ahead_kb;
    o->setattr_delay_ms = (long)opt_setattr_delay_ms;
    o->secret_file = opt_secret_file;
    o->tls_ca = opt_tls_ca;
    o->retry_ms = (long)opt_retry_ms;
    o->cache_mb = (long)opt_cache_mb;
    o->writeback_cache = opt_writeback_cache;
    o->create_behind = opt_create_behind;
    o->local_reads = opt_local_reads;
    o->direct_reads = opt_direct_reads;
    o->keep_cache = opt_keep_cache;
    o->leases = opt_leases;
    o->writeback_s = (long)opt_writeback_s;
    if (strcmp(opt_verify, "fast") == 0) {
        o->verify_strict = false;
    } else if (strcmp(opt_verify, "strict") == 0) {
        o->verify_strict = true;
    } else {
        snprintf(err, errlen, "bad verify '%s' (fast or strict)", opt_verify);
        return -EINVAL;
    }
    if (opt_seconds("attr_timeout", opt_attr_timeout, &o->attr_timeout, err,
                    errlen) < 0)
        return -EINVAL;
    return opt_seconds("entry_timeout", opt_entry_timeout, &o->entry_timeout,
                       err, errlen);
}

void mount_opts_usage(FILE *out)
{
    fprintf(out, "usage: " USAGE "\n\n"
                 "  -f  stay in the foreground\n"
                 "  -d  FUSE debug output (implies -f)\n"
                 "  -h  this help\n\n"
                 "-o options:\n");
    for (const struct config_option *o = options; o->name; o++) {
        char lhs[64];
        snprintf(lhs, sizeof(lhs), "%s%s%s", o->name, o->metavar ? "=" : "",
                 o->metavar ? o->metavar : "");
        fprintf(out, "  %-22s %s (default: %s)\n", lhs, o->help,
                o->default_value ? o->default_value : "none");
    }
    fprintf(out, "  allow_other, ro, rw, noatime, ...  passed to FUSE\n"
                 "  _netdev, nofail, auto, noauto, user, users, defaults,\n"
                 "  x-systemd.*            accepted and ignored (fstab)\n");
}

int mount_opts_parse(int argc, char **argv, struct mount_opts *o, char *err,
                     size_t errlen)
{
    char *argv0[] = {argv[0], NULL};
    int npos = 0, rc = 0;

    memset(o, 0, sizeof(*o));
    if (config_parse(options, USAGE, 1, argv0, NULL, 0, NULL, err, errlen) !=
        CONFIG_OK)
        return -EINVAL;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            mount_opts_usage(stdout);
            return MOUNT_OPTS_HELP;
        } else if (strcmp(a, "-f") == 0) {
            o->foreground = true;
        } else if (strcmp(a, "-d") == 0) {
            o->debug = o->foreground = true;
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "-s") == 0 ||
                   strcmp(a, "-v") == 0) {
            /* mount(8) passes these to helpers; nothing to do */
        } else if (strcmp(a, "-o") == 0) {
            if (++i == argc) {
                snprintf(err, errlen, "-o needs an argument");
                return -EINVAL;
            }
            rc = opt_list(o, argv[i], err, errlen);
        } else if (strncmp(a, "-o", 2) == 0) {
            rc = opt_list(o, a + 2, err, errlen);
        } else if (a[0] == '-') {
            snprintf(err, errlen, "unknown flag '%s' (see -h)", a);
            return -EINVAL;
        } else if (npos == 0) {
            o->master = a, npos++;
        } else if (npos == 1) {
            o->mountpoint = a, npos++;
        } else {
            snprintf(err, errlen, "unexpected argument '%s'", a);
            return -EINVAL;
        }
    }
    if (rc < 0) return -EINVAL;
    return opt_finish(o, err, errlen);
}

void mount_opts_free(struct mount_opts *o)
{
    (void)o;
    config_free(options);
}
