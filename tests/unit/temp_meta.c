/*
 * temp_meta.c - a throwaway metadata store for unit tests (temp_meta.h).
 */
#include "temp_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int64_t temp_meta_clock(void *arg)
{
    return ((struct temp_meta *)arg)->now_ms;
}

int temp_meta_open(struct temp_meta *t, const char *name, uint32_t cs,
                   int64_t dead_ms)
{
    struct meta_format fmt = {cs, 3};
    char err[256];

    snprintf(t->dir, sizeof(t->dir), "/tmp/%s.XXXXXX", name);
    if (!mkdtemp(t->dir)) return -1;
    snprintf(t->path, sizeof(t->path), "%s/meta.db", t->dir);
    if (meta_open(t->path, &fmt, &t->m, err, sizeof(err)) < 0) {
        fprintf(stderr, "meta_open: %s\n", err);
        return -1;
    }
    t->now_ms = 1000000;
    meta_set_clock(t->m, temp_meta_clock, t);
    meta_set_dead_after_ms(t->m, dead_ms);
    return 0;
}

void temp_meta_remove(struct temp_meta *t)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char p[160];

    meta_close(t->m);
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", t->path, suffixes[i]);
        unlink(p);
    }
    rmdir(t->dir);
}
