/*
 * hunt.c — `certmesh hunt`: finds shared indicators in a CERT's own logs and prints one
 * JSON line per hit, a summary, and on request STIX sightings. Indicators come from plain
 * lists or STIX bundles; logs from files, directories, gzip/zstd streams or stdin, read in
 * blocks and scanned by every core (src/hunt/).
 */
#include "cmd/cmd.h"
#include "hunt/hunt.h"
#include "pattern/pattern.h"
#include "stix/stix.h"
#include "taxii/taxii.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: certmesh hunt (--indicators FILE | --bundle FILE | --data DIR --as ORG)\n"
    "                     [--warninglist FILE] [--no-warninglists] [-j N]\n"
    "                     [--format auto|plain|json|zeek|csv] [--summary FILE] [--quiet]\n"
    "                     [--sightings FILE|-] [--with-observed-data] [--report COLLECTION]\n"
    "                     [--identity ID] [--tlp LEVEL] [LOG|DIR|-]...\n"
    "\n"
    "Finds every indicator in the logs (stdin when none or '-'; directories are read\n"
    "recursively; gzip and zstd are recognised by their first bytes), matching whole\n"
    "tokens only. Prints one JSON line per hit: indicator, value, type, match (exact,\n"
    "subdomain, in-range), file, line, offset, field and time.\n"
    "\n"
    "  --indicators FILE  one value per line ('#' comments): IPv4, IPv6, CIDR, domain,\n"
    "                     URL, MD5/SHA-1/SHA-256/SHA-512, e-mail, Bitcoin, Ethereum, IBAN;\n"
    "                     a domain also matches its subdomains\n"
    "  --bundle FILE      the stix indicators of a STIX bundle that are active now and not\n"
    "                     revoked; a hit's indicator is the indicator's id\n"
    "  --data DIR --as ORG  the same, from the node: every indicator ORG may read there\n"
    "  --sightings FILE   write a STIX bundle with one sighting per indicator hit (count,\n"
    "                     first_seen, last_seen, where_sighted_refs = ORG's identity or\n"
    "                     --identity); no log content unless --with-observed-data adds\n"
    "                     the values found as observables. Marked --tlp (default AMBER)\n"
    "  --map FILE         which log fields are which observables, for STIX patterns that\n"
    "                     need more than one value: {\"field\": \"TYPE:PROPERTY\"} (eve and\n"
    "                     Zeek fields are mapped already; see docs/hunting.md)\n"
    "  --report COLL      store the sightings in the node's collection COLL as ORG, for\n"
    "                     federation to carry back to the indicators' owners\n"
    "  --warninglist FILE a list of values never to hunt for (top sites, shared hosting);\n"
    "                     RFC 6890 special-purpose ranges and public resolvers are built in\n"
    "  --no-warninglists  drop the built-in lists\n"
    "  -j N               threads (default: every core)\n"
    "  --format F         the log format (default: told from each file's first line:\n"
    "                     Zeek TSV, JSON lines, else plain text; CSV needs --format csv)\n"
    "  --summary FILE     also write the summary (JSON) to FILE\n"
    "  --quiet            no progress line\n"
    "The summary (records, bytes, seconds, MB/s, hits, indicators set aside) is the last\n"
    "line on stderr, as JSON; --summary adds the hits per indicator and what was set aside.\n";

/* One indicator as the user gave it; every value it contributes carries its number. A
 * million of them are hunted at once, so what only some need (hits, patterns) is apart. */
struct ind {
    const char *label; /* in the list's text or the bundle, both kept for the run */
    int32_t more;      /* index into run.more, or -1 */
};

struct ind_more {
    size_t hits;
    ts_us first, last;          /* record times of the first and last hit (scan time without) */
    json_t *found;              /* distinct values found, as SCOs, for --with-observed-data */
    struct pattern *pattern;    /* set when a hit must be confirmed by evaluating the record */
    struct hunt_window *window; /* the pattern's recent observations */
    uint64_t evaluated;         /* 1 + file offset of the last record evaluated for it */
};

struct run {
    struct hunt_index *ix;
    struct hunt_warninglists *wl;
    struct ind *inds;
    size_t n_inds, cap_inds;
    struct ind_more *more;
    size_t n_more, cap_more;
    char *list_text;      /* the --indicators file, values NUL-terminated in place */
    json_t *bundle;       /* the --bundle document, or the node's indicators */
    bool observe;         /* keep the values found, for observed-data */
    struct hunt_map *map; /* fields to observables, for pattern evaluation */
    size_t patterns;      /* indicators hunted by evaluating records */
    json_t *rec_scos;     /* the observables of the current record, built once */
    ts_us started;
    struct buf suppressed; /* JSON array members */
    size_t n_suppressed, refused;
    int threads;
    enum hunt_format format;
    bool progress;
    struct buf out;
    size_t hits, records;
    uint64_t bytes;
    /* the file being read */
    const char *file;
    uint64_t file_size;
    struct hunt_layout *layout;
    const char *block;
    size_t block_len;
    uint64_t block_offset, block_line; /* bytes and lines before the block */
    size_t counted_pos;                /* newlines are counted up to here in the block */
    uint64_t counted_lines;
    size_t rec_start, rec_end; /* the record of the last hit */
    bool rec_valid, time_known, has_time;
    ts_us rec_time;
};

static const char *label_of(const struct run *r, size_t i)
{
    return r->inds[i].label;
}

