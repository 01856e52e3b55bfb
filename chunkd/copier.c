/*
 * copier.c - one worker thread copying (and deleting) chunks on the
 * master's orders
 * (see copier.h).  The waiting and the finished lists are small arrays: at
 * most COPIER_QUEUE_MAX entries each, scanned linearly.
 */
#include "copier.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "chunk_client.h"
#include "chunk_id.h"
#include "log.h"

/* Ids of finished copies, waiting for the heartbeat. */
struct copier_list {
    char ids[COPIER_QUEUE_MAX][CHUNK_ID_STRLEN];
    size_t n;
};

struct copy_order {
    char id[CHUNK_ID_STRLEN];
    char from[ADDR_TEXT_MAX]; /* "" for a deletion */
    int64_t min_age_ms;       /* a deletion of garbage: spare younger */
};

struct copier {
    struct chunk_store *store;
    struct http_client *client;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    struct copy_order queue[COPIER_QUEUE_MAX];
    size_t nqueue;
    struct copier_list done, failed;
};

/* Fetch, check and store one chunk.  0 or -errno (logged). */
static int copy_one(struct copier *cp, const struct copy_order *o)
{
    char *body = NULL, err[512];
    size_t len = 0;
    bool created = false;
    /* the store checks the id itself, so the fast check is enough here */
    int rc = chunk_client_fetch(cp->client, o->from, o->id, CHUNK_VERIFY_FAST,
                                &body, &len, err, sizeof(err));
    if (rc < 0) {
        log_warn("copy of chunk %.12s failed: %s", o->id, err);
        return rc;
    }
    rc = chunk_store_put(cp->store, o->id, body, len, true, &created);
    free(body);
    if (rc < 0)
        log_warn("copy of chunk %.12s from %s: cannot store it: %s", o->id,
                 o->from, strerror(-rc));
    else
        log_info("copied chunk %.12s from %s%s", o->id, o->from,
                 created ? "" : " (it was already here)");
    return rc;
}

/* Delete the local copy of a chunk the master no longer counts: a
 * surplus copy, or garbage (min_age_ms > 0). */
static void delete_one(struct copier *cp, const struct copy_order *o)
{
    const char *what = o->min_age_ms > 0 ? "unused" : "surplus";
    int rc = o->min_age_ms > 0
                 ? chunk_store_delete_unused(cp->store, o->id, o->min_age_ms)
                 : chunk_store_delete(cp->store, o->id);
    if (rc == -EBUSY)
        log_info("kept unused chunk %.12s: put again within %lld ms", o->id,
                 (long long)o->min_age_ms);
    else if (rc < 0 && rc != -ENOENT)
        log_warn("cannot delete %s chunk %.12s: %s", what, o->id,
                 strerror(-rc));
    else
        log_info("deleted %s chunk %.12s", what, o->id);
}

static void *copier_main(void *arg)
{
    struct copier *cp = arg;
    pthread_mutex_lock(&cp->lock);
    for (;;) {
        while (!cp->stopping && cp->nqueue == 0)
            pthread_cond_wait(&cp->wake, &cp->lock);
        if (cp->stopping) break;
        struct copy_order o = cp->queue[0];
        memmove(&cp->queue[0], &cp->queue[1],
                (--cp->nqueue) * sizeof(cp->queue[0]));
        pthread_mutex_unlock(&cp->lock);
        if (!o.from[0]) {
            delete_one(cp, &o);
            pthread_mutex_lock(&cp->lock);
            continue;
        }
        int rc = copy_one(cp, &o);
        pthread_mutex_lock(&cp->lock);
        struct copier_list *l = rc == 0 ? &cp->done : &cp->failed;
        if (l->n < COPIER_QUEUE_MAX)
            memcpy(l->ids[l->n++], o.id, CHUNK_ID_STRLEN);
    }
    pthread_mutex_unlock(&cp->lock);
    return NULL;
}

struct copier *copier_start(struct chunk_store *store,
                            struct http_client *client)
{
    struct copier *cp = calloc(1, sizeof(*cp));
    if (!cp) return NULL;
    cp->store = store;
    cp->client = client;
    pthread_mutex_init(&cp->lock, NULL);
    pthread_cond_init(&cp->wake, NULL);
    int rc = pthread_create(&cp->thread, NULL, copier_main, cp);
    if (rc != 0) {
        pthread_cond_destroy(&cp->wake);
        pthread_mutex_destroy(&cp->lock);
        free(cp);
        errno = rc;
        return NULL;
    }
    return cp;
}

void copier_stop(struct copier *cp)
{
    if (!cp) return;
    pthread_mutex_lock(&cp->lock);
    cp->stopping = true;
    pthread_cond_signal(&cp->wake);
    pthread_mutex_unlock(&cp->lock);
    pthread_join(cp->thread, NULL);
    pthread_cond_destroy(&cp->wake);
    pthread_mutex_destroy(&cp->lock);
    free(cp);
}

static bool queued(const struct copier *cp, const char *id)
{
    for (size_t i = 0; i < cp->nqueue; i++)
        if (strcmp(cp->queue[i].id, id) == 0) return true;
    return false;
}

void copier_enqueue(struct copier *cp, const char *id, const char *from,
                    int64_t min_age_ms)
{
    pthread_mutex_lock(&cp->lock);
    if (cp->nqueue == COPIER_QUEUE_MAX)
        log_warn("order for chunk %.12s dropped: %d orders already wait", id,
                 COPIER_QUEUE_MAX);
    else if (!queued(cp, id)) {
        struct copy_order *o = &cp->queue[cp->nqueue++];
        snprintf(o->id, sizeof(o->id), "%s", id);
        snprintf(o->from, sizeof(o->from), "%s", from ? from : "");
        o->min_age_ms = from ? 0 : min_age_ms;
        pthread_cond_signal(&cp->wake);
    }
    pthread_mutex_unlock(&cp->lock);
}

/* Move up to max ids of l into arr. */
static void list_take(struct copier_list *l, json_object *arr, size_t max)
{
    size_t n = l->n < max ? l->n : max;
    for (size_t i = 0; i < n; i++)
        json_object_array_add(arr, json_object_new_string(l->ids[i]));
    memmove(&l->ids[0], &l->ids[n], (l->n - n) * sizeof(l->ids[0]));
    l->n -= n;
}

void copier_take(struct copier *cp, json_object *done, json_object *failed,
                 size_t max)
{
    pthread_mutex_lock(&cp->lock);
    list_take(&cp->done, done, max - json_object_array_length(done));
    list_take(&cp->failed, failed, max - json_object_array_length(failed));
    pthread_mutex_unlock(&cp->lock);
}
