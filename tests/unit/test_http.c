/*
 * test_http.c - http_server and http_client against each other in-process.
 *
 * A server on 127.0.0.1:<any port> with a buffered JSON echo, a streaming
 * sink, a file reply and a master-only route, all behind auth keys made
 * from a fresh secret; clients signing as different roles (or not at all)
 * check authentication, roles, size limits, error mapping, parallel
 * requests, streamed bodies and the bind error message.  A second
 * server speaks TLS with a certificate made by openssl(1) at test time
 * (skipped where openssl is missing); a third checks the per-address
 * connection limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "chunk_id.h"
#include "errname.h"
#include "http_client.h"
#include "http_server.h"
#include "json_util.h"
#include "log.h"
#include "master_client.h"

#define ROLE(r) (1u << (r))
#define SINK_LIMIT (4u << 20)

static char tmpdir[] = "/tmp/test_http.XXXXXX";
static char file_path[256];
static const char file_text[] = "bytes served from a file descriptor\n";
static struct auth_keys master_keys, client_keys;
static struct http_server *server;
static char hostport[64];
static struct http_client *client, *master, *anon;

/* What the sink saw last, checked by the streaming tests. */
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static int sink_closed_ok, sink_closed_bad;

struct sink {
    struct chunk_hasher h;
    size_t len;
};

static void echo_handle(struct http_request *req, struct http_reply *rep,
                        void *ctx)
{
    (void)ctx;
    json_object *o;
    char err[128];
    if (json_parse_object(req->body, req->body_len, &o, err, sizeof(err)) < 0)
        return http_reply_errno(rep, EINVAL, "%s", err);
    json_object *fail;
    if (json_object_object_get_ex(o, "fail", &fail)) {
        http_reply_errno(rep, errname_to_errno(json_object_get_string(fail)),
                         "asked to fail");
    } else {
        http_reply_json(rep, 200, o);
    }
    json_object_put(o);
}

static void *sink_open(struct http_request *req, struct http_reply *rep,
                       void *ctx)
{
    (void)ctx;
    if (strcmp(req->suffix, "refuse") == 0) {
        http_reply_errno(rep, ENOSPC, "full");
        return NULL;
    }
    struct sink *s = calloc(1, sizeof(*s));
    chunk_hasher_init(&s->h);
    return s;
}

static int sink_write(void *p, const char *data, size_t len)
{
    struct sink *s = p;
    chunk_hasher_update(&s->h, data, len);
    s->len += len;
    return 0;
}

static void sink_close(void *p, bool ok)
{
    pthread_mutex_lock(&sink_lock);
    if (ok)
        sink_closed_ok++;
    else
        sink_closed_bad++;
    pthread_mutex_unlock(&sink_lock);
    free(p);
}

static void sink_handle(struct http_request *req, struct http_reply *rep,
                        void *ctx)
{
    (void)ctx;
    struct sink *s = req->stream;
    char id[CHUNK_ID_STRLEN];
    chunk_hasher_final(&s->h, id);
    json_object *o = json_object_new_object();
    json_add_string(o, "id", id);
    json_add_u64(o, "len", s->len);
    const char *sync = http_request_arg(req, "sync");
    json_add_string(o, "sync", sync ? sync : "");
    http_reply_json(rep, 201, o);
    json_object_put(o);
}

