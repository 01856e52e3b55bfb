/*
 * json_util.c - checked access to json-c objects from peers.
 *
 * json-c's plain getters turn a missing key or a wrong type into 0, which
 * for a file system means "inode 0" or "size 0": silently wrong.  Every
 * getter here says exactly which field was bad instead.
 */
#include "json_util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

static int json_fail(char *err, size_t errlen, const char *key, const char *why)
{
    if (err && errlen) snprintf(err, errlen, "field '%s' %s", key, why);
    return -EINVAL;
}

static int json_parse_fail(char *err, size_t errlen, const char *why)
{
    if (err && errlen) snprintf(err, errlen, "bad JSON body: %s", why);
    return -EINVAL;
}

static bool json_only_space(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

int json_parse_object(const char *body, size_t len, json_object **out,
                      char *err, size_t errlen)
{
    return json_parse_object_max(body, len, DFS_JSON_BODY_MAX, out, err,
                                 errlen);
}

int json_parse_object_max(const char *body, size_t len, size_t max,
                          json_object **out, char *err, size_t errlen)
{
    json_tokener *tok;
    json_object *obj;
    size_t end;

    *out = NULL;
    if (!body || len == 0) return json_parse_fail(err, errlen, "empty");
    if (len > max || len > INT_MAX)
        return json_parse_fail(err, errlen, "too large");
    tok = json_tokener_new();
    if (!tok) return -ENOMEM;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, body, (int)len);
    if (!obj) {
        enum json_tokener_error e = json_tokener_get_error(tok);
        json_tokener_free(tok);
        return json_parse_fail(err, errlen,
                               e == json_tokener_continue
                                   ? "incomplete"
                                   : json_tokener_error_desc(e));
    }
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (end > len || !json_only_space(body + end, len - end)) {
        json_object_put(obj);
        return json_parse_fail(err, errlen, "trailing data after object");
    }
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return json_parse_fail(err, errlen, "not an object");
    }
    *out = obj;
    return 0;
}

/* The value at key, or -EINVAL naming the key if o or the key is absent. */
static int json_field(json_object *o, const char *key, json_object **v,
                      char *err, size_t errlen)
{
    if (!o || !json_object_is_type(o, json_type_object))
        return json_fail(err, errlen, key, "not found: not an object");
    if (!json_object_object_get_ex(o, key, v) || !*v)
        return json_fail(err, errlen, key, "is missing");
    return 0;
}

/* An integer value as u64; json-c clamps on the other getter, so the sign
 * is read with get_int64 and the magnitude with get_uint64. */
static int json_value_u64(json_object *v, const char *key, uint64_t *out,
                          char *err, size_t errlen)
{
    if (!json_object_is_type(v, json_type_int))
        return json_fail(err, errlen, key, "must be an integer");
    if (json_object_get_int64(v) < 0)
        return json_fail(err, errlen, key, "must not be negative");
    *out = json_object_get_uint64(v);
    return 0;
}

int json_get_u64(json_object *o, const char *key, uint64_t *out, char *err,
                 size_t errlen)
{
    json_object *v;
    int rc = json_field(o, key, &v, err, errlen);

    return rc < 0 ? rc : json_value_u64(v, key, out, err, errlen);
}

int json_get_i64(json_object *o, const char *key, int64_t *out, char *err,
                 size_t errlen)
{
    json_object *v;
    int64_t i;
    int rc = json_field(o, key, &v, err, errlen);

    if (rc < 0) return rc;
    if (!json_object_is_type(v, json_type_int))
        return json_fail(err, errlen, key, "must be an integer");
    i = json_object_get_int64(v);
    /* INT64_MAX may be a clamped larger unsigned value */
    if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
        return json_fail(err, errlen, key, "is out of range");
    *out = i;
    return 0;
}

int json_get_u32(json_object *o, const char *key, uint32_t *out, char *err,
                 size_t errlen)
{
    uint64_t v;
    int rc = json_get_u64(o, key, &v, err, errlen);

    if (rc < 0) return rc;
    if (v > UINT32_MAX) return json_fail(err, errlen, key, "is out of range");
    *out = (uint32_t)v;
    return 0;
}

int json_get_bool(json_object *o, const char *key, bool *out, char *err,
                  size_t errlen)
{
    json_object *v;
    int rc = json_field(o, key, &v, err, errlen);

    if (rc < 0) return rc;
    if (!json_object_is_type(v, json_type_boolean))
        return json_fail(err, errlen, key, "must be true or false");
    *out = json_object_get_boolean(v) != 0;
    return 0;
}

static int json_value_string(json_object *v, const char *key, size_t max_len,
                             const char **out, char *err, size_t errlen)
{
    const char *s;
    size_t len;

    if (!json_object_is_type(v, json_type_string))
        return json_fail(err, errlen, key, "must be a string");
    s = json_object_get_string(v);
    len = (size_t)json_object_get_string_len(v);
    if (strlen(s) != len)
        return json_fail(err, errlen, key, "contains a NUL character");
    if (len > max_len) return json_fail(err, errlen, key, "is too long");
    *out = s;
    return 0;
}

int json_get_string(json_object *o, const char *key, size_t max_len,
                    const char **out, char *err, size_t errlen)
{
    json_object *v;
    int rc = json_field(o, key, &v, err, errlen);

    return rc < 0 ? rc : json_value_string(v, key, max_len, out, err, errlen);
}

int json_get_array(json_object *o, const char *key, json_object **out,
                   char *err, size_t errlen)
{
    json_object *v;
    int rc = json_field(o, key, &v, err, errlen);

    if (rc < 0) return rc;
    if (!json_object_is_type(v, json_type_array))
        return json_fail(err, errlen, key, "must be an array");
    *out = v;
    return 0;
}

/* Present-and-not-null value at key; *v NULL when absent or null. */
static int json_optional(json_object *o, const char *key, json_object **v,
                         char *err, size_t errlen)
{
    *v = NULL;
    if (!o || !json_object_is_type(o, json_type_object))
        return json_fail(err, errlen, key, "not found: not an object");
    json_object_object_get_ex(o, key, v);
    return 0;
}

int json_opt_u64(json_object *o, const char *key, uint64_t *out, bool *present,
                 char *err, size_t errlen)
{
    json_object *v;
    int rc = json_optional(o, key, &v, err, errlen);

    *present = false;
    if (rc < 0 || !v) return rc;
    rc = json_value_u64(v, key, out, err, errlen);
    if (rc == 0) *present = true;
    return rc;
}

int json_opt_string(json_object *o, const char *key, size_t max_len,
                    const char **out, bool *present, char *err, size_t errlen)
{
    json_object *v;
    int rc = json_optional(o, key, &v, err, errlen);

    *present = false;
    if (rc < 0 || !v) return rc;
    rc = json_value_string(v, key, max_len, out, err, errlen);
    if (rc == 0) *present = true;
    return rc;
}

void json_add_u64(json_object *o, const char *key, uint64_t v)
{
    json_object_object_add(o, key, json_object_new_uint64(v));
}

void json_add_i64(json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

void json_add_string(json_object *o, const char *key, const char *v)
{
    /* NULL becomes JSON null rather than a crash in json-c */
    json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

void json_add_bool(json_object *o, const char *key, bool v)
{
    json_object_object_add(o, key, json_object_new_boolean(v));
}
