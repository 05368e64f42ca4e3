/*
 * eval.c — evaluating a parsed STIX pattern against observed-data (STIX 2.1 sections
 * 9.5-9.7). A comparison expression is tried from each SCO of an observation (all its
 * tests must start from the same SCO, 9.5); object paths dereference _ref and _refs;
 * [*] means "any element". Observation expressions produce bindings — multisets of
 * observations with their time span — combined by AND, OR and FOLLOWEDBY and filtered by
 * WITHIN, START/STOP and REPEATS. The search is bounded by BIND_CAP bindings per node.
 *
 * LIKE and MATCHES compare NFC forms (nfc.c); the other operators compare code points as
 * written, without normalisation (9.6.2).
 */
#include "pattern/pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- MATCHES ------------------------------------------------------------------------- */

/* MATCHES operands come from other organisations' indicators. A catastrophic one such as
 * '^(a+)+$' would otherwise run to PCRE2's default limit of 10 million backtracking steps,
 * 90 ms a comparison (measured), for every record a hunt evaluates against it. With this
 * limit it gives up after about 1 ms; the comparison is then false, and the result says
 * so (pattern_result.regex_limit) rather than passing it off as an ordinary no-match. */
#define REGEX_MATCH_LIMIT 100000

static pthread_once_t regex_once = PTHREAD_ONCE_INIT;
static pcre2_match_context *regex_ctx;
static pthread_key_t regex_md_key; /* each thread's match data, freed when it exits */
static bool regex_md_keyed;
static _Thread_local unsigned long regex_limit_hits;

static void regex_md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void regex_init(void)
{
    regex_ctx = pcre2_match_context_create(NULL);
    if (regex_ctx != NULL) {
        pcre2_set_match_limit(regex_ctx, REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(regex_ctx, REGEX_MATCH_LIMIT);
    }
    regex_md_keyed = pthread_key_create(&regex_md_key, regex_md_free) == 0;
}

/* Whether the compiled MATCHES operand matches somewhere in t (search semantics, 9.6.1).
 * The match data is the thread's own, made once: only whether it matched is read. */
static bool regex_search(const pcre2_code *re, const char *t, size_t tn)
{
    pthread_once(&regex_once, regex_init);
    pcre2_match_data *md = regex_md_keyed ? pthread_getspecific(regex_md_key) : NULL;
    bool own = false;
    if (md == NULL) {
        md = pcre2_match_data_create(1, NULL);
        if (md == NULL) {
            return false;
        }
        own = !regex_md_keyed || pthread_setspecific(regex_md_key, md) != 0;
    }
    int rc = pcre2_match(re, (PCRE2_SPTR)t, tn, 0, 0, md, regex_ctx);
    if (own) {
        pcre2_match_data_free(md);
    }
    regex_limit_hits += rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT;
    return rc >= 0;
}

/* ---- loading observations ------------------------------------------------------------ */

void pattern_observations_fini(struct pattern_observations *o)
{
    if (o == NULL) {
        return;
    }
    free(o->items);
    json_decref(o->held);
    memset(o, 0, sizeof(*o));
}

int pattern_observations_load(json_t *bundle, struct pattern_observations *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    json_t *objs = stix_objects_of(bundle, err);
    if (objs == NULL) {
        return -1;
    }
    out->held = json_array();
    json_t *index = json_object();
    json_array_append_new(out->held, index);
    json_array_append_new(out->held, objs);
    size_t i, n_od = 0;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        const char *id = jx_str(o, "id"), *type = jx_str(o, "type");
        if (id != NULL && type != NULL) {
            json_object_set(index, id, o);
        }
        n_od += type != NULL && strcmp(type, "observed-data") == 0;
    }
    out->items = calloc(n_od ? n_od : 1, sizeof(*out->items));
    if (out->items == NULL) {
        pattern_observations_fini(out);
        return err_set(err, "out of memory");
    }
    json_array_foreach(objs, i, o)
    {
        const char *type = jx_str(o, "type");
        if (type == NULL || strcmp(type, "observed-data") != 0) {
            continue;
        }
        struct pattern_observation *ob = &out->items[out->n];
        ob->id = jx_str(o, "id") ? jx_str(o, "id") : "(observed-data without id)";
        if (ts_parse(jx_str(o, "first_observed"), &ob->first, NULL) != 0 ||
            ts_parse(jx_str(o, "last_observed"), &ob->last, NULL) != 0) {
            pattern_observations_fini(out);
            return err_set(err,
                           "objects[%zu]: observed-data needs first_observed and "
                           "last_observed timestamps",
                           i);
        }
        json_t *num = json_object_get(o, "number_observed");
        ob->count =
            json_is_integer(num) && json_integer_value(num) > 0 ? json_integer_value(num) : 1;
        json_t *embedded = json_object_get(o, "objects");
        if (json_is_object(embedded)) {
            /* The deprecated form: references are the dictionary's keys (4.14). */
            json_t *roots = json_array();
            const char *k;
            json_t *sco;
            json_object_foreach(embedded, k, sco)
            {
                json_array_append(roots, sco);
            }
            json_array_append_new(out->held, roots);
            ob->roots = roots;
            ob->scos = embedded;
        } else {
            json_t *roots = json_array();
            size_t k;
            json_t *ref;
            json_array_foreach(json_object_get(o, "object_refs"), k, ref)
            {
                json_t *sco =
                    json_is_string(ref) ? json_object_get(index, json_string_value(ref)) : NULL;
                if (sco != NULL) {
                    json_array_append(roots, sco);
                }
            }
            json_array_append_new(out->held, roots);
            ob->roots = roots;
            ob->scos = index;
        }
        out->n++;
    }
    return 0;
}

