/*
 * index.c — the indicator index and the token scanner.
 *
 * Exact values live in one open-addressing table keyed by a type letter and the normal form
 * (strings in one arena, slots of 8 bytes: hash and entry number), CIDR ranges in a binary
 * trie per family, so an address finds every range holding it in at most 32 or 128 steps.
 *
 * Scanning has two layers. The exact layer cuts text into whole tokens at delimiters,
 * normalises each with the rules of hunt_classify() and looks it up: 1.2.3.4 is never
 * found inside 11.2.3.45, nor rosoft.com inside microsoft.com. It costs a few hundred
 * nanoseconds a token, far too slow for every token of a day of logs, so a prefilter decides
 * which tokens deserve it. The prefilter looks only at "runs": maximal stretches of the
 * bytes a value can be made of (letters, digits, '-', '_', '.', bytes >= 0x80), found 64
 * bytes at a time as bit masks (AVX2 where the CPU has it, a table otherwise). Any value
 * the exact layer would find sits in a run whose prefilter key is the indicator's:
 *   - a dotted run whose last label is not all digits: its last two labels, case folded
 *     (a domain, its subdomains, a URL's or an e-mail address's host share them);
 *   - a dotted run of four numbers: its /24, in a 2^24-bit map that ranges also fill;
 *   - an undotted run of 14 to 128 bytes: the whole run, case folded (hashes, Ethereum,
 *     Bitcoin, IBAN);
 *   - IPv6, whose ':' is not a run byte: any stretch of hex digits, ':' and '.' with "::"
 *     or seven colons, by its first 32 bits.
 * String keys go into a blocked Bloom filter (two bits in one 64-bit word, 16 bits per
 * key: one cache line read per run, about 1.5% false passes). A run that passes sends the
 * whole token around it to the exact layer, once. The unit tests and a fuzz target check
 * that the two-layer scanner reports exactly what the exact layer alone reports.
 */
#include "hunt/hunt.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

/* ---- storage --------------------------------------------------------------------------- */

struct entry {
    uint32_t key;   /* arena offset of type letter + normal form */
    uint32_t label; /* arena offset of the caller's label */
    int32_t tag;
    int32_t next;    /* another indicator with the same value (entry number), or -1 */
    bool exact_only; /* no subdomain matches */
};

struct range {
    struct ip_prefix p;
    uint32_t text, label; /* arena offsets */
    int32_t tag;
    int32_t next; /* the next range ending at the same trie node, -1 at the end */
};

/* A node of the range trie: children by the next address bit, and the ranges whose prefix
 * ends here. Nodes 0 and 1 are the IPv4 and IPv6 roots. */
struct node {
    int32_t child[2];
    int32_t ranges;
};

#define V4MAP_BITS 24 /* one bit per /24 */
#define V6MAP_BITS 16 /* one bit per hash of the first 32 bits */

struct hunt_index {
    char *arena;
    size_t arena_len, arena_cap;
    uint64_t *slots; /* 0: free; else hash << 32 | (entry number + 1) */
    size_t cap;
    struct entry *entries;
    size_t count, cap_entries;
    struct range *ranges;
    size_t n_ranges, cap_ranges;
    struct node *nodes;
    size_t n_nodes, cap_nodes;
    /* the prefilter */
    uint64_t *bloom;
    size_t bloom_words; /* a power of two */
    size_t bloom_keys;
    uint64_t *v4map; /* NULL until an IPv4 value arrives */
    uint64_t *v6map;
    bool v6_all; /* a range wider than /32: every IPv6 address goes to the exact layer */
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

/* A hash of n bytes, eight at a time. fold ORs 0x20 into every byte, so that ASCII letters
 * hash the same in either case (and '_' as DEL: the prefilter only needs both sides to
 * fold alike). */
static uint64_t hash_bytes(const char *s, size_t n, bool fold)
{
    const uint64_t f = fold ? 0x2020202020202020ULL : 0;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = mix(h ^ (w | f)) + 0x2545f4914f6cdd1dULL;
        s += 8;
        n -= 8;
    }
    if (n > 0) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = mix(h ^ (w | (f >> (8 * (8 - n)))));
    }
    return mix(h);
}

static uint32_t arena_add(struct hunt_index *ix, const char *s, size_t n, bool *oom)
{
    if (ix->arena_len + n + 1 > UINT32_MAX) {
        *oom = true;
        return 0;
    }
    if (ix->arena_len + n + 1 > ix->arena_cap) {
        size_t cap = ix->arena_cap * 2;
        while (cap < ix->arena_len + n + 1) {
            cap *= 2;
        }
        char *a = realloc(ix->arena, cap);
        if (a == NULL) {
            *oom = true;
            return 0;
        }
        ix->arena = a;
        ix->arena_cap = cap;
    }
    uint32_t off = (uint32_t)ix->arena_len;
    memcpy(ix->arena + off, s, n);
    ix->arena[off + n] = '\0';
    ix->arena_len += n + 1;
    return off;
}

static int grow_array(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) {
        return 0;
    }
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need) {
        c *= 2;
    }
    void *q = realloc(*p, c * size);
    if (q == NULL) {
        return -1;
    }
    *p = q;
    *cap = c;
    return 0;
}

static void tables_init(void);

