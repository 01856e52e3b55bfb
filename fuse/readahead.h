/*
 * readahead.h - the kernel's read-ahead for this mount.
 *
 * The kernel reads a FUSE file ahead by its backing device's
 * read_ahead_kb, 128 KiB by default, and never asks for more in one READ.
 * A cold sequential read of 1 GiB is then 8192 requests, each a round
 * trip through a FUSE thread; at 1 MiB it is 1024 and ~15% faster (it
 * costs nothing else: chunks are fetched whole anyway).  The setting
 * lives in sysfs (/sys/class/bdi/MAJ:MIN/read_ahead_kb), writable by
 * root only, so mount.dfs sets it once the mount exists (before the
 * INIT reply, whose max_readahead the kernel also takes the minimum of)
 * and carries on with the default when it may not.
 */
#ifndef DFS_FUSE_READAHEAD_H
#define DFS_FUSE_READAHEAD_H

#include <stddef.h>

/* In mountinfo (the text of /proc/self/mountinfo), the "MAJ:MIN" of the
 * last mount at mountpoint (absolute, canonical) into out.  0, or
 * -ENOENT. */
int readahead_device_of(const char *mountinfo, const char *mountpoint,
                        char *out, size_t outlen);

/* Set the read-ahead of the file system mounted at mountpoint to kb.
 * 0, or -errno with the reason in err. */
int readahead_set(const char *mountpoint, unsigned kb, char *err,
                  size_t errlen);

#endif
