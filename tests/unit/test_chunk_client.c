/*
 * test_chunk_client.c - chunk_client against fake chunk servers in-process.
 *
 * Five http_server instances on 127.0.0.1:<any port> play chunk servers
 * behind auth keys made from a fresh secret: three good ones that keep
 * what is PUT and serve it back, one that refuses every PUT with a 500,
 * and one that stores chunks but serves wrong bytes.  A signed client
 * checks ranking, placement with fallback past the failing node, and
 * verified fetches, with and without the fast checksum header (right,
 * wrong, or describing the bytes it does send).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "chunk_check.h"
#include "chunk_client.h"
#include "chunk_id.h"
#include "http_client.h"
#include "http_server.h"
#include "log.h"
#include "wire.h"

#define ROLE(r) (1u << (r))
#define NSERVERS 5
#define FAKE_SLOTS 64
#define BODY_LIMIT (1u << 20)

enum fake_kind { FAKE_GOOD, FAKE_REFUSE, FAKE_BAD_BYTES };
/* What GETs send as X-Dfs-Check: nothing, the check of the bytes they
 * send, of the bytes stored (differs for FAKE_BAD_BYTES), or garbage. */
enum fake_check { CHECK_NONE, CHECK_SENT, CHECK_STORED, CHECK_GARBAGE };
static enum fake_check fake_check_mode;

/* One fake chunk server and what it stored. */
struct fake {
    enum fake_kind kind;
    struct http_server *srv;
    pthread_mutex_t lock;
    size_t n;
    char ids[FAKE_SLOTS][CHUNK_ID_STRLEN];
    char *data[FAKE_SLOTS];
    size_t len[FAKE_SLOTS];
    int puts; /* PUT requests seen */
};

static char tmpdir[] = "/tmp/test_chunk_client.XXXXXX";
static struct auth_keys server_keys, client_keys;
static struct fake fakes[NSERVERS];
static struct dfs_node nodes[NSERVERS];
static struct http_client *client;

/* Index of the stored chunk id in f, or -1.  Caller holds f->lock. */
static int fake_find(struct fake *f, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->ids[i], id) == 0) return (int)i;
    return -1;
}

static bool fake_has(struct fake *f, const char *id)
{
    pthread_mutex_lock(&f->lock);
    bool has = fake_find(f, id) >= 0;
    pthread_mutex_unlock(&f->lock);
    return has;
}

static void fake_put(struct http_request *req, struct http_reply *rep,
                     void *ctx)
{
    struct fake *f = ctx;

    pthread_mutex_lock(&f->lock);
    f->puts++;
    if (f->kind == FAKE_REFUSE) {
        pthread_mutex_unlock(&f->lock);
        return http_reply_error(rep, 500, "EIO", "disk on fire");
    }
    if (fake_find(f, req->suffix) < 0 && f->n < FAKE_SLOTS) {
        snprintf(f->ids[f->n], CHUNK_ID_STRLEN, "%s", req->suffix);
        f->data[f->n] = malloc(req->body_len + 1);
        memcpy(f->data[f->n], req->body, req->body_len);
        f->len[f->n++] = req->body_len;
    }
    pthread_mutex_unlock(&f->lock);
    http_reply_empty(rep, 201);
}

/* The X-Dfs-Check header fake_check_mode asks for (stored: slot i). */
static void fake_add_check(struct http_reply *rep, struct fake *f, int i)
{
    unsigned char raw[CHUNK_CHECK_BYTES];
    char text[CHUNK_CHECK_STRLEN];
    bool bad = f->kind == FAKE_BAD_BYTES;

    switch (fake_check_mode) {
    case CHECK_NONE:
        return;
    case CHECK_SENT:
        if (bad) chunk_check_compute("not the chunk", 13, raw);
        else chunk_check_compute(f->data[i], f->len[i], raw);
        break;
    case CHECK_STORED:
        if (i < 0) return;
        chunk_check_compute(f->data[i], f->len[i], raw);
        break;
    case CHECK_GARBAGE:
        memset(raw, 0x5a, sizeof(raw));
        break;
    }
    chunk_check_format(raw, text);
    http_reply_header(rep, DFS_CHECK_HEADER, text);
}

