/*
 * json_util.h - checked access to json-c objects from peers.
 *
 * Peer JSON is untrusted: every getter checks presence and type and range
 * and returns -EINVAL (with the key named in err) rather than a default.
 * Parsing refuses bodies over DFS_JSON_BODY_MAX, trailing garbage and
 * non-object top levels.
 */
#ifndef DFS_JSON_UTIL_H
#define DFS_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Parse a body that must be one JSON object.  0 and *out (caller puts it),
 * or -EINVAL with a message. */
int json_parse_object(const char *body, size_t len, json_object **out,
                      char *err, size_t errlen);
/* The same with another size bound (replies, chunk reports). */
int json_parse_object_max(const char *body, size_t len, size_t max,
                          json_object **out, char *err, size_t errlen);

/* Required fields.  -EINVAL if missing or the wrong type or out of range. */
int json_get_u64(json_object *o, const char *key, uint64_t *out, char *err,
                 size_t errlen);
int json_get_i64(json_object *o, const char *key, int64_t *out, char *err,
                 size_t errlen);
int json_get_u32(json_object *o, const char *key, uint32_t *out, char *err,
                 size_t errlen);
int json_get_bool(json_object *o, const char *key, bool *out, char *err,
                  size_t errlen);
/* The string stays owned by o.  max_len bounds strlen; embedded NULs are
 * refused. */
int json_get_string(json_object *o, const char *key, size_t max_len,
                    const char **out, char *err, size_t errlen);
/* An array (possibly empty); *out owned by o. */
int json_get_array(json_object *o, const char *key, json_object **out,
                   char *err, size_t errlen);

/* Optional fields: 0 and *present=false when absent; errors as above when
 * present but wrong. */
int json_opt_u64(json_object *o, const char *key, uint64_t *out,
                 bool *present, char *err, size_t errlen);
int json_opt_string(json_object *o, const char *key, size_t max_len,
                    const char **out, bool *present, char *err, size_t errlen);

/* Builders that keep 64-bit values exact. */
void json_add_u64(json_object *o, const char *key, uint64_t v);
void json_add_i64(json_object *o, const char *key, int64_t v);
void json_add_string(json_object *o, const char *key, const char *v);
void json_add_bool(json_object *o, const char *key, bool v);

#endif
