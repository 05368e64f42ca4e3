/*
 * record.c — what a log line is: its format, the field a hit sits in, and its time.
 *
 * Formats are told from the first line of a file unless the user says: Zeek TSV by its
 * "#separator" header (column names from "#fields"), JSON lines by a leading '{' (Suricata
 * eve and any other: a field is the dotted path of keys), CSV by a header line when asked
 * for, plain text otherwise. None of this runs per line of input: only lines with a hit
 * are looked at again, so the cost follows the hits, not the bytes.
 */
#include "hunt/hunt.h"

#include <stdlib.h>
#include <string.h>

#define MAX_COLUMNS 256
#define MAX_DEPTH   32

struct hunt_layout {
    enum hunt_format format;
    char sep;
    int n_cols;
    char *cols[MAX_COLUMNS];
    int time_col; /* -1: none */
};

const char *hunt_format_name(enum hunt_format f)
{
    static const char *const names[] = {"auto", "plain", "json", "zeek", "csv"};
    return names[f];
}

int hunt_format_parse(const char *s, enum hunt_format *f)
{
    for (int i = 0; i <= HUNT_FORMAT_CSV; i++) {
        if (strcmp(s, hunt_format_name((enum hunt_format)i)) == 0) {
            *f = (enum hunt_format)i;
            return 0;
        }
    }
    return -1;
}

static bool is_time_name(const char *s, size_t n)
{
    static const char *const names[] = {"ts",         "time",     "timestamp",
                                        "@timestamp", "datetime", "date"};
    for (size_t i = 0; i < BASE_ARRAY_LEN(names); i++) {
        if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Splits a header line into column names at sep (CSV: quotes allowed around a name). */
static int columns(struct hunt_layout *l, const char *s, size_t n, char sep)
{
    size_t i = 0;
    while (i <= n && l->n_cols < MAX_COLUMNS) {
        size_t e = i;
        while (e < n && s[e] != sep) {
            e++;
        }
        size_t a = i, b = e;
        while (b > a && (s[b - 1] == '\r' || s[b - 1] == ' ')) {
            b--;
        }
        if (b - a >= 2 && s[a] == '"' && s[b - 1] == '"') {
            a++;
            b--;
        }
        /* not strndup: the header is not NUL-terminated, and strndup may look one past */
        char *name = malloc(b - a + 1);
        if (name == NULL) {
            return -1;
        }
        memcpy(name, s + a, b - a);
        name[b - a] = '\0';
        if (l->time_col < 0 && is_time_name(name, b - a)) {
            l->time_col = l->n_cols;
        }
        l->cols[l->n_cols++] = name;
        i = e + 1;
    }
    return 0;
}

struct hunt_layout *hunt_layout_new(enum hunt_format forced, const char *head, size_t n)
{
    struct hunt_layout *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return NULL;
    }
    l->time_col = -1;
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) {
        i++;
    }
    l->format = forced;
    if (forced == HUNT_FORMAT_AUTO) {
        l->format = n - i >= 10 && memcmp(head + i, "#separator", 10) == 0 ? HUNT_FORMAT_ZEEK
                    : i < n && head[i] == '{'                              ? HUNT_FORMAT_JSON
                                                                           : HUNT_FORMAT_PLAIN;
    }
    const char *pos = head, *line;
    size_t ln;
    if (l->format == HUNT_FORMAT_ZEEK) {
        l->sep = '\t';
        while (str_next_line(&pos, head + n, &line, &ln) && ln > 0 && line[0] == '#') {
            if (ln > 8 && memcmp(line, "#fields\t", 8) == 0 &&
                columns(l, line + 8, ln - 8, '\t') != 0) {
                hunt_layout_free(l);
                return NULL;
            }
        }
    } else if (l->format == HUNT_FORMAT_CSV) {
        l->sep = ',';
        if (str_next_line(&pos, head + n, &line, &ln) && columns(l, line, ln, ',') != 0) {
            hunt_layout_free(l);
            return NULL;
        }
    }
    return l;
}

void hunt_layout_free(struct hunt_layout *l)
{
    if (l == NULL) {
        return;
    }
    for (int i = 0; i < l->n_cols; i++) {
        free(l->cols[i]);
    }
    free(l);
}

