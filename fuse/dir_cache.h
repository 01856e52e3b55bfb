/*
 * dir_cache.h - the names of directories this mount knows completely, to
 * answer lookups ("no such name", or the inode a name is) without asking
 * the master.
 *
 * Why: the kernel asks LOOKUP before every open(O_CREAT), mkdir, rename
 * target or lstat of a name it holds no dentry for, and when the name does
 * not exist that is a master round trip whose only answer is ENOENT.
 * Writing many small files (a loop of `echo > d/fN`, tar, rsync with its
 * lstat + ".name.XXXXXX" temp file) pays one such trip per file, mostly
 * in directories this mount has just made or is busy filling.
 *
 * What a tracked directory holds: the set of its names, a fresh_until
 * time and the sequence number of its last local change.  It becomes
 * complete when this mount's mkdir makes it (empty), or when a lookup
 * finds it expired (or changed by this mount but not yet complete) and
 * lists it from the master; such a refresh is installed only if no local
 * change to the directory happened while the listing ran, since the
 * listing could miss our own create and a later lookup would then say
 * ENOENT for a file that exists.  Only small directories are listed
 * (DIR_CACHE_REFRESH_MAX names); one that grows past DIR_CACHE_DIR_MAX
 * stops being tracked.  The table holds DIR_CACHE_DIRS directories and
 * DIR_CACHE_NAMES names in all, least recently used dropped first.
 *
 * The set also knows which inode each name is (0 when it does not: the
 * new name of a rename), so a name it holds can be answered too, with
 * the attributes the listing brought (kept in attr_cache.h); that is
 * what the kernel's readdirplus does with the dentries it makes.  A
 * directory this mount never changed is tracked from the first name a
 * lookup finds in it, and listed at its next lookup: `stat` of every
 * file, `git status`, a second `rsync -a` over a tree then cost a
 * listing per directory per entry_timeout, not a round trip per name.
 *
 * The contract, and why it is safe:
 *  - A name is answered only from a set that is complete and fresh, for
 *    the time left (as an absence is, below): another client's rename
 *    over it is seen at most entry_timeout late, as with a dentry the
 *    kernel keeps.  Its attributes are answered only while attr_cache
 *    holds them; otherwise the lookup goes to the master.
 *  - The set is true as of its listing (or mkdir) plus every change this
 *    mount made since, applied only after the master said yes.  An
 *    absence is answered only until fresh_until = the time the listing
 *    began + entry_timeout, and the negative entry is given to the kernel
 *    for just the time left, so a name made by another client is seen at
 *    most entry_timeout late: the staleness the kernel's own negative
 *    dentries already have (ops_lookup gives ENOENT answers that timeout).
 *  - The master stays authoritative for changes: a create of a name
 *    another client made meanwhile fails there with EEXIST.  open(O_EXCL)
 *    reports it, which is right; without O_EXCL, ops_create falls back to
 *    opening the existing file, so a stale absence never turns a plain
 *    open(O_CREAT) of an existing file into an error.
 *  - A change whose outcome is unknown (-EIO after a timeout, a rename
 *    that failed) drops the directory, and so does any master answer that
 *    contradicts the set (someone else changed it): dropping is always
 *    safe, it only means asking the master again.
 *
 * Thread-safe (one mutex).  ttl_s <= 0 makes a cache that tracks nothing
 * and never answers.  Every function accepts NULL (no cache).
 */
#ifndef DFS_FUSE_DIR_CACHE_H
#define DFS_FUSE_DIR_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DIR_CACHE_DIRS 256         /* tracked directories */
#define DIR_CACHE_DIR_MAX 16384    /* names in one tracked directory */
#define DIR_CACHE_NAMES 262144     /* names in all directories */
#define DIR_CACHE_REFRESH_MAX 4096 /* list only directories this small */
#define DIR_CACHE_LIST_COST 128    /* names listed for the cost of a lookup */

struct dir_cache;
/* One listing under way: the state of the directory when it began. */
struct dir_cache_listing;

struct dir_cache *dir_cache_new(double ttl_s);
void dir_cache_free(struct dir_cache *c);

/* For tests: a monotonic clock in nanoseconds other than the real one. */
void dir_cache_set_clock(struct dir_cache *c, int64_t (*now_ns)(void));

