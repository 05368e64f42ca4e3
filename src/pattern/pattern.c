/*
 * pattern.c — lexer, recursive-descent parser, semantic checks and canonical printer for
 * STIX 2.1 patterns. The grammar is STIXPattern.g4 (cti-stix2-json-schemas); precedence
 * and qualifier rules are STIX 2.1 section 9.5.3 and 9.5.1. Everything a pattern needs
 * lives in one arena freed with the pattern. Bounded: PATTERN_MAX_LEN bytes,
 * PATTERN_MAX_DEPTH nesting, PATTERN_MAX_SET values per IN list.
 */
#include "pattern/pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena --------------------------------------------------------------------------- */

struct chunk {
    struct chunk *next;
    size_t used, cap;
    unsigned char data[];
};

struct pattern {
    struct chunk *chunks;
    size_t bytes;
    size_t next_chunk; /* size of the next chunk: starts near what the text needs, doubles */
    int nodes;
    struct pattern_obs *root;
    pcre2_code **regexes;
    int n_regex, cap_regex;
};

static void *arena_alloc(struct pattern *p, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct chunk *c = p->chunks;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > p->next_chunk ? n : p->next_chunk;
        p->next_chunk = p->next_chunk < 65536 ? p->next_chunk * 2 : 65536;
        c = malloc(sizeof(*c) + cap);
        if (c == NULL) {
            return NULL;
        }
        c->next = p->chunks;
        c->used = 0;
        c->cap = cap;
        p->chunks = c;
        p->bytes += sizeof(*c) + cap;
    }
    void *r = c->data + c->used;
    c->used += n;
    memset(r, 0, n);
    return r;
}

void pattern_free(struct pattern *p)
{
    if (p == NULL) {
        return;
    }
    for (int i = 0; i < p->n_regex; i++) {
        pcre2_code_free(p->regexes[i]);
    }
    free(p->regexes);
    while (p->chunks != NULL) {
        struct chunk *n = p->chunks->next;
        free(p->chunks);
        p->chunks = n;
    }
    free(p);
}

const struct pattern_obs *pattern_root(const struct pattern *p)
{
    return p->root;
}

size_t pattern_memory(const struct pattern *p)
{
    size_t n = sizeof(*p) + p->bytes;
    for (int i = 0; i < p->n_regex; i++) {
        size_t sz = 0;
        pcre2_pattern_info(p->regexes[i], PCRE2_INFO_SIZE, &sz);
        n += sz;
    }
    return n;
}

/* ---- lexer --------------------------------------------------------------------------- */

enum tok {
    T_EOF,
    T_LBRACK,
    T_RBRACK,
    T_LPAREN,
    T_RPAREN,
    T_COLON,
    T_DOT,
    T_COMMA,
    T_STAR,
    T_EQ,
    T_NEQ,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_IDENT,
    T_INT,
    T_FLOAT,
    T_STRING,
    T_BINARY,
    T_HEX,
    T_TIMESTAMP,
    T_BAD,
};

struct token {
    enum tok kind;
    size_t pos, len; /* bytes of the token in the text */
    bool hyphen;     /* IDENT contains '-' */
};

struct parser {
    const char *s;
    size_t n, pos;
    struct token tok;
    struct pattern *p;
    struct err *err;
    int depth;
    bool failed;
};

static size_t column_of(const struct parser *ps, size_t pos)
{
    size_t col = 1;
    for (size_t i = 0; i < pos && i < ps->n; i++) {
        col += ((unsigned char)ps->s[i] & 0xc0) != 0x80;
    }
    return col;
}

static int fail_at(struct parser *ps, size_t pos, const char *fmt, ...) BASE_PRINTF(3, 4);

static int fail_at(struct parser *ps, size_t pos, const char *fmt, ...)
{
    if (ps->failed) {
        return -1;
    }
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps->failed = true;
    return err_set(ps->err, "column %zu: %s", column_of(ps, pos), msg);
}

/* What the current token looks like, for messages: 'AND', ']', "end of pattern". */
static const char *found(const struct parser *ps, char *buf, size_t n)
{
    if (ps->tok.kind == T_EOF) {
        return "the end of the pattern";
    }
    size_t len = ps->tok.len > 40 ? 40 : ps->tok.len;
    snprintf(buf, n, "'%.*s%s'", (int)len, ps->s + ps->tok.pos, ps->tok.len > 40 ? "…" : "");
    return buf;
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Unicode White_Space (STIX 2.1 section 9.4), in UTF-8; returns its byte length or 0. */
static size_t space_len(const char *s, size_t n)
{
    unsigned char c = (unsigned char)s[0];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f') {
        return 1;
    }
    if (n >= 2 && c == 0xc2 && ((unsigned char)s[1] == 0x85 || (unsigned char)s[1] == 0xa0)) {
        return 2;
    }
    if (n >= 3) {
        unsigned c1 = (unsigned char)s[1], c2 = (unsigned char)s[2];
        uint32_t cp = ((c & 0x0fu) << 12) | ((c1 & 0x3fu) << 6) | (c2 & 0x3fu);
        if ((c & 0xf0) == 0xe0 && (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
                                   cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000)) {
            return 3;
        }
    }
    return 0;
}

static void skip_space(struct parser *ps)
{
    for (;;) {
        if (ps->pos >= ps->n) {
            return;
        }
        size_t w = space_len(ps->s + ps->pos, ps->n - ps->pos);
        if (w > 0) {
            ps->pos += w;
        } else if (ps->pos + 1 < ps->n && ps->s[ps->pos] == '/' && ps->s[ps->pos + 1] == '*') {
            const char *end = NULL;
            for (size_t i = ps->pos + 2; i + 1 < ps->n; i++) {
                if (ps->s[i] == '*' && ps->s[i + 1] == '/') {
                    end = ps->s + i;
                    break;
                }
            }
            ps->pos = end ? (size_t)(end - ps->s) + 2 : ps->n;
        } else if (ps->pos + 1 < ps->n && ps->s[ps->pos] == '/' && ps->s[ps->pos + 1] == '/') {
            while (ps->pos < ps->n && ps->s[ps->pos] != '\n' && ps->s[ps->pos] != '\r') {
                ps->pos++;
            }
        } else {
            return;
        }
    }
}

/* Scans a quoted body from s[i] (just after the opening quote); returns the index of the
 * closing quote or n if there is none. */
