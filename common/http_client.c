/*
 * http_client.c - signed HTTP/1.1 requests over a pool of curl handles.
 *
 * Keep-alive lives in curl's connection caches, which belong to a handle
 * (easy, or multi for parallel calls).  So handles are pooled rather than
 * made per call, and a call takes preferably the handle that last talked
 * to the same host, which still holds that connection open.  Only the DNS
 * and TLS session caches are put in a CURLSH: curl documents sharing the
 * connection cache between concurrently running threads as unsupported.
 *
 * PUT/POST bodies go through CURLOPT_POSTFIELDS with an explicit size and
 * an empty "Expect:" header, so curl sends the body at once instead of
 * waiting up to a second for "100 Continue".
 */
#include "http_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "addr.h"
#include "chunk_id.h"
#include "errname.h"
#include "json_util.h"
#include "wire.h"

/* Receive buffer of each transfer (curl allows up to 512 KiB). */
#define CLIENT_RECV_BUFFER (512L * 1024)
#define CLIENT_CONNECT_TIMEOUT_MAX_MS 5000
#define CLIENT_MAXCONNECTS 16        /* per handle: master + chunk servers */
#define CLIENT_BODY_MAX (256u << 20) /* refuse replies larger than this */

struct pooled_easy {
    CURL *easy;
    char host[ADDR_TEXT_MAX]; /* host it last talked to */
};

struct http_client {
    struct auth_keys keys;
    bool signed_requests;
    char *tls_ca;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    struct pooled_easy *easies; /* free list; last is most recently used */
    size_t neasy, easy_cap;
    CURLM **multis;
    size_t nmulti, multi_cap;
};

/* One transfer's private data. */
struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    struct http_response *resp;
    size_t cap;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_ALL);
}

/* ---- share locks and pools ---------------------------------------------- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access,
                       void *p)
{
    (void)h;
    (void)access;
    struct http_client *c = p;
    pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *p)
{
    (void)h;
    struct http_client *c = p;
    pthread_mutex_unlock(&c->share_locks[data]);
}

struct http_client *http_client_new(const struct auth_keys *keys,
                                    const char *tls_ca)
{
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) return NULL;
    struct http_client *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    if (keys) {
        c->keys = *keys;
        c->signed_requests = true;
    }
    if (tls_ca && !(c->tls_ca = strdup(tls_ca))) {
        free(c);
        return NULL;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    pthread_mutex_init(&c->pool_lock, NULL);
    c->share = curl_share_init();
    if (!c->share) {
        http_client_free(c);
        return NULL;
    }
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->nmulti; i++)
        curl_multi_cleanup(c->multis[i]);
    for (size_t i = 0; i < c->neasy; i++)
        curl_easy_cleanup(c->easies[i].easy);
    free(c->multis);
    free(c->easies);
    if (c->share) curl_share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_locks[i]);
    pthread_mutex_destroy(&c->pool_lock);
    free(c->tls_ca);
    free(c);
}

/* A handle for hostport: one that last talked to it if any is free. */
static CURL *easy_take(struct http_client *c, const char *hostport)
{
    CURL *easy = NULL;
    pthread_mutex_lock(&c->pool_lock);
    if (c->neasy > 0) {
        size_t pick = c->neasy - 1;
        for (size_t i = c->neasy; i-- > 0;) {
            if (strcmp(c->easies[i].host, hostport) == 0) {
                pick = i;
                break;
            }
        }
        easy = c->easies[pick].easy;
        c->easies[pick] = c->easies[--c->neasy];
    }
    pthread_mutex_unlock(&c->pool_lock);
    if (easy) return easy;
    easy = curl_easy_init();
    if (easy) curl_easy_setopt(easy, CURLOPT_SHARE, c->share);
    return easy;
}

static void easy_give(struct http_client *c, CURL *easy, const char *hostport)
{
    pthread_mutex_lock(&c->pool_lock);
    if (c->neasy == c->easy_cap) {
        size_t cap = c->easy_cap ? c->easy_cap * 2 : 8;
        struct pooled_easy *e = realloc(c->easies, cap * sizeof(*e));
        if (!e) {
            pthread_mutex_unlock(&c->pool_lock);
            curl_easy_cleanup(easy);
            return;
        }
        c->easies = e;
        c->easy_cap = cap;
    }
    c->easies[c->neasy].easy = easy;
    snprintf(c->easies[c->neasy].host, ADDR_TEXT_MAX, "%s", hostport);
    c->neasy++;
    pthread_mutex_unlock(&c->pool_lock);
}

