/*
 * test_json_util.c - parsing untrusted bodies and checked getters: every
 * wrong type, range, sign and shape must be refused, not defaulted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "wire.h"

static json_object *parse_ok(const char *text)
{
    json_object *o = NULL;
    char err[128];

    assert_int_equal(
        json_parse_object(text, strlen(text), &o, err, sizeof(err)), 0);
    assert_non_null(o);
    return o;
}

static void parse_bad_n(const char *text, size_t len)
{
    json_object *o = (json_object *)1;
    char err[128] = "";

    assert_int_equal(json_parse_object(text, len, &o, err, sizeof(err)),
                     -EINVAL);
    assert_null(o);
    assert_true(err[0] != '\0');
}

static void parse_bad(const char *text)
{
    parse_bad_n(text, strlen(text));
}

static void test_parse(void **state)
{
    (void)state;
    json_object_put(parse_ok("{}"));
    json_object_put(parse_ok("  {\"a\": 1}\n\r\t "));
    parse_bad("");
    parse_bad("   ");
    parse_bad("[1,2]");
    parse_bad("42");
    parse_bad("\"str\"");
    parse_bad("null");
    parse_bad("{\"a\":1} x");
    parse_bad("{\"a\":1}{}");
    parse_bad("{\"a\":1");
    parse_bad("{\"a\":1,}");
    /* embedded NUL after the object is trailing garbage */
    parse_bad_n("{}\0xx", 5);
    /* only len bytes are read: a valid prefix of a longer buffer */
    json_object *o = NULL;
    assert_int_equal(json_parse_object("{}garbage", 2, &o, NULL, 0), 0);
    json_object_put(o);
}

static void test_parse_too_large(void **state)
{
    size_t len = DFS_JSON_BODY_MAX + 16;
    char *big = malloc(len + 1);

    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    big[len] = '\0';
    parse_bad_n(big, len);
    free(big);
}

