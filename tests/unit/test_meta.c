/*
 * test_meta.c - the master's metadata store (master/meta.h) against a
 * temporary SQLite file: formatting and reopening, the POSIX errno of
 * every namespace operation, nlink counting, readdir cookies, commit and
 * truncate, chunk maps and node liveness on a fake clock.
 */
#include <errno.h>
#include <linux/fs.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "meta.h"
#include "placement.h"

#define CS 1000 /* small chunk size so sizes are easy to read */
#define DEAD_MS 10000

struct fixture {
    char dir[64];
    char path[128];
    struct meta *m;
    int64_t now_ms;
};

static int64_t fake_clock(void *arg)
{
    return ((struct fixture *)arg)->now_ms;
}

static int open_meta(struct fixture *f, uint32_t chunk_size)
{
    char err[256];
    struct meta_format fmt = {chunk_size, 2};
    int rc = meta_open(f->path, &fmt, &f->m, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "meta_open: %s\n", err);
        return rc;
    }
    meta_set_clock(f->m, fake_clock, f);
    meta_set_dead_after_ms(f->m, DEAD_MS);
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_meta.XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof(f->path), "%s/meta.db", f->dir);
    f->now_ms = 1000000;
    *state = f;
    return open_meta(f, CS);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char p[160];
    meta_close(f->m);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Helpers that return the new inode number (asserting success). */
static uint64_t mkdir_ok(struct meta *m, uint64_t parent, const char *name)
{
    struct dfs_attr a;
    assert_int_equal(meta_mkdir(m, parent, name, 0755, 0, 0, &a), 0);
    assert_true(S_ISDIR(a.mode));
    return a.ino;
}

/* meta_mknod of name with this mode, no reserved number. */
static int mknod_mode(struct meta *m, uint64_t parent, const char *name,
                      uint32_t mode, struct dfs_attr *a)
{
    struct meta_new_inode n = {
        .name = name, .mode = mode, .uid = 1000, .gid = 1000};
    return meta_mknod(m, parent, &n, a);
}

static uint64_t mkfile_ok(struct meta *m, uint64_t parent, const char *name)
{
    struct dfs_attr a;
    assert_int_equal(mknod_mode(m, parent, name, S_IFREG | 0644, &a), 0);
    assert_true(S_ISREG(a.mode));
    return a.ino;
}

static uint32_t nlink_of(struct meta *m, uint64_t ino)
{
    struct dfs_attr a;
    assert_int_equal(meta_getattr(m, ino, &a), 0);
    return a.nlink;
}

static uint64_t ino_of(struct meta *m, uint64_t parent, const char *name)
{
    struct dfs_attr a;
    assert_int_equal(meta_lookup(m, parent, name, &a), 0);
    return a.ino;
}

static void test_format_reopen(void **state)
{
    struct fixture *f = *state;
    struct dfs_attr a;
    assert_int_equal(meta_getattr(f->m, 1, &a), 0);
    assert_int_equal(a.mode, S_IFDIR | 0755);
    assert_int_equal(a.uid, 0);
    assert_int_equal(a.nlink, 2);
    uint64_t d = mkdir_ok(f->m, 1, "keep");
    uint64_t x = mkfile_ok(f->m, d, "file");
    meta_close(f->m);
    /* Stored parameters win over the ones given at a later open. */
    assert_int_equal(open_meta(f, 4096), 0);
    assert_int_equal(meta_chunk_size(f->m), CS);
    assert_int_equal(meta_replication(f->m), 2);
    assert_int_equal(ino_of(f->m, 1, "keep"), d);
    assert_int_equal(ino_of(f->m, d, "file"), x);
    assert_int_equal(nlink_of(f->m, 1), 3);
}

static void test_corrupt_file(void **state)
{
    struct fixture *f = *state;
    char path[160], err[256];
    struct meta *m = NULL;
    struct meta_format fmt = {CS, 2};
    snprintf(path, sizeof(path), "%s/junk.db", f->dir);
    FILE *fp = fopen(path, "w");
    for (int i = 0; i < 200; i++)
        fputs("this is not a database at all ", fp);
    fclose(fp);
    assert_true(meta_open(path, &fmt, &m, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, path));
    unlink(path);
}

