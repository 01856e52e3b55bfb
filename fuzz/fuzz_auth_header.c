/*
 * fuzz_auth_header.c - auth_verify on arbitrary X-Dfs-Auth header text.
 *
 * The header is the first thing a daemon reads from an unauthenticated
 * peer.  Keys come from a fixed secret written to a temporary file at
 * start-up (through the public auth_keys_load, not a copy of its KDF).
 *
 * Input layout: byte 0 picks the mode.
 *   even: the rest is the header text, verified as is;
 *   odd:  the rest is "method\0path\0query\0body", which is signed and
 *         must then verify (and must not verify for another path).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "auth.h"
#include "fuzz_common.h"

#define FUZZ_NOW ((time_t)1700000000)

static struct auth_keys fuzz_keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char secret[] =
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    char path[] = "/tmp/dfs-fuzz-secret-XXXXXX", err[256];
    int fd = mkstemp(path); /* mode 0600, as auth_keys_load demands */

    (void)argc;
    (void)argv;
    if (fd < 0 ||
        write(fd, secret, sizeof(secret) - 1) != (ssize_t)(sizeof(secret) - 1))
        abort();
    close(fd);
    if (auth_keys_load(path, AUTH_ROLE_CLIENT, &fuzz_keys, err, sizeof(err)) <
        0) {
        fprintf(stderr, "fuzz_auth_header: %s\n", err);
        abort();
    }
    unlink(path);
    return 0;
}

static void fuzz_raw(const uint8_t *data, size_t size)
{
    char *header = fuzz_strndup(data, size), hash[CHUNK_ID_STRLEN], err[128];
    enum auth_role role = AUTH_ROLE_NONE;
    int rc = auth_verify(&fuzz_keys, header, "GET", "/v1/chunk/x", "", FUZZ_NOW,
                         &role, hash, err, sizeof(err));

    /* nobody without the secret can forge a mac */
    FUZZ_CHECK(rc == -EACCES);
    free(header);
}

/* The next NUL-terminated piece of [*p, end), or all that is left. */
static char *fuzz_piece(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
    const uint8_t *stop = nul ? nul : end;
    char *s = fuzz_strndup(*p, (size_t)(stop - *p));

    *p = nul ? nul + 1 : end;
    return s;
}

static void fuzz_signed(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *method = fuzz_piece(&p, end), *path = fuzz_piece(&p, end);
    char *query = fuzz_piece(&p, end);
    char hash[CHUNK_ID_STRLEN], got[CHUNK_ID_STRLEN], hdr[AUTH_HEADER_MAX];
    enum auth_role role = AUTH_ROLE_NONE;

    chunk_id_compute(p, (size_t)(end - p), hash);
    auth_sign(&fuzz_keys, method, path, query, hash, FUZZ_NOW, hdr);
    FUZZ_CHECK(strlen(hdr) < AUTH_HEADER_MAX);
    FUZZ_CHECK(auth_verify(&fuzz_keys, hdr, method, path, query,
                           FUZZ_NOW + AUTH_MAX_SKEW_S, &role, got, NULL,
                           0) == 0);
    FUZZ_CHECK(role == AUTH_ROLE_CLIENT && strcmp(got, hash) == 0);
    FUZZ_CHECK(auth_verify(&fuzz_keys, hdr, method, path, query,
                           FUZZ_NOW + AUTH_MAX_SKEW_S + 1, NULL, NULL, NULL,
                           0) == -EACCES);
    /* the mac covers the path: a request replayed elsewhere fails */
    FUZZ_CHECK(auth_verify(&fuzz_keys, hdr, method, "/v1/other", query,
                           FUZZ_NOW, NULL, NULL, NULL, 0) ==
               (strcmp(path, "/v1/other") == 0 ? 0 : -EACCES));
    free(method);
    free(path);
    free(query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    if (data[0] & 1)
        fuzz_signed(data + 1, size - 1);
    else
        fuzz_raw(data + 1, size - 1);
    return 0;
}