static size_t scan_quoted(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] != '\'') {
        i += s[i] == '\\' && i + 1 < n ? 2 : 1;
    }
    return i;
}

static void next(struct parser *ps)
{
    skip_space(ps);
    struct token *t = &ps->tok;
    t->pos = ps->pos;
    t->hyphen = false;
    if (ps->pos >= ps->n) {
        t->kind = T_EOF;
        t->len = 0;
        return;
    }
    const char *s = ps->s;
    size_t i = ps->pos, n = ps->n;
    char c = s[i];
    enum tok k = T_BAD;
    size_t len = 1;
    switch (c) {
    case '[':
        k = T_LBRACK;
        break;
    case ']':
        k = T_RBRACK;
        break;
    case '(':
        k = T_LPAREN;
        break;
    case ')':
        k = T_RPAREN;
        break;
    case ':':
        k = T_COLON;
        break;
    case ',':
        k = T_COMMA;
        break;
    case '*':
        k = T_STAR;
        break;
    case '=':
        k = T_EQ;
        len = i + 1 < n && s[i + 1] == '=' ? 2 : 1;
        break;
    case '!':
        if (i + 1 < n && s[i + 1] == '=') {
            k = T_NEQ;
            len = 2;
        }
        break;
    case '<':
        k = i + 1 < n && s[i + 1] == '=' ? T_LE : i + 1 < n && s[i + 1] == '>' ? T_NEQ : T_LT;
        len = k == T_LT ? 1 : 2;
        break;
    case '>':
        k = i + 1 < n && s[i + 1] == '=' ? T_GE : T_GT;
        len = k == T_GE ? 2 : 1;
        break;
    case '\'': {
        size_t e = scan_quoted(s, n, i + 1);
        k = e < n ? T_STRING : T_BAD;
        len = (e < n ? e + 1 : n) - i;
        break;
    }
    default:
        break;
    }
    if (k == T_BAD && (c == 'b' || c == 'h' || c == 't') && i + 1 < n && s[i + 1] == '\'') {
        size_t e = scan_quoted(s, n, i + 2);
        k = e < n ? (c == 'b' ? T_BINARY : c == 'h' ? T_HEX : T_TIMESTAMP) : T_BAD;
        len = (e < n ? e + 1 : n) - i;
    } else if (k == T_BAD && c == '.' && !(i + 1 < n && is_digit(s[i + 1]))) {
        k = T_DOT;
    } else if (k == T_BAD && is_ident_start(c)) {
        size_t j = i + 1;
        while (j < n && (is_ident_char(s[j]) || s[j] == '-')) {
            t->hyphen = t->hyphen || s[j] == '-';
            j++;
        }
        k = T_IDENT;
        len = j - i;
    } else if (k == T_BAD && (is_digit(c) || c == '.' || c == '+' || c == '-')) {
        size_t j = i + (c == '+' || c == '-');
        size_t d0 = j;
        while (j < n && is_digit(s[j])) {
            j++;
        }
        bool frac = j < n && s[j] == '.' && j + 1 < n && is_digit(s[j + 1]);
        if (frac) {
            j++;
            while (j < n && is_digit(s[j])) {
                j++;
            }
            k = T_FLOAT;
        } else if (j > d0) {
            k = T_INT;
        }
        len = j > i ? j - i : 1;
    }
    t->kind = k;
    t->len = len;
    ps->pos = i + len;
}

static bool is_kw(const struct parser *ps, const char *kw)
{
    size_t n = strlen(kw);
    return ps->tok.kind == T_IDENT && ps->tok.len == n && memcmp(ps->s + ps->tok.pos, kw, n) == 0;
}

static int expect(struct parser *ps, enum tok k, const char *what, const char *why)
{
    char b[64];
    if (ps->tok.kind != k) {
        return fail_at(ps, ps->tok.pos, "expected %s%s%s, found %s", what, why ? " " : "",
                       why ? why : "", found(ps, b, sizeof(b)));
    }
    next(ps);
    return 0;
}

static int expect_kw(struct parser *ps, const char *kw, const char *why)
{
    char b[64];
    if (!is_kw(ps, kw)) {
        return fail_at(ps, ps->tok.pos, "expected %s %s, found %s", kw, why,
                       found(ps, b, sizeof(b)));
    }
    next(ps);
    return 0;
}

static void *node(struct parser *ps, size_t size)
{
    if (++ps->p->nodes > PATTERN_MAX_NODES) {
        fail_at(ps, ps->tok.pos, "pattern has more than %d parts", PATTERN_MAX_NODES);
        return NULL;
    }
    void *r = arena_alloc(ps->p, size);
    if (r == NULL) {
        fail_at(ps, ps->tok.pos, "out of memory");
    }
    return r;
}

