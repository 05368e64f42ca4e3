/*
 * observe.c — log records as STIX observations, and the sliding windows in which STIX
 * patterns are evaluated over a stream of them.
 *
 * A record becomes the SCOs an observed-data object would hold: every indicator-shaped
 * value in it (ipv4-addr, ipv6-addr, domain-name, url, email-addr, file hashes), plus what
 * a field mapping says of named fields — for Suricata eve and Zeek a built-in mapping
 * (src_ip/dest_ip and id.orig_h/id.resp_h become a network-traffic object with its
 * src_ref, dst_ref, ports and protocol; dns.rrname, tls.sni, query become domain-name;
 * fileinfo hashes become file:hashes), for other JSON, Zeek and CSV logs a --map file.
 *
 * A pattern whose match needs more than one value (network-traffic:dst_port together
 * with an address, AND, FOLLOWEDBY, WITHIN, REPEATS) is hunted through its anchor terms:
 * a record that hits one becomes an observation in that pattern's window, and the
 * pattern is evaluated over the window (pattern_match). The window keeps the
 * observations of the last WITHIN seconds of record time (the longest WITHIN of the
 * pattern), and at most HUNT_WINDOW_MAX of them.
 */
#include "hunt/hunt.h"

#include <stdlib.h>
#include <string.h>

/* ---- field mappings ----------------------------------------------------------------------- */

struct hunt_map {
    json_t *fields; /* field name -> target ("domain-name:value", "network-traffic:dst_ref") */
};

static const char *const targets[] = {"ipv4-addr:value",          "ipv6-addr:value",
                                      "domain-name:value",        "url:value",
                                      "email-addr:value",         "file:name",
                                      "file:hashes.MD5",          "file:hashes.SHA-1",
                                      "file:hashes.SHA-256",      "file:hashes.SHA-512",
                                      "user-account:user_id",     "network-traffic:src_ref",
                                      "network-traffic:dst_ref",  "network-traffic:src_port",
                                      "network-traffic:dst_port", "network-traffic:protocols"};

static const char *const builtin_map[][2] = {
    /* Suricata eve */
    {"src_ip", "network-traffic:src_ref"},
    {"dest_ip", "network-traffic:dst_ref"},
    {"src_port", "network-traffic:src_port"},
    {"dest_port", "network-traffic:dst_port"},
    {"proto", "network-traffic:protocols"},
    {"dns.rrname", "domain-name:value"},
    {"dns.query.rrname", "domain-name:value"},
    {"http.hostname", "domain-name:value"},
    {"tls.sni", "domain-name:value"},
    {"fileinfo.filename", "file:name"},
    {"fileinfo.md5", "file:hashes.MD5"},
    {"fileinfo.sha1", "file:hashes.SHA-1"},
    {"fileinfo.sha256", "file:hashes.SHA-256"},
    {"smtp.mail_from", "email-addr:value"},
    /* Zeek */
    {"id.orig_h", "network-traffic:src_ref"},
    {"id.resp_h", "network-traffic:dst_ref"},
    {"id.orig_p", "network-traffic:src_port"},
    {"id.resp_p", "network-traffic:dst_port"},
    {"query", "domain-name:value"},
    {"server_name", "domain-name:value"},
    {"host", "domain-name:value"},
    {"md5", "file:hashes.MD5"},
    {"sha1", "file:hashes.SHA-1"},
    {"sha256", "file:hashes.SHA-256"},
    {"mailfrom", "email-addr:value"},
};

static bool known_target(const char *t)
{
    for (size_t i = 0; i < BASE_ARRAY_LEN(targets); i++) {
        if (strcmp(targets[i], t) == 0) {
            return true;
        }
    }
    return false;
}

struct hunt_map *hunt_map_new(void)
{
    struct hunt_map *m = calloc(1, sizeof(*m));
    if (m == NULL || (m->fields = json_object()) == NULL) {
        free(m);
        return NULL;
    }
    for (size_t i = 0; i < BASE_ARRAY_LEN(builtin_map); i++) {
        if (json_object_set_new(m->fields, builtin_map[i][0], json_string(builtin_map[i][1])) !=
            0) {
            hunt_map_free(m);
            return NULL;
        }
    }
    return m;
}

