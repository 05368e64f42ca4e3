/*
 * index.c — the indicator index and a first, scalar scanner. Exact values live in one
 * open-addressing hash table keyed by type and normal form; CIDR ranges in a binary trie
 * per family, so an address finds every range holding it in at most 32 or 128 steps. The scanner
 * cuts text into whole tokens at delimiters, normalises each with the same rules as the indicators
 * (hunt_classify) and looks it up, so that matching is exact: 1.2.3.4 is never found
 * inside 11.2.3.45, nor rosoft.com inside microsoft.com.
 *
 * This is the correctness baseline. The line-rate version (block reads, SIMD delimiter
 * search, a cache-resident prefilter, batched lookups, a range trie) replaces the scanner
 * and the range list behind the same interface.
 */
#include "hunt/hunt.h"

#include <stdlib.h>
#include <string.h>

struct entry {
    char *key; /* type letter + normal form; NULL when the slot is free */
    char *label;
    uint64_t hash;
    bool exact_only; /* no subdomain matches */
};

struct range {
    struct ip_prefix p;
    char *text;
    char *label;
    int32_t next; /* the next range ending at the same trie node, -1 at the end */
};

/* A node of the range trie: children by the next address bit, and the ranges whose prefix
 * ends here. Nodes 0 and 1 are the IPv4 and IPv6 roots. */
struct node {
    int32_t child[2];
    int32_t ranges;
};

struct hunt_index {
    struct entry *slots;
    size_t cap, count;
    struct range *ranges;
    size_t n_ranges, cap_ranges;
    struct node *nodes;
    size_t n_nodes, cap_nodes;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

struct hunt_index *hunt_index_new(void)
{
    struct hunt_index *ix = calloc(1, sizeof(*ix));
    if (ix == NULL) {
        return NULL;
    }
    ix->cap = 1024;
    ix->slots = calloc(ix->cap, sizeof(*ix->slots));
    ix->cap_nodes = 64;
    ix->nodes = malloc(sizeof(*ix->nodes) * ix->cap_nodes);
    if (ix->slots == NULL || ix->nodes == NULL) {
        free(ix->slots);
        free(ix->nodes);
        free(ix);
        return NULL;
    }
    for (int r = 0; r < 2; r++) {
        ix->nodes[r].child[0] = ix->nodes[r].child[1] = ix->nodes[r].ranges = -1;
    }
    ix->n_nodes = 2;
    return ix;
}

void hunt_index_free(struct hunt_index *ix)
{
    if (ix == NULL) {
        return;
    }
    for (size_t i = 0; i < ix->cap; i++) {
        free(ix->slots[i].key);
        free(ix->slots[i].label);
    }
    for (size_t i = 0; i < ix->n_ranges; i++) {
        free(ix->ranges[i].text);
        free(ix->ranges[i].label);
    }
    free(ix->slots);
    free(ix->ranges);
    free(ix->nodes);
    free(ix);
}

static int bit_of(const unsigned char *addr, int i)
{
    return (addr[i / 8] >> (7 - i % 8)) & 1;
}

/* The trie node for a prefix, created on the way; -1 on out-of-memory. */
static int32_t trie_node(struct hunt_index *ix, const struct ip_prefix *p)
{
    int32_t n = p->family == 4 ? 0 : 1;
    for (int i = 0; i < p->bits; i++) {
        int b = bit_of(p->addr, i);
        if (ix->nodes[n].child[b] < 0) {
            if (ix->n_nodes == ix->cap_nodes) {
                struct node *nn = realloc(ix->nodes, sizeof(*nn) * ix->cap_nodes * 2);
                if (nn == NULL) {
                    return -1;
                }
                ix->nodes = nn;
                ix->cap_nodes *= 2;
            }
            struct node *fresh = &ix->nodes[ix->n_nodes];
            fresh->child[0] = fresh->child[1] = fresh->ranges = -1;
            ix->nodes[n].child[b] = (int32_t)ix->n_nodes++;
        }
        n = ix->nodes[n].child[b];
    }
    return n;
}

size_t hunt_index_size(const struct hunt_index *ix)
{
    return ix->count + ix->n_ranges;
}

static const struct entry *lookup(const struct hunt_index *ix, const char *key, size_t n)
{
    uint64_t h = fnv1a(key, n);
    for (size_t i = h & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1)) {
        const struct entry *e = &ix->slots[i];
        if (e->key == NULL) {
            return NULL;
        }
        if (e->hash == h && strncmp(e->key, key, n) == 0 && e->key[n] == '\0') {
            return e;
        }
    }
}

