/*
 * test_readahead.c - finding a mount's backing device in mountinfo.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "readahead.h"

static const char info[] =
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "40 22 0:39 / /tmp/run/mnt rw,nosuid,nodev - fuse.dfs dfs#m:1 rw\n"
    "41 22 0:40 / /tmp/with\\040space rw - fuse.dfs dfs#m:2 rw\n"
    "42 40 0:41 / /tmp/run/mnt rw - fuse.dfs dfs#m:3 rw\n"
    "43 22 0:42 / /tmp/short";

static void test_device_found(void **state)
{
    char dev[32];
    (void)state;

    assert_int_equal(readahead_device_of(info, "/", dev, sizeof(dev)), 0);
    assert_string_equal(dev, "254:0");
    /* mounted twice: the last (topmost) one is ours */
    assert_int_equal(
        readahead_device_of(info, "/tmp/run/mnt", dev, sizeof(dev)), 0);
    assert_string_equal(dev, "0:41");
    /* escaped characters in the mount point */
    assert_int_equal(
        readahead_device_of(info, "/tmp/with space", dev, sizeof(dev)), 0);
    assert_string_equal(dev, "0:40");
    /* a line cut short still has the fields we need */
    assert_int_equal(readahead_device_of(info, "/tmp/short", dev, sizeof(dev)),
                     0);
    assert_string_equal(dev, "0:42");
}

static void test_device_missing(void **state)
{
    char dev[4];
    (void)state;

    assert_int_equal(readahead_device_of(info, "/tmp/run", dev, 32), -ENOENT);
    assert_int_equal(readahead_device_of("", "/", dev, 32), -ENOENT);
    assert_int_equal(readahead_device_of("garbage\n\n \\", "/", dev, 32),
                     -ENOENT);
    /* a device name that does not fit is not a match */
    assert_int_equal(readahead_device_of(info, "/", dev, sizeof(dev)),
                     -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_found),
        cmocka_unit_test(test_device_missing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