void hunt_map_free(struct hunt_map *m)
{
    if (m != NULL) {
        json_decref(m->fields);
        free(m);
    }
}

int hunt_map_load(struct hunt_map *m, const char *text, size_t n, struct err *err)
{
    json_t *doc = jx_parse(text, n, 4, err);
    if (doc == NULL) {
        return -1;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return err_set(err, "a field mapping is a JSON object: {\"field\": \"type:property\"}");
    }
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v)
    {
        if (!json_is_string(v) || !known_target(json_string_value(v))) {
            err_set(err,
                    "field \"%s\": the target must be one of ipv4-addr:value, "
                    "ipv6-addr:value, domain-name:value, url:value, email-addr:value, "
                    "file:name, file:hashes.MD5|SHA-1|SHA-256|SHA-512, "
                    "user-account:user_id, network-traffic:src_ref|dst_ref|src_port|"
                    "dst_port|protocols",
                    k);
            json_decref(doc);
            return -1;
        }
        if (json_object_set(m->fields, k, v) != 0) {
            json_decref(doc);
            return err_set(err, "out of memory");
        }
    }
    json_decref(doc);
    return 0;
}

/* ---- a record's observables ----------------------------------------------------------------- */

struct scos {
    json_t *dict; /* key -> SCO */
    json_t *by;   /* "type|value" -> key, to use one SCO per value */
    json_t *nt;   /* the record's network-traffic, made on first use */
    bool oom;
};

static const char *add_sco(struct scos *s, const char *type, const char *prop, json_t *value)
{
    if (value == NULL) {
        return NULL; /* not UTF-8: no observable */
    }
    char sig[HUNT_VALUE_MAX + 64];
    const char *v = json_is_string(value) ? json_string_value(value) : "";
    snprintf(sig, sizeof(sig), "%s|%s|%s", type, prop, v);
    json_t *had = json_object_get(s->by, sig);
    if (had != NULL) {
        json_decref(value);
        return json_string_value(had);
    }
    char key[32];
    snprintf(key, sizeof(key), "%zu", json_object_size(s->dict));
    json_t *sco = json_pack("{s:s}", "type", type);
    if (sco == NULL || json_object_set_new(sco, prop, value) != 0) {
        json_decref(sco);
        s->oom = true;
        return NULL;
    }
    if (json_object_set_new(s->dict, key, sco) != 0 ||
        json_object_set_new(s->by, sig, json_string(key)) != 0) {
        s->oom = true;
        return NULL;
    }
    return json_string_value(json_object_get(s->by, sig));
}

static const char *sco_type_of(enum hunt_type t, const char **prop)
{
    *prop = "value";
    switch (t) {
    case HUNT_IPV4:
        return "ipv4-addr";
    case HUNT_IPV6:
        return "ipv6-addr";
    case HUNT_DOMAIN:
        return "domain-name";
    case HUNT_URL:
        return "url";
    case HUNT_EMAIL:
        return "email-addr";
    default:
        return NULL;
    }
}

static const char *hash_algo(enum hunt_type t)
{
    return t == HUNT_MD5      ? "MD5"
           : t == HUNT_SHA1   ? "SHA-1"
           : t == HUNT_SHA256 ? "SHA-256"
           : t == HUNT_SHA512 ? "SHA-512"
                              : NULL;
}

static void add_hash(struct scos *s, const char *algo, const char *value)
{
    char sig[HUNT_VALUE_MAX + 64];
    snprintf(sig, sizeof(sig), "file|hashes|%s|%s", algo, value);
    if (json_object_get(s->by, sig) != NULL) {
        return;
    }
    char key[32];
    snprintf(key, sizeof(key), "%zu", json_object_size(s->dict));
    if (!str_utf8_valid(value, strlen(value)) || !str_utf8_valid(algo, strlen(algo))) {
        return; /* not UTF-8: no observable */
    }
    json_t *sco = json_pack("{s:s,s:{s:s}}", "type", "file", "hashes", algo, value);
    if (sco == NULL || json_object_set_new(s->dict, key, sco) != 0 ||
        json_object_set_new(s->by, sig, json_string(key)) != 0) {
        s->oom = true;
    }
}