static void test_create_errors(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    struct dfs_attr a;
    char longname[300];
    uint64_t file = mkfile_ok(m, 1, "f");
    assert_int_equal(meta_lookup(m, 1, "missing", &a), -ENOENT);
    assert_int_equal(mknod_mode(m, 1, "f", S_IFREG | 0644, &a),
                     -EEXIST);
    assert_int_equal(meta_mkdir(m, 1, "f", 0755, 0, 0, &a), -EEXIST);
    assert_int_equal(meta_symlink(m, 1, "f", "x", 0, 0, &a), -EEXIST);
    assert_int_equal(meta_mkdir(m, 1, "", 0755, 0, 0, &a), -EINVAL);
    assert_int_equal(meta_mkdir(m, 1, ".", 0755, 0, 0, &a), -EINVAL);
    assert_int_equal(meta_mkdir(m, 1, "..", 0755, 0, 0, &a), -EINVAL);
    assert_int_equal(meta_mkdir(m, 1, "a/b", 0755, 0, 0, &a), -EINVAL);
    memset(longname, 'x', 256);
    longname[256] = '\0';
    assert_int_equal(meta_mkdir(m, 1, longname, 0755, 0, 0, &a), -ENAMETOOLONG);
    longname[255] = '\0';
    assert_int_equal(meta_mkdir(m, 1, longname, 0755, 0, 0, &a), 0);
    assert_int_equal(meta_mkdir(m, file, "sub", 0755, 0, 0, &a), -ENOTDIR);
    assert_int_equal(meta_lookup(m, file, "sub", &a), -ENOTDIR);
    assert_int_equal(meta_mkdir(m, 9999, "sub", 0755, 0, 0, &a), -ENOENT);
    assert_int_equal(mknod_mode(m, 1, "d", S_IFDIR | 0755, &a),
                     -EINVAL);
    /* mknod without a type makes a regular file, as mknod(2). */
    assert_int_equal(mknod_mode(m, 1, "plain", 0600, &a), 0);
    assert_int_equal(a.mode, S_IFREG | 0600);
}

static void test_symlink(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    struct dfs_attr a;
    char *t = NULL;
    assert_int_equal(meta_symlink(m, 1, "l", "../some/where", 5, 6, &a), 0);
    assert_int_equal(a.mode, S_IFLNK | 0777);
    assert_int_equal(a.size, strlen("../some/where"));
    assert_int_equal(meta_readlink(m, a.ino, &t), 0);
    assert_string_equal(t, "../some/where");
    free(t);
    uint64_t f = mkfile_ok(m, 1, "f");
    assert_int_equal(meta_readlink(m, f, &t), -EINVAL);
    assert_int_equal(meta_readlink(m, 4242, &t), -ENOENT);
    assert_int_equal(meta_symlink(m, 1, "e", "", 0, 0, &a), -EINVAL);
}

static void test_remove_errors(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    struct dfs_attr a;
    uint64_t d = mkdir_ok(m, 1, "d");
    uint64_t f = mkfile_ok(m, d, "f");
    assert_int_equal(meta_rmdir(m, 1, "d"), -ENOTEMPTY);
    assert_int_equal(meta_unlink(m, 1, "d"), -EISDIR);
    assert_int_equal(meta_rmdir(m, d, "f"), -ENOTDIR);
    assert_int_equal(meta_unlink(m, d, "nope"), -ENOENT);
    assert_int_equal(meta_rmdir(m, 1, "nope"), -ENOENT);
    assert_int_equal(meta_unlink(m, d, "f"), 0);
    assert_int_equal(meta_getattr(m, f, &a), -ENOENT);
    assert_int_equal(meta_lookup(m, d, "f", &a), -ENOENT);
    assert_int_equal(meta_rmdir(m, 1, "d"), 0);
    assert_int_equal(meta_getattr(m, d, &a), -ENOENT);
    assert_int_equal(nlink_of(m, 1), 2);
}

static void test_nlink_and_links(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    struct dfs_attr a, before;
    uint64_t d = mkdir_ok(m, 1, "d");
    assert_int_equal(nlink_of(m, 1), 3);
    assert_int_equal(nlink_of(m, d), 2);
    uint64_t e = mkdir_ok(m, d, "e");
    mkdir_ok(m, d, "e2");
    assert_int_equal(nlink_of(m, d), 4);
    mkfile_ok(m, d, "file"); /* files do not count */
    assert_int_equal(nlink_of(m, d), 4);
    assert_int_equal(meta_rmdir(m, d, "e2"), 0);
    assert_int_equal(nlink_of(m, d), 3);
    (void)e;

    uint64_t f = mkfile_ok(m, 1, "f");
    assert_int_equal(meta_getattr(m, 1, &before), 0);
    assert_int_equal(meta_link(m, f, d, "g", &a), 0);
    assert_int_equal(a.ino, f);
    assert_int_equal(a.nlink, 2);
    assert_int_equal(ino_of(m, d, "g"), f);
    assert_int_equal(meta_link(m, f, d, "g", &a), -EEXIST);
    assert_int_equal(meta_link(m, d, 1, "dlink", &a), -EPERM);
    assert_int_equal(meta_link(m, 777, 1, "x", &a), -ENOENT);
    assert_int_equal(meta_unlink(m, 1, "f"), 0);
    assert_int_equal(nlink_of(m, f), 1);
    /* The parent's times move with its entries. */
    assert_int_equal(meta_getattr(m, 1, &a), 0);
    assert_true(a.mtime_ns >= before.mtime_ns);
    assert_true(a.ctime_ns >= before.ctime_ns);
    assert_int_equal(meta_unlink(m, d, "g"), 0);
    assert_int_equal(meta_getattr(m, f, &a), -ENOENT);
}

