/*
 * warninglist.c — values set aside at index build because they would match everywhere:
 * RFC 6890 special-purpose ranges (private, loopback, link-local, documentation,
 * multicast, …), well-known public DNS resolvers, and user lists (top sites,
 * shared-hosting suffixes). Checked once per indicator at index build: addresses and
 * ranges against the (short) list of listed ranges, everything else in a hash set (an
 * index of its own), so a top-1M sites list costs one lookup per indicator.
 */
#include "hunt/hunt.h"

#include <stdlib.h>
#include <string.h>

struct wl_item {
    const char *list; /* borrowed from the lists' names */
    enum hunt_type type;
    struct ip_prefix p; /* for addresses and ranges */
    char *value;        /* normal form */
};

struct hunt_warninglists {
    struct hunt_index *exact; /* values that are not addresses; the label is the list */
    struct wl_item *items;    /* addresses and ranges */
    size_t n, cap;
    char **names;
    size_t n_names;
};

static const struct {
    const char *list;
    const char *value;
} builtin[] = {
    /* RFC 6890 special-purpose address registries (and RFC 4193, RFC 4291) */
    {"rfc6890-this-network", "0.0.0.0/8"},
    {"rfc6890-private", "10.0.0.0/8"},
    {"rfc6890-shared-address-space", "100.64.0.0/10"},
    {"rfc6890-loopback", "127.0.0.0/8"},
    {"rfc6890-link-local", "169.254.0.0/16"},
    {"rfc6890-private", "172.16.0.0/12"},
    {"rfc6890-ietf-protocol", "192.0.0.0/24"},
    {"rfc6890-documentation", "192.0.2.0/24"},
    {"rfc6890-private", "192.168.0.0/16"},
    {"rfc6890-benchmarking", "198.18.0.0/15"},
    {"rfc6890-documentation", "198.51.100.0/24"},
    {"rfc6890-documentation", "203.0.113.0/24"},
    {"rfc6890-multicast", "224.0.0.0/4"},
    {"rfc6890-reserved", "240.0.0.0/4"},
    {"rfc6890-broadcast", "255.255.255.255/32"},
    {"rfc6890-unspecified", "::/128"},
    {"rfc6890-loopback", "::1/128"},
    {"rfc6890-ipv4-mapped", "::ffff:0:0/96"},
    {"rfc6890-documentation", "2001:db8::/32"},
    {"rfc6890-unique-local", "fc00::/7"},
    {"rfc6890-link-local", "fe80::/10"},
    {"rfc6890-multicast", "ff00::/8"},
    /* well-known public resolvers */
    {"public-resolvers", "8.8.8.8"},
    {"public-resolvers", "8.8.4.4"},
    {"public-resolvers", "1.1.1.1"},
    {"public-resolvers", "1.0.0.1"},
    {"public-resolvers", "9.9.9.9"},
    {"public-resolvers", "149.112.112.112"},
    {"public-resolvers", "208.67.222.222"},
    {"public-resolvers", "208.67.220.220"},
    {"public-resolvers", "2001:4860:4860::8888"},
    {"public-resolvers", "2001:4860:4860::8844"},
    {"public-resolvers", "2606:4700:4700::1111"},
    {"public-resolvers", "2606:4700:4700::1001"},
    {"public-resolvers", "2620:fe::fe"},
};

static int add(struct hunt_warninglists *w, const char *list, const char *value, size_t n,
               struct err *err)
{
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX];
    if (hunt_classify(value, n, &t, norm, err) != 0) {
        return 1;
    }
    if (t > HUNT_CIDR6) {
        return hunt_index_add_norm(w->exact, t, norm, list, 0, -1, err) < 0 ? -1 : 0;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct wl_item *items = realloc(w->items, sizeof(*items) * cap);
        if (items == NULL) {
            return err_set(err, "out of memory");
        }
        w->items = items;
        w->cap = cap;
    }
    struct wl_item *it = &w->items[w->n];
    memset(it, 0, sizeof(*it));
    it->list = list;
    it->type = t;
    if (t <= HUNT_CIDR6 && ip_prefix_parse(norm, strlen(norm), &it->p) != 0) {
        return err_set(err, "internal: address did not parse");
    }
    if ((it->value = strdup(norm)) == NULL) {
        return err_set(err, "out of memory");
    }
    w->n++;
    return 0;
}

struct hunt_warninglists *hunt_warninglists_new(bool with_builtin)
{
    struct hunt_warninglists *w = calloc(1, sizeof(*w));
    struct err err;
    if (w != NULL && (w->exact = hunt_index_new()) == NULL) {
        free(w);
        return NULL;
    }
    for (size_t i = 0; w != NULL && with_builtin && i < BASE_ARRAY_LEN(builtin); i++) {
        if (add(w, builtin[i].list, builtin[i].value, strlen(builtin[i].value), &err) != 0) {
            hunt_warninglists_free(w);
            return NULL;
        }
    }
    return w;
}

void hunt_warninglists_free(struct hunt_warninglists *w)
{
    if (w == NULL) {
        return;
    }
    for (size_t i = 0; i < w->n; i++) {
        free(w->items[i].value);
    }
    for (size_t i = 0; i < w->n_names; i++) {
        free(w->names[i]);
    }
    free(w->items);
    free(w->names);
    hunt_index_free(w->exact);
    free(w);
}

int hunt_warninglists_load(struct hunt_warninglists *w, const char *name, const char *text,
                           size_t len, size_t *skipped, struct err *err)
{
    char **names = realloc(w->names, sizeof(*names) * (w->n_names + 1));
    if (names == NULL) {
        return err_set(err, "out of memory");
    }
    w->names = names;
    if ((w->names[w->n_names] = strdup(name)) == NULL) {
        return err_set(err, "out of memory");
    }
    const char *list = w->names[w->n_names++];
    *skipped = 0;
    const char *pos = text, *p;
    size_t n;
    while (str_next_line(&pos, text + len, &p, &n)) {
        str_list_value(&p, &n);
        if (n == 0) {
            continue;
        }
        int rc = add(w, list, p, n, err);
        if (rc < 0) {
            return -1;
        }
        *skipped += rc == 1;
    }
    return 0;
}

const char *hunt_warninglists_match(const struct hunt_warninglists *w, enum hunt_type t,
                                    const char *norm)
{
    struct ip_prefix p;
    if (w == NULL) {
        return NULL;
    }
    if (t > HUNT_CIDR6) {
        return hunt_index_find(w->exact, t, norm);
    }
    if (ip_prefix_parse(norm, strlen(norm), &p) != 0) {
        return NULL;
    }
    for (size_t i = 0; i < w->n; i++) {
        const struct wl_item *it = &w->items[i];
        /* overlapping prefixes: one holds the other */
        if (ip_prefix_within(&p, &it->p) || ip_prefix_within(&it->p, &p)) {
            return it->list;
        }
    }
    return NULL;
}
