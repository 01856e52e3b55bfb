/*
 * chunk_file.c - a whole chunk file into a chunk buffer: pread() when the
 * page cache holds it, O_DIRECT when it does not.
 */
#include "chunk_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* O_DIRECT wants buffers, offsets and lengths in whole disk blocks. */
#define DIRECT_ALIGN 4096u

/* cachestat(2) (Linux 6.5), which libc may not wrap yet; its number is
 * the same on every architecture. */
#define SYS_CACHESTAT 451
struct cachestat_range_arg {
    uint64_t off, len;
};
struct cachestat_result {
    uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* Are all size bytes of the file in the page cache?  true when the kernel
 * cannot say, so the read is a plain one. */
static bool file_cached(int fd, size_t size)
{
    struct cachestat_range_arg r = {0, size};
    struct cachestat_result cs;
    size_t page = (size_t)sysconf(_SC_PAGESIZE); /* what nr_cache counts */

    if (syscall(SYS_CACHESTAT, fd, &r, &cs, 0) != 0) return true;
    return cs.nr_cache >= round_up(size, page) / page;
}

/* pread from offset 0 until `want` bytes or end of file, asking for up to
 * len: the count read, or -errno. */
static ssize_t pread_upto(int fd, unsigned char *buf, size_t want, size_t len)
{
    size_t got = 0;

    while (got < want) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* The read with O_DIRECT; -EINVAL when the file system or the buffer
 * does not allow it (d holds size rounded up to whole blocks: the
 * caller allocates it so).  The length asked for is rounded up to whole
 * blocks: the read stops at the end of the file anyway. */
static ssize_t pread_direct(int fd, struct chunk_data *d, size_t size)
{
    size_t len = round_up(size, DIRECT_ALIGN);
    int flags = fcntl(fd, F_GETFL);
    ssize_t n;

    if ((uintptr_t)d->data % DIRECT_ALIGN != 0) return -EINVAL;
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_DIRECT) < 0) return -EINVAL;
    n = pread_upto(fd, d->data, size, len);
    (void)fcntl(fd, F_SETFL, flags);
    return n;
}

int chunk_file_read(int fd, size_t size, bool direct, struct chunk_data **out)
{
    struct chunk_data *d = chunk_data_new_uninit(round_up(size, DIRECT_ALIGN));
    ssize_t n = -EINVAL;

    if (!d) return -ENOMEM;
    if (direct && size >= CHUNK_FILE_DIRECT_MIN && !file_cached(fd, size))
        n = pread_direct(fd, d, size);
    if (n == -EINVAL) n = pread_upto(fd, d->data, size, size);
    if (n < 0 || (size_t)n != size) {
        chunk_data_put(d);
        return n < 0 ? (int)n : -EBADMSG; /* shorter than it said */
    }
    d->len = size;
    *out = d;
    return 0;
}
