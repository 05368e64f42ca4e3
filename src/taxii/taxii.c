/*
 * taxii.c — the TAXII 2.1 endpoints (sections 4 and 5). A request is routed by its path
 * segments, checked for method (405), media type (406/415) and credentials (401), then
 * answered from one pooled store connection. Envelopes are written by concatenating the
 * stored JSON text of each object version, never re-parsing it.
 */
#include "taxii/taxii.h"
#include "pattern/pattern.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

struct taxii_server {
    struct taxii_config cfg;
    char *db_path;
    char *title, *description, *contact, *api_root;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct store **pool;
    unsigned n_free, n_pool;
};

int taxii_server_new(const struct taxii_config *cfg, struct taxii_server **out, struct err *err)
{
    struct taxii_server *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        return err_set(err, "out of memory");
    }
    t->cfg = *cfg;
    t->n_pool = cfg->pool_size ? cfg->pool_size : 4;
    t->db_path = strdup(cfg->db_path);
    t->title = strdup(cfg->title ? cfg->title : "certmesh");
    t->description = strdup(cfg->description ? cfg->description : "");
    t->contact = strdup(cfg->contact ? cfg->contact : "");
    t->api_root = strdup(cfg->api_root ? cfg->api_root : "api");
    t->pool = calloc(t->n_pool, sizeof(*t->pool));
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (!t->db_path || !t->title || !t->description || !t->contact || !t->api_root || !t->pool) {
        taxii_server_free(t);
        return err_set(err, "out of memory");
    }
    for (unsigned i = 0; i < t->n_pool; i++) {
        if (store_open(t->db_path, false, &t->pool[i], err) != 0) {
            taxii_server_free(t);
            return -1;
        }
        t->n_free++;
    }
    t->cfg.db_path = t->db_path;
    *out = t;
    return 0;
}

void taxii_server_free(struct taxii_server *t)
{
    if (t == NULL) {
        return;
    }
    for (unsigned i = 0; t->pool != NULL && i < t->n_pool; i++) {
        store_close(t->pool[i]);
    }
    free(t->pool);
    free(t->db_path);
    free(t->title);
    free(t->description);
    free(t->contact);
    free(t->api_root);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
}

static struct store *pool_take(struct taxii_server *t)
{
    pthread_mutex_lock(&t->mu);
    while (t->n_free == 0) {
        pthread_cond_wait(&t->cv, &t->mu);
    }
    struct store *s = t->pool[--t->n_free];
    pthread_mutex_unlock(&t->mu);
    return s;
}

static void pool_give(struct taxii_server *t, struct store *s)
{
    pthread_mutex_lock(&t->mu);
    t->pool[t->n_free++] = s;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

/* ---- responses ----------------------------------------------------------------------- */

struct rq {
    struct taxii_server *t;
    const struct http_request *req;
    struct http_response *resp;
    struct store *s;
    struct access_subject who;
    struct access_origins origins; /* for sync keys: which submitters are peers */
};

static bool origin_is_peer(struct rq *r, int64_t origin)
{
    return access_origin_is_peer(r->s, &r->origins, origin);
}

static bool is_sync(const struct rq *r)
{
    return r->who.authenticated && r->who.role == STORE_ROLE_SYNC;
}

/* Whether a sync key may be sent an object with this origin and TLP (access_border_ok,
 * the rule of access_decide); true for every other subject. */
static bool border_ok(struct rq *r, int64_t origin, enum stix_tlp tlp)
{
    if (!is_sync(r) || origin == 0) {
        return true;
    }
    struct access_object o = {.tlp = tlp,
                              .origin_org = origin,
                              .in_collection = true,
                              .from_peer = origin_is_peer(r, origin)};
    return access_border_ok(&r->who, &o);
}

static void reply_error(struct rq *r, int status, const char *title, const char *desc)
{
    struct http_response *resp = r->resp;
    resp->status = status;
    resp->content_type = TAXII_MEDIA_TYPE;
    buf_reset(&resp->body);
    char code[8];
    snprintf(code, sizeof(code), "%d", status);
    if (buf_puts(&resp->body, "{\"title\":") || buf_json_str(&resp->body, title) ||
        (desc && (buf_puts(&resp->body, ",\"description\":") || buf_json_str(&resp->body, desc))) ||
        buf_puts(&resp->body, ",\"http_status\":") || buf_json_str(&resp->body, code) ||
        buf_puts(&resp->body, "}")) {
        buf_reset(&resp->body);
    }
    if (status == 401) {
        http_response_header(resp, "WWW-Authenticate", "Basic realm=\"certmesh\", Bearer");
    }
    if (status >= 500) {
        log_error("%s %s: %d %s", r->req->method, r->req->path, status, desc ? desc : title);
    }
}

static void reply_oom(struct rq *r)
{
    reply_error(r, 500, "Internal error", "out of memory building the response");
}

static void reply_ok(struct rq *r, int status)
{
    r->resp->status = status;
    r->resp->content_type = TAXII_MEDIA_TYPE;
}

static int json_kv_str(struct buf *b, bool comma, const char *k, const char *v)
{
    return (comma && buf_puts(b, ",")) || buf_json_str(b, k) || buf_puts(b, ":") ||
           buf_json_str(b, v);
}

/* ---- content negotiation (section 1.6.8, 3.1) -------------------------------------------- */

static void trim(const char **s, const char **e)
{
    while (*s < *e && (**s == ' ' || **s == '\t')) {
        (*s)++;
    }
    while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t')) {
        (*e)--;
    }
}

/* Does the media type (with parameters) name TAXII 2.1? Returns 1 for TAXII 2.1, 2 for a
 * wildcard that covers it, 0 otherwise; *zero_q when the range says q=0. */
