/*
 * local_chunk.c - the socket, the proofs and the messages of local reads.
 *
 * Everything here is one blocking message at a time with the socket's
 * timeouts; the callers (chunkd/local_server.c, fuse/local_read.c) own
 * the loops and decide what a failure means.
 */
#include "local_chunk.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LOCAL_CHUNK_PREFIX "dfs-chunkd@"
#define LOCAL_CHUNK_MAGIC "dfslocal"
#define LOCAL_CHUNK_TAG_BYTES 8

struct local_hello {
    char magic[8];
    uint32_t version;
    unsigned char nonce[LOCAL_CHUNK_NONCE_BYTES];
};

struct local_proof {
    unsigned char nonce[LOCAL_CHUNK_NONCE_BYTES]; /* zero from the server */
    unsigned char mac[AUTH_BLOB_MAC_BYTES];
};

struct local_request {
    char id[CHUNK_ID_STRLEN];
};

/* The abstract address of the server advertised as addr. */
static int local_chunk_name(const char *addr, struct sockaddr_un *sa,
                            socklen_t *len)
{
    size_t p = strlen(LOCAL_CHUNK_PREFIX), a = strlen(addr), n = p + a;

    /* an abstract name is its bytes, with no terminating NUL */
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    if (n + 1 > sizeof(sa->sun_path)) return -ENAMETOOLONG;
    memcpy(sa->sun_path + 1, LOCAL_CHUNK_PREFIX, p);
    memcpy(sa->sun_path + 1 + p, addr, a);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    return 0;
}

static void set_timeouts(int fd, int timeout_ms)
{
    struct timeval tv = {.tv_sec = timeout_ms / 1000,
                         .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int send_msg(int fd, const void *msg, size_t len, int attach_fd)
{
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (attach_fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &attach_fd, sizeof(int));
    }
    ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN ? -ETIMEDOUT : -errno;
    return (size_t)n == len ? 0 : -EPROTO;
}

/* One message of exactly len bytes; a descriptor that came with it goes
 * to *got_fd when asked for, and is closed otherwise. */
static int recv_msg(int fd, void *msg, size_t len, int *got_fd)
{
    struct iovec iov = {.iov_base = msg, .iov_len = len};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = ctl.buf,
                        .msg_controllen = sizeof(ctl.buf)};
    int passed = -1;

    if (got_fd) *got_fd = -1;
    ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    if (n < 0) return errno == EAGAIN ? -ETIMEDOUT : -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
            memcpy(&passed, CMSG_DATA(c), sizeof(int));
    if (n == 0) return -EPIPE;
    if ((size_t)n != len || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
        (passed >= 0 && !got_fd)) {
        if (passed >= 0) close(passed);
        return -EPROTO;
    }
    if (got_fd) *got_fd = passed;
    return 0;
}

/* What a role's proof is a mac of: tag || first || second. */
struct proof_msg {
    unsigned char b[LOCAL_CHUNK_TAG_BYTES + 2 * LOCAL_CHUNK_NONCE_BYTES];
};

static struct proof_msg proof_msg(enum auth_role role,
                                  const unsigned char *first,
                                  const unsigned char *second)
{
    struct proof_msg m = {{0}};

    snprintf((char *)m.b, LOCAL_CHUNK_TAG_BYTES, "%s", auth_role_name(role));
    memcpy(m.b + LOCAL_CHUNK_TAG_BYTES, first, LOCAL_CHUNK_NONCE_BYTES);
    memcpy(m.b + LOCAL_CHUNK_TAG_BYTES + LOCAL_CHUNK_NONCE_BYTES, second,
           LOCAL_CHUNK_NONCE_BYTES);
    return m;
}

static int prove(const struct auth_keys *k, enum auth_role role,
                 const unsigned char *first, const unsigned char *second,
                 unsigned char mac[AUTH_BLOB_MAC_BYTES])
{
    struct proof_msg m = proof_msg(role, first, second);
    return auth_mac_blob(k, role, m.b, sizeof(m.b), mac);
}

static int check_proof(const struct auth_keys *k, enum auth_role role,
                       const unsigned char *first, const unsigned char *second,
                       const unsigned char mac[AUTH_BLOB_MAC_BYTES])
{
    struct proof_msg m = proof_msg(role, first, second);
    return auth_check_blob(k, role, m.b, sizeof(m.b), mac);
}

