/*
 * hunt.c — `certmesh hunt`: finds plain-list indicators in log files, line by line, and
 * prints one JSON line per hit. This is the first, scalar slice of hunting: STIX and node
 * indicators, log formats, compressed input, threads and warninglists are to come.
 */
#include "cmd/cmd.h"
#include "hunt/hunt.h"
#include "pattern/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage[] =
    "usage: certmesh hunt (--indicators FILE | --bundle FILE) [--warninglist FILE]\n"
    "                     [--no-warninglists] [LOG...|-]\n"
    "\n"
    "Finds every indicator of FILE (one value per line: IPv4, IPv6, CIDR, domain, URL,\n"
    "MD5/SHA-1/SHA-256/SHA-512, e-mail, Bitcoin, Ethereum, IBAN; '#' starts a comment) in\n"
    "the logs (stdin when none or '-'), matching whole tokens only. Prints one JSON line\n"
    "per hit with indicator, value, type, match (exact, subdomain, in-range), file, line,\n"
    "offset, field and time; a summary goes to stderr.\n"
    "--bundle takes the indicators of a STIX bundle that are active now and not revoked,\n"
    "whose stix pattern a single value decides ([ipv4-addr:value = ...] OR ...); the\n"
    "label of a hit is the indicator's id. Patterns that need a whole record evaluated\n"
    "are reported and skipped for now.\n"
    "Indicators on a warninglist are set aside and reported: the RFC 6890 special-purpose\n"
    "ranges and well-known public resolvers are built in, --warninglist adds a list of\n"
    "your own (top sites, shared-hosting domains), --no-warninglists drops the built-in\n"
    "ones.\n";

struct hctx {
    const char *file;
    size_t line;
    size_t line_offset;
    size_t hits;
    struct buf out;
};

static void on_hit(void *ctx, const struct hunt_hit *h)
{
    static const char *const kinds[] = {"exact", "subdomain", "in-range"};
    struct hctx *c = ctx;
    buf_reset(&c->out);
    if (buf_puts(&c->out, "{\"indicator\":") || buf_json_str(&c->out, h->label) ||
        buf_puts(&c->out, ",\"value\":") || buf_json_str(&c->out, h->value) ||
        buf_printf(&c->out, ",\"type\":\"%s\",\"match\":\"%s\",\"file\":", hunt_type_name(h->type),
                   kinds[h->match]) ||
        buf_json_str(&c->out, c->file) ||
        buf_printf(&c->out, ",\"line\":%zu,\"offset\":%zu,\"field\":null,\"time\":null}\n", c->line,
                   c->line_offset + h->offset)) {
        return;
    }
    fwrite(c->out.data, 1, c->out.len, stdout);
    c->hits++;
}

/* One indicator value into the index unless a warninglist catches it. */
static int add_value(struct hunt_index *ix, const struct hunt_warninglists *wl, const char *v,
                     size_t n, const char *label, bool exact_only, const char *where,
                     size_t *suppressed)
{
    struct err err;
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX];
    const char *caught = NULL;
    if (hunt_classify(v, n, &t, norm, &err) == 0 &&
        (caught = hunt_warninglists_match(wl, t, norm)) != NULL) {
        fprintf(stderr, "%s: %.*s set aside: on warninglist %s\n", where, (int)n, v, caught);
        (*suppressed)++;
        return 0;
    }
    if (hunt_index_add(ix, v, n, label, exact_only ? HUNT_EXACT_ONLY : 0, -1, &err) < 0) {
        fprintf(stderr, "%s: %s\n", where, err.msg);
        return -1;
    }
    return 0;
}

static int load_indicators(struct hunt_index *ix, const struct hunt_warninglists *wl,
                           const char *path)
{
    struct err err;
    size_t len, line = 0, bad = 0, suppressed = 0;
    char *text = cmd_read_file(path, (size_t)1 << 31, &len, &err);
    if (text == NULL) {
        cmd_error("%s", err.msg);
        return -1;
    }
    const char *pos = text, *p;
    size_t vn;
    while (str_next_line(&pos, text + len, &p, &vn)) {
        line++;
        str_list_value(&p, &vn);
        if (vn == 0) {
            continue;
        }
        char label[HUNT_VALUE_MAX], where[4200];
        size_t ln = vn < sizeof(label) ? vn : sizeof(label) - 1;
        memcpy(label, p, ln);
        label[ln] = '\0';
        snprintf(where, sizeof(where), "%s: line %zu", path, line);
        bad += add_value(ix, wl, p, vn, label, false, where, &suppressed) != 0;
    }
    free(text);
    fprintf(stderr, "loaded %zu indicators from %s (%zu refused, %zu suppressed)\n",
            hunt_index_size(ix), path, bad, suppressed);
    return 0;
}