static void file_handle(struct http_request *req, struct http_reply *rep,
                        void *ctx)
{
    (void)req;
    (void)ctx;
    int fd = open(file_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return http_reply_errno(rep, errno, "open");
    http_reply_header(rep, "X-Test", "yes");
    http_reply_fd(rep, 200, fd, 6, sizeof(file_text) - 1 - 6);
}

static void admin_handle(struct http_request *req, struct http_reply *rep,
                         void *ctx)
{
    (void)req;
    (void)ctx;
    http_reply_empty(rep, 204);
}

/* ---- a fake master for master_client ------------------------------------ */

static int flaky_calls;

static void fake_attr_reply(struct http_reply *rep, uint64_t ino, uint64_t size)
{
    struct dfs_attr a = {.ino = ino, .mode = 040755, .nlink = 2, .size = size};
    json_object *o = json_object_new_object();
    json_object_object_add(o, "attr", meta_attr_to_json(&a));
    http_reply_json(rep, 200, o);
    json_object_put(o);
}

/* unlink answers like a current master (the parent's new attributes),
 * rename like an older one (nothing). */
static void fake_dirs_reply(struct http_reply *rep, bool with_dirs)
{
    struct dfs_attr a = {.ino = 1, .mode = 040755, .nlink = 3, .size = 7};
    json_object *o = json_object_new_object(), *arr = json_object_new_array();
    json_object_array_add(arr, meta_attr_to_json(&a));
    if (with_dirs) json_object_object_add(o, "dirs", arr);
    else json_object_put(arr);
    http_reply_json(rep, 200, o);
    json_object_put(o);
}

static void fake_readdir(struct http_reply *rep)
{
    json_object *o = json_object_new_object(), *arr = json_object_new_array();
    const char *names[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        struct dfs_dirent d = {.cookie = (uint64_t)i + 10,
                               .attr = {.ino = (uint64_t)i + 2}};
        snprintf(d.name, sizeof(d.name), "%s", names[i]);
        json_object_array_add(arr, meta_dirent_to_json(&d));
    }
    json_object_object_add(o, "entries", arr);
    json_add_bool(o, "eof", true);
    http_reply_json(rep, 200, o);
    json_object_put(o);
}

static void fake_fs(struct http_request *req, struct http_reply *rep, void *ctx)
{
    (void)ctx;
    json_object *o;
    char err[128];
    uint64_t ino = 0, size = 0;
    const char *name = "";
    if (json_parse_object(req->body, req->body_len, &o, err, sizeof(err)) < 0)
        return http_reply_errno(rep, EINVAL, "%s", err);
    json_get_u64(o, "ino", &ino, err, sizeof(err));
    json_get_u64(o, "size", &size, err, sizeof(err));
    json_get_string(o, "name", 255, &name, err, sizeof(err));
    if (strcmp(req->suffix, "lookup") == 0 && strcmp(name, "missing") == 0)
        http_reply_errno(rep, ENOENT, "no entry '%s'", name);
    else if (strcmp(req->suffix, "rmdir") == 0)
        http_reply_errno(rep, ENOTEMPTY, "not empty");
    else if (strcmp(req->suffix, "unlink") == 0)
        fake_dirs_reply(rep, true);
    else if (strcmp(req->suffix, "rename") == 0)
        fake_dirs_reply(rep, false);
    else if (strcmp(req->suffix, "mkdir") == 0 &&
             __atomic_fetch_add(&flaky_calls, 1, __ATOMIC_SEQ_CST) % 3 != 2)
        http_reply_error(rep, 503, "EAGAIN", "busy, try again");
    else if (strcmp(req->suffix, "readdir") == 0)
        fake_readdir(rep);
    else if (strcmp(req->suffix, "readlink") == 0)
        http_reply_error(rep, 200, "x", "no target key");
    else
        fake_attr_reply(rep, ino ? ino : 5, size);
    json_object_put(o);
}

static const struct http_route routes[] = {
    {"POST", "/echo", ROLE(AUTH_ROLE_CLIENT) | ROLE(AUTH_ROLE_MASTER), 1024,
     echo_handle, NULL, NULL, NULL, false},
    {"PUT", "/sink/", ROLE(AUTH_ROLE_CLIENT), SINK_LIMIT, sink_handle,
     sink_open, sink_write, sink_close, false},
    {"GET", "/file", ROLE(AUTH_ROLE_CLIENT), 0, file_handle, NULL, NULL, NULL,
     false},
    {"DELETE", "/admin", ROLE(AUTH_ROLE_MASTER), 0, admin_handle, NULL, NULL,
     NULL, false},
    {"POST", DFS_PATH_FS, ROLE(AUTH_ROLE_CLIENT), DFS_JSON_BODY_MAX, fake_fs,
     NULL, NULL, NULL, false},
    {0}};

static int setup(void **state)
{
    (void)state;
    char err[256], secret[256];
    log_init("test_http", LOG_LEVEL_ERROR);
    if (chunk_id_init() < 0 || !mkdtemp(tmpdir)) return -1;
    snprintf(secret, sizeof(secret), "%s/secret", tmpdir);
    snprintf(file_path, sizeof(file_path), "%s/file", tmpdir);
    FILE *f = fopen(file_path, "w");
    fputs(file_text, f);
    fclose(f);
    if (auth_secret_create(secret, err, sizeof(err)) < 0 ||
        auth_keys_load(secret, AUTH_ROLE_MASTER, &master_keys, err,
                       sizeof(err)) < 0 ||
        auth_keys_load(secret, AUTH_ROLE_CLIENT, &client_keys, err,
                       sizeof(err)) < 0) {
        fprintf(stderr, "keys: %s\n", err);
        return -1;
    }
    struct http_server_config cfg = {
        .routes = routes, .keys = &master_keys, .threads = 2};
    snprintf(cfg.listen.host, sizeof(cfg.listen.host), "127.0.0.1");
    server = http_server_start(&cfg, err, sizeof(err));
    if (!server) {
        fprintf(stderr, "server: %s\n", err);
        return -1;
    }
    snprintf(hostport, sizeof(hostport), "127.0.0.1:%d",
             http_server_port(server));
    client = http_client_new(&client_keys, NULL);
    master = http_client_new(&master_keys, NULL);
    anon = http_client_new(NULL, NULL);
    return client && master && anon ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    http_client_free(client);
    http_client_free(master);
    http_client_free(anon);
    http_server_stop(server);
    char path[300];
    snprintf(path, sizeof(path), "%s/secret", tmpdir);
    unlink(path);
    unlink(file_path);
    rmdir(tmpdir);
    return 0;
}

static long status_of(struct http_client *c, const char *method,
                      const char *path, const void *body, size_t len)
{
    struct http_response r;
    int rc = http_request(c, hostport, method, path, body, len, NULL, 5000, &r);
    assert_int_equal(rc, 0);
    long status = r.status;
    http_response_free(&r);
    return status;
}

static void test_signed_json_echo(void **state)
{
    (void)state;
    json_object *req = json_object_new_object(), *reply;
    json_add_string(req, "hello", "world");
    json_add_u64(req, "big", UINT64_MAX);
    char err[256];
    for (int i = 0; i < 3; i++) { /* also exercises keep-alive reuse */
        assert_int_equal(http_json(client, hostport, "POST", "/echo", req, 5000,
                                   &reply, err, sizeof(err)),
                         0);
        const char *s;
        uint64_t big;
        assert_int_equal(
            json_get_string(reply, "hello", 16, &s, err, sizeof(err)), 0);
        assert_string_equal(s, "world");
        assert_int_equal(json_get_u64(reply, "big", &big, err, sizeof(err)), 0);
        assert_true(big == UINT64_MAX);
        json_object_put(reply);
    }
    json_object_put(req);
}

static void test_unsigned_refused(void **state)
{
    (void)state;
    assert_int_equal(status_of(anon, "POST", "/echo", "{}", 2), 401);
    json_object *reply = NULL;
    char err[256] = "";
    assert_int_equal(http_json(anon, hostport, "GET", "/file", NULL, 5000,
                               &reply, err, sizeof(err)),
                     -EACCES);
    assert_null(reply);
}

static void test_forged_signature_refused(void **state)
{
    (void)state;
    struct auth_keys forged = client_keys;
    memset(forged.key[AUTH_ROLE_CLIENT], 0x5a, 32);
    struct http_client *c = http_client_new(&forged, NULL);
    assert_int_equal(status_of(c, "GET", "/file", NULL, 0), 401);
    http_client_free(c);
}

static void test_wrong_role(void **state)
{
    (void)state;
    assert_int_equal(status_of(client, "DELETE", "/admin", NULL, 0), 403);
    assert_int_equal(status_of(master, "DELETE", "/admin", NULL, 0), 204);
    /* the master may not use the client-only file route */
    assert_int_equal(status_of(master, "GET", "/file", NULL, 0), 403);
}

static void test_body_limits(void **state)
{
    (void)state;
    char big[4096];
    memset(big, ' ', sizeof(big));
    big[0] = '{';
    big[sizeof(big) - 1] = '}';
    assert_int_equal(status_of(client, "POST", "/echo", big, sizeof(big)), 413);
    /* a body on a route that takes none */
    assert_int_equal(status_of(master, "DELETE", "/admin", "x", 1), 413);
    /* a chunk-sized body over a streaming route's limit, bigger than the
     * socket buffers: the 413 must still reach the client */
    size_t len = SINK_LIMIT + 1;
    char *huge = calloc(1, len);
    assert_int_equal(status_of(client, "PUT", "/sink/x", huge, len), 413);
    free(huge);
    /* the server still works afterwards */
    assert_int_equal(status_of(client, "POST", "/echo", "{}", 2), 200);
}

static void test_unknown_route(void **state)
{
    (void)state;
    assert_int_equal(status_of(client, "GET", "/nope", NULL, 0), 404);
    assert_int_equal(status_of(client, "GET", "/echo", NULL, 0), 405);
}

static void test_error_mapping(void **state)
{
    (void)state;
    const char *names[] = {"ENOENT", "EEXIST", "ENOTEMPTY", "ENOSPC"};
    const int errs[] = {ENOENT, EEXIST, ENOTEMPTY, ENOSPC};
    for (size_t i = 0; i < 4; i++) {
        json_object *req = json_object_new_object(), *reply = NULL;
        json_add_string(req, "fail", names[i]);
        char err[256] = "";
        assert_int_equal(http_json(client, hostport, "POST", "/echo", req, 5000,
                                   &reply, err, sizeof(err)),
                         -errs[i]);
        assert_null(reply);
        assert_non_null(strstr(err, "asked to fail"));
        json_object_put(req);
    }
}

static void fill(char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)((i * 2654435761u + seed) >> 13);
}

