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

struct open_table {
    pthread_mutex_t lock;
    struct dfs_file *buckets[OPEN_BUCKETS];
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
    pthread_mutex_unlock(&t->lock);
}

void open_table_remove(struct open_table *t, struct dfs_file *fh)
{
    pthread_mutex_lock(&t->lock);
    struct dfs_file **p = bucket(t, fh->ino);
    while (*p && *p != fh)
        p = &(*p)->next_open;
    if (*p) *p = fh->next_open;
    pthread_mutex_unlock(&t->lock);
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