static int media_match(const char *s, const char *e, bool *zero_q)
{
    const char *semi = memchr(s, ';', (size_t)(e - s));
    const char *te = semi ? semi : e;
    const char *ts = s;
    trim(&ts, &te);
    size_t n = (size_t)(te - ts);
    int kind = 0;
    if (n == 22 && strncasecmp(ts, "application/taxii+json", 22) == 0) {
        kind = 1;
    } else if ((n == 3 && strncmp(ts, "*/*", 3) == 0) ||
               (n == 13 && strncasecmp(ts, "application/*", 13) == 0)) {
        kind = 2;
    }
    *zero_q = false;
    bool version_ok = true;
    for (const char *p = semi; p != NULL && p < e;) {
        const char *ps = p + 1;
        const char *pe = memchr(ps, ';', (size_t)(e - ps));
        p = pe;
        if (pe == NULL) {
            pe = e;
        }
        trim(&ps, &pe);
        if ((size_t)(pe - ps) > 8 && strncasecmp(ps, "version=", 8) == 0) {
            size_t vn = (size_t)(pe - ps) - 8;
            const char *v = ps + 8;
            if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
                v++;
                vn -= 2;
            }
            version_ok = vn == 3 && strncmp(v, "2.1", 3) == 0;
        } else if ((size_t)(pe - ps) >= 2 && strncasecmp(ps, "q=", 2) == 0) {
            const char *q = ps + 2;
            *zero_q = strspn(q, "0.") == (size_t)(pe - q);
        }
    }
    return version_ok ? kind : 0;
}

static bool accept_ok(const char *accept)
{
    if (accept == NULL || accept[0] == '\0') {
        return true; /* no Accept header: any type is acceptable (RFC 7231 5.3.2) */
    }
    const char *p = accept;
    const char *end = accept + strlen(accept);
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        bool zero_q;
        if (media_match(p, e, &zero_q) != 0 && !zero_q) {
            return true;
        }
        p = e + 1;
    }
    return false;
}

static bool content_type_ok(const char *ct)
{
    bool zero_q;
    return ct != NULL && media_match(ct, ct + strlen(ct), &zero_q) == 1;
}

/* ---- discovery, API root, collections -------------------------------------------------- */

static void h_discovery(struct rq *r)
{
    struct buf *b = &r->resp->body;
    char root[300];
    snprintf(root, sizeof(root), "/%s/", r->t->api_root);
    if (buf_puts(b, "{") || json_kv_str(b, false, "title", r->t->title) ||
        (r->t->description[0] && json_kv_str(b, true, "description", r->t->description)) ||
        (r->t->contact[0] && json_kv_str(b, true, "contact", r->t->contact)) ||
        json_kv_str(b, true, "default", root) || buf_puts(b, ",\"api_roots\":[") ||
        buf_json_str(b, root) || buf_puts(b, "]}")) {
        reply_oom(r);
        return;
    }
    reply_ok(r, 200);
}

static void h_api_root(struct rq *r)
{
    struct buf *b = &r->resp->body;
    if (buf_puts(b, "{") || json_kv_str(b, false, "title", r->t->title) ||
        (r->t->description[0] && json_kv_str(b, true, "description", r->t->description)) ||
        buf_printf(b, ",\"versions\":[\"%s\"],\"max_content_length\":%zu}", TAXII_MEDIA_TYPE,
                   r->t->cfg.max_content_length)) {
        reply_oom(r);
        return;
    }
    reply_ok(r, 200);
}

static bool can_write(const struct access_subject *who, const struct access_collection *f)
{
    struct access_object probe = {.tlp = STIX_TLP_CLEAR};
    return access_decide(who, ACCESS_WRITE_OBJECT, f, &probe).verdict == ACCESS_ALLOW;
}

static int collection_json(struct buf *b, const struct store_collection *c, bool can_read,
                           bool can_w)
{
    return buf_puts(b, "{") || json_kv_str(b, false, "id", c->id) ||
           json_kv_str(b, true, "title", c->title) ||
           (c->description[0] && json_kv_str(b, true, "description", c->description)) ||
           (c->alias[0] && json_kv_str(b, true, "alias", c->alias)) ||
           buf_printf(b, ",\"can_read\":%s,\"can_write\":%s,\"media_types\":[\"%s\"]}",
                      can_read ? "true" : "false", can_w ? "true" : "false", TAXII_STIX_MEDIA_TYPE);
}

struct list_ctx {
    struct rq *r;
    int n;
    int failed;
};

static int list_one(void *ctx, const struct store_collection *c)
{
    struct list_ctx *l = ctx;
    struct access_collection f;
    struct err err;
    if (access_collection_facts(l->r->s, &l->r->who, c, &f, &err) != 0) {
        l->failed = 1;
        return 1;
    }
    if (access_decide(&l->r->who, ACCESS_READ_COLLECTION, &f, NULL).verdict != ACCESS_ALLOW) {
        return 0;
    }
    struct buf *b = &l->r->resp->body;
    if ((l->n == 0 ? buf_puts(b, "\"collections\":[") : buf_puts(b, ",")) ||
        collection_json(b, c, true, can_write(&l->r->who, &f))) {
        l->failed = 1;
        return 1;
    }
    l->n++;
    return 0;
}

static void h_collections(struct rq *r)
{
    struct list_ctx l = {r, 0, 0};
    struct err err;
    if (buf_puts(&r->resp->body, "{") != 0) {
        reply_oom(r);
        return;
    }
    if (store_collection_list(r->s, list_one, &l, &err) != 0 || l.failed) {
        reply_error(r, 500, "Internal error", "cannot list collections");
        return;
    }
    if ((l.n > 0 && buf_puts(&r->resp->body, "]")) || buf_puts(&r->resp->body, "}")) {
        reply_oom(r);
        return;
    }
    reply_ok(r, 200);
}

/* Loads the collection named in the path and checks that the subject may see it; on
 * failure the response is already written. */
static int load_collection(struct rq *r, const char *id, struct store_collection *c,
                           struct access_collection *f)
{
    struct err err;
    int rc = store_collection_get(r->s, id, c, &err);
    if (rc < 0) {
        reply_error(r, 500, "Internal error", err.msg);
        return -1;
    }
    if (rc == 1) {
        reply_error(r, r->who.authenticated ? 404 : 401,
                    r->who.authenticated ? "Collection not found" : "Authentication required",
                    NULL);
        return -1;
    }
    if (access_collection_facts(r->s, &r->who, c, f, &err) != 0) {
        reply_error(r, 500, "Internal error", err.msg);
        return -1;
    }
    struct access_decision d = access_decide(&r->who, ACCESS_READ_COLLECTION, f, NULL);
    if (d.verdict == ACCESS_DENY_UNAUTHENTICATED) {
        reply_error(r, 401, "Authentication required", d.rule);
        return -1;
    }
    if (d.verdict != ACCESS_ALLOW) {
        /* Outside the audience: answer as if the collection did not exist. */
        reply_error(r, 404, "Collection not found", NULL);
        return -1;
    }
    return 0;
}