/* The hits and pattern state of indicator i, made on first use; NULL on out-of-memory. */
static struct ind_more *more_of(struct run *r, size_t i)
{
    if (r->inds[i].more >= 0) {
        return &r->more[r->inds[i].more];
    }
    if (r->n_more == r->cap_more) {
        size_t cap = r->cap_more * 2 + 64;
        struct ind_more *p = realloc(r->more, cap * sizeof(*p));
        if (p == NULL) {
            return NULL;
        }
        r->more = p;
        r->cap_more = cap;
    }
    r->more[r->n_more] = (struct ind_more){0};
    r->inds[i].more = (int32_t)r->n_more;
    return &r->more[r->n_more++];
}

/* The hit count of indicator i. */
static size_t hits_of(const struct run *r, size_t i)
{
    return r->inds[i].more >= 0 ? r->more[r->inds[i].more].hits : 0;
}

static size_t regex_limited_of(const struct run *r, size_t i)
{
    const struct ind_more *m = r->inds[i].more >= 0 ? &r->more[r->inds[i].more] : NULL;
    return m != NULL && m->window != NULL ? hunt_window_regex_limited(m->window) : 0;
}

/* The pattern state of indicator i when it is hunted by evaluating records, else NULL. */
static struct ind_more *pattern_of(struct run *r, int32_t tag)
{
    if (tag < 0 || (size_t)tag >= r->n_inds || r->inds[tag].more < 0) {
        return NULL;
    }
    struct ind_more *m = &r->more[r->inds[tag].more];
    return m->pattern != NULL ? m : NULL;
}

/* A new indicator labelled label (which must outlive the run); its number, or -1. */
static int new_ind(struct run *r, const char *label)
{
    if (r->n_inds == r->cap_inds) {
        size_t cap = r->cap_inds ? r->cap_inds * 2 : 1024;
        struct ind *p = realloc(r->inds, cap * sizeof(*p));
        if (p == NULL) {
            return -1;
        }
        r->inds = p;
        r->cap_inds = cap;
    }
    r->inds[r->n_inds] = (struct ind){.label = label, .more = -1};
    return (int)r->n_inds++;
}

/* What became of a batch of values: refusals and warninglist catches on stderr. */
static int report_items(struct run *r, const struct hunt_item *items, size_t n, const char *path,
                        const size_t *lines)
{
    for (size_t i = 0; i < n; i++) {
        const struct hunt_item *it = &items[i];
        if (it->status == HUNT_ITEM_INVALID) {
            struct err err;
            enum hunt_type t;
            char norm[HUNT_VALUE_MAX];
            if (hunt_classify(it->value, it->len, &t, norm, &err) == 0) {
                err_set(&err, "out of memory");
            }
            if (lines != NULL) {
                fprintf(stderr, "%s: line %zu: %s\n", path, lines[i], err.msg);
            } else {
                fprintf(stderr, "%s: %s: %s\n", path, it->label, err.msg);
            }
            r->refused++;
        } else if (it->status == HUNT_ITEM_SET_ASIDE) {
            if (r->n_suppressed < 20) {
                fprintf(stderr, "%s set aside: on warninglist %s\n", it->label, it->list);
            } else if (r->n_suppressed == 20) {
                fputs("more indicators set aside: --summary FILE lists them all\n", stderr);
            }
            if ((r->n_suppressed++ > 0 && buf_puts(&r->suppressed, ",") != 0) ||
                buf_puts(&r->suppressed, "{\"indicator\":") != 0 ||
                buf_json_str(&r->suppressed, it->label) != 0 ||
                buf_puts(&r->suppressed, ",\"value\":") != 0 ||
                buf_json_str(&r->suppressed, it->value) != 0 ||
                buf_puts(&r->suppressed, ",\"warninglist\":") != 0 ||
                buf_json_str(&r->suppressed, it->list) != 0 || buf_puts(&r->suppressed, "}") != 0) {
                return -1;
            }
        }
    }
    return 0;
}

#define BATCH 65536

/* A plain list, in batches classified by every core. */
static int load_indicators(struct run *r, const char *path)
{
    struct err err;
    size_t len, line = 0;
    char *text = cmd_read_file(path, (size_t)1 << 31, &len, &err);
    if (text == NULL) {
        cmd_error("%s", err.msg);
        return -1;
    }
    r->list_text = text;
    size_t lines = 0;
    for (const char *q = text; (q = memchr(q, '\n', len - (size_t)(q - text))) != NULL; q++) {
        lines++;
    }
    struct hunt_item *items = malloc(BATCH * sizeof(*items));
    size_t *where = malloc(BATCH * sizeof(*where));
    int rc = items == NULL || where == NULL || hunt_index_reserve(r->ix, lines + 1) != 0 ? -1 : 0;
    const char *pos = text, *p;
    size_t vn, n = 0;
    bool more = true;
    while (rc == 0 && more) {
        more = str_next_line(&pos, text + len, &p, &vn);
        if (more) {
            line++;
            str_list_value(&p, &vn);
            if (vn == 0) {
                continue;
            }
            char *value = text + (p - text);
            value[vn] = '\0'; /* the line's end, a comment or the file's final NUL */
            int tag = new_ind(r, value);
            if (tag < 0) {
                rc = -1;
                break;
            }
            items[n] = (struct hunt_item){.value = value, .len = vn, .label = value, .tag = tag};
            where[n++] = line;
        }
        if (n == BATCH || (!more && n > 0)) {
            rc = hunt_index_add_items(r->ix, r->wl, items, n, 0, r->threads, &err) != 0 ||
                         report_items(r, items, n, path, where) != 0
                     ? -1
                     : 0;
            n = 0;
        }
    }
    free(items);
    free(where);
    if (rc != 0) {
        cmd_error("out of memory");
    }
    return rc;
}

/* Collects the values of STIX indicators for one batch insertion. */
struct loader {
    ts_us now;
    size_t used, inactive, complex, bad;
    struct hunt_item *items;
    size_t n_items, cap_items;
    int rc;
};

