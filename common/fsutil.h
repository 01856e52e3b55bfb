/*
 * fsutil.h - small file system helpers every daemon needs.
 *
 * All return 0 or -errno.  "Durable" here means the data and the directory
 * entry are fsynced, so the file survives power loss once the call returns.
 */
#ifndef DFS_FSUTIL_H
#define DFS_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* mkdir -p with the given mode for directories it creates. */
int fs_mkdir_p(const char *path, mode_t mode);

/* write(2) all len bytes, retrying short writes and EINTR. */
int fs_write_all(int fd, const void *data, size_t len);

/* fsync the directory at path (after a rename or create inside it). */
int fs_fsync_dir(const char *path);

/* Write a whole file durably: temp file, fsync, rename, fsync dir. */
int fs_write_file_atomic(const char *path, const void *data, size_t len,
                         mode_t mode);

/* Read a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer.  -EFBIG if larger than max. */
int fs_read_file(const char *path, size_t max, char **data, size_t *len);

/* 0 if path is a directory this process can create files in; otherwise
 * -errno and a message naming the problem in err. */
int fs_check_writable_dir(const char *path, char *err, size_t errlen);

/* 0 if no other user can change what is in the directory at path: it is
 * not writable by group or others, and it is owned by owner, or, when
 * owner is FS_OWNER_SELF, by this process's effective user or root.
 * Otherwise -EPERM (or stat's -errno) and a one-line message in err,
 * e.g. "data directory X is writable by other users (mode 0777)". */
#define FS_OWNER_SELF ((uid_t)-1)
int fs_check_private_dir(const char *path, uid_t owner, char *err,
                         size_t errlen);

#endif