static void check_sink_reply(const struct http_response *r, const char *body,
                             size_t len)
{
    char id[CHUNK_ID_STRLEN], err[128];
    json_object *o;
    const char *got;
    uint64_t n;
    chunk_id_compute(body, len, id);
    assert_int_equal(r->status, 201);
    assert_int_equal(
        json_parse_object(r->body, r->body_len, &o, err, sizeof(err)), 0);
    assert_int_equal(json_get_string(o, "id", 64, &got, err, sizeof(err)), 0);
    assert_string_equal(got, id);
    assert_int_equal(json_get_u64(o, "len", &n, err, sizeof(err)), 0);
    assert_int_equal(n, len);
    json_object_put(o);
}

static void test_streamed_body(void **state)
{
    (void)state;
    size_t len = 3u << 20;
    char *body = malloc(len);
    fill(body, len, 7);
    pthread_mutex_lock(&sink_lock);
    int ok_before = sink_closed_ok;
    pthread_mutex_unlock(&sink_lock);
    struct http_response r;
    assert_int_equal(http_request(client, hostport, "PUT", "/sink/x?sync=1",
                                  body, len, NULL, 10000, &r),
                     0);
    check_sink_reply(&r, body, len);
    assert_non_null(strstr(r.body, "\"sync\":\"1\""));
    http_response_free(&r);
    pthread_mutex_lock(&sink_lock);
    assert_int_equal(sink_closed_ok, ok_before + 1);
    pthread_mutex_unlock(&sink_lock);
    /* stream_open may refuse: its reply goes out, the body is not read */
    assert_int_equal(status_of(client, "PUT", "/sink/refuse", body, 1000), 507);
    free(body);
}

