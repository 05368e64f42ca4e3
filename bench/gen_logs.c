/*
 * gen_logs.c — deterministic generator of synthetic CERT logs with planted indicator hits,
 * for the hunting tests and benchmarks. It writes, into DIR:
 *
 *   indicators.txt  N mixed indicator values, one per line (IPv4, CIDR, IPv6, domains, URLs,
 *                   MD5/SHA-1/SHA-256, e-mail, Bitcoin, Ethereum, IBAN); hits are planted
 *                   only from the first 10,000, so `head -n K` gives sets with the same truth
 *   access.log      web access lines (combined log format)
 *   dns.log         DNS query log lines (BIND style)
 *   conn.log        Zeek conn log (TSV with its #fields header)
 *   eve.json        Suricata eve JSON lines (dns, http, tls, fileinfo, smtp events)
 *   truth.tsv       every hit hunting must report: file, line, indicator, match
 *
 *   gen_logs --out DIR [--indicators N] [--bytes B] [--hits H] [--seed S]
 *
 * Exactness by construction: background values come from spaces that hold no indicator
 * (other address blocks, other label lengths), and near misses of real indicators (one
 * more digit, one more letter, one more hex digit) appear in the background, so that a
 * substring matcher reports lines that hold no hit.
 */
#include "base/base.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static unsigned below(unsigned n)
{
    return (unsigned)((rnd() >> 11) % n);
}

enum kind {
    K_IPV4,
    K_CIDR,
    K_IPV6,
    K_DOMAIN,
    K_URL,
    K_MD5,
    K_SHA1,
    K_SHA256,
    K_EMAIL,
    K_BTC,
    K_ETH,
    K_IBAN
};

struct ind {
    enum kind kind;
    char value[160];
};

/* Indicator labels are 9-12 letters from a-y; background labels are 7 letters, near
 * misses put a 'z' in front: no background name can equal or end in an indicator's. */
static void label(char *out, size_t min, size_t max, const char *alphabet)
{
    size_t n = min + below((unsigned)(max - min + 1)), k = strlen(alphabet);
    for (size_t i = 0; i < n; i++) {
        out[i] = alphabet[below((unsigned)k)];
    }
    out[n] = '\0';
}

static const char *const tlds[] = {"com", "net", "org", "info", "io"};
static const char ind_alpha[] = "abcdefghijklmnopqrstuvwxy";
static const char bg_alpha[] = "abcdefghijklmnopqrstuvwxyz";

static void hex(char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = "0123456789abcdef"[below(16)];
    }
    out[n] = '\0';
}

