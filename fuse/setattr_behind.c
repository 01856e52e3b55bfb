/*
 * setattr_behind.c - the queue of attribute changes already answered
 * (see the header for why and what is promised).
 *
 * One lock guards the queue.  `carrying` is set while a batch taken from
 * the queue is on its way: take() waits for it to clear, which is what
 * keeps later calls from overtaking queued changes.
 *
 * The thread sends what no call took within the delay.  Waking it for
 * every change would cost more than the round trip saved (a wake-up is a
 * cross-CPU interrupt, tens of microseconds on a VM), so while changes
 * come it ticks every delay and sends the queue once it has waited a
 * whole delay (so within two delays of the first change), and only
 * after BEHIND_IDLE_TICKS empty ticks does it sleep until woken by the
 * next change.
 */
#include "setattr_behind.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "dir_cache.h"
#include "dir_lease.h"
#include "log.h"
#include "wire.h"

/* Lease renewals, and give-ups, one batch carries at most. */
#define BEHIND_LEASE_OPS 8
/* One batch holds the queue, its lease ops and the call it rides with. */
#define BEHIND_MAX (DFS_BATCH_MAX - 1 - 2 * BEHIND_LEASE_OPS)
#define BEHIND_CARRIED (BEHIND_MAX + 2 * BEHIND_LEASE_OPS)
#define BEHIND_IDLE_TICKS 200

/* Reserved inode numbers are asked for this many at a time. */
#define BEHIND_POOL_RESERVE 1024
/* After a reservation failed, creates go to the master for this long. */
#define BEHIND_POOL_RETRY_MS 10000

enum behind_kind {
    BEHIND_SETATTR, /* set of ino */
    BEHIND_CREATE,  /* ino made as parent/name (mode, uid, gid, time_ns) */
    BEHIND_RENAME,  /* parent/name to parent/newname */
    BEHIND_LEASE,   /* renew the lease of parent, asked at time_ns (ms) */
    BEHIND_UNLEASE, /* give up the lease of parent */
};

struct behind_item {
    enum behind_kind kind;
    uint64_t ino;
    struct dfs_setattr set;
    uint64_t parent;
    uint32_t mode, uid, gid;
    int64_t time_ns;
    char name[DFS_NAME_MAX + 1];
    char newname[DFS_NAME_MAX + 1];
};

/* Numbers reserved at the master for creates, used in increasing order
 * (the master refuses a number below one already used). */
struct behind_pool {
    uint64_t first, next, end; /* range [first, end), next unused */
    int64_t retry_at_ms;       /* no reservation before (after a failure) */
};

struct setattr_behind {
    struct master_client *own;
    struct attr_cache *attrs;
    struct dir_cache *dirs;
    struct dir_lease *leases;
    long delay_ms;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* queued, taken, carried, or stopping */
    struct behind_item queue[BEHIND_MAX];
    size_t nqueue;
    struct behind_item carried[BEHIND_CARRIED]; /* taken, on their way */
    size_t ncarried;
    bool carrying;
    int takers;    /* calls waiting in take() for `carrying` to clear */
    bool sleeping; /* the thread waits for a change, not a tick */
    int64_t first_queued_ms; /* when the queue last stopped being empty */
    bool stopping;
    pthread_t thread;
    struct behind_pool pool;
    uint64_t *refused; /* created inodes the master refused, not yet asked */
    size_t nrefused, cap_refused;
};

bool setattr_behind_accepts(unsigned set)
{
    return set != 0 && !(set & DFS_SET_SIZE);
}

/* s's fields over into's: a later time replaces an earlier "now" and the
 * other way round. */
static void merge(struct dfs_setattr *into, const struct dfs_setattr *s)
{
    if (s->set & (DFS_SET_ATIME | DFS_SET_ATIME_NOW))
        into->set &= ~(DFS_SET_ATIME | DFS_SET_ATIME_NOW);
    if (s->set & (DFS_SET_MTIME | DFS_SET_MTIME_NOW))
        into->set &= ~(DFS_SET_MTIME | DFS_SET_MTIME_NOW);
    into->set |= s->set;
    if (s->set & DFS_SET_MODE) into->mode = s->mode;
    if (s->set & DFS_SET_UID) into->uid = s->uid;
    if (s->set & DFS_SET_GID) into->gid = s->gid;
    if (s->set & DFS_SET_ATIME) into->atime_ns = s->atime_ns;
    if (s->set & DFS_SET_MTIME) into->mtime_ns = s->mtime_ns;
}