static void h_collection(struct rq *r, const char *cid)
{
    struct store_collection c;
    struct access_collection f;
    if (load_collection(r, cid, &c, &f) != 0) {
        return;
    }
    if (collection_json(&r->resp->body, &c, true, can_write(&r->who, &f)) != 0) {
        reply_oom(r);
        return;
    }
    reply_ok(r, 200);
}

/* ---- object reads ---------------------------------------------------------------------- */

enum read_kind { READ_OBJECTS, READ_MANIFEST, READ_VERSIONS };

struct read_ctx {
    struct rq *r;
    struct buf *b;
    enum read_kind kind;
    int n;
    ts_us first, last;
    int failed;
    int skipped;
    ts_us skipped_last;
};

int taxii_outgoing(const struct access_signer *sg, bool local_origin, const char *json, size_t len,
                   struct buf *out, struct err *err)
{
    /* `"extension-definition--…":{` can only be a key: in a JSON string the quote is escaped */
    if (sg == NULL || !local_origin ||
        memmem(json, len, sg->ext_key, strlen(sg->ext_key)) != NULL) {
        return buf_append(out, json, len) == 0 ? 0 : err_set(err, "out of memory");
    }
    /* stored before this node signed what it stores: signed on the way out */
    json_t *o = jx_parse(json, len, JX_MAX_DEPTH, err);
    char *text = NULL;
    size_t n = 0;
    int rc = o == NULL || access_sign(o, sg->ext, sg->sk, err) != 0 ? -1 : 0;
    if (rc == 0 && ((text = jx_dump(o, &n)) == NULL || buf_append(out, text, n) != 0)) {
        rc = err_set(err, "out of memory");
    }
    free(text);
    json_decref(o);
    return rc;
}

static int read_row(void *ctx, const struct store_row *row)
{
    struct read_ctx *rc = ctx;
    struct buf *b = rc->b;
    char da[TS_MAX_TEXT];
    if (!border_ok(rc->r, row->origin_org, row->tlp)) {
        /* not for this peer; paging still moves past it */
        rc->skipped_last = row->date_added;
        rc->skipped++;
        return 0;
    }
    if (rc->n == 0) {
        rc->first = row->date_added;
    }
    rc->last = row->date_added;
    if (rc->n++ > 0 && buf_puts(b, ",") != 0) {
        rc->failed = 1;
        return 1;
    }
    int fail = 0;
    switch (rc->kind) {
    case READ_OBJECTS:
        if (is_sync(rc->r)) {
            struct err err;
            fail = taxii_outgoing(rc->r->t->cfg.signer, !origin_is_peer(rc->r, row->origin_org),
                                  row->json, row->json_len, b, &err);
        } else {
            fail = buf_append(b, row->json, row->json_len);
        }
        break;
    case READ_MANIFEST:
        ts_format(row->date_added, 6, da);
        fail = buf_puts(b, "{") || json_kv_str(b, false, "id", row->stix_id) ||
               json_kv_str(b, true, "date_added", da) ||
               json_kv_str(b, true, "version", row->version) ||
               json_kv_str(b, true, "media_type", TAXII_STIX_MEDIA_TYPE) || buf_puts(b, "}");
        break;
    case READ_VERSIONS:
        fail = buf_json_str(b, row->version);
        break;
    }
    if (fail) {
        rc->failed = 1;
        return 1;
    }
    return 0;
}

struct count_ctx {
    struct rq *r;
    int n;
};

static int count_row(void *ctx, const struct store_row *row)
{
    struct count_ctx *c = ctx;
    if (!border_ok(c->r, row->origin_org, row->tlp)) {
        return 0; /* look at the next version */
    }
    c->n++;
    return 1;
}

/* Whether the collection holds some version of the object that a reader with this TLP
 * mask may see: 1 yes; 0 no, with the 404 written; -1 error, with the 500 written. */
static int object_visible(struct rq *r, const char *coll, unsigned tlp_mask, const char *oid)
{
    struct store_query q;
    struct err err;
    bool more;
    struct count_ctx cc = {r, 0};
    memset(&q, 0, sizeof(q));
    q.coll = coll;
    q.added_after = -1;
    q.limit = r->who.role == STORE_ROLE_SYNC ? 1000 : 1;
    q.want_all = true;
    q.ids[0] = oid;
    q.n_ids = 1;
    q.tlp_mask = tlp_mask;
    if (store_query_run(r->s, &q, count_row, &cc, &more, &err) != 0) {
        reply_error(r, 500, "Internal error", err.msg);
        return -1;
    }
    if (cc.n == 0) {
        reply_error(r, 404, "Object not found", NULL);
        return 0;
    }
    return 1;
}

