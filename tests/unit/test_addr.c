/*
 * test_addr.c - "host:port" parsing and printing, good and malformed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "addr.h"

static void test_good(void **state)
{
    struct addr a;
    char err[128];

    (void)state;
    assert_int_equal(addr_parse("127.0.0.1:9000", &a, err, sizeof(err)), 0);
    assert_string_equal(a.host, "127.0.0.1");
    assert_int_equal(a.port, 9000);
    assert_int_equal(addr_parse("localhost:0", &a, err, sizeof(err)), 0);
    assert_string_equal(a.host, "localhost");
    assert_int_equal(a.port, 0);
    assert_int_equal(addr_parse("[::1]:65535", &a, err, sizeof(err)), 0);
    assert_string_equal(a.host, "::1");
    assert_int_equal(a.port, 65535);
    assert_int_equal(addr_parse("[fe80::1:2]:80", &a, NULL, 0), 0);
    assert_string_equal(a.host, "fe80::1:2");
    assert_int_equal(a.port, 80);
}

static void expect_bad(const char *text)
{
    struct addr a;
    char err[128] = "";

    memset(&a, 0x5a, sizeof(a));
    assert_int_equal(addr_parse(text, &a, err, sizeof(err)), -EINVAL);
    assert_true(err[0] != '\0');
}

static void test_bad(void **state)
{
    char longhost[400];

    (void)state;
    expect_bad("");
    expect_bad("localhost");
    expect_bad("localhost:");
    expect_bad(":9000");
    expect_bad("host:65536");
    expect_bad("host:99999999999");
    expect_bad("host:-1");
    expect_bad("host:+1");
    expect_bad("host:12ab");
    expect_bad("host:80 ");
    expect_bad("ho st:80");
    expect_bad("::1:9000");
    expect_bad("[::1]9000");
    expect_bad("[::1]:");
    expect_bad("[::1:9000");
    expect_bad("[]:9000");
    memset(longhost, 'a', 300);
    strcpy(longhost + 300, ":80");
    expect_bad(longhost);
    /* NULL err is allowed */
    struct addr a;
    assert_int_equal(addr_parse("nope", &a, NULL, 0), -EINVAL);
    assert_int_equal(addr_parse(NULL, &a, NULL, 0), -EINVAL);
}

static void test_format_round_trip(void **state)
{
    const char *texts[] = {"127.0.0.1:9000", "[::1]:1", "example.org:443",
                           "[fe80::1]:0"};
    char buf[ADDR_TEXT_MAX];
    struct addr a;

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        assert_int_equal(addr_parse(texts[i], &a, NULL, 0), 0);
        assert_ptr_equal(addr_format(&a, buf, sizeof(buf)), buf);
        assert_string_equal(buf, texts[i]);
    }
    /* truncation stays NUL-terminated */
    addr_parse("127.0.0.1:9000", &a, NULL, 0);
    addr_format(&a, buf, 5);
    assert_string_equal(buf, "127.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_format_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