static int grow(struct hunt_index *ix)
{
    size_t cap = ix->cap * 2;
    struct entry *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL) {
        return -1;
    }
    for (size_t i = 0; i < ix->cap; i++) {
        if (ix->slots[i].key != NULL) {
            size_t k = ix->slots[i].hash & (cap - 1);
            while (slots[k].key != NULL) {
                k = (k + 1) & (cap - 1);
            }
            slots[k] = ix->slots[i];
        }
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    return 0;
}

/* The key of a normal form: one letter for the family of types that can meet in text. */
static char type_letter(enum hunt_type t)
{
    switch (t) {
    case HUNT_IPV4:
        return '4';
    case HUNT_IPV6:
        return '6';
    case HUNT_DOMAIN:
        return 'd';
    case HUNT_URL:
        return 'u';
    case HUNT_EMAIL:
        return 'e';
    case HUNT_BTC:
        return 'b';
    case HUNT_ETH:
        return 'x';
    case HUNT_IBAN:
        return 'i';
    case HUNT_MD5:
    case HUNT_SHA1:
    case HUNT_SHA256:
    case HUNT_SHA512:
        return 'h'; /* lengths differ, so hashes of different kinds never meet */
    default:
        return 'r'; /* ranges live in their own list */
    }
}

static int add(struct hunt_index *ix, const char *value, size_t n, const char *label,
               bool exact_only, struct err *err)
{
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX + 2];
    if (hunt_classify(value, n, &t, norm + 1, err) != 0) {
        return -1;
    }
    if (t == HUNT_CIDR4 || t == HUNT_CIDR6) {
        struct ip_prefix p;
        if (ip_prefix_parse(norm + 1, strlen(norm + 1), &p) != 0) {
            return err_set(err, "internal: range did not parse");
        }
        int32_t node = trie_node(ix, &p);
        if (node < 0) {
            return err_set(err, "out of memory");
        }
        for (int32_t k = ix->nodes[node].ranges; k >= 0; k = ix->ranges[k].next) {
            if (strcmp(ix->ranges[k].text, norm + 1) == 0) {
                return 1;
            }
        }
        if (ix->n_ranges == ix->cap_ranges) {
            size_t cap = ix->cap_ranges ? ix->cap_ranges * 2 : 16;
            struct range *r = realloc(ix->ranges, sizeof(*r) * cap);
            if (r == NULL) {
                return err_set(err, "out of memory");
            }
            ix->ranges = r;
            ix->cap_ranges = cap;
        }
        struct range *r = &ix->ranges[ix->n_ranges];
        r->p = p;
        r->text = strdup(norm + 1);
        r->label = strdup(label);
        if (r->text == NULL || r->label == NULL) {
            free(r->text);
            free(r->label);
            return err_set(err, "out of memory");
        }
        r->next = ix->nodes[node].ranges;
        ix->nodes[node].ranges = (int32_t)ix->n_ranges;
        ix->n_ranges++;
        return 0;
    }
    norm[0] = type_letter(t);
    size_t kn = strlen(norm);
    if (lookup(ix, norm, kn) != NULL) {
        return 1;
    }
    if ((ix->count + 1) * 10 > ix->cap * 7 && grow(ix) != 0) {
        return err_set(err, "out of memory");
    }
    uint64_t h = fnv1a(norm, kn);
    size_t i = h & (ix->cap - 1);
    while (ix->slots[i].key != NULL) {
        i = (i + 1) & (ix->cap - 1);
    }
    ix->slots[i].key = strdup(norm);
    ix->slots[i].label = strdup(label);
    ix->slots[i].hash = h;
    ix->slots[i].exact_only = exact_only;
    if (ix->slots[i].key == NULL || ix->slots[i].label == NULL) {
        free(ix->slots[i].key);
        free(ix->slots[i].label);
        ix->slots[i].key = ix->slots[i].label = NULL;
        return err_set(err, "out of memory");
    }
    ix->count++;
    return 0;
}