static CURLM *multi_take(struct http_client *c)
{
    CURLM *m = NULL;
    pthread_mutex_lock(&c->pool_lock);
    if (c->nmulti > 0) m = c->multis[--c->nmulti];
    pthread_mutex_unlock(&c->pool_lock);
    if (!m && (m = curl_multi_init()))
        curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 4L * CLIENT_MAXCONNECTS);
    return m;
}

static void multi_give(struct http_client *c, CURLM *m)
{
    pthread_mutex_lock(&c->pool_lock);
    if (c->nmulti == c->multi_cap) {
        size_t cap = c->multi_cap ? c->multi_cap * 2 : 4;
        CURLM **p = realloc(c->multis, cap * sizeof(*p));
        if (!p) {
            pthread_mutex_unlock(&c->pool_lock);
            curl_multi_cleanup(m);
            return;
        }
        c->multis = p;
        c->multi_cap = cap;
    }
    c->multis[c->nmulti++] = m;
    pthread_mutex_unlock(&c->pool_lock);
}

/* ---- one transfer -------------------------------------------------------- */

/* Keep the X-Dfs-Check header of a reply (a chunk's fast checksum). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *p)
{
    struct transfer *t = p;
    size_t n = size * nmemb, name = sizeof(DFS_CHECK_HEADER) - 1;
    char *r = t->resp->check;

    if (n > name && data[name] == ':' &&
        strncasecmp(data, DFS_CHECK_HEADER, name) == 0) {
        const char *v = data + name + 1, *end = data + n;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
                           end[-1] == ' '))
            end--;
        if ((size_t)(end - v) < sizeof(t->resp->check)) {
            memcpy(r, v, (size_t)(end - v));
            r[end - v] = '\0';
        }
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *p)
{
    struct transfer *t = p;
    struct http_response *r = t->resp;
    size_t n = size * nmemb;
    if (r->body_len + n + 1 > t->cap) {
        if (r->body_len + n + 1 > CLIENT_BODY_MAX) {
            t->too_big = true;
            return 0;
        }
        /* Reserve the announced length at once: chunk GETs are 4 MiB. */
        curl_off_t announced = -1;
        curl_easy_getinfo(t->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                          &announced);
        size_t cap = t->cap ? t->cap * 2 : 4096;
        if (announced > 0 && (size_t)announced < CLIENT_BODY_MAX &&
            (size_t)announced + 1 > cap)
            cap = (size_t)announced + 1;
        while (cap < r->body_len + n + 1)
            cap *= 2;
        char *b = realloc(r->body, cap);
        if (!b) return 0;
        r->body = b;
        t->cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

static int add_header(struct transfer *t, const char *h)
{
    struct curl_slist *l = curl_slist_append(t->headers, h);
    if (!l) return -ENOMEM;
    t->headers = l;
    return 0;
}

/* X-Dfs-Auth over method, path, query and the body's hash. */
static int sign_request(struct http_client *c, struct transfer *t,
                        const char *method, const char *path, const void *body,
                        size_t body_len, const char *body_hash)
{
    const char *q = strchr(path, '?');
    size_t plen = q ? (size_t)(q - path) : strlen(path);
    char *p = strndup(path, plen);
    if (!p) return -ENOMEM;
    char hash[CHUNK_ID_STRLEN], sig[AUTH_HEADER_MAX];
    char line[sizeof(DFS_AUTH_HEADER) + AUTH_HEADER_MAX + 4];
    /* Hashing 4 MiB costs milliseconds: a chunk PUT passes its id, which
     * is the body's hash by definition, instead of hashing it again. */
    if (body_hash)
        snprintf(hash, sizeof(hash), "%s", body_hash);
    else
        chunk_id_compute(body ? body : "", body ? body_len : 0, hash);
    auth_sign(&c->keys, method, p, q ? q + 1 : "", hash, time(NULL), sig);
    free(p);
    snprintf(line, sizeof(line), "%s: %s", DFS_AUTH_HEADER, sig);
    return add_header(t, line);
}

static void set_method(CURL *e, const char *method, const void *body,
                       size_t body_len)
{
    if (strcmp(method, "GET") == 0 && !body) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        return;
    }
    if (body || strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(body ? body_len : 0));
    }
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
}

/* true if one of the extra header lines (NULL-terminated) is a
 * Content-Type: a body gets exactly one. */
static bool has_content_type(const char *const *extra)
{
    static const char name[] = "Content-Type:";
    for (size_t i = 0; extra && extra[i]; i++)
        if (strncasecmp(extra[i], name, sizeof(name) - 1) == 0) return true;
    return false;
}

