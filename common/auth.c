/*
 * auth.c - signing and checking requests with the cluster secret.
 *
 * One secret, one key per role (crypto_kdf), one keyed BLAKE2b per
 * request over method, path, query, time and body hash.  Anything the
 * verifier does not like is -EACCES: a peer learns nothing from the
 * reason, which only goes to our log.
 */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#define AUTH_KDF_CONTEXT "dfsauth1" /* exactly crypto_kdf_CONTEXTBYTES */
#define AUTH_MAC_BYTES 32
#define AUTH_SECRET_HEX (2 * AUTH_SECRET_BYTES)

static const char *const auth_role_names[] = {
    [AUTH_ROLE_NONE] = "none",
    [AUTH_ROLE_MASTER] = "master",
    [AUTH_ROLE_CHUNKD] = "chunkd",
    [AUTH_ROLE_CLIENT] = "client",
};

static void auth_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void auth_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *auth_role_name(enum auth_role r)
{
    if ((unsigned)r > AUTH_ROLE_CLIENT) return "none";
    return auth_role_names[r];
}

static enum auth_role auth_role_parse(const char *s, size_t len)
{
    for (int r = AUTH_ROLE_MASTER; r <= AUTH_ROLE_CLIENT; r++)
        if (strlen(auth_role_names[r]) == len &&
            memcmp(auth_role_names[r], s, len) == 0)
            return (enum auth_role)r;
    return AUTH_ROLE_NONE;
}

int auth_secret_create(const char *path, char *err, size_t errlen)
{
    unsigned char secret[AUTH_SECRET_BYTES];
    char text[AUTH_SECRET_HEX + 2];
    char *dir, *slash;
    ssize_t n;
    int fd, rc = 0;

    if (sodium_init() < 0) return -EIO;
    /* O_EXCL: never replace a secret the cluster already uses */
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        auth_err(err, errlen, "cannot create secret file %s: %s", path,
                 strerror(-rc));
        return rc;
    }
    randombytes_buf(secret, sizeof(secret));
    sodium_bin2hex(text, sizeof(text), secret, sizeof(secret));
    sodium_memzero(secret, sizeof(secret));
    text[AUTH_SECRET_HEX] = '\n';
    /* the umask may have widened nothing, but be explicit */
    if (fchmod(fd, 0600) < 0) rc = -errno;
    n = write(fd, text, AUTH_SECRET_HEX + 1);
    if (rc == 0 && n != AUTH_SECRET_HEX + 1) rc = n < 0 ? -errno : -EIO;
    if (rc == 0 && fsync(fd) < 0) rc = -errno;
    close(fd);
    sodium_memzero(text, sizeof(text));
    if (rc < 0) {
        unlink(path);
        auth_err(err, errlen, "cannot write secret file %s: %s", path,
                 strerror(-rc));
        return rc;
    }
    dir = strdup(path);
    if (dir) {
        slash = strrchr(dir, '/');
        if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
        fs_fsync_dir(slash ? dir : ".");
        free(dir);
    }
    return 0;
}

/* Read the 64 hex characters (and an optional newline) of the secret. */
static int auth_read_secret(int fd, const char *path,
                            unsigned char secret[AUTH_SECRET_BYTES], char *err,
                            size_t errlen)
{
    char text[AUTH_SECRET_HEX + 3];
    size_t used = 0, bin_len = 0;
    const char *end = NULL;
    ssize_t n;
    int rc = 0;

    while (used < sizeof(text) &&
           (n = read(fd, text + used, sizeof(text) - used)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            rc = -errno;
            auth_err(err, errlen, "cannot read secret file %s: %s", path,
                     strerror(-rc));
            return rc;
        }
        used += (size_t)n;
    }
    if ((used == AUTH_SECRET_HEX + 1 && text[AUTH_SECRET_HEX] == '\n') ||
        used == AUTH_SECRET_HEX) {
        if (sodium_hex2bin(secret, AUTH_SECRET_BYTES, text, AUTH_SECRET_HEX,
                           NULL, &bin_len, &end) == 0 &&
            bin_len == AUTH_SECRET_BYTES && end == text + AUTH_SECRET_HEX)
            rc = 1;
    }
    sodium_memzero(text, sizeof(text));
    if (rc != 1) {
        auth_err(err, errlen,
                 "secret file %s must hold exactly 64 hex characters", path);
        return -EINVAL;
    }
    return 0;
}