/* One STIX object: an indicator that is active now, not revoked, with a stix pattern one
 * value decides, contributes its anchor values; anything else is counted and skipped. */
static void consider(struct run *r, struct loader *L, json_t *o, const char *where)
{
    const char *type = jx_str(o, "type"), *id = jx_str(o, "id");
    const char *ptype = jx_str(o, "pattern_type"), *pat = jx_str(o, "pattern");
    if (L->rc != 0 || type == NULL || strcmp(type, "indicator") != 0 || id == NULL ||
        ptype == NULL || strcmp(ptype, "stix") != 0 || pat == NULL) {
        return;
    }
    ts_us from = 0, until = 0;
    const char *vu = jx_str(o, "valid_until");
    if (json_is_true(json_object_get(o, "revoked")) ||
        ts_parse(jx_str(o, "valid_from"), &from, NULL) != 0 || from > L->now ||
        (vu != NULL && (ts_parse(vu, &until, NULL) != 0 || until <= L->now))) {
        L->inactive++;
        return;
    }
    struct err err;
    struct pattern *p = pattern_parse(pat, strlen(pat), &err);
    struct pattern_terms terms = {0};
    if (p == NULL || pattern_anchor_terms(p, &terms, &err) != 0) {
        fprintf(stderr, "%s: %s: pattern: %s\n", where, id, err.msg);
        L->bad++;
    } else if (!terms.anchored) {
        /* no value every match must contain: every record would need evaluating */
        fprintf(stderr,
                "%s: %s: not hunted: no value that every match must contain (a LIKE, "
                "MATCHES, range or NOT decides it)\n",
                where, id);
        L->complex++;
    } else {
        int tag = new_ind(r, id);
        if (tag >= 0 && !terms.exact) {
            /* a hit on an anchor only nominates the record: the pattern decides */
            struct ind_more *in = more_of(r, (size_t)tag);
            if (in == NULL || (in->window = hunt_window_new(p, HUNT_WINDOW_MAX)) == NULL) {
                L->rc = -1;
            } else {
                in->pattern = p;
                p = NULL;
                r->patterns++;
            }
        }
        for (int k = 0; tag >= 0 && k < terms.n; k++) {
            if (L->n_items == L->cap_items) {
                size_t cap = L->cap_items * 2 + 64;
                struct hunt_item *grown = realloc(L->items, cap * sizeof(*grown));
                if (grown == NULL) {
                    L->rc = -1;
                    break;
                }
                L->items = grown;
                L->cap_items = cap;
            }
            /* the values must outlive the items: take the term strings */
            const char *v = terms.terms[k].value;
            terms.terms[k].value = NULL;
            L->items[L->n_items++] =
                (struct hunt_item){.value = v, .len = strlen(v), .label = id, .tag = tag};
        }
        L->rc = tag < 0 ? -1 : L->rc;
        L->used++;
    }
    pattern_terms_fini(&terms);
    pattern_free(p);
}

static int finish_load(struct run *r, struct loader *L, const char *where)
{
    struct err err;
    if (L->rc == 0 && (hunt_index_add_items(r->ix, r->wl, L->items, L->n_items, HUNT_EXACT_ONLY,
                                            r->threads, &err) != 0 ||
                       report_items(r, L->items, L->n_items, where, NULL) != 0)) {
        L->rc = -1;
    }
    for (size_t k = 0; k < L->n_items; k++) {
        free((char *)L->items[k].value);
    }
    free(L->items);
    fprintf(stderr,
            "%s: %zu indicators hunted (%zu by evaluating records); %zu inactive or revoked, %zu "
            "not huntable, %zu invalid\n",
            where, L->used, r->patterns, L->inactive, L->complex, L->bad);
    if (L->rc != 0) {
        cmd_error("out of memory");
    }
    return L->rc;
}

static int load_bundle(struct run *r, const char *path)
{
    struct err err;
    size_t len;
    char *text = cmd_read_file(path, (size_t)1 << 31, &len, &err);
    json_t *doc = text ? jx_parse(text, len, JX_MAX_DEPTH, &err) : NULL;
    json_t *objs = doc ? stix_objects_of(doc, &err) : NULL;
    free(text);
    if (objs == NULL) {
        cmd_error("%s: %s", path, err.msg);
        json_decref(doc);
        return -1;
    }
    r->bundle = doc; /* the ids are the labels */
    struct loader L = {.now = ts_now()};
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        consider(r, &L, o, path);
    }
    json_decref(objs);
    return finish_load(r, &L, path);
}

/* ---- indicators from the node ---------------------------------------------------------- */

struct node_rows {
    json_t *latest; /* id -> the newest version seen in any readable collection */
    ts_us last;     /* date_added of the last row, for paging */
    struct err err;
    int rc;
};

struct coll_list {
    struct store_collection *items;
    size_t n, cap;
};

static int add_coll(void *ctx, const struct store_collection *c)
{
    struct coll_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap * 2 + 8;
        struct store_collection *p = realloc(l->items, cap * sizeof(*p));
        if (p == NULL) {
            return -1;
        }
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n++] = *c;
    return 0;
}

static int node_row(void *ctx, const struct store_row *row)
{
    struct node_rows *n = ctx;
    json_t *o = jx_parse(row->json, row->json_len, JX_MAX_DEPTH, &n->err);
    if (o == NULL) {
        n->rc = -1;
        return 1;
    }
    json_t *had = json_object_get(n->latest, row->stix_id);
    const char *hm = had ? jx_str(had, "modified") : NULL, *om = jx_str(o, "modified");
    ts_us ht = 0, ot = 0;
    if (had == NULL ||
        (hm && om && ts_parse(hm, &ht, NULL) == 0 && ts_parse(om, &ot, NULL) == 0 && ot > ht)) {
        json_object_set(n->latest, row->stix_id, o);
    }
    json_decref(o);
    n->last = row->date_added;
    return 0;
}

