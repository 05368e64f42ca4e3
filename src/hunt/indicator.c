/*
 * indicator.c — what kind of value a plain-list indicator is, and its normal form. The
 * normal forms are the contract with the log tokenizer: both sides normalise the same way
 * so that matching is exact comparison. Checksummed kinds (Bitcoin addresses, IBANs) are
 * verified, because a typo in a payment indicator would otherwise hunt for nothing.
 */
#include "hunt/hunt.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

const char *hunt_match_name(enum hunt_match m)
{
    static const char *const names[] = {"exact", "subdomain", "in-range", "pattern"};
    return names[m];
}

const char *hunt_type_name(enum hunt_type t)
{
    static const char *const names[] = {"ipv4",  "ipv6",    "cidr4",    "cidr6",  "domain",
                                        "url",   "md5",     "sha1",     "sha256", "sha512",
                                        "email", "bitcoin", "ethereum", "iban"};
    return names[t];
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

/* ---- domains ------------------------------------------------------------------------- */

/* Host names (RFC 1035/1123 with '_' tolerated, as real DNS data has it): labels of 1-63
 * letters, digits, '-' and '_', not starting or ending with '-', at least two labels, at
 * most 253 characters, a top-level label that is not all digits. Writes it lowercase
 * without a trailing dot. */
static bool domain_norm(const char *s, size_t n, char *out, size_t cap)
{
    if (n > 0 && s[n - 1] == '.') {
        n--;
    }
    if (n == 0 || n > 253 || n >= cap) {
        return false;
    }
    size_t label = 0, labels = 1;
    bool tld_digits = true;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-') {
                return false;
            }
            labels++;
            label = 0;
            tld_digits = true;
        } else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
            if ((label == 0 && c == '-') || ++label > 63) {
                return false;
            }
            tld_digits = tld_digits && is_digit(c);
        } else {
            return false;
        }
        out[i] = lower(c);
    }
    out[n] = '\0';
    return label > 0 && s[n - 1] != '-' && labels >= 2 && !tld_digits;
}

/* ---- URLs (RFC 3986 section 6.2.2 normalisation) -------------------------------------- */