static void h_read(struct rq *r, const char *cid, const char *oid, enum read_kind kind)
{
    struct store_collection c;
    struct access_collection f;
    struct taxii_filter *flt = malloc(sizeof(*flt));
    struct err err;
    if (flt == NULL) {
        reply_oom(r);
        return;
    }
    if (taxii_query_parse(r->req->query, flt, &err) != 0) {
        reply_error(r, 400, "Bad filter", err.msg);
        goto out;
    }
    if (load_collection(r, cid, &c, &f) != 0) {
        goto out;
    }
    struct store_query q;
    memset(&q, 0, sizeof(q));
    q.coll = c.id;
    q.added_after = flt->has_added_after ? flt->added_after : -1;
    if (flt->has_next && flt->next > q.added_after) {
        q.added_after = flt->next;
    }
    q.limit = flt->has_limit ? flt->limit : TAXII_DEFAULT_LIMIT;
    q.tlp_mask = access_read_mask(&r->who, &f);
    if (oid != NULL) {
        q.ids[0] = oid;
        q.n_ids = 1;
    } else {
        memcpy(q.ids, flt->ids, sizeof(q.ids));
        q.n_ids = flt->n_ids;
        memcpy(q.types, flt->types, sizeof(q.types));
        q.n_types = flt->n_types;
    }
    memcpy(q.spec_versions, flt->spec_versions, sizeof(q.spec_versions));
    q.n_spec_versions = flt->n_spec_versions;
    if (kind == READ_VERSIONS) {
        q.want_all = true;
    } else if (!flt->has_version) {
        q.want_last = true; /* "last" is the default (3.4.1) */
    } else {
        q.want_all = flt->v_all;
        q.want_first = flt->v_first;
        q.want_last = flt->v_last;
        memcpy(q.versions, flt->versions, sizeof(q.versions));
        q.n_versions = flt->n_versions;
    }
    if (oid != NULL) {
        if (object_visible(r, c.id, q.tlp_mask, oid) != 1) {
            goto out;
        }
    }
    struct buf *b = &r->resp->body;
    struct read_ctx rc = {r, b, kind, 0, 0, 0, 0, 0, 0};
    bool more = false;
    /* Most objects are under 1 KiB: one allocation instead of a doubling series. */
    if (buf_reserve(b, (size_t)q.limit * (kind == READ_OBJECTS ? 1024 : 160)) != 0 ||
        buf_puts(b, kind == READ_VERSIONS ? "{\"versions\":[" : "{\"objects\":[") != 0) {
        reply_oom(r);
        goto out;
    }
    if (store_query_run(r->s, &q, read_row, &rc, &more, &err) != 0) {
        reply_error(r, 500, "Internal error", err.msg);
        goto out;
    }
    if (rc.failed) {
        reply_oom(r);
        goto out;
    }
    if (rc.n == 0) {
        /* Empty results omit the list (3.7, 5.3.1, 5.8.1). */
        buf_reset(b);
        if (buf_puts(b, "{") != 0) {
            reply_oom(r);
            goto out;
        }
    } else if (buf_puts(b, "]") != 0) {
        reply_oom(r);
        goto out;
    }
    char next[32] = "";
    if (more) {
        /* past the rows this subject may not see, too: a page of them must not loop */
        taxii_next_encode(rc.skipped_last > rc.last ? rc.skipped_last : rc.last, next);
    }
    if (buf_printf(b, "%s\"more\":%s", rc.n ? "," : "", more ? "true" : "false") ||
        (more && kind != READ_VERSIONS && json_kv_str(b, true, "next", next)) || buf_puts(b, "}")) {
        reply_oom(r);
        goto out;
    }
    if (rc.n > 0) {
        char t[TS_MAX_TEXT];
        ts_format(rc.first, 6, t);
        http_response_header(r->resp, "X-TAXII-Date-Added-First", t);
        ts_format(rc.last, 6, t);
        http_response_header(r->resp, "X-TAXII-Date-Added-Last", t);
    }
    reply_ok(r, 200);
out:
    free(flt);
}

/* ---- writes ------------------------------------------------------------------------------- */

static int status_entry(struct buf *b, bool *first, const char *id, const char *version,
                        const char *msg)
{
    if ((!*first && buf_puts(b, ",")) || buf_puts(b, "{") || json_kv_str(b, false, "id", id) ||
        json_kv_str(b, true, "version", version) || (msg && json_kv_str(b, true, "message", msg)) ||
        buf_puts(b, "}")) {
        return -1;
    }
    *first = false;
    return 0;
}

/* One object of an envelope on its way in: checked and serialised before the write lock,
 * decided and stored under it. */
struct incoming {
    struct stix_meta m;
    char *text; /* compact JSON, NULL when invalid or a duplicate */
    size_t len;
    char *msg; /* failure message, NULL on success */
    bool ok, added;
    bool sig_refused;                    /* a peer's object whose signature was refused: audited */
    char signer[ACCESS_SIGNING_KEY_B64]; /* a peer's object: the key that signed it, or "" */
};

static void incoming_free(struct incoming *in, size_t n)
{
    for (size_t i = 0; in != NULL && i < n; i++) {
        free(in[i].text);
        free(in[i].msg);
    }
    free(in);
}

/* An indicator whose pattern_type is "stix" must carry a valid STIX pattern (STIX 2.1
 * section 4.7 and 9); other pattern languages are stored as given. */
static int indicator_pattern_check(const json_t *obj, const char *where, struct err *err)
{
    const char *type = jx_str(obj, "type"), *ptype = jx_str(obj, "pattern_type");
    const char *pat = jx_str(obj, "pattern");
    if (type == NULL || strcmp(type, "indicator") != 0 || ptype == NULL ||
        strcmp(ptype, "stix") != 0 || pat == NULL) {
        return 0;
    }
    struct err perr;
    if (pattern_validate(pat, json_string_length(json_object_get(obj, "pattern")), &perr) != 0) {
        return err_set(err, "%s.pattern: %s", where, perr.msg);
    }
    return 0;
}

/* Judges a peer's object's signatures (or takes the caller's verdict, when given); a
 * refusal becomes its failure message (and an audit row, written with the batch:
 * in->sig_refused). -1 only when out of memory. */
static int signature_refused(const json_t *obj, const struct access_peer_keys *keys,
                             const char *verdict, const char *where, struct incoming *in)
{
    char msg[ERR_MSG_MAX + 64];
    struct err verr;
    const char *why = verdict;
    if (keys != NULL) {
        int v = access_verify(obj, in->signer, &verr);
        why = access_signature_verdict(keys, v, in->signer);
        why = why != NULL && v < 0 ? verr.msg : why;
    }
    if (why == NULL) {
        return 0;
    }
    snprintf(msg, sizeof(msg), "%s: signature: %s", where, why);
    log_warn("refused %s from a peer: %s", in->m.id[0] ? in->m.id : "an object", msg);
    in->sig_refused = true;
    return (in->msg = strdup(msg)) == NULL ? -1 : 0;
}