/* ---- object paths ----------------------------------------------------------------------- */

#define MAX_VALUES 256

struct values {
    const json_t *v[MAX_VALUES];
    const char *prop[MAX_VALUES]; /* the last property name on the way to the value */
    int n;
};

static bool is_ref_name(const char *k)
{
    size_t n = strlen(k);
    return (n >= 4 && strcmp(k + n - 4, "_ref") == 0) ||
           (n >= 5 && strcmp(k + n - 5, "_refs") == 0);
}

static void walk(const json_t *cur, const struct pattern_path *p, int step, bool via_ref,
                 const char *prop, const json_t *scos, struct values *out, int depth)
{
    if (out->n == MAX_VALUES || depth > 32 || cur == NULL) {
        return;
    }
    if (step == p->n_steps) {
        out->v[out->n] = cur;
        out->prop[out->n] = prop;
        out->n++;
        return;
    }
    const struct pattern_step *s = &p->steps[step];
    if (s->kind == PATTERN_STEP_KEY) {
        if (via_ref && json_is_string(cur)) {
            /* a reference followed by a property: continue in the referenced object (9.7.4) */
            walk(json_object_get(scos, json_string_value(cur)), p, step, false, prop, scos, out,
                 depth + 1);
            return;
        }
        if (json_is_object(cur)) {
            walk(json_object_get(cur, s->key), p, step + 1, is_ref_name(s->key), s->key, scos, out,
                 depth + 1);
        }
        return;
    }
    if (!json_is_array(cur)) {
        return;
    }
    if (s->kind == PATTERN_STEP_INDEX) {
        if (s->index >= 0 && (size_t)s->index < json_array_size(cur)) {
            walk(json_array_get(cur, (size_t)s->index), p, step + 1, via_ref, prop, scos, out,
                 depth + 1);
        }
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(cur, i, e)
    {
        walk(e, p, step + 1, via_ref, prop, scos, out, depth + 1);
    }
}

/* ---- comparing one value with one constant (9.6) ------------------------------------------ */

enum cmp3 { LESS = -1, EQUAL = 0, GREATER = 1, INCOMPARABLE = 2 };

static enum cmp3 cmp_bytes(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c < 0 ? LESS : GREATER;
    }
    return an == bn ? EQUAL : an < bn ? LESS : GREATER;
}

/* A binary property's value as octets (9.6.4): _bin is base64, _hex is hex. */
static unsigned char *prop_bytes(const char *prop, const char *s, size_t n, size_t *out_len)
{
    size_t pl = prop ? strlen(prop) : 0;
    unsigned char *buf = malloc(n + 1);
    if (buf == NULL) {
        return NULL;
    }
    if (pl > 4 && strcmp(prop + pl - 4, "_bin") == 0) {
        long m = b64_decode(s, n, buf, n + 1);
        if (m >= 0) {
            *out_len = (size_t)m;
            return buf;
        }
    } else if (pl > 4 && strcmp(prop + pl - 4, "_hex") == 0 && hex_valid(s, n)) {
        for (size_t i = 0; i < n; i += 2) {
            int hi = s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10;
            int lo = s[i + 1] <= '9' ? s[i + 1] - '0' : (s[i + 1] | 0x20) - 'a' + 10;
            buf[i / 2] = (unsigned char)(hi * 16 + lo);
        }
        *out_len = n / 2;
        return buf;
    }
    free(buf);
    return NULL;
}

