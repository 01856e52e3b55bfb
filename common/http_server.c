/*
 * http_server.c - libmicrohttpd behind a table of routes.
 *
 * MHD calls one access handler several times per request: once when the
 * headers are in, once per piece of body, and once more when the body is
 * complete.  This file turns that into: route, authenticate, check size
 * (all before any body byte is read), collect or stream the body while
 * hashing it, check the hash against the signed one, call the route's
 * handler, send its reply.  Per-request state is created by the URI log
 * callback (the only place MHD shows the raw URI, which the signature
 * covers) and freed by the completion callback, which also tells a stream
 * sink when a request was cut short.
 *
 * We bind the listening socket ourselves so that a failure names the
 * address and the errno ("cannot listen on 127.0.0.1:9400: Address
 * already in use"); MHD only says that it failed.  For the same reason
 * the TLS certificate and key are read here (MHD wants them in memory)
 * and a missing or unreadable file is named.
 */
#include "http_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "chunk_id.h"
#include "errname.h"
#include "fsutil.h"
#include "log.h"
#include "wire.h"

#define SERVER_THREADS_DEFAULT 4
#define SERVER_CONN_LIMIT_DEFAULT 1024
#define SERVER_PER_IP_LIMIT_DEFAULT 128
/* Long enough for a slow but working peer between two reads or writes;
 * short enough that abandoned connections free their slot. */
#define SERVER_TIMEOUT_DEFAULT 30
#define SERVER_PEM_MAX (1024 * 1024)
/* Per-connection MHD buffer: also the largest body piece we are handed.
 * MHD zeroes all of it for every request on a kept-alive connection, so
 * servers whose bodies we collect ourselves (JSON) take the small one.
 * Streamed chunk bodies want big pieces: at 256 KiB the zeroing is 17% of
 * a chunk server's CPU on small-file PUTs (~15 us each), but 64 KiB made
 * 512 MiB writes of new data 15% slower (89-92 against 103-110 MB/s,
 * dd conv=fsync, alternating runs). */
#define SERVER_CONN_MEMORY (256 * 1024)
#define SERVER_CONN_MEMORY_SMALL (32 * 1024)
#define SERVER_LISTEN_BACKLOG 511

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_config cfg;
    int port;
    char *tls_cert, *tls_key; /* PEM text; MHD keeps pointers to them */
};

enum reply_kind { REPLY_NONE, REPLY_BUFFER, REPLY_FD };

struct reply_header {
    char *name;
    char *value;
};

struct http_reply {
    int status;
    enum reply_kind kind;
    bool json;  /* add Content-Type: application/json */
    char *data; /* REPLY_BUFFER, malloc'd (may be NULL) */
    size_t len;
    int fd; /* REPLY_FD, owned until handed to MHD */
    uint64_t fd_offset, fd_len;
    struct reply_header *headers;
    size_t nheaders;
};

/* One request in flight on a connection. */
struct request_state {
    struct http_server *srv;
    struct MHD_Connection *conn;
    char *uri; /* raw URI incl. query, as signed */
    const struct http_route *route;
    struct http_request req;
    struct http_reply rep;
    bool started;    /* first access-handler call done */
    bool queued;     /* a response has been queued */
    bool failed;     /* rep holds an error; discard remaining body */
    bool check_hash; /* keys given: compare body hash at the end */
    struct chunk_hasher hasher;
    char signed_hash[CHUNK_ID_STRLEN];
    size_t received;
    char *buf; /* buffered routes */
    size_t cap;
    bool stream_open; /* stream_close not yet called */
};

/* ---- replies ---------------------------------------------------------- */

static void reply_clear_body(struct http_reply *rep)
{
    free(rep->data);
    rep->data = NULL;
    rep->len = 0;
    if (rep->kind == REPLY_FD && rep->fd >= 0) close(rep->fd);
    rep->fd = -1;
    rep->kind = REPLY_NONE;
    rep->json = false;
}

static void reply_free(struct http_reply *rep)
{
    reply_clear_body(rep);
    for (size_t i = 0; i < rep->nheaders; i++) {
        free(rep->headers[i].name);
        free(rep->headers[i].value);
    }
    free(rep->headers);
    rep->headers = NULL;
    rep->nheaders = 0;
}

