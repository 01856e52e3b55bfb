/*
 * http_server.h - the HTTP side of every dfs daemon, over libmicrohttpd.
 *
 * A daemon gives a table of routes; this module owns the socket, the
 * threads, body collection, size limits and authentication, then calls the
 * route's handler with a complete request and sends what it put in the
 * reply.  Handlers never see MHD.
 *
 * Authentication: when the server has keys, every request must carry a
 * valid DFS_AUTH_HEADER whose role is in the route's allowed_roles mask
 * (1u << AUTH_ROLE_X); otherwise 401 (or 403 for a valid but wrong role),
 * logged, before the body is read.  The body's hash is checked against the
 * signed one before the handler runs (streamed bodies: the module checks
 * it at the end and tells the sink to discard on mismatch).
 *
 * Bodies: a request whose Content-Length exceeds the route's body_limit
 * gets 413 without its body being read.  Buffered routes get the whole
 * body in req->body; streaming routes (stream_open != NULL) get it piece
 * by piece, which chunkd uses to hash and write a chunk as it arrives.
 *
 * Exhaustion: one polling thread per worker with epoll, so an idle or
 * slow connection costs a slot, not a thread; slots are capped in total
 * and per client address, and a connection idle for timeout_s is closed.
 *
 * TLS (optional): with tls_cert_file and tls_key_file the server speaks
 * only https (GnuTLS inside libmicrohttpd); plain requests fail the
 * handshake.  A whole cluster is either TLS or not.
 */
#ifndef DFS_HTTP_SERVER_H
#define DFS_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "addr.h"
#include "auth.h"

struct http_server;

struct http_request {
    const char *method;  /* "GET", "PUT", ... */
    const char *path;    /* URL path, no query */
    const char *suffix;  /* path after the route's prefix */
    enum auth_role role; /* authenticated role (AUTH_ROLE_NONE if no keys) */
    const char *body_hash; /* signed hex hash of the body; NULL w/o keys */
    const char *body;    /* buffered routes: whole body (NUL-terminated) */
    size_t body_len;
    void *stream;        /* streaming routes: what stream_open returned */
    void *conn;          /* private to http_server */
};

/* Query argument or request header by name; NULL if absent. */
const char *http_request_arg(const struct http_request *req, const char *name);
const char *http_request_header(const struct http_request *req,
                                const char *name);

struct http_reply; /* filled by the handler through the functions below */

void http_reply_json(struct http_reply *rep, int status, json_object *body);
/* {"error": errname(err), "message": ...} with errname_http_status(err). */
void http_reply_errno(struct http_reply *rep, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* {"error": code, "message": ...} with an explicit status. */
void http_reply_error(struct http_reply *rep, int status, const char *code,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void http_reply_empty(struct http_reply *rep, int status);
void http_reply_bytes(struct http_reply *rep, int status, const void *data,
                      size_t len); /* copied */
/* Send len bytes of fd from offset (sendfile); the module closes fd. */
void http_reply_fd(struct http_reply *rep, int status, int fd, uint64_t offset,
                   uint64_t len);
void http_reply_header(struct http_reply *rep, const char *name,
                       const char *value);

typedef void (*http_handler_fn)(struct http_request *req,
                                struct http_reply *rep, void *ctx);

struct http_route {
    const char *method;      /* exact match */
    const char *prefix;      /* exact path, or prefix if it ends with '/' */
    unsigned allowed_roles;  /* mask of 1u << AUTH_ROLE_*; ignored w/o keys */
    size_t body_limit;       /* 0 = no body accepted */
    http_handler_fn handle;  /* called once the body is complete */
    /* Streaming body (optional).  open may refuse by filling rep and
     * returning NULL (the body is then not read).  write returns 0 or
     * -errno (which aborts the request with that error).  close is called
     * exactly once, with ok=false when the body was cut short, too long,
     * or did not match its signed hash; then the handler is not called.
     * On success the handler runs first (req->stream still valid) and
     * close(stream, true) follows it, so close may always free. */
    void *(*stream_open)(struct http_request *req, struct http_reply *rep,
                         void *ctx);
    int (*stream_write)(void *stream, const char *data, size_t len);
    void (*stream_close)(void *stream, bool ok);
    /* Streaming routes only: the sink itself refuses a body that does not
     * hash to req->body_hash (when it is not NULL), so the server skips its
     * own hash of the body.  chunkd's PUT sets this: its store verifies the
     * chunk against its id, and stream_open checks body_hash == id. */
    bool sink_checks_body_hash;
};

struct http_server_config {
    struct addr listen;            /* port 0 = any free port */
    const struct http_route *routes; /* terminated by a {0} entry */
    void *ctx;                     /* passed to handlers */
    const struct auth_keys *keys;  /* NULL = no authentication */
    unsigned threads;              /* worker threads, default 4 */
    unsigned connection_limit;     /* default 1024 */
    unsigned timeout_s;            /* idle connection timeout, default 30 */
    /* Added for TLS and connection limits (zero/NULL = the old behaviour). */
    unsigned per_ip_connection_limit; /* default 128 */
    const char *tls_cert_file;     /* PEM; with tls_key_file: serve https */
    const char *tls_key_file;      /* PEM private key (unencrypted) */
};

/* Bind and start serving in background threads.  On failure NULL with a
 * message in err that names the address ("address already in use"). */
struct http_server *http_server_start(const struct http_server_config *cfg,
                                      char *err, size_t errlen);

/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *s);

void http_server_stop(struct http_server *s);

#endif
