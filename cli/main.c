/*
 * main.c - dfs(1): the command-line tool for people running a cluster.
 *
 *     dfs [--master HOST:PORT] [--secret-file FILE] COMMAND [ARGS]
 *
 * This file is the table of contents: the global options (config.h), the
 * table of commands, help, and the connection to the master that every
 * command uses.  The commands live in cmd_status.c and cmd_copy.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "chunk_id.h"
#include "cli.h"
#include "config.h"
#include "log.h"

#define CLI_USAGE "dfs [--master HOST:PORT] [--secret-file FILE] COMMAND [ARGS]"
#define CLI_DEFAULT_MASTER "127.0.0.1:9400"
#define CLI_DEFAULT_SECRET "/etc/dfs/secret"
/* cli_command_args: --help was given and answered. */
#define CLI_HELP_SHOWN (-1)
/* A person is waiting: give a restarting master a few seconds, not 30. */
#define CLI_RETRY_MS 10000L

static char *opt_master;
static char *opt_secret_file;
static char *opt_tls_ca;

static const struct config_option cli_options[] = {
    {"master", CONFIG_STRING, NULL, "HOST:PORT",
     "master address (default $DFS_MASTER, then " CLI_DEFAULT_MASTER ")",
     &opt_master},
    {"secret-file", CONFIG_STRING, NULL, "FILE",
     "cluster secret (default $DFS_SECRET_FILE, then " CLI_DEFAULT_SECRET ")",
     &opt_secret_file},
    {"tls-ca", CONFIG_STRING, NULL, "FILE",
     "the cluster uses TLS: talk https, trusting this CA (PEM)", &opt_tls_ca},
    {0}};

struct cli_command {
    const char *name;
    const char *args;  /* shown in usage */
    int min_args;      /* positional arguments: at least */
    int max_args;      /* and at most (missing ones are NULL) */
    const char *flags; /* its own boolean options, space-separated */
    int (*run)(struct cli *cli, char **args);
    const char *help;
};

static const struct cli_command cli_commands[] = {
    {"status", "", 0, 0, "", cmd_status,
     "chunk servers (alive or not, address, capacity, free, chunks), totals"},
    {"nodes", "", 0, 0, "", cmd_nodes, "one line per live chunk server"},
    {"put", "LOCAL PATH", 2, 2, "", cmd_put,
     "copy a local file into the cluster (LOCAL '-' = stdin)"},
    {"get", "PATH LOCAL", 2, 2, "", cmd_get,
     "copy a file out of the cluster (LOCAL '-' = stdout)"},
    {"fsck", "[--verify] [PATH]", 0, 1, "--verify", cmd_fsck,
     "check the copies of every chunk under PATH (default /)"},
    {"drain", "NODE", 1, 1, "", cmd_drain,
     "move every chunk off a chunk server (id, id prefix or address)"},
    {"undrain", "NODE", 1, 1, "", cmd_undrain,
     "let a drained chunk server take chunks again"},
    {NULL, NULL, 0, 0, NULL, NULL, NULL}};

int cli_fail(const char *fmt, ...)
{
    va_list ap;

    fputs("dfs: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_ERROR;
}

int cli_master_fail(const struct cli *cli, int rc)
{
    if (rc == -EACCES || rc == -EPERM)
        return cli_fail("%s: %s (is the cluster secret right?)", cli->master,
                        strerror(-rc));
    if (rc == -EIO || rc == -ETIMEDOUT || rc == -ECONNREFUSED)
        return cli_fail("%s: cannot reach the master (%s)", cli->master,
                        strerror(-rc));
    return cli_fail("%s: %s", cli->master, strerror(-rc));
}

static void cli_help(void)
{
    config_print_help(stdout, CLI_USAGE, cli_options);
    printf("\nCommands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++) {
        char left[64];
        snprintf(left, sizeof(left), "%s%s%s", c->name, c->args[0] ? " " : "",
                 c->args);
        printf("  %-18s %s\n", left, c->help);
    }
    printf("  %-18s %s\n", "help [COMMAND]", "this text, or one command's");
    printf("\nRun 'dfs COMMAND --help' for one command.  "
           "See dfs(1).\n");
}

static void cli_command_help(const struct cli_command *c)
{
    printf("usage: dfs [global options] %s%s%s\n\n%s\n", c->name,
           c->args[0] ? " " : "", c->args, c->help);
}

static const struct cli_command *cli_find(const char *name)
{
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, name) == 0) return c;
    return NULL;
}

static int cli_unknown(const char *name)
{
    fprintf(stderr, "dfs: unknown command '%s' (see dfs --help)\n", name);
    return CLI_EXIT_USAGE;
}

/* Index of the first argument after the global options.  Values of
 * "--name value" options are skipped so a value is not taken for the
 * command; config_parse then checks the options themselves. */
static int cli_options_end(int argc, char **argv, bool *help)
{
    int i = 1;

    while (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
        const char *a = argv[i];
        bool takes_value = false;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) *help = true;
        if (strncmp(a, "--", 2) == 0 && !strchr(a, '=')) {
            for (const struct config_option *o = cli_options; o->name; o++)
                if (strcmp(a + 2, o->name) == 0 && o->type != CONFIG_BOOL)
                    takes_value = true;
            takes_value |= strcmp(a, "--config") == 0;
        }
        i += takes_value ? 2 : 1;
    }
    return i < argc ? i : argc;
}

