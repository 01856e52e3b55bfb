/*
 * temp_meta.h - a metadata store in a temporary directory, on a clock the
 * test sets, for the unit tests of master modules (test_repair, test_gc).
 */
#ifndef DFS_TESTS_TEMP_META_H
#define DFS_TESTS_TEMP_META_H

#include <stdint.h>

#include "meta.h"

struct temp_meta {
    char dir[64], path[128];
    struct meta *m;
    int64_t now_ms; /* the store's clock; starts at 1000000 */
};

/* Open a fresh store (chunk size cs, 3 replicas, nodes dead after
 * dead_ms) under /tmp/<name>.XXXXXX.  0 or -1. */
int temp_meta_open(struct temp_meta *t, const char *name, uint32_t cs,
                   int64_t dead_ms);
/* Close the store and remove its files and directory. */
void temp_meta_remove(struct temp_meta *t);

#endif