/* The indicators org may read on the node: every collection it can see, every TLP level
 * access_decide() lets it read there (the rule TAXII reads follow), the newest version. */
static int load_node(struct run *r, struct store *s, int64_t org_id, const char *org_name)
{
    struct err err;
    struct access_subject who = {
        .authenticated = true, .org_id = org_id, .role = STORE_ROLE_ANALYST};
    struct node_rows n = {.latest = json_object()};
    struct coll_list cl = {0};
    if (n.latest == NULL || store_read_begin(s, &err) != 0 ||
        store_collection_list(s, add_coll, &cl, &err) != 0) {
        cmd_error("%s", n.latest ? err.msg : "out of memory");
        goto fail;
    }
    for (size_t c = 0; c < cl.n; c++) {
        struct access_collection facts;
        if (access_collection_facts(s, &who, &cl.items[c], &facts, &err) != 0) {
            cmd_error("%s", err.msg);
            goto fail;
        }
        if (access_decide(&who, ACCESS_READ_COLLECTION, &facts, NULL).verdict != ACCESS_ALLOW) {
            continue;
        }
        struct store_query q = {.coll = cl.items[c].id,
                                .added_after = -1,
                                .limit = 1000,
                                .want_last = true,
                                .n_types = 1,
                                .tlp_mask = access_read_mask(&who, &facts)};
        q.types[0] = "indicator";
        bool more = true;
        n.last = -1;
        while (more && n.rc == 0) {
            if (store_query_run(s, &q, node_row, &n, &more, &err) != 0) {
                cmd_error("%s", err.msg);
                goto fail;
            }
            q.added_after = n.last;
        }
        if (n.rc != 0) {
            cmd_error("%s", n.err.msg);
            goto fail;
        }
    }
    store_read_end(s);
    free(cl.items);
    r->bundle = n.latest;
    char where[STORE_NAME_MAX + 32];
    snprintf(where, sizeof(where), "node (as %s)", org_name);
    struct loader L = {.now = ts_now()};
    const char *id;
    json_t *o;
    json_object_foreach(n.latest, id, o)
    {
        consider(r, &L, o, where);
    }
    return finish_load(r, &L, where);
fail:
    store_read_end(s);
    free(cl.items);
    json_decref(n.latest);
    return -1;
}

/* ---- hits ------------------------------------------------------------------------------- */

/* Moves the record cache to the line holding byte off of the block. */
static void locate(struct run *r, size_t off)
{
    if (r->rec_valid && off >= r->rec_start && off < r->rec_end) {
        return;
    }
    const char *b = r->block;
    const char *nl = off > 0 ? memrchr(b, '\n', off) : NULL;
    size_t start = nl ? (size_t)(nl - b) + 1 : 0;
    /* count the lines between the last record and this one */
    for (const char *p = b + r->counted_pos; (p = memchr(p, '\n', start - (size_t)(p - b))); p++) {
        r->counted_lines++;
    }
    r->counted_pos = start;
    const char *end = memchr(b + off, '\n', r->block_len - off);
    r->rec_start = start;
    r->rec_end = end ? (size_t)(end - b) : r->block_len;
    r->rec_valid = true;
    r->time_known = false;
    json_decref(r->rec_scos);
    r->rec_scos = NULL;
}

/* ---- observables ------------------------------------------------------------------------ */

#define FOUND_MAX 16 /* distinct values kept per indicator for observed-data */

/* The STIX cyber-observable for a value found in a log, or NULL when STIX 2.1 has none
 * (Bitcoin, Ethereum, IBAN). Its id is the UUIDv5 of its id-contributing properties
 * (STIX 2.1 section 2.9), so the same value gets the same id on every node. */
