/*
 * gen_stix.c — deterministic generator of realistic STIX 2.1 content for the demo, the
 * tests and the benchmarks: indicators on IPv4 addresses, domains, URLs and SHA-256
 * hashes with TLP markings and created_by_ref, plus the malware, identities and
 * relationships an analyst expects around them. The same seed gives the same bytes.
 *
 *   gen_stix --count N [--seed S] [--tlp clear|green|amber|amber+strict|red|mix]
 *            [--envelope] [--per-envelope K] [--identity NAME] [--plain]
 *
 * Writes one bundle (or, with --envelope, TAXII envelopes of K objects, one per line).
 * --plain emits only indicators (the benchmark's shape).
 */
#include "base/base.h"
#include "stix/stix.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: fast, deterministic, good enough for synthetic data */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void det_uuid(char out[UUID_TEXT])
{
    unsigned char u[16];
    uint64_t a = rnd(), b = rnd();
    memcpy(u, &a, 8);
    memcpy(u + 8, &b, 8);
    uuid_from_bytes(u, out);
}

static const char *const words[] = {"update",   "secure", "login",   "mail",    "cdn",    "portal",
                                    "bank",     "pay",    "cloud",   "sync",    "verify", "auth",
                                    "files",    "docs",   "office",  "support", "gov",    "asean",
                                    "ministry", "tax",    "customs", "health",  "vpn",    "static"};
static const char *const tlds[] = {"com", "net", "org", "info", "top", "xyz", "io", "cc",
                                   "th",  "sg",  "my",  "id",   "ph",  "vn",  "la", "kh"};
static const char *const families[] = {"LockBit",   "BlackCat",      "Cl0p",     "PlugX",
                                       "ShadowPad", "Cobalt Strike", "AsyncRAT", "Emotet",
                                       "QakBot",    "Akira",         "Play",     "RansomHub"};

static void domain(char *out, size_t n)
{
    snprintf(out, n, "%s-%s%u.%s", words[rnd() % BASE_ARRAY_LEN(words)],
             words[rnd() % BASE_ARRAY_LEN(words)], (unsigned)(rnd() % 1000),
             tlds[rnd() % BASE_ARRAY_LEN(tlds)]);
}

static void ipv4(char *out, size_t n)
{
    /* Public-looking ranges; avoid RFC 1918 so hunting warninglists don't drop them. */
    static const unsigned firsts[] = {45, 91, 103, 115, 139, 146, 171, 185, 193, 202};
    snprintf(out, n, "%u.%u.%u.%u", firsts[rnd() % BASE_ARRAY_LEN(firsts)], (unsigned)(rnd() % 256),
             (unsigned)(rnd() % 256), (unsigned)(1 + rnd() % 254));
}

struct gen {
    int count;
    const char *tlp; /* NULL = mix */
    bool envelope, plain;
    int per_envelope;
    char identity[STIX_ID_MAX];
    const char *identity_name;
    struct buf out;
    int in_batch;
    ts_us base;
};

static const char *tlp_id(struct gen *g)
{
    enum stix_tlp t;
    if (g->tlp != NULL && stix_tlp_parse(g->tlp, &t) == 0) {
        return stix_tlp_marking_id(t);
    }
    /* the mix a CERT's feed really has: mostly GREEN and AMBER, some CLEAR, a little RED */
    static const enum stix_tlp mix[] = {STIX_TLP_CLEAR,        STIX_TLP_GREEN, STIX_TLP_GREEN,
                                        STIX_TLP_GREEN,        STIX_TLP_AMBER, STIX_TLP_AMBER,
                                        STIX_TLP_AMBER_STRICT, STIX_TLP_RED};
    return stix_tlp_marking_id(mix[rnd() % BASE_ARRAY_LEN(mix)]);
}

static int emit_begin(struct gen *g)
{
    return g->envelope && g->in_batch == 0 ? buf_puts(&g->out, "{\"objects\":[") : 0;
}

static void flush(struct gen *g)
{
    fwrite(g->out.data, 1, g->out.len, stdout);
    buf_reset(&g->out);
}