static int hexval(char c)
{
    return is_digit(c)                              ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

static bool url_norm(const char *s, size_t n, char *out, size_t cap)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            sep = s + i;
            break;
        }
        if (!(is_alpha(s[i]) ||
              (i > 0 && (is_digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')))) {
            return false;
        }
    }
    if (sep == NULL || sep == s) {
        return false;
    }
    struct buf b;
    buf_init(&b, cap - 1);
    size_t slen = (size_t)(sep - s);
    char scheme[16];
    if (slen >= sizeof(scheme)) {
        return false;
    }
    for (size_t i = 0; i < slen; i++) {
        scheme[i] = lower(s[i]);
    }
    scheme[slen] = '\0';
    const char *auth = sep + 3, *end = s + n;
    const char *path = auth;
    while (path < end && *path != '/' && *path != '?' && *path != '#') {
        path++;
    }
    const char *at = memchr(auth, '@', (size_t)(path - auth));
    const char *host = at ? at + 1 : auth;
    const char *port = NULL;
    if (host < path && *host == '[') {
        const char *close = memchr(host, ']', (size_t)(path - host));
        if (close == NULL) {
            return false;
        }
        port = close + 1 < path && close[1] == ':' ? close + 1 : NULL;
    } else {
        port = memchr(host, ':', (size_t)(path - host));
    }
    const char *host_end = port ? port : path;
    /* the host: a bracketed IPv6 address, an IPv4 address or a domain name (normalised) */
    char hostbuf[256];
    size_t hn = (size_t)(host_end - host);
    struct ip_prefix ip;
    if (hn == 0 || hn >= sizeof(hostbuf)) {
        return false;
    }
    if (*host == '[') {
        if (hn < 4 || host[hn - 1] != ']' || ip_prefix_parse(host + 1, hn - 2, &ip) != 0 ||
            ip.family != 6 || memchr(host, '/', hn) != NULL) {
            return false;
        }
        for (size_t i = 0; i < hn; i++) {
            hostbuf[i] = lower(host[i]);
        }
        hostbuf[hn] = '\0';
    } else if (ip_prefix_parse(host, hn, &ip) == 0 && ip.family == 4 &&
               memchr(host, '/', hn) == NULL) {
        memcpy(hostbuf, host, hn);
        hostbuf[hn] = '\0';
    } else if (!domain_norm(host, hn, hostbuf, sizeof(hostbuf))) {
        return false;
    }
    if (port != NULL && (size_t)(path - port - 1) > 5) {
        return false;
    }
    for (const char *q = port ? port + 1 : path; q < path; q++) {
        if (!is_digit(*q)) {
            return false;
        }
    }
    for (const char *u = auth; at != NULL && u < at; u++) {
        if ((unsigned char)*u <= ' ' || (unsigned char)*u >= 0x7f) {
            return false;
        }
    }
    bool ok = buf_printf(&b, "%s://", scheme) == 0 &&
              (at == NULL || buf_append(&b, auth, (size_t)(at - auth + 1)) == 0) &&
              buf_puts(&b, hostbuf) == 0;
    if (ok && port != NULL) {
        size_t pn = (size_t)(path - port - 1);
        static const struct {
            const char *scheme, *port;
        } defaults[] = {{"http", "80"}, {"https", "443"}, {"ftp", "21"}};
        bool dflt = pn == 0;
        for (size_t i = 0; i < BASE_ARRAY_LEN(defaults); i++) {
            dflt = dflt ||
                   (strcmp(scheme, defaults[i].scheme) == 0 && strlen(defaults[i].port) == pn &&
                    memcmp(port + 1, defaults[i].port, pn) == 0);
        }
        if (!dflt) {
            ok = buf_append(&b, port, pn + 1) == 0;
        }
    }
    if (ok && (path == end || *path != '/')) {
        ok = buf_puts(&b, "/") == 0; /* an empty path is "/" for hierarchical URLs */
    }
    for (const char *p = path; ok && p < end; p++) {
        if (*p == '%' && p + 2 < end && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
            char c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
            if (is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
                ok = buf_append(&b, &c, 1) == 0; /* unreserved: decode */
            } else {
                char esc[4] = {'%', "0123456789ABCDEF"[(unsigned char)c >> 4],
                               "0123456789ABCDEF"[c & 15], 0};
                ok = buf_puts(&b, esc) == 0; /* reserved: keep, hex in upper case */
            }
            p += 2;
        } else if ((unsigned char)*p <= ' ') {
            ok = false;
        } else if (*p == '%') {
            ok = buf_puts(&b, "%25") == 0; /* a stray '%' is a literal percent sign */
        } else {
            ok = buf_append(&b, p, 1) == 0;
        }
    }
    if (ok && b.data != NULL) {
        memcpy(out, b.data, b.len + 1);
    }
    buf_fini(&b);
    return ok;
}

/* ---- payment identifiers ----------------------------------------------------------------- */

static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/* Base58Check (Bitcoin P2PKH "1…" and P2SH "3…"): 25 bytes whose last 4 are the first 4 of
 * SHA-256(SHA-256(the first 21)). */
static bool btc_base58_ok(const char *s, size_t n)
{
    unsigned char bytes[25] = {0};
    if (n < 26 || n > 35 || (s[0] != '1' && s[0] != '3')) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const char *d = memchr(b58, s[i], sizeof(b58) - 1);
        if (d == NULL) {
            return false;
        }
        unsigned carry = (unsigned)(d - b58);
        for (int k = 24; k >= 0; k--) {
            carry += 58u * bytes[k];
            bytes[k] = (unsigned char)(carry & 0xff);
            carry >>= 8;
        }
        if (carry != 0) {
            return false; /* more than 25 bytes */
        }
    }
    if (bytes[0] != (s[0] == '1' ? 0x00 : 0x05)) {
        return false;
    }
    unsigned char h1[32], h2[32];
    crypto_hash_sha256(h1, bytes, 21);
    crypto_hash_sha256(h2, h1, 32);
    return memcmp(h2, bytes + 21, 4) == 0;
}

static uint32_t bech32_step(uint32_t chk, uint32_t v)
{
    static const uint32_t gen[] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int k = 0; k < 5; k++) {
        chk ^= (top >> k) & 1 ? gen[k] : 0;
    }
    return chk;
}

/* Bech32 (BIP 173) and Bech32m (BIP 350) segwit addresses with the "bc" prefix: version 0
 * uses the Bech32 constant 1, versions 1-16 the Bech32m constant. */
