/*
 * fuzz_range.c - chunkd's Range header parser (chunkd/http_range.c).
 *
 * Input layout: 8 bytes of resource size (little endian; the top bits are
 * masked sometimes so small sizes come up often), then the header text.
 * A partial answer must lie inside the resource and not be empty.
 */
#include <stdint.h>

#include "fuzz_common.h"
#include "http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t rsize = 0, off = UINT64_MAX, len = UINT64_MAX;
    enum http_range_result r;
    char *header;

    if (size < 8) return 0;
    for (int i = 7; i >= 0; i--)
        rsize = rsize << 8 | data[i];
    if (rsize & 1) rsize = (rsize >> 1) & 0xffff;
    header = fuzz_strndup(data + 8, size - 8);
    r = http_range_parse(header, rsize, &off, &len);
    FUZZ_CHECK(r == HTTP_RANGE_WHOLE || r == HTTP_RANGE_PARTIAL ||
               r == HTTP_RANGE_UNSATISFIABLE);
    if (r == HTTP_RANGE_PARTIAL) {
        FUZZ_CHECK(len > 0 && off < rsize);
        FUZZ_CHECK(len <= rsize - off);
    }
    FUZZ_CHECK(http_range_parse(NULL, rsize, &off, &len) == HTTP_RANGE_WHOLE);
    free(header);
    return 0;
}
