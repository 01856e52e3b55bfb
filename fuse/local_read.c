/*
 * local_read.c - a pool of proven connections per local chunk server,
 * and the pread of the descriptors they hand over.
 */
#include "local_read.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "chunk_file.h"
#include "clock.h"
#include "local_chunk.h"
#include "log.h"

/* What we know of one server address. */
struct local_peer {
    char addr[ADDR_TEXT_MAX];
    int idle[LOCAL_READ_IDLE_MAX]; /* proven connections not in use */
    int nidle;
    long long absent_until_ms; /* no local server: HTTP until then */
};

struct local_read {
    pthread_mutex_t lock;
    struct auth_keys keys;
    bool direct; /* chunk_file_read may use O_DIRECT */
    struct local_peer *peers;
    size_t npeers, cap;
};

struct local_read *local_read_new(const struct auth_keys *keys, bool direct)
{
    struct local_read *lr = calloc(1, sizeof(*lr));
    if (!lr) return NULL;
    lr->direct = direct;
    pthread_mutex_init(&lr->lock, NULL);
    lr->keys = *keys;
    return lr;
}

void local_read_free(struct local_read *lr)
{
    if (!lr) return;
    for (size_t i = 0; i < lr->npeers; i++)
        for (int j = 0; j < lr->peers[i].nidle; j++)
            close(lr->peers[i].idle[j]);
    free(lr->peers);
    sodium_memzero(&lr->keys, sizeof(lr->keys));
    pthread_mutex_destroy(&lr->lock);
    free(lr);
}

/* The peer of addr, added when new; NULL on ENOMEM.  Under lr->lock. */
static struct local_peer *peer_of(struct local_read *lr, const char *addr)
{
    for (size_t i = 0; i < lr->npeers; i++)
        if (strcmp(lr->peers[i].addr, addr) == 0) return &lr->peers[i];
    if (strlen(addr) >= ADDR_TEXT_MAX) return NULL;
    if (lr->npeers == lr->cap) {
        size_t cap = lr->cap ? 2 * lr->cap : 8;
        struct local_peer *p = realloc(lr->peers, cap * sizeof(*p));
        if (!p) return NULL;
        lr->peers = p;
        lr->cap = cap;
    }
    struct local_peer *p = &lr->peers[lr->npeers++];
    memset(p, 0, sizeof(*p));
    strcpy(p->addr, addr);
    return p;
}

/* An idle connection to addr, or -1 with *absent when addr is known to
 * have no local server. */
static int take_idle(struct local_read *lr, const char *addr, bool *absent)
{
    int fd = -1;

    pthread_mutex_lock(&lr->lock);
    struct local_peer *p = peer_of(lr, addr);
    *absent = !p || p->absent_until_ms > clock_monotonic_ms();
    if (p && !*absent && p->nidle > 0) fd = p->idle[--p->nidle];
    pthread_mutex_unlock(&lr->lock);
    return fd;
}

static void give_back(struct local_read *lr, const char *addr, int fd)
{
    pthread_mutex_lock(&lr->lock);
    struct local_peer *p = peer_of(lr, addr);
    if (p && p->nidle < LOCAL_READ_IDLE_MAX) {
        p->idle[p->nidle++] = fd;
        fd = -1;
    }
    pthread_mutex_unlock(&lr->lock);
    if (fd >= 0) close(fd);
}

/* A connection to addr failed: the server went or restarted, so the idle
 * ones are dead too. */
