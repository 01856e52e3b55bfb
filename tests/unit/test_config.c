/*
 * test_config.c - option table: defaults, config file, flags (which win),
 * error messages users see, positional arguments and --help text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char *data_dir, *listen_addr, *name;
static long long heartbeat_ms, count;
static bool foreground, verbose;

static const struct config_option options[] = {
    {"data", CONFIG_STRING, NULL, "DIR", "data directory", &data_dir},
    {"listen", CONFIG_STRING, "127.0.0.1:9000", "HOST:PORT", "address",
     &listen_addr},
    {"name", CONFIG_STRING, "dflt", "NAME", "a name", &name},
    {"heartbeat-ms", CONFIG_INT, "2000", "MS", "heartbeat interval",
     &heartbeat_ms},
    {"count", CONFIG_INT, NULL, "N", "a count", &count},
    {"foreground", CONFIG_BOOL, NULL, NULL, "stay in front", &foreground},
    {"verbose", CONFIG_BOOL, "true", NULL, "talk", &verbose},
    {0}};

static char tmpdir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/dfs-test-config.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    config_free(options);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write text to a file in tmpdir and return its path (static buffer). */
static const char *write_conf(const char *text)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/test.conf", tmpdir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static enum config_result parse(int argc, char **argv, char *err, size_t errlen)
{
    return config_parse(options, "test", argc, argv, NULL, 0, NULL, err,
                        errlen);
}

static void test_defaults(void **state)
{
    char *argv[] = {"prog", NULL};
    char err[256];

    (void)state;
    count = 77;
    foreground = true;
    assert_int_equal(parse(1, argv, err, sizeof(err)), CONFIG_OK);
    assert_null(data_dir);
    assert_string_equal(listen_addr, "127.0.0.1:9000");
    assert_int_equal(heartbeat_ms, 2000);
    assert_int_equal(count, 0);
    assert_false(foreground);
    assert_true(verbose);
    config_free(options);
    assert_null(listen_addr);
}

static void test_flags(void **state)
{
    char *argv[] = {"prog",         "--data",
                    "/srv/x",       "--heartbeat-ms=50",
                    "--foreground", "--verbose=false",
                    "--count",      "-3",
                    "--name=",      NULL};
    char err[256];

    (void)state;
    assert_int_equal(parse(9, argv, err, sizeof(err)), CONFIG_OK);
    assert_string_equal(data_dir, "/srv/x");
    assert_int_equal(heartbeat_ms, 50);
    assert_int_equal(count, -3);
    assert_true(foreground);
    assert_false(verbose);
    assert_string_equal(name, "");
    config_free(options);
}

static void test_file_then_flags(void **state)
{
    const char *path = write_conf("# comment line\n"
                                  "\n"
                                  "  data = /from/file  \n"
                                  "heartbeat-ms=10 # trailing comment\n"
                                  "foreground = yes\n"
                                  "verbose = 0\n"
                                  "name = a#b\n");
    char *argv[] = {"prog",     "--heartbeat-ms", "20",
                    "--config", (char *)path,     NULL};
    char err[256] = "";

    (void)state;
    assert_int_equal(parse(5, argv, err, sizeof(err)), CONFIG_OK);
    assert_string_equal(data_dir, "/from/file");
    assert_int_equal(heartbeat_ms, 20); /* the flag wins, wherever it is */
    assert_true(foreground);
    assert_false(verbose);
    assert_string_equal(name, "a#b"); /* '#' inside a value is kept */
    config_free(options);
}

static void expect_file_error(const char *text, const char *needle)
{
    const char *path = write_conf(text);
    char err[256] = "";

    assert_int_equal(config_load_file(options, path, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, needle));
}

