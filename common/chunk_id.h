/*
 * chunk_id.h - content addresses of chunks.
 *
 * A chunk's id is the BLAKE2b-256 hash of its bytes (libsodium
 * crypto_generichash, no key), written as 64 lowercase hex characters.
 * Ids are the only names a chunk has, and they come from peers, so
 * chunk_id_valid() is the gate every id passes before it is used in a
 * path or a query.
 */
#ifndef DFS_CHUNK_ID_H
#define DFS_CHUNK_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define CHUNK_ID_BYTES 32
#define CHUNK_ID_HEX 64
#define CHUNK_ID_STRLEN (CHUNK_ID_HEX + 1)

/* Must be called once before any other function (calls sodium_init). */
int chunk_id_init(void);

/* id of len bytes at data, as hex into out (65 bytes incl. NUL). */
void chunk_id_compute(const void *data, size_t len, char out[CHUNK_ID_STRLEN]);

/* true iff s is exactly 64 lowercase hex characters followed by NUL. */
bool chunk_id_valid(const char *s);

/* Same check on a counted string (not NUL-terminated), e.g. a URL part. */
bool chunk_id_valid_n(const char *s, size_t len);

/* Streaming hash for bodies that arrive in pieces. */
struct chunk_hasher {
    crypto_generichash_state state;
};
void chunk_hasher_init(struct chunk_hasher *h);
void chunk_hasher_update(struct chunk_hasher *h, const void *data, size_t len);
void chunk_hasher_final(struct chunk_hasher *h, char out[CHUNK_ID_STRLEN]);

#endif
