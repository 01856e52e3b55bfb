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
#include "log.h"
#include "wire.h"

/* One batch holds the queue and the call it rides with. */
#define BEHIND_MAX (DFS_BATCH_MAX - 1)
#define BEHIND_IDLE_TICKS 200

/* Reserved inode numbers are asked for this many at a time. */
#define BEHIND_POOL_RESERVE 1024
/* After a reservation failed, creates go to the master for this long. */
#define BEHIND_POOL_RETRY_MS 10000

/* A setattr of ino, or (create) the create of ino as parent/name. */
struct behind_item {
    uint64_t ino;
    struct dfs_setattr set;
    bool create;
    uint64_t parent;
    uint32_t mode, uid, gid;
    int64_t time_ns;
    char name[DFS_NAME_MAX + 1];
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
    long delay_ms;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* queued, taken, carried, or stopping */
    struct behind_item queue[BEHIND_MAX];
    size_t nqueue;
    struct behind_item carried[BEHIND_MAX]; /* taken, on their way */
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
    for (i = 0; i < sb->nqueue &&
                (sb->queue[i].ino != ino || sb->queue[i].create);
         i++)
        ;
    if (i < sb->nqueue) {
        merge(&sb->queue[i].set, s);
    } else if (sb->nqueue < BEHIND_MAX && !sb->stopping) {
        struct behind_item *it = &sb->queue[sb->nqueue];
        it->ino = ino;
        it->set = *s;
        it->create = false;
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
        *it = (struct behind_item){.ino = *ino,
                                   .create = true,
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
    if (it->create)
        return master_mknod_op(it->parent, it->name, it->mode, it->uid,
                               it->gid, it->ino, it->time_ns);
    return master_setattr_op(it->ino, &it->set);
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
    if (sb->nqueue > 0) {
        ops = json_object_new_array_ext((int)sb->nqueue);
        for (size_t i = 0; i < sb->nqueue; i++)
            json_object_array_add(ops, item_op(&sb->queue[i]));
        memcpy(sb->carried, sb->queue, sb->nqueue * sizeof(sb->queue[0]));
        sb->ncarried = sb->nqueue;
        sb->nqueue = 0;
        sb->carrying = true;
    }
    pthread_mutex_unlock(&sb->lock);
    return ops;
}

static void refused(struct setattr_behind *sb, const struct behind_item *it,
                    int rc)
{
    if (it->create) {
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
        /* (a master without batches reserves no numbers: no creates) */
        int one = rc == 0 ? master_batch_errno(
                                json_object_array_get_idx(results, i))
                  : rc == -ENOSYS && !it->create
                      ? master_setattr(sb->own, it->ino, &it->set, NULL)
                      : rc;
        if (one < 0) refused(sb, it, one);
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
            int one =
                master_batch_errno(json_object_array_get_idx(results, i));
            if (one < 0) refused(sb, &sb->carried[i], one);
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

    while (wait_tick(sb, &idle))
        if (queue_due(sb)) setattr_behind_flush(sb);
    return NULL;
}

struct setattr_behind *setattr_behind_new(struct master_client *own,
                                          struct attr_cache *attrs,
                                          struct dir_cache *dirs,
                                          long delay_ms)
{
    struct setattr_behind *sb = calloc(1, sizeof(*sb));

    if (!sb) return NULL;
    sb->own = own;
    sb->attrs = attrs;
    sb->dirs = dirs;
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
    setattr_behind_flush(sb); /* what came after the thread's last look */
    if (sb->pool.next < sb->pool.end) /* unused numbers: give them back */
        master_release(sb->own, sb->pool.first);
    free(sb->refused);
    pthread_cond_destroy(&sb->changed);
    pthread_mutex_destroy(&sb->lock);
    free(sb);
}