static json_t *sco_of(enum hunt_type t, const char *value)
{
    const char *type = NULL, *algo = NULL;
    switch (t) {
    case HUNT_IPV4:
    case HUNT_CIDR4:
        type = "ipv4-addr";
        break;
    case HUNT_IPV6:
    case HUNT_CIDR6:
        type = "ipv6-addr";
        break;
    case HUNT_DOMAIN:
        type = "domain-name";
        break;
    case HUNT_URL:
        type = "url";
        break;
    case HUNT_EMAIL:
        type = "email-addr";
        break;
    case HUNT_MD5:
        algo = "MD5";
        break;
    case HUNT_SHA1:
        algo = "SHA-1";
        break;
    case HUNT_SHA256:
        algo = "SHA-256";
        break;
    case HUNT_SHA512:
        algo = "SHA-512";
        break;
    default:
        return NULL;
    }
    json_t *contrib =
        algo ? json_pack("{s:{s:s}}", "hashes", algo, value) : json_pack("{s:s}", "value", value);
    char *canon = contrib ? json_dumps(contrib, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char id[STIX_ID_MAX];
    json_t *sco = NULL;
    if (canon != NULL && stix_sco_id(algo ? "file" : type, canon, id) == 0) {
        sco = json_deep_copy(contrib);
        json_object_set_new(sco, "type", json_string(algo ? "file" : type));
        json_object_set_new(sco, "spec_version", json_string("2.1"));
        json_object_set_new(sco, "id", json_string(id));
    }
    free(canon);
    json_decref(contrib);
    return sco;
}

static void keep_found(struct ind_more *in, const struct hunt_hit *h)
{
    if (in->found == NULL && (in->found = json_object()) == NULL) {
        return;
    }
    if (json_object_size(in->found) >= FOUND_MAX || json_object_get(in->found, h->value)) {
        return;
    }
    /* an address in a range is an address, whatever the indicator's type */
    enum hunt_type t = h->type == HUNT_CIDR4   ? HUNT_IPV4
                       : h->type == HUNT_CIDR6 ? HUNT_IPV6
                                               : h->type;
    if (h->match == HUNT_MATCH_SUBDOMAIN) {
        t = HUNT_DOMAIN;
    }
    json_t *sco = sco_of(t, h->value);
    if (sco != NULL) {
        json_object_set_new(in->found, h->value, sco);
    }
}

/* A hit on an anchor term of a pattern: the record joins the pattern's window, and the
 * hit stands only if the pattern then matches (STIX 2.1 section 9). Records without a time
 * are ordered by line, a microsecond apart, from the start of the hunt. */
static bool confirmed(struct run *r, struct ind_more *in, const char *label, const char *rec,
                      size_t rn)
{
    uint64_t at = r->block_offset + r->rec_start + 1;
    if (in->evaluated == at) {
        return false; /* this record was evaluated for this pattern already */
    }
    in->evaluated = at;
    if (r->rec_scos == NULL &&
        (r->rec_scos = hunt_record_scos(r->layout, r->map, rec, rn)) == NULL) {
        return false;
    }
    ts_us t = r->has_time ? r->rec_time : r->started + (ts_us)(r->block_line + r->counted_lines);
    bool matched = false;
    if (hunt_window_push(in->window, json_incref(r->rec_scos), t, &matched) != 0) {
        cmd_error("out of memory evaluating %s", label);
        return false;
    }
    return matched;
}

/* Writes the hit lines gathered so far. A run without hits has no buffer yet, and
 * fwrite(NULL, ...) is undefined even for no bytes (UBSan stopped a hunt that found
 * nothing). */
static void out_flush(struct buf *o)
{
    if (o->len > 0) {
        fwrite(o->data, 1, o->len, stdout);
        fflush(stdout);
    }
    buf_reset(o);
}

static void on_hit(void *ctx, const struct hunt_hit *h)
{
    struct run *r = ctx;
    locate(r, h->offset);
    const char *rec = r->block + r->rec_start;
    size_t rn = r->rec_end - r->rec_start;
    if (rn > 0 && rec[rn - 1] == '\r') {
        rn--;
    }
    if (!r->time_known) {
        r->has_time = hunt_record_time(r->layout, rec, rn, &r->rec_time);
        r->time_known = true;
    }
    struct hunt_hit confirmed_hit;
    struct ind_more *pat = pattern_of(r, h->tag);
    if (pat != NULL) {
        if (!confirmed(r, pat, h->label, rec, rn)) {
            return;
        }
        confirmed_hit = *h;
        confirmed_hit.match = HUNT_MATCH_PATTERN;
        h = &confirmed_hit;
    }
    char field[HUNT_FIELD_MAX];
    bool has_field =
        hunt_record_field(r->layout, rec, rn, h->offset - r->rec_start, field, sizeof(field));
    char when[TS_MAX_TEXT];
    if (r->has_time) {
        ts_format(r->rec_time, 6, when);
    }
    struct buf *o = &r->out;
    if (buf_puts(o, "{\"indicator\":") || buf_json_str(o, h->label) || buf_puts(o, ",\"value\":") ||
        buf_json_str(o, h->value) ||
        buf_printf(o, ",\"type\":\"%s\",\"match\":\"%s\",\"file\":", hunt_type_name(h->type),
                   hunt_match_name(h->match)) ||
        buf_json_str(o, r->file) ||
        buf_printf(o, ",\"line\":%llu,\"offset\":%llu,\"field\":",
                   (unsigned long long)(r->block_line + r->counted_lines + 1),
                   (unsigned long long)(r->block_offset + h->offset)) ||
        (has_field ? buf_json_str(o, field) : buf_puts(o, "null")) || buf_puts(o, ",\"time\":") ||
        (r->has_time ? buf_printf(o, "\"%s\"", when) : buf_puts(o, "null")) || buf_puts(o, "}\n")) {
        return;
    }
    if (h->tag >= 0 && (size_t)h->tag < r->n_inds) {
        struct ind_more *in = more_of(r, (size_t)h->tag);
        if (in == NULL) {
            return;
        }
        ts_us t = r->has_time ? r->rec_time : r->started;
        if (in->hits++ == 0 || t < in->first) {
            in->first = t;
        }
        if (in->hits == 1 || t > in->last) {
            in->last = t;
        }
        if (r->observe) {
            keep_found(in, h);
        }
    }
    r->hits++;
    if (o->len > ((size_t)1 << 20)) {
        out_flush(o);
    }
}

static void show_progress(void *ctx, size_t done)
{
    const struct run *r = ctx;
    uint64_t at = r->block_offset + done;
    if (r->file_size > 0) {
        fprintf(stderr, "\r%s: %.0f of %.0f MB (%.0f%%), %zu hits   ", r->file, (double)at / 1e6,
                (double)r->file_size / 1e6, 100.0 * (double)at / (double)r->file_size, r->hits);
    } else {
        fprintf(stderr, "\r%s: %.0f MB, %zu hits   ", r->file, (double)at / 1e6, r->hits);
    }
}

static int scan_source(struct run *r, const char *path)
{
    struct err err;
    struct hunt_source *src;
    if (hunt_source_open(path, &src, &err) != 0) {
        cmd_error("%s", err.msg);
        return -1;
    }
    struct stat st;
    r->file = strcmp(path, "-") == 0 ? "(stdin)" : path;
    r->file_size = strcmp(path, "-") != 0 && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    r->block_offset = r->block_line = 0;
    hunt_layout_free(r->layout);
    r->layout = NULL;
    struct hunt_progress prog = {show_progress, r};
    int rc = 0;
    const char *data;
    size_t len;
    while ((rc = hunt_source_next(src, &data, &len, &err)) == 0 && len > 0) {
        if (r->layout == NULL && (r->layout = hunt_layout_new(r->format, data, len)) == NULL) {
            rc = err_set(&err, "out of memory");
            break;
        }
        r->block = data;
        r->block_len = len;
        r->counted_pos = 0;
        r->counted_lines = 0;
        r->rec_valid = false;
        size_t newlines;
        if (hunt_scan_block(r->ix, data, len, r->threads, r->progress ? &prog : NULL, on_hit, r,
                            &newlines, &err) != 0) {
            rc = -1;
            break;
        }
        r->records += newlines + (data[len - 1] != '\n');
        /* hits of a block go out with it: a live stream (tail -F) shows them at once */
        out_flush(&r->out);
        r->block_offset += len;
        r->block_line += newlines;
        r->bytes += len;
    }
    if (r->progress) {
        fputs("\r\033[K", stderr);
    }
    if (rc != 0) {
        cmd_error("%s: %s", r->file, err.msg);
    }
    hunt_source_close(src);
    return rc;
}

/* A file, or every file under a directory in name order. */
static int scan_path(struct run *r, const char *path, int depth)
{
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        struct dirent **names;
        int n = scandir(path, &names, NULL, alphasort);
        if (n < 0 || depth > 16) {
            cmd_error("cannot read directory %s", path);
            return -1;
        }
        int rc = 0;
        for (int i = 0; i < n; i++) {
            if (rc == 0 && names[i]->d_name[0] != '.') {
                char sub[4096];
                snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
                rc = scan_path(r, sub, depth + 1);
            }
            free(names[i]);
        }
        free(names);
        return rc;
    }
    return scan_source(r, path);
}

