/*
 * config.c - options from one table: defaults, config file, flags, --help.
 *
 * Precedence is default < config file < command line, applied in that
 * order by config_parse(), so each later source simply overwrites.  Every
 * error names the option and the source (flag, or file and line) because
 * a daemon that refuses to start should say exactly why.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void config_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void config_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0) return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const struct config_option *
config_find(const struct config_option *options, const char *name, size_t len)
{
    for (const struct config_option *o = options; o->name; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static int config_parse_int(const char *value, long long *out)
{
    char *end;
    long long v;

    if (!value || !*value || isspace((unsigned char)*value)) return -EINVAL;
    errno = 0;
    v = strtoll(value, &end, 10);
    if (errno == ERANGE || *end != '\0') return -EINVAL;
    *out = v;
    return 0;
}

static int config_parse_bool(const char *value, bool *out)
{
    static const char *const yes[] = {"true", "yes", "1", "on"};
    static const char *const no[] = {"false", "no", "0", "off"};

    for (size_t i = 0; value && i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

/* Store value (NULL = unset) into o's target. */
static int config_store(const struct config_option *o, const char *value,
                        char *err, size_t errlen)
{
    switch (o->type) {
    case CONFIG_STRING: {
        char **t = o->target, *copy = NULL;
        if (value && !(copy = strdup(value))) return -ENOMEM;
        free(*t);
        *t = copy;
        return 0;
    }
    case CONFIG_INT: {
        long long v = 0;
        if (value && config_parse_int(value, &v) < 0) {
            config_err(err, errlen,
                       "bad value '%s' for option '%s': expected an integer",
                       value, o->name);
            return -EINVAL;
        }
        *(long long *)o->target = v;
        return 0;
    }
    case CONFIG_BOOL: {
        bool v = false;
        if (value && config_parse_bool(value, &v) < 0) {
            config_err(err, errlen,
                       "bad value '%s' for option '%s': expected true or "
                       "false",
                       value, o->name);
            return -EINVAL;
        }
        *(bool *)o->target = v;
        return 0;
    }
    }
    return -EINVAL;
}

int config_set(const struct config_option *options, const char *name,
               const char *value, char *err, size_t errlen)
{
    const struct config_option *o = config_find(options, name, strlen(name));

    if (!o) {
        config_err(err, errlen, "unknown option '%s'", name);
        return -ENOENT;
    }
    return config_store(o, value, err, errlen);
}

static char *config_trim(char *s)
{
    char *end;

    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Cut a comment: '#' at the start or after white space. */
static void config_strip_comment(char *line)
{
    for (char *p = line; *p; p++) {
        if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
    }
}

/* One line of a config file; 0 for blank lines and comments. */
static int config_load_line(const struct config_option *options, char *line,
                            const char *path, unsigned lineno, char *err,
                            size_t errlen)
{
    char msg[512];
    char *eq, *key, *value;
    int rc;

    config_strip_comment(line);
    key = config_trim(line);
    if (*key == '\0') return 0;
    eq = strchr(key, '=');
    if (!eq) {
        config_err(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
        return -EINVAL;
    }
    *eq = '\0';
    key = config_trim(key);
    value = config_trim(eq + 1);
    msg[0] = '\0';
    rc = config_set(options, key, value, msg, sizeof(msg));
    if (rc < 0) {
        config_err(err, errlen, "%s:%u: %s", path, lineno,
                   msg[0] ? msg : strerror(-rc));
        return rc == -ENOENT ? -EINVAL : rc;
    }
    return 0;
}

int config_load_file(const struct config_option *options, const char *path,
                     char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    int rc = 0;

    if (!f) {
        rc = -errno;
        config_err(err, errlen, "cannot read config file %s: %s", path,
                   strerror(-rc));
        return rc;
    }
    while (rc == 0 && getline(&line, &cap, f) >= 0)
        rc = config_load_line(options, line, path, ++lineno, err, errlen);
    if (rc == 0 && ferror(f)) {
        rc = -EIO;
        config_err(err, errlen, "cannot read config file %s", path);
    }
    free(line);
    fclose(f);
    return rc;
}

static int config_defaults(const struct config_option *options, char *err,
                           size_t errlen)
{
    for (const struct config_option *o = options; o->name; o++) {
        int rc = config_store(o, o->default_value, err, errlen);
        if (rc < 0) return rc;
    }
    return 0;
}

/* First pass: --help wins over everything, --config names the file.
 * Returns 1 for help, 0 otherwise, -1 on a --config without a value. */
static int config_prescan(int argc, char **argv, const char **file, char *err,
                          size_t errlen)
{
    *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) break;
        if (strcmp(a, "--help") == 0) return 1;
        if (strncmp(a, "--config=", 9) == 0) {
            *file = a + 9;
        } else if (strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                config_err(err, errlen, "option '--config' needs a value");
                return -1;
            }
            *file = argv[++i];
        }
    }
    return 0;
}