int auth_keys_load(const char *path, enum auth_role self, struct auth_keys *k,
                   char *err, size_t errlen)
{
    unsigned char secret[AUTH_SECRET_BYTES];
    struct stat st;
    int fd, rc;

    memset(k, 0, sizeof(*k));
    if (sodium_init() < 0) return -EIO;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        auth_err(err, errlen, "cannot open secret file %s: %s", path,
                 strerror(-rc));
        return rc;
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    /* like ssh with its keys: a secret others can read is no secret */
    if (st.st_mode & 077) {
        close(fd);
        auth_err(err, errlen,
                 "secret file %s has mode %04o; it must not be accessible "
                 "by group or others (chmod 600 %s)",
                 path, (unsigned)(st.st_mode & 07777), path);
        return -EPERM;
    }
    rc = auth_read_secret(fd, path, secret, err, errlen);
    close(fd);
    if (rc < 0) return rc;
    for (int r = AUTH_ROLE_MASTER; r <= AUTH_ROLE_CLIENT; r++) {
        crypto_kdf_derive_from_key(k->key[r], sizeof(k->key[r]), (uint64_t)r,
                                   AUTH_KDF_CONTEXT, secret);
        k->have[r] = true;
    }
    sodium_memzero(secret, sizeof(secret));
    k->self = self;
    return 0;
}

/* mac over "<METHOD>\n<path>\n<query>\n<ts>\n<body-hash>", fed in pieces
 * so no buffer limits the path length. */
static void auth_mac(const unsigned char key[32], const char *method,
                     const char *path, const char *query, long long ts,
                     const char *body_hash, unsigned char mac[AUTH_MAC_BYTES])
{
    crypto_generichash_state st;
    char tsbuf[32];
    const char *parts[] = {method ? method : "",
                           "\n",
                           path ? path : "",
                           "\n",
                           query ? query : "",
                           "\n",
                           tsbuf,
                           "\n",
                           body_hash};

    snprintf(tsbuf, sizeof(tsbuf), "%lld", ts);
    crypto_generichash_init(&st, key, 32, AUTH_MAC_BYTES);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        crypto_generichash_update(&st, (const unsigned char *)parts[i],
                                  strlen(parts[i]));
    crypto_generichash_final(&st, mac, AUTH_MAC_BYTES);
}

void auth_sign(const struct auth_keys *k, const char *method, const char *path,
               const char *query, const char body_hash[CHUNK_ID_STRLEN],
               time_t now, char out[AUTH_HEADER_MAX])
{
    unsigned char mac[AUTH_MAC_BYTES];
    char machex[2 * AUTH_MAC_BYTES + 1];
    enum auth_role r = k->self;

    out[0] = '\0';
    if ((unsigned)r > AUTH_ROLE_CLIENT || r == AUTH_ROLE_NONE || !k->have[r])
        return; /* no key: send no header, the server answers 401 */
    auth_mac(k->key[r], method, path, query, (long long)now, body_hash, mac);
    sodium_bin2hex(machex, sizeof(machex), mac, sizeof(mac));
    snprintf(out, AUTH_HEADER_MAX, "%s %lld %s %s", auth_role_name(r),
             (long long)now, body_hash, machex);
}

/* The four space-separated fields of a header, without copying. */
struct auth_fields {
    const char *f[4];
    size_t len[4];
};

