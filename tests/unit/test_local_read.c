/*
 * test_local_read.c - local reads end to end in one process: chunkd's
 * local_server over a real chunk store in a temporary directory, and
 * mount.dfs's local_read as the reader, talking over the real abstract
 * socket.
 *
 * What matters: a reader gets exactly the stored bytes; bytes that are
 * not the chunk never reach it; and neither side gives anything to, or
 * takes anything from, a peer that does not hold the cluster secret.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "chunk_id.h"
#include "chunk_layout.h"
#include "chunk_store.h"
#include "local_chunk.h"
#include "local_read.h"
#include "local_server.h"

#define CHUNK_MAX (4u << 20)

struct fixture {
    char dir[64];
    char addr[64];
    struct chunk_store *store;
    struct auth_keys keys;  /* the cluster's */
    struct auth_keys other; /* another cluster's */
    struct local_server *server;
    struct local_read *reader;
};

static void load_keys(const char *dir, const char *name, struct auth_keys *k)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(auth_secret_create(path, NULL, 0), 0);
    assert_int_equal(auth_keys_load(path, AUTH_ROLE_CLIENT, k, NULL, 0), 0);
}

static int setup(void **state)
{
    static int serial;
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];

    assert_non_null(f);
    assert_int_equal(chunk_id_init(), 0);
    strcpy(f->dir, "/tmp/test_local_read.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(chunk_store_open(f->dir, &f->store, err, sizeof(err)), 0);
    load_keys(f->dir, "secret", &f->keys);
    load_keys(f->dir, "other", &f->other);
    /* any text names a server; unique, so tests never meet each other */
    snprintf(f->addr, sizeof(f->addr), "test-%d-%d:1", (int)getpid(), serial++);
    f->server = local_server_start(f->addr, f->store, &f->keys);
    assert_non_null(f->server);
    f->reader = local_read_new(&f->keys, true);
    assert_non_null(f->reader);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    local_read_free(f->reader);
    local_server_stop(f->server);
    chunk_store_close(f->store);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Store len random bytes; their id into id. */
static unsigned char *store_random(struct fixture *f, size_t len,
                                   char id[CHUNK_ID_STRLEN])
{
    unsigned char *b = malloc(len);
    bool created;

    assert_non_null(b);
    randombytes_buf(b, len);
    chunk_id_compute(b, len, id);
    assert_int_equal(chunk_store_put(f->store, id, b, len, false, &created), 0);
    return b;
}

/* The fixture's reader asks its server for id, as a chunk at most
 * CHUNK_MAX long. */
static int fetch(struct fixture *f, const char *id, enum chunk_verify verify,
                 struct chunk_data **d)
{
    return local_read_fetch(f->reader, f->addr, id, CHUNK_MAX, verify, d);
}

static void test_reads_stored_chunk(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN];
    unsigned char *b = store_random(f, 300000, id);
    struct chunk_data *d;

    /* twice: the second goes over the same, kept connection */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fetch(f, id, CHUNK_VERIFY_FAST, &d), 0);
        assert_int_equal(d->len, 300000);
        assert_memory_equal(d->data, b, 300000);
        chunk_data_put(d);
    }
    assert_int_equal(fetch(f, id, CHUNK_VERIFY_STRICT, &d), 0);
    assert_memory_equal(d->data, b, 300000);
    chunk_data_put(d);
    free(b);
}

static void test_missing_chunk(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN];
    struct chunk_data *d;

    chunk_id_compute("never stored", 12, id);
    assert_int_equal(fetch(f, id, CHUNK_VERIFY_FAST, &d), -ENOENT);
    assert_null(d);
}

static void test_no_server_here(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN], addr[80];
    unsigned char *b = store_random(f, 1000, id);
    struct chunk_data *d;

    snprintf(addr, sizeof(addr), "%s-elsewhere", f->addr);
    assert_int_equal(
        local_read_fetch(f->reader, addr, id, CHUNK_MAX, CHUNK_VERIFY_FAST, &d),
        -ENOTCONN);
    free(b);
}

/* Flip one byte of the stored file; its stored check stays. */
static void damage(struct fixture *f, const char *id, off_t at)
{
    char chunks[PATH_MAX], path[PATH_MAX];
    unsigned char c;

    snprintf(chunks, sizeof(chunks), "%s/chunks", f->dir);
    chunk_layout_path(chunks, id, path);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, at), 1);
    c ^= 0x40;
    assert_int_equal(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

static void test_damaged_bytes_refused(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN];
    unsigned char *b = store_random(f, 200000, id);
    struct chunk_data *d;

    damage(f, id, 123456);
    assert_int_equal(fetch(f, id, CHUNK_VERIFY_FAST, &d), -EBADMSG);
    assert_null(d);
    assert_int_equal(fetch(f, id, CHUNK_VERIFY_STRICT, &d), -EBADMSG);
    free(b);
}

/* Write a chunk file's pages to disk and drop them from the page cache,
 * so the reader reads it with O_DIRECT (chunk_file.h). */
static void evict(struct fixture *f, const char *id)
{
    char chunks[PATH_MAX], path[PATH_MAX];

    snprintf(chunks, sizeof(chunks), "%s/chunks", f->dir);
    chunk_layout_path(chunks, id, path);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(fdatasync(fd), 0);
    assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
    close(fd);
}

/* A whole chunk, not in the page cache: the same bytes, and the same
 * refusal once damaged, as through the page cache. */
