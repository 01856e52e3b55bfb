/*
 * open_table.c - which files this mount has open, by inode.
 *
 * A small chained hash table of handle lists under one mutex.  Lock
 * order: table, then handle; handle code never takes the table lock.
 */
#include "open_table.h"

#include <pthread.h>
#include <stdlib.h>

#define OPEN_BUCKETS 1024

struct hidden_entry {
    uint64_t ino;
    struct open_hidden h;
    struct hidden_entry *next;
};

struct open_table {
    pthread_mutex_t lock;
    struct dfs_file *buckets[OPEN_BUCKETS];
    size_t nopen;
    struct hidden_entry *hidden; /* few: files unlinked while open */
};

struct open_table *open_table_new(void)
{
    struct open_table *t = calloc(1, sizeof(*t));
    if (t) pthread_mutex_init(&t->lock, NULL);
    return t;
}

void open_table_free(struct open_table *t)
{
    if (!t) return;
    while (t->hidden) {
        struct hidden_entry *e = t->hidden;
        t->hidden = e->next;
        free(e);
    }
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static struct dfs_file **bucket(struct open_table *t, uint64_t ino)
{
    return &t->buckets[ino % OPEN_BUCKETS];
}

void open_table_add(struct open_table *t, struct dfs_file *fh)
{
    pthread_mutex_lock(&t->lock);
    struct dfs_file **b = bucket(t, fh->ino);
    fh->next_open = *b;
    *b = fh;
    t->nopen++;
    pthread_mutex_unlock(&t->lock);
}

/* Caller holds the lock. */
static bool has_locked(struct open_table *t, uint64_t ino)
{
    for (struct dfs_file *fh = *bucket(t, ino); fh; fh = fh->next_open)
        if (fh->ino == ino) return true;
    return false;
}

/* Take ino's hidden entry into *out, if it has one.  Caller holds the
 * lock. */
static bool take_hidden_locked(struct open_table *t, uint64_t ino,
                               struct open_hidden *out)
{
    for (struct hidden_entry **p = &t->hidden; *p; p = &(*p)->next) {
        if ((*p)->ino != ino) continue;
        struct hidden_entry *e = *p;
        *out = e->h;
        *p = e->next;
        free(e);
        return true;
    }
    return false;
}

bool open_table_remove(struct open_table *t, struct dfs_file *fh,
                       struct open_hidden *out)
{
    bool last_hidden = false;

    pthread_mutex_lock(&t->lock);
    struct dfs_file **p = bucket(t, fh->ino);
    while (*p && *p != fh)
        p = &(*p)->next_open;
    if (*p) {
        *p = fh->next_open;
        t->nopen--;
    }
    if (!has_locked(t, fh->ino))
        last_hidden = take_hidden_locked(t, fh->ino, out);
    pthread_mutex_unlock(&t->lock);
    return last_hidden;
}

bool open_table_empty(struct open_table *t)
{
    pthread_mutex_lock(&t->lock);
    bool empty = t->nopen == 0;
    pthread_mutex_unlock(&t->lock);
    return empty;
}

bool open_table_has(struct open_table *t, uint64_t ino)
{
    pthread_mutex_lock(&t->lock);
    bool has = has_locked(t, ino);
    pthread_mutex_unlock(&t->lock);
    return has;
}

bool open_table_hide(struct open_table *t, uint64_t ino,
                     const struct open_hidden *h)
{
    struct hidden_entry *e = malloc(sizeof(*e));
    bool kept = false;

    pthread_mutex_lock(&t->lock);
    if (e && has_locked(t, ino)) {
        e->ino = ino;
        e->h = *h;
        e->next = t->hidden;
        t->hidden = e;
        kept = true;
    }
    pthread_mutex_unlock(&t->lock);
    if (!kept) free(e);
    return kept;
}

bool open_table_dirty_size(struct open_table *t, uint64_t ino, uint64_t *size)
{
    bool found = false;
    uint64_t s;

    pthread_mutex_lock(&t->lock);
    for (struct dfs_file *fh = *bucket(t, ino); fh; fh = fh->next_open) {
        if (fh->ino == ino && fh_dirty_size(fh, &s)) {
            if (!found || s > *size) *size = s;
            found = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

int open_table_each(struct open_table *t, uint64_t ino,
                    int (*fn)(struct dfs_file *fh, void *arg), void *arg)
{
    int rc = 0;

    pthread_mutex_lock(&t->lock);
    for (struct dfs_file *fh = *bucket(t, ino); fh && rc == 0;
         fh = fh->next_open)
        if (fh->ino == ino) rc = fn(fh, arg);
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int open_table_each_all(struct open_table *t,
                        int (*fn)(struct dfs_file *fh, void *arg), void *arg)
{
    int rc = 0;

    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < OPEN_BUCKETS && rc == 0 && t->nopen > 0; i++)
        for (struct dfs_file *fh = t->buckets[i]; fh && rc == 0;
             fh = fh->next_open)
            rc = fn(fh, arg);
    pthread_mutex_unlock(&t->lock);
    return rc;
}