struct hunt_index *hunt_index_new(void)
{
    tables_init();
    struct hunt_index *ix = calloc(1, sizeof(*ix));
    if (ix == NULL) {
        return NULL;
    }
    ix->cap = 1024;
    ix->slots = calloc(ix->cap, sizeof(*ix->slots));
    ix->arena_cap = 4096;
    ix->arena = malloc(ix->arena_cap);
    ix->bloom_words = 256;
    ix->bloom = calloc(ix->bloom_words, sizeof(uint64_t));
    if (ix->slots == NULL || ix->arena == NULL || ix->bloom == NULL ||
        grow_array((void **)&ix->nodes, &ix->cap_nodes, 2, sizeof(struct node)) != 0) {
        hunt_index_free(ix);
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
    free(ix->arena);
    free(ix->slots);
    free(ix->entries);
    free(ix->ranges);
    free(ix->nodes);
    free(ix->bloom);
    free(ix->v4map);
    free(ix->v6map);
    free(ix);
}

size_t hunt_index_size(const struct hunt_index *ix)
{
    return ix->count + ix->n_ranges;
}

size_t hunt_index_memory(const struct hunt_index *ix)
{
    return ix->arena_cap + ix->cap * sizeof(uint64_t) + ix->cap_entries * sizeof(struct entry) +
           ix->cap_ranges * sizeof(struct range) + ix->cap_nodes * sizeof(struct node) +
           ix->bloom_words * 8 + (ix->v4map ? (1u << V4MAP_BITS) / 8 : 0) +
           (ix->v6map ? (1u << V6MAP_BITS) / 8 : 0);
}

static const char *key_of(const struct hunt_index *ix, const struct entry *e)
{
    return ix->arena + e->key;
}

static uint64_t key_hash(const char *key, size_t n)
{
    return hash_bytes(key, n, false) >> 32;
}

static const struct entry *lookup_h(const struct hunt_index *ix, const char *key, size_t n,
                                    uint64_t h)
{
    for (size_t i = h & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1)) {
        uint64_t s = ix->slots[i];
        if (s == 0) {
            return NULL;
        }
        if (s >> 32 == h) {
            const struct entry *e = &ix->entries[(s & 0xffffffffu) - 1];
            const char *k = key_of(ix, e);
            if (memcmp(k, key, n) == 0 && k[n] == '\0') {
                return e;
            }
        }
    }
}

static const struct entry *lookup(const struct hunt_index *ix, const char *key, size_t n)
{
    return lookup_h(ix, key, n, key_hash(key, n));
}

static void slot_put(uint64_t *slots, size_t cap, uint64_t s)
{
    size_t i = (s >> 32) & (cap - 1);
    while (slots[i] != 0) {
        i = (i + 1) & (cap - 1);
    }
    slots[i] = s;
}

static int grow_slots(struct hunt_index *ix)
{
    size_t cap = ix->cap * 2;
    uint64_t *slots = calloc(cap, sizeof(*slots));
    if (slots == NULL) {
        return -1;
    }
    for (size_t i = 0; i < ix->cap; i++) {
        if (ix->slots[i] != 0) {
            slot_put(slots, cap, ix->slots[i]);
        }
    }
    free(ix->slots);
    ix->slots = slots;
    ix->cap = cap;
    return 0;
}

/* ---- the prefilter --------------------------------------------------------------------- */

static void bloom_set(uint64_t *bloom, size_t words, uint64_t h)
{
    bloom[h & (words - 1)] |= (1ULL << ((h >> 40) & 63)) | (1ULL << ((h >> 52) & 63));
}

/* The last two labels of a dotted name without trailing dots: where they start. */
static const char *last_two_labels(const char *s, size_t *n)
{
    size_t e = *n;
    while (e > 0 && s[e - 1] == '.') {
        e--;
    }
    size_t dots = 0, i = e;
    while (i > 0) {
        if (s[i - 1] == '.' && ++dots == 2) {
            break;
        }
        i--;
    }
    *n = e - i;
    return s + i;
}

static uint64_t domain_key(const char *host, size_t n)
{
    const char *k = last_two_labels(host, &n);
    return hash_bytes(k, n, true);
}

/* The string prefilter key of an exact entry (type letter + normal form); false for
 * addresses, which go to the maps instead. */
static bool string_key(const char *key, uint64_t *h)
{
    const char *norm = key + 1;
    switch (key[0]) {
    case 'd':
        *h = domain_key(norm, strlen(norm));
        return true;
    case 'e': {
        const char *at = strrchr(norm, '@');
        *h = domain_key(at + 1, strlen(at + 1));
        return true;
    }
    case 'u': {
        const char *host = strstr(norm, "://") + 3;
        size_t hn = strcspn(host, "/?#");
        const char *at = memchr(host, '@', hn);
        if (at != NULL) {
            hn -= (size_t)(at + 1 - host);
            host = at + 1;
        }
        if (*host == '[') {
            return false;
        }
        const char *colon = memchr(host, ':', hn);
        hn = colon ? (size_t)(colon - host) : hn;
        struct ip_prefix ip;
        if (ip_prefix_parse(host, hn, &ip) == 0) {
            return false;
        }
        *h = domain_key(host, hn);
        return true;
    }
    case '4':
    case '6':
        return false;
    default:
        *h = hash_bytes(norm, strlen(norm), true);
        return true;
    }
}

