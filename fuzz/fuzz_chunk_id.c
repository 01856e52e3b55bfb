/*
 * fuzz_chunk_id.c - chunk_id_valid and chunk_id_valid_n on arbitrary bytes.
 *
 * Ids from peers become file names and SQL values, so the two checks must
 * agree with each other, accept exactly 64 lowercase hex digits, and never
 * read past the input (the counted form gets the raw, unterminated
 * buffer so ASan sees any overread).
 */
#include <stdbool.h>
#include <stdint.h>

#include "chunk_id.h"
#include "fuzz_common.h"

static bool fuzz_expect_valid(const char *s, size_t len)
{
    if (len != CHUNK_ID_HEX) return false;
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789abcdef", s[i]) || s[i] == '\0') return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *raw = malloc(size ? size : 1), *s, id[CHUNK_ID_STRLEN];
    bool valid_n;

    if (!raw) abort();
    memcpy(raw, data, size);
    valid_n = chunk_id_valid_n(raw, size);
    FUZZ_CHECK(valid_n == fuzz_expect_valid(raw, size));
    free(raw);

    s = fuzz_strndup(data, size);
    FUZZ_CHECK(chunk_id_valid(s) == chunk_id_valid_n(s, strlen(s)));
    free(s);

    /* what we compute is what we accept */
    chunk_id_compute(data, size, id);
    FUZZ_CHECK(chunk_id_valid(id));
    return 0;
}