static char *copy_text(struct parser *ps, const char *s, size_t n)
{
    char *r = arena_alloc(ps->p, n + 1);
    if (r == NULL) {
        fail_at(ps, ps->tok.pos, "out of memory");
        return NULL;
    }
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

/* ---- literals -------------------------------------------------------------------------- */

/* Decodes a quoted body (the text between the quotes): only \' and \\ are escapes
 * (STIX 2.1 section 9.2, string). */
static int decode_string(struct parser *ps, size_t pos, const char *s, size_t n,
                         struct pattern_lit *lit)
{
    char *out = arena_alloc(ps->p, n + 1);
    size_t o = 0;
    if (out == NULL) {
        return fail_at(ps, pos, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            if (i + 1 >= n || (s[i + 1] != '\'' && s[i + 1] != '\\')) {
                return fail_at(ps, pos + 1 + i,
                               "in a string only \\' and \\\\ are escapes; write \\\\ for a "
                               "backslash");
            }
            i++;
        }
        out[o++] = s[i];
    }
    out[o] = '\0';
    if (!str_utf8_valid(out, o)) {
        return fail_at(ps, pos, "string is not valid UTF-8");
    }
    lit->kind = PATTERN_LIT_STRING;
    lit->text = out;
    lit->len = o;
    return 0;
}

static int parse_literal(struct parser *ps, struct pattern_lit *lit, const char *expected)
{
    char b[64];
    const struct token t = ps->tok;
    const char *s = ps->s + t.pos;
    switch (t.kind) {
    case T_INT: {
        char tmp[32];
        const char *d = s + (s[0] == '+' || s[0] == '-');
        size_t dl = t.len - (size_t)(d - s);
        if (dl > 1 && d[0] == '0') {
            return fail_at(ps, t.pos, "integer %.*s has a leading zero", (int)t.len, s);
        }
        if (t.len >= sizeof(tmp)) {
            return fail_at(ps, t.pos, "integer %.*s is out of range", (int)t.len, s);
        }
        memcpy(tmp, s[0] == '+' ? s + 1 : s, t.len - (s[0] == '+'));
        tmp[t.len - (s[0] == '+')] = '\0';
        if (str_to_i64(tmp, INT64_MIN + 1, INT64_MAX, &lit->i) != 0) {
            return fail_at(ps, t.pos, "integer %.*s is out of range", (int)t.len, s);
        }
        lit->kind = PATTERN_LIT_INT;
        break;
    }
    case T_FLOAT: {
        char tmp[400];
        if (t.len >= sizeof(tmp)) {
            return fail_at(ps, t.pos, "number too long");
        }
        memcpy(tmp, s, t.len);
        tmp[t.len] = '\0';
        lit->kind = PATTERN_LIT_FLOAT;
        lit->f = strtod(tmp, NULL);
        if (!isfinite(lit->f)) {
            return fail_at(ps, t.pos, "number %s is out of range", tmp);
        }
        const char *norm = tmp[0] == '+' ? tmp + 1 : tmp;
        lit->text = copy_text(ps, norm, strlen(norm));
        if (lit->text == NULL) {
            return -1;
        }
        break;
    }
    case T_STRING:
        if (decode_string(ps, t.pos, s + 1, t.len - 2, lit) != 0) {
            return -1;
        }
        break;
    case T_BINARY: {
        size_t n = t.len - 3;
        unsigned char *out = arena_alloc(ps->p, n + 1);
        long m = out ? b64_decode(s + 2, n, out, n + 1) : -1;
        if (m < 0 || n == 0) {
            return fail_at(ps, t.pos, "b'%.*s' is not valid base64", (int)(n > 40 ? 40 : n), s + 2);
        }
        lit->kind = PATTERN_LIT_BINARY;
        lit->bytes = out;
        lit->len = (size_t)m;
        break;
    }
    case T_HEX: {
        size_t n = t.len - 3;
        if (!hex_valid(s + 2, n)) {
            return fail_at(ps, t.pos, "h'%.*s' is not an even number of hex digits",
                           (int)(n > 40 ? 40 : n), s + 2);
        }
        unsigned char *out = arena_alloc(ps->p, n / 2 + 1);
        if (out == NULL) {
            return fail_at(ps, t.pos, "out of memory");
        }
        for (size_t i = 0; i < n; i += 2) {
            char pair[3] = {s[2 + i], s[3 + i], 0};
            int64_t v = 0;
            for (int k = 0; k < 2; k++) {
                char c = pair[k];
                v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            }
            out[i / 2] = (unsigned char)v;
        }
        lit->kind = PATTERN_LIT_HEX;
        lit->bytes = out;
        lit->len = n / 2;
        break;
    }
    case T_TIMESTAMP: {
        char *txt = copy_text(ps, s + 2, t.len - 3);
        if (txt == NULL) {
            return -1;
        }
        if (ts_parse(txt, &lit->t, NULL) != 0) {
            return fail_at(ps, t.pos,
                           "t'%.40s' is not a valid RFC 3339 timestamp "
                           "(YYYY-MM-DDTHH:MM:SS[.s+]Z)",
                           txt);
        }
        lit->kind = PATTERN_LIT_TIMESTAMP;
        lit->text = txt;
        break;
    }
    case T_IDENT:
        if (is_kw(ps, "true") || is_kw(ps, "false")) {
            lit->kind = PATTERN_LIT_BOOL;
            lit->i = is_kw(ps, "true");
            break;
        }
        /* fall through */
    default:
        if (t.kind == T_BAD && (s[0] == '\'' || (t.len > 1 && s[1] == '\''))) {
            return fail_at(ps, t.pos, "string not closed: a ' is missing");
        }
        return fail_at(ps, t.pos, "expected %s, found %s", expected, found(ps, b, sizeof(b)));
    }
    next(ps);
    return 0;
}

/* ---- object paths (section 9.7) ------------------------------------------------------- */

static int parse_key(struct parser *ps, struct pattern_step *st, bool first)
{
    char b[64];
    if (ps->tok.kind == T_IDENT) {
        if (ps->tok.hyphen) {
            return fail_at(ps, ps->tok.pos, "property name %s contains '-': quote it ('%.*s')",
                           found(ps, b, sizeof(b)), (int)ps->tok.len, ps->s + ps->tok.pos);
        }
        st->key = copy_text(ps, ps->s + ps->tok.pos, ps->tok.len);
        st->kind = PATTERN_STEP_KEY;
    } else if (ps->tok.kind == T_STRING) {
        struct pattern_lit l;
        if (decode_string(ps, ps->tok.pos, ps->s + ps->tok.pos + 1, ps->tok.len - 2, &l) != 0) {
            return -1;
        }
        st->key = l.text;
        st->quoted = true;
        st->kind = PATTERN_STEP_KEY;
    } else {
        return fail_at(ps, ps->tok.pos, "expected a property name, found %s",
                       found(ps, b, sizeof(b)));
    }
    if (st->key == NULL) {
        return -1;
    }
    if (first && !stix_prop_name_ok(st->key, strlen(st->key), 1)) {
        return fail_at(ps, ps->tok.pos,
                       "'%.60s' is not a valid property name (lowercase a-z, 0-9 and _)", st->key);
    }
    next(ps);
    return 0;
}

static int parse_path(struct parser *ps, struct pattern_path *path)
{
    char b[64];
    if (ps->tok.kind != T_IDENT) {
        return fail_at(ps, ps->tok.pos, "expected an object path such as file:name, found %s",
                       found(ps, b, sizeof(b)));
    }
    if (!stix_type_name_ok(ps->s + ps->tok.pos, ps->tok.len)) {
        return fail_at(ps, ps->tok.pos,
                       "%s is not a valid object type (3-250 lowercase letters, digits and "
                       "single hyphens)",
                       found(ps, b, sizeof(b)));
    }
    path->type = copy_text(ps, ps->s + ps->tok.pos, ps->tok.len);
    next(ps);
    if (path->type == NULL || expect(ps, T_COLON, "':'", "after the object type") != 0) {
        return -1;
    }
    struct pattern_step steps[128];
    int n = 0;
    if (parse_key(ps, &steps[n++], true) != 0) {
        return -1;
    }
    for (;;) {
        if (n == (int)BASE_ARRAY_LEN(steps)) {
            return fail_at(ps, ps->tok.pos, "object path longer than %zu steps",
                           BASE_ARRAY_LEN(steps));
        }
        if (ps->tok.kind == T_DOT) {
            next(ps);
            if (parse_key(ps, &steps[n++], false) != 0) {
                return -1;
            }
        } else if (ps->tok.kind == T_LBRACK) {
            next(ps);
            struct pattern_step *st = &steps[n++];
            if (ps->tok.kind == T_STAR) {
                st->kind = PATTERN_STEP_ANY;
                next(ps);
            } else {
                struct pattern_lit l;
                if (ps->tok.kind != T_INT) {
                    return fail_at(ps, ps->tok.pos,
                                   "expected a list index or '*' in brackets, found %s",
                                   found(ps, b, sizeof(b)));
                }
                if (parse_literal(ps, &l, "a list index") != 0) {
                    return -1;
                }
                st->kind = PATTERN_STEP_INDEX;
                st->index = l.i;
            }
            if (expect(ps, T_RBRACK, "']'", "to close the list index") != 0) {
                return -1;
            }
        } else {
            break;
        }
    }
    path->steps = arena_alloc(ps->p, sizeof(*steps) * (size_t)n);
    if (path->steps == NULL) {
        return fail_at(ps, ps->tok.pos, "out of memory");
    }
    memcpy(path->steps, steps, sizeof(*steps) * (size_t)n);
    path->n_steps = n;
    return 0;
}

/* ---- comparison expressions (section 9.6) ----------------------------------------------- */

static bool cidr_ok(const char *s)
{
    struct ip_prefix p;
    return ip_prefix_parse(s, strlen(s), &p) == 0;
}

static int add_regex(struct parser *ps, struct pattern_cmp *c, size_t pos)
{
    int code;
    PCRE2_SIZE off;
    /* STIX 2.1 9.6.1: PCRE, search semantics, DOTALL. */
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)c->lits[0].text, c->lits[0].len,
                                   PCRE2_UTF | PCRE2_DOTALL, &code, &off, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof(msg));
        return fail_at(ps, pos,
                       "MATCHES operand is not a valid regular expression: %s at offset %zu",
                       (const char *)msg, (size_t)off);
    }
    struct pattern *p = ps->p;
    if (p->n_regex == p->cap_regex) {
        int cap = p->cap_regex ? p->cap_regex * 2 : 4;
        pcre2_code **r = realloc(p->regexes, sizeof(*r) * (size_t)cap);
        if (r == NULL) {
            pcre2_code_free(re);
            return fail_at(ps, pos, "out of memory");
        }
        p->regexes = r;
        p->cap_regex = cap;
    }
    p->regexes[p->n_regex++] = re;
    c->regex = re;
    return 0;
}

