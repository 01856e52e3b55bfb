/*
 * test_fsutil.c - the data directory checks of fsutil and privdrop.
 *
 * fs_check_private_dir must refuse a directory other users can write to
 * (group/other write bits, or another owner) with a one-line message that
 * names the directory and its mode; privdrop_prepare must be a no-op
 * without --user and name an unknown user.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"
#include "privdrop.h"

static char dir[] = "/tmp/test_fsutil.XXXXXX";

static void test_private_dir(void **state)
{
    (void)state;
    char err[512] = "";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(fs_check_private_dir(dir, FS_OWNER_SELF, err, sizeof(err)),
                     0);
    assert_int_equal(fs_check_private_dir(dir, geteuid(), err, sizeof(err)), 0);
    chmod(dir, 0755);
    assert_int_equal(fs_check_private_dir(dir, FS_OWNER_SELF, err, sizeof(err)),
                     0);

    chmod(dir, 0777);
    assert_int_equal(fs_check_private_dir(dir, FS_OWNER_SELF, err, sizeof(err)),
                     -EPERM);
    assert_non_null(strstr(err, dir));
    assert_non_null(strstr(err, "writable by other users (mode 0777)"));
    chmod(dir, 0770);
    assert_int_equal(fs_check_private_dir(dir, FS_OWNER_SELF, err, sizeof(err)),
                     -EPERM);
    assert_non_null(strstr(err, "(mode 0770)"));

    /* Owned by us, but the daemon is to run as someone else. */
    chmod(dir, 0700);
    assert_int_equal(
        fs_check_private_dir(dir, geteuid() + 4242, err, sizeof(err)), -EPERM);
    assert_non_null(strstr(err, "is owned by"));
    rmdir(dir);
    assert_int_equal(fs_check_private_dir(dir, FS_OWNER_SELF, err, sizeof(err)),
                     -ENOENT);
    assert_non_null(strstr(err, "does not exist"));
}

static void test_privdrop_prepare(void **state)
{
    (void)state;
    struct privdrop p;
    char err[512] = "";
    assert_int_equal(privdrop_prepare(NULL, &p, err, sizeof(err)), 0);
    assert_false(p.active);
    assert_int_equal(privdrop_data_owner(&p), FS_OWNER_SELF);
    assert_int_equal(privdrop_enter_user(&p, err, sizeof(err)), 0);
    assert_int_equal(privdrop_finish(&p, err, sizeof(err)), 0);
    assert_true(privdrop_prepare("no-such-user-dfs", &p, err, sizeof(err)) <
                0);
    assert_non_null(strstr(err, "no-such-user-dfs"));
    assert_true(privdrop_prepare("root", &p, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "root"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_dir),
        cmocka_unit_test(test_privdrop_prepare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
