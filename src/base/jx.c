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

/* ---- spans of a parsed text ----------------------------------------------------------- */

static size_t skip_ws(const char *p, size_t n, size_t i)
{
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) {
        i++;
    }
    return i;
}

/* From the opening quote at i: the index after the closing one. */
static size_t skip_string(const char *p, size_t n, size_t i)
{
    for (i++; i < n && p[i] != '"'; i++) {
        i += p[i] == '\\';
    }
    return i + 1;
}

/* From the first byte of a value at i: the index after it. */
static size_t skip_value(const char *p, size_t n, size_t i)
{
    if (i < n && p[i] == '"') {
        return skip_string(p, n, i);
    }
    int depth = 0;
    for (; i < n; i++) {
        char c = p[i];
        if (c == '"') {
            i = skip_string(p, n, i) - 1;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return i; /* the end of the container holding a scalar */
            }
            if (--depth == 0) {
                return i + 1;
            }
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
            return i; /* the end of a scalar */
        }
    }
    return i;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Whether the member name in p[from, to) (between its quotes) decodes to key. Escapes
 * other than \uXXXX below 0x80 and the one-character ones cannot spell an ASCII key. */
static bool name_is(const char *p, size_t from, size_t to, const char *key)
{
    size_t k = 0;
    for (size_t i = from; i < to; i++) {
        unsigned c = (unsigned char)p[i];
        if (c == '\\' && i + 1 < to) {
            char e = p[++i];
            if (e == 'u' && i + 4 < to) {
                int h[4] = {hexval(p[i + 1]), hexval(p[i + 2]), hexval(p[i + 3]), hexval(p[i + 4])};
                if (h[0] < 0 || h[1] < 0 || h[2] < 0 || h[3] < 0) {
                    return false;
                }
                c = (unsigned)(h[0] << 12 | h[1] << 8 | h[2] << 4 | h[3]);
                i += 4;
            } else {
                c = e == 'b'   ? '\b'
                    : e == 'f' ? '\f'
                    : e == 'n' ? '\n'
                    : e == 'r' ? '\r'
                    : e == 't' ? '\t'
                               : (unsigned char)e; /* \" \\ \/ */
            }
        }
        if (key[k] == '\0' || c != (unsigned char)key[k]) {
            return false;
        }
        k++;
    }
    return key[k] == '\0';
}

long jx_array_spans(const char *text, size_t n, const char *key, struct jx_span *out, size_t max)
{
    size_t i = skip_ws(text, n, 0);
    if (i >= n || text[i] != '{') {
        return -1;
    }
    for (i++;;) {
        i = skip_ws(text, n, i);
        if (i >= n || text[i] != '"') {
            return -1; /* the end of the object: no such member */
        }
        size_t name = i;
        i = skip_string(text, n, i);
        bool found = name_is(text, name + 1, i - 1, key);
        i = skip_ws(text, n, i) + 1; /* past ':' */
        i = skip_ws(text, n, i);
        if (!found) {
            i = skip_ws(text, n, skip_value(text, n, i)) + 1; /* past ',' or '}' */
            continue;
        }
        if (i >= n || text[i] != '[') {
            return -1;
        }
        long count = 0;
        for (i = skip_ws(text, n, i + 1); i < n && text[i] != ']';) {
            size_t end = skip_value(text, n, i);
            if ((size_t)count < max) {
                out[count] = (struct jx_span){text + i, end - i};
            }
            count++;
            i = skip_ws(text, n, end);
            i = i < n && text[i] == ',' ? skip_ws(text, n, i + 1) : i;
        }
        return count;
    }
}
