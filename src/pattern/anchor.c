/*
 * anchor.c — compiling a pattern to the anchor terms hunting indexes. Within brackets, AND
 * needs only one side's anchors (every match satisfies both), OR needs both sides' (a
 * match satisfies either); between observations, AND, OR and FOLLOWEDBY all need both
 * sides', because every observation taking part satisfies one side or the other. Only
 * positive equality, IN and ISSUBSET on properties whose value is an address, domain,
 * URL, e-mail address or hash yield terms; anything else makes its subtree unanchored.
 */
#include "pattern/pattern.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct tset {
    bool anchored;
    struct pattern_term *t;
    int n, cap;
};

static void tset_fini(struct tset *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->t[i].value);
    }
    free(s->t);
    memset(s, 0, sizeof(*s));
}

static int tset_add(struct tset *s, enum pattern_term_kind k, const char *v, size_t n,
                    const char *algo)
{
    for (int i = 0; i < s->n; i++) {
        if (s->t[i].kind == k && strlen(s->t[i].value) == n && memcmp(s->t[i].value, v, n) == 0 &&
            (algo == NULL || strcmp(algo, s->t[i].algo) == 0)) {
            return 0;
        }
    }
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 4;
        struct pattern_term *t = realloc(s->t, sizeof(*t) * (size_t)cap);
        if (t == NULL) {
            return -1;
        }
        s->t = t;
        s->cap = cap;
    }
    char *copy = strndup(v, n);
    if (copy == NULL) {
        return -1;
    }
    s->t[s->n].kind = k;
    s->t[s->n].value = copy;
    s->t[s->n].algo = algo;
    s->n++;
    return 0;
}

/* Moves b's terms into a (union); b is emptied. */
static int tset_union(struct tset *a, struct tset *b)
{
    for (int i = 0; i < b->n; i++) {
        if (tset_add(a, b->t[i].kind, b->t[i].value, strlen(b->t[i].value), b->t[i].algo) != 0) {
            return -1;
        }
    }
    tset_fini(b);
    return 0;
}

/* An address or CIDR literal, canonical (RFC 5952 for IPv6); 1 if it is neither. */
static int add_address(struct tset *s, const char *v)
{
    struct ip_prefix p;
    char out[64];
    if (ip_prefix_parse(v, strlen(v), &p) != 0) {
        return 1;
    }
    ip_prefix_format(&p, out);
    bool host = p.bits == (p.family == 4 ? 32 : 128);
    enum pattern_term_kind k = p.family == 4 ? (host ? PATTERN_TERM_IPV4 : PATTERN_TERM_CIDR4)
                                             : (host ? PATTERN_TERM_IPV6 : PATTERN_TERM_CIDR6);
    return tset_add(s, k, out, strlen(out), NULL);
}

static int add_lower(struct tset *s, enum pattern_term_kind k, const char *v, size_t n,
                     const char *algo)
{
    char buf[2048];
    if (k == PATTERN_TERM_DOMAIN && n > 0 && v[n - 1] == '.') {
        n--; /* a trailing dot names the same domain */
    }
    if (n == 0 || n >= sizeof(buf)) {
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        buf[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] | 0x20) : v[i];
    }
    return tset_add(s, k, buf, n, algo);
}

static const char *const hash_algos[] = {"MD5",      "SHA-1",    "SHA-256", "SHA-512",
                                         "SHA3-256", "SHA3-512", "SSDEEP",  "TLSH"};

/* Terms of one literal for one object path; 1 if the path or literal gives none. */
static int literal_terms(struct tset *s, const struct pattern_path *p, const struct pattern_lit *l,
                         bool subset)
{
    if (l->kind != PATTERN_LIT_STRING) {
        return 1;
    }
    const struct pattern_step *last = &p->steps[p->n_steps - 1];
    if (last->kind != PATTERN_STEP_KEY) {
        return 1;
    }
    /* <type>:hashes.<ALGO> (file, artifact, x509-certificate, …) */
    if (p->n_steps == 2 && strcmp(p->steps[0].key, "hashes") == 0) {
        for (size_t i = 0; i < BASE_ARRAY_LEN(hash_algos); i++) {
            if (strcasecmp(last->key, hash_algos[i]) == 0) {
                return hex_valid(l->text, l->len)
                           ? add_lower(s, PATTERN_TERM_HASH, l->text, l->len, hash_algos[i])
                           : 1;
            }
        }
        return 1;
    }
    if (strcmp(last->key, "value") != 0) {
        return 1;
    }
    /* the object whose value this is: the start type, or whatever a reference points to */
    const char *type = p->n_steps == 1 ? p->type : NULL;
    if (subset ||
        (type != NULL && (strcmp(type, "ipv4-addr") == 0 || strcmp(type, "ipv6-addr") == 0))) {
        return add_address(s, l->text);
    }
    if (type == NULL) {
        /* through a reference (network-traffic:dst_ref.value, email-message:from_ref.value):
         * decide by the literal's shape */
        int rc = add_address(s, l->text);
        if (rc <= 0) {
            return rc;
        }
        if (memchr(l->text, '@', l->len) != NULL) {
            return add_lower(s, PATTERN_TERM_EMAIL, l->text, l->len, NULL);
        }
        if (memchr(l->text, '.', l->len) != NULL && memchr(l->text, '/', l->len) == NULL &&
            memchr(l->text, ' ', l->len) == NULL) {
            return add_lower(s, PATTERN_TERM_DOMAIN, l->text, l->len, NULL);
        }
        return 1;
    }
    if (strcmp(type, "domain-name") == 0) {
        return add_lower(s, PATTERN_TERM_DOMAIN, l->text, l->len, NULL);
    }
    if (strcmp(type, "url") == 0) {
        return tset_add(s, PATTERN_TERM_URL, l->text, l->len, NULL);
    }
    if (strcmp(type, "email-addr") == 0) {
        return add_lower(s, PATTERN_TERM_EMAIL, l->text, l->len, NULL);
    }
    return 1;
}

