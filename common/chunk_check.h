/*
 * chunk_check.h - a fast checksum that travels with a chunk's bytes.
 *
 * A chunk's id is its BLAKE2b-256, and checking bytes against it costs
 * about a second of CPU per GiB: on a read path that is most of the work.
 * So the chunk server, which checks the id of every chunk it accepts,
 * also computes XXH3-128 of the same bytes in the same pass (~20x
 * cheaper), keeps it with the file and sends it with every whole-chunk
 * GET (header X-Dfs-Check: "xxh3:<32 hex>").  A reader that checks it
 * knows the bytes are the ones the server verified against the id: it
 * catches a disk that rotted them and a link that damaged them.
 *
 * What it does not catch: a chunk server that lies on purpose (it holds
 * the cluster secret, so it is trusted like the master) or an attacker
 * who rewrites replies on the wire (use TLS).  Readers that want the id
 * check anyway ask for it (mount.dfs -o verify=strict).  See
 * docs/durability.md.
 */
#ifndef DFS_CHUNK_CHECK_H
#define DFS_CHUNK_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#define CHUNK_CHECK_BYTES 16
/* "xxh3:" + 32 hex digits, the value of the X-Dfs-Check header */
#define CHUNK_CHECK_PREFIX "xxh3:"
#define CHUNK_CHECK_TEXT_MAX (sizeof(CHUNK_CHECK_PREFIX) - 1 + 2 * CHUNK_CHECK_BYTES)
#define CHUNK_CHECK_STRLEN (CHUNK_CHECK_TEXT_MAX + 1)

/* The check of len bytes, in raw form (what the server stores). */
void chunk_check_compute(const void *data, size_t len,
                         unsigned char out[CHUNK_CHECK_BYTES]);

/* Raw form to header text ("xxh3:" + hex), NUL-terminated. */
void chunk_check_format(const unsigned char raw[CHUNK_CHECK_BYTES],
                        char out[CHUNK_CHECK_STRLEN]);

/* true iff text is a well-formed check and len bytes at data match it.
 * Unknown algorithms and malformed text are "no match", never an error:
 * the caller then falls back to the id. */
bool chunk_check_matches(const char *text, const void *data, size_t len);

/* Streaming form for bodies that arrive in pieces (opaque state). */
struct chunk_checker;
struct chunk_checker *chunk_checker_new(void);
void chunk_checker_update(struct chunk_checker *c, const void *data,
                          size_t len);
void chunk_checker_final(struct chunk_checker *c,
                         unsigned char out[CHUNK_CHECK_BYTES]);
void chunk_checker_free(struct chunk_checker *c);

#endif