static bool is_binary_prop(const char *prop)
{
    size_t pl = prop ? strlen(prop) : 0;
    return pl > 4 && (strcmp(prop + pl - 4, "_bin") == 0 || strcmp(prop + pl - 4, "_hex") == 0);
}

/* A string constant as octets when every code point is below U+0100 (9.6.4). */
static unsigned char *latin1_bytes(const char *s, size_t n, size_t *out_len)
{
    unsigned char *buf = malloc(n + 1);
    size_t o = 0;
    if (buf == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            buf[o++] = c;
        } else if ((c == 0xc2 || c == 0xc3) && i + 1 < n) {
            buf[o++] = (unsigned char)(((c & 0x1f) << 6) | ((unsigned char)s[++i] & 0x3f));
        } else {
            free(buf);
            return NULL;
        }
    }
    *out_len = o;
    return buf;
}

/* SQL LIKE over code points: % any run, _ one code point (9.6.1). */
static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

static bool like(const char *s, size_t sn, const char *p, size_t pn)
{
    size_t si = 0, pi = 0, star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '_') {
            si += utf8_len((unsigned char)s[si]);
            pi++;
        } else if (pi < pn && p[pi] == '%') {
            star_p = ++pi;
            star_s = si;
        } else if (pi < pn && p[pi] == s[si]) {
            si++;
            pi++;
        } else if (star_p != (size_t)-1) {
            star_s += utf8_len((unsigned char)s[star_s]);
            si = star_s;
            pi = star_p;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '%') {
        pi++;
    }
    return pi == pn && si <= sn;
}

static bool by_order(enum cmp3 r, enum pattern_op op)
{
    switch (op) {
    case PATTERN_OP_EQ:
        return r == EQUAL;
    case PATTERN_OP_NEQ:
        return r != EQUAL;
    case PATTERN_OP_GT:
        return r == GREATER;
    case PATTERN_OP_LT:
        return r == LESS;
    case PATTERN_OP_GE:
        return r == GREATER || r == EQUAL;
    case PATTERN_OP_LE:
        return r == LESS || r == EQUAL;
    default:
        return false;
    }
}

/* One value against one constant with the operator (IN is handled by the caller as =). If
 * the two cannot be compared, the result is false, but true for != (9.6.1). */
static bool compare(const json_t *v, const char *prop, enum pattern_op op,
                    const struct pattern_lit *l, const struct pattern_cmp *c)
{
    enum cmp3 r = INCOMPARABLE;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t sn = json_string_length(v);
        if (l->kind == PATTERN_LIT_STRING) {
            if (op == PATTERN_OP_LIKE || op == PATTERN_OP_MATCHES) {
                /* both compare the NFC form of the value (9.6.1) */
                size_t nn;
                char *norm = pattern_nfc(s, sn, &nn);
                const char *t = norm ? norm : s;
                size_t tn = norm ? nn : sn;
                bool hit;
                if (op == PATTERN_OP_LIKE) {
                    hit = like(t, tn, l->text, l->len);
                } else {
                    hit = regex_search(c->regex, t, tn);
                }
                free(norm);
                return hit;
            }
            if (op == PATTERN_OP_ISSUBSET || op == PATTERN_OP_ISSUPERSET) {
                struct ip_prefix a, b;
                if (ip_prefix_parse(s, sn, &a) != 0 || ip_prefix_parse(l->text, l->len, &b) != 0) {
                    return false;
                }
                return op == PATTERN_OP_ISSUBSET ? ip_prefix_within(&a, &b)
                                                 : ip_prefix_within(&b, &a);
            }
            if (is_binary_prop(prop)) {
                size_t an, bn;
                unsigned char *a = prop_bytes(prop, s, sn, &an);
                unsigned char *b = latin1_bytes(l->text, l->len, &bn);
                if (a != NULL && b != NULL) {
                    r = cmp_bytes(a, an, b, bn);
                }
                free(a);
                free(b);
            } else {
                r = cmp_bytes((const unsigned char *)s, sn, (const unsigned char *)l->text, l->len);
            }
        } else if (l->kind == PATTERN_LIT_TIMESTAMP) {
            ts_us t;
            if (ts_parse(s, &t, NULL) == 0) {
                r = t < l->t ? LESS : t > l->t ? GREATER : EQUAL;
            }
        } else if (l->kind == PATTERN_LIT_BINARY || l->kind == PATTERN_LIT_HEX) {
            size_t an;
            unsigned char *a = prop_bytes(prop, s, sn, &an);
            if (a == NULL) {
                a = latin1_bytes(s, sn, &an);
            }
            if (a != NULL) {
                r = cmp_bytes(a, an, l->bytes, l->len);
            }
            free(a);
        }
    } else if (json_is_number(v) && (l->kind == PATTERN_LIT_INT || l->kind == PATTERN_LIT_FLOAT)) {
        if (json_is_integer(v) && l->kind == PATTERN_LIT_INT) {
            json_int_t a = json_integer_value(v);
            r = a < l->i ? LESS : a > l->i ? GREATER : EQUAL;
        } else {
            double a = json_number_value(v), b = l->kind == PATTERN_LIT_INT ? (double)l->i : l->f;
            r = a < b ? LESS : a > b ? GREATER : EQUAL;
        }
    } else if (json_is_boolean(v) && l->kind == PATTERN_LIT_BOOL &&
               (op == PATTERN_OP_EQ || op == PATTERN_OP_NEQ)) {
        r = (json_is_true(v) ? 1 : 0) == l->i ? EQUAL : GREATER;
    }
    if (r == INCOMPARABLE) {
        return op == PATTERN_OP_NEQ;
    }
    return by_order(r, op);
}