static bool numeric(enum pattern_lit_kind k)
{
    return k == PATTERN_LIT_INT || k == PATTERN_LIT_FLOAT;
}

static struct pattern_cmp *parse_cmp_or(struct parser *ps);

static struct pattern_cmp *parse_test(struct parser *ps)
{
    char b[64];
    struct pattern_cmp *c = node(ps, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->kind = PATTERN_CMP_TEST;
    if (is_kw(ps, "NOT") || is_kw(ps, "EXISTS")) {
        c->negated = is_kw(ps, "NOT");
        if (c->negated) {
            next(ps);
        }
        if (expect_kw(ps, "EXISTS", "after NOT before an object path") != 0 ||
            parse_path(ps, &c->path) != 0) {
            return NULL;
        }
        c->op = PATTERN_OP_EXISTS;
        return c;
    }
    if (parse_path(ps, &c->path) != 0) {
        return NULL;
    }
    if (is_kw(ps, "NOT")) {
        c->negated = true;
        next(ps);
    }
    size_t op_pos = ps->tok.pos, op_len = ps->tok.len;
    switch (ps->tok.kind) {
    case T_EQ:
        c->op = PATTERN_OP_EQ;
        break;
    case T_NEQ:
        c->op = PATTERN_OP_NEQ;
        break;
    case T_GT:
        c->op = PATTERN_OP_GT;
        break;
    case T_LT:
        c->op = PATTERN_OP_LT;
        break;
    case T_GE:
        c->op = PATTERN_OP_GE;
        break;
    case T_LE:
        c->op = PATTERN_OP_LE;
        break;
    default:
        if (is_kw(ps, "IN")) {
            c->op = PATTERN_OP_IN;
        } else if (is_kw(ps, "LIKE")) {
            c->op = PATTERN_OP_LIKE;
        } else if (is_kw(ps, "MATCHES")) {
            c->op = PATTERN_OP_MATCHES;
        } else if (is_kw(ps, "ISSUBSET")) {
            c->op = PATTERN_OP_ISSUBSET;
        } else if (is_kw(ps, "ISSUPERSET")) {
            c->op = PATTERN_OP_ISSUPERSET;
        } else {
            fail_at(ps, ps->tok.pos,
                    "expected a comparison operator (=, !=, <, >, <=, >=, IN, LIKE, MATCHES, "
                    "ISSUBSET, ISSUPERSET) after the object path, found %s",
                    found(ps, b, sizeof(b)));
            return NULL;
        }
    }
    next(ps);
    if (c->op == PATTERN_OP_IN) {
        struct pattern_lit set[64];
        struct pattern_lit *items = set;
        int n = 0, cap = (int)BASE_ARRAY_LEN(set);
        size_t set_pos = ps->tok.pos;
        if (expect(ps, T_LPAREN, "'('", "to open the IN list") != 0) {
            return NULL;
        }
        while (ps->tok.kind != T_RPAREN) {
            if (n > 0 && expect(ps, T_COMMA, "',' or ')'", "in the IN list") != 0) {
                return NULL;
            }
            if (n == PATTERN_MAX_SET) {
                fail_at(ps, ps->tok.pos, "IN list longer than %d values", PATTERN_MAX_SET);
                return NULL;
            }
            if (n == cap) {
                struct pattern_lit *grown = arena_alloc(ps->p, sizeof(*grown) * (size_t)cap * 2);
                if (grown == NULL) {
                    fail_at(ps, ps->tok.pos, "out of memory");
                    return NULL;
                }
                memcpy(grown, items, sizeof(*grown) * (size_t)n);
                items = grown;
                cap *= 2;
            }
            size_t lit_pos = ps->tok.pos;
            if (parse_literal(ps, &items[n], "a constant in the IN list") != 0) {
                return NULL;
            }
            /* "The set values … MUST be constants of homogeneous data type" (9.6.1) */
            if (n > 0 && items[n].kind != items[0].kind &&
                !(numeric(items[n].kind) && numeric(items[0].kind))) {
                fail_at(ps, lit_pos, "IN list mixes types: all values must be of one type");
                return NULL;
            }
            n++;
        }
        next(ps);
        if (n == 0) {
            fail_at(ps, set_pos, "IN list is empty");
            return NULL;
        }
        c->lits = arena_alloc(ps->p, sizeof(*items) * (size_t)n);
        if (c->lits == NULL) {
            fail_at(ps, set_pos, "out of memory");
            return NULL;
        }
        memcpy(c->lits, items, sizeof(*items) * (size_t)n);
        c->n_lits = n;
        return c;
    }
    c->lits = arena_alloc(ps->p, sizeof(*c->lits));
    c->n_lits = 1;
    size_t lit_pos = ps->tok.pos;
    if (c->lits == NULL) {
        fail_at(ps, lit_pos, "out of memory");
        return NULL;
    }
    bool string_only = c->op == PATTERN_OP_LIKE || c->op == PATTERN_OP_MATCHES ||
                       c->op == PATTERN_OP_ISSUBSET || c->op == PATTERN_OP_ISSUPERSET;
    if (string_only && ps->tok.kind != T_STRING) {
        fail_at(ps, lit_pos, "%.*s needs a string constant, found %s", (int)op_len, ps->s + op_pos,
                found(ps, b, sizeof(b)));
        return NULL;
    }
    if (parse_literal(ps, c->lits, "a constant to compare with") != 0) {
        return NULL;
    }
    bool ordered = c->op == PATTERN_OP_GT || c->op == PATTERN_OP_LT || c->op == PATTERN_OP_GE ||
                   c->op == PATTERN_OP_LE;
    if (ordered && c->lits[0].kind == PATTERN_LIT_BOOL) {
        fail_at(ps, lit_pos, "booleans have no order: use = or != with true or false");
        return NULL;
    }
    if ((c->op == PATTERN_OP_ISSUBSET || c->op == PATTERN_OP_ISSUPERSET) &&
        !cidr_ok(c->lits[0].text)) {
        fail_at(ps, lit_pos, "'%.60s' is not an IP address or CIDR range", c->lits[0].text);
        return NULL;
    }
    if (c->op == PATTERN_OP_MATCHES && add_regex(ps, c, lit_pos) != 0) {
        return NULL;
    }
    if (c->op == PATTERN_OP_LIKE) {
        /* "The string constant b MUST be NFC normalized prior to evaluation" (9.6.1) */
        size_t nn;
        char *norm = pattern_nfc(c->lits[0].text, c->lits[0].len, &nn);
        if (norm != NULL) {
            char *kept = copy_text(ps, norm, nn);
            free(norm);
            if (kept == NULL) {
                return NULL;
            }
            c->lits[0].text = kept;
            c->lits[0].len = nn;
        }
    }
    return c;
}

static struct pattern_cmp *parse_cmp_primary(struct parser *ps)
{
    if (ps->tok.kind == T_LPAREN) {
        if (++ps->depth > PATTERN_MAX_DEPTH) {
            fail_at(ps, ps->tok.pos, "nested deeper than %d levels", PATTERN_MAX_DEPTH);
            return NULL;
        }
        next(ps);
        struct pattern_cmp *c = parse_cmp_or(ps);
        if (c == NULL ||
            expect(ps, T_RPAREN, "')'", "to close the parenthesised comparison") != 0) {
            return NULL;
        }
        ps->depth--;
        return c;
    }
    return parse_test(ps);
}

static struct pattern_cmp *cmp_binary(struct parser *ps, enum pattern_cmp_kind k,
                                      struct pattern_cmp *l, struct pattern_cmp *r)
{
    struct pattern_cmp *c = node(ps, sizeof(*c));
    if (c != NULL) {
        c->kind = k;
        c->left = l;
        c->right = r;
    }
    return c;
}

/* The object types a comparison can be satisfied by: AND intersects, OR unites (9.5: "All
 * operands of AND in an Observation Expression MUST be satisfiable with the same object"). */
#define MAX_TYPES 32
struct typeset {
    const char *t[MAX_TYPES];
    int n;
};

static void types_of(const struct pattern_cmp *c, struct typeset *out)
{
    if (c->kind == PATTERN_CMP_TEST) {
        out->n = 1;
        out->t[0] = c->path.type;
        return;
    }
    struct typeset l, r;
    types_of(c->left, &l);
    types_of(c->right, &r);
    out->n = 0;
    if (c->kind == PATTERN_CMP_OR) {
        *out = l;
        for (int i = 0; i < r.n; i++) {
            bool dup = false;
            for (int k = 0; k < out->n; k++) {
                dup = dup || strcmp(out->t[k], r.t[i]) == 0;
            }
            if (!dup && out->n < MAX_TYPES) {
                out->t[out->n++] = r.t[i];
            }
        }
        return;
    }
    for (int i = 0; i < l.n; i++) {
        for (int k = 0; k < r.n; k++) {
            if (strcmp(l.t[i], r.t[k]) == 0) {
                out->t[out->n++] = l.t[i];
            }
        }
    }
}

static struct pattern_cmp *parse_cmp_and(struct parser *ps)
{
    struct pattern_cmp *l = parse_cmp_primary(ps);
    while (l != NULL && is_kw(ps, "AND")) {
        size_t at = ps->tok.pos;
        next(ps);
        struct pattern_cmp *r = parse_cmp_primary(ps);
        if (r == NULL) {
            return NULL;
        }
        l = cmp_binary(ps, PATTERN_CMP_AND, l, r);
        struct typeset ts;
        if (l != NULL) {
            types_of(l, &ts);
            if (ts.n == 0) {
                fail_at(ps, at,
                        "AND joins comparisons that no single object can satisfy (different "
                        "object types); use OR, or separate observation expressions");
                return NULL;
            }
        }
    }
    return l;
}

static struct pattern_cmp *parse_cmp_or(struct parser *ps)
{
    struct pattern_cmp *l = parse_cmp_and(ps);
    while (l != NULL && is_kw(ps, "OR")) {
        next(ps);
        struct pattern_cmp *r = parse_cmp_and(ps);
        if (r == NULL) {
            return NULL;
        }
        l = cmp_binary(ps, PATTERN_CMP_OR, l, r);
    }
    return l;
}

/* ---- observation expressions (section 9.5) ----------------------------------------------- */

static struct pattern_obs *parse_obs_followedby(struct parser *ps);

static struct pattern_obs *parse_obs_primary(struct parser *ps)
{
    char b[64];
    if (++ps->depth > PATTERN_MAX_DEPTH) {
        fail_at(ps, ps->tok.pos, "nested deeper than %d levels", PATTERN_MAX_DEPTH);
        return NULL;
    }
    struct pattern_obs *o = NULL;
    if (ps->tok.kind == T_LBRACK) {
        next(ps);
        struct pattern_cmp *c = parse_cmp_or(ps);
        if (c == NULL || expect(ps, T_RBRACK, "']'", "to close the observation expression") != 0) {
            return NULL;
        }
        o = node(ps, sizeof(*o));
        if (o != NULL) {
            o->kind = PATTERN_OBS_SIMPLE;
            o->cmp = c;
        }
    } else if (ps->tok.kind == T_LPAREN) {
        next(ps);
        o = parse_obs_followedby(ps);
        if (o == NULL ||
            expect(ps, T_RPAREN, "')'", "to close the parenthesised expression") != 0) {
            return NULL;
        }
    } else {
        fail_at(ps, ps->tok.pos, "expected '[' to open an observation expression, found %s",
                found(ps, b, sizeof(b)));
        return NULL;
    }
    ps->depth--;
    return o;
}

static struct pattern_obs *parse_obs_qualified(struct parser *ps)
{
    char b[64];
    struct pattern_obs *o = parse_obs_primary(ps);
    bool seen_within = false, seen_repeats = false, seen_start = false;
    while (o != NULL) {
        bool within = is_kw(ps, "WITHIN"), repeats = is_kw(ps, "REPEATS"),
             start = is_kw(ps, "START");
        if (!within && !repeats && !start) {
            break;
        }
        size_t at = ps->tok.pos;
        /* "An Observation Expression MUST NOT have more than one Qualifier of a particular
         * type" (9.5.1). */
        if ((within && seen_within) || (repeats && seen_repeats) || (start && seen_start)) {
            fail_at(ps, at, "more than one %.*s qualifier on the same observation expression",
                    (int)ps->tok.len, ps->s + at);
            return NULL;
        }
        next(ps);
        struct pattern_obs *q = node(ps, sizeof(*q));
        if (q == NULL) {
            return NULL;
        }
        q->child = o;
        size_t lit_pos = ps->tok.pos;
        struct pattern_lit l;
        if (within) {
            seen_within = true;
            q->kind = PATTERN_OBS_WITHIN;
            if (ps->tok.kind != T_INT && ps->tok.kind != T_FLOAT) {
                fail_at(ps, lit_pos, "expected a number of seconds after WITHIN, found %s",
                        found(ps, b, sizeof(b)));
                return NULL;
            }
            if (parse_literal(ps, &l, "a number of seconds") != 0) {
                return NULL;
            }
            q->within = l.kind == PATTERN_LIT_INT ? (double)l.i : l.f;
            if (!(q->within > 0)) {
                fail_at(ps, lit_pos, "WITHIN needs a positive number of seconds");
                return NULL;
            }
            char txt[64];
            if (l.kind == PATTERN_LIT_INT) {
                snprintf(txt, sizeof(txt), "%lld", (long long)l.i);
                q->within_text = copy_text(ps, txt, strlen(txt));
            } else {
                q->within_text = l.text;
            }
            if (q->within_text == NULL || expect_kw(ps, "SECONDS", "after the WITHIN value") != 0) {
                return NULL;
            }
        } else if (repeats) {
            seen_repeats = true;
            q->kind = PATTERN_OBS_REPEATS;
            if (ps->tok.kind != T_INT) {
                fail_at(ps, lit_pos, "expected a whole number after REPEATS, found %s",
                        found(ps, b, sizeof(b)));
                return NULL;
            }
            if (parse_literal(ps, &l, "a whole number") != 0) {
                return NULL;
            }
            if (l.i <= 0) {
                fail_at(ps, lit_pos, "REPEATS needs a positive whole number");
                return NULL;
            }
            q->repeats = l.i;
            if (expect_kw(ps, "TIMES", "after the REPEATS count") != 0) {
                return NULL;
            }
        } else {
            seen_start = true;
            q->kind = PATTERN_OBS_STARTSTOP;
            if (ps->tok.kind != T_TIMESTAMP) {
                fail_at(ps, lit_pos, "expected a timestamp t'…' after START, found %s",
                        found(ps, b, sizeof(b)));
                return NULL;
            }
            if (parse_literal(ps, &l, "a timestamp") != 0) {
                return NULL;
            }
            q->start = l.t;
            q->start_text = l.text;
            if (expect_kw(ps, "STOP", "after the START timestamp") != 0) {
                return NULL;
            }
            size_t stop_pos = ps->tok.pos;
            if (ps->tok.kind != T_TIMESTAMP) {
                fail_at(ps, stop_pos, "expected a timestamp t'…' after STOP, found %s",
                        found(ps, b, sizeof(b)));
                return NULL;
            }
            if (parse_literal(ps, &l, "a timestamp") != 0) {
                return NULL;
            }
            q->stop = l.t;
            q->stop_text = l.text;
            if (q->stop <= q->start) {
                fail_at(ps, stop_pos, "STOP must be later than START");
                return NULL;
            }
        }
        o = q;
    }
    return o;
}

static struct pattern_obs *obs_binary(struct parser *ps, enum pattern_obs_kind k,
                                      struct pattern_obs *l, struct pattern_obs *r)
{
    struct pattern_obs *o = node(ps, sizeof(*o));
    if (o != NULL) {
        o->kind = k;
        o->left = l;
        o->right = r;
    }
    return o;
}

/* AND binds tighter than OR, OR tighter than FOLLOWEDBY; all left to right (9.5.3). */
static struct pattern_obs *parse_obs_and(struct parser *ps)
{
    struct pattern_obs *l = parse_obs_qualified(ps);
    while (l != NULL && is_kw(ps, "AND")) {
        next(ps);
        struct pattern_obs *r = parse_obs_qualified(ps);
        l = r ? obs_binary(ps, PATTERN_OBS_AND, l, r) : NULL;
    }
    return l;
}

static struct pattern_obs *parse_obs_or(struct parser *ps)
{
    struct pattern_obs *l = parse_obs_and(ps);
    while (l != NULL && is_kw(ps, "OR")) {
        next(ps);
        struct pattern_obs *r = parse_obs_and(ps);
        l = r ? obs_binary(ps, PATTERN_OBS_OR, l, r) : NULL;
    }
    return l;
}

static struct pattern_obs *parse_obs_followedby(struct parser *ps)
{
    struct pattern_obs *l = parse_obs_or(ps);
    while (l != NULL && is_kw(ps, "FOLLOWEDBY")) {
        next(ps);
        struct pattern_obs *r = parse_obs_or(ps);
        l = r ? obs_binary(ps, PATTERN_OBS_FOLLOWEDBY, l, r) : NULL;
    }
    return l;
}

struct pattern *pattern_parse(const char *text, size_t len, struct err *err)
{
    if (len > PATTERN_MAX_LEN) {
        err_set(err, "column 1: pattern longer than %d bytes", PATTERN_MAX_LEN);
        return NULL;
    }
    if (!str_utf8_valid(text, len) || memchr(text, '\0', len) != NULL) {
        err_set(err, "column 1: pattern is not valid UTF-8 text");
        return NULL;
    }
    struct pattern *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    /* A parsed pattern takes a few times its text in nodes: size the first chunk for that
     * so that a million small patterns do not each hold a 16 KiB chunk (measured). */
    p->next_chunk = 256 + 6 * len;
    struct parser ps = {.s = text, .n = len, .p = p, .err = err};
    next(&ps);
    if (ps.tok.kind == T_EOF) {
        fail_at(&ps, 0, "empty pattern: expected '[' to open an observation expression");
        pattern_free(p);
        return NULL;
    }
    p->root = parse_obs_followedby(&ps);
    if (p->root != NULL && ps.tok.kind != T_EOF) {
        char b[64];
        fail_at(&ps, ps.tok.pos,
                "expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found %s",
                found(&ps, b, sizeof(b)));
        p->root = NULL;
    }
    if (p->root == NULL || ps.failed) {
        if (!ps.failed) {
            err_set(err, "column 1: invalid pattern");
        }
        pattern_free(p);
        return NULL;
    }
    return p;
}

int pattern_validate(const char *text, size_t len, struct err *err)
{
    struct pattern *p = pattern_parse(text, len, err);
    if (p == NULL) {
        return -1;
    }
    pattern_free(p);
    return 0;
}

/* ---- canonical printing --------------------------------------------------------------- */

static bool plain_ident(const char *s)
{
    if (!is_ident_start(s[0])) {
        return false;
    }
    for (const char *c = s + 1; *c; c++) {
        if (!is_ident_char(*c)) {
            return false;
        }
    }
    /* a key spelled like a keyword still lexes as an identifier: no quoting needed */
    return true;
}

static int print_quoted(struct buf *b, const char *prefix, const char *s, size_t n)
{
    if (buf_puts(b, prefix) || buf_puts(b, "'")) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if ((s[i] == '\'' || s[i] == '\\') && buf_puts(b, "\\")) {
            return -1;
        }
        if (buf_append(b, s + i, 1)) {
            return -1;
        }
    }
    return buf_puts(b, "'");
}