/* Whether a is one of the space-separated words of list. */
static bool cli_word_in(const char *a, const char *list)
{
    size_t len = strlen(a);
    for (const char *p = list; (p = strstr(p, a)) != NULL; p += len)
        if ((p == list || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
            return true;
    return false;
}

bool cli_flag(const struct cli *cli, const char *flag)
{
    for (size_t i = 0; i < cli->nflags; i++)
        if (strcmp(cli->flags[i], flag) == 0) return true;
    return false;
}

/* The command's own arguments into args[] and its flags into cli: --help,
 * "--" and a count check.  CLI_EXIT_OK, CLI_HELP_SHOWN or
 * CLI_EXIT_USAGE. */
static int cli_command_args(const struct cli_command *c, int argc, char **argv,
                            char **args, struct cli *cli)
{
    int n = 0;
    bool dashdash = false;

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            cli_command_help(c);
            return CLI_HELP_SHOWN;
        }
        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = true;
            continue;
        }
        if (!dashdash && a[0] == '-' && a[1] != '\0') {
            if (cli_word_in(a, c->flags) && cli->nflags < CLI_FLAGS_MAX) {
                cli->flags[cli->nflags++] = a;
                continue;
            }
            fprintf(stderr,
                    "dfs: %s: unknown option '%s' (see dfs %s --help)\n",
                    c->name, a, c->name);
            return CLI_EXIT_USAGE;
        }
        if (n == c->max_args) {
            n++;
            break;
        }
        args[n++] = argv[i];
    }
    if (n < c->min_args || n > c->max_args) {
        fprintf(stderr, "dfs: usage: dfs %s%s%s\n", c->name,
                c->args[0] ? " " : "", c->args);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Keys, HTTP client and master client for the commands. */
static int cli_connect(struct cli *cli, struct auth_keys *keys)
{
    const char *secret = opt_secret_file;
    char err[512] = "";
    struct addr a;
    int rc;

    cli->master = opt_master ? opt_master : getenv("DFS_MASTER");
    if (!cli->master || !cli->master[0]) cli->master = CLI_DEFAULT_MASTER;
    if (addr_parse(cli->master, &a, err, sizeof(err)) < 0)
        return cli_fail("--master: %s", err);
    if (!secret) secret = getenv("DFS_SECRET_FILE");
    if (!secret || !secret[0]) secret = CLI_DEFAULT_SECRET;
    rc = auth_keys_load(secret, AUTH_ROLE_CLIENT, keys, err, sizeof(err));
    if (rc < 0)
        return err[0] ? cli_fail("%s", err)
                      : cli_fail("%s: %s", secret, strerror(-rc));
    /* Retry warnings would break the one-line error rule. */
    log_init("dfs", LOG_LEVEL_ERROR);
    if (chunk_id_init() < 0) return cli_fail("cannot initialise libsodium");
    cli->http = http_client_new(keys, opt_tls_ca);
    if (!cli->http) return cli_fail("cannot create the HTTP client");
    cli->mc = master_client_new(cli->http, cli->master, CLI_RETRY_MS);
    if (!cli->mc) return cli_fail("cannot create the master client");
    return CLI_EXIT_OK;
}

static int cli_run(const struct cli_command *c, int argc, char **argv)
{
    static struct auth_keys keys; /* outlives the http client */
    struct cli cli = {0};
    char *args[4] = {0};
    int rc;

    rc = cli_command_args(c, argc, argv, args, &cli);
    if (rc != CLI_EXIT_OK) return rc == CLI_HELP_SHOWN ? CLI_EXIT_OK : rc;
    rc = cli_connect(&cli, &keys);
    if (rc == CLI_EXIT_OK) rc = c->run(&cli, args);
    if (cli.mc) master_client_free(cli.mc);
    if (cli.http) http_client_free(cli.http);
    return rc;
}

int main(int argc, char **argv)
{
    const struct cli_command *c;
    char *positional[1];
    char err[512] = "";
    bool help = false;
    int npos = 0, rc;
    int cmd = cli_options_end(argc, argv, &help);

    if (help) {
        cli_help();
        return CLI_EXIT_OK;
    }
    if (config_parse(cli_options, CLI_USAGE, cmd, argv, positional, 0, &npos,
                     err, sizeof(err)) != CONFIG_OK) {
        fprintf(stderr, "dfs: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (cmd >= argc) {
        fprintf(stderr, "usage: %s\n(see dfs --help)\n", CLI_USAGE);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[cmd], "help") == 0) {
        if (cmd + 1 >= argc) {
            cli_help();
            return CLI_EXIT_OK;
        }
        c = cli_find(argv[cmd + 1]);
        if (!c) return cli_unknown(argv[cmd + 1]);
        cli_command_help(c);
        return CLI_EXIT_OK;
    }
    c = cli_find(argv[cmd]);
    if (!c) return cli_unknown(argv[cmd]);
    rc = cli_run(c, argc - cmd - 1, argv + cmd + 1);
    config_free(cli_options);
    return rc;
}