static int v4_mark(struct hunt_index *ix, const struct ip_prefix *p)
{
    if (ix->v4map == NULL && (ix->v4map = calloc((1u << V4MAP_BITS) / 64, 8)) == NULL) {
        return -1;
    }
    uint32_t a = (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
                 (uint32_t)p->addr[2] << 8 | p->addr[3];
    uint32_t first = a >> 8;
    uint32_t count = p->bits >= 24 ? 1 : 1u << (24 - p->bits);
    for (uint32_t k = first; k < first + count; k++) {
        ix->v4map[k / 64] |= 1ULL << (k % 64);
    }
    return 0;
}

static uint32_t v6_slot(const unsigned char *addr)
{
    uint32_t a =
        (uint32_t)addr[0] << 24 | (uint32_t)addr[1] << 16 | (uint32_t)addr[2] << 8 | addr[3];
    return (uint32_t)(mix(a) & ((1u << V6MAP_BITS) - 1));
}

static int v6_mark(struct hunt_index *ix, const struct ip_prefix *p)
{
    if (ix->v6map == NULL && (ix->v6map = calloc((1u << V6MAP_BITS) / 64, 8)) == NULL) {
        return -1;
    }
    if (p->bits < 32) {
        ix->v6_all = true;
    } else {
        uint32_t k = v6_slot(p->addr);
        ix->v6map[k / 64] |= 1ULL << (k % 64);
    }
    return 0;
}

/* The address a URL entry's host names, if it is one. */
static bool url_host_address(const char *norm, struct ip_prefix *ip)
{
    const char *host = strstr(norm, "://") + 3;
    size_t hn = strcspn(host, "/?#");
    const char *at = memchr(host, '@', hn);
    if (at != NULL) {
        hn -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    if (*host == '[') {
        const char *close = memchr(host, ']', hn);
        return close != NULL && ip_prefix_parse(host + 1, (size_t)(close - host - 1), ip) == 0;
    }
    const char *colon = memchr(host, ':', hn);
    return ip_prefix_parse(host, colon ? (size_t)(colon - host) : hn, ip) == 0;
}

static bool v4_parse(const char *s, size_t n, uint32_t *out);

/* Adds an entry's key to the prefilter; pf is its string_key() when already known. */
static int prefilter_add(struct hunt_index *ix, const char *key, const uint64_t *pf)
{
    uint64_t h;
    struct ip_prefix ip;
    uint32_t a;
    if (key[0] == '4' && v4_parse(key + 1, strlen(key + 1), &a)) {
        /* the common case, without inet_pton */
        if (ix->v4map == NULL && (ix->v4map = calloc((1u << V4MAP_BITS) / 64, 8)) == NULL) {
            return -1;
        }
        ix->v4map[(a >> 8) / 64] |= 1ULL << ((a >> 8) % 64);
        return 0;
    }
    if (pf != NULL || string_key(key, &h)) {
        h = pf != NULL ? *pf : h;
        bloom_set(ix->bloom, ix->bloom_words, h);
        ix->bloom_keys++;
        return 0;
    }
    if (key[0] == 'u') {
        if (!url_host_address(key + 1, &ip)) {
            return 0;
        }
    } else if (ip_prefix_parse(key + 1, strlen(key + 1), &ip) != 0) {
        return 0;
    }
    return ip.family == 4 ? v4_mark(ix, &ip) : v6_mark(ix, &ip);
}

/* Keeps the Bloom filter at 16 bits a key or more for extra more keys, rebuilding it
 * from the entries when it must grow. */
static int bloom_fit(struct hunt_index *ix, size_t extra)
{
    size_t need = ix->bloom_keys + extra, words = ix->bloom_words;
    if (need * 16 <= words * 64) {
        return 0;
    }
    while (need * 16 > words * 64) {
        words *= 4;
    }
    uint64_t *b = calloc(words, sizeof(uint64_t));
    if (b == NULL) {
        return -1;
    }
    ix->bloom_keys = 0;
    for (size_t i = 0; i < ix->count; i++) {
        uint64_t h;
        if (string_key(key_of(ix, &ix->entries[i]), &h)) {
            bloom_set(b, words, h);
            ix->bloom_keys++;
        }
    }
    free(ix->bloom);
    ix->bloom = b;
    ix->bloom_words = words;
    return 0;
}

/* ---- adding ---------------------------------------------------------------------------- */

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
            if (grow_array((void **)&ix->nodes, &ix->cap_nodes, ix->n_nodes + 1,
                           sizeof(struct node)) != 0) {
                return -1;
            }
            struct node *fresh = &ix->nodes[ix->n_nodes];
            fresh->child[0] = fresh->child[1] = fresh->ranges = -1;
            ix->nodes[n].child[b] = (int32_t)ix->n_nodes++;
        }
        n = ix->nodes[n].child[b];
    }
    return n;
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
        return 'r'; /* ranges live in the trie */
    }
}

static enum hunt_type type_of_letter(char letter, const char *norm);

static enum hunt_type type_of_key(const char *key)
{
    return type_of_letter(key[0], key + 1);
}

static int add_range(struct hunt_index *ix, const char *norm, const char *label, int32_t tag,
                     struct err *err)
{
    struct ip_prefix p;
    bool oom = false;
    if (ip_prefix_parse(norm, strlen(norm), &p) != 0) {
        return err_set(err, "internal: range did not parse");
    }
    int32_t node = trie_node(ix, &p);
    if (node < 0) {
        return err_set(err, "out of memory");
    }
    /* the same range from another indicator (another label) is kept beside it */
    for (int32_t k = ix->nodes[node].ranges; k >= 0; k = ix->ranges[k].next) {
        if (strcmp(ix->arena + ix->ranges[k].label, label) == 0) {
            return 1;
        }
    }
    if (grow_array((void **)&ix->ranges, &ix->cap_ranges, ix->n_ranges + 1, sizeof(struct range)) !=
        0) {
        return err_set(err, "out of memory");
    }
    struct range *r = &ix->ranges[ix->n_ranges];
    r->p = p;
    r->tag = tag;
    r->text = arena_add(ix, norm, strlen(norm), &oom);
    r->label = strcmp(label, norm) == 0 ? r->text : arena_add(ix, label, strlen(label), &oom);
    if (oom || (p.family == 4 ? v4_mark(ix, &p) : v6_mark(ix, &p)) != 0) {
        return err_set(err, "out of memory");
    }
    r->next = ix->nodes[node].ranges;
    ix->nodes[node].ranges = (int32_t)ix->n_ranges;
    ix->n_ranges++;
    return 0;
}

int hunt_index_reserve(struct hunt_index *ix, size_t n)
{
    while ((ix->count + n) * 10 > ix->cap * 7) {
        if (grow_slots(ix) != 0) {
            return -1;
        }
    }
    if (grow_array((void **)&ix->entries, &ix->cap_entries, ix->count + n, sizeof(struct entry)) !=
        0) {
        return -1;
    }
    return bloom_fit(ix, n);
}

