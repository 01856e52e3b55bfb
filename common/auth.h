/*
 * auth.h - signing and checking requests with the cluster secret.
 *
 * The cluster secret is 32 random bytes, stored as 64 hex characters in a
 * 0600 file (created by `dfs-master --init`).  From it crypto_kdf derives
 * one key per role, so a request proves which role sent it:
 *   AUTH_ROLE_MASTER  the master (only it may DELETE chunks or order copies)
 *   AUTH_ROLE_CHUNKD  a chunk server (heartbeats, replication reads)
 *   AUTH_ROLE_CLIENT  mount.dfs and dfs(1)
 * A holder of the secret can derive every key; a holder of one role key
 * (auth_keys_load_role) only that one.
 *
 * Header:  X-Dfs-Auth: <role> <unix-seconds> <body-hash-hex64> <mac-hex64>
 * mac = BLAKE2b-256 keyed with the role key over
 *       "<METHOD>\n<path>\n<query>\n<unix-seconds>\n<body-hash-hex64>"
 * body-hash = BLAKE2b-256 of the body (of the empty string when none), so
 * for a chunk PUT it equals the chunk id.  The receiver checks the mac
 * (constant time), the clock skew (AUTH_MAX_SKEW_S), and after reading the
 * body that its hash matches.
 */
#ifndef DFS_AUTH_H
#define DFS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "chunk_id.h"

#define AUTH_SECRET_BYTES 32
#define AUTH_MAX_SKEW_S 300
#define AUTH_HEADER_MAX 256

enum auth_role { AUTH_ROLE_NONE = 0, AUTH_ROLE_MASTER, AUTH_ROLE_CHUNKD,
                 AUTH_ROLE_CLIENT };

struct auth_keys {
    unsigned char key[4][32]; /* indexed by enum auth_role */
    bool have[4];
    enum auth_role self;      /* role this process signs as */
};

/* Create a new random secret at path (0600, refuses to overwrite).
 * -EEXIST if it exists. */
int auth_secret_create(const char *path, char *err, size_t errlen);

/* Load the secret file and derive every role key; sign as `self`.
 * Refuses files readable by group/other (-EPERM) and malformed content. */
int auth_keys_load(const char *path, enum auth_role self, struct auth_keys *k,
                   char *err, size_t errlen);

const char *auth_role_name(enum auth_role r);

/* Write the header value for a request into out (AUTH_HEADER_MAX).
 * body_hash is the hex BLAKE2b-256 of the body (chunk_id_compute of it). */
void auth_sign(const struct auth_keys *k, const char *method, const char *path,
               const char *query, const char body_hash[CHUNK_ID_STRLEN],
               time_t now, char out[AUTH_HEADER_MAX]);

/* Check a header value.  On success 0, *role set and the claimed body hash
 * copied to body_hash (the caller must compare it with the body it read).
 * -EACCES for anything wrong (missing, malformed, bad mac, stale), with
 * the reason in err for the log. */
int auth_verify(const struct auth_keys *k, const char *header,
                const char *method, const char *path, const char *query,
                time_t now, enum auth_role *role,
                char body_hash[CHUNK_ID_STRLEN], char *err, size_t errlen);

/* A mac of raw bytes with one role's key, for channels that are not
 * HTTP (the local read socket, local_chunk.h).  -EACCES when k lacks the
 * key of role. */
#define AUTH_BLOB_MAC_BYTES 32
int auth_mac_blob(const struct auth_keys *k, enum auth_role role,
                  const void *msg, size_t len,
                  unsigned char mac[AUTH_BLOB_MAC_BYTES]);
/* 0 when mac is role's mac of msg (constant time), else -EACCES. */
int auth_check_blob(const struct auth_keys *k, enum auth_role role,
                    const void *msg, size_t len,
                    const unsigned char mac[AUTH_BLOB_MAC_BYTES]);

#endif
