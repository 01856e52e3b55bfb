/*
 * node_id.h - this chunk server's permanent name, kept in DATA/node_id.
 *
 * 32 random lowercase hex characters, made on first start.  The master
 * knows a server by it, so it must survive restarts and address changes.
 */
#ifndef DFS_CHUNKD_NODE_ID_H
#define DFS_CHUNKD_NODE_ID_H

#include <stdbool.h>
#include <stddef.h>

#define NODE_ID_HEX 32
#define NODE_ID_STRLEN (NODE_ID_HEX + 1)

/* true iff s is exactly 32 lowercase hex characters. */
bool node_id_valid(const char *s);

/* Read DATA/node_id, or create it (durably) if missing.  A file that is
 * present but malformed is an error, not replaced: a server that silently
 * changed its name would orphan every chunk it holds. */
int node_id_load_or_create(const char *data_dir, char out[NODE_ID_STRLEN],
                           char *err, size_t errlen);

#endif