enum hunt_format hunt_layout_format(const struct hunt_layout *l)
{
    return l->format;
}

/* ---- JSON lines ------------------------------------------------------------------------ */

struct walk {
    const char *s;
    size_t n, i;
    char path[HUNT_FIELD_MAX];
    size_t path_len;
    hunt_leaf_fn fn;
    void *ctx;
    bool stop;
};

static void ws(struct walk *w)
{
    while (w->i < w->n &&
           (w->s[w->i] == ' ' || w->s[w->i] == '\t' || w->s[w->i] == '\r' || w->s[w->i] == '\n')) {
        w->i++;
    }
}

/* A string starting at the quote at i: sets [a, b) to its raw contents. */
static int string_span(struct walk *w, size_t *a, size_t *b)
{
    if (w->i >= w->n || w->s[w->i] != '"') {
        return -1;
    }
    *a = ++w->i;
    while (w->i < w->n && w->s[w->i] != '"') {
        w->i += w->s[w->i] == '\\' ? 2 : 1;
    }
    if (w->i >= w->n) {
        return -1;
    }
    *b = w->i++;
    return 0;
}

static int value(struct walk *w, int depth);

static int leaf(struct walk *w, size_t a, size_t b, bool quoted)
{
    struct hunt_leaf lf = {w->path, w->s + a, b - a, a, quoted};
    if (!w->stop && w->fn(w->ctx, &lf) != 0) {
        w->stop = true;
    }
    return 0;
}

static int object(struct walk *w, int depth)
{
    w->i++; /* '{' */
    ws(w);
    if (w->i < w->n && w->s[w->i] == '}') {
        w->i++;
        return 0;
    }
    size_t saved = w->path_len;
    for (;;) {
        size_t a, b;
        ws(w);
        if (string_span(w, &a, &b) != 0) {
            return -1;
        }
        size_t add = (saved ? 1 : 0) + (b - a);
        if (saved + add < sizeof(w->path)) {
            if (saved) {
                w->path[saved] = '.';
            }
            memcpy(w->path + saved + (saved ? 1 : 0), w->s + a, b - a);
            w->path_len = saved + add;
        }
        w->path[w->path_len] = '\0';
        ws(w);
        if (w->i >= w->n || w->s[w->i] != ':') {
            return -1;
        }
        w->i++;
        if (value(w, depth + 1) != 0) {
            return -1;
        }
        w->path_len = saved;
        w->path[saved] = '\0';
        ws(w);
        if (w->i < w->n && w->s[w->i] == ',') {
            w->i++;
            continue;
        }
        if (w->i < w->n && w->s[w->i] == '}') {
            w->i++;
            return 0;
        }
        return -1;
    }
}

static int value(struct walk *w, int depth)
{
    if (depth > MAX_DEPTH) {
        return -1;
    }
    ws(w);
    if (w->i >= w->n) {
        return -1;
    }
    char c = w->s[w->i];
    if (c == '{') {
        return object(w, depth);
    }
    if (c == '[') {
        w->i++;
        ws(w);
        if (w->i < w->n && w->s[w->i] == ']') {
            w->i++;
            return 0;
        }
        for (;;) {
            if (value(w, depth + 1) != 0) {
                return -1;
            }
            ws(w);
            if (w->i < w->n && w->s[w->i] == ',') {
                w->i++;
                continue;
            }
            if (w->i < w->n && w->s[w->i] == ']') {
                w->i++;
                return 0;
            }
            return -1;
        }
    }
    if (c == '"') {
        size_t a, b;
        return string_span(w, &a, &b) != 0 ? -1 : leaf(w, a, b, true);
    }
    size_t a = w->i;
    while (w->i < w->n && strchr(",}] \t\r\n", w->s[w->i]) == NULL) {
        w->i++;
    }
    return w->i == a ? -1 : leaf(w, a, w->i, false);
}

int hunt_json_leaves(const char *rec, size_t n, hunt_leaf_fn fn, void *ctx)
{
    struct walk w = {.s = rec, .n = n, .fn = fn, .ctx = ctx};
    ws(&w);
    if (w.i >= n || rec[w.i] != '{') {
        return -1;
    }
    return value(&w, 0);
}

