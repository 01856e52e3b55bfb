/*
 * setattr_behind.h - chmod, chown and utimes (and creates, and renames
 * under a lease) answered at once and sent to the master along with the
 * mount's next call.
 *
 * rsync, cp -p and tar set the times and mode of every file they write,
 * right after closing it, and then rename it or create the next file:
 * two or three master round trips per file that nobody waits for.  A
 * change of mode, owner or times of an inode whose attributes the mount
 * holds is answered from those (the kernel gets the new attributes) and
 * queued here.  It reaches the master ahead of the next call the mount
 * makes, in the same round trip (master_piggyback, POST /v1/fs/batch), or
 * within twice the delay (-o setattr_delay_ms, 5 by default), sent by a
 * thread of its own.  Queued changes of one inode merge into one.
 *
 * Order: every master call of the mount first takes the queue, and waits
 * while another call is carrying queued changes, so no later call
 * overtakes a change: a commit's mtime lands after a utimes answered
 * before it, a lookup sees the new mode.  Other clients see a change once
 * it is sent (within the delay), as their attribute caches allow anyway.
 *
 * Durability: a change is lost if mount.dfs dies within the delay of
 * answering it; a local file system, which keeps such changes in memory
 * until its journal commits, can lose more.  fsync(2) sends them first.
 * A change the master refuses (the file was removed meanwhile by another
 * client) is logged, and its inode's cached attributes are dropped.
 *
 * Creates ride the same way (setattr_behind_create): open(O_CREAT)
 * without O_EXCL of a name this mount knows is free is answered with an
 * inode number reserved at the master ahead (BEHIND_POOL_RESERVE at a
 * time), and the create reaches the master ahead of the file's commit at
 * close, in the same round trip: one master call per small file instead
 * of two.  The file's close() still returns only once the create and
 * the commit are at the master (the file handle's flush sends the queue
 * itself when it has nothing to commit).  A create the master refuses
 * (another client made the name meanwhile, the directory is gone) is
 * remembered for that flush, which then fails with EIO: nothing written
 * is reported stored when it is not.
 *
 * Under a directory lease (dir_lease.h) O_EXCL creates and renames within
 * the directory ride too (setattr_behind_rename), and the queue carries
 * the leases' renewals ahead of its changes and their give-ups after
 * them.
 */
#ifndef DFS_FUSE_SETATTR_BEHIND_H
#define DFS_FUSE_SETATTR_BEHIND_H

#include <stdbool.h>
#include <stdint.h>

#include "attr_cache.h"
#include "dir_cache.h"
#include "dir_lease.h"
#include "master_client.h"

struct setattr_behind;

/* own: the client the queue's thread sends with (not the one the queue
 * rides on, which gets setattr_behind_piggyback).  attrs, dirs: the
 * caches whose entries are dropped when a change is refused.  leases:
 * the directory leases whose renewals and give-ups ride with the queue
 * (dir_lease.h; NULL: none).  delay_ms <= 0: every change is sent at once
 * by the thread. */
struct setattr_behind *setattr_behind_new(struct master_client *own,
                                          struct attr_cache *attrs,
                                          struct dir_cache *dirs,
                                          struct dir_lease *leases,
                                          long delay_ms);
/* Sends what is queued, then stops the thread.  NULL is accepted. */
void setattr_behind_free(struct setattr_behind *sb);

/* What to install on the mount's master client. */
struct master_piggyback setattr_behind_piggyback(struct setattr_behind *sb);

/* Whether a setattr of these DFS_SET_* fields may be queued: mode, owner
 * and times may; a size may not (it cuts chunks and must answer errors). */
bool setattr_behind_accepts(unsigned set);

/* Queue s for ino, merged with what is queued for it.  -EAGAIN when the
 * queue is full (the caller then sets it through the master itself). */
int setattr_behind_add(struct setattr_behind *sb, uint64_t ino,
                       const struct dfs_setattr *s);

/* Send what is queued now, and wait until the master has it. */
void setattr_behind_flush(struct setattr_behind *sb);

/* Queue the create of parent/name (mode with its type bits, owner, and
 * the times it starts with), already answered: *ino receives its
 * reserved number.  -EAGAIN when it cannot be queued (the queue is full,
 * no number could be reserved): the caller creates it through the master
 * itself. */
int setattr_behind_create(struct setattr_behind *sb, uint64_t parent,
                          const char *name, uint32_t mode, uint32_t uid,
                          uint32_t gid, int64_t time_ns, uint64_t *ino);

/* Queue the rename of dir/name to dir/newname, already answered under
 * dir's lease (dir_lease.h), which keeps any other client from making the
 * master refuse it.  -EAGAIN when the queue is full. */
int setattr_behind_rename(struct setattr_behind *sb, uint64_t dir,
                          const char *name, const char *newname);

/* Whether the master refused the create of ino queued here.  Ask once
 * the create has been sent (any master call of the mount since, or
 * setattr_behind_flush); the answer is given once. */
bool setattr_behind_refused(struct setattr_behind *sb, uint64_t ino);

#endif