/* The active, unrevoked stix indicators of a bundle whose pattern one value decides. */
static int load_bundle(struct hunt_index *ix, const struct hunt_warninglists *wl, const char *path)
{
    struct err err;
    size_t len, used = 0, inactive = 0, complex = 0, bad = 0, suppressed = 0;
    char *text = cmd_read_file(path, (size_t)1 << 31, &len, &err);
    json_t *doc = text ? jx_parse(text, len, JX_MAX_DEPTH, &err) : NULL;
    json_t *objs = doc ? stix_objects_of(doc, &err) : NULL;
    free(text);
    if (objs == NULL) {
        cmd_error("%s: %s", path, err.msg);
        json_decref(doc);
        return -1;
    }
    ts_us now = ts_now();
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        const char *type = jx_str(o, "type"), *id = jx_str(o, "id");
        const char *ptype = jx_str(o, "pattern_type"), *pat = jx_str(o, "pattern");
        if (type == NULL || strcmp(type, "indicator") != 0 || id == NULL || ptype == NULL ||
            strcmp(ptype, "stix") != 0 || pat == NULL) {
            continue;
        }
        ts_us from = 0, until = 0;
        const char *vu = jx_str(o, "valid_until");
        if (json_is_true(json_object_get(o, "revoked")) ||
            ts_parse(jx_str(o, "valid_from"), &from, NULL) != 0 || from > now ||
            (vu != NULL && (ts_parse(vu, &until, NULL) != 0 || until <= now))) {
            inactive++;
            continue;
        }
        struct pattern *p = pattern_parse(pat, strlen(pat), &err);
        struct pattern_terms terms = {0};
        if (p == NULL || pattern_anchor_terms(p, &terms, &err) != 0) {
            fprintf(stderr, "%s: %s: pattern: %s\n", path, id, err.msg);
            bad++;
        } else if (!terms.exact) {
            fprintf(stderr, "%s: %s: needs whole records evaluated, not supported yet\n", path, id);
            complex++;
        } else {
            for (int k = 0; k < terms.n; k++) {
                char where[400];
                snprintf(where, sizeof(where), "%s: %s", path, id);
                bad += add_value(ix, wl, terms.terms[k].value, strlen(terms.terms[k].value), id,
                                 true, where, &suppressed) != 0;
            }
            used++;
        }
        pattern_terms_fini(&terms);
        pattern_free(p);
    }
    json_decref(objs);
    json_decref(doc);
    fprintf(stderr,
            "loaded %zu indicators (%zu values) from %s; %zu inactive or revoked, %zu needing "
            "record evaluation, %zu invalid, %zu values suppressed\n",
            used, hunt_index_size(ix), path, inactive, complex, bad, suppressed);
    return 0;
}

static int scan_file(struct hunt_index *ix, const char *path, struct hctx *c, size_t *bytes,
                     size_t *records)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        cmd_error("cannot open %s", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    c->file = strcmp(path, "-") == 0 ? "(stdin)" : path;
    c->line = 0;
    c->line_offset = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        c->line++;
        hunt_scan(ix, line, (size_t)n, on_hit, c);
        c->line_offset += (size_t)n;
        *bytes += (size_t)n;
        (*records)++;
    }
    free(line);
    if (f != stdin) {
        fclose(f);
    }
    return 0;
}

int cmd_hunt(int argc, char **argv)
{
    const char *indicators = NULL, *bundle = NULL, *wl_file = NULL;
    bool no_builtin = false;
    struct cmd_opt opts[] = {{"indicators", &indicators, NULL},
                             {"bundle", &bundle, NULL},
                             {"warninglist", &wl_file, NULL},
                             {"no-warninglists", NULL, &no_builtin},
                             {NULL, NULL, NULL}};
    struct cmd_args a;
    if (cmd_parse(argc, argv, opts, &a, usage) != 0) {
        return 2;
    }
    if (a.help) {
        return 0;
    }
    if ((indicators == NULL) == (bundle == NULL)) {
        fputs(usage, stderr);
        return 2;
    }
    struct hunt_warninglists *wl = hunt_warninglists_new(!no_builtin);
    struct hunt_index *ix = hunt_index_new();
    if (wl == NULL || ix == NULL) {
        cmd_error("out of memory");
        goto fail;
    }
    if (wl_file != NULL) {
        struct err err;
        size_t len, skipped;
        char *text = cmd_read_file(wl_file, (size_t)1 << 30, &len, &err);
        if (text == NULL || hunt_warninglists_load(wl, wl_file, text, len, &skipped, &err) != 0) {
            cmd_error("%s", err.msg);
            free(text);
            goto fail;
        }
        free(text);
        if (skipped > 0) {
            fprintf(stderr, "%s: %zu lines are not indicator values and were skipped\n", wl_file,
                    skipped);
        }
    }
    if (indicators != NULL ? load_indicators(ix, wl, indicators) != 0
                           : load_bundle(ix, wl, bundle) != 0) {
        goto fail;
    }
    hunt_warninglists_free(wl);
    wl = NULL;
    struct hctx c = {0};
    buf_init(&c.out, (size_t)1 << 20);
    size_t bytes = 0, records = 0;
    int rc = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (a.n_pos == 0) {
        rc = scan_file(ix, "-", &c, &bytes, &records);
    }
    for (int i = 0; i < a.n_pos && rc == 0; i++) {
        rc = scan_file(ix, a.pos[i], &c, &bytes, &records);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "records %zu, bytes %zu, %.3f s, %.1f MB/s, hits %zu\n", records, bytes, secs,
            secs > 0 ? (double)bytes / secs / 1e6 : 0.0, c.hits);
    buf_fini(&c.out);
    hunt_index_free(ix);
    return rc == 0 ? 0 : 1;
fail:
    hunt_warninglists_free(wl);
    hunt_index_free(ix);
    return 1;
}