static bool btc_bech32_ok(const char *s, size_t n)
{
    static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    static const char hrp[] = "bc";
    if (n < 14 || n > 74 || lower(s[0]) != 'b' || lower(s[1]) != 'c' || s[2] != '1') {
        return false;
    }
    uint32_t chk = 1;
    for (int i = 0; i < 2; i++) {
        chk = bech32_step(chk, (uint32_t)hrp[i] >> 5);
    }
    chk = bech32_step(chk, 0);
    for (int i = 0; i < 2; i++) {
        chk = bech32_step(chk, (uint32_t)hrp[i] & 31);
    }
    bool has_lower = false, has_upper = false;
    int version = -1;
    for (size_t i = 3; i < n; i++) {
        has_lower = has_lower || (s[i] >= 'a' && s[i] <= 'z') || (i < 2 && s[i] == 'b');
        has_upper = has_upper || (s[i] >= 'A' && s[i] <= 'Z');
        const char *d = memchr(charset, lower(s[i]), sizeof(charset) - 1);
        if (d == NULL) {
            return false;
        }
        if (version < 0) {
            version = (int)(d - charset);
        }
        chk = bech32_step(chk, (uint32_t)(d - charset));
    }
    if (has_lower && has_upper) {
        return false; /* mixed case is invalid (BIP 173) */
    }
    return version == 0 ? chk == 1 : version > 0 && version <= 16 && chk == 0x2bc830a3;
}

/* The length of an IBAN in each country of the SWIFT IBAN registry (ISO 13616), with the
 * territories that use their country's format (AX: FI; GF, GP, MQ, RE...: FR; GG, IM, JE: GB).
 * A country code outside it, or another length, is not an IBAN: without this, a grouped
 * "AB84 DDDD..." passes mod-97 and its normal form is an MD5 digest. */
static const struct {
    char cc[3];
    unsigned char len;
} iban_lengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AX", 18}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
    {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BL", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
    {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29},
    {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GF", 27},
    {"GG", 22}, {"GI", 23}, {"GL", 18}, {"GP", 27}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21},
    {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IM", 22}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JE", 22},
    {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
    {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MF", 27}, {"MK", 19}, {"MN", 20},
    {"MQ", 27}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NC", 27}, {"NI", 28}, {"NL", 18}, {"NO", 15},
    {"OM", 23}, {"PF", 27}, {"PK", 24}, {"PL", 28}, {"PM", 27}, {"PS", 29}, {"PT", 25}, {"QA", 29},
    {"RE", 27}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24},
    {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TF", 27}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"WF", 27}, {"XK", 20}, {"YE", 30},
    {"YT", 27},
};

static bool iban_length_ok(const char *iban, size_t n)
{
    for (size_t i = 0; i < sizeof(iban_lengths) / sizeof(iban_lengths[0]); i++) {
        if (iban[0] == iban_lengths[i].cc[0] && iban[1] == iban_lengths[i].cc[1]) {
            return n == iban_lengths[i].len;
        }
    }
    return false;
}

/* IBAN (ISO 13616): a registered country code, two check digits and the country's number
 * of letters and digits; moving the first four to the end and reading letters as 10-35
 * gives a number whose remainder by 97 is 1. Spaces are allowed between groups and
 * dropped. */
static bool iban_norm(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            continue;
        }
        if (!is_alpha(s[i]) && !is_digit(s[i])) {
            return false;
        }
        if (o + 1 >= cap) {
            return false;
        }
        out[o++] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
    }
    out[o] = '\0';
    if (o < 15 || o > 34 || !is_digit(out[2]) || !is_digit(out[3]) || !iban_length_ok(out, o)) {
        return false;
    }
    unsigned rem = 0;
    for (size_t k = 0; k < o; k++) {
        char c = out[(k + 4) % o];
        if (is_digit(c)) {
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        } else {
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
        }
    }
    return rem == 1;
}

/* ---- classification ------------------------------------------------------------------------ */