int hunt_index_add(struct hunt_index *ix, const char *value, size_t n, const char *label,
                   unsigned flags, int32_t tag, struct err *err)
{
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX];
    if (hunt_classify(value, n, &t, norm, err) != 0) {
        return -1;
    }
    return hunt_index_add_norm(ix, t, norm, label, flags, tag, err);
}

/* Adds key (type letter + normal form, kn bytes) whose key_hash() is h. */
static int add_key(struct hunt_index *ix, const char *key, size_t kn, uint64_t h,
                   const uint64_t *pf, const char *label, unsigned flags, int32_t tag,
                   struct err *err)
{
    bool oom = false;
    const struct entry *had = lookup_h(ix, key, kn, h);
    int32_t last = -1;
    if (had != NULL) {
        /* the same value from another indicator (another label) is chained to it, so that
         * every indicator sharing a value is hit and sighted */
        for (int32_t k = (int32_t)(had - ix->entries); k >= 0; k = ix->entries[k].next) {
            if (strcmp(ix->arena + ix->entries[k].label, label) == 0) {
                return 1;
            }
            last = k;
        }
    }
    if (had == NULL && (ix->count + 1) * 10 > ix->cap * 7 && grow_slots(ix) != 0) {
        return err_set(err, "out of memory");
    }
    if (grow_array((void **)&ix->entries, &ix->cap_entries, ix->count + 1, sizeof(struct entry)) !=
            0 ||
        bloom_fit(ix, 1) != 0) {
        return err_set(err, "out of memory");
    }
    struct entry *e = &ix->entries[ix->count];
    e->key = last >= 0 ? ix->entries[last].key : arena_add(ix, key, kn, &oom);
    e->label = strcmp(label, key + 1) == 0 ? e->key + 1 : arena_add(ix, label, strlen(label), &oom);
    e->tag = tag;
    e->next = -1;
    e->exact_only = (flags & HUNT_EXACT_ONLY) != 0;
    if (oom) {
        return err_set(err, "out of memory");
    }
    if (last >= 0) {
        ix->entries[last].next = (int32_t)ix->count;
        ix->count++;
        return 0;
    }
    if (prefilter_add(ix, ix->arena + e->key, pf) != 0) {
        return err_set(err, "out of memory");
    }
    slot_put(ix->slots, ix->cap, h << 32 | (uint64_t)(ix->count + 1));
    ix->count++;
    return 0;
}

/* The key of a normal form into key (HUNT_VALUE_MAX + 2 bytes); its length, 0 if too long. */
static size_t make_key(enum hunt_type t, const char *norm, char *key)
{
    size_t kn = strlen(norm) + 1;
    if (kn >= HUNT_VALUE_MAX + 1) {
        return 0;
    }
    key[0] = type_letter(t);
    memcpy(key + 1, norm, kn);
    return kn;
}

int hunt_index_add_norm(struct hunt_index *ix, enum hunt_type t, const char *norm,
                        const char *label, unsigned flags, int32_t tag, struct err *err)
{
    char key[HUNT_VALUE_MAX + 2];
    if (t == HUNT_CIDR4 || t == HUNT_CIDR6) {
        return add_range(ix, norm, label, tag, err);
    }
    size_t kn = make_key(t, norm, key);
    if (kn == 0) {
        return err_set(err, "value too long");
    }
    return add_key(ix, key, kn, key_hash(key, kn), NULL, label, flags, tag, err);
}

/* ---- many values at once ---------------------------------------------------------------- */

struct classify_job {
    const struct hunt_warninglists *wl;
    struct hunt_item *items;
    size_t begin, end;
    struct buf keys; /* type letter + normal form + NUL, one after the other */
    bool oom;
};

static void *classify_range(void *arg)
{
    struct classify_job *j = arg;
    for (size_t i = j->begin; i < j->end && !j->oom; i++) {
        struct hunt_item *it = &j->items[i];
        char norm[HUNT_VALUE_MAX];
        struct err err;
        it->list = NULL;
        it->hash = 0;
        it->has_pf = false;
        if (hunt_classify(it->value, it->len, &it->type, norm, &err) != 0) {
            it->status = HUNT_ITEM_INVALID;
            continue;
        }
        if ((it->list = hunt_warninglists_match(j->wl, it->type, norm)) != NULL) {
            it->status = HUNT_ITEM_SET_ASIDE;
            continue;
        }
        it->status = HUNT_ITEM_ADDED;
        char key[HUNT_VALUE_MAX + 2];
        size_t kn = it->type == HUNT_CIDR4 || it->type == HUNT_CIDR6
                        ? strlen(norm) + 1
                        : make_key(it->type, norm, key);
        const char *k = it->type == HUNT_CIDR4 || it->type == HUNT_CIDR6 ? norm : key;
        it->key = j->keys.len;
        it->hash = kn ? key_hash(k, kn) : 0;
        it->has_pf = k == key && key[0] != '4' && string_key(key, &it->pf);
        if (kn == 0 || buf_append(&j->keys, k, kn) != 0 || buf_append(&j->keys, "", 1) != 0) {
            j->oom = kn != 0;
            it->status = HUNT_ITEM_INVALID;
        }
    }
    return NULL;
}