int local_chunk_listen(const char *addr, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    socklen_t len;
    int fd, rc = local_chunk_name(addr, &sa, &len);

    if (rc < 0) {
        snprintf(err, errlen, "address %s too long for a socket name", addr);
        return rc;
    }
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 ||
        listen(fd, 64) < 0) {
        rc = -errno;
        snprintf(err, errlen, "local read socket @%s%s: %s", LOCAL_CHUNK_PREFIX,
                 addr, strerror(-rc));
        if (fd >= 0) close(fd);
        return rc;
    }
    return fd;
}

/* The client's half of the proofs on a connected socket. */
static int client_prove(int fd, const struct auth_keys *k)
{
    struct local_hello hello;
    struct local_proof mine, theirs;
    int rc = recv_msg(fd, &hello, sizeof(hello), NULL);

    if (rc < 0) return rc;
    if (memcmp(hello.magic, LOCAL_CHUNK_MAGIC, sizeof(hello.magic)) != 0 ||
        hello.version != LOCAL_CHUNK_VERSION)
        return -EPROTO;
    randombytes_buf(mine.nonce, sizeof(mine.nonce));
    rc = prove(k, AUTH_ROLE_CLIENT, hello.nonce, mine.nonce, mine.mac);
    if (rc == 0) rc = send_msg(fd, &mine, sizeof(mine), -1);
    if (rc == 0) rc = recv_msg(fd, &theirs, sizeof(theirs), NULL);
    if (rc == 0)
        rc = check_proof(k, AUTH_ROLE_CHUNKD, mine.nonce, hello.nonce,
                         theirs.mac);
    return rc == -EPIPE ? -EACCES : rc; /* a server that hangs up refused */
}

int local_chunk_connect(const char *addr, const struct auth_keys *k,
                        int timeout_ms)
{
    struct sockaddr_un sa;
    socklen_t len;
    int fd, rc = local_chunk_name(addr, &sa, &len);

    if (rc < 0) return rc;
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    set_timeouts(fd, timeout_ms);
    if (connect(fd, (struct sockaddr *)&sa, len) < 0)
        rc = -errno;
    else
        rc = client_prove(fd, k);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

int local_chunk_accept(int fd, const struct auth_keys *k, int timeout_ms)
{
    struct local_hello hello = {.version = LOCAL_CHUNK_VERSION};
    struct local_proof theirs, mine = {{0}, {0}};
    int rc;

    set_timeouts(fd, timeout_ms);
    memcpy(hello.magic, LOCAL_CHUNK_MAGIC, sizeof(hello.magic));
    randombytes_buf(hello.nonce, sizeof(hello.nonce));
    rc = send_msg(fd, &hello, sizeof(hello), -1);
    if (rc == 0) rc = recv_msg(fd, &theirs, sizeof(theirs), NULL);
    if (rc == 0)
        rc = check_proof(k, AUTH_ROLE_CLIENT, hello.nonce, theirs.nonce,
                         theirs.mac);
    if (rc == 0)
        rc = prove(k, AUTH_ROLE_CHUNKD, theirs.nonce, hello.nonce, mine.mac);
    if (rc == 0) rc = send_msg(fd, &mine, sizeof(mine), -1);
    return rc;
}

int local_chunk_request(int fd, const char *id, struct local_chunk_reply *r,
                        int *chunk_fd)
{
    struct local_request q = {{0}};
    int rc;

    *chunk_fd = -1;
    if (!chunk_id_valid(id)) return -EINVAL;
    memcpy(q.id, id, CHUNK_ID_STRLEN);
    rc = send_msg(fd, &q, sizeof(q), -1);
    if (rc == 0) rc = recv_msg(fd, r, sizeof(*r), chunk_fd);
    if (rc < 0) return rc;
    r->check[sizeof(r->check) - 1] = '\0';
    if ((r->err == 0) != (*chunk_fd >= 0)) {
        if (*chunk_fd >= 0) close(*chunk_fd);
        *chunk_fd = -1;
        return -EPROTO;
    }
    return 0;
}

int local_chunk_read_request(int fd, char id[CHUNK_ID_STRLEN])
{
    struct local_request q;
    int rc = recv_msg(fd, &q, sizeof(q), NULL);

    if (rc < 0) return rc;
    q.id[CHUNK_ID_STRLEN - 1] = '\0';
    memcpy(id, q.id, CHUNK_ID_STRLEN);
    return chunk_id_valid(id) ? 0 : -EINVAL;
}

int local_chunk_send_reply(int fd, const struct local_chunk_reply *r,
                           int chunk_fd)
{
    return send_msg(fd, r, sizeof(*r), r->err == 0 ? chunk_fd : -1);
}
