/*
 * node_id.c - this chunk server's permanent name, kept in DATA/node_id.
 */
#include "node_id.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fsutil.h"

#define NODE_ID_FILE "node_id"

bool node_id_valid(const char *s)
{
    for (size_t i = 0; i < NODE_ID_HEX; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return s[NODE_ID_HEX] == '\0';
}

static int node_id_create(const char *path, char out[NODE_ID_STRLEN], char *err,
                          size_t errlen)
{
    unsigned char raw[NODE_ID_HEX / 2];
    char text[NODE_ID_STRLEN + 1];
    int rc;

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(out, NODE_ID_STRLEN, raw, sizeof(raw));
    snprintf(text, sizeof(text), "%s\n", out);
    rc = fs_write_file_atomic(path, text, strlen(text), 0644);
    if (rc < 0)
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(-rc));
    return rc;
}

int node_id_load_or_create(const char *data_dir, char out[NODE_ID_STRLEN],
                           char *err, size_t errlen)
{
    char path[PATH_MAX], *text = NULL;
    size_t len;
    int rc;

    if (snprintf(path, sizeof(path), "%s/%s", data_dir, NODE_ID_FILE) >=
        (int)sizeof(path))
        return -ENAMETOOLONG;
    rc = fs_read_file(path, 64, &text, &len);
    if (rc == -ENOENT) return node_id_create(path, out, err, errlen);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
        return rc;
    }
    /* tolerate the trailing newline an editor or echo(1) adds */
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    if (!node_id_valid(text)) {
        snprintf(err, errlen, "%s is not 32 lowercase hex characters", path);
        free(text);
        return -EINVAL;
    }
    memcpy(out, text, NODE_ID_STRLEN);
    free(text);
    return 0;
}