static void fake_get(struct http_request *req, struct http_reply *rep,
                     void *ctx)
{
    struct fake *f = ctx;
    int i;

    pthread_mutex_lock(&f->lock);
    i = fake_find(f, req->suffix);
    if (i < 0 && f->kind != FAKE_BAD_BYTES)
        http_reply_errno(rep, ENOENT, "no chunk %.12s", req->suffix);
    else if (f->kind == FAKE_BAD_BYTES)
        http_reply_bytes(rep, 200, "not the chunk", 13);
    else
        http_reply_bytes(rep, 200, f->data[i], f->len[i]);
    if (i >= 0 || f->kind == FAKE_BAD_BYTES)
        fake_add_check(rep, f, i);
    pthread_mutex_unlock(&f->lock);
}

static const struct http_route routes[] = {
    {"PUT", DFS_PATH_CHUNK, ROLE(AUTH_ROLE_CLIENT), BODY_LIMIT, fake_put, NULL,
     NULL, NULL, false},
    {"GET", DFS_PATH_CHUNK, ROLE(AUTH_ROLE_CLIENT), 0, fake_get, NULL, NULL,
     NULL, false},
    {0}};

static int start_fake(size_t i, enum fake_kind kind)
{
    struct http_server_config cfg = {
        .routes = routes, .ctx = &fakes[i], .keys = &server_keys, .threads = 2};
    char err[256];

    fakes[i].kind = kind;
    pthread_mutex_init(&fakes[i].lock, NULL);
    snprintf(cfg.listen.host, sizeof(cfg.listen.host), "127.0.0.1");
    fakes[i].srv = http_server_start(&cfg, err, sizeof(err));
    if (!fakes[i].srv) {
        fprintf(stderr, "server: %s\n", err);
        return -1;
    }
    snprintf(nodes[i].id, sizeof(nodes[i].id), "node-%zu", i);
    snprintf(nodes[i].addr, sizeof(nodes[i].addr), "127.0.0.1:%d",
             http_server_port(fakes[i].srv));
    nodes[i].free = nodes[i].capacity = 1ull << 30;
    nodes[i].alive = true;
    return 0;
}

static int setup(void **state)
{
    char err[256], secret[300];
    (void)state;

    log_init("test_chunk_client", LOG_LEVEL_ERROR);
    if (chunk_id_init() < 0 || !mkdtemp(tmpdir)) return -1;
    snprintf(secret, sizeof(secret), "%s/secret", tmpdir);
    if (auth_secret_create(secret, err, sizeof(err)) < 0 ||
        auth_keys_load(secret, AUTH_ROLE_CHUNKD, &server_keys, err,
                       sizeof(err)) < 0 ||
        auth_keys_load(secret, AUTH_ROLE_CLIENT, &client_keys, err,
                       sizeof(err)) < 0) {
        fprintf(stderr, "keys: %s\n", err);
        return -1;
    }
    unlink(secret);
    rmdir(tmpdir);
    for (size_t i = 0; i < NSERVERS; i++) {
        enum fake_kind k = i == 3 ? FAKE_REFUSE
                           : i == 4 ? FAKE_BAD_BYTES
                                    : FAKE_GOOD;
        if (start_fake(i, k) < 0) return -1;
    }
    client = http_client_new(&client_keys, NULL);
    return client ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    http_client_free(client);
    for (size_t i = 0; i < NSERVERS; i++) {
        http_server_stop(fakes[i].srv);
        for (size_t j = 0; j < fakes[i].n; j++) free(fakes[i].data[j]);
    }
    return 0;
}

