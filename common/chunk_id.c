/*
 * chunk_id.c - content addresses of chunks (BLAKE2b-256 as lowercase hex).
 *
 * chunk_id_valid() is strict on purpose: ids arrive from peers and end up
 * in file paths and SQL, so only the exact canonical form is accepted.
 */
#include "chunk_id.h"

int chunk_id_init(void)
{
    /* sodium_init returns 1 when already initialised: not an error */
    return sodium_init() < 0 ? -1 : 0;
}

static void chunk_id_to_hex(const unsigned char *hash,
                            char out[CHUNK_ID_STRLEN])
{
    /* sodium_bin2hex writes lowercase and NUL-terminates */
    sodium_bin2hex(out, CHUNK_ID_STRLEN, hash, CHUNK_ID_BYTES);
}

void chunk_id_compute(const void *data, size_t len, char out[CHUNK_ID_STRLEN])
{
    unsigned char hash[CHUNK_ID_BYTES];

    crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
    chunk_id_to_hex(hash, out);
}

static bool chunk_id_hexdigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool chunk_id_valid_n(const char *s, size_t len)
{
    if (!s || len != CHUNK_ID_HEX) return false;
    for (size_t i = 0; i < len; i++)
        if (!chunk_id_hexdigit(s[i])) return false;
    return true;
}

bool chunk_id_valid(const char *s)
{
    if (!s) return false;
    /* bounded scan: never read past one byte beyond a valid id */
    for (size_t i = 0; i < CHUNK_ID_HEX; i++)
        if (!chunk_id_hexdigit(s[i])) return false;
    return s[CHUNK_ID_HEX] == '\0';
}

void chunk_hasher_init(struct chunk_hasher *h)
{
    crypto_generichash_init(&h->state, NULL, 0, CHUNK_ID_BYTES);
}

void chunk_hasher_update(struct chunk_hasher *h, const void *data, size_t len)
{
    crypto_generichash_update(&h->state, data, len);
}

void chunk_hasher_final(struct chunk_hasher *h, char out[CHUNK_ID_STRLEN])
{
    unsigned char hash[CHUNK_ID_BYTES];

    crypto_generichash_final(&h->state, hash, sizeof(hash));
    chunk_id_to_hex(hash, out);
}