/* Configure t->easy for one request.  0 or -errno. */
static int transfer_setup(struct http_client *c, struct transfer *t,
                          const char *hostport, const char *method,
                          const char *path, const void *body, size_t body_len,
                          const char *body_hash, const char *const *extra,
                          long timeout_ms)
{
    CURL *e = t->easy;
    curl_easy_reset(e); /* keeps the share and the open connections */
    size_t ulen = strlen(hostport) + strlen(path) + 16;
    char *url = malloc(ulen);
    if (!url) return -ENOMEM;
    snprintf(url, ulen, "%s://%s%s", c->tls_ca ? "https" : "http", hostport,
             path);
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url); /* curl copies string options */
    set_method(e, method, body, body_len);
    if (add_header(t, "Expect:") < 0 ||
        (body && !has_content_type(extra) &&
         add_header(t, "Content-Type: application/octet-stream") < 0))
        return -ENOMEM;
    for (size_t i = 0; extra && extra[i]; i++)
        if (add_header(t, extra[i]) < 0) return -ENOMEM;
    if (c->signed_requests &&
        sign_request(c, t, method, path, body, body_len, body_hash) < 0)
        return -ENOMEM;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (timeout_ms <= 0) timeout_ms = 30000;
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout_ms < CLIENT_CONNECT_TIMEOUT_MAX_MS
                         ? timeout_ms
                         : (long)CLIENT_CONNECT_TIMEOUT_MAX_MS);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* Peers are cluster addresses, never reached through a proxy; set
     * explicitly, curl also stops reading the proxy variables of the
     * environment on every request. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    /* A 4 MiB chunk in 16 KiB reads (curl's default) is 256 recv calls and
     * callbacks; in CLIENT_RECV_BUFFER pieces it is a handful.  Only GETs
     * get it: curl allocates the buffer again for every request, and for
     * the small replies of PUTs and master calls that 512 KiB malloc (and
     * the heap consolidation it triggers) was a tenth of mount.dfs's CPU
     * in a loop of small-file creates. */
    if (strcmp(method, "GET") == 0)
        curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)CLIENT_RECV_BUFFER);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_MAXCONNECTS, (long)CLIENT_MAXCONNECTS);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, c->tls_ca ? "https" : "http");
    if (c->tls_ca) {
        /* Only the cluster's CA, and the name or IP in the address must
         * be in the server's certificate (curl's defaults, made explicit
         * so that nobody turns them off by accident). */
        curl_easy_setopt(e, CURLOPT_CAINFO, c->tls_ca);
        curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    return 0;
}

static int curl_errno(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

/* Fill resp from a finished transfer; returns the http_request result. */
static int transfer_finish(struct transfer *t, CURLcode cc)
{
    struct http_response *r = t->resp;
    curl_slist_free_all(t->headers);
    t->headers = NULL;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
        return 0;
    }
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
    r->status = 0;
    if (t->too_big)
        snprintf(r->error, sizeof(r->error), "reply larger than %u bytes",
                 CLIENT_BODY_MAX);
    else
        snprintf(r->error, sizeof(r->error), "%s",
                 t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc));
    return curl_errno(cc);
}

static void response_init(struct http_response *r)
{
    memset(r, 0, sizeof(*r));
}

int http_request(struct http_client *c, const char *hostport,
                 const char *method, const char *path, const void *body,
                 size_t body_len, const char *const *extra_headers,
                 long timeout_ms, struct http_response *resp)
{
    response_init(resp);
    struct transfer t = {.resp = resp};
    t.easy = easy_take(c, hostport);
    if (!t.easy) {
        snprintf(resp->error, sizeof(resp->error), "cannot create a handle");
        return -ENOMEM;
    }
    int rc = transfer_setup(c, &t, hostport, method, path, body, body_len, NULL,
                            extra_headers, timeout_ms);
    if (rc < 0) {
        curl_slist_free_all(t.headers);
        snprintf(resp->error, sizeof(resp->error), "out of memory");
        easy_give(c, t.easy, hostport);
        return rc;
    }
    rc = transfer_finish(&t, curl_easy_perform(t.easy));
    easy_give(c, t.easy, hostport);
    return rc;
}