/* The item at queue[nqueue] is filled in: count it, wake the thread. */
static void queued(struct setattr_behind *sb)
{
    if (sb->nqueue++ > 0) return;
    sb->first_queued_ms = clock_monotonic_ms();
    if (sb->sleeping) pthread_cond_broadcast(&sb->changed);
}

int setattr_behind_add(struct setattr_behind *sb, uint64_t ino,
                       const struct dfs_setattr *s)
{
    int rc = 0;
    size_t i;

    pthread_mutex_lock(&sb->lock);
    for (i = 0; i < sb->nqueue && (sb->queue[i].ino != ino ||
                                   sb->queue[i].kind != BEHIND_SETATTR);
         i++)
        ;
    if (i < sb->nqueue) {
        merge(&sb->queue[i].set, s);
    } else if (sb->nqueue < BEHIND_MAX && !sb->stopping) {
        struct behind_item *it = &sb->queue[sb->nqueue];
        it->kind = BEHIND_SETATTR;
        it->ino = ino;
        it->set = *s;
        queued(sb);
    } else {
        rc = -EAGAIN;
    }
    pthread_mutex_unlock(&sb->lock);
    return rc;
}

/* ---- creates, with numbers reserved ahead ---- */

/* Under the lock: the next reserved number, reserving more when the range
 * is used up.  The reservation is a round trip once per
 * BEHIND_POOL_RESERVE creates; holding the lock meanwhile keeps numbers
 * queued in the order they are taken. */
static int pool_take(struct setattr_behind *sb, uint64_t *ino)
{
    struct behind_pool *p = &sb->pool;
    uint64_t first;
    uint32_t got;

    if (p->next < p->end) {
        *ino = p->next++;
        return 0;
    }
    if (clock_monotonic_ms() < p->retry_at_ms) return -EAGAIN;
    int rc = master_reserve(sb->own, BEHIND_POOL_RESERVE, &first, &got);
    if (rc == -ENOENT) { /* a master older than reservations: for good */
        log_info("the master reserves no inode numbers: files are created "
                 "through it");
        p->retry_at_ms = INT64_MAX;
        return -EAGAIN;
    }
    if (rc < 0) {
        log_warn("cannot reserve inode numbers (%s): files are created "
                 "through the master for %d s",
                 strerror(-rc), BEHIND_POOL_RETRY_MS / 1000);
        p->retry_at_ms = clock_monotonic_ms() + BEHIND_POOL_RETRY_MS;
        return -EAGAIN;
    }
    p->first = first, p->next = first + 1, p->end = first + got;
    *ino = first;
    return 0;
}

int setattr_behind_create(struct setattr_behind *sb, uint64_t parent,
                          const char *name, uint32_t mode, uint32_t uid,
                          uint32_t gid, int64_t time_ns, uint64_t *ino)
{
    struct behind_item *it;
    int rc = -EAGAIN;

    if (strlen(name) > DFS_NAME_MAX) return -EAGAIN;
    pthread_mutex_lock(&sb->lock);
    if (sb->nqueue < BEHIND_MAX && !sb->stopping &&
        (rc = pool_take(sb, ino)) == 0) {
        it = &sb->queue[sb->nqueue];
        *it = (struct behind_item){.kind = BEHIND_CREATE,
                                   .ino = *ino,
                                   .parent = parent,
                                   .mode = mode,
                                   .uid = uid,
                                   .gid = gid,
                                   .time_ns = time_ns};
        strcpy(it->name, name);
        queued(sb);
    }
    pthread_mutex_unlock(&sb->lock);
    return rc;
}

int setattr_behind_rename(struct setattr_behind *sb, uint64_t dir,
                          const char *name, const char *newname)
{
    int rc = -EAGAIN;

    if (strlen(name) > DFS_NAME_MAX || strlen(newname) > DFS_NAME_MAX)
        return -EAGAIN;
    pthread_mutex_lock(&sb->lock);
    if (sb->nqueue < BEHIND_MAX && !sb->stopping) {
        struct behind_item *it = &sb->queue[sb->nqueue];
        *it = (struct behind_item){.kind = BEHIND_RENAME, .parent = dir};
        strcpy(it->name, name);
        strcpy(it->newname, newname);
        queued(sb);
        rc = 0;
    }
    pthread_mutex_unlock(&sb->lock);
    return rc;
}