int hunt_index_add_items(struct hunt_index *ix, const struct hunt_warninglists *wl,
                         struct hunt_item *items, size_t n, unsigned flags, int threads,
                         struct err *err)
{
    struct classify_job jobs[HUNT_MAX_THREADS];
    pthread_t tids[HUNT_MAX_THREADS];
    bool started[HUNT_MAX_THREADS] = {false};
    threads = threads < 1 ? 1 : threads > HUNT_MAX_THREADS ? HUNT_MAX_THREADS : threads;
    if ((size_t)threads > n / 1024 + 1) {
        threads = (int)(n / 1024 + 1);
    }
    int rc = hunt_index_reserve(ix, n) != 0 ? err_set(err, "out of memory") : 0;
    /* classification is independent per value: every thread takes a share */
    for (int t = 0; t < threads; t++) {
        jobs[t] = (struct classify_job){.wl = wl,
                                        .items = items,
                                        .begin = n * (size_t)t / (size_t)threads,
                                        .end = n * (size_t)(t + 1) / (size_t)threads};
        buf_init(&jobs[t].keys, SIZE_MAX / 2);
    }
    for (int t = 1; t < threads; t++) {
        started[t] = pthread_create(&tids[t], NULL, classify_range, &jobs[t]) == 0;
        if (!started[t]) {
            classify_range(&jobs[t]);
        }
    }
    classify_range(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t]) {
            pthread_join(tids[t], NULL);
        }
    }
    /* insertion is one table: in order, each slot prefetched a few values ahead */
    const size_t ahead = 8;
    for (int t = 0; t < threads && rc == 0; t++) {
        const struct classify_job *j = &jobs[t];
        if (j->oom) {
            rc = err_set(err, "out of memory");
            break;
        }
        for (size_t i = j->begin; i < j->end && rc == 0; i++) {
            if (i + ahead < j->end) {
                const struct hunt_item *next = &items[i + ahead];
                __builtin_prefetch(&ix->slots[next->hash & (ix->cap - 1)]);
                if (next->has_pf) {
                    __builtin_prefetch(&ix->bloom[next->pf & (ix->bloom_words - 1)]);
                }
            }
            struct hunt_item *it = &items[i];
            if (it->status != HUNT_ITEM_ADDED) {
                continue;
            }
            const char *k = j->keys.data + it->key;
            int r;
            if (it->type == HUNT_CIDR4 || it->type == HUNT_CIDR6) {
                r = add_range(ix, k, it->label, it->tag, err);
            } else {
                r = add_key(ix, k, strlen(k), it->hash, it->has_pf ? &it->pf : NULL, it->label,
                            flags, it->tag, err);
            }
            if (r < 0) {
                rc = -1;
            } else if (r == 1) {
                it->status = HUNT_ITEM_DUPLICATE;
            }
        }
    }
    for (int t = 0; t < threads; t++) {
        buf_fini(&jobs[t].keys);
    }
    return rc;
}

const char *hunt_index_find(const struct hunt_index *ix, enum hunt_type t, const char *norm)
{
    char key[HUNT_VALUE_MAX + 2];
    size_t n = strlen(norm);
    if (t == HUNT_CIDR4 || t == HUNT_CIDR6 || n + 2 > sizeof(key)) {
        return NULL;
    }
    key[0] = type_letter(t);
    memcpy(key + 1, norm, n + 1);
    const struct entry *e = lookup(ix, key, n + 1);
    return e ? ix->arena + e->label : NULL;
}

/* ---- the exact layer ------------------------------------------------------------------- */

struct scan {
    const struct hunt_index *ix;
    hunt_hit_fn fn;
    void *ctx;
    size_t hits;
    hunt_value_fn vfn; /* set: every value is handed out instead of looked up */
};

static enum hunt_type type_of_letter(char letter, const char *norm)
{
    switch (letter) {
    case '4':
        return HUNT_IPV4;
    case '6':
        return HUNT_IPV6;
    case 'd':
        return HUNT_DOMAIN;
    case 'u':
        return HUNT_URL;
    case 'e':
        return HUNT_EMAIL;
    case 'b':
        return HUNT_BTC;
    case 'x':
        return HUNT_ETH;
    case 'i':
        return HUNT_IBAN;
    default: {
        size_t n = strlen(norm);
        return n == 32 ? HUNT_MD5 : n == 40 ? HUNT_SHA1 : n == 64 ? HUNT_SHA256 : HUNT_SHA512;
    }
    }
}

static void emit(struct scan *sc, const char *label, const char *indicator, int32_t tag,
                 enum hunt_type t, enum hunt_match m, const char *value, size_t offset)
{
    struct hunt_hit h = {label, indicator, tag, t, m, value, offset};
    sc->fn(sc->ctx, &h);
    sc->hits++;
}

static bool find(struct scan *sc, char letter, const char *norm, enum hunt_match m,
                 const char *value, size_t offset)
{
    if (sc->vfn != NULL) {
        if (m == HUNT_MATCH_EXACT) {
            sc->vfn(sc->ctx, type_of_letter(letter, norm), norm, offset);
        }
        return false;
    }
    char key[HUNT_VALUE_MAX + 2];
    size_t n = strlen(norm);
    if (n + 1 >= sizeof(key)) {
        return false;
    }
    key[0] = letter;
    memcpy(key + 1, norm, n + 1);
    const struct entry *e = lookup(sc->ix, key, n + 1);
    bool found = false;
    for (; e != NULL; e = e->next >= 0 ? &sc->ix->entries[e->next] : NULL) {
        if (m == HUNT_MATCH_SUBDOMAIN && e->exact_only) {
            continue;
        }
        const char *k = key_of(sc->ix, e);
        emit(sc, sc->ix->arena + e->label, k + 1, e->tag, type_of_key(k), m, value, offset);
        found = true;
    }
    return found;
}

