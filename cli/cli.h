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

#include "http_client.h"
#include "master_client.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2

struct cli {
    const char *master;       /* "host:port" of dfs-master */
    struct http_client *http; /* signed as AUTH_ROLE_CLIENT */
    struct master_client *mc;
};

int cmd_status(struct cli *cli, char **args);
int cmd_nodes(struct cli *cli, char **args);
int cmd_put(struct cli *cli, char **args);
int cmd_get(struct cli *cli, char **args);

/* Print "dfs: <message>" on stderr; returns CLI_EXIT_ERROR. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cli_fail for a master call that returned rc (-errno), with a hint for
 * the two failures people meet first: wrong secret, master not running. */
int cli_master_fail(const struct cli *cli, int rc);

#endif