bool setattr_behind_refused(struct setattr_behind *sb, uint64_t ino)
{
    bool found = false;

    pthread_mutex_lock(&sb->lock);
    for (size_t i = 0; i < sb->nrefused && !found; i++) {
        if (sb->refused[i] == ino) {
            sb->refused[i] = sb->refused[--sb->nrefused];
            found = true;
        }
    }
    pthread_mutex_unlock(&sb->lock);
    return found;
}

/* Remember that the create of ino failed, for the file's flush to
 * report.  If memory runs out the flush still fails: its commit finds no
 * such inode (and logs it).  EINVAL says the master does not know the
 * range (a new database behind the same address): reserve a new one
 * rather than have every create from the old one refused. */
static void remember_refused(struct setattr_behind *sb, uint64_t ino, int rc)
{
    pthread_mutex_lock(&sb->lock);
    if (rc == -EINVAL && ino >= sb->pool.first && ino < sb->pool.end)
        sb->pool.next = sb->pool.end;
    if (sb->nrefused == sb->cap_refused) {
        size_t cap = sb->cap_refused ? sb->cap_refused * 2 : 16;
        uint64_t *p = realloc(sb->refused, cap * sizeof(*p));
        if (p) sb->refused = p, sb->cap_refused = cap;
    }
    if (sb->nrefused < sb->cap_refused) sb->refused[sb->nrefused++] = ino;
    pthread_mutex_unlock(&sb->lock);
}

/* ---- taking the queue, and giving it back once it is sent ---- */

static json_object *item_op(const struct behind_item *it)
{
    switch (it->kind) {
    case BEHIND_CREATE:
        return master_mknod_op(it->parent, it->name, it->mode, it->uid,
                               it->gid, it->ino, it->time_ns);
    case BEHIND_RENAME:
        return master_rename_op(it->parent, it->name, it->parent,
                                it->newname, 0);
    case BEHIND_LEASE:
        return master_lease_op(it->parent, true);
    case BEHIND_UNLEASE:
        return master_unlease_op(it->parent);
    default:
        return master_setattr_op(it->ino, &it->set);
    }
}

/* Under the lock: the lease ops this batch carries around the queue,
 * renewals first and give-ups last (after every change answered under
 * the lease they end), into carried[]; the queue goes in between. */
static size_t lease_items(struct setattr_behind *sb, size_t *ngive_up,
                          struct behind_item *give_up)
{
    uint64_t renew[BEHIND_LEASE_OPS], gone[BEHIND_LEASE_OPS];
    int64_t now = clock_monotonic_ms();
    size_t nrenew;

    dir_lease_pending(sb->leases, now, renew, &nrenew, gone, ngive_up,
                      BEHIND_LEASE_OPS);
    for (size_t i = 0; i < nrenew; i++)
        sb->carried[i] = (struct behind_item){
            .kind = BEHIND_LEASE, .parent = renew[i], .time_ns = now};
    for (size_t i = 0; i < *ngive_up; i++)
        give_up[i] = (struct behind_item){.kind = BEHIND_UNLEASE,
                                          .parent = gone[i]};
    return nrenew;
}

static json_object *take(void *arg)
{
    struct setattr_behind *sb = arg;
    json_object *ops = NULL;

    pthread_mutex_lock(&sb->lock);
    sb->takers++;
    while (sb->carrying)
        pthread_cond_wait(&sb->changed, &sb->lock);
    sb->takers--;
    struct behind_item give_up[BEHIND_LEASE_OPS];
    size_t ngive_up, n = lease_items(sb, &ngive_up, give_up);
    memcpy(sb->carried + n, sb->queue, sb->nqueue * sizeof(sb->queue[0]));
    n += sb->nqueue;
    memcpy(sb->carried + n, give_up, ngive_up * sizeof(give_up[0]));
    n += ngive_up;
    if (n > 0) {
        ops = json_object_new_array_ext((int)n);
        for (size_t i = 0; i < n; i++)
            json_object_array_add(ops, item_op(&sb->carried[i]));
        sb->ncarried = n;
        sb->nqueue = 0;
        sb->carrying = true;
    }
    pthread_mutex_unlock(&sb->lock);
    return ops;
}

