/*
 * config.h - one table of options per program: defaults, flags, config
 * file and --help all come from it.
 *
 * A program declares its options once:
 *
 *     static char *data_dir;
 *     static long long heartbeat_ms;
 *     static const struct config_option options[] = {
 *         {"data", CONFIG_STRING, NULL, "DIR", "data directory", &data_dir},
 *         {"heartbeat-ms", CONFIG_INT, "2000", "MS", "heartbeat interval",
 *          &heartbeat_ms},
 *         {0}};
 *
 * config_parse() then sets every target to its default, loads the file
 * named by --config FILE if given (lines "key = value", '#' comments,
 * keys are the option names), then applies "--name value" and
 * "--name=value" from argv (flags win over the file).  CONFIG_BOOL options
 * take no value on the command line ("--foreground") and "true/false/yes/
 * no/1/0" in the file.  "--help" and "--config" are handled here.
 */
#ifndef DFS_CONFIG_H
#define DFS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum config_type {
    CONFIG_STRING, /* target: char ** (malloc'd copy, or NULL) */
    CONFIG_INT,    /* target: long long * */
    CONFIG_BOOL,   /* target: bool * */
};

struct config_option {
    const char *name;          /* "data" for --data and "data = ..." */
    enum config_type type;
    const char *default_value; /* text as in the file; NULL = unset */
    const char *metavar;       /* "DIR" in --help; NULL for bools */
    const char *help;          /* one line */
    void *target;
};

enum config_result {
    CONFIG_OK = 0,
    CONFIG_HELP = 1,   /* --help was given: help printed to stdout */
    CONFIG_ERROR = -1, /* message in err: unknown flag, bad value, ... */
};

/* Parse as described above.  Positional arguments (those not starting with
 * "--") are collected in order into positional[0..*npositional-1] (pointers
 * into argv); at most max_positional, more is an error.  usage is the first
 * line of --help, e.g. "dfs-master --data DIR --listen HOST:PORT". */
enum config_result config_parse(const struct config_option *options,
                                const char *usage, int argc, char **argv,
                                char **positional, int max_positional,
                                int *npositional, char *err, size_t errlen);

/* Load "key = value" lines from path into the targets.  Unknown keys and
 * bad values are errors naming the file and line. */
int config_load_file(const struct config_option *options, const char *path,
                     char *err, size_t errlen);

/* Set one option by name from text (used by both of the above and by
 * mount.dfs for -o key=value).  -ENOENT unknown name, -EINVAL bad value. */
int config_set(const struct config_option *options, const char *name,
               const char *value, char *err, size_t errlen);

void config_print_help(FILE *out, const char *usage,
                       const struct config_option *options);

/* Free the strings config_parse allocated. */
void config_free(const struct config_option *options);

#endif
