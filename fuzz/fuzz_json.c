/*
 * fuzz_json.c - json_parse_object and every checked getter on its result.
 *
 * Any peer body goes through json_parse_object first, so it must refuse
 * garbage without crashing and hand back only objects.  Each getter is
 * then tried on every key the object has (and on keys it lacks), and what
 * a getter accepts is checked against the promise in json_util.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz_common.h"
#include "json_util.h"

#define FUZZ_STR_MAX 64 /* a small bound so "too long" is reachable */

static void fuzz_getters(json_object *o, const char *key)
{
    char err[128];
    uint64_t u64;
    int64_t i64;
    uint32_t u32;
    bool b, present;
    const char *s;
    json_object *arr;

    if (json_get_u64(o, key, &u64, err, sizeof(err)) == 0)
        FUZZ_CHECK(json_object_get_int64(json_object_object_get(o, key)) >= 0);
    json_get_i64(o, key, &i64, err, sizeof(err));
    if (json_get_u32(o, key, &u32, err, sizeof(err)) == 0)
        FUZZ_CHECK(json_get_u64(o, key, &u64, NULL, 0) == 0 && u64 == u32);
    json_get_bool(o, key, &b, err, sizeof(err));
    if (json_get_string(o, key, FUZZ_STR_MAX, &s, err, sizeof(err)) == 0)
        FUZZ_CHECK(strlen(s) <= FUZZ_STR_MAX);
    if (json_get_array(o, key, &arr, err, sizeof(err)) == 0)
        FUZZ_CHECK(json_object_is_type(arr, json_type_array));
    if (json_opt_u64(o, key, &u64, &present, err, sizeof(err)) < 0)
        FUZZ_CHECK(!present);
    present = false;
    json_opt_string(o, key, FUZZ_STR_MAX, &s, &present, err, sizeof(err));
    if (present) FUZZ_CHECK(strlen(s) <= FUZZ_STR_MAX);
    /* a tiny message buffer must be truncated, never overrun */
    json_get_u64(o, key, &u64, err, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_object *o = NULL;
    int rc = json_parse_object((const char *)data, size, &o, err, sizeof(err));

    if (rc < 0) {
        FUZZ_CHECK(rc == -EINVAL && o == NULL);
        return 0;
    }
    FUZZ_CHECK(json_object_is_type(o, json_type_object));
    json_object_object_foreach(o, key, val)
    {
        fuzz_getters(o, key);
        /* nested objects are what the decoders walk into */
        if (json_object_is_type(val, json_type_object)) fuzz_getters(val, key);
    }
    fuzz_getters(o, "absent-key");
    fuzz_getters(NULL, "ino");
    json_object_put(o);
    return 0;
}
