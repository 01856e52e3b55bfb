/*
 * local_chunk.h - chunk files handed to a reader on the same host.
 *
 * Why: a reader on the machine of a chunk server (mount.dfs on a storage
 * host: small clusters, the quick start) paid for each chunk in loopback
 * TCP: the server's sendfile, the TCP path both ways, the reader's recv
 * and the copy into the body, two thirds of a cold read's CPU.  Instead
 * the chunk server passes the reader an open, read-only descriptor of
 * the chunk file (SCM_RIGHTS) and the reader pread()s it: one copy.  The
 * reader checks the bytes exactly as it checks an HTTP reply.  (HDFS's
 * "short-circuit local reads" are the same idea.)
 *
 * Where: an abstract Unix socket named after the server's advertised
 * address, "\0dfs-chunkd@HOST:PORT".  Abstract names belong to a network
 * namespace, as the address does, so a reader finds the socket exactly
 * when the address it was given is that server's in its own namespace;
 * anywhere else the connect fails and the reader uses HTTP.
 *
 * Who: an abstract name has no permissions and anyone may bind one, so
 * both sides prove the cluster secret once per connection, with the keys
 * of their roles (auth.h).  SOCK_SEQPACKET, one message per step:
 *
 *   server -> client  hello    {magic, version, nonce_s}
 *   client -> server  proof    {nonce_c, mac(client key, "client" nonce_s nonce_c)}
 *   server -> client  proof    {0, mac(chunkd key, "chunkd" nonce_c nonce_s)}
 *   then any number of
 *   client -> server  request  {chunk id}
 *   server -> client  reply    {errno or 0, check} + the descriptor
 *
 * Both ends are the same build on the same host, so the messages are
 * plain structs; the version in the hello keeps different builds apart.
 */
#ifndef DFS_LOCAL_CHUNK_H
#define DFS_LOCAL_CHUNK_H

#include <stdint.h>

#include "auth.h"
#include "chunk_check.h"
#include "chunk_id.h"

#define LOCAL_CHUNK_VERSION 1
#define LOCAL_CHUNK_NONCE_BYTES 16

/* The size is not sent: the reader fstat()s the descriptor anyway (it
 * must be a regular file). */
struct local_chunk_reply {
    int32_t err; /* 0, or the errno of opening the chunk (ENOENT) */
    char check[CHUNK_CHECK_STRLEN]; /* stored check text, "" when none */
};

/* A listening socket for the server advertised as addr (nonblocking,
 * close-on-exec).  -errno with err set: -EADDRINUSE when another process
 * has the name. */
int local_chunk_listen(const char *addr, char *err, size_t errlen);

/* Connect to the server advertised as addr and prove the secret both
 * ways.  The connected socket (blocking, timeout_ms on every step), or
 * -errno: -ENOENT/-ECONNREFUSED when no server has the name here,
 * -EACCES when the peer fails its proof, -EPROTO for a different build,
 * -ETIMEDOUT. */
int local_chunk_connect(const char *addr, const struct auth_keys *k,
                        int timeout_ms);

/* The server's side of the proofs on an accepted socket, with
 * timeout_ms for the client's answer.  0 or -EACCES/-EPROTO/-errno. */
int local_chunk_accept(int fd, const struct auth_keys *k, int timeout_ms);

/* Client: ask for chunk id.  0 with *r filled and, when r->err is 0, the
 * chunk's descriptor in *chunk_fd (caller closes); -errno when the
 * connection failed (drop it). */
int local_chunk_request(int fd, const char *id, struct local_chunk_reply *r,
                        int *chunk_fd);

/* Server: read one request.  0 with the id (valid or -EINVAL), -EPIPE at
 * the client's end, -errno. */
int local_chunk_read_request(int fd, char id[CHUNK_ID_STRLEN]);

/* Server: send a reply, with chunk_fd attached when r->err is 0. */
int local_chunk_send_reply(int fd, const struct local_chunk_reply *r,
                           int chunk_fd);

#endif