static void test_uncached_chunk(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN];
    unsigned char *b = store_random(f, CHUNK_MAX, id);
    struct chunk_data *d;

    evict(f, id);
    assert_int_equal(fetch(f, id, CHUNK_VERIFY_FAST, &d), 0);
    assert_int_equal(d->len, CHUNK_MAX);
    assert_memory_equal(d->data, b, CHUNK_MAX);
    chunk_data_put(d);
    damage(f, id, 3000000);
    evict(f, id);
    assert_int_equal(fetch(f, id, CHUNK_VERIFY_FAST, &d), -EBADMSG);
    assert_null(d);
    free(b);
}

static void test_larger_than_a_chunk(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN];
    unsigned char *b = store_random(f, 5000, id);
    struct chunk_data *d;

    assert_int_equal(
        local_read_fetch(f->reader, f->addr, id, 4096, CHUNK_VERIFY_FAST, &d),
        -EBADMSG);
    free(b);
}

static void test_reader_without_secret(void **state)
{
    struct fixture *f = *state;
    struct local_read *stranger = local_read_new(&f->other, true);
    char id[CHUNK_ID_STRLEN];
    unsigned char *b = store_random(f, 1000, id);
    struct chunk_data *d;

    assert_non_null(stranger);
    assert_int_equal(local_read_fetch(stranger, f->addr, id, CHUNK_MAX,
                                      CHUNK_VERIFY_FAST, &d),
                     -ENOTCONN);
    /* Refused by the server itself: even a reader that can check the
     * server's proof (it has the chunk servers' key, the worst case)
     * gets no connection without the client key. */
    struct auth_keys half = f->other;
    memcpy(half.key[AUTH_ROLE_CHUNKD], f->keys.key[AUTH_ROLE_CHUNKD],
           sizeof(half.key[AUTH_ROLE_CHUNKD]));
    assert_int_equal(local_chunk_connect(f->addr, &half, 1000), -EACCES);
    local_read_free(stranger);
    /* the server is still there for those who hold it */
    assert_int_equal(fetch(f, id, CHUNK_VERIFY_FAST, &d), 0);
    chunk_data_put(d);
    free(b);
}

/* A process holding a server's name but not the chunk servers' key: it
 * accepts the reader's proof (it was given the client key, the worst
 * case), cannot prove its own, and would hand over a file of its own. */
struct impostor {
    int listen_fd;
    struct auth_keys keys;
    int file_fd;
};

static void *impostor_main(void *p)
{
    struct impostor *im = p;
    struct local_chunk_reply r = {0};
    char id[CHUNK_ID_STRLEN];
    int fd;

    /* the listening socket is nonblocking */
    while ((fd = accept4(im->listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
        if (errno != EAGAIN) return NULL;
        usleep(1000);
    }
    if (local_chunk_accept(fd, &im->keys, 1000) == 0 &&
        local_chunk_read_request(fd, id) == 0) {
        local_chunk_send_reply(fd, &r, im->file_fd);
    }
    close(fd);
    return NULL;
}

static void test_server_without_secret(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN], addr[80], path[PATH_MAX], err[256];
    struct impostor im = {.keys = f->other};
    struct chunk_data *d;
    pthread_t t;

    memcpy(im.keys.key[AUTH_ROLE_CLIENT], f->keys.key[AUTH_ROLE_CLIENT],
           sizeof(im.keys.key[AUTH_ROLE_CLIENT]));
    snprintf(addr, sizeof(addr), "%s-impostor", f->addr);
    snprintf(path, sizeof(path), "%s/fake", f->dir);
    im.file_fd = open(path, O_RDWR | O_CREAT, 0600);
    assert_int_equal(write(im.file_fd, "fake!", 5), 5);
    im.listen_fd = local_chunk_listen(addr, err, sizeof(err));
    assert_true(im.listen_fd >= 0);
    assert_int_equal(pthread_create(&t, NULL, impostor_main, &im), 0);
    chunk_id_compute("fake!", 5, id);
    assert_int_equal(
        local_read_fetch(f->reader, addr, id, CHUNK_MAX, CHUNK_VERIFY_FAST, &d),
        -ENOTCONN);
    pthread_join(t, NULL);
    close(im.listen_fd);
    close(im.file_fd);
}

/* The server restarts: the reader's pooled connection is dead, and the
 * next fetch is still served locally, on a new connection. */
static void test_server_restarted(void **state)
{
    struct fixture *f = *state;
    char id[CHUNK_ID_STRLEN];
    unsigned char *b = store_random(f, 5000, id);
    struct chunk_data *d;

    assert_int_equal(fetch(f, id, CHUNK_VERIFY_FAST, &d), 0);
    chunk_data_put(d);
    local_server_stop(f->server);
    f->server = local_server_start(f->addr, f->store, &f->keys);
    assert_non_null(f->server);
    assert_int_equal(fetch(f, id, CHUNK_VERIFY_FAST, &d), 0);
    assert_memory_equal(d->data, b, 5000);
    chunk_data_put(d);
    free(b);
}

static void test_name_taken(void **state)
{
    struct fixture *f = *state;
    char err[256];

    /* a second server for the same address cannot start: the first keeps
     * serving */
    assert_null(local_server_start(f->addr, f->store, &f->keys));
    assert_int_equal(local_chunk_listen(f->addr, err, sizeof(err)),
                     -EADDRINUSE);
    assert_non_null(strstr(err, f->addr));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_stored_chunk, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_server_here, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_bytes_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_uncached_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_larger_than_a_chunk, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reader_without_secret, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_without_secret, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_name_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_restarted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
