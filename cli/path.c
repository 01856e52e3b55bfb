/*
 * path.c - cluster paths for the dfs commands: split into names, then
 * looked up from the root one name at a time (the master has no path
 * lookup: it knows inodes and names in directories).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "meta_wire.h"

int cli_path_split(const char *path, struct cli_path *p)
{
    char *save = NULL, *tok;

    if (strlen(path) >= sizeof(p->buf)) return -ENAMETOOLONG;
    strcpy(p->buf, path);
    p->n = 0;
    for (tok = strtok_r(p->buf, "/", &save); tok;
         tok = strtok_r(NULL, "/", &save)) {
        if (strcmp(tok, ".") == 0) continue;
        if (strcmp(tok, "..") == 0) {
            if (p->n > 0) p->n--;
            continue;
        }
        if (p->n == CLI_PATH_DEPTH_MAX || !meta_name_valid(tok))
            return p->n == CLI_PATH_DEPTH_MAX ? -ENAMETOOLONG : -EINVAL;
        p->comp[p->n++] = tok;
    }
    return 0;
}

int cli_path_walk(struct master_client *mc, char **comp, size_t n,
                  struct dfs_attr *attr)
{
    int rc = master_getattr(mc, CLI_ROOT_INO, attr);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!S_ISDIR(attr->mode)) return -ENOTDIR;
        rc = master_lookup(mc, attr->ino, comp[i], attr);
    }
    return rc;
}