static void drop_idle(struct local_read *lr, const char *addr)
{
    int fds[LOCAL_READ_IDLE_MAX], n = 0;

    pthread_mutex_lock(&lr->lock);
    struct local_peer *p = peer_of(lr, addr);
    if (p) {
        n = p->nidle;
        memcpy(fds, p->idle, sizeof(int) * (size_t)n);
        p->nidle = 0;
    }
    pthread_mutex_unlock(&lr->lock);
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

static void mark_absent(struct local_read *lr, const char *addr)
{
    pthread_mutex_lock(&lr->lock);
    struct local_peer *p = peer_of(lr, addr);
    if (p) p->absent_until_ms = clock_monotonic_ms() + LOCAL_READ_RETRY_MS;
    pthread_mutex_unlock(&lr->lock);
}

/* A proven connection to addr's local server, or -1 (HTTP then);
 * *pooled: it was idle in the pool (it may have died since). */
static int connect_peer(struct local_read *lr, const char *addr, bool *pooled)
{
    bool absent;
    int fd = take_idle(lr, addr, &absent);

    *pooled = fd >= 0;
    if (fd >= 0 || absent) return fd;
    fd = local_chunk_connect(addr, &lr->keys, LOCAL_READ_STEP_MS);
    if (fd >= 0) return fd;
    /* No server by that name here is the normal case of a remote one; a
     * process that holds the name but not the secret is not. */
    if (fd == -EACCES)
        log_warn("local reads from %s: the process on its socket and this "
                 "mount do not share the cluster secret; reading over HTTP",
                 addr);
    else if (fd != -ENOENT && fd != -ECONNREFUSED)
        log_warn("local reads from %s: %s; reading over HTTP", addr,
                 strerror(-fd));
    mark_absent(lr, addr);
    return -1;
}

/* The descriptor's bytes, checked as an HTTP reply's are. */
static int read_checked(const struct local_read *lr, int cfd,
                        const struct local_chunk_reply *r, const char *addr,
                        const char *id, size_t max_len,
                        enum chunk_verify verify, struct chunk_data **out)
{
    char got[CHUNK_ID_STRLEN];
    struct stat st;
    int rc;

    if (fstat(cfd, &st) < 0 || !S_ISREG(st.st_mode)) return -ENOTCONN;
    if ((uint64_t)st.st_size > max_len) {
        log_error("chunk %.12s from %s (local): %lld bytes, more than a "
                  "chunk",
                  id, addr, (long long)st.st_size);
        return -EBADMSG; /* cannot be the chunk: like bytes that fail */
    }
    rc = chunk_file_read(cfd, (size_t)st.st_size, lr->direct, out);
    if (rc < 0) return rc == -ENOMEM ? rc : -ENOTCONN;
    if (chunk_client_verified(id, (*out)->data, (*out)->len, r->check, verify,
                              addr, got))
        return 0;
    log_error("chunk %.12s from %s (local): bytes hash to %.12s, not the "
              "chunk id",
              id, addr, got);
    chunk_data_put(*out);
    *out = NULL;
    return -EBADMSG;
}

/* Ask addr for chunk id: 0 with *r (and *cfd when r->err is 0), or
 * -ENOTCONN.  A pooled connection that fails (the server restarted) is
 * dropped with the others idle, and a new one tried once, so a restarted
 * server is read locally again at once. */
static int request(struct local_read *lr, const char *addr, const char *id,
                   struct local_chunk_reply *r, int *cfd)
{
    for (;;) {
        bool pooled;
        int fd = connect_peer(lr, addr, &pooled);

        if (fd < 0) return -ENOTCONN;
        if (local_chunk_request(fd, id, r, cfd) == 0) {
            give_back(lr, addr, fd);
            return 0;
        }
        close(fd);
        drop_idle(lr, addr);
        if (!pooled) return -ENOTCONN; /* gone: HTTP says why */
    }
}

int local_read_fetch(struct local_read *lr, const char *addr, const char *id,
                     size_t max_len, enum chunk_verify verify,
                     struct chunk_data **out)
{
    struct local_chunk_reply r;
    int cfd, rc;

    *out = NULL;
    if (request(lr, addr, id, &r, &cfd) < 0) return -ENOTCONN;
    if (r.err != 0) return r.err == ENOENT ? -ENOENT : -ENOTCONN;
    rc = read_checked(lr, cfd, &r, addr, id, max_len, verify, out);
    close(cfd);
    return rc;
}
