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

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: certmesh hunt (--indicators FILE | --bundle FILE) [--warninglist FILE]\n"
    "                     [--no-warninglists] [-j N] [--format auto|plain|json|zeek|csv]\n"
    "                     [--summary FILE] [--quiet] [LOG|DIR|-]...\n"
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

/* One indicator as the user gave it; every value it contributes carries its number. */
struct ind {
    const char *label; /* in the list's text or the bundle, both kept for the run */
    size_t hits;
};

struct run {
    struct hunt_index *ix;
    struct hunt_warninglists *wl;
    struct ind *inds;
    size_t n_inds, cap_inds;
    char *list_text;       /* the --indicators file, values NUL-terminated in place */
    json_t *bundle;        /* the --bundle document */
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
    r->inds[r->n_inds].label = label;
    r->inds[r->n_inds].hits = 0;
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

/* The active, unrevoked stix indicators of a bundle whose pattern one value decides. */
static int load_bundle(struct run *r, const char *path)
{
    struct err err;
    size_t len, inactive = 0, complex = 0, bad = 0, n_items = 0, cap_items = 0;
    struct hunt_item *items = NULL;
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
    int rc = 0;
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
            int tag = new_ind(r, id);
            for (int k = 0; tag >= 0 && k < terms.n && rc == 0; k++) {
                struct hunt_item *grown =
                    n_items == cap_items
                        ? realloc(items, (cap_items = cap_items * 2 + 64) * sizeof(*items))
                        : items;
                if (grown == NULL) {
                    rc = -1;
                    break;
                }
                items = grown;
                /* the values must outlive the items: keep the term strings */
                const char *v = terms.terms[k].value;
                terms.terms[k].value = NULL;
                items[n_items++] =
                    (struct hunt_item){.value = v, .len = strlen(v), .label = id, .tag = tag};
            }
            rc = tag < 0 ? -1 : rc;
        }
        pattern_terms_fini(&terms);
        pattern_free(p);
    }
    json_decref(objs);
    r->bundle = doc; /* the ids are the labels */
    if (rc == 0 && (hunt_index_add_items(r->ix, r->wl, items, n_items, HUNT_EXACT_ONLY, r->threads,
                                         &err) != 0 ||
                    report_items(r, items, n_items, path, NULL) != 0)) {
        rc = -1;
    }
    for (size_t k = 0; k < n_items; k++) {
        free((char *)items[k].value);
    }
    free(items);
    fprintf(stderr, "%s: %zu inactive or revoked, %zu needing record evaluation, %zu invalid\n",
            path, inactive, complex, bad);
    if (rc != 0) {
        cmd_error("out of memory");
    }
    return rc;
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
        r->inds[h->tag].hits++;
    }
    r->hits++;
    if (o->len > ((size_t)1 << 20)) {
        fwrite(o->data, 1, o->len, stdout);
        buf_reset(o);
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
        fwrite(r->out.data, 1, r->out.len, stdout);
        fflush(stdout);
        buf_reset(&r->out);
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

/* The summary: its totals as one JSON line on stderr, and in full (hits per indicator,
 * the indicators set aside) in the --summary file. */
static int write_summary(struct run *r, double secs, const char *path)
{
    struct buf s;
    buf_init(&s, SIZE_MAX / 2);
    size_t hit_inds = 0;
    for (size_t i = 0; i < r->n_inds; i++) {
        hit_inds += r->inds[i].hits > 0;
    }
    int rc = buf_printf(&s,
                        "{\"records\":%zu,\"bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f,"
                        "\"threads\":%d,\"indicators\":%zu,\"values\":%zu,\"refused\":%zu,"
                        "\"set_aside\":%zu,\"hits\":%zu,\"indicators_hit\":%zu",
                        r->records, (unsigned long long)r->bytes, secs,
                        secs > 0 ? (double)r->bytes / secs / 1e6 : 0.0, r->threads, r->n_inds,
                        hunt_index_size(r->ix), r->refused, r->n_suppressed, r->hits, hit_inds);
    size_t short_len = s.len;
    rc = rc || buf_puts(&s, ",\"hits_per_indicator\":{");
    bool first = true;
    for (size_t i = 0; i < r->n_inds && rc == 0; i++) {
        if (r->inds[i].hits > 0) {
            rc = (first ? 0 : buf_puts(&s, ",")) || buf_json_str(&s, label_of(r, i)) ||
                 buf_printf(&s, ":%zu", r->inds[i].hits);
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
    const char *format = NULL, *summary = NULL;
    bool no_builtin = false, quiet = false;
    struct cmd_opt opts[] = {{"indicators", &indicators, NULL},
                             {"bundle", &bundle, NULL},
                             {"warninglist", &wl_file, NULL},
                             {"no-warninglists", NULL, &no_builtin},
                             {"j", &jobs, NULL},
                             {"format", &format, NULL},
                             {"summary", &summary, NULL},
                             {"quiet", NULL, &quiet},
                             {NULL, NULL, NULL}};
    struct cmd_args a;
    if (cmd_parse(argc, argv, opts, &a, usage) != 0) {
        return 2;
    }
    if (a.help) {
        return 0;
    }
    struct run r = {0};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    r.threads = cores > 0 ? (int)cores : 1;
    int64_t j;
    if ((indicators == NULL) == (bundle == NULL) ||
        (jobs != NULL && str_to_i64(jobs, 1, HUNT_MAX_THREADS, &j) != 0) ||
        (format != NULL && hunt_format_parse(format, &r.format) != 0)) {
        fputs(usage, stderr);
        return 2;
    }
    if (jobs != NULL) {
        r.threads = (int)j;
    }
    r.progress = !quiet && isatty(2);
    int rc = 1;
    buf_init(&r.out, SIZE_MAX / 2);
    buf_init(&r.suppressed, SIZE_MAX / 2);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r.wl = hunt_warninglists_new(!no_builtin);
    r.ix = hunt_index_new();
    if (r.wl == NULL || r.ix == NULL) {
        cmd_error("out of memory");
        goto out;
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
    if (indicators != NULL ? load_indicators(&r, indicators) != 0 : load_bundle(&r, bundle) != 0) {
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
    fwrite(r.out.data, 1, r.out.len, stdout);
    fflush(stdout);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (write_summary(&r, secs, summary) != 0) {
        rc = -1;
    }
    rc = rc == 0 ? 0 : 1;
out:
    free(r.inds);
    free(r.list_text);
    json_decref(r.bundle);
    buf_fini(&r.out);
    buf_fini(&r.suppressed);
    hunt_layout_free(r.layout);
    hunt_warninglists_free(r.wl);
    hunt_index_free(r.ix);
    return rc;
}
