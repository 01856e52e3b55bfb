/*
 * http_range.h - the Range request header, for serving parts of a chunk.
 *
 * Only what a chunk reader needs: one range of bytes, in the three RFC 9110
 * forms "bytes=a-b", "bytes=a-" and "bytes=-n".  A header that is
 * malformed or asks for several ranges is ignored (the whole chunk is
 * served with 200), which the RFC allows.
 */
#ifndef DFS_CHUNKD_HTTP_RANGE_H
#define DFS_CHUNKD_HTTP_RANGE_H

#include <stdint.h>

enum http_range_result {
    HTTP_RANGE_WHOLE,         /* no usable Range: send everything, 200 */
    HTTP_RANGE_PARTIAL,       /* send [*offset, *offset + *len), 206 */
    HTTP_RANGE_UNSATISFIABLE, /* 416 with "Content-Range: bytes * /size" */
};

/* header may be NULL.  size is the resource's length. */
enum http_range_result http_range_parse(const char *header, uint64_t size,
                                        uint64_t *offset, uint64_t *len);

#endif
