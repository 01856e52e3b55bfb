/*
 * test_auth.c - cluster secret files, per-role keys, request signatures:
 * a good signature verifies; any tampered field, wrong key, stale time or
 * malformed header is refused without crashing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"

static char tmpdir[64];
static char secret_path[128];
static struct auth_keys keys;
static const time_t NOW = 1800000000;

static void tmp_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmpdir, name);
}

static int setup(void **state)
{
    (void)state;
    if (chunk_id_init() < 0) return -1;
    strcpy(tmpdir, "/tmp/dfs-test-auth.XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    tmp_path(secret_path, sizeof(secret_path), "secret");
    if (auth_secret_create(secret_path, NULL, 0) < 0) return -1;
    return auth_keys_load(secret_path, AUTH_ROLE_CLIENT, &keys, NULL, 0);
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_secret_file(void **state)
{
    struct stat st;
    char buf[100] = "";
    char err[256] = "";
    FILE *f;

    (void)state;
    assert_int_equal(stat(secret_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    f = fopen(secret_path, "r");
    assert_non_null(f);
    assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 65);
    fclose(f);
    assert_int_equal(strspn(buf, "0123456789abcdef"), 64);
    assert_int_equal(buf[64], '\n');
    /* never overwrite */
    assert_int_equal(auth_secret_create(secret_path, err, sizeof(err)),
                     -EEXIST);
    assert_non_null(strstr(err, secret_path));
}

static void test_keys(void **state)
{
    struct auth_keys again;

    (void)state;
    assert_int_equal(keys.self, AUTH_ROLE_CLIENT);
    for (int r = AUTH_ROLE_MASTER; r <= AUTH_ROLE_CLIENT; r++) {
        assert_true(keys.have[r]);
        for (int q = r + 1; q <= AUTH_ROLE_CLIENT; q++)
            assert_memory_not_equal(keys.key[r], keys.key[q], 32);
    }
    assert_false(keys.have[AUTH_ROLE_NONE]);
    assert_int_equal(
        auth_keys_load(secret_path, AUTH_ROLE_MASTER, &again, NULL, 0), 0);
    assert_memory_equal(again.key, keys.key, sizeof(keys.key));
    assert_int_equal(again.self, AUTH_ROLE_MASTER);
    assert_string_equal(auth_role_name(AUTH_ROLE_MASTER), "master");
    assert_string_equal(auth_role_name(AUTH_ROLE_CHUNKD), "chunkd");
    assert_string_equal(auth_role_name(AUTH_ROLE_CLIENT), "client");
}

static void test_load_refuses(void **state)
{
    char path[128], err[256];
    struct auth_keys k;
    const char *hex =
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const char *bad[] = {
        "",
        "0011",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeef\n",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0\n",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg\n",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\n",
        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff x",
    };

    (void)state;
    tmp_path(path, sizeof(path), "s2");
    write_file(path, hex, 0600); /* no newline is fine */
    assert_int_equal(
        auth_keys_load(path, AUTH_ROLE_CHUNKD, &k, err, sizeof(err)), 0);
    /* group-readable: refused, and the message says which file and mode */
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(
        auth_keys_load(path, AUTH_ROLE_CHUNKD, &k, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "0640"));
    assert_int_equal(chmod(path, 0604), 0);
    assert_int_equal(auth_keys_load(path, AUTH_ROLE_CHUNKD, &k, NULL, 0),
                     -EPERM);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i], 0600);
        assert_int_equal(
            auth_keys_load(path, AUTH_ROLE_CHUNKD, &k, err, sizeof(err)),
            -EINVAL);
    }
    tmp_path(path, sizeof(path), "missing");
    assert_int_equal(auth_keys_load(path, AUTH_ROLE_CHUNKD, &k, NULL, 0),
                     -ENOENT);
}

static void sign_sample(char hdr[AUTH_HEADER_MAX], char hash[CHUNK_ID_STRLEN])
{
    chunk_id_compute("body", 4, hash);
    auth_sign(&keys, "PUT", "/v1/chunk/abc", "sync=1", hash, NOW, hdr);
}