static void test_rename_replace(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    struct dfs_attr a;
    uint64_t f1 = mkfile_ok(m, 1, "f1");
    uint64_t f2 = mkfile_ok(m, 1, "f2");
    uint64_t d1 = mkdir_ok(m, 1, "d1");
    uint64_t d2 = mkdir_ok(m, 1, "d2");
    uint64_t full = mkdir_ok(m, 1, "full");
    mkfile_ok(m, full, "x");
    assert_int_equal(nlink_of(m, 1), 5);

    /* file over file: the old target is gone */
    assert_int_equal(meta_rename(m, 1, "f1", 1, "f2", 0), 0);
    assert_int_equal(ino_of(m, 1, "f2"), f1);
    assert_int_equal(meta_lookup(m, 1, "f1", &a), -ENOENT);
    assert_int_equal(meta_getattr(m, f2, &a), -ENOENT);
    /* kinds must match */
    assert_int_equal(meta_rename(m, 1, "f2", 1, "d1", 0), -EISDIR);
    assert_int_equal(meta_rename(m, 1, "d1", 1, "f2", 0), -ENOTDIR);
    assert_int_equal(meta_rename(m, 1, "d1", 1, "full", 0), -ENOTEMPTY);
    /* dir over empty dir */
    assert_int_equal(meta_rename(m, 1, "d1", 1, "d2", 0), 0);
    assert_int_equal(ino_of(m, 1, "d2"), d1);
    assert_int_equal(meta_getattr(m, d2, &a), -ENOENT);
    assert_int_equal(nlink_of(m, 1), 4);
    /* missing source */
    assert_int_equal(meta_rename(m, 1, "nope", 1, "x", 0), -ENOENT);
    assert_int_equal(meta_rename(m, 1, "f2", 999, "x", 0), -ENOENT);
    /* same name: nothing happens */
    assert_int_equal(meta_rename(m, 1, "f2", 1, "f2", 0), 0);
    assert_int_equal(ino_of(m, 1, "f2"), f1);
}

static void test_rename_dirs(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    uint64_t a = mkdir_ok(m, 1, "a");
    uint64_t b = mkdir_ok(m, a, "b");
    uint64_t c = mkdir_ok(m, b, "c");
    uint64_t other = mkdir_ok(m, 1, "other");
    assert_int_equal(meta_rename(m, 1, "a", c, "a", 0), -EINVAL);
    assert_int_equal(meta_rename(m, 1, "a", b, "z", 0), -EINVAL);
    assert_int_equal(meta_rename(m, 1, "a", a, "z", 0), -EINVAL);
    assert_int_equal(meta_rename(m, a, "b", 1, "a", 0), -ENOTEMPTY);
    /* moving b from a to other moves its ".." link */
    assert_int_equal(nlink_of(m, a), 3);
    assert_int_equal(meta_rename(m, a, "b", other, "bb", 0), 0);
    assert_int_equal(nlink_of(m, a), 2);
    assert_int_equal(nlink_of(m, other), 3);
    assert_int_equal(ino_of(m, other, "bb"), b);
    assert_int_equal(ino_of(m, b, "c"), c);
    assert_int_equal(meta_rename(m, 1, "a", 1, "bad/name", 0), -EINVAL);
    assert_int_equal(meta_rename(m, 1, "a", 1, "x", 4), -EINVAL);
}

