/*
 * query.c — the TAXII 2.1 query-string parser (section 3.4). Strict where the spec says
 * MUST (one added_after, a positive integer limit, no duplicate version keywords, `all`
 * alone), lenient where it says MAY (unknown parameters and match fields are ignored).
 * Faces the outside world: bounded input, no allocation, fuzzed by fuzz/taxii_query.c.
 */
#include "taxii/taxii.h"

#include <stdio.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Percent-decodes n bytes into the arena; NULL if malformed or the arena is full. */
static char *decode(struct taxii_filter *f, const char *s, size_t n)
{
    if (f->used + n + 1 > sizeof(f->arena)) {
        return NULL;
    }
    char *out = f->arena + f->used;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n) {
                return NULL;
            }
            int hi = hexval(s[i + 1]);
            int lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return NULL;
            }
            char c = (char)(hi * 16 + lo);
            if (c == '\0') {
                return NULL;
            }
            out[o++] = c;
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    f->used += o + 1;
    return out;
}

/* Splits a comma list in place (section 3.4: values separated by ',' without spaces). */
static int split_list(char *v, const char **items, int max, int *count, const char *name,
                      struct err *err)
{
    int n = 0;
    char *p = v;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma != NULL) {
            *comma = '\0';
        }
        if (*p == '\0') {
            return err_set(err, "%s: empty value in list", name);
        }
        if (n == max) {
            return err_set(err, "%s: more than %d values", name, max);
        }
        items[n++] = p;
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    *count = n;
    return 0;
}

static int parse_version(struct taxii_filter *f, char *v, struct err *err)
{
    const char *items[STORE_MATCH_MAX];
    int n = 0;
    if (split_list(v, items, STORE_MATCH_MAX, &n, "match[version]", err) != 0) {
        return -1;
    }
    f->has_version = true;
    for (int i = 0; i < n; i++) {
        bool dup = false;
        if (strcmp(items[i], "all") == 0) {
            dup = f->v_all;
            f->v_all = true;
        } else if (strcmp(items[i], "first") == 0) {
            dup = f->v_first;
            f->v_first = true;
        } else if (strcmp(items[i], "last") == 0) {
            dup = f->v_last;
            f->v_last = true;
        } else {
            ts_us t;
            if (ts_parse(items[i], &t, NULL) != 0) {
                return err_set(err,
                               "match[version]: '%.64s' is not first, last, all or an RFC "
                               "3339 timestamp",
                               items[i]);
            }
            for (int k = 0; k < f->n_versions; k++) {
                dup = dup || f->versions[k] == t;
            }
            f->versions[f->n_versions++] = t;
        }
        if (dup) {
            return err_set(err, "match[version]: '%.64s' given more than once (3.4.1)", items[i]);
        }
    }
    if (f->v_all && n > 1) {
        return err_set(err, "match[version]: 'all' must not be combined with other values (3.4.1)");
    }
    return 0;
}

void taxii_next_encode(ts_us date_added, char out[32])
{
    snprintf(out, 32, "%llx", (unsigned long long)date_added);
}

int taxii_next_decode(const char *s, ts_us *out)
{
    size_t n = strlen(s);
    uint64_t v = 0;
    if (n == 0 || n > 15) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int h = hexval(s[i]);
        if (h < 0 || (s[i] >= 'A' && s[i] <= 'F')) {
            return -1;
        }
        v = v * 16 + (uint64_t)h;
    }
    *out = (ts_us)v;
    return 0;
}

int taxii_query_parse(const char *query, struct taxii_filter *f, struct err *err)
{
    memset(f, 0, offsetof(struct taxii_filter, arena));
    f->used = 0;
    size_t qlen = strlen(query);
    if (qlen > TAXII_QUERY_MAX) {
        return err_set(err, "query string longer than %d bytes", TAXII_QUERY_MAX);
    }
    const char *p = query;
    const char *end = query + qlen;
    bool seen_match_id = false, seen_match_type = false, seen_spec = false;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        if (pe == p) {
            p = pe + 1; /* tolerate "a=b&&c=d" and a trailing '&' */
            continue;
        }
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        if (eq == NULL) {
            return err_set(err, "query parameter without a value");
        }
        char *key = decode(f, p, (size_t)(eq - p));
        char *val = decode(f, eq + 1, (size_t)(pe - eq - 1));
        if (key == NULL || val == NULL) {
            return err_set(err, "malformed percent-encoding in the query string");
        }
        if (strcmp(key, "added_after") == 0) {
            if (f->has_added_after) {
                return err_set(err, "added_after: given more than once (3.4)");
            }
            if (ts_parse(val, &f->added_after, NULL) != 0) {
                return err_set(err, "added_after: not an RFC 3339 timestamp");
            }
            f->has_added_after = true;
        } else if (strcmp(key, "limit") == 0) {
            int64_t n;
            if (f->has_limit) {
                return err_set(err, "limit: given more than once (3.4)");
            }
            if (str_to_i64(val, 1, INT64_MAX, &n) != 0) {
                return err_set(err, "limit: must be a positive integer (3.4)");
            }
            f->has_limit = true;
            f->limit = n > TAXII_MAX_LIMIT ? TAXII_MAX_LIMIT : (int)n;
        } else if (strcmp(key, "next") == 0) {
            if (f->has_next) {
                return err_set(err, "next: given more than once (3.4)");
            }
            if (taxii_next_decode(val, &f->next) != 0) {
                return err_set(err, "next: not a value this server issued");
            }
            f->has_next = true;
        } else if (strcmp(key, "match[id]") == 0) {
            if (seen_match_id) {
                return err_set(err, "match[id]: given more than once (3.4)");
            }
            seen_match_id = true;
            if (split_list(val, f->ids, STORE_MATCH_MAX, &f->n_ids, key, err) != 0) {
                return -1;
            }
        } else if (strcmp(key, "match[type]") == 0) {
            if (seen_match_type) {
                return err_set(err, "match[type]: given more than once (3.4)");
            }
            seen_match_type = true;
            if (split_list(val, f->types, STORE_MATCH_MAX, &f->n_types, key, err) != 0) {
                return -1;
            }
        } else if (strcmp(key, "match[spec_version]") == 0) {
            if (seen_spec) {
                return err_set(err, "match[spec_version]: given more than once (3.4)");
            }
            seen_spec = true;
            if (split_list(val, f->spec_versions, 8, &f->n_spec_versions, key, err) != 0) {
                return -1;
            }
        } else if (strcmp(key, "match[version]") == 0) {
            if (f->has_version) {
                return err_set(err, "match[version]: given more than once (3.4)");
            }
            if (parse_version(f, val, err) != 0) {
                return -1;
            }
        }
        /* Anything else: "servers MAY ignore fields they do not understand" (3.4). */
        p = pe + (amp != NULL);
    }
    return 0;
}