static void refused(struct setattr_behind *sb, const struct behind_item *it,
                    int rc)
{
    if (it->kind == BEHIND_RENAME) {
        log_warn("rename of '%s' to '%s' in directory %llu, already "
                 "answered, failed at the master: %s",
                 it->name, it->newname, (unsigned long long)it->parent,
                 strerror(-rc));
        dir_cache_forget(sb->dirs, it->parent);
        attr_cache_drop(sb->attrs, it->parent);
        return;
    }
    if (it->kind == BEHIND_CREATE) {
        log_warn("create of '%s' (inode %llu in directory %llu), already "
                 "answered, failed at the master: %s; its writer gets EIO",
                 it->name, (unsigned long long)it->ino,
                 (unsigned long long)it->parent, strerror(-rc));
        remember_refused(sb, it->ino, rc);
        dir_cache_forget(sb->dirs, it->parent);
        attr_cache_drop(sb->attrs, it->parent);
    } else {
        log_warn("setattr of inode %llu, already answered, failed at the "
                 "master: %s",
                 (unsigned long long)it->ino, strerror(-rc));
    }
    attr_cache_drop(sb->attrs, it->ino);
}

/* What the master said to one carried item (one: 0 or -errno; result:
 * its result object, NULL when the batch failed). */
static void answered(struct setattr_behind *sb, const struct behind_item *it,
                     int one, json_object *result)
{
    int64_t ms = 0;

    switch (it->kind) {
    case BEHIND_LEASE:
        if (one == 0) one = master_lease_result(result, &ms);
        dir_lease_renewed(sb->leases, it->parent, it->time_ns, one, ms);
        break;
    case BEHIND_UNLEASE:
        dir_lease_released(sb->leases, it->parent);
        break;
    default:
        if (one < 0) refused(sb, it, one);
    }
}

/* The carried changes once more, on our own client: as a batch, or one
 * by one for a master without batches. */
static void resend(struct setattr_behind *sb)
{
    json_object *ops = json_object_new_array(), *results;
    int rc;

    for (size_t i = 0; i < sb->ncarried; i++)
        json_object_array_add(ops, item_op(&sb->carried[i]));
    rc = master_batch(sb->own, ops, &results);
    for (size_t i = 0; i < sb->ncarried; i++) {
        const struct behind_item *it = &sb->carried[i];
        json_object *result =
            rc == 0 ? json_object_array_get_idx(results, i) : NULL;
        /* (a master without batches reserves no numbers and grants no
         * leases: only setattrs) */
        int one = rc == 0 ? master_batch_errno(result)
                  : rc == -ENOSYS && it->kind == BEHIND_SETATTR
                      ? master_setattr(sb->own, it->ino, &it->set, NULL)
                      : rc;
        answered(sb, it, one, result);
    }
    if (rc == 0) json_object_put(results);
}

static void done(void *arg, json_object *results, int rc)
{
    struct setattr_behind *sb = arg;

    (void)rc;
    if (!results) {
        resend(sb);
    } else {
        for (size_t i = 0; i < sb->ncarried; i++) {
            json_object *result = json_object_array_get_idx(results, i);
            answered(sb, &sb->carried[i], master_batch_errno(result),
                     result);
        }
    }
    pthread_mutex_lock(&sb->lock);
    sb->ncarried = 0;
    sb->carrying = false;
    if (sb->takers > 0) pthread_cond_broadcast(&sb->changed);
    pthread_mutex_unlock(&sb->lock);
}

struct master_piggyback setattr_behind_piggyback(struct setattr_behind *sb)
{
    return (struct master_piggyback){.take = take, .done = done, .arg = sb};
}

void setattr_behind_flush(struct setattr_behind *sb)
{
    json_object *ops = take(sb), *results;
    int rc;

    if (!ops) return;
    rc = master_batch(sb->own, ops, &results);
    done(sb, rc == 0 ? results : NULL, rc);
    if (rc == 0) json_object_put(results);
}

