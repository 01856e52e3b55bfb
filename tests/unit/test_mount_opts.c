/*
 * test_mount_opts.c - unit tests of mount.dfs's command line: our -o
 * keys, fstab keys dropped, the rest passed to FUSE, usage errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "mount_opts.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_defaults(void **state)
{
    char *argv[] = {"mount.dfs", "127.0.0.1:9400", "/mnt"};
    struct mount_opts o;
    char err[256];

    (void)state;
    assert_int_equal(mount_opts_parse(ARGC(argv), argv, &o, err, sizeof(err)),
                     0);
    assert_string_equal(o.master, "127.0.0.1:9400");
    assert_string_equal(o.mountpoint, "/mnt");
    assert_string_equal(o.secret_file, "/etc/dfs/secret");
    assert_int_equal(o.retry_ms, 30000);
    assert_int_equal(o.cache_mb, 64);
    assert_true(o.attr_timeout == 1.0);
    assert_false(o.writeback_cache);
    assert_false(o.verify_strict);
    assert_int_equal(o.read_ahead_kb, 1024);
    assert_true(o.local_reads);
    assert_true(o.direct_reads);
    assert_true(o.leases);
    assert_false(o.foreground);
    assert_string_equal(o.fuse_opts, "");
    mount_opts_free(&o);
}

static void test_o_keys(void **state)
{
    char *argv[] = {
        "mount.dfs",
        "h:1",
        "/m",
        "-o",
        "_netdev,secret_file=/s,allow_other,x-systemd.automount,"
        "attr_timeout=0.5,writeback_cache,nofail,ro,"
        "verify=strict,read_ahead_kb=0,local_reads=false,leases=false,"
        "direct_reads=false",
        "-d",
        "-oretry_ms=100"};
    struct mount_opts o;
    char err[256];

    (void)state;
    assert_int_equal(mount_opts_parse(ARGC(argv), argv, &o, err, sizeof(err)),
                     0);
    assert_string_equal(o.secret_file, "/s");
    assert_true(o.attr_timeout == 0.5);
    assert_true(o.writeback_cache);
    assert_true(o.debug && o.foreground);
    assert_int_equal(o.retry_ms, 100);
    assert_string_equal(o.fuse_opts, "allow_other,ro");
    assert_true(o.verify_strict);
    assert_int_equal(o.read_ahead_kb, 0);
    assert_false(o.local_reads);
    assert_false(o.direct_reads);
    assert_false(o.leases);
    mount_opts_free(&o);
}

static void test_errors(void **state)
{
    char *missing[] = {"mount.dfs", "h:1"};
    char *badflag[] = {"mount.dfs", "h:1", "/m", "-x"};
    char *badnum[] = {"mount.dfs", "h:1", "/m", "-o", "retry_ms=abc"};
    char *badtime[] = {"mount.dfs", "h:1", "/m", "-o", "entry_timeout=-1"};
    char *badverify[] = {"mount.dfs", "h:1", "/m", "-o", "verify=maybe"};
    char *badra[] = {"mount.dfs", "h:1", "/m", "-o", "read_ahead_kb=-4"};
    char *badlocal[] = {"mount.dfs", "h:1", "/m", "-o", "local_reads=maybe"};
    char *badleases[] = {"mount.dfs", "h:1", "/m", "-o", "leases=2"};
    struct mount_opts o;
    char err[256];

    (void)state;
    assert_int_equal(
        mount_opts_parse(ARGC(missing), missing, &o, err, sizeof(err)),
        -EINVAL);
    assert_int_equal(
        mount_opts_parse(ARGC(badflag), badflag, &o, err, sizeof(err)),
        -EINVAL);
    assert_int_equal(
        mount_opts_parse(ARGC(badnum), badnum, &o, err, sizeof(err)), -EINVAL);
    assert_int_equal(
        mount_opts_parse(ARGC(badtime), badtime, &o, err, sizeof(err)),
        -EINVAL);
    assert_int_equal(
        mount_opts_parse(ARGC(badverify), badverify, &o, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "verify 'maybe'"));
    assert_int_equal(mount_opts_parse(ARGC(badra), badra, &o, err, sizeof(err)),
                     -EINVAL);
    assert_non_null(strstr(err, "read_ahead_kb"));
    assert_int_equal(
        mount_opts_parse(ARGC(badlocal), badlocal, &o, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "local_reads"));
    assert_int_equal(
        mount_opts_parse(ARGC(badleases), badleases, &o, err, sizeof(err)),
        -EINVAL);
    assert_non_null(strstr(err, "leases"));
    mount_opts_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_o_keys),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