static void test_body_hash_mismatch(void **state)
{
    (void)state;
    /* Sign one body, send another: the anon client carries the header. */
    char hash[CHUNK_ID_STRLEN], sig[AUTH_HEADER_MAX], line[400];
    chunk_id_compute("good", 4, hash);
    auth_sign(&client_keys, "PUT", "/sink/x", "", hash, time(NULL), sig);
    snprintf(line, sizeof(line), "X-Dfs-Auth: %s", sig);
    const char *headers[] = {line, NULL};
    pthread_mutex_lock(&sink_lock);
    int bad_before = sink_closed_bad;
    pthread_mutex_unlock(&sink_lock);
    struct http_response r;
    assert_int_equal(http_request(anon, hostport, "PUT", "/sink/x", "evil", 4,
                                  headers, 5000, &r),
                     0);
    assert_int_equal(r.status, 400);
    http_response_free(&r);
    pthread_mutex_lock(&sink_lock);
    assert_int_equal(sink_closed_bad, bad_before + 1);
    pthread_mutex_unlock(&sink_lock);
    /* the same signature with the right body passes */
    assert_int_equal(http_request(anon, hostport, "PUT", "/sink/x", "good", 4,
                                  headers, 5000, &r),
                     0);
    check_sink_reply(&r, "good", 4);
    http_response_free(&r);
}

