/*
 * http_range.c - the Range request header, for serving parts of a chunk.
 *
 * The header comes from a peer, so every number is parsed with an overflow
 * check and nothing beyond the text is assumed.
 */
#include "http_range.h"

#include <stdbool.h>
#include <string.h>

/* Decimal digits at *p into *out; advances *p.  false if there are none
 * or the value does not fit in 64 bits. */
static bool http_range_number(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;

    if (*s < '0' || *s > '9') return false;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return true;
}

/* "-n": the last n bytes. */
static enum http_range_result http_range_suffix(const char *p, uint64_t size,
                                                uint64_t *offset, uint64_t *len)
{
    uint64_t n;

    if (!http_range_number(&p, &n) || *p != '\0') return HTTP_RANGE_WHOLE;
    if (n == 0 || size == 0) return HTTP_RANGE_UNSATISFIABLE;
    if (n > size) n = size;
    *offset = size - n;
    *len = n;
    return HTTP_RANGE_PARTIAL;
}

enum http_range_result http_range_parse(const char *header, uint64_t size,
                                        uint64_t *offset, uint64_t *len)
{
    const char *p = header;
    uint64_t first, last;

    if (!p || strncmp(p, "bytes=", 6) != 0 || strchr(p, ','))
        return HTTP_RANGE_WHOLE;
    p += 6;
    if (*p == '-') return http_range_suffix(p + 1, size, offset, len);
    if (!http_range_number(&p, &first) || *p++ != '-') return HTTP_RANGE_WHOLE;
    if (*p == '\0') {
        last = UINT64_MAX; /* "a-": to the end */
    } else if (!http_range_number(&p, &last) || *p != '\0' || last < first) {
        return HTTP_RANGE_WHOLE;
    }
    if (first >= size) return HTTP_RANGE_UNSATISFIABLE;
    if (last >= size) last = size - 1;
    *offset = first;
    *len = last - first + 1;
    return HTTP_RANGE_PARTIAL;
}