/* One object: validated, its signatures judged (keys, or the caller's verdict) or
 * signed (sign), serialised, or kept as it came (raw, when not signed here). 0, or -1
 * when out of memory. */
static int prepare_one(json_t *obj, size_t i, const struct access_signer *sign,
                       const struct access_peer_keys *keys, const char *verdict, const char *signer,
                       const struct jx_span *raw, struct incoming *in)
{
    if (signer != NULL) {
        str_copy(in->signer, sizeof(in->signer), signer); /* verified by the caller */
    }
    char where[32];
    struct err oerr;
    snprintf(where, sizeof(where), "objects[%zu]", i);
    if (stix_validate(obj, where, &oerr) != 0 || stix_meta_of(obj, &in->m) != 0 ||
        indicator_pattern_check(obj, where, &oerr) != 0) {
        /* Name what we can of an invalid object in its status entry. */
        memset(&in->m, 0, sizeof(in->m));
        const char *id = json_is_object(obj) ? jx_str(obj, "id") : NULL;
        const char *ver = json_is_object(obj) ? jx_str(obj, "modified") : NULL;
        if (ver == NULL && json_is_object(obj)) {
            ver = jx_str(obj, "created");
        }
        str_copy(in->m.id, sizeof(in->m.id), id ? id : "");
        str_copy(in->m.version, sizeof(in->m.version), ver ? ver : "");
        return (in->msg = strdup(oerr.msg)) == NULL ? -1 : 0;
    }
    if ((keys != NULL || verdict != NULL) &&
        signature_refused(obj, keys, verdict, where, in) != 0) {
        return -1;
    }
    if (in->msg != NULL) {
        return 0;
    }
    if (sign != NULL && access_sign(obj, sign->ext, sign->sk, &oerr) != 0) {
        return -1;
    }
    if (sign == NULL && raw != NULL && raw->n > 1 && raw->p[0] == '{') {
        /* perf: a peer's object as it came, not serialised again (3 us an object) */
        if ((in->text = malloc(raw->n + 1)) == NULL) {
            return -1;
        }
        memcpy(in->text, raw->p, raw->n);
        in->text[raw->n] = '\0';
        in->len = raw->n;
        return 0;
    }
    return (in->text = jx_dump(obj, &in->len)) == NULL ? -1 : 0;
}

#define PREPARE_CHUNK   32
#define PREPARE_THREADS 8

struct prepare_job {
    json_t *objects;
    const struct access_signer *sign;
    const struct access_peer_keys *keys;
    const char *const *verdicts;
    const char (*signers)[ACCESS_SIGNING_KEY_B64];
    const struct jx_span *raw;
    struct incoming *in;
    atomic_size_t next;
    atomic_bool failed;
};

static void *prepare_some(void *arg)
{
    struct prepare_job *j = arg;
    size_t n = json_array_size(j->objects);
    for (;;) {
        size_t from = atomic_fetch_add(&j->next, PREPARE_CHUNK);
        for (size_t i = from; i < n && i < from + PREPARE_CHUNK; i++) {
            if (prepare_one(json_array_get(j->objects, i), i, j->sign, j->keys,
                            j->verdicts ? j->verdicts[i] : NULL, j->signers ? j->signers[i] : NULL,
                            j->raw ? &j->raw[i] : NULL, &j->in[i]) != 0) {
                atomic_store(&j->failed, true);
            }
        }
        if (from >= n) {
            return NULL;
        }
    }
}

/* Validation, signatures and serialisation need no lock: done first, and for a large batch
 * on every core (perf: Ed25519 and validation were most of an ingest), so that writers
 * only serialise on the part that touches the database. Each object is touched by one
 * thread only. */
static int ingest_prepare(json_t *objects, const struct access_signer *sign,
                          const struct access_peer_keys *keys, const char *const *verdicts,
                          const char (*signers)[ACCESS_SIGNING_KEY_B64], const struct jx_span *raw,
                          struct incoming *in, struct err *err)
{
    struct prepare_job j = {.objects = objects,
                            .sign = sign,
                            .keys = keys,
                            .verdicts = verdicts,
                            .signers = signers,
                            .raw = raw,
                            .in = in};
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, false);
    size_t n = json_array_size(objects);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int helpers = n < 4 * PREPARE_CHUNK || cores < 2 ? 0
                  : cores > PREPARE_THREADS          ? PREPARE_THREADS - 1
                                                     : (int)cores - 1;
    pthread_t th[PREPARE_THREADS];
    int started = 0;
    while (started < helpers && pthread_create(&th[started], NULL, prepare_some, &j) == 0) {
        started++;
    }
    prepare_some(&j);
    for (int t = 0; t < started; t++) {
        pthread_join(th[t], NULL);
    }
    return atomic_load(&j.failed) ? err_set(err, "out of memory") : 0;
}

static int ingest_status(struct buf *b, const struct incoming *in, size_t n,
                         const struct taxii_ingest_result *res, const char *status_id,
                         const char *requested)
{
    bool first = true;
    if (buf_puts(b, "{") || json_kv_str(b, false, "id", status_id) ||
        json_kv_str(b, true, "status", "complete") ||
        json_kv_str(b, true, "request_timestamp", requested) ||
        buf_printf(b, ",\"total_count\":%zu,\"success_count\":%zu", res->total, res->ok) ||
        (res->ok && buf_puts(b, ",\"successes\":["))) {
        return -1;
    }
    for (size_t i = 0; res->ok && i < n; i++) {
        if (in[i].ok && status_entry(b, &first, in[i].m.id, in[i].m.version,
                                     in[i].added ? NULL : "already present") != 0) {
            return -1;
        }
    }
    first = true;
    if ((res->ok && buf_puts(b, "]")) || buf_printf(b, ",\"failure_count\":%zu", res->failed) ||
        (res->failed && buf_puts(b, ",\"failures\":["))) {
        return -1;
    }
    for (size_t i = 0; res->failed && i < n; i++) {
        if (!in[i].ok && status_entry(b, &first, in[i].m.id, in[i].m.version, in[i].msg) != 0) {
            return -1;
        }
    }
    return (res->failed && buf_puts(b, "]")) || buf_puts(b, ",\"pending_count\":0}");
}