static void test_fd_reply(void **state)
{
    (void)state;
    struct http_response r;
    assert_int_equal(
        http_request(client, hostport, "GET", "/file", NULL, 0, NULL, 5000, &r),
        0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, sizeof(file_text) - 1 - 6);
    assert_memory_equal(r.body, file_text + 6, r.body_len);
    http_response_free(&r);
}

static void test_parallel(void **state)
{
    (void)state;
    enum { N = 6 };
    size_t len = 256 * 1024;
    char *bodies[N];
    struct http_parallel_request reqs[N];
    memset(reqs, 0, sizeof(reqs));
    for (int i = 0; i < N; i++) {
        bodies[i] = malloc(len);
        fill(bodies[i], len, (unsigned)i);
        reqs[i].hostport = hostport;
        reqs[i].method = "PUT";
        reqs[i].path = "/sink/p";
        reqs[i].body = bodies[i];
        reqs[i].body_len = len - (size_t)i;
    }
    http_request_parallel(client, reqs, N, 10000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(reqs[i].rc, 0);
        check_sink_reply(&reqs[i].resp, bodies[i], len - (size_t)i);
        http_response_free(&reqs[i].resp);
        free(bodies[i]);
    }
}

static void test_transport_errors(void **state)
{
    (void)state;
    struct http_parallel_request req = {
        .hostport = "127.0.0.1:1", .method = "GET", .path = "/file"};
    http_request_parallel(client, &req, 1, 2000);
    assert_int_equal(req.rc, -ECONNREFUSED);
    assert_int_equal(req.resp.status, 0);
    assert_true(req.resp.error[0] != '\0');
    http_response_free(&req.resp);
    json_object *reply;
    char err[256] = "";
    assert_int_equal(http_json(client, "127.0.0.1:1", "GET", "/x", NULL, 2000,
                               &reply, err, sizeof(err)),
                     -ECONNREFUSED);
    assert_non_null(strstr(err, "127.0.0.1:1"));
}

static void test_port_in_use(void **state)
{
    (void)state;
    char err[256] = "";
    struct http_server_config cfg = {.routes = routes};
    snprintf(cfg.listen.host, sizeof(cfg.listen.host), "127.0.0.1");
    cfg.listen.port = http_server_port(server);
    assert_null(http_server_start(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "in use"));
    assert_non_null(strstr(err, hostport));
}