static int verify(const char *hdr, const char *method, const char *path,
                  const char *query, time_t now)
{
    enum auth_role role = AUTH_ROLE_NONE;
    char got[CHUNK_ID_STRLEN];
    char err[256] = "";
    int rc = auth_verify(&keys, hdr, method, path, query, now, &role, got, err,
                         sizeof(err));

    if (rc == 0)
        assert_int_equal(role, AUTH_ROLE_CLIENT);
    else
        assert_true(err[0] != '\0');
    return rc;
}

static void test_good_signature(void **state)
{
    char hdr[AUTH_HEADER_MAX], hash[CHUNK_ID_STRLEN], got[CHUNK_ID_STRLEN];
    enum auth_role role = AUTH_ROLE_NONE;

    (void)state;
    sign_sample(hdr, hash);
    assert_true(strncmp(hdr, "client 1800000000 ", 18) == 0);
    assert_int_equal(auth_verify(&keys, hdr, "PUT", "/v1/chunk/abc", "sync=1",
                                 NOW, &role, got, NULL, 0),
                     0);
    assert_int_equal(role, AUTH_ROLE_CLIENT);
    assert_string_equal(got, hash);
    /* NULL and "" query are the same thing */
    auth_sign(&keys, "GET", "/v1/status", NULL, hash, NOW, hdr);
    assert_int_equal(verify(hdr, "GET", "/v1/status", "", NOW), 0);
}

static void test_tampered_request(void **state)
{
    char hdr[AUTH_HEADER_MAX], hash[CHUNK_ID_STRLEN];

    (void)state;
    sign_sample(hdr, hash);
    assert_int_equal(verify(hdr, "GET", "/v1/chunk/abc", "sync=1", NOW),
                     -EACCES);
    assert_int_equal(verify(hdr, "PUT", "/v1/chunk/abd", "sync=1", NOW),
                     -EACCES);
    assert_int_equal(verify(hdr, "PUT", "/v1/chunk/abc", "", NOW), -EACCES);
    assert_int_equal(verify(hdr, "PUT", "/v1/chunk/abc", "sync=0", NOW),
                     -EACCES);
}

/* Change one character of field `field` (0..3) of a good header. */
static void tamper_field(char *hdr, int field)
{
    char *p = hdr;

    for (int i = 0; i < field; i++)
        p = strchr(p, ' ') + 1;
    if (field == 0) {
        memcpy(p, "master", 6); /* "client" -> "master": same length */
        return;
    }
    p[1] = p[1] == '1' ? '2' : '1';
}

static void test_tampered_header(void **state)
{
    char hdr[AUTH_HEADER_MAX], hash[CHUNK_ID_STRLEN];

    (void)state;
    for (int field = 0; field < 4; field++) {
        sign_sample(hdr, hash);
        tamper_field(hdr, field);
        assert_int_equal(verify(hdr, "PUT", "/v1/chunk/abc", "sync=1", NOW),
                         -EACCES);
    }
}

static void test_wrong_key(void **state)
{
    char path[128], hdr[AUTH_HEADER_MAX], hash[CHUNK_ID_STRLEN];
    struct auth_keys other;

    (void)state;
    /* a different cluster's secret */
    tmp_path(path, sizeof(path), "other");
    assert_int_equal(auth_secret_create(path, NULL, 0), 0);
    assert_int_equal(auth_keys_load(path, AUTH_ROLE_CLIENT, &other, NULL, 0),
                     0);
    chunk_id_compute("", 0, hash);
    auth_sign(&other, "GET", "/p", "", hash, NOW, hdr);
    assert_int_equal(verify(hdr, "GET", "/p", "", NOW), -EACCES);

    /* a client claiming the master role with its own key */
    struct auth_keys fake = keys;
    memcpy(fake.key[AUTH_ROLE_MASTER], keys.key[AUTH_ROLE_CLIENT], 32);
    fake.self = AUTH_ROLE_MASTER;
    auth_sign(&fake, "DELETE", "/p", "", hash, NOW, hdr);
    assert_int_equal(
        auth_verify(&keys, hdr, "DELETE", "/p", "", NOW, NULL, NULL, NULL, 0),
        -EACCES);

    /* a verifier without that role's key refuses */
    struct auth_keys partial = keys;
    partial.have[AUTH_ROLE_CLIENT] = false;
    auth_sign(&keys, "GET", "/p", "", hash, NOW, hdr);
    assert_int_equal(
        auth_verify(&partial, hdr, "GET", "/p", "", NOW, NULL, NULL, NULL, 0),
        -EACCES);

    /* no key to sign with: empty header */
    partial.self = AUTH_ROLE_NONE;
    auth_sign(&partial, "GET", "/p", "", hash, NOW, hdr);
    assert_string_equal(hdr, "");
}