static void test_file_errors(void **state)
{
    char err[256] = "";

    (void)state;
    expect_file_error("data = x\nbogus = 1\n", ":2: unknown option 'bogus'");
    expect_file_error("heartbeat-ms = 12x\n", "heartbeat-ms");
    expect_file_error("foreground = maybe\n", "foreground");
    expect_file_error("just words\n", ":1:");
    assert_int_equal(
        config_load_file(options, "/nonexistent/dfs.conf", err, sizeof(err)),
        -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/dfs.conf"));
    config_free(options);
}

static void test_flag_errors(void **state)
{
    char err[256];
    char *a1[] = {"prog", "--foo", NULL};
    char *a2[] = {"prog", "--data", NULL};
    char *a3[] = {"prog", "--data", "--foreground", NULL};
    char *a4[] = {"prog", "--foo=1", NULL};
    char *a5[] = {"prog", "stray", NULL};
    char *a6[] = {"prog", "--config", NULL};

    (void)state;
    assert_int_equal(parse(2, a1, err, sizeof(err)), CONFIG_ERROR);
    assert_string_equal(err, "unknown option '--foo' (see --help)");
    assert_int_equal(parse(2, a2, err, sizeof(err)), CONFIG_ERROR);
    assert_string_equal(err, "option '--data' needs a value");
    assert_int_equal(parse(3, a3, err, sizeof(err)), CONFIG_ERROR);
    assert_string_equal(err, "option '--data' needs a value");
    assert_int_equal(parse(2, a4, err, sizeof(err)), CONFIG_ERROR);
    assert_string_equal(err, "unknown option '--foo' (see --help)");
    assert_int_equal(parse(2, a5, err, sizeof(err)), CONFIG_ERROR);
    assert_non_null(strstr(err, "stray"));
    assert_int_equal(parse(2, a6, err, sizeof(err)), CONFIG_ERROR);
    config_free(options);
}

static void test_int_values(void **state)
{
    char err[256];
    const char *bad[] = {"",
                         "12x",
                         "x",
                         "99999999999999999999",
                         "-99999999999999999999",
                         " 5",
                         "5 ",
                         "1.5",
                         "0x10"};

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        heartbeat_ms = 123;
        assert_int_equal(
            config_set(options, "heartbeat-ms", bad[i], err, sizeof(err)),
            -EINVAL);
        assert_int_equal(heartbeat_ms, 123);
    }
    assert_int_equal(config_set(options, "heartbeat-ms", "9223372036854775807",
                                err, sizeof(err)),
                     0);
    assert_true(heartbeat_ms == 9223372036854775807LL);
    assert_int_equal(config_set(options, "nope", "1", err, sizeof(err)),
                     -ENOENT);
    /* strings replace, not leak (valgrind checks) */
    assert_int_equal(config_set(options, "data", "a", NULL, 0), 0);
    assert_int_equal(config_set(options, "data", "b", NULL, 0), 0);
    assert_string_equal(data_dir, "b");
    config_free(options);
}

static void test_positional(void **state)
{
    char *argv[] = {"prog",    "one", "--foreground", "two", "--",
                    "--three", NULL};
    char *pos[3];
    int npos = -1;
    char err[256];

    (void)state;
    assert_int_equal(
        config_parse(options, "u", 6, argv, pos, 3, &npos, err, sizeof(err)),
        CONFIG_OK);
    assert_int_equal(npos, 3);
    assert_string_equal(pos[0], "one");
    assert_string_equal(pos[1], "two");
    assert_string_equal(pos[2], "--three");
    assert_true(foreground);
    assert_int_equal(
        config_parse(options, "u", 6, argv, pos, 2, &npos, err, sizeof(err)),
        CONFIG_ERROR);
    assert_non_null(strstr(err, "--three"));
    config_free(options);
}

static void test_help(void **state)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    char *argv[] = {"prog", "--bogus", "--help", NULL};
    char err[256];

    (void)state;
    assert_non_null(f);
    config_print_help(f, "dfs-test --data DIR", options);
    fclose(f);
    assert_non_null(strstr(buf, "dfs-test --data DIR"));
    assert_non_null(strstr(buf, "--data DIR"));
    assert_non_null(strstr(buf, "data directory"));
    assert_non_null(strstr(buf, "--heartbeat-ms MS"));
    assert_non_null(strstr(buf, "heartbeat interval (default: 2000)"));
    assert_non_null(strstr(buf, "(default: 127.0.0.1:9000)"));
    assert_non_null(strstr(buf, "--foreground"));
    assert_non_null(strstr(buf, "--config FILE"));
    assert_non_null(strstr(buf, "--help"));
    /* no "(default" after an option without one */
    char *line = strstr(buf, "data directory");
    assert_true(line[strlen("data directory")] == '\n');
    free(buf);

    /* --help wins even after an unknown flag; help goes to stdout */
    fflush(stdout);
    int saved = dup(1);
    FILE *null = fopen("/dev/null", "w");
    dup2(fileno(null), 1);
    enum config_result r = parse(3, argv, err, sizeof(err));
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(null);
    assert_int_equal(r, CONFIG_HELP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_file_then_flags),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_flag_errors),
        cmocka_unit_test(test_int_values),
        cmocka_unit_test(test_positional),
        cmocka_unit_test(test_help),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
