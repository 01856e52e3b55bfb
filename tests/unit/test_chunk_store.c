/*
 * test_chunk_store.c - chunkd's disk store (and its small helpers: the
 * Range parser, the node id file) against a real temporary directory.
 *
 * What matters most is what can never be seen on disk: a chunk under a
 * name its bytes do not hash to, a half-written file, or a path built
 * from a hostile id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "chunk_id.h"
#include "chunk_check.h"
#include "chunk_store.h"
#include "fsutil.h"
#include "http_range.h"
#include "node_id.h"

struct fixture {
    char dir[64];
    struct chunk_store *store;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];

    assert_non_null(f);
    strcpy(f->dir, "/tmp/test_chunk_store.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(chunk_store_open(f->dir, &f->store, err, sizeof(err)), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    chunk_store_close(f->store);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Entries in DIR/sub, not counting . and .. */
static int count_entries(const char *dir, const char *sub)
{
    char path[PATH_MAX];
    DIR *d;
    struct dirent *e;
    int n = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Entries in DIR/chunks/xx/ over the 256 directories: any file a put
 * left there, chunk or not. */
static int count_chunk_files(const char *dir)
{
    char sub[64];
    int n = 0;

    for (int i = 0; i < 256; i++) {
        snprintf(sub, sizeof(sub), "chunks/%02x", i);
        n += count_entries(dir, sub);
    }
    return n;
}

/* A small file at path (a stray that is not a chunk). */
static int fs_write_stub(const char *path)
{
    FILE *fp = fopen(path, "w");

    if (!fp) return -errno;
    fputs("stray\n", fp);
    return fclose(fp) == 0 ? 0 : -errno;
}

/* Deterministic test bytes: n bytes derived from seed. */
static char *make_bytes(unsigned seed, size_t n)
{
    char *b = malloc(n ? n : 1);

    assert_non_null(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)((i * 2654435761u + seed * 40503u) >> 13);
    return b;
}

static void put_ok(struct chunk_store *s, const void *data, size_t len,
                   char id[CHUNK_ID_STRLEN], bool expect_created)
{
    bool created = !expect_created;

    chunk_id_compute(data, len, id);
    assert_int_equal(chunk_store_put(s, id, data, len, false, &created), 0);
    assert_int_equal(created, expect_created);
}

/* chunks/ is marked the top of a hierarchy for ext4's allocator
 * (chunk_layout_spread), and a new chunk's inode is made in its own
 * directory: on ext4 it then sits in that directory's block group. */
static void test_chunks_spread(void **state)
{
    struct fixture *f = *state;
    char path[PATH_MAX], id[CHUNK_ID_STRLEN], *data = make_bytes(7, 4096);
    struct stat chunk, dir;
    int fd, flags;

    snprintf(path, sizeof(path), "%s/chunks", f->dir);
    fd = open(path, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0) { /* not ext4: no flags */
        close(fd);
        free(data);
        skip();
    }
    close(fd);
    assert_true(flags & FS_TOPDIR_FL);
    put_ok(f->store, data, 4096, id, true);
    snprintf(path, sizeof(path), "%s/chunks/%.2s/%s", f->dir, id, id);
    assert_int_equal(stat(path, &chunk), 0);
    snprintf(path, sizeof(path), "%s/chunks/%.2s", f->dir, id);
    assert_int_equal(stat(path, &dir), 0);
    /* Same flex group (16 groups of 8192 inodes by default): ext4 takes
     * a file's inode from its directory's when it can.  Directories the
     * flag spreads are millions of inodes apart on a large disk. */
    long gap = (long)chunk.st_ino - (long)dir.st_ino;
    assert_true(gap > -(1L << 18) && gap < (1L << 18));
    free(data);
}

/* Make chunk id's file look written `ago_s` seconds ago. */
static void age_chunk(struct fixture *f, const char *id, int ago_s)
{
    char path[PATH_MAX];
    struct timespec t[2];

    snprintf(path, sizeof(path), "%s/chunks/%.2s/%s", f->dir, id, id);
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec -= ago_s;
    t[1] = t[0];
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

/* Garbage is deleted only when nothing stored or put it again lately: a
 * put of a chunk already here is a writer about to refer to it. */
static void test_delete_unused(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN], *data = make_bytes(9, 5000);
    uint64_t size;

    put_ok(f->store, data, 5000, id, true);
    assert_int_equal(chunk_store_delete_unused(f->store, id, 60000), -EBUSY);
    age_chunk(f, id, 120);
    put_ok(f->store, data, 5000, id, false); /* put again: young again */
    assert_int_equal(chunk_store_delete_unused(f->store, id, 60000), -EBUSY);
    assert_int_equal(chunk_store_stat(f->store, id, &size), 0);
    age_chunk(f, id, 120);
    assert_int_equal(chunk_store_delete_unused(f->store, id, 60000), 0);
    assert_int_equal(chunk_store_stat(f->store, id, &size), -ENOENT);
    assert_int_equal(chunk_store_count(f->store), 0);
    assert_int_equal(chunk_store_delete_unused(f->store, id, 60000), -ENOENT);
    free(data);
}

static void test_put_read_back(void **state)
{
    struct fixture *f = *state;
    size_t len = 4u << 20;
    char *data = make_bytes(1, len), *back = malloc(len + 1);
    char id[CHUNK_ID_STRLEN], path[PATH_MAX], check[64];
    uint64_t size;
    int fd;

    put_ok(f->store, data, len, id, true);
    assert_int_equal(chunk_store_count(f->store), 1);
    assert_int_equal(chunk_store_stat(f->store, id, &size), 0);
    assert_int_equal(size, len);
    assert_int_equal(chunk_store_open_read(f->store, id, &fd, &size), 0);
    assert_int_equal(size, len);
    assert_int_equal(read(fd, back, len + 1), (ssize_t)len);
    close(fd);
    assert_memory_equal(back, data, len);
    /* the documented layout: chunks/ab/<id>, with its check beside it */
    snprintf(path, sizeof(path), "%s/chunks/%.2s/%s", f->dir, id, id);
    assert_int_equal(access(path, R_OK), 0);
    assert_int_equal(chunk_store_open_read(f->store, id, &fd, &size), 0);
    assert_int_equal(chunk_store_read_check(fd, check), 0);
    close(fd);
    assert_true(chunk_check_matches(check, data, len));
    assert_int_equal(count_entries(f->dir, "tmp"), 0);
    assert_int_equal(chunk_store_flush_pending(f->store), 0);
    free(data);
    free(back);
}

static void test_streamed_put_in_pieces(void **state)
{
    struct fixture *f = *state;
    size_t len = 1000003;
    char *data = make_bytes(2, len), id[CHUNK_ID_STRLEN];
    struct chunk_put *p;
    bool created = false;
    uint64_t size;

    chunk_id_compute(data, len, id);
    assert_int_equal(chunk_store_put_begin(f->store, id, &p), 0);
    for (size_t off = 0; off < len; off += 65536) {
        size_t n = len - off < 65536 ? len - off : 65536;
        assert_int_equal(chunk_store_put_write(p, data + off, n), 0);
    }
    /* nothing is visible until the commit */
    assert_int_equal(chunk_store_stat(f->store, id, &size), -ENOENT);
    assert_int_equal(chunk_store_put_commit(p, true, &created), 0);
    assert_true(created);
    assert_int_equal(chunk_store_stat(f->store, id, &size), 0);
    assert_int_equal(size, len);
    free(data);
}

static void test_wrong_hash_refused(void **state)
{
    struct fixture *f = *state;
    char *data = make_bytes(3, 5000), *other = make_bytes(4, 5000);
    char id[CHUNK_ID_STRLEN];
    bool created = true;
    uint64_t size;

    chunk_id_compute(data, 5000, id);
    assert_int_equal(chunk_store_put(f->store, id, other, 5000, true, &created),
                     -EBADMSG);
    assert_false(created);
    assert_int_equal(chunk_store_stat(f->store, id, &size), -ENOENT);
    assert_int_equal(chunk_store_count(f->store), 0);
    assert_int_equal(count_entries(f->dir, "tmp"), 0);
    /* one byte short is just as wrong */
    assert_int_equal(chunk_store_put(f->store, id, data, 4999, false, &created),
                     -EBADMSG);
    assert_int_equal(count_entries(f->dir, "tmp"), 0);
    assert_int_equal(count_chunk_files(f->dir), 0);
    free(data);
    free(other);
}

static void test_idempotent_reput(void **state)
{
    struct fixture *f = *state;
    char *data = make_bytes(5, 70000), *other = make_bytes(6, 70000);
    char id[CHUNK_ID_STRLEN];
    bool created = true;

    put_ok(f->store, data, 70000, id, true);
    put_ok(f->store, data, 70000, id, false);
    assert_int_equal(chunk_store_count(f->store), 1);
    /* an existing chunk still refuses a body that does not match */
    assert_int_equal(
        chunk_store_put(f->store, id, other, 70000, true, &created), -EBADMSG);
    /* and a sync re-put of an existing chunk works */
    assert_int_equal(chunk_store_put(f->store, id, data, 70000, true, &created),
                     0);
    assert_false(created);
    assert_int_equal(count_entries(f->dir, "tmp"), 0);
    free(data);
    free(other);
}

static void test_delete(void **state)
{
    struct fixture *f = *state;
    char *data = make_bytes(7, 123), id[CHUNK_ID_STRLEN];
    uint64_t size;
    int fd;

    put_ok(f->store, data, 123, id, true);
    assert_int_equal(chunk_store_delete(f->store, id), 0);
    assert_int_equal(chunk_store_count(f->store), 0);
    assert_int_equal(chunk_store_stat(f->store, id, &size), -ENOENT);
    assert_int_equal(chunk_store_open_read(f->store, id, &fd, &size), -ENOENT);
    assert_int_equal(chunk_store_delete(f->store, id), -ENOENT);
    assert_int_equal(chunk_store_count(f->store), 0);
    /* pending fsync of a deleted chunk is not an error */
    assert_int_equal(chunk_store_flush_pending(f->store), 0);
    /* and it can come back */
    put_ok(f->store, data, 123, id, true);
    free(data);
}

static void test_sync(void **state)
{
    struct fixture *f = *state;
    char *a = make_bytes(8, 100), *b = make_bytes(9, 100);
    char ida[CHUNK_ID_STRLEN], idb[CHUNK_ID_STRLEN];
    const char *ids[2] = {ida, idb};
    const char *bad[2] = {ida, "XYZ"};

    put_ok(f->store, a, 100, ida, true);
    chunk_id_compute(b, 100, idb); /* never stored: skipped */
    assert_int_equal(chunk_store_sync_ids(f->store, ids, 2), 0);
    assert_int_equal(chunk_store_sync_ids(f->store, bad, 2), -EINVAL);
    assert_int_equal(chunk_store_sync_ids(f->store, NULL, 0), 0);
    assert_int_equal(chunk_store_flush_pending(f->store), 0);
    assert_int_equal(chunk_store_flush_pending(f->store), 0);
    free(a);
    free(b);
}

static void test_leftovers_removed_at_open(void **state)
{
    struct fixture *f = *state;
    char *data = make_bytes(10, 4096), id[CHUNK_ID_STRLEN], path[PATH_MAX];
    char err[256];
    struct chunk_put *p;

    put_ok(f->store, data, 4096, id, true);
    /* an interrupted put, and junk from an older crash */
    assert_int_equal(chunk_store_put_begin(f->store, id + 0, &p), 0);
    chunk_store_put_abort(p);
    chunk_id_compute("x", 1, id);
    assert_int_equal(chunk_store_put_begin(f->store, id, &p), 0);
    assert_int_equal(chunk_store_put_write(p, "x", 1), 0);
    snprintf(path, sizeof(path), "%s/tmp/put.crashed", f->dir);
    assert_int_equal(fs_write_stub(path), 0);
    /* the put in progress is an unnamed file where O_TMPFILE works */
    assert_true(count_entries(f->dir, "tmp") >= 1);
    chunk_store_put_abort(p);

    chunk_store_close(f->store);
    assert_int_equal(chunk_store_open(f->dir, &f->store, err, sizeof(err)), 0);
    assert_int_equal(count_entries(f->dir, "tmp"), 0);
    assert_int_equal(chunk_store_count(f->store), 1);
    free(data);
}

struct id_set {
    char ids[64][CHUNK_ID_STRLEN];
    int n;
};

static int collect(const char *id, void *ctx)
{
    struct id_set *set = ctx;

    assert_true(set->n < 64);
    memcpy(set->ids[set->n++], id, CHUNK_ID_STRLEN);
    return 0;
}

static int stop_early(const char *id, void *ctx)
{
    (void)id;
    (*(int *)ctx)++;
    return 42;
}

static void test_list_count(void **state)
{
    struct fixture *f = *state;
    char want[20][CHUNK_ID_STRLEN], path[PATH_MAX], err[256];
    struct id_set got = {0};
    int calls = 0;

    for (int i = 0; i < 20; i++) {
        char *data = make_bytes(100 + (unsigned)i, 1000 + (size_t)i);
        put_ok(f->store, data, 1000 + (size_t)i, want[i], true);
        free(data);
    }
    /* strays that are not chunks must not be listed or counted */
    snprintf(path, sizeof(path), "%s/chunks/%.2s/notes.txt", f->dir,
             want[0]);
    assert_int_equal(fs_write_stub(path), 0);
    snprintf(path, sizeof(path), "%s/chunks/zz", f->dir);
    assert_int_equal(mkdir(path, 0755), 0);

    assert_int_equal(chunk_store_count(f->store), 20);
    assert_int_equal(chunk_store_list(f->store, collect, &got), 0);
    assert_int_equal(got.n, 20);
    for (int i = 0; i < 20; i++) {
        bool found = false;
        for (int j = 0; j < got.n; j++)
            found |= strcmp(want[i], got.ids[j]) == 0;
        assert_true(found);
    }
    assert_int_equal(chunk_store_list(f->store, stop_early, &calls), 42);
    assert_int_equal(calls, 1);

    chunk_store_close(f->store);
    assert_int_equal(chunk_store_open(f->dir, &f->store, err, sizeof(err)), 0);
    assert_int_equal(chunk_store_count(f->store), 20);
}

static void test_invalid_ids_refused(void **state)
{
    struct fixture *f = *state;
    char good[CHUNK_ID_STRLEN], upper[CHUNK_ID_STRLEN], short_id[64];
    char long_id[66], dots[CHUNK_ID_STRLEN], slash[CHUNK_ID_STRLEN];
    const char *bad[] = {upper, short_id, long_id, dots, slash, "", "../x"};
    struct chunk_put *p;
    bool created;
    uint64_t size;
    int fd;

    chunk_id_compute("abc", 3, good);
    memcpy(upper, good, sizeof(good));
    upper[5] = 'A';
    memcpy(short_id, good, 63);
    short_id[63] = '\0';
    snprintf(long_id, sizeof(long_id), "%s0", good);
    memcpy(dots, good, sizeof(good));
    memcpy(dots, "../", 3);
    memcpy(slash, good, sizeof(good));
    slash[4] = '/';
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            chunk_store_put(f->store, bad[i], "abc", 3, true, &created),
            -EINVAL);
        assert_int_equal(chunk_store_put_begin(f->store, bad[i], &p), -EINVAL);
        assert_int_equal(chunk_store_stat(f->store, bad[i], &size), -EINVAL);
        assert_int_equal(chunk_store_open_read(f->store, bad[i], &fd, &size),
                         -EINVAL);
        assert_int_equal(chunk_store_delete(f->store, bad[i]), -EINVAL);
        assert_int_equal(chunk_store_sync_ids(f->store, &bad[i], 1), -EINVAL);
    }
    assert_int_equal(chunk_store_put(f->store, NULL, "", 0, true, &created),
                     -EINVAL);
    assert_int_equal(count_chunk_files(f->dir), 0);
    assert_int_equal(count_entries(f->dir, "tmp"), 0);
}