static int emit_end(struct gen *g, bool last)
{
    g->in_batch++;
    if (g->envelope && (g->in_batch == g->per_envelope || last)) {
        g->in_batch = 0;
        if (buf_puts(&g->out, "]}\n") != 0) {
            return -1;
        }
        flush(g);
        return 0;
    }
    if (buf_puts(&g->out, last ? "" : g->envelope ? "," : ",\n") != 0) {
        return -1;
    }
    if (g->out.len > 1 << 20) {
        flush(g);
    }
    return 0;
}

static void timestamp(ts_us t, char out[TS_MAX_TEXT])
{
    ts_format(t, 3, out);
}

static int indicator(struct gen *g, int i, char id_out[STIX_ID_MAX])
{
    char uuid[UUID_TEXT], created[TS_MAX_TEXT], valid[TS_MAX_TEXT], value[256], pattern[400];
    const char *kind, *itype;
    det_uuid(uuid);
    ts_us t = g->base + (ts_us)i * 37000000;
    timestamp(t, created);
    timestamp(t - 3600 * 1000000LL, valid);
    switch (rnd() % 4) {
    case 0:
        ipv4(value, sizeof(value));
        snprintf(pattern, sizeof(pattern), "[ipv4-addr:value = '%s']", value);
        kind = "IPv4 address";
        itype = "malicious-activity";
        break;
    case 1:
        domain(value, sizeof(value));
        snprintf(pattern, sizeof(pattern), "[domain-name:value = '%s']", value);
        kind = "domain";
        itype = "malicious-activity";
        break;
    case 2: {
        char d[200];
        domain(d, sizeof(d));
        snprintf(value, sizeof(value), "https://%s/%s/%s.php", d, words[rnd() % 24],
                 words[rnd() % 24]);
        snprintf(pattern, sizeof(pattern), "[url:value = '%s']", value);
        kind = "URL";
        itype = "compromised";
        break;
    }
    default: {
        unsigned char h[32];
        for (int k = 0; k < 4; k++) {
            uint64_t r = rnd();
            memcpy(h + 8 * k, &r, 8);
        }
        hex_encode(h, 32, value);
        snprintf(pattern, sizeof(pattern), "[file:hashes.'SHA-256' = '%s']", value);
        kind = "SHA-256";
        itype = "malicious-activity";
        break;
    }
    }
    snprintf(id_out, STIX_ID_MAX, "indicator--%s", uuid);
    const char *family = families[rnd() % BASE_ARRAY_LEN(families)];
    if (emit_begin(g) ||
        buf_printf(&g->out,
                   "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                   "\"created\":\"%s\",\"modified\":\"%s\",\"created_by_ref\":\"%s\","
                   "\"name\":\"%s %s\",\"description\":\"%s infrastructure "
                   "reported by %s\",\"indicator_types\":[\"%s\"],"
                   "\"pattern\":",
                   id_out, created, created, g->identity, family, kind, family, g->identity_name,
                   itype) ||
        buf_json_str(&g->out, pattern) ||
        buf_printf(&g->out,
                   ",\"pattern_type\":\"stix\",\"pattern_version\":\"2.1\",\"valid_from\":\"%s\","
                   "\"confidence\":%u,\"labels\":[\"%s\"],\"object_marking_refs\":[\"%s\"]}",
                   valid, (unsigned)(40 + rnd() % 60), family, tlp_id(g))) {
        return -1;
    }
    return 0;
}

static const char usage[] =
    "usage: gen_stix --count N [--seed S] [--tlp LEVEL|mix] [--envelope] [--per-envelope K]\n"
    "                [--identity NAME] [--plain]\n";