/* The ref of a string chunk, as a writer fills it before the put. */
static void ref_of(const char *data, struct dfs_chunk_ref *ref)
{
    memset(ref, 0, sizeof(*ref));
    ref->len = (uint32_t)strlen(data);
    chunk_id_compute(data, ref->len, ref->id);
}

/* A chunk of text whose ranking over the first four nodes puts the
 * refusing server (3) among the first two: the put must fall back. */
static void chunk_ranked_refuser_early(char *buf, size_t buflen,
                                       struct dfs_chunk_ref *ref, size_t *order)
{
    for (int seed = 0; seed < 1000; seed++) {
        snprintf(buf, buflen, "chunk bytes, seed %d", seed);
        ref_of(buf, ref);
        assert_int_equal(chunk_client_rank(ref->id, nodes, 4, 2, order), 0);
        if (order[0] == 3 || order[1] == 3) return;
    }
    fail_msg("no seed ranks the refusing node first or second");
}

static void test_rank_deterministic(void **state)
{
    struct dfs_node rev[NSERVERS];
    size_t a[NSERVERS], b[NSERVERS], c[NSERVERS];
    char id[CHUNK_ID_STRLEN];
    (void)state;

    chunk_id_compute("x", 1, id);
    for (size_t i = 0; i < NSERVERS; i++) rev[i] = nodes[NSERVERS - 1 - i];
    assert_int_equal(chunk_client_rank(id, nodes, NSERVERS, 3, a), 0);
    assert_int_equal(chunk_client_rank(id, nodes, NSERVERS, 3, b), 0);
    assert_int_equal(chunk_client_rank(id, rev, NSERVERS, 3, c), 0);
    for (size_t i = 0; i < NSERVERS; i++) {
        assert_int_equal(a[i], b[i]);
        /* the same node whatever the input order */
        assert_string_equal(nodes[a[i]].id, rev[c[i]].id);
    }
    assert_int_equal(chunk_client_rank(id, nodes, 0, 3, a), 0);
}

/* A draining node is ranked after every other, whatever its score; the
 * others keep their order. */
static void test_rank_draining_last(void **state)
{
    struct dfs_node copy[NSERVERS];
    size_t plain[NSERVERS], drained[NSERVERS];
    char id[CHUNK_ID_STRLEN];
    (void)state;

    chunk_id_compute("y", 1, id);
    memcpy(copy, nodes, sizeof(copy));
    assert_int_equal(chunk_client_rank(id, copy, NSERVERS, 3, plain), 0);
    copy[plain[0]].draining = true; /* the best one */
    assert_int_equal(chunk_client_rank(id, copy, NSERVERS, 3, drained), 0);
    assert_int_equal(drained[NSERVERS - 1], plain[0]);
    for (size_t i = 0; i + 1 < NSERVERS; i++)
        assert_int_equal(drained[i], plain[i + 1]);
}

static void test_put_falls_back(void **state)
{
    struct dfs_chunk_ref ref;
    struct dfs_chunk where;
    size_t order[4];
    char buf[64], err[256];
    int refused;
    (void)state;

    chunk_ranked_refuser_early(buf, sizeof(buf), &ref, order);
    memset(&where, 0, sizeof(where));
    refused = fakes[3].puts;
    assert_int_equal(chunk_client_put(client, nodes, order, 4, 2, buf, true,
                                      &ref, &where, err, sizeof(err)),
                     0);
    assert_int_equal(ref.nnodes, 2);
    assert_int_equal(where.nreplicas, 2);
    assert_string_not_equal(ref.nodes[0], ref.nodes[1]);
    assert_int_equal(fakes[3].puts, refused + 1);
    for (size_t r = 0; r < 2; r++) {
        size_t k = (size_t)(ref.nodes[r][5] - '0');
        assert_true(k < 3); /* a good node, never the refusing one */
        assert_string_equal(where.replicas[r], nodes[k].addr);
        assert_true(fake_has(&fakes[k], ref.id));
    }
    /* the copy the refuser did not take went to the next in the ranking */
    assert_true(fake_has(&fakes[order[2]], ref.id));
    assert_false(fake_has(&fakes[3], ref.id));
}