static void test_empty_chunk(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN];
    uint64_t size = 1;

    put_ok(f->store, "", 0, id, true);
    assert_int_equal(chunk_store_stat(f->store, id, &size), 0);
    assert_int_equal(size, 0);
}

static void test_space(void **state)
{
    struct fixture *f = *state;
    uint64_t total, avail, cap, free_bytes;

    assert_int_equal(chunk_store_space(f->store, &total, &avail), 0);
    assert_true(total > 0 && avail <= total);
    assert_int_equal(
        chunk_store_space_advertised(f->store, 0, &cap, &free_bytes), 0);
    assert_int_equal(cap, total);
    assert_int_equal(
        chunk_store_space_advertised(f->store, 1000, &cap, &free_bytes), 0);
    assert_int_equal(cap, 1000);
    assert_true(free_bytes <= 1000);
}

/* ---- http_range ---- */

static void expect_range(const char *h, uint64_t size,
                         enum http_range_result want, uint64_t off,
                         uint64_t len)
{
    uint64_t o = 12345, l = 12345;

    assert_int_equal(http_range_parse(h, size, &o, &l), want);
    if (want == HTTP_RANGE_PARTIAL) {
        assert_int_equal(o, off);
        assert_int_equal(l, len);
    }
}

static void test_range(void **state)
{
    (void)state;
    expect_range(NULL, 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=0-9", 100, HTTP_RANGE_PARTIAL, 0, 10);
    expect_range("bytes=10-", 100, HTTP_RANGE_PARTIAL, 10, 90);
    expect_range("bytes=-10", 100, HTTP_RANGE_PARTIAL, 90, 10);
    expect_range("bytes=-1000", 100, HTTP_RANGE_PARTIAL, 0, 100);
    expect_range("bytes=50-1000", 100, HTTP_RANGE_PARTIAL, 50, 50);
    expect_range("bytes=99-99", 100, HTTP_RANGE_PARTIAL, 99, 1);
    expect_range("bytes=100-", 100, HTTP_RANGE_UNSATISFIABLE, 0, 0);
    expect_range("bytes=100-200", 100, HTTP_RANGE_UNSATISFIABLE, 0, 0);
    expect_range("bytes=-0", 100, HTTP_RANGE_UNSATISFIABLE, 0, 0);
    expect_range("bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0);
    expect_range("bytes=-5", 0, HTTP_RANGE_UNSATISFIABLE, 0, 0);
    /* ignored: malformed, reversed, several ranges, other units */
    expect_range("bytes=9-0", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=0-9,20-29", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("items=0-9", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=-", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=a-b", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=1-2x", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=--5", 100, HTTP_RANGE_WHOLE, 0, 0);
    /* overflow: 2^64 and beyond are not numbers */
    expect_range("bytes=18446744073709551616-", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=0-99999999999999999999999", 100, HTTP_RANGE_WHOLE, 0,
                 0);
    expect_range("bytes=-18446744073709551616", 100, HTTP_RANGE_WHOLE, 0, 0);
    expect_range("bytes=0-18446744073709551615", 100, HTTP_RANGE_PARTIAL, 0,
                 100);
    expect_range("bytes=18446744073709551615-", 100, HTTP_RANGE_UNSATISFIABLE,
                 0, 0);
}

/* ---- node_id ---- */

static void test_node_id(void **state)
{
    struct fixture *f = *state;
    char a[NODE_ID_STRLEN], b[NODE_ID_STRLEN], path[PATH_MAX], err[256];
    FILE *fp;

    assert_int_equal(node_id_load_or_create(f->dir, a, err, sizeof(err)), 0);
    assert_true(node_id_valid(a));
    assert_int_equal(node_id_load_or_create(f->dir, b, err, sizeof(err)), 0);
    assert_string_equal(a, b);
    snprintf(path, sizeof(path), "%s/node_id", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("NOT-AN-ID\n", fp);
    fclose(fp);
    assert_int_equal(node_id_load_or_create(f->dir, b, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "node_id"));
}

/* A store in the old two-level layout (chunks/ab/cd/<id>) opens with its
 * chunks moved to chunks/ab/<id>: all counted, listed and readable. */
static void test_old_layout_moved(void **state)
{
    struct fixture *f = *state;
    char ids[3][CHUNK_ID_STRLEN], path[PATH_MAX], err[256], check[64];
    uint64_t size;
    int fd;

    chunk_store_close(f->store);
    f->store = NULL;
    for (int i = 0; i < 3; i++) {
        char *data = make_bytes(300 + (unsigned)i, 5000);
        chunk_id_compute(data, 5000, ids[i]);
        snprintf(path, sizeof(path), "%s/chunks/%.2s/%.2s", f->dir, ids[i],
                 ids[i] + 2);
        assert_int_equal(fs_mkdir_p(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/chunks/%.2s/%.2s/%s", f->dir, ids[i],
                 ids[i] + 2, ids[i]);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, data, 5000), 5000);
        close(fd);
        free(data);
    }
    assert_int_equal(chunk_store_open(f->dir, &f->store, err, sizeof(err)), 0);
    assert_int_equal(chunk_store_count(f->store), 3);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/chunks/%.2s/%s", f->dir, ids[i],
                 ids[i]);
        assert_int_equal(access(path, R_OK), 0);
        snprintf(path, sizeof(path), "%s/chunks/%.2s/%.2s", f->dir, ids[i],
                 ids[i] + 2);
        assert_int_equal(access(path, F_OK), -1); /* old directory gone */
        assert_int_equal(chunk_store_open_read(f->store, ids[i], &fd, &size),
                         0);
        assert_int_equal(size, 5000);
        /* stored before checks were kept: readers fall back to the id */
        assert_int_equal(chunk_store_read_check(fd, check), -ENODATA);
        close(fd);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chunks_spread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_unused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streamed_put_in_pieces, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wrong_hash_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_reput, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftovers_removed_at_open, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_list_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_ids_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_empty_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_layout_moved, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_space, setup, teardown),
        cmocka_unit_test(test_range),
        cmocka_unit_test_setup_teardown(test_node_id, setup, teardown),
    };

    if (chunk_id_init() < 0) return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