/* ---- sightings ------------------------------------------------------------------------- */

static json_t *stamp(ts_us t)
{
    char buf[TS_MAX_TEXT];
    ts_format(t, 3, buf);
    return json_string(buf);
}

/* One sighting per STIX indicator that was hit (STIX 2.1 section 5.2): how often, first
 * and last seen (record times), where (identity), marked tlp; with observed, also the
 * values found as SCOs and an observed-data object holding them. Returns the objects, or
 * NULL on out-of-memory. */
static json_t *sightings(const struct run *r, const char *identity, enum stix_tlp tlp,
                         bool observed, size_t *plain_hit)
{
    json_t *out = json_array();
    ts_us now = ts_now();
    const char *marking = stix_tlp_marking_id(tlp);
    *plain_hit = 0;
    for (size_t i = 0; out != NULL && i < r->n_inds; i++) {
        if (hits_of(r, i) == 0) {
            continue;
        }
        const char *label = r->inds[i].label;
        const struct ind_more *in = &r->more[r->inds[i].more];
        if (strncmp(label, "indicator--", 11) != 0) {
            (*plain_hit)++;
            continue;
        }
        char sid[STIX_ID_MAX], uuid[UUID_TEXT];
        uuid_v4(uuid);
        snprintf(sid, sizeof(sid), "sighting--%s", uuid);
        json_t *sg = json_pack(
            "{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:I,s:o,s:o,s:[s]}", "type", "sighting", "spec_version",
            "2.1", "id", sid, "created", stamp(now), "modified", stamp(now), "created_by_ref",
            identity, "sighting_of_ref", label, "count",
            (json_int_t)(in->hits < 999999999 ? in->hits : 999999999), "first_seen",
            stamp(in->first), "last_seen", stamp(in->last), "where_sighted_refs", identity);
        if (sg != NULL && marking != NULL) {
            json_object_set_new(sg, "object_marking_refs", json_pack("[s]", marking));
        }
        if (sg != NULL && observed && in->found != NULL && json_object_size(in->found) > 0) {
            char oid[STIX_ID_MAX];
            uuid_v4(uuid);
            snprintf(oid, sizeof(oid), "observed-data--%s", uuid);
            json_t *refs = json_array();
            const char *k;
            json_t *sco;
            json_object_foreach(in->found, k, sco)
            {
                /* the values are log content: marked like the rest */
                json_t *copy = json_deep_copy(sco);
                if (copy != NULL && marking != NULL) {
                    json_object_set_new(copy, "object_marking_refs", json_pack("[s]", marking));
                }
                json_array_append(refs, json_object_get(sco, "id"));
                json_array_append_new(out, copy);
            }
            json_t *od = json_pack(
                "{s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o,s:I,s:o}", "type", "observed-data",
                "spec_version", "2.1", "id", oid, "created", stamp(now), "modified", stamp(now),
                "created_by_ref", identity, "first_observed", stamp(in->first), "last_observed",
                stamp(in->last), "number_observed",
                (json_int_t)(in->hits < 999999999 ? in->hits : 999999999), "object_refs", refs);
            if (od != NULL && marking != NULL) {
                json_object_set_new(od, "object_marking_refs", json_pack("[s]", marking));
            }
            json_array_append_new(out, od);
            json_object_set_new(sg, "observed_data_refs", json_pack("[s]", oid));
        }
        if (sg == NULL || json_array_append_new(out, sg) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* Writes the sightings as a bundle to path and, with report, stores them in the node. */
static int emit_sightings(const struct run *r, const char *path, bool observed, enum stix_tlp tlp,
                          const char *identity, struct store *s, const struct access_subject *who,
                          const char *data, const char *report, const char *org_name)
{
    struct err err;
    size_t plain;
    json_t *objs = sightings(r, identity, tlp, observed, &plain);
    if (objs == NULL) {
        cmd_error("out of memory");
        return -1;
    }
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        if (stix_validate(o, "sighting", &err) != 0) {
            cmd_error("internal: a sighting does not validate: %s", err.msg);
            json_decref(objs);
            return -1;
        }
    }
    if (plain > 0) {
        fprintf(stderr, "%zu plain-list indicators were hit: sightings need STIX indicators\n",
                plain);
    }
    int rc = 0;
    if (path != NULL) {
        char uuid[UUID_TEXT], bid[STIX_ID_MAX];
        uuid_v4(uuid);
        snprintf(bid, sizeof(bid), "bundle--%s", uuid);
        json_t *bundle = json_pack("{s:s,s:s,s:O}", "type", "bundle", "id", bid, "objects", objs);
        char *text = bundle ? json_dumps(bundle, JSON_COMPACT) : NULL;
        if (text == NULL ||
            (strcmp(path, "-") == 0 ? (puts(text) < 0 ? err_set(&err, "cannot write stdout") : 0)
                                    : cmd_write_file(path, text, strlen(text), 0644, &err)) != 0) {
            cmd_error("%s: %s", path, text ? err.msg : "out of memory");
            rc = -1;
        }
        free(text);
        json_decref(bundle);
    }
    if (rc == 0 && report != NULL) {
        struct store_collection coll;
        int found = store_collection_get(s, report, &coll, &err);
        if (found != 0) {
            cmd_error(found < 0 ? "%s" : "no collection '%s'", found < 0 ? err.msg : report);
            rc = -1;
        } else if (json_array_size(objs) > 0) {
            char status_id[UUID_TEXT], actor[STORE_NAME_MAX + 16];
            uuid_v4(status_id);
            snprintf(actor, sizeof(actor), "hunt:%s", org_name);
            struct taxii_ingest_result res;
            struct access_signer signer;
            if (cmd_load_signer(data, s, &signer) != 0) {
                rc = -1;
            } else if (taxii_ingest(s, who, &coll, objs,
                                    &(struct taxii_ingest_opts){
                                        .status_id = status_id, .actor = actor, .signer = &signer},
                                    &res, &err) != 0) {
                cmd_error("report: %s", err.msg);
                rc = -1;
            } else {
                fprintf(stderr, "reported %zu of %zu objects to %s (status %s)\n", res.ok,
                        res.total, coll.id, status_id);
                if (res.failed > 0) {
                    fprintf(stderr, "%s\n", res.status_json.data);
                    rc = -1;
                }
                buf_fini(&res.status_json);
            }
            access_signer_fini(&signer);
        }
    }
    json_decref(objs);
    return rc;
}

/* The summary: its totals as one JSON line on stderr, and in full (hits per indicator,
 * the indicators set aside) in the --summary file. */
static int write_summary(struct run *r, double secs, const char *path)
{
    struct buf s;
    buf_init(&s, SIZE_MAX / 2);
    size_t hit_inds = 0, limited = 0;
    for (size_t i = 0; i < r->n_inds; i++) {
        hit_inds += hits_of(r, i) > 0;
        limited += regex_limited_of(r, i);
    }
    int rc =
        buf_printf(&s,
                   "{\"records\":%zu,\"bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f,"
                   "\"threads\":%d,\"indicators\":%zu,\"values\":%zu,\"refused\":%zu,"
                   "\"set_aside\":%zu,\"hits\":%zu,\"indicators_hit\":%zu,"
                   "\"regex_limited\":%zu",
                   r->records, (unsigned long long)r->bytes, secs,
                   secs > 0 ? (double)r->bytes / secs / 1e6 : 0.0, r->threads, r->n_inds,
                   hunt_index_size(r->ix), r->refused, r->n_suppressed, r->hits, hit_inds, limited);
    size_t short_len = s.len;
    rc = rc || buf_puts(&s, ",\"hits_per_indicator\":{");
    bool first = true;
    for (size_t i = 0; i < r->n_inds && rc == 0; i++) {
        if (hits_of(r, i) > 0) {
            rc = (first ? 0 : buf_puts(&s, ",")) || buf_json_str(&s, label_of(r, i)) ||
                 buf_printf(&s, ":%zu", hits_of(r, i));
            first = false;
        }
    }
    /* patterns whose MATCHES gave up at the backtracking limit (pattern_result) */
    rc = rc || buf_puts(&s, "},\"regex_limited_indicators\":{");
    first = true;
    for (size_t i = 0; i < r->n_inds && rc == 0; i++) {
        if (regex_limited_of(r, i) > 0) {
            rc = (first ? 0 : buf_puts(&s, ",")) || buf_json_str(&s, label_of(r, i)) ||
                 buf_printf(&s, ":%zu", regex_limited_of(r, i));
            first = false;
        }
    }
    rc = rc || buf_printf(&s, "},\"set_aside_indicators\":[") ||
         buf_append(&s, r->suppressed.data, r->suppressed.len) || buf_puts(&s, "]}\n");
    if (rc == 0) {
        fprintf(stderr, "%.*s}\n", (int)short_len, s.data);
        if (path != NULL) {
            struct err err;
            if (cmd_write_file(path, s.data, s.len, 0644, &err) != 0) {
                cmd_error("%s", err.msg);
                rc = -1;
            }
        }
    }
    buf_fini(&s);
    return rc;
}

int cmd_hunt(int argc, char **argv)
{
    const char *indicators = NULL, *bundle = NULL, *wl_file = NULL, *jobs = NULL;
    const char *format = NULL, *summary = NULL, *data = NULL, *as = NULL, *sight = NULL;
    const char *report = NULL, *identity = NULL, *tlp_s = NULL, *map_file = NULL;
    bool no_builtin = false, quiet = false, observed = false;
    struct cmd_opt opts[] = {CMD_VALUE("indicators", &indicators),
                             CMD_VALUE("bundle", &bundle),
                             CMD_VALUE("warninglist", &wl_file),
                             CMD_FLAG("no-warninglists", &no_builtin),
                             CMD_VALUE("j", &jobs),
                             CMD_VALUE("format", &format),
                             CMD_VALUE("summary", &summary),
                             CMD_FLAG("quiet", &quiet),
                             CMD_VALUE("data", &data),
                             CMD_VALUE("as", &as),
                             CMD_VALUE("sightings", &sight),
                             CMD_FLAG("with-observed-data", &observed),
                             CMD_VALUE("report", &report),
                             CMD_VALUE("identity", &identity),
                             CMD_VALUE("tlp", &tlp_s),
                             CMD_VALUE("map", &map_file),
                             CMD_END};
    struct cmd_args a;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    struct run r = {0};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    r.threads = cores > 0 ? (int)cores : 1;
    int64_t j;
    enum stix_tlp tlp = STIX_TLP_AMBER;
    int sources = (indicators != NULL) + (bundle != NULL) + (data != NULL);
    if (sources != 1 || (data != NULL) != (as != NULL) || (report != NULL && data == NULL) ||
        (tlp_s != NULL && (stix_tlp_parse(tlp_s, &tlp) != 0 || tlp == STIX_TLP_UNMARKED)) ||
        (jobs != NULL && str_to_i64(jobs, 1, HUNT_MAX_THREADS, &j) != 0) ||
        (format != NULL && hunt_format_parse(format, &r.format) != 0)) {
        fputs(usage, stderr);
        return 2;
    }
    if (jobs != NULL) {
        r.threads = (int)j;
    }
    r.progress = !quiet && isatty(2);
    r.observe = observed;
    r.started = ts_now();
    int rc = 1;
    struct store *st = NULL;
    struct access_subject who = {.authenticated = true, .role = STORE_ROLE_ANALYST};
    struct store_org org = {0};
    buf_init(&r.out, SIZE_MAX / 2);
    buf_init(&r.suppressed, SIZE_MAX / 2);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r.wl = hunt_warninglists_new(!no_builtin);
    r.ix = hunt_index_new();
    r.map = hunt_map_new();
    if (r.wl == NULL || r.ix == NULL || r.map == NULL) {
        cmd_error("out of memory");
        goto out;
    }
    if (map_file != NULL) {
        struct err err;
        size_t len;
        char *text = cmd_read_file(map_file, (size_t)1 << 20, &len, &err);
        if (text == NULL || hunt_map_load(r.map, text, len, &err) != 0) {
            cmd_error("%s: %s", map_file, err.msg);
            free(text);
            goto out;
        }
        free(text);
    }
    if (wl_file != NULL) {
        struct err err;
        size_t len, skipped;
        char *text = cmd_read_file(wl_file, (size_t)1 << 30, &len, &err);
        if (text == NULL || hunt_warninglists_load(r.wl, wl_file, text, len, &skipped, &err) != 0) {
            cmd_error("%s", err.msg);
            free(text);
            goto out;
        }
        free(text);
        if (skipped > 0) {
            fprintf(stderr, "%s: %zu lines are not indicator values and were skipped\n", wl_file,
                    skipped);
        }
    }
    if (data != NULL) {
        struct err err;
        int found;
        if ((st = cmd_open_store(data)) == NULL) {
            goto out;
        }
        if ((found = store_org_get(st, as, &org, &err)) != 0) {
            cmd_error(found < 0 ? "%s" : "no organisation '%s'", found < 0 ? err.msg : as);
            goto out;
        }
        who.org_id = org.id;
        identity = identity ? identity : org.identity;
    }
    if ((sight != NULL || report != NULL) && identity == NULL) {
        cmd_error("sightings need an identity: --data DIR --as ORG, or --identity ID");
        goto out;
    }
    if (indicators != NULL ? load_indicators(&r, indicators) != 0
        : bundle != NULL   ? load_bundle(&r, bundle) != 0
                           : load_node(&r, st, org.id, org.name) != 0) {
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr,
            "index: %zu values of %zu indicators, %zu set aside, %zu refused, %.3f s, %.1f MB\n",
            hunt_index_size(r.ix), r.n_inds, r.n_suppressed, r.refused,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (double)hunt_index_memory(r.ix) / 1e6);
    rc = 0;
    if (a.n_pos == 0) {
        rc = scan_path(&r, "-", 0);
    }
    for (int i = 0; i < a.n_pos && rc == 0; i++) {
        rc = scan_path(&r, a.pos[i], 0);
    }
    out_flush(&r.out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (write_summary(&r, secs, summary) != 0) {
        rc = -1;
    }
    if (rc == 0 && (sight != NULL || report != NULL) &&
        emit_sightings(&r, sight, observed, tlp, identity, st, &who, data, report, org.name) != 0) {
        rc = -1;
    }
    rc = rc == 0 ? 0 : 1;
out:
    for (size_t i = 0; i < r.n_more; i++) {
        json_decref(r.more[i].found);
        hunt_window_free(r.more[i].window);
        pattern_free(r.more[i].pattern);
    }
    free(r.more);
    json_decref(r.rec_scos);
    hunt_map_free(r.map);
    free(r.inds);
    free(r.list_text);
    store_close(st);
    json_decref(r.bundle);
    buf_fini(&r.out);
    buf_fini(&r.suppressed);
    hunt_layout_free(r.layout);
    hunt_warninglists_free(r.wl);
    hunt_index_free(r.ix);
    return rc;
}
