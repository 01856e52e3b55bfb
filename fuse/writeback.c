/*
 * writeback.c - flushing files left dirty too long (see writeback.h).
 *
 * The flush runs under the open table's lock (open_table_each_all), which
 * keeps the handle from being freed meanwhile; other opens and closes wait
 * for it, once per writeback_s per dirty file at most.
 */
#include "writeback.h"

#include <stdlib.h>
#include <string.h>

#include "file_handle.h"
#include "log.h"
#include "periodic.h"

#define WRITEBACK_TICK_MS 1000

struct writeback {
    struct open_table *open;
    int64_t after_ms;
    struct periodic *timer;
};

static int flush_if_old(struct dfs_file *fh, void *arg)
{
    const struct writeback *w = arg;
    int rc;

    if (!fh_dirty_for_ms(fh, w->after_ms)) return 0;
    rc = fh_flush(fh, false);
    if (rc < 0)
        log_warn("inode %llu: writeback of a file kept open failed: %s",
                 (unsigned long long)fh->ino, strerror(-rc));
    return 0; /* the others still get their turn */
}

static int writeback_tick(void *arg)
{
    struct writeback *w = arg;
    return open_table_each_all(w->open, flush_if_old, w);
}

struct writeback *writeback_start(struct open_table *open, long after_s)
{
    struct writeback *w;

    if (after_s <= 0 || !(w = calloc(1, sizeof(*w)))) return NULL;
    w->open = open;
    w->after_ms = (int64_t)after_s * 1000;
    struct periodic_job jobs[] = {
        {"writeback of files kept open", WRITEBACK_TICK_MS, writeback_tick, w,
         false},
        {0}};
    if (!(w->timer = periodic_start(jobs))) {
        free(w);
        return NULL;
    }
    return w;
}

void writeback_stop(struct writeback *w)
{
    if (!w) return;
    periodic_stop(w->timer);
    free(w);
}
