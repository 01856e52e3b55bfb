/*
 * http_client.h - HTTP/1.1 requests to dfs servers over libcurl.
 *
 * One struct http_client per process (or per role) is shared by all
 * threads: it keeps a pool of curl easy handles whose connection cache is
 * shared (CURLSH), so connections to the master and every chunk server are
 * kept alive and reused across calls and threads.  Every request is signed
 * with the client's auth keys (auth.h) when keys are given.
 *
 * Calls never hang forever: each has a timeout (connect + total).  Retrying
 * is the caller's policy (master_client retries for a bounded time).
 */
#ifndef DFS_HTTP_CLIENT_H
#define DFS_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "auth.h"

struct http_client;

struct http_response {
    long status;     /* HTTP status; 0 when no response (transport error) */
    char *body;      /* malloc'd, NUL-terminated; NULL when empty */
    size_t body_len;
    char error[256]; /* transport error text when status == 0 */
    char check[64];  /* the X-Dfs-Check header's value, or "" */
};

/* keys may be NULL (unsigned requests).  tls_ca may be NULL. */
struct http_client *http_client_new(const struct auth_keys *keys,
                                    const char *tls_ca);
void http_client_free(struct http_client *c);

/* One request.  hostport "127.0.0.1:9000"; path begins with '/', may carry
 * "?query".  body may be NULL.  extra_headers: NULL-terminated list of
 * "Name: value" strings, or NULL.  Returns 0 when a response arrived (any
 * status, see resp->status) and -EIO/-ETIMEDOUT/-ECONNREFUSED... when none
 * did.  resp must be released with http_response_free. */
int http_request(struct http_client *c, const char *hostport,
                 const char *method, const char *path, const void *body,
                 size_t body_len, const char *const *extra_headers,
                 long timeout_ms, struct http_response *resp);

/* Like http_request with a JSON body (req may be NULL for GET) and a JSON
 * reply.  On 2xx: 0 and *reply (caller puts).  On an error reply with a
 * dfs error body: -errno from its "error" name (message copied to err).
 * No response: -EIO (or the transport errno) with curl's text in err. */
int http_json(struct http_client *c, const char *hostport, const char *method,
              const char *path, json_object *req, long timeout_ms,
              json_object **reply, char *err, size_t errlen);

/* The encoding half of http_json, for callers that send one body several
 * times (master_client's retries): the compact text of req (owned by req;
 * NULL and *len 0 for no body) and the headers that go with it. */
const char *http_json_text(json_object *req, size_t *len);
extern const char *const http_json_headers[];

/* The decoding half of http_json, for a response already received: for
 * callers that look at resp->status first (master_client retries 5xx). */
int http_response_json(const struct http_response *resp, const char *hostport,
                       json_object **reply, char *err, size_t errlen);

/* Several requests at once (curl multi), e.g. one chunk to three replicas.
 * All run in parallel; returns when all have finished.  Each result is in
 * reqs[i].resp / reqs[i].rc as for http_request. */
struct http_parallel_request {
    const char *hostport;
    const char *method;
    const char *path;
    const void *body;
    size_t body_len;
    /* hex BLAKE2b-256 of the body when the caller knows it (a chunk PUT:
     * the chunk id), else NULL and it is computed for the signature */
    const char *body_hash;
    int rc;                    /* out */
    struct http_response resp; /* out */
};
void http_request_parallel(struct http_client *c,
                           struct http_parallel_request *reqs, size_t n,
                           long timeout_ms);

void http_response_free(struct http_response *r);

#endif
