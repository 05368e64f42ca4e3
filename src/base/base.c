/*
 * base.c — errors, logging, buffers, strings, UUIDs and encodings. Timestamps live in
 * ts.c and JSON in jx.c; all three share the one header base.h.
 */
#include "base/base.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int err_set(struct err *err, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return -1;
}

static enum log_level log_threshold = LOG_INFO;

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char line[1024];
    char when[TS_MAX_TEXT];
    if (level < log_threshold) {
        return;
    }
    ts_format(ts_now(), 3, when);
    int n = snprintf(line, sizeof(line), "%s %s ", when, names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

/* ---- buffers ---------------------------------------------------------------------- */

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_fini(struct buf *b)
{
    if (b == NULL) {
        return;
    }
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

void buf_truncate(struct buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

int buf_reserve(struct buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra) {
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int buf_json_str(struct buf *b, const char *s)
{
    static const char hexd[] = "0123456789abcdef";
    if (buf_append(b, "\"", 1) != 0) {
        return -1;
    }
    const char *run = s;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        if (buf_append(b, run, (size_t)(p - run)) != 0) {
            return -1;
        }
        char esc[7] = {'\\', (char)c, 0};
        size_t n = 2;
        if (c == '\n') {
            esc[1] = 'n';
        } else if (c == '\t') {
            esc[1] = 't';
        } else if (c == '\r') {
            esc[1] = 'r';
        } else if (c < 0x20) {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hexd[c >> 4];
            esc[5] = hexd[c & 15];
            n = 6;
        }
        if (buf_append(b, esc, n) != 0) {
            return -1;
        }
        run = p + 1;
    }
    if (buf_puts(b, run) != 0) {
        return -1;
    }
    return buf_append(b, "\"", 1);
}

char *buf_steal(struct buf *b, size_t *len)
{
    char *p = b->data;
    if (p == NULL) {
        p = calloc(1, 1);
    }
    if (len != NULL) {
        *len = b->len;
    }
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

/* ---- strings ---------------------------------------------------------------------- */

int str_copy(char *dst, size_t dst_size, const char *src)
{
    size_t n = strlen(src);
    if (dst_size == 0) {
        return -1;
    }
    if (n >= dst_size) {
        memcpy(dst, src, dst_size - 1);
        dst[dst_size - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (s == NULL || *s == '\0') {
        return -1;
    }
    const char *p = s;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (*p < '0' || *p > '9') {
        return -1;
    }
    uint64_t v = 0;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        if (v > (UINT64_MAX - 9) / 10) {
            return -1;
        }
        v = v * 10 + (uint64_t)(*p - '0');
        if (v > (uint64_t)INT64_MAX) {
            return -1;
        }
    }
    int64_t r = neg ? -(int64_t)v : (int64_t)v;
    if (r < min || r > max) {
        return -1;
    }
    *out = r;
    return 0;
}

bool str_next_line(const char **pos, const char *end, const char **line, size_t *len)
{
    const char *p = *pos;
    if (p >= end) {
        return false;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    *pos = nl ? nl + 1 : end;
    *line = p;
    *len = n > 0 && p[n - 1] == '\r' ? n - 1 : n;
    return true;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

void str_trim(const char **s, size_t *n)
{
    while (*n > 0 && blank(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && blank((*s)[*n - 1])) {
        (*n)--;
    }
}

void str_list_value(const char **s, size_t *n)
{
    const char *hash = memchr(*s, '#', *n);
    if (hash != NULL) {
        *n = (size_t)(hash - *s);
    }
    str_trim(s, n);
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) {
            return false;
        }
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += len;
    }
    return true;
}

/* ---- identifiers and encodings ------------------------------------------------------ */

int random_bytes(void *p, size_t n)
{
    unsigned char *q = p;
    while (n > 0) {
        ssize_t r = getrandom(q, n, 0);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        q += r;
        n -= (size_t)r;
    }
    return 0;
}

void uuid_from_bytes(const unsigned char bytes[16], char out[UUID_TEXT])
{
    uuid_from_bytes_v(bytes, 4, out);
}

void uuid_from_bytes_v(const unsigned char bytes[16], int version, char out[UUID_TEXT])
{
    unsigned char u[16];
    memcpy(u, bytes, 16);
    u[6] = (unsigned char)((u[6] & 0x0f) | (version << 4)); /* RFC 4122 4.1.3 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);           /* variant 10xx */
    char hex[33];
    hex_encode(u, 16, hex);
    snprintf(out, UUID_TEXT, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
}

void uuid_v4(char out[UUID_TEXT])
{
    unsigned char u[16];
    if (random_bytes(u, sizeof(u)) != 0) {
        /* The kernel CSPRNG does not fail after boot; refuse to invent weak ids. */
        abort();
    }
    uuid_from_bytes(u, out);
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool uuid_valid(const char *s, size_t n)
{
    if (n != 36) {
        return false;
    }
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return false;
            }
        } else if (!is_lower_hex(s[i])) {
            return false;
        }
    }
    /* RFC 4122 section 4.1.1: the variant bits are 10xx. */
    return s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b';
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

long b64_decode(const char *s, size_t n, void *out, size_t cap)
{
    unsigned char *o = out;
    size_t olen = 0;
    if (n % 4 != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad > 0) {
                return -1;
            }
            v[k] = b64_value(s[i + k]);
            if (v[k] < 0) {
                return -1;
            }
        }
        uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
                     (uint32_t)v[3];
        unsigned char bytes[3] = {(unsigned char)(w >> 16), (unsigned char)(w >> 8),
                                  (unsigned char)w};
        int nb = 3 - pad;
        /* Canonical encoding: the bits under the padding are zero (RFC 4648 3.5). */
        if ((pad == 1 && (w & 0xff) != 0) || (pad == 2 && (w & 0xffff) != 0)) {
            return -1;
        }
        if (olen + (size_t)nb > cap) {
            return -1;
        }
        memcpy(o + olen, bytes, (size_t)nb);
        olen += (size_t)nb;
    }
    return (long)olen;
}

bool b64_valid(const char *s, size_t n)
{
    unsigned char tmp[768];
    for (size_t off = 0; off < n; off += 1024) {
        size_t chunk = n - off < 1024 ? n - off : 1024;
        if (chunk % 4 != 0) {
            return false;
        }
        /* Padding may only appear in the last chunk; b64_decode checks its position. */
        if (off + chunk < n && memchr(s + off, '=', chunk) != NULL) {
            return false;
        }
        if (b64_decode(s + off, chunk, tmp, sizeof(tmp)) < 0) {
            return false;
        }
    }
    return true;
}

size_t b64_encode(const void *p, size_t n, char *out)
{
    const unsigned char *in = p;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16;
        if (i + 1 < n) {
            w |= (uint32_t)in[i + 1] << 8;
        }
        if (i + 2 < n) {
            w |= in[i + 2];
        }
        out[o++] = b64_alphabet[(w >> 18) & 63];
        out[o++] = b64_alphabet[(w >> 12) & 63];
        out[o++] = i + 1 < n ? b64_alphabet[(w >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64_alphabet[w & 63] : '=';
    }
    out[o] = '\0';
    return o;
}

bool hex_valid(const char *s, size_t n)
{
    if (n % 2 != 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

void hex_encode(const void *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *in = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---- IP addresses and prefixes ------------------------------------------------------------ */

int ip_prefix_parse(const char *s, size_t n, struct ip_prefix *out)
{
    char addr[INET6_ADDRSTRLEN + 1];
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    if (an == 0 || an >= sizeof(addr)) {
        return -1;
    }
    memcpy(addr, s, an);
    addr[an] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, addr, out->addr) == 1) {
        out->family = 4;
        out->bits = 32;
    } else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        out->family = 6;
        out->bits = 128;
    } else {
        return -1;
    }
    if (slash != NULL) {
        char len[8];
        size_t ln = n - an - 1;
        int64_t bits;
        if (ln == 0 || ln >= sizeof(len)) {
            return -1;
        }
        memcpy(len, slash + 1, ln);
        len[ln] = '\0';
        if (len[0] == '-' || str_to_i64(len, 0, out->bits, &bits) != 0) {
            return -1;
        }
        out->bits = (int)bits;
    }
    return 0;
}

bool ip_prefix_within(const struct ip_prefix *inner, const struct ip_prefix *outer)
{
    if (inner->family != outer->family || inner->bits < outer->bits) {
        return false;
    }
    int full = outer->bits / 8, rest = outer->bits % 8;
    if (memcmp(inner->addr, outer->addr, (size_t)full) != 0) {
        return false;
    }
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return rest == 0 || (inner->addr[full] & mask) == (outer->addr[full] & mask);
}

/* Writes n (0-255) in decimal; returns the digits written. */
static size_t put_octet(char *o, unsigned n)
{
    size_t k = 0;
    if (n >= 100) {
        o[k++] = (char)('0' + n / 100);
    }
    if (n >= 10) {
        o[k++] = (char)('0' + n / 10 % 10);
    }
    o[k++] = (char)('0' + n % 10);
    return k;
}

void ip_prefix_format(const struct ip_prefix *p, char out[64])
{
    if (p->family == 4) {
        /* by hand: inet_ntop goes through sprintf, a third of classifying an address */
        size_t k = 0;
        for (int i = 0; i < 4; i++) {
            k += put_octet(out + k, p->addr[i]);
            out[k++] = i < 3 ? '.' : '\0';
        }
        if (p->bits != 32) {
            out[k - 1] = '/';
            k += put_octet(out + k, (unsigned)p->bits);
            out[k] = '\0';
        }
        return;
    }
    if (inet_ntop(AF_INET6, p->addr, out, 64) == NULL) {
        out[0] = '\0';
        return;
    }
    if (p->bits != 128) {
        size_t l = strlen(out);
        snprintf(out + l, 64 - l, "/%d", p->bits);
    }
}