static int print_lit(struct buf *b, const struct pattern_lit *l)
{
    switch (l->kind) {
    case PATTERN_LIT_INT:
        return buf_printf(b, "%lld", (long long)l->i);
    case PATTERN_LIT_FLOAT:
        return buf_puts(b, l->text);
    case PATTERN_LIT_STRING:
        return print_quoted(b, "", l->text, l->len);
    case PATTERN_LIT_BOOL:
        return buf_puts(b, l->i ? "true" : "false");
    case PATTERN_LIT_BINARY: {
        char *enc = malloc(4 * ((l->len + 2) / 3) + 1);
        if (enc == NULL) {
            return -1;
        }
        b64_encode(l->bytes, l->len, enc);
        int rc = buf_printf(b, "b'%s'", enc);
        free(enc);
        return rc;
    }
    case PATTERN_LIT_HEX: {
        char *hex = malloc(2 * l->len + 1);
        if (hex == NULL) {
            return -1;
        }
        hex_encode(l->bytes, l->len, hex);
        int rc = buf_printf(b, "h'%s'", hex);
        free(hex);
        return rc;
    }
    case PATTERN_LIT_TIMESTAMP:
        return buf_printf(b, "t'%s'", l->text);
    }
    return -1;
}

static int print_path(struct buf *b, const struct pattern_path *p)
{
    if (buf_printf(b, "%s:", p->type)) {
        return -1;
    }
    for (int i = 0; i < p->n_steps; i++) {
        const struct pattern_step *s = &p->steps[i];
        int rc;
        if (s->kind == PATTERN_STEP_INDEX) {
            rc = buf_printf(b, "[%lld]", (long long)s->index);
        } else if (s->kind == PATTERN_STEP_ANY) {
            rc = buf_puts(b, "[*]");
        } else if (plain_ident(s->key)) {
            rc = buf_printf(b, "%s%s", i ? "." : "", s->key);
        } else {
            rc = print_quoted(b, i ? "." : "", s->key, strlen(s->key));
        }
        if (rc) {
            return -1;
        }
    }
    return 0;
}