static int cmp_terms(const struct pattern_cmp *c, struct tset *out)
{
    memset(out, 0, sizeof(*out));
    if (c->kind == PATTERN_CMP_TEST) {
        bool eq = c->op == PATTERN_OP_EQ || c->op == PATTERN_OP_IN;
        bool subset = c->op == PATTERN_OP_ISSUBSET;
        if (c->negated || (!eq && !subset)) {
            return 0;
        }
        for (int i = 0; i < c->n_lits; i++) {
            int rc = literal_terms(out, &c->path, &c->lits[i], subset);
            if (rc < 0) {
                return -1;
            }
            if (rc > 0) {
                tset_fini(out);
                return 0;
            }
        }
        out->anchored = out->n > 0;
        return 0;
    }
    struct tset l, r;
    if (cmp_terms(c->left, &l) != 0) {
        return -1;
    }
    if (cmp_terms(c->right, &r) != 0) {
        tset_fini(&l);
        return -1;
    }
    if (c->kind == PATTERN_CMP_AND) {
        /* either side's anchors will do: keep the anchored one with fewer terms */
        bool take_l = l.anchored && (!r.anchored || l.n <= r.n);
        *out = take_l ? l : r;
        tset_fini(take_l ? &r : &l);
        return 0;
    }
    if (!l.anchored || !r.anchored) {
        tset_fini(&l);
        tset_fini(&r);
        return 0;
    }
    *out = l;
    return tset_union(out, &r);
}

static int obs_terms(const struct pattern_obs *o, struct tset *out)
{
    memset(out, 0, sizeof(*out));
    switch (o->kind) {
    case PATTERN_OBS_SIMPLE:
        return cmp_terms(o->cmp, out);
    case PATTERN_OBS_WITHIN:
    case PATTERN_OBS_REPEATS:
    case PATTERN_OBS_STARTSTOP:
        return obs_terms(o->child, out);
    default: {
        struct tset l, r;
        if (obs_terms(o->left, &l) != 0) {
            return -1;
        }
        if (obs_terms(o->right, &r) != 0) {
            tset_fini(&l);
            return -1;
        }
        if (!l.anchored || !r.anchored) {
            tset_fini(&l);
            tset_fini(&r);
            return 0;
        }
        *out = l;
        return tset_union(out, &r);
    }
    }
}

/* Does the presence of the value alone decide this test? Only for a test on the object's
 * own value or file hash: through a reference (network-traffic:dst_ref.value) the value
 * could stand in another role in the record. */
static bool test_exact(const struct pattern_cmp *c)
{
    static const char *const own_value[] = {"ipv4-addr", "ipv6-addr", "domain-name", "url",
                                            "email-addr"};
    const struct pattern_path *p = &c->path;
    if (c->negated ||
        (c->op != PATTERN_OP_EQ && c->op != PATTERN_OP_IN && c->op != PATTERN_OP_ISSUBSET)) {
        return false;
    }
    if (p->n_steps == 1 && strcmp(p->steps[0].key, "value") == 0) {
        for (size_t i = 0; i < BASE_ARRAY_LEN(own_value); i++) {
            if (strcmp(p->type, own_value[i]) == 0) {
                return true;
            }
        }
        return false;
    }
    return p->n_steps == 2 && strcmp(p->type, "file") == 0 &&
           strcmp(p->steps[0].key, "hashes") == 0 && p->steps[1].kind == PATTERN_STEP_KEY;
}

static bool cmp_exact(const struct pattern_cmp *c)
{
    switch (c->kind) {
    case PATTERN_CMP_TEST:
        return test_exact(c);
    case PATTERN_CMP_OR:
        return cmp_exact(c->left) && cmp_exact(c->right);
    default:
        return false;
    }
}

int pattern_anchor_terms(const struct pattern *p, struct pattern_terms *out, struct err *err)
{
    struct tset s;
    memset(out, 0, sizeof(*out));
    if (obs_terms(pattern_root(p), &s) != 0) {
        tset_fini(&s);
        return err_set(err, "out of memory");
    }
    out->anchored = s.anchored;
    const struct pattern_obs *root = pattern_root(p);
    out->exact = s.anchored && root->kind == PATTERN_OBS_SIMPLE && cmp_exact(root->cmp);
    out->terms = s.t;
    out->n = s.n;
    return 0;
}

void pattern_terms_fini(struct pattern_terms *t)
{
    if (t == NULL) {
        return;
    }
    for (int i = 0; i < t->n; i++) {
        free(t->terms[i].value);
    }
    free(t->terms);
    memset(t, 0, sizeof(*t));
}

const char *pattern_term_kind_name(enum pattern_term_kind k)
{
    static const char *const names[] = {"ipv4",   "ipv6", "cidr4", "cidr6",
                                        "domain", "url",  "hash",  "email"};
    return names[k];
}