static void check_address(struct scan *sc, const char *norm, enum hunt_type t, size_t offset)
{
    find(sc, t == HUNT_IPV4 ? '4' : '6', norm, HUNT_MATCH_EXACT, norm, offset);
    struct ip_prefix ip;
    if (sc->vfn != NULL || sc->ix->n_ranges == 0 || ip_prefix_parse(norm, strlen(norm), &ip) != 0) {
        return;
    }
    /* walk the address's bits: every range on the way holds it */
    const struct hunt_index *ix = sc->ix;
    int32_t n = ip.family == 4 ? 0 : 1;
    for (int i = 0; n >= 0; i++) {
        for (int32_t k = ix->nodes[n].ranges; k >= 0; k = ix->ranges[k].next) {
            const struct range *r = &ix->ranges[k];
            emit(sc, ix->arena + r->label, ix->arena + r->text, r->tag,
                 r->p.family == 4 ? HUNT_CIDR4 : HUNT_CIDR6, HUNT_MATCH_IN_RANGE, norm, offset);
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
    find(sc, 'd', norm, HUNT_MATCH_EXACT, norm, offset);
    for (const char *p = strchr(norm, '.');
         sc->vfn == NULL && p != NULL && strchr(p + 1, '.') != NULL; p = strchr(p + 1, '.')) {
        find(sc, 'd', p + 1, HUNT_MATCH_SUBDOMAIN, norm, offset);
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

static void check_value(struct scan *sc, const char *s, size_t n, size_t offset)
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
        find(sc, 'u', norm, HUNT_MATCH_EXACT, norm, offset);
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
        find(sc, 'e', norm, HUNT_MATCH_EXACT, norm, offset);
        check_domain(sc, strchr(norm, '@') + 1, offset);
        break;
    default:
        find(sc, type_letter(t), norm, HUNT_MATCH_EXACT, norm, offset);
        break;
    }
}

/* Bytes that end a token: white space, quotes, brackets and the separators of log formats. */
static bool delim[256];

/* Bytes a value can be made of: letters, digits, '-', '_', '.' and UTF-8. */
static bool run_byte[256];

static void fill_tables(void)
{
    for (int c = 0; c < 256; c++) {
        delim[c] = c <= ' ' || c == 0x7f || (c < 0x80 && strchr("\"'<>(){}|,;\\`", c) != NULL);
        run_byte[c] = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                      (c >= 'a' && c <= 'z') || c == '-' || c == '_' || c == '.';
    }
}

/* Fills the byte tables once per process, whoever asks first. */
static void tables_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, fill_tables);
}

/* Punctuation that surrounds a token in prose and logs but is not part of it. */
static bool trailing_punct(char c)
{
    return c == '.' || c == ':' || c == '!' || c == '?' || c == ']' || c == '=';
}

/* One whole token [s, e) of text through the exact layer. */
static void check_token(struct scan *sc, const char *text, size_t s, size_t e)
{
    /* leading '=' and ':' are separators, unless "::" begins an IPv6 address */
    while (s < e && (text[s] == '=' || (text[s] == ':' && !(s + 1 < e && text[s + 1] == ':')))) {
        s++;
    }
    while (e > s && trailing_punct(text[e - 1])) {
        e--;
    }
    if (e <= s) {
        return;
    }
    /* key=value pairs: the value, unless the token is a URL whose query has '=' */
    const char *eq = memchr(text + s, '=', e - s);
    if (eq != NULL && memmem(text + s, e - s, "://", 3) == NULL) {
        check_value(sc, text + s, (size_t)(eq - (text + s)), s);
        size_t v = (size_t)(eq - text) + 1;
        check_value(sc, text + v, e - v, v);
        return;
    }
    check_value(sc, text + s, e - s, s);
}

/* Every whole token of the text through the exact layer. */
static void each_token(struct scan *sc, const char *text, size_t n)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && delim[(unsigned char)text[i]]) {
            i++;
        }
        size_t start = i;
        while (i < n && !delim[(unsigned char)text[i]]) {
            i++;
        }
        if (i > start) {
            check_token(sc, text, start, i);
        }
    }
}

size_t hunt_scan_exact(const struct hunt_index *ix, const char *text, size_t n, hunt_hit_fn fn,
                       void *ctx)
{
    struct scan sc = {ix, fn, ctx, 0, NULL};
    each_token(&sc, text, n);
    return sc.hits;
}

/* ---- the prefilter layer --------------------------------------------------------------- */

/* The bit masks of 64 bytes (run bytes, colons, dots) and their number of newlines. */
struct masks {
    uint64_t runs, colons, dots;
    unsigned newlines;
};

static void masks_scalar(const unsigned char *p, struct masks *m)
{
    uint64_t r = 0, c = 0, d = 0;
    unsigned nl = 0;
    for (int i = 0; i < 64; i++) {
        r |= (uint64_t)run_byte[p[i]] << i;
        c |= (uint64_t)(p[i] == ':') << i;
        nl += p[i] == '\n';
        d |= (uint64_t)(p[i] == '.') << i;
    }
    m->runs = r;
    m->colons = c;
    m->newlines = nl;
    m->dots = d;
}

#ifdef HAVE_AVX2_PATH
__attribute__((target("avx2"))) static uint32_t runs32(__m256i v, uint32_t *colons,
                                                       uint32_t *newlines, uint32_t *dots)
{
    const __m256i lower = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
    const __m256i letter = _mm256_and_si256(_mm256_cmpgt_epi8(lower, _mm256_set1_epi8('a' - 1)),
                                            _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), lower));
    /* '-' '.' '/' and the digits are 0x2d..0x39: the range without '/' */
    const __m256i dash_digit =
        _mm256_andnot_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('/')),
                            _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8('-' - 1)),
                                             _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), v)));
    const __m256i under = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('_'));
    const __m256i any = _mm256_or_si256(_mm256_or_si256(letter, dash_digit), under);
    *colons = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(':')));
    *newlines = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n')));
    *dots = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')));
    /* bytes >= 0x80 have their sign bit set: movemask of v itself */
    return (uint32_t)_mm256_movemask_epi8(any) | (uint32_t)_mm256_movemask_epi8(v);
}