static const char *const op_text[] = {
    "=", "!=", ">", "<", ">=", "<=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"};

static int cmp_prec(const struct pattern_cmp *c)
{
    return c->kind == PATTERN_CMP_OR ? 1 : c->kind == PATTERN_CMP_AND ? 2 : 3;
}

static int print_cmp(struct buf *b, const struct pattern_cmp *c)
{
    if (c->kind == PATTERN_CMP_TEST) {
        if (c->op == PATTERN_OP_EXISTS) {
            return buf_puts(b, c->negated ? "NOT EXISTS " : "EXISTS ") || print_path(b, &c->path);
        }
        if (print_path(b, &c->path) ||
            buf_printf(b, " %s%s ", c->negated ? "NOT " : "", op_text[c->op])) {
            return -1;
        }
        if (c->op != PATTERN_OP_IN) {
            return print_lit(b, &c->lits[0]);
        }
        if (buf_puts(b, "(")) {
            return -1;
        }
        for (int i = 0; i < c->n_lits; i++) {
            if ((i && buf_puts(b, ", ")) || print_lit(b, &c->lits[i])) {
                return -1;
            }
        }
        return buf_puts(b, ")");
    }
    int p = cmp_prec(c);
    bool lp = cmp_prec(c->left) < p, rp = cmp_prec(c->right) <= p;
    return (lp && buf_puts(b, "(")) || print_cmp(b, c->left) || (lp && buf_puts(b, ")")) ||
           buf_puts(b, c->kind == PATTERN_CMP_AND ? " AND " : " OR ") || (rp && buf_puts(b, "(")) ||
           print_cmp(b, c->right) || (rp && buf_puts(b, ")"));
}