int hunt_index_add(struct hunt_index *ix, const char *value, size_t n, const char *label,
                   struct err *err)
{
    return add(ix, value, n, label, false, err);
}

int hunt_index_add_exact(struct hunt_index *ix, const char *value, size_t n, const char *label,
                         struct err *err)
{
    return add(ix, value, n, label, true, err);
}

/* ---- scanning ---------------------------------------------------------------------------- */

struct scan {
    const struct hunt_index *ix;
    hunt_hit_fn fn;
    void *ctx;
    size_t hits;
};

static void emit(struct scan *sc, const char *label, const char *indicator, enum hunt_type t,
                 enum hunt_match m, const char *value, size_t offset)
{
    struct hunt_hit h = {label, indicator, t, m, value, offset};
    sc->fn(sc->ctx, &h);
    sc->hits++;
}

static bool find(struct scan *sc, char letter, const char *norm, enum hunt_type t,
                 enum hunt_match m, const char *value, size_t offset)
{
    char key[HUNT_VALUE_MAX + 2];
    size_t n = strlen(norm);
    if (n + 1 >= sizeof(key)) {
        return false;
    }
    key[0] = letter;
    memcpy(key + 1, norm, n + 1);
    const struct entry *e = lookup(sc->ix, key, n + 1);
    if (e == NULL || (m == HUNT_MATCH_SUBDOMAIN && e->exact_only)) {
        return false;
    }
    emit(sc, e->label, e->key + 1, t, m, value, offset);
    return true;
}

static void check_address(struct scan *sc, const char *norm, enum hunt_type t, size_t offset)
{
    find(sc, t == HUNT_IPV4 ? '4' : '6', norm, t, HUNT_MATCH_EXACT, norm, offset);
    struct ip_prefix ip;
    if (sc->ix->n_ranges == 0 || ip_prefix_parse(norm, strlen(norm), &ip) != 0) {
        return;
    }
    /* walk the address's bits: every range on the way holds it */
    const struct hunt_index *ix = sc->ix;
    int32_t n = ip.family == 4 ? 0 : 1;
    for (int i = 0; n >= 0; i++) {
        for (int32_t k = ix->nodes[n].ranges; k >= 0; k = ix->ranges[k].next) {
            const struct range *r = &ix->ranges[k];
            emit(sc, r->label, r->text, r->p.family == 4 ? HUNT_CIDR4 : HUNT_CIDR6,
                 HUNT_MATCH_IN_RANGE, norm, offset);
        }
        if (i == ip.bits) {
            break;
        }
        n = ix->nodes[n].child[bit_of(ip.addr, i)];
    }
}

/* A domain matches its own indicator, and every parent domain's as a subdomain. */
static void check_domain(struct scan *sc, const char *norm, size_t offset)
{
    find(sc, 'd', norm, HUNT_DOMAIN, HUNT_MATCH_EXACT, norm, offset);
    for (const char *p = strchr(norm, '.'); p != NULL && strchr(p + 1, '.') != NULL;
         p = strchr(p + 1, '.')) {
        find(sc, 'd', p + 1, HUNT_DOMAIN, HUNT_MATCH_SUBDOMAIN, norm, offset);
    }
}

/* The host of a URL (a domain or an address) is checked as such, never as a URL. */
static void check_host(struct scan *sc, const char *s, size_t n, size_t offset)
{
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX];
    struct err err;
    if (n > 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (hunt_classify(s, n, &t, norm, &err) != 0) {
        return;
    }
    if (t == HUNT_IPV4 || t == HUNT_IPV6) {
        check_address(sc, norm, t, offset);
    } else if (t == HUNT_DOMAIN) {
        check_domain(sc, norm, offset);
    }
}