void http_response_free(struct http_response *r)
{
    if (!r) return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

/* ---- JSON ---------------------------------------------------------------- */

int http_response_json(const struct http_response *resp, const char *hostport,
                       json_object **reply, char *err, size_t errlen)
{
    char perr[256];
    json_object *o = NULL;
    *reply = NULL;
    if (resp->status >= 200 && resp->status < 300) {
        if (resp->body_len == 0) {
            *reply = json_object_new_object();
            return *reply ? 0 : -ENOMEM;
        }
        if (json_parse_object_max(resp->body, resp->body_len,
                                  DFS_JSON_REPLY_MAX, &o, perr,
                                  sizeof(perr)) < 0) {
            snprintf(err, errlen, "bad reply from %s: %s", hostport, perr);
            return -EIO;
        }
        *reply = o;
        return 0;
    }
    const char *name = NULL, *msg = NULL;
    if (resp->body_len > 0 &&
        json_parse_object_max(resp->body, resp->body_len, DFS_JSON_REPLY_MAX,
                              &o, perr, sizeof(perr)) == 0) {
        json_object *v;
        if (json_object_object_get_ex(o, K_ERROR, &v) &&
            json_object_is_type(v, json_type_string))
            name = json_object_get_string(v);
        if (json_object_object_get_ex(o, K_MESSAGE, &v) &&
            json_object_is_type(v, json_type_string))
            msg = json_object_get_string(v);
    }
    int rc = -EIO;
    if (name) {
        rc = -errname_to_errno(name);
        snprintf(err, errlen, "%s: %s", hostport, msg ? msg : name);
    } else {
        snprintf(err, errlen, "%s: HTTP status %ld", hostport, resp->status);
    }
    json_object_put(o);
    return rc;
}

const char *const http_json_headers[] = {"Content-Type: application/json",
                                         NULL};

const char *http_json_text(json_object *req, size_t *len)
{
    const char *body = NULL;
    *len = 0;
    if (req) {
        body = json_object_to_json_string_ext(
            req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        *len = strlen(body);
    }
    return body;
}

int http_json(struct http_client *c, const char *hostport, const char *method,
              const char *path, json_object *req, long timeout_ms,
              json_object **reply, char *err, size_t errlen)
{
    size_t len;
    const char *body = http_json_text(req, &len);
    struct http_response resp;
    *reply = NULL;
    int rc = http_request(c, hostport, method, path, body, len,
                          http_json_headers, timeout_ms, &resp);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", hostport, resp.error);
        return rc;
    }
    rc = http_response_json(&resp, hostport, reply, err, errlen);
    http_response_free(&resp);
    return rc;
}

/* ---- parallel ------------------------------------------------------------ */

static void parallel_run(CURLM *m, struct transfer *ts, size_t n,
                         struct http_parallel_request *reqs)
{
    int running = 1;
    while (running) {
        if (curl_multi_perform(m, &running) != CURLM_OK) break;
        if (running && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
            break;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        for (size_t i = 0; i < n; i++) {
            if (ts[i].easy == msg->easy_handle) {
                reqs[i].rc = transfer_finish(&ts[i], msg->data.result);
                break;
            }
        }
    }
}

void http_request_parallel(struct http_client *c,
                           struct http_parallel_request *reqs, size_t n,
                           long timeout_ms)
{
    struct transfer *ts = calloc(n ? n : 1, sizeof(*ts));
    CURLM *m = ts ? multi_take(c) : NULL;
    for (size_t i = 0; i < n; i++) {
        response_init(&reqs[i].resp);
        reqs[i].rc = -ENOMEM;
        snprintf(reqs[i].resp.error, sizeof(reqs[i].resp.error),
                 "out of memory");
    }
    if (!m) {
        free(ts);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        ts[i].resp = &reqs[i].resp;
        ts[i].easy = easy_take(c, reqs[i].hostport);
        if (!ts[i].easy ||
            transfer_setup(c, &ts[i], reqs[i].hostport, reqs[i].method,
                           reqs[i].path, reqs[i].body, reqs[i].body_len,
                           reqs[i].body_hash, NULL, timeout_ms) < 0 ||
            curl_multi_add_handle(m, ts[i].easy) != CURLM_OK) {
            curl_slist_free_all(ts[i].headers);
            ts[i].headers = NULL;
            if (ts[i].easy) easy_give(c, ts[i].easy, reqs[i].hostport);
            ts[i].easy = NULL;
            continue;
        }
        /* Until curl reports the transfer done, it did not finish. */
        reqs[i].rc = -EIO;
        snprintf(reqs[i].resp.error, sizeof(reqs[i].resp.error),
                 "transfer did not complete");
    }
    parallel_run(m, ts, n, reqs);
    for (size_t i = 0; i < n; i++) {
        if (!ts[i].easy) continue;
        curl_multi_remove_handle(m, ts[i].easy);
        curl_slist_free_all(ts[i].headers);
        if (reqs[i].rc < 0) /* unfinished: drop any partial body */
            http_response_free(&reqs[i].resp);
        easy_give(c, ts[i].easy, reqs[i].hostport);
    }
    multi_give(c, m);
    free(ts);
}