static int obs_prec(const struct pattern_obs *o)
{
    switch (o->kind) {
    case PATTERN_OBS_FOLLOWEDBY:
        return 1;
    case PATTERN_OBS_OR:
        return 2;
    case PATTERN_OBS_AND:
        return 3;
    default:
        return 4;
    }
}

/* Whether a qualifier chain already holds a qualifier of this kind (then the child needs
 * parentheses, or the reprint would carry a duplicate qualifier). */
static bool chain_has(const struct pattern_obs *o, enum pattern_obs_kind k)
{
    for (; o != NULL && o->kind >= PATTERN_OBS_WITHIN; o = o->child) {
        if (o->kind == k) {
            return true;
        }
    }
    return false;
}

static int print_obs(struct buf *b, const struct pattern_obs *o)
{
    switch (o->kind) {
    case PATTERN_OBS_SIMPLE:
        return buf_puts(b, "[") || print_cmp(b, o->cmp) || buf_puts(b, "]");
    case PATTERN_OBS_AND:
    case PATTERN_OBS_OR:
    case PATTERN_OBS_FOLLOWEDBY: {
        static const char *const names[] = {"", " AND ", " OR ", " FOLLOWEDBY "};
        int p = obs_prec(o);
        bool lp = obs_prec(o->left) < p, rp = obs_prec(o->right) <= p;
        return (lp && buf_puts(b, "(")) || print_obs(b, o->left) || (lp && buf_puts(b, ")")) ||
               buf_puts(b, names[o->kind]) || (rp && buf_puts(b, "(")) || print_obs(b, o->right) ||
               (rp && buf_puts(b, ")"));
    }
    default: {
        bool paren = obs_prec(o->child) < 4 || chain_has(o->child, o->kind);
        if ((paren && buf_puts(b, "(")) || print_obs(b, o->child) || (paren && buf_puts(b, ")"))) {
            return -1;
        }
        if (o->kind == PATTERN_OBS_WITHIN) {
            return buf_printf(b, " WITHIN %s SECONDS", o->within_text);
        }
        if (o->kind == PATTERN_OBS_REPEATS) {
            return buf_printf(b, " REPEATS %lld TIMES", (long long)o->repeats);
        }
        return buf_printf(b, " START t'%s' STOP t'%s'", o->start_text, o->stop_text);
    }
    }
}

