/*
 * fsutil.c - small file system helpers every daemon needs.
 *
 * Durability matters to a store: fs_write_file_atomic() follows the usual
 * temp + fsync + rename + fsync(dir) dance so a reader sees either the old
 * file or the complete new one, even after a crash.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);

    if (len == 0) return -EINVAL;
    if (len >= sizeof(buf)) return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);

    /* create each prefix in turn; p skips a leading '/' */
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST) return -errno;
        *p = saved;
        if (saved == '\0') break;
    }
    /* EEXIST may have been a file: make sure the result is a directory */
    struct stat st;
    if (stat(path, &st) < 0) return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int fs_fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;

    if (fd < 0) return -errno;
    if (fsync(fd) < 0) rc = -errno;
    close(fd);
    return rc;
}

int fs_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The directory part of path ("." if none) into dir. */
static void fs_dirname(const char *path, char *dir, size_t dirlen)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        snprintf(dir, dirlen, ".");
    else if (slash == path)
        snprintf(dir, dirlen, "/");
    else
        snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
}

static int fs_write_tmp(int fd, const void *data, size_t len, mode_t mode)
{
    int rc;

    /* mkstemp made it 0600; the caller's mode wins (umask not applied) */
    if (fchmod(fd, mode) < 0) return -errno;
    rc = fs_write_all(fd, data, len);
    if (rc < 0) return rc;
    if (fsync(fd) < 0) return -errno;
    return 0;
}

int fs_write_file_atomic(const char *path, const void *data, size_t len,
                         mode_t mode)
{
    char tmp[PATH_MAX], dir[PATH_MAX];
    int fd, rc;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) return -errno;
    rc = fs_write_tmp(fd, data, len, mode);
    if (close(fd) < 0 && rc == 0) rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0) rc = -errno;
    if (rc < 0) {
        unlink(tmp);
        return rc;
    }
    fs_dirname(path, dir, sizeof(dir));
    return fs_fsync_dir(dir);
}

/* Read until EOF or more than max bytes; the buffer grows as needed
 * because st_size lies for /proc files and races with writers. */
static int fs_read_fd(int fd, size_t max, size_t hint, char **data, size_t *len)
{
    size_t cap = (hint < max ? hint : max) + 1, used = 0;
    char *buf = malloc(cap + 1);

    if (!buf) return -ENOMEM;
    for (;;) {
        if (used == cap) {
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb;
            if (ncap <= cap) { /* already read max + 1 bytes */
                free(buf);
                return -EFBIG;
            }
            nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + used, cap - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return -e;
        }
        if (n == 0) break;
        used += (size_t)n;
    }
    if (used > max) {
        free(buf);
        return -EFBIG;
    }
    buf[used] = '\0';
    *data = buf;
    if (len) *len = used;
    return 0;
}

int fs_read_file(const char *path, size_t max, char **data, size_t *len)
{
    struct stat st;
    int fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return -EISDIR;
    }
    rc = fs_read_fd(fd, max, (size_t)st.st_size, data, len);
    close(fd);
    return rc;
}

/* Create and remove a file: the only test that also covers read-only
 * mounts, ACLs and root (who passes access(2) checks regardless). */
static int fs_probe_create(const char *path)
{
    char probe[PATH_MAX];
    int fd;

    if (snprintf(probe, sizeof(probe), "%s/.dfs-probe.XXXXXX", path) >=
        (int)sizeof(probe))
        return -ENAMETOOLONG;
    fd = mkostemp(probe, O_CLOEXEC);
    if (fd < 0) return -errno;
    close(fd);
    unlink(probe);
    return 0;
}

int fs_check_writable_dir(const char *path, char *err, size_t errlen)
{
    struct stat st;
    int rc;

    if (!err) errlen = 0; /* snprintf(NULL, 0, ...) is allowed: no message */
    if (stat(path, &st) < 0) {
        rc = -errno;
        if (rc == -ENOENT)
            snprintf(err, errlen, "data directory %s does not exist", path);
        else
            snprintf(err, errlen, "data directory %s: %s", path, strerror(-rc));
        return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "data directory %s is not a directory", path);
        return -ENOTDIR;
    }
    rc = fs_probe_create(path);
    if (rc < 0) {
        snprintf(err, errlen, "data directory %s is not writable (%s)", path,
                 strerror(-rc));
        return rc;
    }
    return 0;
}

/* "uid 1000 (alice)" for messages. */
static void fs_user_text(uid_t uid, char *buf, size_t len)
{
    struct passwd pw, *res = NULL;
    char tmp[1024];
    if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
        snprintf(buf, len, "uid %u (%s)", (unsigned)uid, res->pw_name);
    else
        snprintf(buf, len, "uid %u", (unsigned)uid);
}

int fs_check_private_dir(const char *path, uid_t owner, char *err,
                         size_t errlen)
{
    struct stat st;
    char who[320];

    if (!err) errlen = 0;
    if (stat(path, &st) < 0) {
        int rc = -errno;
        if (rc == -ENOENT)
            snprintf(err, errlen, "data directory %s does not exist", path);
        else
            snprintf(err, errlen, "data directory %s: %s", path, strerror(-rc));
        return rc;
    }
    /* Another user who can write here could swap a chunk or the database
     * for a symlink, or fill the disk under our name. */
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(err, errlen,
                 "data directory %s is writable by other users (mode %04o)",
                 path, (unsigned)(st.st_mode & 07777));
        return -EPERM;
    }
    bool ok = owner == FS_OWNER_SELF
                  ? st.st_uid == geteuid() || st.st_uid == 0
                  : st.st_uid == owner;
    if (!ok) {
        char want[320];
        fs_user_text(st.st_uid, who, sizeof(who));
        fs_user_text(owner == FS_OWNER_SELF ? geteuid() : owner, want,
                     sizeof(want));
        snprintf(err, errlen, "data directory %s is owned by %s, not by %s",
                 path, who, want);
        return -EPERM;
    }
    return 0;
}