/* ---- fields ---------------------------------------------------------------------------- */

struct field_find {
    size_t off;
    char *out;
    size_t cap;
    bool found;
};

static int field_at(void *ctx, const struct hunt_leaf *lf)
{
    struct field_find *f = ctx;
    if (f->off >= lf->offset && f->off <= lf->offset + lf->len) {
        snprintf(f->out, f->cap, "%s", lf->path);
        f->found = true;
        return 1;
    }
    return 0;
}

/* The column index of byte off in a separated line (CSV: quoted fields may hold commas). */
static int column_at(const struct hunt_layout *l, const char *rec, size_t off)
{
    int col = 0;
    bool quoted = false;
    for (size_t i = 0; i < off; i++) {
        if (l->format == HUNT_FORMAT_CSV && rec[i] == '"') {
            quoted = !quoted;
        } else if (rec[i] == l->sep && !quoted) {
            col++;
        }
    }
    return col;
}

bool hunt_record_field(const struct hunt_layout *l, const char *rec, size_t n, size_t off,
                       char *out, size_t cap)
{
    if (cap == 0 || off > n) {
        return false;
    }
    out[0] = '\0';
    switch (l->format) {
    case HUNT_FORMAT_JSON: {
        struct field_find f = {off, out, cap, false};
        (void)hunt_json_leaves(rec, n, field_at, &f);
        return f.found;
    }
    case HUNT_FORMAT_ZEEK:
    case HUNT_FORMAT_CSV: {
        if (n > 0 && rec[0] == '#' && l->format == HUNT_FORMAT_ZEEK) {
            return false;
        }
        int col = column_at(l, rec, off);
        if (col >= l->n_cols) {
            return false;
        }
        snprintf(out, cap, "%s", l->cols[col]);
        return true;
    }
    default:
        return false;
    }
}

/* ---- time ------------------------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, size_t at, int k, int *out)
{
    if (at + (size_t)k > n) {
        return false;
    }
    int v = 0;
    for (int i = 0; i < k; i++) {
        char c = s[at + (size_t)i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

static int month_of(const char *s, size_t n, size_t at)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (at + 3 > n) {
        return 0;
    }
    for (int m = 0; m < 12; m++) {
        if (strncasecmp(months + 3 * m, s + at, 3) == 0) {
            return m + 1;
        }
    }
    return 0;
}

/* hh:mm:ss[.frac][Z|±hh[:]mm] from at; *t gets the time of day (µs), zone applied. */
static bool clock_zone(const char *s, size_t n, size_t at, ts_us *t)
{
    int hh, mi, ss;
    if (!digits(s, n, at, 2, &hh) || at + 2 >= n || s[at + 2] != ':' ||
        !digits(s, n, at + 3, 2, &mi) || at + 5 >= n || s[at + 5] != ':' ||
        !digits(s, n, at + 6, 2, &ss) || hh > 23 || mi > 59 || ss > 60) {
        return false;
    }
    size_t i = at + 8;
    int64_t us = 0, scale = 100000;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            us += scale * (s[i] - '0');
            scale /= 10;
        }
    }
    while (i < n && s[i] == ' ') {
        i++;
    }
    int64_t zone = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        int zh, zm;
        size_t j = i + 1;
        if (digits(s, n, j, 2, &zh)) {
            j += 2;
            if (j < n && s[j] == ':') {
                j++;
            }
            if (digits(s, n, j, 2, &zm)) {
                zone = (s[i] == '+' ? 1 : -1) * ((int64_t)zh * 3600 + zm * 60);
            }
        }
    }
    *t = ((int64_t)hh * 3600 + mi * 60 + ss - zone) * 1000000 + us;
    return true;
}