int pattern_print(const struct pattern *p, struct buf *out)
{
    return print_obs(out, p->root);
}

/* ---- equality ------------------------------------------------------------------------- */

static bool lit_equal(const struct pattern_lit *a, const struct pattern_lit *b)
{
    if (a->kind != b->kind) {
        return false;
    }
    switch (a->kind) {
    case PATTERN_LIT_INT:
    case PATTERN_LIT_BOOL:
        return a->i == b->i;
    case PATTERN_LIT_FLOAT:
        return a->f == b->f;
    case PATTERN_LIT_TIMESTAMP:
        return a->t == b->t;
    case PATTERN_LIT_STRING:
        return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
    case PATTERN_LIT_BINARY:
    case PATTERN_LIT_HEX:
        return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
    }
    return false;
}

static bool path_equal(const struct pattern_path *a, const struct pattern_path *b)
{
    if (strcmp(a->type, b->type) != 0 || a->n_steps != b->n_steps) {
        return false;
    }
    for (int i = 0; i < a->n_steps; i++) {
        const struct pattern_step *x = &a->steps[i], *y = &b->steps[i];
        if (x->kind != y->kind || (x->kind == PATTERN_STEP_KEY && strcmp(x->key, y->key) != 0) ||
            (x->kind == PATTERN_STEP_INDEX && x->index != y->index)) {
            return false;
        }
    }
    return true;
}

static bool cmp_equal(const struct pattern_cmp *a, const struct pattern_cmp *b)
{
    if (a->kind != b->kind) {
        return false;
    }
    if (a->kind != PATTERN_CMP_TEST) {
        return cmp_equal(a->left, b->left) && cmp_equal(a->right, b->right);
    }
    if (a->op != b->op || a->negated != b->negated || a->n_lits != b->n_lits ||
        !path_equal(&a->path, &b->path)) {
        return false;
    }
    for (int i = 0; i < a->n_lits; i++) {
        if (!lit_equal(&a->lits[i], &b->lits[i])) {
            return false;
        }
    }
    return true;
}

static bool obs_equal(const struct pattern_obs *a, const struct pattern_obs *b)
{
    if (a->kind != b->kind) {
        return false;
    }
    switch (a->kind) {
    case PATTERN_OBS_SIMPLE:
        return cmp_equal(a->cmp, b->cmp);
    case PATTERN_OBS_AND:
    case PATTERN_OBS_OR:
    case PATTERN_OBS_FOLLOWEDBY:
        return obs_equal(a->left, b->left) && obs_equal(a->right, b->right);
    case PATTERN_OBS_WITHIN:
        return a->within == b->within && obs_equal(a->child, b->child);
    case PATTERN_OBS_REPEATS:
        return a->repeats == b->repeats && obs_equal(a->child, b->child);
    case PATTERN_OBS_STARTSTOP:
        return a->start == b->start && a->stop == b->stop && obs_equal(a->child, b->child);
    }
    return false;
}

bool pattern_equal(const struct pattern *a, const struct pattern *b)
{
    return obs_equal(a->root, b->root);
}