static void check_token(struct scan *sc, const char *s, size_t n, size_t offset)
{
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX];
    struct err err;
    if (n < 4 || n >= HUNT_VALUE_MAX) {
        return;
    }
    if (s[0] == '[') {
        /* [address] and [address]:port */
        const char *close = memchr(s, ']', n);
        if (close != NULL) {
            check_host(sc, s + 1, (size_t)(close - s - 1), offset + 1);
            return;
        }
        s++;
        n--;
        offset++;
    }
    if (hunt_classify(s, n, &t, norm, &err) != 0) {
        /* host:port and host/path without a scheme: the host part */
        const char *cut = memchr(s, '/', n);
        const char *colon = memchr(s, ':', n);
        if (colon != NULL && memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) == NULL &&
            (cut == NULL || colon < cut)) {
            cut = colon;
        }
        if (cut != NULL && cut > s) {
            check_host(sc, s, (size_t)(cut - s), offset);
        }
        return;
    }
    switch (t) {
    case HUNT_IPV4:
    case HUNT_IPV6:
        check_address(sc, norm, t, offset);
        break;
    case HUNT_DOMAIN:
        check_domain(sc, norm, offset);
        break;
    case HUNT_URL: {
        find(sc, 'u', norm, HUNT_URL, HUNT_MATCH_EXACT, norm, offset);
        const char *host = strstr(norm, "://") + 3;
        const char *end = host + strcspn(host, "/?#");
        const char *at = memchr(host, '@', (size_t)(end - host));
        host = at ? at + 1 : host;
        const char *port = *host == '[' ? memchr(host, ']', (size_t)(end - host)) : host;
        port = port ? memchr(port, ':', (size_t)(end - port)) : NULL;
        check_host(sc, host, (size_t)((port ? port : end) - host), offset);
        break;
    }
    case HUNT_EMAIL:
        find(sc, 'e', norm, HUNT_EMAIL, HUNT_MATCH_EXACT, norm, offset);
        check_domain(sc, strchr(norm, '@') + 1, offset);
        break;
    case HUNT_MD5:
    case HUNT_SHA1:
    case HUNT_SHA256:
    case HUNT_SHA512:
        find(sc, 'h', norm, t, HUNT_MATCH_EXACT, norm, offset);
        break;
    default:
        find(sc, type_letter(t), norm, t, HUNT_MATCH_EXACT, norm, offset);
        break;
    }
}

/* Bytes that end a token: white space, quotes, brackets and the separators of log formats. */
static bool delimiter(unsigned char c)
{
    return c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == '(' || c == ')' ||
           c == '{' || c == '}' || c == '|' || c == ',' || c == ';' || c == '\\' || c == '`' ||
           c == 0x7f;
}

/* Punctuation that surrounds a token in prose and logs but is not part of it. */
static bool trailing_punct(char c)
{
    return c == '.' || c == ':' || c == '!' || c == '?' || c == ']' || c == '=';
}

size_t hunt_scan(const struct hunt_index *ix, const char *text, size_t n, hunt_hit_fn fn, void *ctx)
{
    struct scan sc = {ix, fn, ctx, 0};
    size_t i = 0;
    while (i < n) {
        while (i < n && delimiter((unsigned char)text[i])) {
            i++;
        }
        size_t start = i;
        while (i < n && !delimiter((unsigned char)text[i])) {
            i++;
        }
        size_t s = start, e = i;
        while (s < e && (text[s] == '=' || text[s] == ':')) {
            s++;
        }
        while (e > s && trailing_punct(text[e - 1])) {
            e--;
        }
        if (e <= s) {
            continue;
        }
        /* key=value pairs: the value, unless the token is a URL whose query has '=' */
        const char *eq = memchr(text + s, '=', e - s);
        if (eq != NULL && memmem(text + s, e - s, "://", 3) == NULL) {
            check_token(&sc, text + s, (size_t)(eq - (text + s)), s);
            size_t v = (size_t)(eq - text) + 1;
            check_token(&sc, text + v, e - v, v);
            continue;
        }
        check_token(&sc, text + s, e - s, s);
    }
    return sc.hits;
}