static bool test_matches(const struct pattern_cmp *c, const json_t *sco, const json_t *scos)
{
    const char *type = jx_str(sco, "type");
    if (type == NULL || strcmp(type, c->path.type) != 0) {
        return false;
    }
    struct values vals;
    vals.n = 0;
    walk(sco, &c->path, 0, false, NULL, scos, &vals, 0);
    if (c->op == PATTERN_OP_EXISTS) {
        return c->negated ? vals.n == 0 : vals.n > 0;
    }
    /* A path that is not there makes the comparison false, whatever the operator (9.6). */
    if (vals.n == 0) {
        return false;
    }
    bool any = false;
    for (int i = 0; i < vals.n && !any; i++) {
        if (c->op == PATTERN_OP_IN) {
            for (int k = 0; k < c->n_lits && !any; k++) {
                any = compare(vals.v[i], vals.prop[i], PATTERN_OP_EQ, &c->lits[k], c);
            }
        } else {
            any = compare(vals.v[i], vals.prop[i], c->op, &c->lits[0], c);
        }
    }
    return c->negated ? !any : any;
}

bool pattern_cmp_matches(const struct pattern_cmp *c, const json_t *sco, const json_t *scos)
{
    switch (c->kind) {
    case PATTERN_CMP_AND:
        return pattern_cmp_matches(c->left, sco, scos) && pattern_cmp_matches(c->right, sco, scos);
    case PATTERN_CMP_OR:
        return pattern_cmp_matches(c->left, sco, scos) || pattern_cmp_matches(c->right, sco, scos);
    case PATTERN_CMP_TEST:
        return test_matches(c, sco, scos);
    }
    return false;
}

/* ---- observations and bindings (9.5) --------------------------------------------------------- */

#define BIND_CAP 4096

struct binding {
    int n;
    int idx[PATTERN_MAX_BOUND];
    ts_us first, last;
};

struct bset {
    struct binding *b;
    int n, cap;
};

struct evalctx {
    const struct pattern_observations *obs;
    bool truncated;
    bool oom;
};

static void bset_fini(struct bset *s)
{
    free(s->b);
    s->b = NULL;
    s->n = s->cap = 0;
}

static void bset_add(struct evalctx *x, struct bset *s, const struct binding *b)
{
    if (s->n == BIND_CAP) {
        x->truncated = true;
        return;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 16;
        struct binding *nb = realloc(s->b, sizeof(*nb) * (size_t)cap);
        if (nb == NULL) {
            x->oom = true;
            return;
        }
        s->b = nb;
        s->cap = cap;
    }
    s->b[s->n++] = *b;
}

/* Union of two bindings if no observation is used more often than it was observed. */
static bool merge(const struct evalctx *x, const struct binding *a, const struct binding *b,
                  struct binding *out)
{
    if (a->n + b->n > PATTERN_MAX_BOUND) {
        return false;
    }
    for (int i = 0; i < b->n; i++) {
        int uses = 1;
        for (int k = 0; k < a->n; k++) {
            uses += a->idx[k] == b->idx[i];
        }
        for (int k = 0; k < i; k++) {
            uses += b->idx[k] == b->idx[i];
        }
        if (uses > x->obs->items[b->idx[i]].count) {
            return false;
        }
    }
    *out = *a;
    memcpy(out->idx + a->n, b->idx, sizeof(int) * (size_t)b->n);
    out->n = a->n + b->n;
    out->first = a->first < b->first ? a->first : b->first;
    out->last = a->last > b->last ? a->last : b->last;
    return true;
}