static int auth_split(const char *header, struct auth_fields *out)
{
    const char *p = header;

    for (int i = 0; i < 4; i++) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (len == 0) return -1;
        out->f[i] = p;
        out->len[i] = len;
        if (i < 3 && !sp) return -1;
        if (i == 3) return sp ? -1 : 0; /* extra field; no sp + 1 on NULL */
        p = sp + 1;
    }
    return 0;
}

static int auth_parse_ts(const char *s, size_t len, long long *out)
{
    long long v = 0;

    if (len == 0 || len > 18) /* 18 digits cannot overflow */
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int auth_deny(char *err, size_t errlen, const char *why)
{
    auth_err(err, errlen, "auth: %s", why);
    return -EACCES;
}

int auth_verify(const struct auth_keys *k, const char *header,
                const char *method, const char *path, const char *query,
                time_t now, enum auth_role *role,
                char body_hash[CHUNK_ID_STRLEN], char *err, size_t errlen)
{
    unsigned char mac[AUTH_MAC_BYTES], want[AUTH_MAC_BYTES];
    char hash[CHUNK_ID_STRLEN];
    struct auth_fields fl;
    enum auth_role r;
    size_t bin_len = 0;
    const char *end = NULL;
    long long ts;

    if (!header || !*header) return auth_deny(err, errlen, "missing header");
    if (strnlen(header, AUTH_HEADER_MAX) >= AUTH_HEADER_MAX)
        return auth_deny(err, errlen, "header too long");
    if (auth_split(header, &fl) < 0)
        return auth_deny(err, errlen, "malformed header");
    r = auth_role_parse(fl.f[0], fl.len[0]);
    if (r == AUTH_ROLE_NONE || !k->have[r])
        return auth_deny(err, errlen, "unknown role");
    if (auth_parse_ts(fl.f[1], fl.len[1], &ts) < 0)
        return auth_deny(err, errlen, "bad timestamp");
    if (!chunk_id_valid_n(fl.f[2], fl.len[2]))
        return auth_deny(err, errlen, "bad body hash");
    if (fl.len[3] != 2 * AUTH_MAC_BYTES ||
        sodium_hex2bin(mac, sizeof(mac), fl.f[3], fl.len[3], NULL, &bin_len,
                       &end) != 0 ||
        bin_len != AUTH_MAC_BYTES || end != fl.f[3] + fl.len[3])
        return auth_deny(err, errlen, "bad mac encoding");
    memcpy(hash, fl.f[2], CHUNK_ID_HEX);
    hash[CHUNK_ID_HEX] = '\0';
    auth_mac(k->key[r], method, path, query, ts, hash, want);
    if (sodium_memcmp(mac, want, AUTH_MAC_BYTES) != 0)
        return auth_deny(err, errlen, "bad mac");
    if (ts > (long long)now + AUTH_MAX_SKEW_S ||
        ts < (long long)now - AUTH_MAX_SKEW_S)
        return auth_deny(err, errlen, "stale timestamp (check clocks)");
    if (role) *role = r;
    if (body_hash) memcpy(body_hash, hash, CHUNK_ID_STRLEN);
    return 0;
}

int auth_mac_blob(const struct auth_keys *k, enum auth_role role,
                  const void *msg, size_t len,
                  unsigned char mac[AUTH_BLOB_MAC_BYTES])
{
    if ((unsigned)role > AUTH_ROLE_CLIENT || role == AUTH_ROLE_NONE ||
        !k->have[role])
        return -EACCES;
    crypto_generichash(mac, AUTH_BLOB_MAC_BYTES, msg, len, k->key[role],
                       sizeof(k->key[role]));
    return 0;
}

int auth_check_blob(const struct auth_keys *k, enum auth_role role,
                    const void *msg, size_t len,
                    const unsigned char mac[AUTH_BLOB_MAC_BYTES])
{
    unsigned char want[AUTH_BLOB_MAC_BYTES];

    if (auth_mac_blob(k, role, msg, len, want) < 0) return -EACCES;
    return sodium_memcmp(want, mac, AUTH_BLOB_MAC_BYTES) == 0 ? 0 : -EACCES;
}