static void test_rename_flags(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    uint64_t f = mkfile_ok(m, 1, "f");
    uint64_t g = mkfile_ok(m, 1, "g");
    uint64_t d = mkdir_ok(m, 1, "d");
    uint64_t sub = mkdir_ok(m, d, "sub");
    assert_int_equal(meta_rename(m, 1, "f", 1, "g", RENAME_NOREPLACE), -EEXIST);
    assert_int_equal(meta_rename(m, 1, "f", 1, "h", RENAME_NOREPLACE), 0);
    assert_int_equal(ino_of(m, 1, "h"), f);
    assert_int_equal(meta_rename(m, 1, "h", 1, "g", RENAME_EXCHANGE), 0);
    assert_int_equal(ino_of(m, 1, "h"), g);
    assert_int_equal(ino_of(m, 1, "g"), f);
    assert_int_equal(meta_rename(m, 1, "h", 1, "none", RENAME_EXCHANGE),
                     -ENOENT);
    /* exchange a file in / with a dir in d: the dir's link moves to / */
    assert_int_equal(nlink_of(m, 1), 3);
    assert_int_equal(meta_rename(m, 1, "g", d, "sub", RENAME_EXCHANGE), 0);
    assert_int_equal(ino_of(m, 1, "g"), sub);
    assert_int_equal(ino_of(m, d, "sub"), f);
    assert_int_equal(nlink_of(m, 1), 4);
    assert_int_equal(nlink_of(m, d), 2);
    /* exchanging a dir into its own subtree */
    assert_int_equal(meta_rename(m, 1, "d", d, "sub", RENAME_EXCHANGE),
                     -EINVAL);
    assert_int_equal(
        meta_rename(m, 1, "g", 1, "h", RENAME_EXCHANGE | RENAME_NOREPLACE),
        -EINVAL);
}

static void test_readdir_paging(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    struct dfs_dirent *ents;
    size_t n;
    bool eof;
    char name[16];
    uint64_t d = mkdir_ok(m, 1, "d");
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        mkfile_ok(m, d, name);
    }
    assert_int_equal(meta_readdir(m, d, 0, 4, &ents, &n, &eof), 0);
    assert_int_equal(n, 4);
    assert_false(eof);
    assert_string_equal(ents[0].name, "n0");
    assert_string_equal(ents[3].name, "n3");
    assert_true(S_ISREG(ents[0].attr.mode));
    uint64_t cookie = ents[3].cookie;
    free(ents);
    /* Delete one already seen and one not yet seen, add one: the rest of
     * the listing continues without repeats. */
    assert_int_equal(meta_unlink(m, d, "n1"), 0);
    assert_int_equal(meta_unlink(m, d, "n5"), 0);
    assert_int_equal(meta_unlink(m, d, "n3"), 0);
    mkfile_ok(m, d, "late");
    assert_int_equal(meta_readdir(m, d, cookie, 4, &ents, &n, &eof), 0);
    assert_int_equal(n, 4);
    assert_false(eof);
    assert_string_equal(ents[0].name, "n4");
    assert_string_equal(ents[1].name, "n6");
    assert_string_equal(ents[3].name, "n8");
    cookie = ents[3].cookie;
    free(ents);
    assert_int_equal(meta_readdir(m, d, cookie, 4, &ents, &n, &eof), 0);
    assert_int_equal(n, 2);
    assert_true(eof);
    assert_string_equal(ents[0].name, "n9");
    assert_string_equal(ents[1].name, "late");
    free(ents);
    /* exactly the remaining count: eof without an empty extra page */
    assert_int_equal(meta_readdir(m, d, cookie, 2, &ents, &n, &eof), 0);
    assert_true(eof);
    free(ents);
    uint64_t f = ino_of(m, d, "n0");
    assert_int_equal(meta_readdir(m, f, 0, 4, &ents, &n, &eof), -ENOTDIR);
    assert_int_equal(meta_readdir(m, 555, 0, 4, &ents, &n, &eof), -ENOENT);
    assert_int_equal(meta_readdir(m, 1, 0, 0, &ents, &n, &eof), 0);
    assert_int_equal(n, 1); /* limit 0 = server maximum */
    free(ents);
}

static void test_setattr(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    struct dfs_attr a, before;
    uint64_t f = mkfile_ok(m, 1, "f");
    uint64_t d = mkdir_ok(m, 1, "d");
    assert_int_equal(meta_getattr(m, f, &before), 0);
    struct dfs_setattr s = {.set = DFS_SET_MODE | DFS_SET_UID | DFS_SET_GID |
                                    DFS_SET_ATIME | DFS_SET_MTIME,
                             .mode = S_IFDIR | 04711,
                             .uid = 7,
                             .gid = 8,
                             .atime_ns = 123,
                             .mtime_ns = 456};
    assert_int_equal(meta_setattr(m, f, &s, &a), 0);
    assert_int_equal(a.mode, S_IFREG | 04711);
    assert_int_equal(a.uid, 7);
    assert_int_equal(a.gid, 8);
    assert_int_equal(a.atime_ns, 123);
    assert_int_equal(a.mtime_ns, 456);
    assert_true(a.ctime_ns >= before.ctime_ns);
    struct dfs_setattr now = {.set = DFS_SET_MTIME_NOW | DFS_SET_ATIME_NOW};
    assert_int_equal(meta_setattr(m, f, &now, &a), 0);
    assert_true(a.mtime_ns > 456 && a.atime_ns > 123);
    struct dfs_setattr sz = {.set = DFS_SET_SIZE, .size = 10};
    assert_int_equal(meta_setattr(m, d, &sz, &a), -EISDIR);
    assert_int_equal(meta_setattr(m, 999, &sz, &a), -ENOENT);
    assert_int_equal(meta_getattr(m, f, &a), 0);
    assert_int_equal(a.mode, S_IFREG | 04711);
}