/* Places the objects that declare the node's signature extension (access_signer_publish)
 * into coll unless it holds them; inside the caller's transaction. */
static int publish_declarations(struct store *s, const struct access_signer *sg, int64_t org,
                                const struct store_collection *coll, struct err *err)
{
    for (int i = 0; i < 2; i++) {
        const struct access_declaration *d = &sg->decl[i];
        struct store_versions v;
        bool added;
        if (store_object_versions(s, coll->id, d->m.id, d->m.version_us, &v, err) != 0 ||
            (!v.exact &&
             store_object_put(s, coll->id, &d->m, d->text, d->len, org, &v, &added, err) != 0)) {
            return -1;
        }
    }
    return 0;
}

/* Whether obj's created is another instant than the first stored version's (known: >= 0).
 * Text forms of one instant (".000Z" or not) are the same created. */
static bool created_differs(const json_t *obj, ts_us first)
{
    const char *c = jx_str(obj, "created");
    ts_us t;
    return first >= 0 && c != NULL && ts_parse(c, &t, NULL) == 0 && t != first;
}

/* Whether a peer's new version of an id that another organisation first submitted here
 * is the creator's own, relayed: signed by (signer, verified as it was prepared) the key
 * that signed the id's first version on this node (STIX 2.1 section 3.6). Rare: the read
 * happens only then. 0, or -1 with err. */
static int creator_signed(struct store *s, const char *signer, const char *id, bool *yes,
                          struct err *err)
{
    char first_by[ACCESS_SIGNING_KEY_B64];
    char *text = NULL;
    *yes = false;
    if (signer[0] == '\0') {
        return 0; /* unsigned */
    }
    int rc = store_object_first(s, id, &text, err);
    if (rc != 0) {
        return rc < 0 ? -1 : 0;
    }
    json_t *first = json_loads(text, 0, NULL);
    free(text);
    access_signed_by(first, first_by);
    json_decref(first);
    *yes = first_by[0] != '\0' && strcmp(first_by, signer) == 0;
    return 0;
}

int taxii_ingest(struct store *s, const struct access_subject *who,
                 const struct store_collection *coll, json_t *objects,
                 const struct taxii_ingest_opts *o, struct taxii_ingest_result *res,
                 struct err *err)
{
    const struct access_signer *signer = o->signer;
    const char *status_id = o->status_id, *actor = o->actor;
    struct access_collection f;
    struct access_peer_keys keys;
    size_t n = json_array_size(objects);
    struct incoming *in = calloc(n ? n : 1, sizeof(*in));
    struct jx_span *raw = NULL;
    int rc = -1;
    buf_init(&res->status_json, (size_t)1 << 30);
    res->total = n;
    res->ok = res->failed = 0;
    char requested[TS_MAX_TEXT];
    ts_format(ts_now(), 6, requested);
    if (in == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    /* what a local organisation stores is what this node originates: signed; what a
     * peer's organisation stores (a push) is the peer's: its signatures are judged */
    bool is_peer = false, transitive;
    if (who->authenticated &&
        (o->verdicts != NULL ? store_peer_org(s, who->org_id, &is_peer, &transitive, err)
                             : access_peer_keys_load(s, who->org_id, &keys, &is_peer, err)) != 0) {
        goto out;
    }
    signer = is_peer ? NULL : signer;
    const struct access_peer_keys *judge = is_peer && o->verdicts == NULL ? &keys : NULL;
    /* what is not signed here is kept as it came, when the text and its spans agree */
    if (signer == NULL && o->body != NULL && (raw = calloc(n ? n : 1, sizeof(*raw))) != NULL &&
        jx_array_spans(o->body, o->body_len, "objects", raw, n) != (long)n) {
        free(raw);
        raw = NULL;
    }
    if (ingest_prepare(objects, signer, judge, is_peer ? o->verdicts : NULL,
                       is_peer && o->verdicts != NULL ? o->signers : NULL, raw, in, err) != 0 ||
        access_collection_facts(s, who, coll, &f, err) != 0 || store_begin(s, err) != 0) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (in[i].msg != NULL) {
            res->failed++;
            continue;
        }
        struct store_versions v;
        if (store_object_versions(s, coll->id, in[i].m.id, in[i].m.version_us, &v, err) != 0) {
            goto rollback;
        }
        struct access_object ao = {
            .tlp = in[i].m.tlp,
            .origin_org = v.origin_org,
            .in_collection = v.any,
            .new_version = v.origin_org != 0 && !v.on_node,
            .after_revoked = v.revoked >= 0 && in[i].m.version_us > v.revoked,
            .created_differs = created_differs(json_array_get(objects, i), v.created)};
        if (ao.new_version && is_peer && v.origin_org != who->org_id &&
            creator_signed(s, in[i].signer, in[i].m.id, &ao.creator_signed, err) != 0) {
            goto rollback;
        }
        struct access_decision d = access_decide(who, ACCESS_WRITE_OBJECT, &f, &ao);
        if (d.verdict != ACCESS_ALLOW) {
            char msg[600];
            snprintf(msg, sizeof(msg), "objects[%zu]: %s", i, d.rule);
            if ((in[i].msg = strdup(msg)) == NULL) {
                err_set(err, "out of memory");
                goto rollback;
            }
            res->failed++;
            continue;
        }
        if (store_object_put(s, coll->id, &in[i].m, in[i].text, in[i].len, who->org_id, &v,
                             &in[i].added, err) != 0) {
            goto rollback;
        }
        in[i].ok = true;
        res->ok++;
    }
    for (size_t i = 0; i < n; i++) {
        /* a refused signature is audited on its own (issue 5), pulled or pushed */
        char detail[ERR_MSG_MAX + STIX_ID_MAX + 32];
        if (in[i].sig_refused &&
            (snprintf(detail, sizeof(detail), "id=%s reason=%s", in[i].m.id, in[i].msg),
             access_audit(s, actor, "sync.reject", detail, err) != 0)) {
            goto rollback;
        }
    }
    if (signer != NULL && res->ok > 0 &&
        publish_declarations(s, signer, who->org_id, coll, err) != 0) {
        goto rollback;
    }
    if (ingest_status(&res->status_json, in, n, res, status_id, requested) != 0) {
        err_set(err, "out of memory");
        goto rollback;
    }
    char detail[512];
    snprintf(detail, sizeof(detail), "collection=%s status=%s total=%zu ok=%zu failed=%zu",
             coll->id, status_id, res->total, res->ok, res->failed);
    if (store_status_put(s, status_id, coll->id, who->org_id, res->status_json.data, err) != 0 ||
        access_audit(s, actor, "objects.add", detail, err) != 0 || store_commit(s, err) != 0) {
        goto rollback;
    }
    rc = 0;
    goto out;
rollback:
    store_rollback(s);
out:
    if (rc != 0) {
        buf_fini(&res->status_json);
    }
    incoming_free(in, n);
    free(raw);
    return rc;
}