void http_reply_bytes(struct http_reply *rep, int status, const void *data,
                      size_t len)
{
    reply_clear_body(rep);
    rep->status = status;
    rep->kind = REPLY_BUFFER;
    if (len > 0) {
        rep->data = malloc(len);
        if (!rep->data) {
            rep->status = 500;
            return;
        }
        memcpy(rep->data, data, len);
        rep->len = len;
    }
}

void http_reply_empty(struct http_reply *rep, int status)
{
    http_reply_bytes(rep, status, NULL, 0);
}

void http_reply_json(struct http_reply *rep, int status, json_object *body)
{
    const char *text = json_object_to_json_string_ext(
        body, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    http_reply_bytes(rep, status, text, strlen(text));
    rep->json = true;
}

static void reply_error_v(struct http_reply *rep, int status, const char *code,
                          const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    json_object *o = json_object_new_object();
    json_object_object_add(o, K_ERROR, json_object_new_string(code));
    json_object_object_add(o, K_MESSAGE, json_object_new_string(msg));
    http_reply_json(rep, status, o);
    json_object_put(o);
}

void http_reply_error(struct http_reply *rep, int status, const char *code,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(rep, status, code, fmt, ap);
    va_end(ap);
}

void http_reply_errno(struct http_reply *rep, int err, const char *fmt, ...)
{
    if (err < 0) err = -err;
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(rep, errname_http_status(err), errname_from_errno(err), fmt,
                  ap);
    va_end(ap);
}

void http_reply_fd(struct http_reply *rep, int status, int fd, uint64_t offset,
                   uint64_t len)
{
    reply_clear_body(rep);
    rep->status = status;
    rep->kind = REPLY_FD;
    rep->fd = fd;
    rep->fd_offset = offset;
    rep->fd_len = len;
}

void http_reply_header(struct http_reply *rep, const char *name,
                       const char *value)
{
    struct reply_header *h =
        realloc(rep->headers, (rep->nheaders + 1) * sizeof(*h));
    if (!h) return;
    rep->headers = h;
    h[rep->nheaders].name = strdup(name);
    h[rep->nheaders].value = strdup(value);
    if (!h[rep->nheaders].name || !h[rep->nheaders].value) {
        free(h[rep->nheaders].name);
        free(h[rep->nheaders].value);
        return;
    }
    rep->nheaders++;
}

/* Turn rep into an MHD response; ownership of data/fd moves to MHD. */
static struct MHD_Response *reply_to_mhd(struct http_reply *rep)
{
    struct MHD_Response *r;
    if (rep->kind == REPLY_FD) {
        r = MHD_create_response_from_fd_at_offset64(rep->fd_len, rep->fd,
                                                    rep->fd_offset);
        if (r) rep->fd = -1;
    } else {
        r = MHD_create_response_from_buffer(rep->len, rep->data,
                                            rep->data ? MHD_RESPMEM_MUST_FREE
                                                      : MHD_RESPMEM_PERSISTENT);
        if (r) rep->data = NULL;
    }
    if (!r) return NULL;
    if (rep->json)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json");
    for (size_t i = 0; i < rep->nheaders; i++)
        MHD_add_response_header(r, rep->headers[i].name, rep->headers[i].value);
    return r;
}

static enum MHD_Result queue_reply(struct request_state *st)
{
    if (st->rep.status == 0)
        http_reply_error(&st->rep, 500, "EIO", "handler gave no reply");
    struct MHD_Response *r = reply_to_mhd(&st->rep);
    if (!r) return MHD_NO;
    enum MHD_Result ret =
        MHD_queue_response(st->conn, (unsigned)st->rep.status, r);
    MHD_destroy_response(r);
    st->queued = true;
    return ret;
}

/* ---- request accessors -------------------------------------------------- */

const char *http_request_arg(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_request_header(const struct http_request *req,
                                const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static void peer_text(struct MHD_Connection *conn, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, len, "?");
    if (!ci || !ci->client_addr) return;
    socklen_t slen = ci->client_addr->sa_family == AF_INET6
                         ? sizeof(struct sockaddr_in6)
                         : sizeof(struct sockaddr_in);
    getnameinfo(ci->client_addr, slen, buf, len, NULL, 0, NI_NUMERICHOST);
}

/* ---- request processing ------------------------------------------------- */

static bool route_path_matches(const struct http_route *r, const char *path,
                               const char **suffix)
{
    size_t plen = strlen(r->prefix);
    if (plen > 0 && r->prefix[plen - 1] == '/') {
        if (strncmp(path, r->prefix, plen) != 0) return false;
        *suffix = path + plen;
        return true;
    }
    if (strcmp(path, r->prefix) != 0) return false;
    *suffix = path + plen;
    return true;
}

/* Find the route; on failure fill rep with 404 or 405. */
static const struct http_route *route_find(struct request_state *st,
                                           const char *method, const char *path)
{
    bool path_known = false;
    for (const struct http_route *r = st->srv->cfg.routes; r && r->method;
         r++) {
        const char *suffix;
        if (!route_path_matches(r, path, &suffix)) continue;
        path_known = true;
        if (strcmp(r->method, method) == 0) {
            st->req.suffix = suffix;
            return r;
        }
    }
    if (path_known)
        http_reply_error(&st->rep, 405, "EINVAL", "method %s not allowed on %s",
                         method, path);
    else
        http_reply_error(&st->rep, 404, "ENOSYS", "no such endpoint %s", path);
    return NULL;
}

/* Check the signature over the raw path and query.  0, or rep filled. */
static int request_authenticate(struct request_state *st, const char *method)
{
    const struct auth_keys *keys = st->srv->cfg.keys;
    char peer[64], why[256] = "";
    const char *raw = st->uri ? st->uri : st->req.path;
    const char *q = strchr(raw, '?');
    size_t plen = q ? (size_t)(q - raw) : strlen(raw);
    char *path = strndup(raw, plen);
    if (!path) {
        http_reply_errno(&st->rep, ENOMEM, "out of memory");
        return -ENOMEM;
    }
    const char *header =
        MHD_lookup_connection_value(st->conn, MHD_HEADER_KIND, DFS_AUTH_HEADER);
    enum auth_role role = AUTH_ROLE_NONE;
    int rc = -EACCES;
    if (!header)
        snprintf(why, sizeof(why), "no %s header", DFS_AUTH_HEADER);
    else
        rc = auth_verify(keys, header, method, path, q ? q + 1 : "", time(NULL),
                         &role, st->signed_hash, why, sizeof(why));
    free(path);
    peer_text(st->conn, peer, sizeof(peer));
    if (rc < 0) {
        log_warn("refused %s %s from %s: %s", method, st->req.path, peer, why);
        http_reply_error(&st->rep, 401, "EACCES", "unauthenticated: %s", why);
        return -EACCES;
    }
    if (!(st->route->allowed_roles & (1u << role))) {
        log_warn("refused %s %s from %s: role %s not allowed", method,
                 st->req.path, peer, auth_role_name(role));
        http_reply_error(&st->rep, 403, "EPERM", "role %s may not %s %s",
                         auth_role_name(role), method, st->req.path);
        return -EPERM;
    }
    st->req.role = role;
    st->req.body_hash = st->signed_hash;
    /* A route whose sink proves the body against req->body_hash itself
     * (a chunk PUT: the store hashes it anyway) spares a second pass. */
    st->check_hash = !st->route->sink_checks_body_hash;
    chunk_hasher_init(&st->hasher);
    return 0;
}

/* Refuse a body the route cannot take, before reading it. */
static int request_check_length(struct request_state *st)
{
    size_t limit = st->route->body_limit;
    const char *cl = MHD_lookup_connection_value(
        st->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || *end) {
            http_reply_error(&st->rep, 400, "EINVAL", "bad Content-Length");
            return -EINVAL;
        }
        if (n > limit) {
            http_reply_error(&st->rep, 413, "EFBIG",
                             "body of %llu bytes over the limit of %zu", n,
                             limit);
            return -EFBIG;
        }
        return 0;
    }
    const char *te = MHD_lookup_connection_value(
        st->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (te && limit == 0) {
        http_reply_error(&st->rep, 413, "EFBIG", "no body accepted here");
        return -EFBIG;
    }
    return 0;
}

/* First call: everything that can be decided from the headers. */
static int request_begin(struct request_state *st, const char *url,
                         const char *method)
{
    st->req.method = method;
    st->req.path = url;
    st->req.conn = st->conn;
    st->route = route_find(st, method, url);
    if (!st->route) return -ENOENT;
    if (st->srv->cfg.keys) {
        int rc = request_authenticate(st, method);
        if (rc < 0) return rc;
    }
    int rc = request_check_length(st);
    if (rc < 0) return rc;
    if (st->route->stream_open) {
        st->req.stream =
            st->route->stream_open(&st->req, &st->rep, st->srv->cfg.ctx);
        if (!st->req.stream) {
            if (st->rep.status == 0)
                http_reply_errno(&st->rep, EIO, "cannot accept the body");
            return -EIO;
        }
        st->stream_open = true;
    }
    return 0;
}

static void stream_finish(struct request_state *st, bool ok)
{
    if (st->stream_open) {
        st->stream_open = false;
        st->route->stream_close(st->req.stream, ok);
    }
}

/* Mark the request failed with rep already filled; the rest of the body
 * is read and dropped, since MHD cannot send a reply mid-upload. */
static void request_fail(struct request_state *st)
{
    st->failed = true;
    stream_finish(st, false);
    free(st->buf);
    st->buf = NULL;
}

static int buffer_append(struct request_state *st, const char *data, size_t len)
{
    if (st->received + len + 1 > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->received + len + 1)
            cap *= 2;
        char *b = realloc(st->buf, cap);
        if (!b) return -ENOMEM;
        st->buf = b;
        st->cap = cap;
    }
    memcpy(st->buf + st->received, data, len);
    return 0;
}

static void request_data(struct request_state *st, const char *data, size_t len)
{
    if (st->failed) return;
    if (len > st->route->body_limit - st->received) {
        http_reply_error(&st->rep, 413, "EFBIG", "body over the limit of %zu",
                         st->route->body_limit);
        request_fail(st);
        return;
    }
    if (st->check_hash) chunk_hasher_update(&st->hasher, data, len);
    int rc = st->stream_open
                 ? st->route->stream_write(st->req.stream, data, len)
                 : buffer_append(st, data, len);
    if (rc < 0) {
        http_reply_errno(&st->rep, -rc, "cannot take the body");
        request_fail(st);
        return;
    }
    st->received += len;
}

/* Last call: the body is complete. */
static void request_end(struct request_state *st)
{
    if (st->failed) return;
    if (st->check_hash) {
        char got[CHUNK_ID_STRLEN];
        chunk_hasher_final(&st->hasher, got);
        if (strcmp(got, st->signed_hash) != 0) {
            http_reply_error(&st->rep, 400, "EINVAL",
                             "body does not match its signed hash");
            request_fail(st);
            return;
        }
    }
    if (!st->route->stream_open) {
        if (!st->buf && buffer_append(st, "", 0) < 0) {
            http_reply_errno(&st->rep, ENOMEM, "out of memory");
            return;
        }
        st->buf[st->received] = '\0';
        st->req.body = st->buf;
        st->req.body_len = st->received;
    }
    st->route->handle(&st->req, &st->rep, st->srv->cfg.ctx);
    stream_finish(st, true);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct request_state *st = *con_cls;
    if (!st) return MHD_NO; /* the URI callback always runs first */
    if (st->queued) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!st->started) {
        st->started = true;
        st->conn = conn;
        if (request_begin(st, url, method) < 0)
            return queue_reply(st); /* MHD skips the body, then closes */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        request_data(st, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    request_end(st);
    return queue_reply(st);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct request_state *st = calloc(1, sizeof(*st));
    if (!st) return NULL;
    st->srv = cls;
    st->conn = conn;
    st->uri = strdup(uri);
    st->rep.fd = -1;
    return st;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct request_state *st = *con_cls;
    if (!st) return;
    stream_finish(st, false); /* cut short: the handler never ran */
    reply_free(&st->rep);
    free(st->buf);
    free(st->uri);
    free(st);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_warn("http: %s", msg);
}

/* ---- socket and daemon -------------------------------------------------- */

static int listen_on(const struct addr *a, int *port, char *err, size_t errlen)
{
    char text[ADDR_TEXT_MAX], service[16];
    addr_format(a, text, sizeof(text));
    snprintf(service, sizeof(service), "%d", a->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *res;
    const char *host = a->host[0] && strcmp(a->host, "*") ? a->host : NULL;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", text,
                 gai_strerror(gai));
        return -EINVAL;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family,
                    ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                    ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, SERVER_LISTEN_BACKLOG) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", text, strerror(saved));
        return -saved;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port = ss.ss_family == AF_INET6
                ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* Read the certificate and key when TLS is asked for.  0 or -errno. */
static int tls_load(struct http_server *s, char *err, size_t errlen)
{
    const struct http_server_config *c = &s->cfg;
    size_t len;
    int rc;
    if (!c->tls_cert_file && !c->tls_key_file) return 0;
    if (!c->tls_cert_file || !c->tls_key_file) {
        snprintf(err, errlen, "TLS needs both a certificate and a key file");
        return -EINVAL;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen,
                 "this libmicrohttpd was built without TLS (GnuTLS); "
                 "cannot use %s", c->tls_cert_file);
        return -ENOTSUP;
    }
    rc = fs_read_file(c->tls_cert_file, SERVER_PEM_MAX, &s->tls_cert, &len);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read TLS certificate %s: %s",
                 c->tls_cert_file, strerror(-rc));
        return rc;
    }
    rc = fs_read_file(c->tls_key_file, SERVER_PEM_MAX, &s->tls_key, &len);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read TLS key %s: %s", c->tls_key_file,
                 strerror(-rc));
        return rc;
    }
    return 0;
}