/* ---- the thread that sends what no call took within the delay ---- */

static void deadline_after(long ms, struct timespec *t)
{
    clock_gettime(CLOCK_REALTIME, t);
    t->tv_nsec += (ms % 1000) * 1000000L;
    t->tv_sec += ms / 1000 + t->tv_nsec / 1000000000L;
    t->tv_nsec %= 1000000000L;
}

/* Wait for the next tick, or, after BEHIND_IDLE_TICKS ticks that found
 * nothing queued, for a change.  False when stopping. */
static bool wait_tick(struct setattr_behind *sb, int *idle)
{
    struct timespec until;
    bool stopping;

    pthread_mutex_lock(&sb->lock);
    *idle = sb->nqueue > 0 ? 0 : *idle + 1;
    if (*idle >= BEHIND_IDLE_TICKS || sb->delay_ms <= 0) {
        sb->sleeping = true;
        while (sb->nqueue == 0 && !sb->stopping)
            pthread_cond_wait(&sb->changed, &sb->lock);
        sb->sleeping = false;
        *idle = 0;
    }
    if (sb->delay_ms > 0 && !sb->stopping) {
        deadline_after(sb->delay_ms, &until);
        while (!sb->stopping &&
               pthread_cond_timedwait(&sb->changed, &sb->lock, &until) !=
                   ETIMEDOUT)
            ;
    }
    stopping = sb->stopping;
    pthread_mutex_unlock(&sb->lock);
    return !stopping;
}

/* Whether the queue has waited the delay.  A younger one is left to the
 * next call or tick: a create queued at open() should ride with the
 * commit at close(), and a tick that happened to fall between the two
 * would cost the round trip saved. */
static bool queue_due(struct setattr_behind *sb)
{
    pthread_mutex_lock(&sb->lock);
    bool due = sb->nqueue > 0 &&
               clock_monotonic_ms() - sb->first_queued_ms >= sb->delay_ms;
    pthread_mutex_unlock(&sb->lock);
    return due;
}

static void *behind_thread(void *arg)
{
    struct setattr_behind *sb = arg;
    int idle = BEHIND_IDLE_TICKS; /* asleep until the first change */

    while (wait_tick(sb, &idle)) {
        /* Leases this mount no longer uses go with the next batch, all
         * of them once it is quiet (the next empty tick sleeps), rather
         * than make another client wait them out. */
        bool give_up = idle == BEHIND_IDLE_TICKS - 1
                           ? dir_lease_give_up_all(sb->leases)
                           : dir_lease_give_up_unused(sb->leases);
        if (give_up || queue_due(sb)) setattr_behind_flush(sb);
    }
    return NULL;
}

struct setattr_behind *setattr_behind_new(struct master_client *own,
                                          struct attr_cache *attrs,
                                          struct dir_cache *dirs,
                                          struct dir_lease *leases,
                                          long delay_ms)
{
    struct setattr_behind *sb = calloc(1, sizeof(*sb));

    if (!sb) return NULL;
    sb->own = own;
    sb->attrs = attrs;
    sb->dirs = dirs;
    sb->leases = leases;
    sb->delay_ms = delay_ms;
    pthread_mutex_init(&sb->lock, NULL);
    pthread_cond_init(&sb->changed, NULL);
    if (pthread_create(&sb->thread, NULL, behind_thread, sb) != 0) {
        pthread_cond_destroy(&sb->changed);
        pthread_mutex_destroy(&sb->lock);
        free(sb);
        return NULL;
    }
    return sb;
}

void setattr_behind_free(struct setattr_behind *sb)
{
    if (!sb) return;
    pthread_mutex_lock(&sb->lock);
    sb->stopping = true;
    pthread_cond_broadcast(&sb->changed);
    pthread_mutex_unlock(&sb->lock);
    pthread_join(sb->thread, NULL);
    dir_lease_give_up_all(sb->leases);
    setattr_behind_flush(sb); /* what came after the thread's last look */
    if (sb->pool.next < sb->pool.end) /* unused numbers: give them back */
        master_release(sb->own, sb->pool.first);
    free(sb->refused);
    pthread_cond_destroy(&sb->changed);
    pthread_mutex_destroy(&sb->lock);
    free(sb);
}