enum dir_cache_answer {
    DIR_CACHE_ASK,     /* ask the master */
    DIR_CACHE_ABSENT,  /* no such name: reply a negative entry for *ttl_s */
    DIR_CACHE_PRESENT, /* name is inode *ino, for *ttl_s */
    DIR_CACHE_REFRESH, /* list dir into *listing, end it, then ask again */
};

/* What to do with a lookup of name in dir.  With ino NULL, never
 * PRESENT; with listing NULL, never REFRESH; otherwise, on REFRESH,
 * *listing is the caller's to fill with every name of dir
 * (dir_cache_listing_add) and to end.  An expired or incomplete
 * directory is listed only once enough lookups went to the master to pay
 * for it (DIR_CACHE_LIST_COST). */
enum dir_cache_answer dir_cache_lookup(struct dir_cache *c, uint64_t dir,
                                       const char *name, double *ttl_s,
                                       uint64_t *ino,
                                       struct dir_cache_listing **listing);

/* One name (and its inode) of the directory being listed; -E2BIG once
 * the directory is too large to track (stop listing and end with that). */
int dir_cache_listing_add(struct dir_cache_listing *l, const char *name,
                          uint64_t ino);
/* rc 0: the listing is complete, install it unless dir changed locally
 * since it began.  -E2BIG: the directory is too large, stop trying.
 * Other: the listing failed.  Frees l.  Whether it was installed. */
bool dir_cache_listing_end(struct dir_cache *c, struct dir_cache_listing *l,
                           int rc);
/* A listing of dir wanted now (for a lease, below), whatever the set's
 * age; NULL when one is under way or dir is too large to track. */
struct dir_cache_listing *dir_cache_listing_begin(struct dir_cache *c,
                                                  uint64_t dir);

/* Exact sets.  While this mount holds dir's lease (fuse/dir_lease.h) no
 * other client changes its names, so a set listed after the lease was
 * taken, plus this mount's own changes, is the directory itself: good
 * enough to judge an O_EXCL create or a rename by, and its answers
 * hold until the lease's end rather than entry_timeout.
 *
 * dir_cache_exact: the set of dir is exact until until_ns (monotonic).
 * With renew, only if it is exact now (a renewed lease); without, the
 * caller installed a listing it made under the lease.  Nothing for a
 * set that is not complete.  Dropping the set drops this too. */
void dir_cache_exact(struct dir_cache *c, uint64_t dir, int64_t until_ns,
                     bool renew);
/* The lease is gone early: not exact any more; absences are answered
 * for entry_timeout from now, as after a listing. */
void dir_cache_inexact(struct dir_cache *c, uint64_t dir);
/* ABSENT or PRESENT (*ino, 0 when not known) only from an exact set;
 * else ASK.  ino may be NULL. */
enum dir_cache_answer dir_cache_exact_lookup(struct dir_cache *c, uint64_t dir,
                                             const char *name, uint64_t *ino);

/* The master answered about name in dir (a lookup, or an EEXIST that says
 * the name exists), with its inode when known (else 0): drop dir if the
 * set says otherwise.  A name found in an untracked dir starts tracking
 * it. */
void dir_cache_saw(struct dir_cache *c, uint64_t dir, const char *name,
                   bool exists, uint64_t ino);

/* Take before a mkdir; the new directory is known empty from then on. */
int64_t dir_cache_stamp(struct dir_cache *c);
/* This mount made dir at `stamp`: tracked, empty, fresh. */
void dir_cache_made(struct dir_cache *c, uint64_t dir, int64_t stamp);

/* Changes this mount made, after the master said yes.  A change to an
 * untracked directory makes it worth listing at its next lookup. */
void dir_cache_added(struct dir_cache *c, uint64_t dir, const char *name,
                     uint64_t ino);
void dir_cache_removed(struct dir_cache *c, uint64_t dir, const char *name);
/* A change to name in dir failed with rc (< 0): the set stays unless the
 * outcome is unknown (anything but a definite refusal such as ENOENT,
 * EEXIST, ENOTEMPTY, EACCES), which drops dir. */
void dir_cache_failed(struct dir_cache *c, uint64_t dir, int rc);
/* Stop tracking dir. */
void dir_cache_forget(struct dir_cache *c, uint64_t dir);

/* For tests: names held for dir, or -1 when it is not complete. */
long dir_cache_count(struct dir_cache *c, uint64_t dir);

#endif