__attribute__((target("avx2,popcnt"))) static void masks_avx2(const unsigned char *p,
                                                              struct masks *m)
{
    uint32_t c0, c1, n0, n1, d0, d1;
    uint32_t r0 = runs32(_mm256_loadu_si256((const __m256i *)(const void *)p), &c0, &n0, &d0);
    uint32_t r1 =
        runs32(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32)), &c1, &n1, &d1);
    m->runs = (uint64_t)r1 << 32 | r0;
    m->colons = (uint64_t)c1 << 32 | c0;
    m->newlines = (unsigned)__builtin_popcount(n0) + (unsigned)__builtin_popcount(n1);
    m->dots = (uint64_t)d1 << 32 | d0;
}
#endif

typedef void (*masks_fn)(const unsigned char *p, struct masks *m);

static masks_fn masks_pick(void)
{
#ifdef HAVE_AVX2_PATH
    if (__builtin_cpu_supports("avx2") && getenv("CERTMESH_NO_SIMD") == NULL) {
        return masks_avx2;
    }
#endif
    return masks_scalar;
}

/* Probes wait in a small ring with their word prefetched, so that the cache misses of
 * several runs overlap instead of stalling one after the other (the prefilter's tables
 * are a few MB: L3, not L1). They are tested in text order. */
#define PENDING 16

struct probe {
    const uint64_t *word;
    uint64_t mask;
    size_t pos;
};

struct fast {
    struct scan sc;
    const char *text;
    size_t n;
    size_t done_end; /* tokens ending here or before have been through the exact layer */
    size_t v6_end;   /* IPv6 candidates up to here have been looked at */
    struct probe ring[PENDING];
    unsigned head, count;
};

/* The whole token holding byte pos through the exact layer, once. */
static void to_exact(struct fast *f, size_t pos)
{
    if (pos < f->done_end) {
        return;
    }
    size_t s = pos, e = pos;
    while (s > 0 && !delim[(unsigned char)f->text[s - 1]]) {
        s--;
    }
    while (e < f->n && !delim[(unsigned char)f->text[e]]) {
        e++;
    }
    check_token(&f->sc, f->text, s, e);
    f->done_end = e > pos ? e : pos + 1;
}

static void test_oldest(struct fast *f)
{
    const struct probe *p = &f->ring[f->head];
    if ((*p->word & p->mask) == p->mask) {
        to_exact(f, p->pos);
    }
    f->head = (f->head + 1) % PENDING;
    f->count--;
}

static void flush(struct fast *f)
{
    while (f->count > 0) {
        test_oldest(f);
    }
}

static void probe(struct fast *f, const uint64_t *word, uint64_t mask, size_t pos)
{
    if (f->count == PENDING) {
        test_oldest(f);
    }
    __builtin_prefetch(word);
    f->ring[(f->head + f->count) % PENDING] = (struct probe){word, mask, pos};
    f->count++;
}

static void probe_key(struct fast *f, uint64_t h, size_t pos)
{
    const struct hunt_index *ix = f->sc.ix;
    probe(f, &ix->bloom[h & (ix->bloom_words - 1)],
          (1ULL << ((h >> 40) & 63)) | (1ULL << ((h >> 52) & 63)), pos);
}

static bool v4_parse(const char *s, size_t n, uint32_t *out)
{
    uint32_t a = 0, part = 0;
    int parts = 0, digits = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (digits == 0 || part > 255) {
                return false;
            }
            a = a << 8 | part;
            parts++;
            part = 0;
            digits = 0;
        } else if (s[i] >= '0' && s[i] <= '9' && ++digits <= 3) {
            part = part * 10 + (uint32_t)(s[i] - '0');
        } else {
            return false;
        }
    }
    *out = a;
    return parts == 4;
}

/* A run [s, e) has ended. dots holds the dots of the 64 bytes from base, which hold the
 * run when s >= base (most runs are short); otherwise the run's bytes are searched. */
static void handle_run(struct fast *f, size_t s, size_t e, size_t base, uint64_t dots)
{
    const struct hunt_index *ix = f->sc.ix;
    const char *r = f->text + s;
    size_t len = e - s;
    while (len > 0 && r[len - 1] == '.') {
        len--;
    }
    if (len < 3) {
        return;
    }
    size_t d;               /* one past the last dot, 0 when there is none */
    bool three_dots = true; /* as far as the masks tell */
    if (s >= base) {
        uint64_t in = dots >> (s - base);
        in &= len < 64 ? (1ULL << len) - 1 : ~0ULL;
        d = in ? (size_t)(64 - __builtin_clzll(in)) : 0;
        uint64_t two = in & (in - 1);
        two &= two - 1; /* the dots after the first two */
        three_dots = two != 0 && (two & (two - 1)) == 0;
    } else {
        d = len;
        while (d > 0 && r[d - 1] != '.') {
            d--;
        }
    }
    if (d == 0) {
        if (len >= 14 && len <= 128) {
            probe_key(f, hash_bytes(r, len, true), s);
        }
        return;
    }
    bool numeric = true;
    for (size_t i = d; i < len && numeric; i++) {
        numeric = r[i] >= '0' && r[i] <= '9';
    }
    if (numeric) {
        /* the top label is a number: an IPv4 address or nothing */
        uint32_t a;
        if (ix->v4map != NULL && three_dots && len <= 15 && v4_parse(r, len, &a)) {
            probe(f, &ix->v4map[(a >> 8) / 64], 1ULL << ((a >> 8) % 64), s);
        }
        return;
    }
    /* the label before: the key is the last two labels */
    size_t d2 = d - 1;
    while (d2 > 0 && r[d2 - 1] != '.') {
        d2--;
    }
    probe_key(f, hash_bytes(r + d2, len - d2, true), s);
}

static bool v6_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == ':' ||
           c == '.';
}