/* Apply one "--name[=value]" flag at argv[*i]; may consume argv[*i + 1]. */
static int config_flag(const struct config_option *options, int argc,
                       char **argv, int *i, char *err, size_t errlen)
{
    const char *name = argv[*i] + 2, *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct config_option *o = config_find(options, name, len);
    const char *value;

    if (len == 6 && strncmp(name, "config", 6) == 0) {
        if (!eq) (*i)++; /* already loaded by the prescan */
        return 0;
    }
    if (!o) {
        config_err(err, errlen, "unknown option '--%.*s' (see --help)",
                   (int)len, name);
        return -EINVAL;
    }
    if (eq) {
        value = eq + 1;
    } else if (o->type == CONFIG_BOOL) {
        value = "true";
    } else if (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) != 0) {
        value = argv[++*i];
    } else {
        config_err(err, errlen, "option '--%s' needs a value", o->name);
        return -EINVAL;
    }
    return config_store(o, value, err, errlen);
}

enum config_result config_parse(const struct config_option *options,
                                const char *usage, int argc, char **argv,
                                char **positional, int max_positional,
                                int *npositional, char *err, size_t errlen)
{
    const char *file;
    bool options_done = false;
    int npos = 0, rc;

    if (npositional) *npositional = 0;
    rc = config_prescan(argc, argv, &file, err, errlen);
    if (rc < 0) return CONFIG_ERROR;
    if (rc == 1) {
        config_print_help(stdout, usage, options);
        return CONFIG_HELP;
    }
    if (config_defaults(options, err, errlen) < 0) return CONFIG_ERROR;
    if (file && config_load_file(options, file, err, errlen) < 0)
        return CONFIG_ERROR;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
        } else if (!options_done && strncmp(a, "--", 2) == 0) {
            if (config_flag(options, argc, argv, &i, err, errlen) < 0)
                return CONFIG_ERROR;
        } else if (npos < max_positional && positional) {
            positional[npos++] = argv[i];
        } else {
            config_err(err, errlen, "unexpected argument '%s' (see --help)", a);
            return CONFIG_ERROR;
        }
    }
    if (npositional) *npositional = npos;
    return CONFIG_OK;
}

/* "--name METAVAR" as shown in the left column of --help. */
static int config_flag_text(const struct config_option *o, char *buf,
                            size_t len)
{
    if (o->type == CONFIG_BOOL || !o->metavar)
        return snprintf(buf, len, "--%s", o->name);
    return snprintf(buf, len, "--%s %s", o->name, o->metavar);
}

void config_print_help(FILE *out, const char *usage,
                       const struct config_option *options)
{
    char left[128];
    int width = (int)strlen("--config FILE");

    for (const struct config_option *o = options; o->name; o++) {
        int n = config_flag_text(o, left, sizeof(left));
        if (n > width && n < (int)sizeof(left)) width = n;
    }
    fprintf(out, "usage: %s\n\noptions:\n", usage ? usage : "");
    for (const struct config_option *o = options; o->name; o++) {
        config_flag_text(o, left, sizeof(left));
        fprintf(out, "  %-*s  %s", width, left, o->help ? o->help : "");
        if (o->default_value) fprintf(out, " (default: %s)", o->default_value);
        fputc('\n', out);
    }
    fprintf(out, "  %-*s  %s\n", width, "--config FILE",
            "read 'key = value' lines from FILE (flags win)");
    fprintf(out, "  %-*s  %s\n", width, "--help", "show this help and exit");
}

void config_free(const struct config_option *options)
{
    for (const struct config_option *o = options; o->name; o++) {
        if (o->type == CONFIG_STRING) {
            char **t = o->target;
            free(*t);
            *t = NULL;
        }
    }
}
