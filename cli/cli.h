/*
 * cli.h - what the dfs(1) commands share.
 *
 * main.c parses the global options, connects to the master and dispatches
 * to one cmd_* function per command.  A command gets its own arguments
 * (already counted by main.c) and returns the process exit status:
 * 0 ok, 1 error (after printing one "dfs: ..." line).
 */
#ifndef DFS_CLI_H
#define DFS_CLI_H

#include <limits.h>
#include <stdbool.h>

#include "http_client.h"
#include "master_client.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2

#define CLI_FLAGS_MAX 4

struct cli {
    const char *master;       /* "host:port" of dfs-master */
    struct http_client *http; /* signed as AUTH_ROLE_CLIENT */
    struct master_client *mc;
    const char *flags[CLI_FLAGS_MAX]; /* the command's flags given */
    size_t nflags;
};

/* Whether the command was given flag ("--verify"). */
bool cli_flag(const struct cli *cli, const char *flag);

int cmd_status(struct cli *cli, char **args);
int cmd_nodes(struct cli *cli, char **args);
int cmd_put(struct cli *cli, char **args);
int cmd_get(struct cli *cli, char **args);
int cmd_fsck(struct cli *cli, char **args);
int cmd_drain(struct cli *cli, char **args);
int cmd_undrain(struct cli *cli, char **args);

/* ---- cluster paths (path.c) ---- */

#define CLI_ROOT_INO 1
#define CLI_PATH_DEPTH_MAX 256

/* A cluster path split into names; "." dropped, ".." taken lexically. */
struct cli_path {
    char buf[PATH_MAX];
    char *comp[CLI_PATH_DEPTH_MAX];
    size_t n;
};
/* 0, -ENAMETOOLONG, or -EINVAL for a name that cannot exist. */
int cli_path_split(const char *path, struct cli_path *p);
/* Look up comp[0..n-1] from the root; *attr is the last one's. */
int cli_path_walk(struct master_client *mc, char **comp, size_t n,
                  struct dfs_attr *attr);

/* Print "dfs: <message>" on stderr; returns CLI_EXIT_ERROR. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_fail for a master call that returned rc (-errno), with a hint for
 * the two failures people meet first: wrong secret, master not running. */
int cli_master_fail(const struct cli *cli, int rc);

#endif