static bool v6_probe(const struct hunt_index *ix, const char *s, size_t n)
{
    struct ip_prefix ip;
    if (ip_prefix_parse(s, n, &ip) != 0 || ip.family != 6) {
        return false;
    }
    uint32_t k = v6_slot(ip.addr);
    return ix->v6_all || (ix->v6map[k / 64] >> (k % 64) & 1);
}

/* A colon at pos: the stretch of IPv6 bytes around it may be an address. */
static void handle_colon(struct fast *f, size_t pos)
{
    if (pos < f->v6_end) {
        return;
    }
    size_t s = pos, e = pos;
    while (s > 0 && v6_byte((unsigned char)f->text[s - 1])) {
        s--;
    }
    while (e < f->n && v6_byte((unsigned char)f->text[e])) {
        e++;
    }
    f->v6_end = e;
    const char *t = f->text + s;
    size_t n = e - s, colons = 0;
    bool dbl = false;
    for (size_t i = 0; i < n; i++) {
        colons += t[i] == ':';
        dbl = dbl || (t[i] == ':' && i + 1 < n && t[i + 1] == ':');
    }
    if (n > 45 + 2 || !(dbl || colons >= 6)) {
        return;
    }
    /* as the exact layer will see it: perhaps without leading colons or trailing ':' '.' */
    size_t ls = 0, te = n;
    while (ls < n && t[ls] == ':' && !(ls + 1 < n && t[ls + 1] == ':')) {
        ls++;
    }
    while (te > ls && (t[te - 1] == ':' || t[te - 1] == '.')) {
        te--;
    }
    if (v6_probe(f->sc.ix, t, n) || v6_probe(f->sc.ix, t + ls, n - ls) ||
        v6_probe(f->sc.ix, t, te) || v6_probe(f->sc.ix, t + ls, te - ls)) {
        flush(f); /* earlier runs first: hits stay in text order */
        to_exact(f, pos);
    }
}

/* The bits just after the runs of r (maximal stretches of ones) that hold a bit of seeds
 * (a subset of r), for runs that end inside the 64 bits: adding a seed carries through
 * the ones above it and sets the first zero bit after its run. */
static uint64_t ends_of_seeded(uint64_t r, uint64_t seeds)
{
    return (r + seeds) & ~r;
}

/* The bits of r that begin 14 ones in a row. */
static uint64_t long_runs(uint64_t r)
{
    uint64_t a = r & (r >> 1); /* 2 in a row */
    a &= a >> 2;               /* 4 */
    a &= a >> 4;               /* 8 */
    return a & (a >> 6);       /* 14 */
}

size_t hunt_scan_lines(const struct hunt_index *ix, const char *text, size_t n, hunt_hit_fn fn,
                       void *ctx, size_t *lines)
{
    static masks_fn masks;
    if (masks == NULL) {
        masks = masks_pick(); /* idempotent: a race only picks the same function twice */
    }
    struct fast f = {.sc = {ix, fn, ctx, 0, NULL}, .text = text, .n = n};
    const unsigned char *t = (const unsigned char *)text;
    const uint64_t colon_events = ix->v6map != NULL ? ~0ULL : 0;
    bool in_run = false; /* a run crosses into the next block */
    size_t run_start = 0, nl = 0;
    for (size_t b = 0; b < n; b += 64) {
        struct masks m;
        if (n - b >= 64) {
            masks(t + b, &m);
        } else {
            unsigned char tail[64] = {0};
            memcpy(tail, t + b, n - b);
            masks(tail, &m);
            uint64_t valid = (1ULL << (n - b)) - 1;
            m.runs &= valid;
            m.colons &= valid;
            m.dots &= valid; /* the zero padding holds no newline */
        }
        const uint64_t runs = m.runs;
        nl += m.newlines;
        uint64_t mine = runs; /* the runs that begin in this block */
        if (in_run) {
            /* the run that began in an earlier block: always looked at, by its bytes */
            if (runs == ~0ULL) {
                continue;
            }
            size_t e = (size_t)__builtin_ctzll(~runs);
            handle_run(&f, run_start, b + e, b, 0);
            mine &= ~((1ULL << e) - 1);
            in_run = false;
        }
        /* Only runs that can hold an indicator matter: those with a dot (domains, addresses,
         * URL hosts, e-mail domains) and those of 14 bytes or more (hashes, Bitcoin,
         * Ethereum, IBAN). Their ends come straight from the masks; the many short words
         * and numbers of a log line cost nothing more. */
        uint64_t ends = ends_of_seeded(mine, (m.dots | long_runs(mine)) & mine);
        uint64_t colons = m.colons & colon_events;
        uint64_t ev = ends | colons;
        while (ev != 0) {
            int i = __builtin_ctzll(ev);
            uint64_t bit = 1ULL << i;
            if (ends & bit) {
                uint64_t below = ~runs & (bit - 1);
                size_t s0 = below ? (size_t)(64 - __builtin_clzll(below)) : 0;
                handle_run(&f, b + s0, b + (size_t)i, b, m.dots);
            } else {
                handle_colon(&f, b + (size_t)i);
            }
            ev &= ev - 1;
        }
        if (runs >> 63) {
            in_run = true;
            run_start = ~runs ? b + (size_t)(64 - __builtin_clzll(~runs)) : b;
        }
    }
    if (in_run) {
        handle_run(&f, run_start, n, n, 0);
    }
    flush(&f);
    if (lines != NULL) {
        *lines = nl;
    }
    return f.sc.hits;
}

size_t hunt_scan(const struct hunt_index *ix, const char *text, size_t n, hunt_hit_fn fn, void *ctx)
{
    return hunt_scan_lines(ix, text, n, fn, ctx, NULL);
}

size_t hunt_values(const char *text, size_t n, hunt_value_fn fn, void *ctx)
{
    tables_init();
    struct scan sc = {NULL, NULL, ctx, 0, fn};
    each_token(&sc, text, n);
    return 0;
}