static struct dfs_chunk_ref ref(uint64_t index, char fill, uint32_t len,
                                const char *node)
{
    struct dfs_chunk_ref r;
    memset(&r, 0, sizeof(r));
    r.index = index;
    memset(r.id, fill, CHUNK_ID_HEX);
    r.len = len;
    if (node) {
        snprintf(r.nodes[0], sizeof(r.nodes[0]), "%s", node);
        r.nnodes = 1;
    }
    return r;
}

static size_t chunk_count(struct meta *m, uint64_t ino, uint64_t *size)
{
    struct dfs_chunk_map map;
    assert_int_equal(meta_chunks(m, ino, &map), 0);
    size_t n = map.nchunks;
    *size = map.size;
    assert_int_equal(map.chunk_size, CS);
    meta_chunk_map_free(&map);
    return n;
}

static void test_commit_truncate(void **state)
{
    struct meta *m = ((struct fixture *)*state)->m;
    struct dfs_attr a;
    struct dfs_chunk_map map;
    uint64_t size;
    uint64_t f = mkfile_ok(m, 1, "f");
    uint64_t d = mkdir_ok(m, 1, "d");
    struct dfs_chunk_ref refs[3] = {
        ref(0, 'a', CS, "n1"), ref(1, 'b', CS, NULL), ref(2, 'c', 500, NULL)};
    assert_int_equal(meta_commit(m, f, 2500, refs, 3, &a), 0);
    assert_int_equal(a.size, 2500);
    assert_int_equal(chunk_count(m, f, &size), 3);
    assert_int_equal(size, 2500);
    /* entries past the size or over the chunk size are refused whole */
    struct dfs_chunk_ref past = ref(3, 'd', 10, NULL);
    assert_int_equal(meta_commit(m, f, 3000, &past, 1, &a), -EINVAL);
    struct dfs_chunk_ref big = ref(0, 'd', CS + 1, NULL);
    assert_int_equal(meta_commit(m, f, 3000, &big, 1, &a), -EINVAL);
    struct dfs_chunk_ref badid = ref(0, 'G', 10, NULL);
    assert_int_equal(meta_commit(m, f, 3000, &badid, 1, &a), -EINVAL);
    assert_int_equal(chunk_count(m, f, &size), 3);
    assert_int_equal(size, 2500);
    /* replace one index, keep the others */
    struct dfs_chunk_ref swap = ref(1, 'e', CS, NULL);
    assert_int_equal(meta_commit(m, f, 2500, &swap, 1, &a), 0);
    assert_int_equal(meta_chunks(m, f, &map), 0);
    assert_int_equal(map.chunks[1].id[0], 'e');
    assert_int_equal(map.chunks[2].len, 500);
    meta_chunk_map_free(&map);
    /* truncate: chunks wholly past the size go */
    struct dfs_setattr s = {.set = DFS_SET_SIZE, .size = 1001};
    assert_int_equal(meta_setattr(m, f, &s, &a), 0);
    assert_int_equal(chunk_count(m, f, &size), 2);
    s.size = 1000;
    assert_int_equal(meta_setattr(m, f, &s, &a), 0);
    assert_int_equal(chunk_count(m, f, &size), 1);
    /* commit of a smaller size drops the tail too */
    assert_int_equal(meta_commit(m, f, 0, NULL, 0, &a), 0);
    assert_int_equal(chunk_count(m, f, &size), 0);
    assert_int_equal(size, 0);
    /* growing leaves a hole */
    struct dfs_chunk_ref far = ref(5, 'f', 10, NULL);
    assert_int_equal(meta_commit(m, f, 5010, &far, 1, &a), 0);
    assert_int_equal(meta_chunks(m, f, &map), 0);
    assert_int_equal(map.nchunks, 1);
    assert_int_equal(map.chunks[0].index, 5);
    meta_chunk_map_free(&map);
    assert_int_equal(meta_chunks(m, d, &map), -EISDIR);
    assert_int_equal(meta_commit(m, d, 0, NULL, 0, &a), -EISDIR);
    assert_int_equal(meta_chunks(m, 4040, &map), -ENOENT);
    /* unlinking the file drops its chunk map */
    struct meta_counts c;
    assert_int_equal(meta_counts(m, &c), 0);
    assert_int_equal(c.chunks, 1);
    assert_int_equal(meta_unlink(m, 1, "f"), 0);
    assert_int_equal(meta_counts(m, &c), 0);
    assert_int_equal(c.chunks, 0);
}