int main(int argc, char **argv)
{
    struct gen g;
    memset(&g, 0, sizeof(g));
    int64_t count = 1000, seed = 1, per = 1000;
    g.identity_name = "ThaiCERT";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--count") == 0 && v && str_to_i64(v, 1, 100000000, &count) == 0) {
            i++;
        } else if (strcmp(a, "--seed") == 0 && v && str_to_i64(v, 0, INT64_MAX, &seed) == 0) {
            i++;
        } else if (strcmp(a, "--tlp") == 0 && v) {
            g.tlp = strcmp(v, "mix") == 0 ? NULL : v;
            i++;
        } else if (strcmp(a, "--per-envelope") == 0 && v && str_to_i64(v, 1, 100000, &per) == 0) {
            i++;
        } else if (strcmp(a, "--identity") == 0 && v) {
            g.identity_name = v;
            i++;
        } else if (strcmp(a, "--envelope") == 0) {
            g.envelope = true;
        } else if (strcmp(a, "--plain") == 0) {
            g.plain = true;
        } else {
            fputs(usage, stderr);
            return 2;
        }
    }
    rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 1;
    g.count = (int)count;
    g.per_envelope = (int)per;
    buf_init(&g.out, (size_t)1 << 30);
    if (ts_parse("2026-06-01T00:00:00.000Z", &g.base, NULL) != 0) {
        return 1;
    }
    char uuid[UUID_TEXT], created[TS_MAX_TEXT];
    det_uuid(uuid);
    snprintf(g.identity, sizeof(g.identity), "identity--%s", uuid);
    timestamp(g.base, created);
    if (!g.envelope) {
        char bundle[UUID_TEXT];
        det_uuid(bundle);
        printf("{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[\n", bundle);
    }
    int emitted = 0;
    if (!g.plain) {
        /* The reporting identity and the malware families, shared TLP:CLEAR. */
        const char *saved = g.tlp;
        g.tlp = "clear";
        if (emit_begin(&g) ||
            buf_printf(&g.out,
                       "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
                       "\"%s\",\"modified\":\"%s\",\"name\":\"%s\",\"identity_class\":"
                       "\"organization\",\"sectors\":[\"government-national\"],"
                       "\"object_marking_refs\":[\"%s\"]}",
                       g.identity, created, created, g.identity_name, tlp_id(&g)) ||
            emit_end(&g, ++emitted == g.count)) {
            return 1;
        }
        g.tlp = saved;
    }
    char malware_ids[BASE_ARRAY_LEN(families)][STIX_ID_MAX];
    for (size_t f = 0; !g.plain && f < BASE_ARRAY_LEN(families) && emitted < g.count; f++) {
        det_uuid(uuid);
        snprintf(malware_ids[f], STIX_ID_MAX, "malware--%s", uuid);
        if (emit_begin(&g) ||
            buf_printf(&g.out,
                       "{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":"
                       "\"%s\",\"modified\":\"%s\",\"created_by_ref\":\"%s\",\"name\":\"%s\","
                       "\"is_family\":true,\"malware_types\":[\"%s\"],\"object_marking_refs\":"
                       "[\"%s\"]}",
                       malware_ids[f], created, created, g.identity, families[f],
                       f % 3 == 0 ? "ransomware" : "remote-access-trojan",
                       stix_tlp_marking_id(STIX_TLP_CLEAR)) ||
            emit_end(&g, ++emitted == g.count)) {
            return 1;
        }
    }
    for (int i = 0; emitted < g.count; i++) {
        char ind[STIX_ID_MAX];
        if (indicator(&g, i, ind) != 0 || emit_end(&g, ++emitted == g.count)) {
            return 1;
        }
        /* every fifth indicator is tied to its family, as analysts link them */
        if (!g.plain && i % 5 == 0 && emitted < g.count) {
            char ts[TS_MAX_TEXT];
            det_uuid(uuid);
            timestamp(g.base + (ts_us)i * 37000000, ts);
            if (emit_begin(&g) ||
                buf_printf(&g.out,
                           "{\"type\":\"relationship\",\"spec_version\":\"2.1\",\"id\":"
                           "\"relationship--%s\",\"created\":\"%s\",\"modified\":\"%s\","
                           "\"created_by_ref\":\"%s\",\"relationship_type\":\"indicates\","
                           "\"source_ref\":\"%s\",\"target_ref\":\"%s\",\"object_marking_refs\":"
                           "[\"%s\"]}",
                           uuid, ts, ts, g.identity, ind,
                           malware_ids[rnd() % BASE_ARRAY_LEN(families)], tlp_id(&g)) ||
                emit_end(&g, ++emitted == g.count)) {
                return 1;
            }
        }
    }
    flush(&g);
    if (!g.envelope) {
        printf("\n]}\n");
    }
    buf_fini(&g.out);
    return 0;
}
