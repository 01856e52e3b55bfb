/*
 * cmd_copy.c - dfs put and dfs get: copy files in and out without a mount.
 *
 * put reads the local file a chunk at a time, names each chunk by its hash,
 * ranks the live servers for it with the same placement the master uses,
 * stores it on the first `replication` of them (chunk_client.c) and commits
 * the chunk map to the master every PUT_COMMIT_EVERY chunks, so a huge
 * file never needs one huge request.  All-zero chunks are not stored:
 * they become holes, which read back as zeros.
 *
 * get fetches the chunk map, then each chunk from its first replica whose
 * bytes pass the check, and writes LOCAL.tmp, renamed over LOCAL at the
 * end so LOCAL is never half written; a LOCAL that is a device or a FIFO
 * (/dev/null) is written in place instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chunk_client.h"
#include "chunk_id.h"
#include "cli.h"
#include "meta_wire.h"

/* Chunks per commit: bounds the request well under DFS_JSON_BODY_MAX even
 * with DFS_MAX_REPLICAS node ids per chunk. */
#define PUT_COMMIT_EVERY 64

/* read() until len bytes or end of file (pipes return short reads). */
static ssize_t copy_read_full(int fd, char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -errno;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static bool copy_all_zero(const char *buf, size_t len)
{
    return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

/* ---- put ---- */

struct put_job {
    struct cli *cli;
    const char *path; /* as the user wrote it, for messages */
    uint64_t ino;
    struct dfs_cluster_info info;
    struct dfs_node *nodes;
    size_t *order;
    size_t nnodes;
    struct dfs_chunk_ref refs[PUT_COMMIT_EVERY];
    size_t nrefs;
    uint64_t size; /* bytes read so far */
};

static int put_load_nodes(struct put_job *j)
{
    int rc = master_nodes(j->cli->mc, &j->nodes, &j->nnodes);

    if (rc < 0) return cli_master_fail(j->cli, rc);
    if (j->nnodes == 0)
        return cli_fail("%s: no live chunk servers", j->cli->master);
    j->order = calloc(j->nnodes, sizeof(*j->order));
    if (!j->order) return cli_fail("%s", strerror(ENOMEM));
    return CLI_EXIT_OK;
}

/* Tell the master about the chunks stored since the last commit and the
 * size so far; the next commit only extends the file. */
static int put_commit(struct put_job *j)
{
    struct dfs_attr attr;
    int rc =
        master_commit(j->cli->mc, j->ino, j->size, j->refs, j->nrefs, &attr);

    if (rc < 0) return cli_fail("%s: commit: %s", j->path, strerror(-rc));
    j->nrefs = 0;
    return CLI_EXIT_OK;
}

static int put_chunk(struct put_job *j, const char *buf, size_t len)
{
    struct dfs_chunk_ref *ref = &j->refs[j->nrefs];
    char err[512];

    memset(ref, 0, sizeof(*ref));
    ref->index = j->size / j->info.chunk_size;
    ref->len = (uint32_t)len;
    chunk_id_compute(buf, len, ref->id);
    if (chunk_client_rank(ref->id, j->nodes, j->nnodes, j->info.replication,
                          j->order) < 0)
        return cli_fail("%s", strerror(ENOMEM));
    if (chunk_client_put(j->cli->http, j->nodes, j->order, j->nnodes,
                         j->info.replication, buf, false, ref, NULL, err,
                         sizeof(err)) < 0)
        return cli_fail("%s: chunk %" PRIu64 ": %s", j->path, ref->index, err);
    j->nrefs++;
    return CLI_EXIT_OK;
}

static int put_stream(struct put_job *j, int fd, const char *local)
{
    char *buf = malloc(j->info.chunk_size);
    int rc = buf ? CLI_EXIT_OK : cli_fail("%s", strerror(ENOMEM));

    while (rc == CLI_EXIT_OK) {
        ssize_t len = copy_read_full(fd, buf, j->info.chunk_size);
        if (len < 0) {
            rc = cli_fail("%s: %s", local, strerror((int)-len));
            break;
        }
        if (len == 0) break;
        if (!copy_all_zero(buf, (size_t)len))
            rc = put_chunk(j, buf, (size_t)len);
        j->size += (uint64_t)len;
        if (rc == CLI_EXIT_OK && j->nrefs == PUT_COMMIT_EVERY)
            rc = put_commit(j);
        if ((size_t)len < j->info.chunk_size) break;
    }
    if (rc == CLI_EXIT_OK) rc = put_commit(j);
    free(buf);
    return rc;
}

/* The file to write: PATH itself, or PATH/basename(LOCAL) when PATH is a
 * directory (as cp does).  Created if missing, emptied if it exists. */
static int put_target(struct put_job *j, const char *local, mode_t mode)
{
    struct cli_path p;
    struct dfs_attr dir, attr;
    char lbuf[PATH_MAX];
    const char *name;
    mode_t mask = umask(0);
    int rc;

    umask(mask);
    rc = cli_path_split(j->path, &p);
    if (rc == 0)
        rc = cli_path_walk(j->cli->mc, p.comp, p.n ? p.n - 1 : 0, &dir);
    if (rc == 0 && !S_ISDIR(dir.mode)) rc = -ENOTDIR;
    if (rc < 0) return cli_fail("%s: %s", j->path, strerror(-rc));
    name = p.n ? p.comp[p.n - 1] : NULL;
    rc = name ? master_lookup(j->cli->mc, dir.ino, name, &attr) : 0;
    if (!name) attr = dir;
    if (rc == 0 && S_ISDIR(attr.mode)) {
        if (strcmp(local, "-") == 0)
            return cli_fail("%s: %s", j->path, strerror(EISDIR));
        snprintf(lbuf, sizeof(lbuf), "%s", local);
        name = basename(lbuf);
        dir = attr;
        rc = master_lookup(j->cli->mc, dir.ino, name, &attr);
    }
    if (rc == -ENOENT)
        rc = master_mknod(j->cli->mc, dir.ino, name,
                          S_IFREG | (mode & 07777 & ~mask), geteuid(),
                          getegid(), 0, &attr);
    else if (rc == 0 && !S_ISREG(attr.mode))
        rc = S_ISDIR(attr.mode) ? -EISDIR : -EEXIST;
    if (rc < 0) return cli_fail("%s: %s", j->path, strerror(-rc));
    j->ino = attr.ino;
    /* Empty it first: a commit only replaces the chunks it lists. */
    return attr.size ? put_commit(j) : CLI_EXIT_OK;
}

int cmd_put(struct cli *cli, char **args)
{
    struct put_job j = {.cli = cli, .path = args[1]};
    const char *local = args[0];
    struct stat st;
    int fd = 0, rc;

    if (strcmp(local, "-") != 0 && (fd = open(local, O_RDONLY)) < 0)
        return cli_fail("%s: %s", local, strerror(errno));
    if (fstat(fd, &st) < 0)
        st.st_mode = S_IFDIR; /* cannot happen on an open fd; refuse */
    if (S_ISDIR(st.st_mode)) {
        rc = cli_fail("%s: %s", local, strerror(EISDIR));
        goto out;
    }
    if (fd == 0) st.st_mode = 0666;
    rc = master_cluster_info(cli->mc, &j.info);
    if (rc < 0 || j.info.chunk_size == 0) {
        rc = rc < 0 ? cli_master_fail(cli, rc)
                    : cli_fail("%s: chunk size 0", cli->master);
        goto out;
    }
    rc = put_load_nodes(&j);
    if (rc == CLI_EXIT_OK) rc = put_target(&j, local, st.st_mode);
    if (rc == CLI_EXIT_OK) rc = put_stream(&j, fd, local);
out:
    if (fd > 0) close(fd);
    free(j.nodes);
    free(j.order);
    return rc;
}

/* ---- get ---- */

/* Where the bytes go: a regular file (pwrite, holes by ftruncate) or a
 * stream such as stdout (written in order, holes as zeros). */
struct get_out {
    int fd;
    bool stream;
    uint64_t pos; /* stream: bytes written so far */
};

static int get_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -errno;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Stream: zeros up to off (a hole). */
static int get_fill(struct get_out *o, uint64_t off)
{
    static const char zeros[65536];
    int rc = 0;

    while (rc == 0 && o->pos < off) {
        size_t n = off - o->pos < sizeof(zeros) ? off - o->pos : sizeof(zeros);
        rc = get_write_all(o->fd, zeros, n);
        o->pos += n;
    }
    return rc;
}

static int get_write(struct get_out *o, uint64_t off, const char *buf,
                     size_t len)
{
    int rc;

    if (!o->stream) {
        for (size_t done = 0; done < len;) {
            ssize_t w =
                pwrite(o->fd, buf + done, len - done, (off_t)(off + done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return -errno;
            done += (size_t)w;
        }
        return 0;
    }
    rc = get_fill(o, off);
    if (rc == 0) rc = get_write_all(o->fd, buf, len);
    o->pos += len;
    return rc;
}

/* Chunk c into buf (room for c->len bytes) from its first replica, in
 * the master's order, that serves the right bytes; -EIO with the reason
 * in err when none does. */
static int get_chunk(struct cli *cli, const struct dfs_chunk *c, char *buf,
                     char *err, size_t errlen)
{
    char why[512] = "no live replica";

    if (!chunk_id_valid(c->id)) {
        snprintf(err, errlen, "chunk %" PRIu64 ": bad id", c->index);
        return -EIO;
    }
    for (size_t r = 0; r < c->nreplicas && r < DFS_MAX_REPLICAS; r++) {
        char *body;
        size_t len;
        if (chunk_client_fetch(cli->http, c->replicas[r], c->id,
                               CHUNK_VERIFY_FAST, &body, &len, why,
                               sizeof(why)) < 0)
            continue;
        if (len == c->len) {
            if (len) memcpy(buf, body, len);
            free(body);
            return 0;
        }
        snprintf(why, sizeof(why), "%s: %zu bytes, expected %u", c->replicas[r],
                 len, (unsigned)c->len);
        free(body);
    }
    snprintf(err, errlen, "chunk %" PRIu64 " (%.12s...): %s", c->index, c->id,
             why);
    return -EIO;
}

/* Copy every chunk of map to o, then make the length exactly map->size. */
static int get_chunks(struct cli *cli, const char *path,
                      const struct dfs_chunk_map *map, struct get_out *o)
{
    char *buf = malloc(map->chunk_size ? map->chunk_size : 1);
    char err[1024];
    int rc = 0;

    if (!buf) return cli_fail("%s", strerror(ENOMEM));
    for (size_t i = 0; rc == 0 && i < map->nchunks; i++) {
        const struct dfs_chunk *c = &map->chunks[i];
        uint64_t off = c->index * map->chunk_size;
        size_t len = c->len;
        if (len > map->chunk_size || off >= map->size)
            continue; /* past EOF: a commit shortened the file */
        if (get_chunk(cli, c, buf, err, sizeof(err)) < 0) {
            free(buf);
            return cli_fail("%s: %s", path, err);
        }
        if (len > map->size - off) len = (size_t)(map->size - off);
        rc = get_write(o, off, buf, len);
    }
    free(buf);
    if (rc == 0)
        rc = o->stream ? get_fill(o, map->size)
                       : (ftruncate(o->fd, (off_t)map->size) < 0 ? -errno : 0);
    return rc < 0 ? cli_fail("write: %s", strerror(-rc)) : CLI_EXIT_OK;
}

/* Resolve PATH to a regular file and fetch its chunk map. */
static int get_map(struct cli *cli, const char *path, struct dfs_attr *attr,
                   struct dfs_chunk_map *map)
{
    struct cli_path p;
    int rc = cli_path_split(path, &p);

    if (rc == 0) rc = cli_path_walk(cli->mc, p.comp, p.n, attr);
    if (rc == 0 && !S_ISREG(attr->mode))
        rc = S_ISDIR(attr->mode) ? -EISDIR : -EINVAL;
    if (rc == 0) rc = master_chunks(cli->mc, attr->ino, map);
    if (rc == -EIO || rc == -EACCES) return cli_master_fail(cli, rc);
    return rc < 0 ? cli_fail("%s: %s", path, strerror(-rc)) : CLI_EXIT_OK;
}

/* A destination that is not a regular file (a device such as /dev/null,
 * a FIFO) is written in place, in order: renaming a temp file over it
 * would replace the device with a file. */
static int get_in_place(struct cli *cli, const char *path, const char *dest,
                        const struct dfs_chunk_map *map)
{
    struct get_out o = {.stream = true};
    int rc;

    o.fd = open(dest, O_WRONLY | O_CLOEXEC);
    if (o.fd < 0) return cli_fail("%s: %s", dest, strerror(errno));
    rc = get_chunks(cli, path, map, &o);
    if (close(o.fd) < 0 && rc == CLI_EXIT_OK)
        rc = cli_fail("%s: %s", dest, strerror(errno));
    return rc;
}

/* A regular file: written to DEST.tmp, renamed over DEST when whole. */
static int get_to_file(struct cli *cli, const char *path, const char *dest,
                       const struct dfs_attr *attr,
                       const struct dfs_chunk_map *map)
{
    struct get_out o = {.stream = false};
    char tmp[PATH_MAX + 8];
    int rc;

    snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
    o.fd =
        open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, attr->mode & 07777);
    if (o.fd < 0) return cli_fail("%s: %s", tmp, strerror(errno));
    rc = get_chunks(cli, path, map, &o);
    if (close(o.fd) < 0 && rc == CLI_EXIT_OK)
        rc = cli_fail("%s: %s", tmp, strerror(errno));
    if (rc == CLI_EXIT_OK && rename(tmp, dest) < 0)
        rc = cli_fail("%s: %s", dest, strerror(errno));
    if (rc != CLI_EXIT_OK) unlink(tmp);
    return rc;
}

int cmd_get(struct cli *cli, char **args)
{
    const char *path = args[0], *local = args[1];
    struct dfs_chunk_map map = {0};
    struct get_out o = {.fd = 1, .stream = true};
    char dest[PATH_MAX], pbuf[PATH_MAX];
    struct dfs_attr attr;
    struct stat st;
    int rc = get_map(cli, path, &attr, &map);

    if (rc != CLI_EXIT_OK) return rc;
    if (strcmp(local, "-") == 0) {
        rc = get_chunks(cli, path, &map, &o);
        meta_chunk_map_free(&map);
        return rc;
    }
    /* LOCAL a directory: LOCAL/basename(PATH), as cp does. */
    snprintf(pbuf, sizeof(pbuf), "%s", path);
    if (stat(local, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(dest, sizeof(dest), "%s/%s", local, basename(pbuf));
    else
        snprintf(dest, sizeof(dest), "%s", local);
    if (stat(dest, &st) == 0 && !S_ISREG(st.st_mode))
        rc = S_ISDIR(st.st_mode) ? cli_fail("%s: is a directory", dest)
                                 : get_in_place(cli, path, dest, &map);
    else
        rc = get_to_file(cli, path, dest, &attr, &map);
    meta_chunk_map_free(&map);
    return rc;
}