static void test_stale(void **state)
{
    char hdr[AUTH_HEADER_MAX], hash[CHUNK_ID_STRLEN];
    const char *p = "/v1/chunk/abc";

    (void)state;
    sign_sample(hdr, hash);
    assert_int_equal(verify(hdr, "PUT", p, "sync=1", NOW + AUTH_MAX_SKEW_S), 0);
    assert_int_equal(verify(hdr, "PUT", p, "sync=1", NOW - AUTH_MAX_SKEW_S), 0);
    assert_int_equal(verify(hdr, "PUT", p, "sync=1", NOW + AUTH_MAX_SKEW_S + 1),
                     -EACCES);
    assert_int_equal(verify(hdr, "PUT", p, "sync=1", NOW - AUTH_MAX_SKEW_S - 1),
                     -EACCES);
}

static void test_malformed(void **state)
{
    char hdr[AUTH_HEADER_MAX], hash[CHUNK_ID_STRLEN];
    char bad[AUTH_HEADER_MAX + 64];
    const char *p = "/v1/chunk/abc";

    (void)state;
    assert_int_equal(verify(NULL, "PUT", p, "sync=1", NOW), -EACCES);
    assert_int_equal(verify("", "PUT", p, "sync=1", NOW), -EACCES);
    assert_int_equal(verify("client", "PUT", p, "sync=1", NOW), -EACCES);
    assert_int_equal(verify("client 1 2 3", "PUT", p, "sync=1", NOW), -EACCES);
    sign_sample(hdr, hash);

    /* extra field, trailing space, doubled space, leading space */
    snprintf(bad, sizeof(bad), "%s extra", hdr);
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);
    snprintf(bad, sizeof(bad), "%s ", hdr);
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);
    snprintf(bad, sizeof(bad), " %s", hdr);
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);
    snprintf(bad, sizeof(bad), "client  %s", hdr + 7);
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);

    /* bad hex in the mac, short mac, uppercase body hash */
    strcpy(bad, hdr);
    bad[strlen(bad) - 1] = 'z';
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);
    strcpy(bad, hdr);
    bad[strlen(bad) - 2] = '\0';
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);
    strcpy(bad, hdr);
    char *h = strchr(strchr(bad, ' ') + 1, ' ') + 1;
    for (int i = 0; i < 64; i++)
        if (h[i] >= 'a') h[i] = (char)(h[i] - 32);
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);

    /* bad timestamps */
    assert_int_equal(verify("client -5 x y", "PUT", p, "", NOW), -EACCES);
    snprintf(bad, sizeof(bad), "client 99999999999999999999999%s",
             strchr(strchr(hdr, ' ') + 1, ' '));
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);

    /* unknown role, too long */
    snprintf(bad, sizeof(bad), "nobody%s", hdr + 6);
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);
    memset(bad, 'a', sizeof(bad) - 1);
    bad[sizeof(bad) - 1] = '\0';
    assert_int_equal(verify(bad, "PUT", p, "sync=1", NOW), -EACCES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_load_refuses),
        cmocka_unit_test(test_good_signature),
        cmocka_unit_test(test_tampered_request),
        cmocka_unit_test(test_tampered_header),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_stale),
        cmocka_unit_test(test_malformed),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