static void actor_of(const struct rq *r, char *out, size_t n)
{
    snprintf(out, n, "key:%s@%s", r->who.authenticated ? r->who.key_id : "-", r->req->peer);
}

static void h_post(struct rq *r, const char *cid)
{
    struct store_collection c;
    struct access_collection f;
    struct err err;
    if (!r->who.authenticated) {
        reply_error(r, 401, "Authentication required", "adding objects needs an API key");
        return;
    }
    if (load_collection(r, cid, &c, &f) != 0) {
        return;
    }
    if (!can_write(&r->who, &f)) {
        reply_error(r, 403, "Forbidden", "this key may not add objects to this collection");
        return;
    }
    if (!content_type_ok(r->req->content_type)) {
        reply_error(r, 415, "Unsupported media type",
                    "POST bodies must be " TAXII_MEDIA_TYPE " envelopes");
        return;
    }
    if (r->req->body_too_large) {
        char d[96];
        snprintf(d, sizeof(d), "the body exceeds max_content_length (%zu bytes)",
                 r->t->cfg.max_content_length);
        reply_error(r, 413, "Request too large", d);
        return;
    }
    json_t *env = jx_parse(r->req->body, r->req->body_len, JX_MAX_DEPTH, &err);
    if (env == NULL) {
        reply_error(r, 400, "Malformed request body", err.msg);
        return;
    }
    json_t *objs = json_object_get(env, "objects");
    if (!json_is_object(env) || !json_is_array(objs) || json_array_size(objs) == 0) {
        json_decref(env);
        reply_error(r, 422, "Not an envelope",
                    "the body must be a TAXII envelope with a non-empty objects list (3.7)");
        return;
    }
    char status_id[UUID_TEXT], actor[128];
    uuid_v4(status_id);
    actor_of(r, actor, sizeof(actor));
    struct taxii_ingest_result res;
    struct taxii_ingest_opts o = {.status_id = status_id,
                                  .actor = actor,
                                  .signer = r->t->cfg.signer,
                                  .body = r->req->body,
                                  .body_len = r->req->body_len};
    int rc = taxii_ingest(r->s, &r->who, &c, objs, &o, &res, &err);
    json_decref(env);
    if (rc != 0) {
        reply_error(r, 500, "Internal error", err.msg);
        return;
    }
    buf_fini(&r->resp->body);
    r->resp->body = res.status_json;
    reply_ok(r, 202);
}

static void h_delete(struct rq *r, const char *cid, const char *oid)
{
    struct store_collection c;
    struct access_collection f;
    struct err err;
    if (load_collection(r, cid, &c, &f) != 0) {
        return;
    }
    if (!r->who.authenticated) {
        reply_error(r, 401, "Authentication required", "deleting needs an API key");
        return;
    }
    if (object_visible(r, c.id, access_read_mask(&r->who, &f), oid) != 1) {
        return;
    }
    struct access_object ao = {.tlp = STIX_TLP_UNMARKED, .in_collection = true};
    if (store_origin_of(r->s, oid, &ao.origin_org, &err) != 0) {
        reply_error(r, 500, "Internal error", err.msg);
        return;
    }
    struct access_decision d = access_decide(&r->who, ACCESS_DELETE_OBJECT, &f, &ao);
    if (d.verdict != ACCESS_ALLOW) {
        reply_error(r, 403, "Forbidden", d.rule);
        return;
    }
    char actor[128], detail[512];
    int removed = 0;
    actor_of(r, actor, sizeof(actor));
    snprintf(detail, sizeof(detail), "collection=%s object=%s", c.id, oid);
    if (store_begin(r->s, &err) != 0 || store_object_delete(r->s, c.id, oid, &removed, &err) != 0 ||
        access_audit(r->s, actor, "objects.delete", detail, &err) != 0 ||
        store_commit(r->s, &err) != 0) {
        store_rollback(r->s);
        reply_error(r, 500, "Internal error", err.msg);
        return;
    }
    reply_ok(r, 200);
}

static void h_status(struct rq *r, const char *sid)
{
    char coll[UUID_TEXT];
    int64_t org;
    char *json = NULL;
    struct err err;
    if (!r->who.authenticated) {
        reply_error(r, 401, "Authentication required", "status resources need an API key");
        return;
    }
    int rc = store_status_get(r->s, sid, coll, &org, &json, &err);
    if (rc < 0) {
        reply_error(r, 500, "Internal error", err.msg);
        return;
    }
    struct store_collection c;
    struct access_collection f;
    /* Only the organisation that posted sees the status, and only while it may still see
     * the collection. Anything else is indistinguishable from an unknown id. */
    if (rc == 1 || org != r->who.org_id || store_collection_get(r->s, coll, &c, &err) != 0 ||
        access_collection_facts(r->s, &r->who, &c, &f, &err) != 0 ||
        access_decide(&r->who, ACCESS_READ_COLLECTION, &f, NULL).verdict != ACCESS_ALLOW) {
        free(json);
        reply_error(r, 404, "Status not found", NULL);
        return;
    }
    if (buf_puts(&r->resp->body, json) != 0) {
        free(json);
        reply_oom(r);
        return;
    }
    free(json);
    reply_ok(r, 200);
}

/* ---- routing ------------------------------------------------------------------------------ */

