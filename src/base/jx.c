/*
 * jx.c — JSON in and out through jansson, with the limits outside input needs. jansson
 * itself allows 2048 levels of nesting; we refuse anything deeper than the caller's limit
 * before jansson sees it, with a scan that skips string contents.
 */
#include "base/base.h"

#include <stdlib.h>
#include <string.h>

static int depth_check(const char *p, size_t n, int max_depth, struct err *err)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_str = false;
            }
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                return err_set(err, "JSON nesting deeper than %d levels at byte %zu", max_depth, i);
            }
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

json_t *jx_parse(const char *p, size_t n, int max_depth, struct err *err)
{
    if (depth_check(p, n, max_depth, err) != 0) {
        return NULL;
    }
    if (!str_utf8_valid(p, n)) {
        err_set(err, "request body is not valid UTF-8");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        err_set(err, "malformed JSON at line %d, column %d: %s", je.line, je.column, je.text);
    }
    return j;
}

char *jx_dump(const json_t *j, size_t *len)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s != NULL && len != NULL) {
        *len = strlen(s);
    }
    return s;
}

const char *jx_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