static void test_integers(void **state)
{
    json_object *o = parse_ok(
        "{\"u\": 18446744073709551615, \"i\": -9223372036854775808,"
        " \"neg\": -1, \"d\": 1.5, \"s\": \"5\", \"b\": true, \"n\": null,"
        " \"big32\": 4294967296, \"max32\": 4294967295,"
        " \"over\": 9223372036854775808, \"zero\": 0}");
    uint64_t u;
    int64_t i;
    uint32_t u32;
    char err[128];

    (void)state;
    assert_int_equal(json_get_u64(o, "u", &u, err, sizeof(err)), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(json_get_u64(o, "zero", &u, err, sizeof(err)), 0);
    assert_true(u == 0);
    assert_int_equal(json_get_i64(o, "i", &i, err, sizeof(err)), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(json_get_i64(o, "neg", &i, err, sizeof(err)), 0);
    assert_true(i == -1);
    assert_int_equal(json_get_u32(o, "max32", &u32, err, sizeof(err)), 0);
    assert_true(u32 == UINT32_MAX);

    assert_int_equal(json_get_u64(o, "neg", &u, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "neg"));
    assert_int_equal(json_get_u64(o, "i", &u, err, sizeof(err)), -EINVAL);
    assert_int_equal(json_get_u32(o, "neg", &u32, err, sizeof(err)), -EINVAL);
    assert_int_equal(json_get_u32(o, "big32", &u32, err, sizeof(err)), -EINVAL);
    assert_int_equal(json_get_i64(o, "over", &i, err, sizeof(err)), -EINVAL);
    assert_int_equal(json_get_i64(o, "u", &i, err, sizeof(err)), -EINVAL);
    assert_int_equal(json_get_u64(o, "over", &u, err, sizeof(err)), 0);
    assert_true(u == 9223372036854775808ULL);
    /* wrong types */
    const char *notint[] = {"d", "s", "b", "n", "missing"};
    for (size_t k = 0; k < 5; k++) {
        err[0] = '\0';
        assert_int_equal(json_get_u64(o, notint[k], &u, err, sizeof(err)),
                         -EINVAL);
        assert_non_null(strstr(err, notint[k]));
        assert_int_equal(json_get_i64(o, notint[k], &i, NULL, 0), -EINVAL);
        assert_int_equal(json_get_u32(o, notint[k], &u32, NULL, 0), -EINVAL);
    }
    json_object_put(o);
}

static void test_out_of_range_number_text(void **state)
{
    json_object *o = NULL;
    uint64_t u;
    int64_t i;
    const char *t = "{\"x\": 99999999999999999999999}";

    (void)state;
    /* json-c may refuse it at parse time or keep it as a double or a
     * clamped int; what matters is that no getter returns a value */
    if (json_parse_object(t, strlen(t), &o, NULL, 0) == 0) {
        int ru = json_get_u64(o, "x", &u, NULL, 0);
        int ri = json_get_i64(o, "x", &i, NULL, 0);
        assert_true(ri == -EINVAL);
        (void)ru; /* clamped to UINT64_MAX by json-c: accepted as max */
        json_object_put(o);
    }
}

static void test_bool_string_array(void **state)
{
    json_object *o =
        parse_ok("{\"t\": true, \"f\": false, \"one\": 1, \"s\": \"hello\","
                 " \"nul\": \"a\\u0000b\", \"arr\": [1, 2], \"empty\": [],"
                 " \"obj\": {}}");
    bool b = false;
    const char *s;
    json_object *a;

    (void)state;
    assert_int_equal(json_get_bool(o, "t", &b, NULL, 0), 0);
    assert_true(b);
    assert_int_equal(json_get_bool(o, "f", &b, NULL, 0), 0);
    assert_false(b);
    assert_int_equal(json_get_bool(o, "one", &b, NULL, 0), -EINVAL);
    assert_int_equal(json_get_bool(o, "s", &b, NULL, 0), -EINVAL);
    assert_int_equal(json_get_bool(o, "missing", &b, NULL, 0), -EINVAL);

    assert_int_equal(json_get_string(o, "s", 5, &s, NULL, 0), 0);
    assert_string_equal(s, "hello");
    assert_int_equal(json_get_string(o, "s", 4, &s, NULL, 0), -EINVAL);
    assert_int_equal(json_get_string(o, "nul", 100, &s, NULL, 0), -EINVAL);
    assert_int_equal(json_get_string(o, "one", 100, &s, NULL, 0), -EINVAL);
    assert_int_equal(json_get_string(o, "arr", 100, &s, NULL, 0), -EINVAL);

    assert_int_equal(json_get_array(o, "arr", &a, NULL, 0), 0);
    assert_int_equal(json_object_array_length(a), 2);
    assert_int_equal(json_get_array(o, "empty", &a, NULL, 0), 0);
    assert_int_equal(json_object_array_length(a), 0);
    assert_int_equal(json_get_array(o, "obj", &a, NULL, 0), -EINVAL);
    assert_int_equal(json_get_array(o, "s", &a, NULL, 0), -EINVAL);
    assert_int_equal(json_get_array(o, "missing", &a, NULL, 0), -EINVAL);

    /* a getter on a non-object does not crash */
    assert_int_equal(json_get_bool(a, "x", &b, NULL, 0), -EINVAL);
    assert_int_equal(json_get_bool(NULL, "x", &b, NULL, 0), -EINVAL);
    json_object_put(o);
}

static void test_optional(void **state)
{
    json_object *o =
        parse_ok("{\"u\": 7, \"neg\": -7, \"s\": \"x\", \"n\": null}");
    uint64_t u = 99;
    const char *s = NULL;
    bool present = true;

    (void)state;
    assert_int_equal(json_opt_u64(o, "u", &u, &present, NULL, 0), 0);
    assert_true(present);
    assert_true(u == 7);
    u = 99;
    assert_int_equal(json_opt_u64(o, "absent", &u, &present, NULL, 0), 0);
    assert_false(present);
    assert_true(u == 99);
    assert_int_equal(json_opt_u64(o, "n", &u, &present, NULL, 0), 0);
    assert_false(present);
    assert_int_equal(json_opt_u64(o, "neg", &u, &present, NULL, 0), -EINVAL);
    assert_false(present);
    assert_int_equal(json_opt_u64(o, "s", &u, &present, NULL, 0), -EINVAL);

    assert_int_equal(json_opt_string(o, "s", 10, &s, &present, NULL, 0), 0);
    assert_true(present);
    assert_string_equal(s, "x");
    assert_int_equal(json_opt_string(o, "absent", 10, &s, &present, NULL, 0),
                     0);
    assert_false(present);
    assert_int_equal(json_opt_string(o, "u", 10, &s, &present, NULL, 0),
                     -EINVAL);
    assert_int_equal(json_opt_string(o, "s", 0, &s, &present, NULL, 0),
                     -EINVAL);
    json_object_put(o);
}

static void test_builders_round_trip(void **state)
{
    json_object *o = json_object_new_object(), *back = NULL;
    const char *text;
    uint64_t u;
    int64_t i;
    bool b;
    const char *s;

    (void)state;
    json_add_u64(o, "u", UINT64_MAX);
    json_add_i64(o, "i", INT64_MIN);
    json_add_string(o, "s", "caf\xc3\xa9 \"q\"");
    json_add_string(o, "null", NULL);
    json_add_bool(o, "b", true);
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    assert_int_equal(json_parse_object(text, strlen(text), &back, NULL, 0), 0);
    assert_int_equal(json_get_u64(back, "u", &u, NULL, 0), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(json_get_i64(back, "i", &i, NULL, 0), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(json_get_string(back, "s", 64, &s, NULL, 0), 0);
    assert_string_equal(s, "caf\xc3\xa9 \"q\"");
    assert_int_equal(json_get_bool(back, "b", &b, NULL, 0), 0);
    assert_true(b);
    assert_int_equal(json_get_string(back, "null", 64, &s, NULL, 0), -EINVAL);
    json_object_put(back);
    json_object_put(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_too_large),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_out_of_range_number_text),
        cmocka_unit_test(test_bool_string_array),
        cmocka_unit_test(test_optional),
        cmocka_unit_test(test_builders_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
