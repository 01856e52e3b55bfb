/*
 * test_chunk_file.c - chunk_file_read against real files in a temporary
 * directory.
 *
 * What matters: the bytes are the file's whether or not the page cache
 * holds them (all, none, some, or dirty), for sizes that are not whole
 * disk blocks too; a file shorter than its announced size is an error;
 * and a chunk the page cache does not hold stays out of it after the
 * read (it is not cached twice).  Residency is measured independently of
 * the code under test, with mincore(2) on a mapping of the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chunk_file.h"

#define PAGE 4096

struct fixture {
    char dir[64];
    char path[PATH_MAX];
    unsigned char *bytes;
    size_t len;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/var/tmp/test_chunk_file.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/chunk", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f->bytes);
    free(f);
    return 0;
}

/* A file of len pseudo-random bytes, written through the page cache;
 * clean and evicted from the cache when `evict`. */
static void make_file(struct fixture *f, size_t len, bool evict)
{
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    free(f->bytes);
    f->bytes = malloc(len ? len : 1);
    assert_non_null(f->bytes);
    srandom((unsigned)len);
    for (size_t i = 0; i < len; i++)
        f->bytes[i] = (unsigned char)random();
    f->len = len;
    assert_int_equal(write(fd, f->bytes, len), (ssize_t)len);
    if (evict) {
        assert_int_equal(fdatasync(fd), 0);
        assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    }
    close(fd);
}

/* Pages of the file in the page cache, by mincore of a mapping. */
static size_t resident_pages(const struct fixture *f)
{
    size_t pages = (f->len + PAGE - 1) / PAGE, n = 0;
    unsigned char *vec = malloc(pages);
    int fd = open(f->path, O_RDONLY);
    void *map;

    assert_true(fd >= 0);
    map = mmap(NULL, f->len, PROT_READ, MAP_SHARED, fd, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mincore(map, f->len, vec), 0);
    for (size_t i = 0; i < pages; i++)
        n += vec[i] & 1;
    munmap(map, f->len);
    close(fd);
    free(vec);
    return n;
}

/* Does this directory's file system take O_DIRECT? */
static bool direct_supported(const struct fixture *f)
{
    int fd = open(f->path, O_RDONLY | O_DIRECT);
    if (fd < 0) return false;
    close(fd);
    return true;
}

/* Read the fixture's file with chunk_file_read and compare. */
static void read_and_compare_as(struct fixture *f, bool direct)
{
    struct chunk_data *d = NULL;
    int fd = open(f->path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(chunk_file_read(fd, f->len, direct, &d), 0);
    close(fd);
    assert_int_equal(d->len, f->len);
    assert_memory_equal(d->data, f->bytes, f->len);
    chunk_data_put(d);
}

static void read_and_compare(struct fixture *f)
{
    read_and_compare_as(f, true);
}

/* 4 MiB less 1000 bytes: not whole disk blocks. */
#define ODD_CHUNK ((4u << 20) - 1000)

/* Can the kernel tell what is cached (cachestat(2), Linux 6.5; not
 * under valgrind)?  Without it every read goes through the page cache. */
static bool cachestat_supported(void)
{
    return syscall(451, -1, NULL, NULL, 0) == -1 && errno != ENOSYS;
}

static void test_uncached_not_cached_twice(void **state)
{
    struct fixture *f = *state;
    size_t before;

    make_file(f, ODD_CHUNK, true);
    if (!direct_supported(f) || !cachestat_supported()) skip();
    /* the kernel may keep a few pages it could not drop yet */
    before = resident_pages(f);
    assert_true(before < 64);
    read_and_compare(f);
    assert_true(resident_pages(f) <= before);
}

/* direct_reads=false: through the page cache, which then holds it. */
static void test_direct_not_allowed(void **state)
{
    struct fixture *f = *state;

    make_file(f, ODD_CHUNK, true);
    read_and_compare_as(f, false);
    assert_int_equal(resident_pages(f), (ODD_CHUNK + PAGE - 1) / PAGE);
}

static void test_cached_file(void **state)
{
    struct fixture *f = *state;

    make_file(f, ODD_CHUNK, false); /* dirty in the page cache */
    read_and_compare(f);
    int fd = open(f->path, O_RDONLY);
    assert_int_equal(fdatasync(fd), 0);
    close(fd);
    read_and_compare(f); /* clean in the page cache */
}

static void test_partly_cached_and_dirty(void **state)
{
    struct fixture *f = *state;
    int fd;

    make_file(f, 2u << 20, true);
    /* change a page's bytes in the page cache only (dirty), and cache
     * another clean: the file is partly cached, and a direct read must
     * still see the dirty bytes */
    fd = open(f->path, O_RDWR);
    assert_true(fd >= 0);
    memset(f->bytes + 5 * PAGE + 17, 0xA5, 100);
    assert_int_equal(pwrite(fd, f->bytes + 5 * PAGE + 17, 100, 5 * PAGE + 17),
                     100);
    unsigned char page[PAGE];
    assert_int_equal(pread(fd, page, PAGE, 300 * PAGE), PAGE);
    close(fd);
    read_and_compare(f);
}

static void test_small_file(void **state)
{
    struct fixture *f = *state;

    make_file(f, 5000, true);
    read_and_compare(f);
    make_file(f, 0, true);
    read_and_compare(f);
}

static void test_shorter_than_announced(void **state)
{
    struct fixture *f = *state;
    struct chunk_data *d = NULL;

    make_file(f, 2u << 20, true);
    int fd = open(f->path, O_RDONLY);
    assert_int_equal(chunk_file_read(fd, (2u << 20) + 5, true, &d), -EBADMSG);
    assert_int_equal(chunk_file_read(fd, 100, true, &d), 0); /* first bytes */
    assert_memory_equal(d->data, f->bytes, 100);
    chunk_data_put(d);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uncached_not_cached_twice, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_direct_not_allowed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_cached_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partly_cached_and_dirty, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_small_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shorter_than_announced, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