bool hunt_time_parse(const char *s, size_t n, ts_us *t)
{
    int y, mo, d;
    ts_us tod;
    while (n > 0 && (*s == ' ' || *s == '[' || *s == '"')) {
        s++;
        n--;
    }
    /* 2026-11-28T10:00:00.123+0000 (RFC 3339, ISO 8601, or with a space) */
    if (digits(s, n, 0, 4, &y) && n > 10 && s[4] == '-' && digits(s, n, 5, 2, &mo) && s[7] == '-' &&
        digits(s, n, 8, 2, &d) && (s[10] == 'T' || s[10] == ' ') && mo >= 1 && mo <= 12 && d >= 1 &&
        d <= 31 && clock_zone(s, n, 11, &tod)) {
        *t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000000LL + tod;
        return true;
    }
    /* 28/Nov/2026:10:00:00 +0000 (common log format) and 28-Nov-2026 10:00:00.123 (BIND) */
    if (digits(s, n, 0, 2, &d) && n > 12 && (s[2] == '/' || s[2] == '-') &&
        (mo = month_of(s, n, 3)) != 0 && s[6] == s[2] && digits(s, n, 7, 4, &y) &&
        (s[11] == ':' || s[11] == ' ') && clock_zone(s, n, 12, &tod)) {
        *t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400000000LL + tod;
        return true;
    }
    /* 1795824000.123456 (Unix seconds, as Zeek writes them) */
    size_t i = 0;
    int64_t sec = 0, us = 0, scale = 100000;
    while (i < n && i < 12 && s[i] >= '0' && s[i] <= '9') {
        sec = sec * 10 + (s[i++] - '0');
    }
    if (i >= 9 && i <= 11 &&
        (i == n || s[i] == '.' || s[i] == '"' || s[i] == '\t' || s[i] == ',')) {
        if (i < n && s[i] == '.') {
            for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
                us += scale * (s[i] - '0');
                scale /= 10;
            }
        }
        *t = sec * 1000000 + us;
        return true;
    }
    return false;
}

struct time_find {
    ts_us *t;
    bool found;
};

static int time_leaf(void *ctx, const struct hunt_leaf *lf)
{
    struct time_find *f = ctx;
    if (strchr(lf->path, '.') == NULL && is_time_name(lf->path, strlen(lf->path)) &&
        hunt_time_parse(lf->value, lf->len, f->t)) {
        f->found = true;
        return 1;
    }
    return 0;
}

bool hunt_record_time(const struct hunt_layout *l, const char *rec, size_t n, ts_us *t)
{
    switch (l->format) {
    case HUNT_FORMAT_JSON: {
        struct time_find f = {t, false};
        (void)hunt_json_leaves(rec, n, time_leaf, &f);
        return f.found;
    }
    case HUNT_FORMAT_ZEEK:
    case HUNT_FORMAT_CSV: {
        const char *v;
        size_t vn;
        return l->time_col >= 0 && hunt_record_column(l, rec, n, l->time_col, &v, &vn) &&
               hunt_time_parse(v, vn, t);
    }
    default: {
        /* a time at the start of the line, or a [bracketed] one near it (web logs) */
        if (hunt_time_parse(rec, n, t)) {
            return true;
        }
        const char *br = memchr(rec, '[', n < 128 ? n : 128);
        return br != NULL && hunt_time_parse(br + 1, n - (size_t)(br + 1 - rec), t);
    }
    }
}

const char *hunt_layout_column(const struct hunt_layout *l, int col)
{
    return col >= 0 && col < l->n_cols ? l->cols[col] : NULL;
}

bool hunt_record_column(const struct hunt_layout *l, const char *rec, size_t n, int col,
                        const char **value, size_t *len)
{
    if (l->sep == 0 || (l->format == HUNT_FORMAT_ZEEK && n > 0 && rec[0] == '#')) {
        return false;
    }
    int c = 0;
    bool quoted = false;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && l->format == HUNT_FORMAT_CSV && rec[i] == '"') {
            quoted = !quoted;
        } else if (i == n || (rec[i] == l->sep && !quoted)) {
            if (c == col) {
                size_t a = start, b = i;
                if (b - a >= 2 && rec[a] == '"' && rec[b - 1] == '"') {
                    a++;
                    b--;
                }
                *value = rec + a;
                *len = b - a;
                return true;
            }
            c++;
            start = i + 1;
        }
    }
    return false;
}