static void heartbeat(struct meta *m, const char *id, const char *addr,
                      uint64_t free_bytes)
{
    struct dfs_node n;
    memset(&n, 0, sizeof(n));
    snprintf(n.id, sizeof(n.id), "%s", id);
    snprintf(n.addr, sizeof(n.addr), "%s", addr);
    n.capacity = 1000000;
    n.free = free_bytes;
    assert_int_equal(meta_node_heartbeat(m, &n), 0);
}

static void test_chunk_map_liveness(void **state)
{
    struct fixture *f = *state;
    struct meta *m = f->m;
    struct dfs_attr a;
    struct dfs_chunk_map map;
    heartbeat(m, "na", "127.0.0.1:9501", 100);
    heartbeat(m, "nb", "127.0.0.1:9502", 200000);
    heartbeat(m, "nc", "127.0.0.1:9503", 300000);
    uint64_t file = mkfile_ok(m, 1, "f");
    struct dfs_chunk_ref r = ref(0, '7', 100, NULL);
    r.nnodes = 3;
    strcpy(r.nodes[0], "na");
    strcpy(r.nodes[1], "nb");
    strcpy(r.nodes[2], "nc");
    assert_int_equal(meta_commit(m, file, 100, &r, 1, &a), 0);
    assert_int_equal(meta_chunks(m, file, &map), 0);
    assert_int_equal(map.chunks[0].nreplicas, 3);
    meta_chunk_map_free(&map);

    /* na goes silent: only nb and nc are offered, in placement order */
    f->now_ms += DEAD_MS / 2;
    heartbeat(m, "nb", "127.0.0.1:9502", 200000);
    heartbeat(m, "nc", "127.0.0.1:9503", 300000);
    f->now_ms += DEAD_MS / 2;
    assert_int_equal(meta_chunks(m, file, &map), 0);
    assert_int_equal(map.chunks[0].nreplicas, 2);
    struct placement_node pn[2] = {{"nb", "", 200000}, {"nc", "", 300000}};
    const char *addrs[2] = {"127.0.0.1:9502", "127.0.0.1:9503"};
    size_t order[2];
    placement_rank(map.chunks[0].id, pn, 2, 2, order);
    assert_string_equal(map.chunks[0].replicas[0], addrs[order[0]]);
    assert_string_equal(map.chunks[0].replicas[1], addrs[order[1]]);
    meta_chunk_map_free(&map);

    /* the status count sees the missing copy */
    struct meta_counts c;
    assert_int_equal(meta_counts(m, &c), 0);
    assert_int_equal(c.under_replicated, 0); /* replication 2, 2 alive */
    f->now_ms += DEAD_MS;
    heartbeat(m, "nb", "127.0.0.1:9502", 200000);
    assert_int_equal(meta_counts(m, &c), 0);
    assert_int_equal(c.chunks, 1);
    assert_int_equal(c.under_replicated, 1);

    /* a report replaces what nb holds */
    char ids[1][CHUNK_ID_STRLEN];
    memset(ids[0], '8', CHUNK_ID_HEX);
    ids[0][CHUNK_ID_HEX] = '\0';
    assert_int_equal(
        meta_node_report(m, "nb", (const char(*)[CHUNK_ID_STRLEN])ids, 1), 0);
    assert_int_equal(meta_chunks(m, file, &map), 0);
    assert_int_equal(map.chunks[0].nreplicas, 0);
    meta_chunk_map_free(&map);
    memset(ids[0], 'X', CHUNK_ID_HEX);
    assert_int_equal(
        meta_node_report(m, "nb", (const char(*)[CHUNK_ID_STRLEN])ids, 1),
        -EINVAL);
}