static void base58check(char *out)
{
    static const char b58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    unsigned char raw[25], h[32];
    raw[0] = 0;
    for (int i = 1; i < 21; i++) {
        raw[i] = (unsigned char)rnd();
    }
    crypto_hash_sha256(h, raw, 21);
    crypto_hash_sha256(h, h, 32);
    memcpy(raw + 21, h, 4);
    unsigned char digits[40];
    size_t nd = 0;
    for (int i = 0; i < 25; i++) {
        unsigned carry = raw[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (unsigned char)(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits[nd++] = (unsigned char)(carry % 58);
            carry /= 58;
        }
    }
    size_t o = 0;
    for (int i = 0; i < 25 && raw[i] == 0; i++) {
        out[o++] = '1';
    }
    while (nd > 0) {
        out[o++] = b58[digits[--nd]];
    }
    out[o] = '\0';
}

static void iban(char *out)
{
    char bban[19];
    for (int i = 0; i < 4; i++) {
        bban[i] = (char)('A' + below(26));
    }
    for (int i = 4; i < 18; i++) {
        bban[i] = (char)('0' + below(10));
    }
    bban[18] = '\0';
    char re[40];
    snprintf(re, sizeof(re), "%sGB00", bban);
    unsigned rem = 0;
    for (const char *p = re; *p; p++) {
        rem = *p >= 'A' ? (rem * 100 + (unsigned)(*p - 'A' + 10)) % 97
                        : (rem * 10 + (unsigned)(*p - '0')) % 97;
    }
    snprintf(out, 40, "GB%02u%s", 98 - rem, bban);
}

/* Indicator IPv4 addresses: first octet 11-59; ranges: 60-69; background: 130-171. */
static void make(struct ind *d, enum kind k)
{
    char l[32], l2[32];
    d->kind = k;
    switch (k) {
    case K_IPV4:
        snprintf(d->value, sizeof(d->value), "%u.%u.%u.%u", 11 + below(49), below(256), below(256),
                 1 + below(254));
        break;
    case K_CIDR: {
        /* ranges never overlap, so a planted address has exactly one range holding it */
        static uint64_t used[(1u << 24) / 64];
        unsigned a, b, c, key;
        do {
            a = 60 + below(10);
            b = below(256);
            c = below(256);
            key = a << 16 | b << 8 | c;
        } while (used[key / 64] >> (key % 64) & 1);
        used[key / 64] |= 1ULL << (key % 64);
        snprintf(d->value, sizeof(d->value), "%u.%u.%u.0/%u", a, b, c, 24 + 4 * below(2));
        break;
    }
    case K_IPV6:
        snprintf(d->value, sizeof(d->value), "2a0%x:%x:%x::%x", 1 + below(8), below(65536),
                 below(65536), 1 + below(65535));
        break;
    case K_DOMAIN:
        label(l, 9, 12, ind_alpha);
        snprintf(d->value, sizeof(d->value), "%s.%s", l, tlds[below(5)]);
        break;
    case K_URL:
        label(l, 9, 12, ind_alpha);
        label(l2, 4, 8, bg_alpha);
        snprintf(d->value, sizeof(d->value), "http://%s.%s/%s/%s.php", l, tlds[below(5)], l2, l2);
        break;
    case K_MD5:
        hex(d->value, 32);
        break;
    case K_SHA1:
        hex(d->value, 40);
        break;
    case K_SHA256:
        hex(d->value, 64);
        break;
    case K_EMAIL:
        label(l, 5, 8, bg_alpha);
        label(l2, 9, 12, ind_alpha);
        snprintf(d->value, sizeof(d->value), "%s@%s.%s", l, l2, tlds[below(5)]);
        break;
    case K_BTC:
        base58check(d->value);
        break;
    case K_ETH:
        d->value[0] = '0';
        d->value[1] = 'x';
        hex(d->value + 2, 40);
        break;
    case K_IBAN:
        iban(d->value);
        break;
    }
}

static enum kind pick_kind(void)
{
    /* per 100: the mix of a national CERT's shared indicators */
    static const struct {
        enum kind k;
        unsigned share;
    } mix[] = {{K_IPV4, 34}, {K_CIDR, 2},   {K_IPV6, 4},  {K_DOMAIN, 24}, {K_URL, 8}, {K_MD5, 6},
               {K_SHA1, 4},  {K_SHA256, 8}, {K_EMAIL, 4}, {K_BTC, 2},     {K_ETH, 2}, {K_IBAN, 2}};
    unsigned r = below(100), acc = 0;
    for (size_t i = 0; i < BASE_ARRAY_LEN(mix); i++) {
        acc += mix[i].share;
        if (r < acc) {
            return mix[i].k;
        }
    }
    return K_IPV4;
}

/* ---- background values ------------------------------------------------------------------ */

static void bg_ip(char *out)
{
    snprintf(out, 40, "%u.%u.%u.%u", 130 + below(42), below(256), below(256), 1 + below(254));
}

static void bg_domain(char *out)
{
    char l[16], s[16];
    label(l, 7, 7, bg_alpha);
    label(s, 2, 5, bg_alpha);
    if (below(2)) {
        snprintf(out, 64, "%s.%s.%s", s, l, tlds[below(5)]);
    } else {
        snprintf(out, 64, "%s.%s", l, tlds[below(5)]);
    }
}

/* ---- planting ---------------------------------------------------------------------------- */

struct gen {
    struct ind *inds;
    size_t n_inds, n_plant;
    FILE *truth;
    double hit_rate;
};

/* An indicator to plant that suits the slot, or NULL (then background). The truth row is
 * written by the caller once the line number is known. */
static const struct ind *plant(struct gen *g, const enum kind *kinds, size_t nk)
{
    if ((double)(rnd() >> 11) / 9007199254740992.0 >= g->hit_rate) {
        return NULL;
    }
    for (int tries = 0; tries < 64; tries++) {
        const struct ind *d = &g->inds[below((unsigned)g->n_plant)];
        for (size_t i = 0; i < nk; i++) {
            if (d->kind == kinds[i]) {
                return d;
            }
        }
    }
    return NULL;
}

static void truth(struct gen *g, const char *file, size_t line, const char *ind, const char *m)
{
    fprintf(g->truth, "%s\t%zu\t%s\t%s\n", file, line, ind, m);
}

/* An address inside a planted range, or the indicator itself. */
static void address_of(const struct ind *d, char out[48])
{
    if (d->kind == K_CIDR) {
        unsigned a, b, c, bits;
        if (sscanf(d->value, "%u.%u.%u.0/%u", &a, &b, &c, &bits) != 4) {
            abort();
        }
        snprintf(out, 48, "%u.%u.%u.%u", a, b, c, bits == 24 ? below(256) : below(16));
    } else if (d->kind == K_IPV6 && below(2)) {
        /* the same address written out in full and upper case */
        unsigned x, y, z, w;
        if (sscanf(d->value, "2a0%x:%x:%x::%x", &x, &y, &z, &w) != 4) {
            abort();
        }
        snprintf(out, 48, "2A0%X:%04X:%04X:0:0:0:0:%X", x, y, z, w);
    } else {
        snprintf(out, 48, "%.47s", d->value);
    }
}

static const char *match_of(const struct ind *d)
{
    return d->kind == K_CIDR ? "in-range" : "exact";
}

static void near_miss_ip(char *out)
{
    snprintf(out, 40, "1%u.%u.%u.%u", 11 + below(49), below(256), below(256), 1 + below(254));
}

static size_t gen_access(struct gen *g, FILE *f, size_t target)
{
    static const enum kind client[] = {K_IPV4, K_CIDR, K_IPV6};
    static const enum kind ref[] = {K_URL, K_DOMAIN, K_MD5, K_SHA256, K_BTC, K_ETH, K_IBAN};
    static const char *const agents[] = {
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "curl/7.88.1",
        "python-requests/2.31.0"};
    size_t bytes = 0, line = 0;
    long t = 0;
    while (bytes < target) {
        char ip[64], refer[256], path[320], dom[64];
        line++;
        const struct ind *c = plant(g, client, 3), *r = plant(g, ref, 7);
        if (c != NULL) {
            address_of(c, ip);
            truth(g, "access.log", line, c->value, match_of(c));
        } else if (below(50) == 0) {
            near_miss_ip(ip);
        } else {
            bg_ip(ip);
        }
        bg_domain(dom);
        char l[16];
        label(l, 4, 9, bg_alpha);
        snprintf(path, sizeof(path), "/%s/%s.html", l, l);
        snprintf(refer, sizeof(refer), "https://%s/%s", dom, l);
        if (r != NULL) {
            switch (r->kind) {
            case K_URL:
                snprintf(refer, sizeof(refer), "%s", r->value);
                break;
            case K_DOMAIN:
                snprintf(refer, sizeof(refer), "https://www.%s/%s", r->value, l);
                truth(g, "access.log", line, r->value, "subdomain");
                r = NULL;
                break;
            default:
                snprintf(path, sizeof(path), "/%s?id=%s", l, r->value);
                break;
            }
            if (r != NULL) {
                truth(g, "access.log", line, r->value, "exact");
            }
        } else if (below(40) == 0) {
            /* a near miss: an indicator's hash with one more digit */
            const struct ind *m = &g->inds[below((unsigned)g->n_plant)];
            if (m->kind == K_MD5 || m->kind == K_SHA1 || m->kind == K_SHA256 || m->kind == K_ETH) {
                snprintf(path, sizeof(path), "/%s?id=%s0", l, m->value);
            }
        }
        t += 1 + below(3);
        int n = fprintf(f,
                        "%s - - [28/Nov/2026:%02ld:%02ld:%02ld +0000] \"GET %s HTTP/1.1\" %u %u "
                        "\"%s\" \"%s\"\n",
                        ip, (t / 3600) % 24, (t / 60) % 60, t % 60, path, below(5) ? 200 : 404,
                        200 + below(50000), refer, agents[below(4)]);
        bytes += (size_t)n;
    }
    return bytes;
}

static size_t gen_dns(struct gen *g, FILE *f, size_t target)
{
    static const enum kind q[] = {K_DOMAIN};
    static const char *const types[] = {"A", "AAAA", "MX", "TXT", "HTTPS"};
    size_t bytes = 0, line = 0;
    long t = 0;
    while (bytes < target) {
        char name[200], ip[48];
        line++;
        const struct ind *d = plant(g, q, 1);
        if (d != NULL) {
            bool sub = below(2);
            if (sub) {
                char l[16];
                label(l, 2, 6, bg_alpha);
                snprintf(name, sizeof(name), "%s.%s", l, d->value);
            } else {
                snprintf(name, sizeof(name), "%s", d->value);
            }
            /* the name appears twice in the line: two hits */
            truth(g, "dns.log", line, d->value, sub ? "subdomain" : "exact");
            truth(g, "dns.log", line, d->value, sub ? "subdomain" : "exact");
        } else if (below(40) == 0) {
            /* a near miss: one more letter in front of an indicator's label */
            const struct ind *m = &g->inds[below((unsigned)g->n_plant)];
            if (m->kind == K_DOMAIN) {
                snprintf(name, sizeof(name), "z%s", m->value);
            } else {
                bg_domain(name);
            }
        } else {
            bg_domain(name);
        }
        bg_ip(ip);
        t += 1;
        int n = fprintf(f,
                        "28-Nov-2026 %02ld:%02ld:%02ld.%03u queries: info: client @0x7f%06x %s#%u "
                        "(%s): query: %s IN %s + (10.0.0.53)\n",
                        (t / 3600) % 24, (t / 60) % 60, t % 60, below(1000), below(1u << 24), ip,
                        1024 + below(60000), name, name, types[below(5)]);
        bytes += (size_t)n;
    }
    return bytes;
}

static size_t gen_conn(struct gen *g, FILE *f, size_t target)
{
    static const enum kind resp[] = {K_IPV4, K_CIDR, K_IPV6};
    size_t bytes = 0, line = 0;
    const char *header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n"
                         "#unset_field\t-\n#path\tconn\n#open\t2026-11-28-00-00-00\n"
                         "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
                         "service\tduration\torig_bytes\tresp_bytes\tconn_state\n"
                         "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\t"
                         "count\tcount\tstring\n";
    fputs(header, f);
    bytes += strlen(header);
    line += 8;
    double ts = 1795824000.0; /* 2026-11-28T00:00:00Z */
    static const char *const states[] = {"SF", "S0", "REJ", "RSTO", "OTH"};
    while (bytes < target) {
        char orig[48], dst[48], uid[20];
        line++;
        const struct ind *d = plant(g, resp, 3);
        bg_ip(orig);
        if (d != NULL) {
            address_of(d, dst);
            truth(g, "conn.log", line, d->value, match_of(d));
        } else if (below(50) == 0) {
            near_miss_ip(dst);
        } else {
            bg_ip(dst);
        }
        label(uid, 17, 17, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
        uid[0] = 'C';
        ts += (double)below(1000) / 1000.0;
        int n = fprintf(f, "%.6f\t%s\t%s\t%u\t%s\t%u\t%s\t%s\t%.6f\t%u\t%u\t%s\n", ts, uid, orig,
                        1024 + below(60000), dst, below(4) ? 443 : 53, below(4) ? "tcp" : "udp",
                        below(2) ? "ssl" : "-", (double)below(100000) / 1000.0, below(100000),
                        below(1000000), states[below(5)]);
        bytes += (size_t)n;
    }
    fputs("#close\t2026-11-29-00-00-00\n", f);
    return bytes;
}

static size_t gen_eve(struct gen *g, FILE *f, size_t target)
{
    static const enum kind dns[] = {K_DOMAIN};
    static const enum kind file[] = {K_MD5, K_SHA1, K_SHA256};
    static const enum kind smtp[] = {K_EMAIL};
    static const enum kind http[] = {K_URL, K_BTC, K_ETH, K_IBAN};
    size_t bytes = 0, line = 0;
    long us = 0;
    while (bytes < target) {
        char src[48], dst[48], ts[64], val[200], dom[64];
        line++;
        bg_ip(src);
        bg_ip(dst);
        us += 1000 + below(100000);
        snprintf(ts, sizeof(ts), "2026-11-28T%02ld:%02ld:%02ld.%06ld+0000", (us / 3600000000L) % 24,
                 (us / 60000000L) % 60, (us / 1000000L) % 60, us % 1000000L);
        int n = fprintf(
            f,
            "{\"timestamp\":\"%s\",\"flow_id\":%llu,\"in_iface\":\"eth0\",\"src_ip\":\"%s\","
            "\"src_port\":%u,\"dest_ip\":\"%s\",\"dest_port\":",
            ts, (unsigned long long)(rnd() >> 14), src, 1024 + below(60000), dst);
        bytes += (size_t)n;
        const struct ind *d = NULL;
        switch (below(5)) {
        case 0:
            d = plant(g, dns, 1);
            if (d != NULL) {
                snprintf(val, sizeof(val), "%s", d->value);
            } else {
                bg_domain(val);
            }
            n = fprintf(f,
                        "53,\"proto\":\"UDP\",\"event_type\":\"dns\",\"dns\":{\"type\":\"query\","
                        "\"id\":%u,\"rrname\":\"%s\",\"rrtype\":\"A\",\"tx_id\":0}}\n",
                        below(65536), val);
            break;
        case 1:
            d = plant(g, file, 3);
            if (d != NULL) {
                snprintf(val, sizeof(val), "%s", d->value);
            } else {
                hex(val, 64);
            }
            n = fprintf(
                f,
                "80,\"proto\":\"TCP\",\"event_type\":\"fileinfo\",\"fileinfo\":{\"filename\":"
                "\"/download/setup.exe\",\"magic\":\"PE32 executable\",\"%s\":\"%s\","
                "\"size\":%u,\"stored\":false}}\n",
                strlen(val) == 32   ? "md5"
                : strlen(val) == 40 ? "sha1"
                                    : "sha256",
                val, below(10000000));
            break;
        case 2:
            d = plant(g, smtp, 1);
            bg_domain(dom);
            if (d != NULL) {
                snprintf(val, sizeof(val), "<%s>", d->value);
            } else {
                snprintf(val, sizeof(val), "<billing@%s>", dom);
            }
            n = fprintf(f,
                        "25,\"proto\":\"TCP\",\"event_type\":\"smtp\",\"smtp\":{\"helo\":\"%s\","
                        "\"mail_from\":\"%s\",\"rcpt_to\":[\"<soc@cert.example>\"]}}\n",
                        dom, val);
            break;
        case 3:
            d = plant(g, http, 4);
            bg_domain(dom);
            if (d != NULL && d->kind == K_URL) {
                const char *host = d->value + 7, *slash = strchr(host, '/');
                n = fprintf(f,
                            "80,\"proto\":\"TCP\",\"event_type\":\"http\",\"http\":{\"hostname\":"
                            "\"%.*s\",\"url\":\"%s\",\"http_user_agent\":\"curl/8.0\","
                            "\"http_method\":\"GET\",\"status\":200,\"length\":%u}}\n",
                            (int)(slash - host), host, d->value, below(100000));
            } else {
                if (d != NULL) {
                    snprintf(val, sizeof(val), "/pay?to=%s", d->value);
                } else {
                    snprintf(val, sizeof(val), "/index.php?page=%u", below(1000));
                }
                n = fprintf(f,
                            "80,\"proto\":\"TCP\",\"event_type\":\"http\",\"http\":{\"hostname\":"
                            "\"%s\",\"url\":\"%s\",\"http_user_agent\":\"Mozilla/5.0\","
                            "\"http_method\":\"GET\",\"status\":200,\"length\":%u}}\n",
                            dom, val, below(100000));
            }
            break;
        default:
            d = plant(g, dns, 1);
            if (d != NULL) {
                char l[16];
                label(l, 2, 5, bg_alpha);
                snprintf(val, sizeof(val), "%s.%s", l, d->value);
            } else {
                bg_domain(val);
            }
            n = fprintf(f,
                        "443,\"proto\":\"TCP\",\"event_type\":\"tls\",\"tls\":{\"sni\":\"%s\","
                        "\"version\":\"TLS 1.3\",\"ja3s\":{\"hash\":\"%s\"}}}\n",
                        val, "15af977ce25de452b96affa2addb1036");
            if (d != NULL) {
                truth(g, "eve.json", line, d->value, "subdomain");
                d = NULL;
            }
            break;
        }
        if (d != NULL) {
            truth(g, "eve.json", line, d->value, "exact");
        }
        bytes += (size_t)n;
    }
    return bytes;
}

static FILE *open_in(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "gen_logs: cannot write %s\n", path);
        exit(1);
    }
    static char bufs[6][1 << 16];
    static int k;
    setvbuf(f, bufs[k++ % 6], _IOFBF, sizeof(bufs[0]));
    return f;
}

