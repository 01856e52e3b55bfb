/*
 * cmd_fsck.c - dfs fsck: is every file's data where the master says, with
 * as many copies as the cluster keeps?
 *
 * It walks the tree under PATH through the master (readdir, a page at a
 * time) and asks for each regular file's chunk map, whose replicas are the
 * live servers holding each chunk.  A chunk with fewer live copies than the
 * replication factor is under-replicated (the master repairs it, see
 * dfs-master(8)); one with none is unreadable until a server holding it
 * returns.  With --verify each copy is also asked for (HEAD) on its
 * server, which catches a chunk file gone from a server's disk.
 *
 * One line per problem chunk on stdout, then a summary and the verdict:
 * HEALTHY (exit 0), DEGRADED (every chunk readable, some short of copies)
 * or CORRUPT (some chunk has no copy left); both exit 1.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "chunk_client.h"
#include "cli.h"
#include "meta_wire.h"

#define FSCK_PAGE 1024 /* readdir entries per request */

struct fsck {
    struct cli *cli;
    bool verify;
    uint32_t replication;
    uint64_t files, dirs, chunks, short_chunks, lost_chunks;
    int error; /* a master call failed: the walk is incomplete */
};

/* Copies of chunk c that are really there: all its live replicas, or
 * with --verify those whose server answers that it holds the chunk. */
static size_t fsck_copies(struct fsck *f, const char *path,
                          const struct dfs_chunk *c)
{
    char err[700];
    size_t good = 0;

    if (!f->verify) return c->nreplicas;
    for (size_t i = 0; i < c->nreplicas; i++) {
        int rc = chunk_client_stat(f->cli->http, c->replicas[i], c->id, err,
                                   sizeof(err));
        if (rc == 0)
            good++;
        else
            printf("%s: chunk %" PRIu64 " (%.12s): copy %s: %s\n", path,
                   c->index, c->id, rc == -ENOENT ? "missing" : "unreachable",
                   err);
    }
    return good;
}

static void fsck_file(struct fsck *f, const char *path, uint64_t ino)
{
    struct dfs_chunk_map map;
    int rc = master_chunks(f->cli->mc, ino, &map);

    if (rc < 0) {
        printf("%s: cannot get its chunk map: %s\n", path, strerror(-rc));
        f->error = rc;
        return;
    }
    f->files++;
    for (size_t i = 0; i < map.nchunks; i++) {
        const struct dfs_chunk *c = &map.chunks[i];
        size_t n = fsck_copies(f, path, c);
        f->chunks++;
        if (n >= f->replication) continue;
        if (n == 0) {
            f->lost_chunks++;
            printf("%s: chunk %" PRIu64 " (%.12s): no live copy\n", path,
                   c->index, c->id);
        } else {
            f->short_chunks++;
            printf("%s: chunk %" PRIu64 " (%.12s): %zu of %" PRIu32 " copies\n",
                   path, c->index, c->id, n, f->replication);
        }
    }
    meta_chunk_map_free(&map);
}

static void fsck_dir(struct fsck *f, const char *path, uint64_t ino);

static void fsck_entry(struct fsck *f, const char *dir,
                       const struct dfs_dirent *e)
{
    size_t len = strlen(dir) + strlen(e->name) + 2;
    char *path = malloc(len);

    if (!path) {
        f->error = -ENOMEM;
        return;
    }
    snprintf(path, len, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", e->name);
    if (S_ISDIR(e->attr.mode))
        fsck_dir(f, path, e->attr.ino);
    else if (S_ISREG(e->attr.mode))
        fsck_file(f, path, e->attr.ino);
    free(path);
}

static void fsck_dir(struct fsck *f, const char *path, uint64_t ino)
{
    uint64_t cookie = 0;
    bool eof = false;

    f->dirs++;
    while (!eof && !f->error) {
        struct dfs_dirent *ents;
        size_t n;
        int rc =
            master_readdir(f->cli->mc, ino, cookie, FSCK_PAGE, &ents, &n, &eof);
        if (rc < 0) {
            printf("%s: cannot list it: %s\n", path, strerror(-rc));
            f->error = rc;
            return;
        }
        for (size_t i = 0; i < n && !f->error; i++) {
            fsck_entry(f, path, &ents[i]);
            cookie = ents[i].cookie;
        }
        free(ents);
        if (n == 0) eof = true;
    }
}

static int fsck_verdict(const struct fsck *f)
{
    printf("%" PRIu64 " files in %" PRIu64 " directories, %" PRIu64
           " chunks: %" PRIu64 " short of copies, %" PRIu64 " with no copy%s\n",
           f->files, f->dirs, f->chunks, f->short_chunks, f->lost_chunks,
           f->verify ? " (every copy asked for)" : "");
    if (f->error) return cli_master_fail(f->cli, f->error);
    const char *verdict = f->lost_chunks    ? "CORRUPT"
                          : f->short_chunks ? "DEGRADED"
                                            : "HEALTHY";
    printf("%s\n", verdict);
    return f->lost_chunks || f->short_chunks ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

int cmd_fsck(struct cli *cli, char **args)
{
    struct fsck f = {.cli = cli, .verify = cli_flag(cli, "--verify")};
    struct dfs_cluster_info info;
    struct cli_path p;
    struct dfs_attr attr;
    char path[PATH_MAX];
    int rc = master_cluster_info(cli->mc, &info);

    /* "/a/" prints its files as "/a/f", not "/a//f" */
    snprintf(path, sizeof(path), "%s", args[0] ? args[0] : "/");
    for (size_t len = strlen(path); len > 1 && path[len - 1] == '/';)
        path[--len] = '\0';

    if (rc < 0) return cli_master_fail(cli, rc);
    f.replication = info.replication;
    rc = cli_path_split(path, &p);
    if (rc == 0) rc = cli_path_walk(cli->mc, p.comp, p.n, &attr);
    if (rc == -EIO || rc == -EACCES) return cli_master_fail(cli, rc);
    if (rc < 0) return cli_fail("%s: %s", path, strerror(-rc));
    if (S_ISDIR(attr.mode))
        fsck_dir(&f, path, attr.ino);
    else if (S_ISREG(attr.mode))
        fsck_file(&f, path, attr.ino);
    return fsck_verdict(&f);
}