static void test_put_runs_out(void **state)
{
    struct dfs_chunk_ref ref;
    size_t order[2] = {1, 0}, only_bad[1] = {3};
    char err[256];
    const char *data = "fewer nodes than copies";
    (void)state;

    ref_of(data, &ref);
    /* want is clamped; fewer copies than wanted when the ranking ends */
    assert_int_equal(chunk_client_put(client, nodes, order, 2, 99, data, false,
                                      &ref, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(ref.nnodes, 2);
    assert_string_equal(ref.nodes[0], "node-1");
    assert_string_equal(ref.nodes[1], "node-0");

    assert_int_equal(chunk_client_put(client, nodes, only_bad, 1, 1, data,
                                      false, &ref, NULL, err, sizeof(err)),
                     -EIO);
    assert_int_equal(ref.nnodes, 0);
    assert_non_null(strstr(err, nodes[3].addr));
    assert_non_null(strstr(err, "HTTP 500: disk on fire"));

    assert_int_equal(chunk_client_put(client, nodes, order, 0, 1, data, false,
                                      &ref, NULL, err, sizeof(err)),
                     -EIO);
    assert_string_equal(err, "no live chunk server");
}

static void test_fetch(void **state)
{
    struct dfs_chunk_ref ref;
    size_t order[1] = {2}, len;
    const char *data = "the exact bytes of a chunk";
    char id[CHUNK_ID_STRLEN], err[256], *body;
    (void)state;

    ref_of(data, &ref);
    assert_int_equal(chunk_client_put(client, nodes, order, 1, 1, data, false,
                                      &ref, NULL, err, sizeof(err)),
                     0);

    assert_int_equal(chunk_client_fetch(client, nodes[2].addr, ref.id, CHUNK_VERIFY_FAST,
                                        &body, &len, err, sizeof(err)),
                     0);
    assert_int_equal(len, ref.len);
    assert_memory_equal(body, data, len);
    free(body);

    /* wrong bytes are never returned */
    assert_int_equal(chunk_client_fetch(client, nodes[4].addr, ref.id, CHUNK_VERIFY_FAST,
                                        &body, &len, err, sizeof(err)),
                     -EBADMSG);
    assert_null(body);
    assert_non_null(strstr(err, nodes[4].addr));

    /* a server without the chunk: an HTTP error */
    assert_int_equal(chunk_client_fetch(client, nodes[0].addr, ref.id, CHUNK_VERIFY_FAST,
                                        &body, &len, err, sizeof(err)),
                     -EIO);
    assert_non_null(strstr(err, "HTTP 404"));

    memset(id, 'Z', CHUNK_ID_HEX);
    id[CHUNK_ID_HEX] = '\0';
    assert_int_equal(chunk_client_fetch(client, nodes[2].addr, id, CHUNK_VERIFY_FAST,
                                        &body, &len, err, sizeof(err)),
                     -EINVAL);
}

/* Fetch data (stored on nodes 2 and 4) from node `node` under the
 * current fake_check_mode; returns chunk_client_fetch's result. */
static int fetch_with(size_t node, const struct dfs_chunk_ref *ref,
                      enum chunk_verify verify, const char *data)
{
    char err[256], *body;
    size_t len;
    int rc = chunk_client_fetch(client, nodes[node].addr, ref->id, verify,
                                &body, &len, err, sizeof(err));

    if (rc == 0) {
        assert_int_equal(len, ref->len);
        assert_memory_equal(body, data, len);
        free(body);
    } else {
        assert_null(body);
    }
    return rc;
}

static void test_fetch_checks(void **state)
{
    struct dfs_chunk_ref ref;
    size_t order[2] = {2, 4};
    const char *data = "bytes fetched under the fast checksum";
    char err[256];
    (void)state;

    ref_of(data, &ref);
    assert_int_equal(chunk_client_put(client, nodes, order, 2, 2, data, false,
                                      &ref, NULL, err, sizeof(err)),
                     0);
    /* right check, right bytes: both modes take them */
    fake_check_mode = CHECK_SENT;
    assert_int_equal(fetch_with(2, &ref, CHUNK_VERIFY_FAST, data), 0);
    assert_int_equal(fetch_with(2, &ref, CHUNK_VERIFY_STRICT, data), 0);
    /* a damaged check does not cost good bytes: the id decides */
    fake_check_mode = CHECK_GARBAGE;
    assert_int_equal(fetch_with(2, &ref, CHUNK_VERIFY_FAST, data), 0);
    /* bytes rotted after the check was stored: refused */
    fake_check_mode = CHECK_STORED;
    assert_int_equal(fetch_with(4, &ref, CHUNK_VERIFY_FAST, data), -EBADMSG);
    fake_check_mode = CHECK_GARBAGE;
    assert_int_equal(fetch_with(4, &ref, CHUNK_VERIFY_FAST, data), -EBADMSG);
    /* a server vouching for wrong bytes: only strict catches it */
    fake_check_mode = CHECK_SENT;
    assert_int_equal(fetch_with(4, &ref, CHUNK_VERIFY_STRICT, data),
                     -EBADMSG);
    fake_check_mode = CHECK_NONE;
}

static void test_check_text(void **state)
{
    unsigned char raw[CHUNK_CHECK_BYTES];
    char text[CHUNK_CHECK_STRLEN];
    (void)state;

    /* XXH3-128 of no bytes, canonical (big-endian) form */
    chunk_check_compute("", 0, raw);
    chunk_check_format(raw, text);
    assert_string_equal(text, "xxh3:99aa06d3014798d86001c324468d497f");
    assert_true(chunk_check_matches(text, "", 0));
    assert_false(chunk_check_matches(text, "x", 1));
    assert_false(chunk_check_matches("xxh3:99AA06D3014798D86001C324468D497F",
                                     "", 0));
    assert_false(chunk_check_matches("sha1:99aa06d3014798d86001c324468d497f",
                                     "", 0));
    assert_false(chunk_check_matches("xxh3:99aa", "", 0));
    assert_false(chunk_check_matches("", "", 0));
    assert_false(chunk_check_matches(NULL, "", 0));
}

/* A long input runs XXH3's vector loop, which the library may choose at
 * run time (AVX2, AVX-512, SSE2): whichever it picks, the value is the
 * one xxhsum computes (xxhsum -H2 of the same bytes), and the streaming
 * form agrees with the one-shot form.  Stored checks outlive builds. */
static void test_check_long_input(void **state)
{
    size_t len = (1u << 20) + 123;
    unsigned char *data = malloc(len);
    unsigned char raw[CHUNK_CHECK_BYTES], streamed[CHUNK_CHECK_BYTES];
    char text[CHUNK_CHECK_STRLEN];
    (void)state;

    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 31 + (i >> 8));
    chunk_check_compute(data, len, raw);
    chunk_check_format(raw, text);
    assert_string_equal(text, "xxh3:72b6365f2f4300a0777179cec61b8922");

    struct chunk_checker *c = chunk_checker_new();
    assert_non_null(c);
    for (size_t off = 0; off < len; off += 65537)
        chunk_checker_update(c, data + off, len - off < 65537 ? len - off
                                                              : 65537);
    chunk_checker_final(c, streamed);
    chunk_checker_free(c);
    assert_memory_equal(raw, streamed, CHUNK_CHECK_BYTES);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_deterministic),
        cmocka_unit_test(test_rank_draining_last),
        cmocka_unit_test(test_put_falls_back),
        cmocka_unit_test(test_put_runs_out),
        cmocka_unit_test(test_fetch),
        cmocka_unit_test(test_fetch_checks),
        cmocka_unit_test(test_check_text),
        cmocka_unit_test(test_check_long_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