static void server_free(struct http_server *s)
{
    if (s->tls_key) sodium_memzero(s->tls_key, strlen(s->tls_key));
    free(s->tls_key);
    free(s->tls_cert);
    free(s);
}

static void server_defaults(struct http_server_config *c)
{
    if (!c->threads) c->threads = SERVER_THREADS_DEFAULT;
    if (!c->connection_limit) c->connection_limit = SERVER_CONN_LIMIT_DEFAULT;
    if (!c->per_ip_connection_limit)
        c->per_ip_connection_limit = SERVER_PER_IP_LIMIT_DEFAULT;
    if (!c->timeout_s) c->timeout_s = SERVER_TIMEOUT_DEFAULT;
}

/* The per-connection pool: big only where some route streams its body. */
static size_t server_conn_memory(const struct http_server_config *c)
{
    for (const struct http_route *r = c->routes; r && r->method; r++)
        if (r->stream_open) return SERVER_CONN_MEMORY;
    return SERVER_CONN_MEMORY_SMALL;
}

/* MHD_start_daemon with our options; the TLS ones only when in use (an
 * empty key would make MHD fail). */
static struct MHD_Daemon *server_mhd_start(struct http_server *s, int fd)
{
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_END, 0, NULL}};
    if (s->tls_cert) {
        flags |= MHD_USE_TLS;
    } else {
        tls[0].option = MHD_OPTION_END;
    }
    /* The logger goes first so that MHD's complaints about later options
     * reach our log; a pool of one thread is MHD's single-thread mode. */
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, s, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads > 1 ? s->cfg.threads : 0,
        MHD_OPTION_CONNECTION_LIMIT, s->cfg.connection_limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->cfg.per_ip_connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, server_conn_memory(&s->cfg),
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
}

struct http_server *http_server_start(const struct http_server_config *cfg,
                                      char *err, size_t errlen)
{
    struct http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    server_defaults(&s->cfg);
    if (tls_load(s, err, errlen) < 0) {
        server_free(s);
        return NULL;
    }
    int fd = listen_on(&cfg->listen, &s->port, err, errlen);
    if (fd < 0) {
        server_free(s);
        return NULL;
    }
    s->daemon = server_mhd_start(s, fd);
    if (!s->daemon) {
        char text[ADDR_TEXT_MAX];
        snprintf(err, errlen, "cannot start the HTTP server on %s%s",
                 addr_format(&cfg->listen, text, sizeof(text)),
                 s->tls_cert ? " (is the TLS key valid and does it match "
                               "the certificate?)"
                             : "");
        close(fd);
        server_free(s);
        return NULL;
    }
    return s;
}

int http_server_port(const struct http_server *s)
{
    return s->port;
}

void http_server_stop(struct http_server *s)
{
    if (!s) return;
    MHD_stop_daemon(s->daemon); /* also closes the listening socket */
    server_free(s);
}
