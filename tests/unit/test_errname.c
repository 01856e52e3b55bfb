/*
 * test_errname.c - errno names round-trip and map to the right HTTP status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "errname.h"

static const int all_errs[] = {
    ENOENT, EEXIST, ENOTDIR,   EISDIR,    ENOTEMPTY,    EINVAL,
    EACCES, EPERM,  ENOSPC,    EIO,       EXDEV,        ENAMETOOLONG,
    EROFS,  EFBIG,  ERANGE,    ENODATA,   ENOTSUP,      EBUSY,
    EMLINK, ELOOP,  EAGAIN,    ETIMEDOUT, ECONNREFUSED, E2BIG,
    EBADF,  ENOSYS, EOVERFLOW, ESTALE,    EMSGSIZE,
};

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(errname_from_errno(ENOENT), "ENOENT");
    assert_string_equal(errname_from_errno(ENOTEMPTY), "ENOTEMPTY");
    assert_string_equal(errname_from_errno(-EEXIST), "EEXIST");
    assert_string_equal(errname_from_errno(0), "EIO");
    assert_string_equal(errname_from_errno(99999), "EIO");
    assert_int_equal(errname_to_errno("ENOENT"), ENOENT);
    assert_int_equal(errname_to_errno("EXDEV"), EXDEV);
    assert_int_equal(errname_to_errno(NULL), EIO);
    assert_int_equal(errname_to_errno(""), EIO);
    assert_int_equal(errname_to_errno("enoent"), EIO);
    assert_int_equal(errname_to_errno("EWHATEVER"), EIO);
}

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(all_errs) / sizeof(all_errs[0]); i++) {
        const char *name = errname_from_errno(all_errs[i]);
        assert_true(name[0] == 'E');
        assert_int_equal(errname_to_errno(name), all_errs[i]);
        if (all_errs[i] != EIO) assert_string_not_equal(name, "EIO");
    }
}

static void test_http_status(void **state)
{
    (void)state;
    assert_int_equal(errname_http_status(ENOENT), 404);
    assert_int_equal(errname_http_status(-ENOENT), 404);
    assert_int_equal(errname_http_status(EEXIST), 409);
    assert_int_equal(errname_http_status(ENOTEMPTY), 409);
    assert_int_equal(errname_http_status(EBUSY), 409);
    assert_int_equal(errname_http_status(EAGAIN), 503);
    assert_int_equal(errname_http_status(EINVAL), 400);
    assert_int_equal(errname_http_status(ENAMETOOLONG), 400);
    assert_int_equal(errname_http_status(ENOTDIR), 400);
    assert_int_equal(errname_http_status(EISDIR), 400);
    assert_int_equal(errname_http_status(EACCES), 403);
    assert_int_equal(errname_http_status(EPERM), 403);
    assert_int_equal(errname_http_status(ENOSPC), 507);
    assert_int_equal(errname_http_status(EFBIG), 413);
    assert_int_equal(errname_http_status(E2BIG), 413);
    assert_int_equal(errname_http_status(EMSGSIZE), 413);
    assert_int_equal(errname_http_status(ESTALE), 410);
    assert_int_equal(errname_http_status(EIO), 500);
    assert_int_equal(errname_http_status(EXDEV), 500);
    assert_int_equal(errname_http_status(12345), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_http_status),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