static void repeats(struct evalctx *x, const struct bset *child, int64_t need, int from,
                    const struct binding *acc, struct bset *out)
{
    if (need == 0) {
        bset_add(x, out, acc);
        return;
    }
    for (int i = from; i < child->n && out->n < BIND_CAP && !x->oom; i++) {
        struct binding m;
        if (acc->n == 0) {
            m = child->b[i];
        } else if (!merge(x, acc, &child->b[i], &m)) {
            continue;
        }
        /* the same binding may repeat while number_observed allows (merge checks it) */
        repeats(x, child, need - 1, i, &m, out);
    }
}

static struct bset eval_obs(struct evalctx *x, const struct pattern_obs *o)
{
    struct bset out = {0};
    struct bset l = {0}, r = {0};
    struct binding m;
    switch (o->kind) {
    case PATTERN_OBS_SIMPLE:
        for (int i = 0; i < x->obs->n; i++) {
            const struct pattern_observation *ob = &x->obs->items[i];
            size_t k;
            json_t *sco;
            json_array_foreach(ob->roots, k, sco)
            {
                if (pattern_cmp_matches(o->cmp, sco, ob->scos)) {
                    struct binding b = {.n = 1, .first = ob->first, .last = ob->last};
                    b.idx[0] = i;
                    bset_add(x, &out, &b);
                    break;
                }
            }
        }
        break;
    case PATTERN_OBS_OR:
        l = eval_obs(x, o->left);
        r = eval_obs(x, o->right);
        for (int i = 0; i < l.n; i++) {
            bset_add(x, &out, &l.b[i]);
        }
        for (int i = 0; i < r.n; i++) {
            bset_add(x, &out, &r.b[i]);
        }
        break;
    case PATTERN_OBS_AND:
    case PATTERN_OBS_FOLLOWEDBY:
        l = eval_obs(x, o->left);
        r = l.n ? eval_obs(x, o->right) : r;
        for (int i = 0; i < l.n && out.n < BIND_CAP; i++) {
            for (int k = 0; k < r.n && out.n < BIND_CAP; k++) {
                /* FOLLOWEDBY: b observed at or after a (9.5.2) */
                if (o->kind == PATTERN_OBS_FOLLOWEDBY && r.b[k].first < l.b[i].last) {
                    continue;
                }
                if (merge(x, &l.b[i], &r.b[k], &m)) {
                    bset_add(x, &out, &m);
                }
            }
        }
        break;
    case PATTERN_OBS_WITHIN: {
        l = eval_obs(x, o->child);
        double window = o->within * 1e6;
        for (int i = 0; i < l.n; i++) {
            /* the latest must be earlier than the earliest plus the window (9.5.1) */
            if ((double)(l.b[i].last - l.b[i].first) < window) {
                bset_add(x, &out, &l.b[i]);
            }
        }
        break;
    }
    case PATTERN_OBS_STARTSTOP:
        l = eval_obs(x, o->child);
        for (int i = 0; i < l.n; i++) {
            if (l.b[i].first >= o->start && l.b[i].last < o->stop) {
                bset_add(x, &out, &l.b[i]);
            }
        }
        break;
    case PATTERN_OBS_REPEATS: {
        l = eval_obs(x, o->child);
        struct binding none = {0};
        if (o->repeats <= PATTERN_MAX_BOUND) {
            repeats(x, &l, o->repeats, 0, &none, &out);
        }
        break;
    }
    }
    bset_fini(&l);
    bset_fini(&r);
    return out;
}

int pattern_match(const struct pattern *p, const struct pattern_observations *obs,
                  struct pattern_result *res)
{
    struct evalctx x = {obs, false, false};
    memset(res, 0, sizeof(*res));
    unsigned long limit_hits = regex_limit_hits;
    struct bset s = eval_obs(&x, pattern_root(p));
    if (x.oom) {
        bset_fini(&s);
        return -1;
    }
    res->truncated = x.truncated;
    res->regex_limit = regex_limit_hits != limit_hits;
    if (s.n > 0) {
        res->matched = true;
        res->n_bound = s.b[0].n;
        memcpy(res->bound, s.b[0].idx, sizeof(int) * (size_t)s.b[0].n);
    }
    bset_fini(&s);
    return 0;
}
