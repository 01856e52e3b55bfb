/*
 * readahead.c - find our mount's backing device and set its read-ahead.
 *
 * See readahead.h.  The device comes from /proc/self/mountinfo rather
 * than stat(2) of the mountpoint, which would be a FUSE request to
 * ourselves before the session loop runs.
 */
#include "readahead.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define READAHEAD_MOUNTINFO_MAX (4u << 20)

static int octal(char c)
{
    return c >= '0' && c <= '7' ? c - '0' : -1;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(const char *in, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < len && o + 1 < outlen; i++) {
        if (in[i] == '\\' && i + 3 < len && octal(in[i + 1]) >= 0 &&
            octal(in[i + 2]) >= 0 && octal(in[i + 3]) >= 0) {
            out[o++] = (char)(octal(in[i + 1]) * 64 + octal(in[i + 2]) * 8 +
                              octal(in[i + 3]));
            i += 3;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
}

/* The n-th (0-based) space-separated field of line [p, end). */
static int field(const char *p, const char *end, int n, const char **f,
                 size_t *flen)
{
    for (int k = 0; p < end; k++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *stop = sp ? sp : end;
        if (k == n) {
            *f = p;
            *flen = (size_t)(stop - p);
            return 0;
        }
        if (!sp) break;
        p = sp + 1;
    }
    return -ENOENT;
}

int readahead_device_of(const char *mountinfo, const char *mountpoint,
                        char *out, size_t outlen)
{
    const char *line = mountinfo;
    int rc = -ENOENT;

    while (*line) {
        const char *end = strchr(line, '\n'), *dev, *mnt;
        size_t devlen, mntlen;
        char path[4096];

        if (!end) end = line + strlen(line);
        if (field(line, end, 2, &dev, &devlen) == 0 &&
            field(line, end, 4, &mnt, &mntlen) == 0 && devlen < outlen) {
            unescape(mnt, mntlen, path, sizeof(path));
            if (strcmp(path, mountpoint) == 0) { /* the last one wins */
                memcpy(out, dev, devlen);
                out[devlen] = '\0';
                rc = 0;
            }
        }
        line = *end ? end + 1 : end;
    }
    return rc;
}

int readahead_set(const char *mountpoint, unsigned kb, char *err,
                  size_t errlen)
{
    char *info = NULL, dev[32], path[96], value[32];
    size_t len;
    int rc = fs_read_file("/proc/self/mountinfo", READAHEAD_MOUNTINFO_MAX,
                          &info, &len);

    if (rc == 0) rc = readahead_device_of(info, mountpoint, dev, sizeof(dev));
    free(info);
    if (rc < 0) {
        snprintf(err, errlen, "no mount at %s in /proc/self/mountinfo",
                 mountpoint);
        return rc;
    }
    snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", dev);
    snprintf(value, sizeof(value), "%u\n", kb);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    rc = fd < 0 ? -errno : fs_write_all(fd, value, strlen(value));
    if (fd >= 0) close(fd);
    if (rc < 0) snprintf(err, errlen, "%s: %s", path, strerror(-rc));
    return rc;
}