#define MAX_SEGS 8

static void method_not_allowed(struct rq *r, const char *allow)
{
    reply_error(r, 405, "Method not allowed", NULL);
    http_response_header(r->resp, "Allow", allow);
}

static void authenticate(struct rq *r)
{
    struct err err;
    char actor[160], detail[256];
    if (!r->req->auth_present) {
        return;
    }
    int rc = r->req->auth_malformed ? (err_set(&err, "malformed Authorization header"), 1)
                                    : access_authenticate(r->s, r->t->cfg.pepper, r->req->auth_user,
                                                          r->req->auth_pass, &r->who, &err);
    if (rc == 0 && r->who.role == STORE_ROLE_SYNC) {
        bool is_peer;
        rc = store_peer_org(r->s, r->who.org_id, &is_peer, &r->who.transitive, &err) != 0 ? -1 : 0;
    }
    if (rc == 0) {
        return;
    }
    if (rc < 0) {
        reply_error(r, 500, "Internal error", err.msg);
        return;
    }
    store_read_end(r->s); /* the audit row needs a write transaction */
    snprintf(actor, sizeof(actor), "key:%.64s@%s", r->req->auth_user, r->req->peer);
    snprintf(detail, sizeof(detail), "%s %.120s: %.100s", r->req->method, r->req->path, err.msg);
    struct err aerr;
    if (store_begin(r->s, &aerr) == 0) {
        if (access_audit(r->s, actor, "auth.fail", detail, &aerr) != 0 ||
            store_commit(r->s, &aerr) != 0) {
            store_rollback(r->s);
        }
    }
    log_warn("authentication failed: %s %s", actor, err.msg);
    memset(&r->who, 0, sizeof(r->who));
    reply_error(r, 401, "Authentication failed", "the API key is unknown, revoked or expired");
}

static void dispatch(struct rq *r, char **seg, int n, bool discovery, bool post, bool del);

static void route(struct rq *r)
{
    const char *path = r->req->path;
    const char *method = r->req->method;
    char copy[1024];
    char *seg[MAX_SEGS];
    int n = 0;
    size_t len = strlen(path);
    if (len == 0 || path[0] != '/' || path[len - 1] != '/' || len >= sizeof(copy)) {
        reply_error(r, 404, "Not found", "TAXII endpoints end with a slash (3.1)");
        return;
    }
    memcpy(copy, path, len + 1);
    char *save = NULL;
    for (char *t = strtok_r(copy, "/", &save); t != NULL; t = strtok_r(NULL, "/", &save)) {
        if (n == MAX_SEGS) {
            reply_error(r, 404, "Not found", NULL);
            return;
        }
        seg[n++] = t;
    }
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool is_root = n >= 1 && strcmp(seg[0], r->t->api_root) == 0;
    bool discovery = n == 1 && strcmp(seg[0], "taxii2") == 0;
    bool coll = is_root && n >= 3 && strcmp(seg[1], "collections") == 0;
    bool objects = coll && n >= 4 && strcmp(seg[3], "objects") == 0;
    const char *allow = NULL;
    if (discovery || (is_root && n == 1) || (is_root && n == 3 && strcmp(seg[1], "status") == 0) ||
        (is_root && n == 2 && strcmp(seg[1], "collections") == 0) || (coll && n == 3) ||
        (coll && n == 4 && strcmp(seg[3], "manifest") == 0) ||
        (objects && n == 6 && strcmp(seg[5], "versions") == 0)) {
        allow = "GET, HEAD";
    } else if (objects && n == 4) {
        allow = "GET, HEAD, POST";
    } else if (objects && n == 5) {
        allow = "GET, HEAD, DELETE";
    } else {
        reply_error(r, 404, "Not found", NULL);
        return;
    }
    bool post = strcmp(method, "POST") == 0, del = strcmp(method, "DELETE") == 0;
    if (!(get || (post && strstr(allow, "POST")) || (del && strstr(allow, "DELETE")))) {
        method_not_allowed(r, allow);
        return;
    }
    if (!accept_ok(r->req->accept)) {
        reply_error(r, 406, "Not acceptable", "this server answers in " TAXII_MEDIA_TYPE);
        return;
    }
    /* Reads run in one read transaction: one snapshot, one WAL lock (the per-statement
     * locking was 6% of the read path). Writes open their own write transaction. */
    struct err err;
    if (get && store_read_begin(r->s, &err) != 0) {
        log_warn("read transaction: %s", err.msg);
    }
    authenticate(r);
    if (r->resp->status != 0) {
        store_read_end(r->s);
        return;
    }
    dispatch(r, seg, n, discovery, post, del);
    store_read_end(r->s);
}

static void dispatch(struct rq *r, char **seg, int n, bool discovery, bool post, bool del)
{
    if (discovery) {
        h_discovery(r);
    } else if (n == 1) {
        h_api_root(r);
    } else if (strcmp(seg[1], "status") == 0) {
        h_status(r, seg[2]);
    } else if (n == 2) {
        h_collections(r);
    } else if (n == 3) {
        h_collection(r, seg[2]);
    } else if (n == 4 && strcmp(seg[3], "manifest") == 0) {
        h_read(r, seg[2], NULL, READ_MANIFEST);
    } else if (n == 4 && post) {
        h_post(r, seg[2]);
    } else if (n == 4) {
        h_read(r, seg[2], NULL, READ_OBJECTS);
    } else if (n == 5 && del) {
        h_delete(r, seg[2], seg[4]);
    } else if (n == 5) {
        h_read(r, seg[2], seg[4], READ_OBJECTS);
    } else {
        h_read(r, seg[2], seg[4], READ_VERSIONS);
    }
}

void taxii_handle(void *ctx, const struct http_request *req, struct http_response *resp)
{
    struct rq r;
    memset(&r, 0, sizeof(r));
    r.t = ctx;
    r.req = req;
    r.resp = resp;
    r.s = pool_take(r.t);
    route(&r);
    pool_give(r.t, r.s);
    log_debug("%s %s%s%s -> %d", req->method, req->path, req->query[0] ? "?" : "", req->query,
              resp->status);
}