static void on_value(void *ctx, enum hunt_type t, const char *norm, size_t offset)
{
    struct scos *s = ctx;
    (void)offset;
    const char *prop, *type = sco_type_of(t, &prop);
    if (type != NULL) {
        add_sco(s, type, prop, json_string(norm));
    } else if (hash_algo(t) != NULL) {
        add_hash(s, hash_algo(t), norm);
    }
}

/* A mapped field's value (raw text, JSON escapes resolved for the common cases). */
static void on_field(struct scos *s, const char *target, const char *raw, size_t n)
{
    char v[HUNT_VALUE_MAX];
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < sizeof(v); i++) {
        v[o++] = raw[i] == '\\' && i + 1 < n ? raw[++i] : raw[i];
    }
    v[o] = '\0';
    if (o == 0 || strcmp(v, "-") == 0 || strcmp(v, "(empty)") == 0) {
        return; /* Zeek's unset and empty fields */
    }
    const char *colon = strchr(target, ':');
    if (strncmp(target, "network-traffic:", 16) == 0) {
        if (s->nt == NULL) {
            s->nt = json_pack("{s:s}", "type", "network-traffic");
            if (s->nt == NULL) {
                s->oom = true;
                return;
            }
        }
        const char *prop = target + 16;
        if (strcmp(prop, "src_ref") == 0 || strcmp(prop, "dst_ref") == 0) {
            enum hunt_type t;
            char norm[HUNT_VALUE_MAX];
            struct err err;
            if (hunt_classify(v, o, &t, norm, &err) == 0 && (t == HUNT_IPV4 || t == HUNT_IPV6)) {
                const char *key = add_sco(s, t == HUNT_IPV4 ? "ipv4-addr" : "ipv6-addr", "value",
                                          json_string(norm));
                if (key != NULL) {
                    json_object_set_new(s->nt, prop, json_string(key));
                }
            }
        } else if (strcmp(prop, "protocols") == 0) {
            for (size_t i = 0; i < o; i++) {
                v[i] = (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]);
            }
            json_object_set_new(s->nt, prop, json_pack("[s]", v));
        } else {
            int64_t port;
            if (str_to_i64(v, 0, 65535, &port) == 0) {
                json_object_set_new(s->nt, prop, json_integer(port));
            }
        }
        return;
    }
    char type[32];
    size_t tn = (size_t)(colon - target);
    snprintf(type, sizeof(type), "%.*s", (int)tn, target);
    const char *prop = colon + 1;
    if (strncmp(prop, "hashes.", 7) == 0) {
        for (size_t i = 0; i < o; i++) {
            v[i] = (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]);
        }
        add_hash(s, prop + 7, v);
        return;
    }
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX];
    struct err err;
    /* values in normal form where there is one (domain case, URL normalisation) */
    bool normal = strcmp(prop, "value") == 0 && hunt_classify(v, o, &t, norm, &err) == 0;
    add_sco(s, type, prop, json_string(normal ? norm : v));
}

struct leaf_ctx {
    struct scos *s;
    const struct hunt_map *m;
};

static int map_leaf(void *ctx, const struct hunt_leaf *lf)
{
    struct leaf_ctx *c = ctx;
    const char *target = json_string_value(json_object_get(c->m->fields, lf->path));
    if (target != NULL) {
        on_field(c->s, target, lf->value, lf->len);
    }
    return 0;
}

