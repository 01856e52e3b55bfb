/*
 * mount_opts.h - the command line of mount.dfs.
 *
 *   mount.dfs MASTER:PORT MOUNTPOINT [-o opt[,opt...]] [-f] [-d] [-h]
 *
 * Our -o keys are a config_option table (common/config.h), so defaults
 * and --help come from one place; fstab-only keys are dropped; anything
 * else is passed to libfuse (allow_other, ro, noatime...), which rejects
 * what it does not know.
 */
#ifndef DFS_FUSE_MOUNT_OPTS_H
#define DFS_FUSE_MOUNT_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define MOUNT_OPTS_FUSE_MAX 1024

struct mount_opts {
    const char *master;     /* points into argv */
    const char *mountpoint; /* points into argv */
    bool foreground, debug;
    const char *secret_file;
    const char *tls_ca; /* NULL: plain http */
    double attr_timeout, entry_timeout;
    long retry_ms;
    long cache_mb;
    bool writeback_cache;
    bool create_behind;
    bool local_reads;  /* chunk files from servers on this host */
    bool direct_reads; /* ...with O_DIRECT when not in the page cache */
    bool keep_cache;   /* kernel_cache.h */
    bool leases;       /* directory leases (dir_lease.h) */
    long writeback_s;
    bool verify_strict;     /* verify=strict: check every chunk by its id */
    unsigned read_ahead_kb; /* 0: leave the kernel's */
    long setattr_delay_ms;  /* setattr_behind.h; 0: sent at once */
    char fuse_opts[MOUNT_OPTS_FUSE_MAX]; /* comma list for libfuse */
};

enum { MOUNT_OPTS_OK = 0, MOUNT_OPTS_HELP = 1 };

/* MOUNT_OPTS_OK, MOUNT_OPTS_HELP (help printed), or -EINVAL with the
 * reason in err.  Strings stay valid until mount_opts_free. */
int mount_opts_parse(int argc, char **argv, struct mount_opts *o, char *err,
                     size_t errlen);
void mount_opts_free(struct mount_opts *o);
void mount_opts_usage(FILE *out);

#endif