static int64_t num(const char *s)
{
    int64_t v;
    if (str_to_i64(s, 0, INT64_MAX, &v) != 0) {
        fprintf(stderr, "gen_logs: not a number: %s\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    size_t n_inds = 10000, bytes = 100u << 20, hits = 10000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--out") == 0) {
            out = argv[i + 1];
        } else if (strcmp(argv[i], "--indicators") == 0) {
            n_inds = (size_t)num(argv[i + 1]);
        } else if (strcmp(argv[i], "--bytes") == 0) {
            bytes = (size_t)num(argv[i + 1]);
        } else if (strcmp(argv[i], "--hits") == 0) {
            hits = (size_t)num(argv[i + 1]);
        } else if (strcmp(argv[i], "--seed") == 0) {
            rng_state = (uint64_t)num(argv[i + 1]) * 0x9e3779b97f4a7c15ULL + 1;
        } else {
            fprintf(stderr, "gen_logs: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (out == NULL || n_inds == 0 || sodium_init() < 0) {
        fputs("usage: gen_logs --out DIR [--indicators N] [--bytes B] [--hits H] [--seed S]\n",
              stderr);
        return 2;
    }
    mkdir(out, 0755);
    struct gen g = {0};
    g.inds = calloc(n_inds, sizeof(*g.inds));
    if (g.inds == NULL) {
        return 1;
    }
    g.n_inds = n_inds;
    g.n_plant = n_inds < 10000 ? n_inds : 10000;
    FILE *fi = open_in(out, "indicators.txt");
    for (size_t i = 0; i < n_inds; i++) {
        make(&g.inds[i], pick_kind());
        fprintf(fi, "%s\n", g.inds[i].value);
    }
    fclose(fi);
    g.truth = open_in(out, "truth.tsv");
    /* about 150, 90, 150 and 330 bytes a line: spread the hits over the lines */
    double lines = (double)bytes / 4 / 150 + (double)bytes / 4 / 90 + (double)bytes / 4 / 150 +
                   (double)bytes / 4 / 330;
    g.hit_rate = (double)hits / lines / 1.4;
    FILE *f = open_in(out, "access.log");
    gen_access(&g, f, bytes / 4);
    fclose(f);
    f = open_in(out, "dns.log");
    gen_dns(&g, f, bytes / 4);
    fclose(f);
    f = open_in(out, "conn.log");
    gen_conn(&g, f, bytes / 4);
    fclose(f);
    f = open_in(out, "eve.json");
    gen_eve(&g, f, bytes / 4);
    fclose(f);
    fclose(g.truth);
    free(g.inds);
    return 0;
}