int hunt_classify(const char *s, size_t n, enum hunt_type *type, char norm[HUNT_VALUE_MAX],
                  struct err *err)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) {
        n--;
    }
    if (n == 0) {
        return err_set(err, "empty value");
    }
    if (n >= HUNT_VALUE_MAX) {
        return err_set(err, "value longer than %d bytes", HUNT_VALUE_MAX - 1);
    }
    if (memchr(s, '\0', n) != NULL || !str_utf8_valid(s, n)) {
        return err_set(err, "value is not UTF-8 text");
    }
    struct ip_prefix ip;
    if (ip_prefix_parse(s, n, &ip) == 0) {
        bool host = ip.bits == (ip.family == 4 ? 32 : 128);
        /* a range is its network address: clear the host bits */
        for (int bit = ip.bits; bit < (ip.family == 4 ? 32 : 128); bit++) {
            ip.addr[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
        }
        ip_prefix_format(&ip, norm);
        *type = ip.family == 4 ? (host ? HUNT_IPV4 : HUNT_CIDR4) : (host ? HUNT_IPV6 : HUNT_CIDR6);
        return 0;
    }
    if (memmem(s, n, "://", 3) != NULL) {
        if (!url_norm(s, n, norm, HUNT_VALUE_MAX)) {
            return err_set(err, "'%.*s' is not a valid URL", (int)(n > 80 ? 80 : n), s);
        }
        *type = HUNT_URL;
        return 0;
    }
    const char *at = memchr(s, '@', n);
    if (at != NULL) {
        size_t local = (size_t)(at - s);
        /* local part: RFC 5322 atext and dots, or UTF-8 (RFC 6531) */
        for (size_t i = 0; i < local; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x80 && !is_alpha((char)c) && !is_digit((char)c) &&
                strchr("!#$%&'*+-/=?^_`{|}~.", (char)c) == NULL) {
                return err_set(err, "'%.*s' is not a valid e-mail address", (int)(n > 80 ? 80 : n),
                               s);
            }
        }
        if (local == 0 || memchr(at + 1, '@', n - local - 1) != NULL ||
            !domain_norm(at + 1, n - local - 1, norm + local + 1, HUNT_VALUE_MAX - local - 1)) {
            return err_set(err, "'%.*s' is not a valid e-mail address", (int)(n > 80 ? 80 : n), s);
        }
        for (size_t i = 0; i < local; i++) {
            norm[i] = lower(s[i]);
        }
        norm[local] = '@';
        *type = HUNT_EMAIL;
        return 0;
    }
    if (hex_valid(s, n) && (n == 32 || n == 40 || n == 64 || n == 128)) {
        for (size_t i = 0; i < n; i++) {
            norm[i] = lower(s[i]);
        }
        norm[n] = '\0';
        *type = n == 32 ? HUNT_MD5 : n == 40 ? HUNT_SHA1 : n == 64 ? HUNT_SHA256 : HUNT_SHA512;
        return 0;
    }
    if (n == 42 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && hex_valid(s + 2, 40)) {
        norm[0] = '0';
        norm[1] = 'x';
        for (size_t i = 2; i < n; i++) {
            norm[i] = lower(s[i]);
        }
        norm[n] = '\0';
        *type = HUNT_ETH;
        return 0;
    }
    if (n >= 2 && lower(s[0]) == 'b' && lower(s[1]) == 'c' && n > 2 && s[2] == '1' &&
        memchr(s, '.', n) == NULL) {
        if (!btc_bech32_ok(s, n)) {
            return err_set(err, "'%.*s' is not a valid Bitcoin address (Bech32 checksum)",
                           (int)(n > 80 ? 80 : n), s);
        }
        for (size_t i = 0; i < n; i++) {
            norm[i] = lower(s[i]);
        }
        norm[n] = '\0';
        *type = HUNT_BTC;
        return 0;
    }
    size_t b58_run = 0;
    while (b58_run < n && memchr(b58, s[b58_run], sizeof(b58) - 1) != NULL) {
        b58_run++;
    }
    if ((s[0] == '1' || s[0] == '3') && n >= 26 && n <= 35 && b58_run == n) {
        if (!btc_base58_ok(s, n)) {
            return err_set(err, "'%.*s' is not a valid Bitcoin address (Base58Check checksum)",
                           (int)n, s);
        }
        memcpy(norm, s, n);
        norm[n] = '\0';
        *type = HUNT_BTC;
        return 0;
    }
    if (n >= 15 && is_alpha(s[0]) && is_alpha(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
        memchr(s, '.', n) == NULL) {
        if (!iban_norm(s, n, norm, HUNT_VALUE_MAX)) {
            return err_set(err, "'%.*s' is not a valid IBAN (country, length or mod-97 check)",
                           (int)(n > 80 ? 80 : n), s);
        }
        *type = HUNT_IBAN;
        return 0;
    }
    if (domain_norm(s, n, norm, HUNT_VALUE_MAX)) {
        *type = HUNT_DOMAIN;
        return 0;
    }
    return err_set(err,
                   "'%.*s' is not a recognised indicator (IPv4, IPv6, CIDR, domain, URL, MD5, "
                   "SHA-1, SHA-256, SHA-512, e-mail, Bitcoin, Ethereum or IBAN)",
                   (int)(n > 80 ? 80 : n), s);
}