static void test_node_liveness(void **state)
{
    struct fixture *f = *state;
    struct meta *m = f->m;
    struct dfs_node *nodes, bad;
    size_t n;
    struct meta_statfs s;
    heartbeat(m, "node-1", "127.0.0.1:9501", 600000);
    heartbeat(m, "node_2", "[::1]:9502", 300000);
    assert_int_equal(meta_nodes(m, false, &nodes, &n), 0);
    assert_int_equal(n, 2);
    assert_true(nodes[0].alive);
    assert_string_equal(nodes[1].addr, "[::1]:9502");
    free(nodes);
    assert_int_equal(meta_statfs(m, &s), 0);
    assert_int_equal(s.total, 2000000 / 2);
    assert_int_equal(s.avail, 900000 / 2);
    assert_int_equal(s.files, 1);

    f->now_ms += DEAD_MS - 1;
    heartbeat(m, "node_2", "[::1]:9502", 300000);
    assert_int_equal(meta_nodes(m, false, &nodes, &n), 0);
    assert_int_equal(n, 2);
    free(nodes);
    f->now_ms += 1;
    assert_int_equal(meta_nodes_sweep(m), 0);
    assert_int_equal(meta_nodes(m, false, &nodes, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(nodes[0].id, "node_2");
    free(nodes);
    assert_int_equal(meta_nodes(m, true, &nodes, &n), 0);
    assert_int_equal(n, 2);
    assert_false(nodes[0].alive);
    assert_true(nodes[1].alive);
    free(nodes);
    assert_int_equal(meta_statfs(m, &s), 0);
    assert_int_equal(s.avail, 300000 / 2);
    /* back again */
    heartbeat(m, "node-1", "127.0.0.1:9501", 600000);
    assert_int_equal(meta_nodes(m, false, &nodes, &n), 0);
    assert_int_equal(n, 2);
    free(nodes);

    memset(&bad, 0, sizeof(bad));
    strcpy(bad.id, "bad id");
    strcpy(bad.addr, "127.0.0.1:1");
    assert_int_equal(meta_node_heartbeat(m, &bad), -EINVAL);
    strcpy(bad.id, "ok");
    strcpy(bad.addr, "no-port");
    assert_int_equal(meta_node_heartbeat(m, &bad), -EINVAL);
    assert_false(meta_node_id_valid(""));
    assert_true(meta_node_id_valid("0123456789abcdef0123456789abcdef"));
}

static void test_node_drain(void **state)
{
    struct fixture *f = *state;
    struct meta *m = f->m;
    struct dfs_node n, *nodes;
    struct meta_statfs s;
    size_t count;
    heartbeat(m, "abcd-1", "127.0.0.1:9501", 600000);
    heartbeat(m, "abcd-2", "127.0.0.1:9502", 300000);
    heartbeat(m, "efgh-3", "127.0.0.1:9503", 100000);

    assert_int_equal(meta_node_drain(m, "abcd-2", true, &n), 0); /* an id */
    assert_string_equal(n.id, "abcd-2");
    assert_true(n.draining);
    assert_int_equal(meta_node_drain(m, "efgh", true, &n), 0); /* a prefix */
    assert_string_equal(n.id, "efgh-3");
    assert_int_equal(meta_node_drain(m, "127.0.0.1:9501", true, &n), 0);
    assert_string_equal(n.id, "abcd-1");
    assert_int_equal(meta_node_drain(m, "abcd", true, &n), -EINVAL); /* 2 */
    assert_int_equal(meta_node_drain(m, "efg", true, &n), -ENOENT); /* <4 */
    assert_int_equal(meta_node_drain(m, "nobody", true, &n), -ENOENT);
    assert_int_equal(meta_node_drain(m, "", true, &n), -ENOENT);

    assert_int_equal(meta_node_drain(m, "abcd-1", false, &n), 0);
    assert_int_equal(meta_node_drain(m, "efgh-3", false, &n), 0);
    assert_int_equal(meta_nodes(m, false, &nodes, &count), 0);
    assert_int_equal(count, 3);
    assert_false(nodes[0].draining);
    assert_true(nodes[1].draining); /* abcd-2, sorted by id */
    assert_false(nodes[2].draining);
    free(nodes);
    /* a draining node's space is not the file system's any more */
    assert_int_equal(meta_statfs(m, &s), 0);
    assert_int_equal(s.avail, (600000 + 100000) / 2);
}

/* A reserved number of `ino` for name, at time t. */
static int mknod_reserved(struct meta *m, const char *name, uint64_t ino,
                          int64_t t, struct dfs_attr *a)
{
    struct meta_new_inode n = {.name = name,
                               .mode = S_IFREG | 0600,
                               .uid = 7,
                               .gid = 8,
                               .ino = ino,
                               .time_ns = t};
    return meta_mknod(m, 1, &n, a);
}

static void test_ino_reserve(void **state)
{
    struct fixture *f = *state;
    struct dfs_attr a;
    uint64_t first, second, own;

    assert_int_equal(meta_ino_reserve(f->m, 0, &first), -EINVAL);
    assert_int_equal(meta_ino_reserve(f->m, META_INO_RESERVE_MAX + 1, &first),
                     -EINVAL);
    assert_int_equal(meta_ino_reserve(f->m, 4, &first), 0);
    assert_true(first > 1);
    /* The master's own creates never take a reserved number. */
    own = mkfile_ok(f->m, 1, "own");
    assert_true(own > first + 3);
    /* Used with the client's times; a lower unused number goes with it. */
    assert_int_equal(mknod_reserved(f->m, "a", first + 1, 123456789, &a), 0);
    assert_int_equal(a.ino, first + 1);
    assert_int_equal(a.mtime_ns, 123456789);
    assert_int_equal(a.ctime_ns, 123456789);
    assert_int_equal(a.uid, 7);
    assert_int_equal(mknod_reserved(f->m, "b", first, 0, &a), -EINVAL);
    assert_int_equal(meta_lookup(f->m, 1, "b", &a), -ENOENT);
    /* Sent again (the reply was lost): the same answer. */
    assert_int_equal(mknod_reserved(f->m, "a", first + 1, 123456789, &a), 0);
    assert_int_equal(a.ino, first + 1);
    /* The same number under another name, or a name someone else has. */
    assert_int_equal(mknod_reserved(f->m, "c", first + 1, 0, &a), -EINVAL);
    assert_int_equal(mknod_reserved(f->m, "own", first + 2, 0, &a), -EEXIST);
    /* Numbers never reserved, or past the range's end. */
    assert_int_equal(mknod_reserved(f->m, "d", own, 0, &a), -EINVAL);
    assert_int_equal(mknod_reserved(f->m, "d", first + 4, 0, &a), -EINVAL);
    assert_int_equal(mknod_reserved(f->m, "d", 1, 0, &a), -EINVAL);
    /* Ranges survive a restart; a released one takes no more creates. */
    assert_int_equal(meta_ino_reserve(f->m, 2, &second), 0);
    assert_true(second > own);
    meta_close(f->m);
    assert_int_equal(open_meta(f, CS), 0);
    assert_int_equal(mknod_reserved(f->m, "e", first + 2, 0, &a), 0);
    assert_int_equal(meta_ino_release(f->m, second), 0);
    assert_int_equal(mknod_reserved(f->m, "f", second, 0, &a), -EINVAL);
    /* The last number of a range ends it. */
    assert_int_equal(mknod_reserved(f->m, "g", first + 3, 0, &a), 0);
    assert_int_equal(mknod_reserved(f->m, "h", first + 3, 0, &a), -EINVAL);
    assert_true(mkfile_ok(f->m, 1, "own2") > second + 1);
}

/* A batch commits its changes together; one that fails is undone alone. */
static void test_batch(void **state)
{
    struct fixture *f = *state;
    struct dfs_attr a;
    uint64_t file, dir;

    assert_int_equal(meta_batch_end(f->m), -EINVAL); /* none begun */
    assert_int_equal(meta_batch_begin(f->m), 0);
    assert_int_equal(meta_batch_begin(f->m), -EINVAL); /* no nesting */
    file = mkfile_ok(f->m, 1, "a");
    assert_int_equal(mknod_mode(f->m, 1, "a", S_IFREG | 0644, &a), -EEXIST);
    dir = mkdir_ok(f->m, 1, "d");
    assert_int_equal(meta_rename(f->m, 1, "missing", 1, "b", 0),
                     -ENOENT);
    assert_int_equal(meta_lookup(f->m, 1, "a", &a), 0); /* seen inside */
    assert_int_equal(meta_batch_end(f->m), 0);
    /* committed: there after the store is closed and opened again */
    meta_close(f->m);
    f->m = NULL;
    assert_int_equal(open_meta(f, CS), 0);
    assert_int_equal(ino_of(f->m, 1, "a"), file);
    assert_int_equal(ino_of(f->m, 1, "d"), dir);
    assert_int_equal(meta_lookup(f->m, 1, "b", &a), -ENOENT);
    assert_int_equal(nlink_of(f->m, 1), 3);
    /* and changes outside a batch are their own transactions again */
    mkfile_ok(f->m, dir, "after");
    assert_int_equal(meta_batch_end(f->m), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nlink_and_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readdir_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setattr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_truncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunk_map_liveness, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_node_liveness, setup, teardown),
        cmocka_unit_test_setup_teardown(test_node_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ino_reserve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
