/*
 * test_chunk_id.c - chunk ids: known BLAKE2b-256 vectors, streaming equals
 * one-shot, and the strict validity gate.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "chunk_id.h"

#define EMPTY_ID                                                               \
    "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
#define ABC_ID                                                                 \
    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"

static void test_known_vectors(void **state)
{
    char id[CHUNK_ID_STRLEN];

    (void)state;
    chunk_id_compute("", 0, id);
    assert_string_equal(id, EMPTY_ID);
    chunk_id_compute("abc", 3, id);
    assert_string_equal(id, ABC_ID);
    assert_int_equal(strlen(id), CHUNK_ID_HEX);
}

static void test_streaming_matches(void **state)
{
    static unsigned char buf[100000];
    char one[CHUNK_ID_STRLEN], many[CHUNK_ID_STRLEN];
    struct chunk_hasher h;

    (void)state;
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    chunk_id_compute(buf, sizeof(buf), one);
    chunk_hasher_init(&h);
    /* uneven pieces, including an empty one */
    size_t off = 0, step = 1;
    while (off < sizeof(buf)) {
        size_t n = step < sizeof(buf) - off ? step : sizeof(buf) - off;
        chunk_hasher_update(&h, buf + off, n);
        chunk_hasher_update(&h, buf, 0);
        off += n;
        step = step * 3 + 1;
    }
    chunk_hasher_final(&h, many);
    assert_string_equal(one, many);

    buf[500] ^= 1;
    chunk_id_compute(buf, sizeof(buf), many);
    assert_string_not_equal(one, many);
}

static void test_valid(void **state)
{
    char s[CHUNK_ID_STRLEN + 1];

    (void)state;
    assert_true(chunk_id_valid(EMPTY_ID));
    assert_true(chunk_id_valid_n(EMPTY_ID, CHUNK_ID_HEX));
    assert_false(chunk_id_valid(NULL));
    assert_false(chunk_id_valid(""));
    assert_false(chunk_id_valid_n(NULL, 64));

    /* uppercase, non-hex, short, long */
    memcpy(s, EMPTY_ID, CHUNK_ID_STRLEN);
    s[10] = 'A';
    assert_false(chunk_id_valid(s));
    assert_false(chunk_id_valid_n(s, CHUNK_ID_HEX));
    s[10] = 'g';
    assert_false(chunk_id_valid(s));
    s[10] = '/';
    assert_false(chunk_id_valid(s));
    memcpy(s, EMPTY_ID, CHUNK_ID_STRLEN);
    s[63] = '\0';
    assert_false(chunk_id_valid(s));
    assert_false(chunk_id_valid_n(s, 63));
    memcpy(s, EMPTY_ID, CHUNK_ID_STRLEN);
    s[64] = 'a';
    s[65] = '\0';
    assert_false(chunk_id_valid(s));
    assert_false(chunk_id_valid_n(s, 65));
    /* counted form ignores what follows the 64 characters */
    assert_true(chunk_id_valid_n(s, 64));
    /* a NUL inside the counted string is not hex */
    memcpy(s, EMPTY_ID, CHUNK_ID_STRLEN);
    s[5] = '\0';
    assert_false(chunk_id_valid_n(s, 64));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_streaming_matches),
        cmocka_unit_test(test_valid),
    };

    if (chunk_id_init() != 0 || chunk_id_init() != 0) /* twice is fine */
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