json_t *hunt_record_scos(const struct hunt_layout *l, const struct hunt_map *m, const char *rec,
                         size_t n)
{
    struct scos s = {json_object(), json_object(), NULL, false};
    if (s.dict == NULL || s.by == NULL) {
        goto oom;
    }
    if (m != NULL) {
        if (hunt_layout_format(l) == HUNT_FORMAT_JSON) {
            struct leaf_ctx c = {&s, m};
            (void)hunt_json_leaves(rec, n, map_leaf, &c);
        } else if (hunt_layout_format(l) == HUNT_FORMAT_ZEEK ||
                   hunt_layout_format(l) == HUNT_FORMAT_CSV) {
            for (int col = 0;; col++) {
                const char *name = hunt_layout_column(l, col);
                if (name == NULL) {
                    break;
                }
                const char *target = json_string_value(json_object_get(m->fields, name));
                const char *v;
                size_t vn;
                if (target != NULL && hunt_record_column(l, rec, n, col, &v, &vn)) {
                    on_field(&s, target, v, vn);
                }
            }
        }
    }
    hunt_values(rec, n, on_value, &s);
    if (s.nt != NULL) {
        char key[32];
        snprintf(key, sizeof(key), "%zu", json_object_size(s.dict));
        if (json_object_set_new(s.dict, key, s.nt) != 0) { /* takes s.nt either way */
            s.oom = true;
        }
        s.nt = NULL;
    }
    if (s.oom) {
        goto oom;
    }
    json_decref(s.by);
    return s.dict;
oom:
    json_decref(s.nt);
    json_decref(s.dict);
    json_decref(s.by);
    return NULL;
}

/* ---- windows ------------------------------------------------------------------------------- */

struct hunt_window {
    const struct pattern *p;
    ts_us span; /* the longest WITHIN of the pattern; 0 when it has none */
    size_t max; /* observations kept */
    /* what pattern_match() reads: each holds references to its roots and SCOs */
    struct pattern_observation *obs;
    size_t n;
    size_t regex_limited; /* evaluations where a MATCHES gave up at its limit */
};

static double longest_within(const struct pattern_obs *o)
{
    if (o == NULL) {
        return 0;
    }
    double a = longest_within(o->left), b = longest_within(o->right), c = longest_within(o->child);
    double m = a > b ? a : b;
    m = m > c ? m : c;
    return o->kind == PATTERN_OBS_WITHIN && o->within > m ? o->within : m;
}

struct hunt_window *hunt_window_new(const struct pattern *p, size_t max)
{
    struct hunt_window *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return NULL;
    }
    w->p = p;
    w->span = (ts_us)(longest_within(pattern_root(p)) * 1e6);
    w->max = max > 0 && max <= HUNT_WINDOW_MAX ? max : HUNT_WINDOW_MAX;
    if (pattern_root(p)->kind == PATTERN_OBS_SIMPLE) {
        w->max = 1; /* one observation decides: each record on its own */
    }
    w->obs = calloc(w->max, sizeof(*w->obs));
    if (w->obs == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

static void drop_oldest(struct hunt_window *w)
{
    json_decref(w->obs[0].scos);
    json_decref(w->obs[0].roots);
    memmove(w->obs, w->obs + 1, (w->n - 1) * sizeof(*w->obs));
    w->n--;
}

void hunt_window_free(struct hunt_window *w)
{
    if (w == NULL) {
        return;
    }
    while (w->n > 0) {
        drop_oldest(w);
    }
    free(w->obs);
    free(w);
}

size_t hunt_window_regex_limited(const struct hunt_window *w)
{
    return w->regex_limited;
}

int hunt_window_push(struct hunt_window *w, json_t *scos, ts_us t, bool *matched)
{
    *matched = false;
    json_t *roots = json_array();
    if (roots == NULL) {
        json_decref(scos);
        return -1;
    }
    const char *k;
    json_t *sco;
    json_object_foreach(scos, k, sco)
    {
        json_array_append(roots, sco);
    }
    /* the window: the last span of record time, and no more than max observations */
    while (w->n > 0 && (w->n == w->max || (w->span > 0 && t - w->obs[0].first > w->span))) {
        drop_oldest(w);
    }
    w->obs[w->n++] = (struct pattern_observation){
        .id = "record", .first = t, .last = t, .count = 1, .roots = roots, .scos = scos};
    struct pattern_observations obs = {w->obs, (int)w->n, NULL};
    struct pattern_result res;
    int rc = pattern_match(w->p, &obs, &res);
    w->regex_limited += rc == 0 && res.regex_limit;
    if (rc == 0 && res.matched) {
        /* The window did not match before this record (or was emptied by the last match),
         * and observation expressions only gain bindings as observations are added: so
         * this record completes the match. Its observations are used up, so one match is
         * reported once. */
        *matched = true;
        while (w->n > 0) {
            drop_oldest(w);
        }
    }
    return rc;
}
