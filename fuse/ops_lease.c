/*
 * ops_lease.c - names answered under a directory lease (dir_lease.h):
 * taking the lease with a listing that makes the directory's set exact,
 * and a rename answered from that set and sent behind.
 *
 * An O_EXCL create uses the same exact set (ops_file.c, create_behind).
 * Everything here is an optimisation with a plain fallback: whenever a
 * condition is not met, -EAGAIN sends the call to the master as before.
 */
#include "ops.h"

#include <errno.h>
#include <sys/stat.h>

#include "attr_cache.h"
#include "clock.h"
#include "dir_cache.h"
#include "dir_lease.h"
#include "open_table.h"
#include "setattr_behind.h"

void ops_lease_dir(struct dfs_mount *m, uint64_t dir)
{
    struct dir_cache_listing *l;
    int64_t sent, ms = 0, until;
    uint32_t gen = 0;
    int rc = 0;

    if (!m->leases || !m->behind) return;
    until = dir_lease_until(m->leases, dir);
    if (until == 0 && !dir_lease_worth_asking(m->leases, dir, &gen)) return;
    l = dir_cache_listing_begin(m->dirs, dir);
    if (!l) return; /* too large to know whole, or being listed */
    if (until == 0) {
        sent = clock_monotonic_ms();
        rc = master_lease(m->mc, dir, &ms);
        dir_lease_taken(m->leases, dir, gen, sent, rc, ms);
        until = rc == 0 ? dir_lease_until(m->leases, dir) : 0;
    }
    if (until == 0) {
        dir_cache_listing_end(m->dirs, l, -EAGAIN);
        return;
    }
    /* Listed after the lease was taken: nobody else changes it since. */
    if (dir_cache_listing_end(m->dirs, l, ops_list_dir(m, dir, l)))
        dir_cache_exact(m->dirs, dir, until * 1000000, false);
}

/* Whether newname in dir, which the exact set says is inode old (0:
 * absent), may be replaced without asking: absent, or a file with one
 * name that no handle here holds open (those need the hidden-name dance
 * of ops_rename) and that is not ino itself. */
static bool replaceable(struct dfs_mount *m, uint64_t ino, uint64_t old,
                        enum dir_cache_answer ans)
{
    struct dfs_attr a;

    if (ans == DIR_CACHE_ABSENT) return true;
    return ans == DIR_CACHE_PRESENT && old != 0 && old != ino &&
           attr_cache_get(m->attrs, old, &a) && S_ISREG(a.mode) &&
           a.nlink == 1 && !open_table_has(m->open, old);
}

/* Under the lease: the rename of a file or symlink within dir, answered
 * from the exact set.  -EAGAIN: ask the master. */
static int rename_leased(struct dfs_mount *m, uint64_t dir, const char *name,
                         const char *newname)
{
    uint64_t ino = 0, old = 0;
    enum dir_cache_answer ans;
    struct dfs_attr a;
    int rc;

    if (dir_cache_exact_lookup(m->dirs, dir, name, &ino) !=
            DIR_CACHE_PRESENT ||
        ino == 0 || !attr_cache_get(m->attrs, ino, &a) ||
        !(S_ISREG(a.mode) || S_ISLNK(a.mode)))
        return -EAGAIN;
    ans = dir_cache_exact_lookup(m->dirs, dir, newname, &old);
    if (!replaceable(m, ino, old, ans)) return -EAGAIN;
    rc = setattr_behind_rename(m->behind, dir, name, newname);
    if (rc < 0) return rc;
    dir_cache_removed(m->dirs, dir, name);
    dir_cache_added(m->dirs, dir, newname, ino);
    if (ans == DIR_CACHE_PRESENT) attr_cache_drop(m->attrs, old);
    /* what the master will stamp, give or take the trip */
    a.ctime_ns = clock_realtime_ns();
    attr_cache_put(m->attrs, &a);
    attr_cache_dir_added(m->attrs, dir, a.ctime_ns, 0);
    return 0;
}

int ops_rename_behind(struct dfs_mount *m, uint64_t parent, const char *name,
                      uint64_t newparent, const char *newname, unsigned flags)
{
    int rc;

    if (flags != 0 || parent != newparent || !m->behind ||
        !dir_lease_use_begin(m->leases, parent))
        return -EAGAIN;
    rc = rename_leased(m, parent, name, newname);
    dir_lease_use_end(m->leases);
    return rc;
}