static void test_ipv6_any_port(void **state)
{
    (void)state;
    char err[256] = "", hp[64];
    struct http_server_config cfg = {.routes = routes, .threads = 1};
    snprintf(cfg.listen.host, sizeof(cfg.listen.host), "::1");
    struct http_server *s = http_server_start(&cfg, err, sizeof(err));
    if (!s) skip(); /* no IPv6 loopback here */
    assert_true(http_server_port(s) > 0);
    snprintf(hp, sizeof(hp), "[::1]:%d", http_server_port(s));
    struct http_response r;
    assert_int_equal(
        http_request(anon, hp, "GET", "/file", NULL, 0, NULL, 5000, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    http_server_stop(s);
}

/* ---- TLS and connection limits ---------------------------------------- */

/* Make a CA and a server certificate for 127.0.0.1 signed by it (prefix
 * "good"), and an unrelated CA ("other").  0, or -1 without openssl. */
static int make_certs(void)
{
    char cmd[2048];
    const char *req = "openssl req -x509 -newkey ec -pkeyopt "
                      "ec_paramgen_curve:P-256 -nodes -days 1";
    snprintf(
        cmd, sizeof(cmd),
        "cd %s && %s -subj /CN=ca -keyout ca.key -out ca.pem && "
        "%s -subj /CN=other -keyout other.key -out other.pem && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-subj /CN=127.0.0.1 -keyout good.key -out good.csr && "
        "echo subjectAltName=IP:127.0.0.1 >ext && "
        "openssl x509 -req -in good.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -days 1 -extfile ext -out good.pem",
        tmpdir, req, req);
    char full[2200];
    snprintf(full, sizeof(full), "(%s) >/dev/null 2>&1", cmd);
    return system(full) == 0 ? 0 : -1;
}

static void remove_certs(void)
{
    static const char *const names[] = {"ca.key", "ca.pem",   "ca.srl",
                                        "other.key", "other.pem", "good.key",
                                        "good.csr", "good.pem", "ext"};
    char path[300];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
}

static struct http_server *tls_server(const char *cert, const char *key,
                                      char *err, size_t errlen)
{
    char c[300], k[300];
    snprintf(c, sizeof(c), "%s/%s", tmpdir, cert);
    snprintf(k, sizeof(k), "%s/%s", tmpdir, key);
    struct http_server_config cfg = {.routes = routes,
                                     .keys = &master_keys,
                                     .threads = 1,
                                     .tls_cert_file = c,
                                     .tls_key_file = k};
    snprintf(cfg.listen.host, sizeof(cfg.listen.host), "127.0.0.1");
    return http_server_start(&cfg, err, errlen);
}

static long tls_get(const char *ca, int port)
{
    char path[300], hp[64];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, ca);
    snprintf(hp, sizeof(hp), "127.0.0.1:%d", port);
    struct http_client *c = http_client_new(&client_keys, ca ? path : NULL);
    struct http_response r;
    assert_non_null(c);
    int rc = http_request(c, hp, "GET", "/file", NULL, 0, NULL, 5000, &r);
    if ((rc == 0) != (r.status != 0))
        fprintf(stderr, "ca %s: rc %d status %ld %s\n", ca ? ca : "-", rc,
                r.status, r.error);
    assert_int_equal(rc == 0, r.status != 0);
    long status = r.status;
    if (status == 200) assert_string_equal(r.body, file_text + 6);
    http_response_free(&r);
    http_client_free(c);
    return status;
}

static void test_tls_round_trip(void **state)
{
    (void)state;
    char err[256] = "";
    if (make_certs() < 0) {
        remove_certs();
        skip(); /* no openssl(1) on this machine */
    }
    struct http_server *s = tls_server("good.pem", "good.key", err, sizeof(err));
    assert_non_null(s);
    int port = http_server_port(s);
    assert_int_equal(tls_get("ca.pem", port), 200);
    /* A CA that did not sign the certificate, and plain http: no reply. */
    assert_int_equal(tls_get("other.pem", port), 0);
    assert_int_equal(tls_get(NULL, port), 0);
    http_server_stop(s);

    /* Missing file and a key that does not match: refused at start. */
    assert_null(tls_server("nothere.pem", "good.key", err, sizeof(err)));
    assert_non_null(strstr(err, "nothere.pem"));
    assert_null(tls_server("good.pem", "other.key", err, sizeof(err)));
    assert_non_null(strstr(err, "TLS"));
    remove_certs();
}

static int connect_to(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Idle connections from one address past its limit are turned away, and
 * the address is served again once they close. */
static void test_per_ip_limit(void **state)
{
    (void)state;
    char err[256] = "", hp[64];
    struct http_server_config cfg = {
        .routes = routes, .threads = 1, .per_ip_connection_limit = 3};
    snprintf(cfg.listen.host, sizeof(cfg.listen.host), "127.0.0.1");
    struct http_server *s = http_server_start(&cfg, err, sizeof(err));
    assert_non_null(s);
    snprintf(hp, sizeof(hp), "127.0.0.1:%d", http_server_port(s));
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = connect_to(http_server_port(s));
    usleep(200 * 1000); /* let the server accept them */
    struct http_client *c = http_client_new(NULL, NULL);
    struct http_response r;
    http_request(c, hp, "GET", "/file", NULL, 0, NULL, 3000, &r);
    assert_int_equal(r.status, 0);
    http_response_free(&r);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    usleep(200 * 1000);
    assert_int_equal(
        http_request(c, hp, "GET", "/file", NULL, 0, NULL, 3000, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    http_client_free(c);
    http_server_stop(s);
}

static void test_master_client(void **state)
{
    (void)state;
    struct master_client *mc = master_client_new(client, hostport, 5000);
    struct dfs_attr a;
    assert_int_equal(master_getattr(mc, 9, &a), 0);
    assert_int_equal(a.ino, 9);
    assert_int_equal(master_lookup(mc, 1, "missing", &a), -ENOENT);
    assert_int_equal(master_rmdir(mc, 1, "full", NULL), -ENOTEMPTY);
    struct dfs_changed_dirs dirs = {.n = 9};
    assert_int_equal(master_unlink(mc, 1, "f", &dirs), 0);
    assert_int_equal(dirs.n, 1);
    assert_int_equal(dirs.attr[0].ino, 1);
    assert_int_equal(dirs.attr[0].nlink, 3);
    assert_int_equal(master_rename(mc, 1, "f", 1, "g", 0, &dirs), 0);
    assert_int_equal(dirs.n, 0); /* an older master: nothing to keep */
    char longname[300];
    memset(longname, 'x', 256);
    longname[256] = '\0';
    assert_int_equal(master_lookup(mc, 1, longname, &a), -ENAMETOOLONG);
    struct dfs_changed_dirs none = {.n = 9};
    assert_int_equal(master_unlink(mc, 1, longname, &none), -ENAMETOOLONG);
    assert_int_equal(none.n, 0); /* refused before asking: nothing to keep */
    /* two 503s, then success: retried within the window */
    flaky_calls = 0;
    assert_int_equal(master_mkdir(mc, 1, "d", 0755, 0, 0, &a), 0);
    assert_int_equal(flaky_calls, 3);
    struct dfs_dirent *ents;
    size_t n;
    bool eof;
    assert_int_equal(master_readdir(mc, 1, 0, 100, &ents, &n, &eof), 0);
    assert_int_equal(n, 2);
    assert_true(eof);
    assert_string_equal(ents[1].name, "b");
    assert_int_equal(ents[1].cookie, 11);
    free(ents);
    struct dfs_chunk_ref ref = {
        .index = 0, .len = 3, .nnodes = 1, .nodes = {"n1"}};
    chunk_id_compute("abc", 3, ref.id);
    assert_int_equal(master_commit(mc, 7, 3, &ref, 1, &a), 0);
    assert_int_equal(a.size, 3);
    /* a 2xx reply without the expected fields is the master's fault */
    char *target = NULL;
    assert_int_equal(master_readlink(mc, 7, &target), -EIO);
    assert_null(target);
    master_client_free(mc);
}

static void test_master_client_gives_up(void **state)
{
    (void)state;
    struct master_client *mc = master_client_new(client, "127.0.0.1:1", 300);
    struct timespec t0, t1;
    struct dfs_attr a;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(master_getattr(mc, 1, &a), -EIO);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(s >= 0.25 && s < 3.0);
    master_client_free(mc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_json_echo),
        cmocka_unit_test(test_unsigned_refused),
        cmocka_unit_test(test_forged_signature_refused),
        cmocka_unit_test(test_wrong_role),
        cmocka_unit_test(test_body_limits),
        cmocka_unit_test(test_unknown_route),
        cmocka_unit_test(test_error_mapping),
        cmocka_unit_test(test_streamed_body),
        cmocka_unit_test(test_body_hash_mismatch),
        cmocka_unit_test(test_fd_reply),
        cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_transport_errors),
        cmocka_unit_test(test_port_in_use),
        cmocka_unit_test(test_ipv6_any_port),
        cmocka_unit_test(test_tls_round_trip),
        cmocka_unit_test(test_per_ip_limit),
        cmocka_unit_test(test_master_client),
        cmocka_unit_test(test_master_client_gives_up),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
