/* hunt_test.c — indicator recognition and normal forms: every type with valid values,
 * near misses, and the checksums of payment identifiers. */
#include "hunt/hunt.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

static bool classify(const char *in, const char *want_type, const char *want_norm)
{
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX];
    struct err err;
    if (hunt_classify(in, strlen(in), &t, norm, &err) != 0) {
        if (want_type == NULL) {
            return true;
        }
        fprintf(stderr, "    %s: %s\n", in, err.msg);
        return false;
    }
    if (want_type == NULL) {
        fprintf(stderr, "    %s: accepted as %s %s\n", in, hunt_type_name(t), norm);
        return false;
    }
    if (strcmp(hunt_type_name(t), want_type) != 0 || strcmp(norm, want_norm) != 0) {
        fprintf(stderr, "    %s: got %s %s, want %s %s\n", in, hunt_type_name(t), norm, want_type,
                want_norm);
        return false;
    }
    return true;
}

static void recognises_every_type(void)
{
    static const struct {
        const char *in, *type, *norm;
    } cases[] = {
        {"198.51.100.7", "ipv4", "198.51.100.7"},
        {"  198.51.100.7\r", "ipv4", "198.51.100.7"},
        {"198.51.100.7/24", "cidr4", "198.51.100.0/24"},
        {"2001:0DB8:0000:0000:0000:0000:0000:0001", "ipv6", "2001:db8::1"},
        {"2001:db8:0:0:1::/64", "cidr6", "2001:db8::/64"},
        {"Evil.Example.", "domain", "evil.example"},
        {"xn--80ak6aa92e.com", "domain", "xn--80ak6aa92e.com"},
        {"_dmarc.example.org", "domain", "_dmarc.example.org"},
        {"HTTP://Evil.Example:80/a/%7Euser/%2f?q=1#f", "url",
         "http://evil.example/a/~user/%2F?q=1#f"},
        {"https://evil.example:443", "url", "https://evil.example/"},
        {"http://evil.example./50%off%%41", "url", "http://evil.example/50%25off%25A"},
        {"https://evil.example:8443/x", "url", "https://evil.example:8443/x"},
        {"http://user@[2001:DB8::1]:8080/", "url", "http://user@[2001:db8::1]:8080/"},
        {"D41D8CD98F00B204E9800998ECF8427E", "md5", "d41d8cd98f00b204e9800998ecf8427e"},
        {"da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1",
         "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d28"
         "77eec2f63b931bd47417a81a538327af927da3e",
         "sha512",
         "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d28"
         "77eec2f63b931bd47417a81a538327af927da3e"},
        {"Finance@Example.ORG", "email", "finance@example.org"},
        {"1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "bitcoin", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
        {"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "bitcoin", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
        {"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bitcoin",
         "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
        {"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "bitcoin",
         "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
        {"bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y", "bitcoin",
         "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"},
        {"0x52908400098527886E0F7030069857D2E4169EE7", "ethereum",
         "0x52908400098527886e0f7030069857d2e4169ee7"},
        {"GB82 WEST 1234 5698 7654 32", "iban", "GB82WEST12345698765432"},
        {"de89370400440532013000", "iban", "DE89370400440532013000"},
        {"NO93 8601 1117 947", "iban", "NO9386011117947"}, /* the shortest, 15 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(classify(cases[i].in, cases[i].type, cases[i].norm));
    }
}

static void refuses_near_misses(void)
{
    static const char *const bad[] = {
        "",
        "198.51.100.256",
        "198.51.100.7/33",
        "evil", /* one label */
        "evil..example",
        "-evil.example",
        "evil-.example",
        "evil.123", /* numeric top-level label */
        "http://",
        "http:///path",
        "@example.org",
        "a@b@example.org",
        "d41d8cd98f00b204e9800998ecf8427",            /* 31 hex digits */
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb",         /* Base58Check fails */
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", /* Bech32 checksum fails */
        "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", /* mixed case */
        "GB82WEST12345698765433",                     /* mod 97 fails */
        "DE543704004405320130001",                    /* mod 97 holds, but 23 for DE's 22 */
        "AB84 dddddddddd1dddddddd1dddddddd",          /* mod 97 holds, no such country: an MD5 */
        "0x52908400098527886E0F7030069857D2E4169EE",  /* 39 hex digits */
        "not an indicator at all",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(classify(bad[i], NULL, NULL));
    }
}

struct collected {
    char text[65536];
    size_t len;
};

static void collect(void *ctx, const struct hunt_hit *h)
{
    static const char *const kinds[] = {"exact", "subdomain", "in-range"};
    struct collected *c = ctx;
    c->len += (size_t)snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s%s/%s@%zu",
                               c->len ? " " : "", h->label, kinds[h->match], h->offset);
}

/* The hits of the two-layer scanner, checked against the exact layer alone. */
static const char *scan_n(const struct hunt_index *ix, const char *text, size_t n)
{
    static struct collected c, ref;
    c.len = ref.len = 0;
    c.text[0] = ref.text[0] = '\0';
    hunt_scan(ix, text, n, collect, &c);
    hunt_scan_exact(ix, text, n, collect, &ref);
    if (strcmp(c.text, ref.text) != 0) {
        fprintf(stderr, "    %.*s\n    prefiltered: %s\n    exact layer: %s\n", (int)n, text,
                c.text, ref.text);
        CHECK(false);
    }
    return c.text;
}

static const char *scan(const struct hunt_index *ix, const char *line)
{
    return scan_n(ix, line, strlen(line));
}

/* Random text made of indicators, near misses and the punctuation around them: the
 * prefilter must never lose a hit the exact layer finds (fixed seed, so reproducible). */
static void prefilter_loses_nothing(void)
{
    struct err err;
    struct hunt_index *ix = hunt_index_new();
    FAIL_IF(ix == NULL);
    static const char *const indicators[] = {"1.2.3.4",
                                             "evil.example",
                                             "203.0.113.0/24",
                                             "https://bad.example/gate.php",
                                             "2001:db8::1",
                                             "2001:db8::/48",
                                             "10.9.0.0/16",
                                             "d41d8cd98f00b204e9800998ecf8427e",
                                             "finance@corp.example",
                                             "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
                                             "http://198.51.100.9/x",
                                             "0x52908400098527886E0F7030069857D2E4169EED",
                                             "GB82WEST12345698765432",
                                             "sub.a-b.example"};
    for (size_t i = 0; i < sizeof(indicators) / sizeof(indicators[0]); i++) {
        CHECK(hunt_index_add(ix, indicators[i], strlen(indicators[i]), indicators[i], 0, -1,
                             &err) == 0);
    }
    static const char *const parts[] = {"1.2.3.4",
                                        "11.2.3.45",
                                        "1.2.3.",
                                        "4",
                                        "EVIL.example",
                                        "c2.evil.example.",
                                        "evil",
                                        ".example",
                                        "notevil.example",
                                        "https://",
                                        "http://",
                                        "bad.example",
                                        "/gate.php",
                                        ":443",
                                        "[",
                                        "]",
                                        "2001:db8::1",
                                        "2001:DB8:0:0:0:0:0:1",
                                        "::",
                                        "2001:db8:0:1::9",
                                        ":",
                                        "=",
                                        "/",
                                        ".",
                                        "@",
                                        "finance",
                                        "corp.example",
                                        "D41D8CD98F00B204E9800998ECF8427E",
                                        "0",
                                        "x",
                                        "-",
                                        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
                                        "203.0.113.255",
                                        "10.9.8.7",
                                        "198.51.100.9",
                                        "0x52908400098527886E0F7030069857D2E4169EED",
                                        "GB82WEST12345698765432",
                                        "a-b.example",
                                        "sub.",
                                        "12:34:56",
                                        "\"",
                                        " ",
                                        " ",
                                        "\t",
                                        "\n",
                                        ",",
                                        "?q=1",
                                        "_",
                                        "%41",
                                        "\xc3\xa9"};
    const size_t n_parts = sizeof(parts) / sizeof(parts[0]);
    uint64_t seed = 0x5eed;
    char text[4096];
    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        int pieces = 1 + (int)(seed % 40);
        for (int k = 0; k < pieces; k++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *p = parts[(seed >> 33) % n_parts];
            size_t pn = strlen(p);
            if (len + pn >= sizeof(text)) {
                break;
            }
            memcpy(text + len, p, pn);
            len += pn;
        }
        /* not NUL-terminated on purpose: the scanners take a length */
        scan_n(ix, text, len);
        if (unit_failed_now()) {
            break;
        }
    }
    hunt_index_free(ix);
}

static void exact_whole_token_matching(void)
{
    struct err err;
    struct hunt_index *ix = hunt_index_new();
    FAIL_IF(ix == NULL);
    static const char *const indicators[] = {"1.2.3.4",
                                             "evil.example",
                                             "203.0.113.0/24",
                                             "https://bad.example/gate.php",
                                             "d41d8cd98f00b204e9800998ecf8427e",
                                             "finance@corp.example",
                                             "2001:db8::1",
                                             "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
                                             "GB82 WEST 1234 5698 7654 32"};
    for (size_t i = 0; i < sizeof(indicators) / sizeof(indicators[0]); i++) {
        CHECK(hunt_index_add(ix, indicators[i], strlen(indicators[i]), indicators[i], 0, -1,
                             &err) == 0);
    }
    CHECK(hunt_index_add(ix, " 1.2.3.4", 8, "1.2.3.4", 0, -1, &err) == 1); /* same label */
    CHECK(hunt_index_add(ix, "nonsense", 8, "x", 0, -1, &err) == -1);
    CHECK(hunt_index_size(ix) == 9);
    static const struct {
        const char *line, *want;
    } cases[] = {
        {"conn from 1.2.3.4 to 11.2.3.45 and 1.2.3.45 and 21.2.3.4", "1.2.3.4/exact@10"},
        {"conn 1.2.3.4:443 -> 10.0.0.1:51000", "1.2.3.4/exact@5"},
        {"GET http://c2.evil.example/x HTTP/1.1", "evil.example/subdomain@4"},
        {"query notevil.example A", ""},
        {"query evil.example.org A", ""},
        {"query EVIL.EXAMPLE. A", "evil.example/exact@6"},
        {"host=evil.example", "evil.example/exact@5"},
        {"src=203.0.113.77 dst=203.0.114.1", "203.0.113.0/24/in-range@4"},
        {"url https://BAD.example:443/gate.php ok", "https://bad.example/gate.php/exact@4"},
        {"url https://bad.example/gate.php?x=1", ""},
        {"only the host: bad.example", ""},
        {"[2001:0db8::0001]:443 and 2001:db8::10", "2001:db8::1/exact@1"},
        {"hash=D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e/exact@5"},
        {"hash d41d8cd98f00b204e9800998ecf8427e0", ""},
        {"mail from <Finance@corp.example>", "finance@corp.example/exact@11"},
        {"pay to 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa.",
         "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa/exact@7"},
        {"iban GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32/exact@5"},
        {"\"1.2.3.4\",\"evil.example\"", "1.2.3.4/exact@1 evil.example/exact@11"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = scan(ix, cases[i].line);
        if (strcmp(got, cases[i].want) != 0) {
            fprintf(stderr, "    %s\n    want: %s\n    got:  %s\n", cases[i].line, cases[i].want,
                    got);
            CHECK(false);
        }
    }
    hunt_index_free(ix);
    hunt_index_free(NULL);
}

/* Two indicators (two STIX ids) sharing a value: both are hit, each once. */
static void shared_values(void)
{
    struct err err;
    struct hunt_index *ix = hunt_index_new();
    FAIL_IF(ix == NULL);
    CHECK(hunt_index_add(ix, "evil.example", 12, "indicator-a", 0, 1, &err) == 0);
    CHECK(hunt_index_add(ix, "evil.example", 12, "indicator-b", HUNT_EXACT_ONLY, 2, &err) == 0);
    CHECK(hunt_index_add(ix, "EVIL.example", 12, "indicator-b", 0, 2, &err) == 1);
    CHECK(hunt_index_add(ix, "10.9.0.0/16", 11, "range-a", 0, 3, &err) == 0);
    CHECK(hunt_index_add(ix, "10.9.1.0/16", 11, "range-b", 0, 4, &err) == 0);
    CHECK(hunt_index_size(ix) == 4);
    CHECK(strcmp(scan(ix, "evil.example"), "indicator-a/exact@0 indicator-b/exact@0") == 0);
    /* indicator-b came from a STIX pattern: exact only */
    CHECK(strcmp(scan(ix, "x.evil.example"), "indicator-a/subdomain@0") == 0);
    CHECK(strcmp(scan(ix, "10.9.8.7"), "range-b/in-range@0 range-a/in-range@0") == 0);
    hunt_index_free(ix);
}

static void nested_ranges(void)
{
    struct err err;
    struct hunt_index *ix = hunt_index_new();
    FAIL_IF(ix == NULL);
    static const char *const ranges[] = {"203.0.113.0/24", "203.0.113.128/25", "0.0.0.0/0",
                                         "2001:db8::/32", "203.0.113.200"};
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        CHECK(hunt_index_add(ix, ranges[i], strlen(ranges[i]), ranges[i], 0, -1, &err) == 0);
    }
    CHECK(hunt_index_add(ix, "203.0.113.7/24", 14, "203.0.113.0/24", 0, -1, &err) ==
          1); /* the same network, the same label */
    CHECK(strcmp(scan(ix, "x 203.0.113.200 y"),
                 "203.0.113.200/exact@2 0.0.0.0/0/in-range@2 203.0.113.0/24/in-range@2 "
                 "203.0.113.128/25/in-range@2") == 0);
    CHECK(strcmp(scan(ix, "x 203.0.113.5 y"), "0.0.0.0/0/in-range@2 203.0.113.0/24/in-range@2") ==
          0);
    CHECK(strcmp(scan(ix, "2001:db8:ffff::1"), "2001:db8::/32/in-range@0") == 0);
    CHECK(strcmp(scan(ix, "2001:db9::1"), "") == 0);
    /* a domain added for exact matching only: no subdomain hits */
    CHECK(hunt_index_add(ix, "stix.example", 12, "from-stix", HUNT_EXACT_ONLY, -1, &err) == 0);
    CHECK(strcmp(scan(ix, "a.stix.example stix.example"), "from-stix/exact@15") == 0);
    hunt_index_free(ix);
}

static const char *caught(const struct hunt_warninglists *w, const char *value)
{
    enum hunt_type t;
    char norm[HUNT_VALUE_MAX];
    struct err err;
    if (hunt_classify(value, strlen(value), &t, norm, &err) != 0) {
        return "invalid";
    }
    const char *list = hunt_warninglists_match(w, t, norm);
    return list ? list : "-";
}

static void warninglists(void)
{
    struct err err;
    struct hunt_warninglists *w = hunt_warninglists_new(true);
    FAIL_IF(w == NULL);
    CHECK(strcmp(caught(w, "10.1.2.3"), "rfc6890-private") == 0);
    CHECK(strcmp(caught(w, "192.168.0.0/16"), "rfc6890-private") == 0);
    CHECK(strcmp(caught(w, "127.0.0.1"), "rfc6890-loopback") == 0);
    CHECK(strcmp(caught(w, "169.254.1.1"), "rfc6890-link-local") == 0);
    CHECK(strcmp(caught(w, "203.0.113.7"), "rfc6890-documentation") == 0);
    CHECK(strcmp(caught(w, "2001:db8::5"), "rfc6890-documentation") == 0);
    CHECK(strcmp(caught(w, "239.1.2.3"), "rfc6890-multicast") == 0);
    CHECK(strcmp(caught(w, "8.8.8.8"), "public-resolvers") == 0);
    CHECK(strcmp(caught(w, "0.0.0.0/0"), "rfc6890-this-network") == 0); /* overlaps all */
    CHECK(strcmp(caught(w, "1.2.3.4"), "-") == 0);
    CHECK(strcmp(caught(w, "8.8.8.9"), "-") == 0);
    CHECK(strcmp(caught(w, "evil.example"), "-") == 0);
    size_t skipped;
    const char *top = "google.com\n# comment\nhttps://www.google.com/\nnot a value\n";
    CHECK(hunt_warninglists_load(w, "top-sites", top, strlen(top), &skipped, &err) == 0);
    CHECK(skipped == 1);
    CHECK(strcmp(caught(w, "Google.COM."), "top-sites") == 0);
    CHECK(strcmp(caught(w, "mail.google.com"), "-") == 0);
    CHECK(strcmp(caught(w, "https://WWW.google.com:443"), "top-sites") == 0);
    hunt_warninglists_free(w);
    w = hunt_warninglists_new(false);
    CHECK(w != NULL && strcmp(caught(w, "10.1.2.3"), "-") == 0);
    hunt_warninglists_free(w);
    hunt_warninglists_free(NULL);
}

static ts_us at(const char *s)
{
    ts_us t = -1;
    if (!hunt_time_parse(s, strlen(s), &t)) {
        return -1;
    }
    return t;
}

static void log_times(void)
{
    ts_us want;
    FAIL_IF(ts_parse("2026-11-28T10:00:00.5Z", &want, NULL) != 0);
    CHECK(at("2026-11-28T10:00:00.5Z") == want);
    CHECK(at("2026-11-28T17:00:00.500000+0700") == want);
    CHECK(at("2026-11-28 08:00:00.5 -02:00") == want);
    CHECK(at("[28/Nov/2026:11:00:00.5 +0100]") == want);
    CHECK(at("28-Nov-2026 10:00:00.500 queries: info") == want);
    CHECK(at("1795860000.5") == want);
    CHECK(at("\"2026-11-28T10:00:00.5Z\"") == want);
    CHECK(at("2026-13-28T10:00:00Z") == -1);
    CHECK(at("28/Foo/2026:10:00:00 +0000") == -1);
    CHECK(at("10:00:00") == -1);
    CHECK(at("12345") == -1);
    CHECK(at("") == -1);
}

struct leaves {
    char text[512];
    size_t len;
};

static int on_leaf(void *ctx, const struct hunt_leaf *lf)
{
    struct leaves *l = ctx;
    l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s%s=%.*s@%zu",
                               l->len ? " " : "", lf->path, (int)lf->len, lf->value, lf->offset);
    return 0;
}

static void json_records(void)
{
    struct leaves l = {{0}, 0};
    const char *rec = "{\"a\":1,\"b\":{\"c\":\"x\\\"y\",\"d\":[true,{\"e\":null}]},\"f\":[]}";
    CHECK(hunt_json_leaves(rec, strlen(rec), on_leaf, &l) == 0);
    CHECK(strcmp(l.text, "a=1@5 b.c=x\\\"y@17 b.d=true@28 b.d.e=null@38") == 0);
    static const char *const bad[] = {"",         "[1]",        "{",           "{\"a\"}",
                                      "{\"a\":}", "{\"a\":1,}", "{\"a\":\"x}", "{\"a\":[1,}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        l.len = 0;
        CHECK(hunt_json_leaves(bad[i], strlen(bad[i]), on_leaf, &l) == -1);
    }
    /* depth is bounded */
    char deep[200];
    size_t n = 0;
    for (int i = 0; i < 40; i++) {
        n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"a\":");
    }
    CHECK(hunt_json_leaves(deep, n, on_leaf, &l) == -1);

    /* fields by offset in each format */
    char field[HUNT_FIELD_MAX];
    struct hunt_layout *json = hunt_layout_new(HUNT_FORMAT_AUTO, rec, strlen(rec));
    FAIL_IF(json == NULL);
    CHECK(hunt_layout_format(json) == HUNT_FORMAT_JSON);
    CHECK(hunt_record_field(json, rec, strlen(rec), 19, field, sizeof(field)) &&
          strcmp(field, "b.c") == 0);
    hunt_layout_free(json);
    const char *zeek = "#separator \\x09\n#fields\tts\tid.orig_h\n";
    struct hunt_layout *z = hunt_layout_new(HUNT_FORMAT_AUTO, zeek, strlen(zeek));
    FAIL_IF(z == NULL);
    CHECK(hunt_layout_format(z) == HUNT_FORMAT_ZEEK);
    CHECK(hunt_record_field(z, "1.5\t1.2.3.4", 11, 6, field, sizeof(field)) &&
          strcmp(field, "id.orig_h") == 0);
    CHECK(!hunt_record_field(z, "1.5\t1.2.3.4\textra", 17, 14, field, sizeof(field)));
    hunt_layout_free(z);
    struct hunt_layout *p = hunt_layout_new(HUNT_FORMAT_AUTO, "plain text", 10);
    FAIL_IF(p == NULL);
    CHECK(hunt_layout_format(p) == HUNT_FORMAT_PLAIN);
    CHECK(!hunt_record_field(p, "plain text", 10, 3, field, sizeof(field)));
    hunt_layout_free(p);
    hunt_layout_free(NULL);
}

/* Records as observations: eve and Zeek fields by the built-in mapping, values anywhere. */
static void record_observables(void)
{
    struct hunt_map *m = hunt_map_new();
    FAIL_IF(m == NULL);
    const char *eve = "{\"src_ip\":\"10.0.0.5\",\"dest_ip\":\"45.33.7.7\",\"dest_port\":443,"
                      "\"proto\":\"TCP\",\"tls\":{\"sni\":\"C2.Example.NET\"}}";
    struct hunt_layout *l = hunt_layout_new(HUNT_FORMAT_AUTO, eve, strlen(eve));
    FAIL_IF(l == NULL);
    json_t *scos = hunt_record_scos(l, m, eve, strlen(eve));
    FAIL_IF(scos == NULL);
    char *text = json_dumps(scos, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK(text != NULL &&
          strcmp(text, "{\"0\":{\"type\":\"ipv4-addr\",\"value\":\"10.0.0.5\"},"
                       "\"1\":{\"type\":\"ipv4-addr\",\"value\":\"45.33.7.7\"},"
                       "\"2\":{\"type\":\"domain-name\",\"value\":\"c2.example.net\"},"
                       "\"3\":{\"dst_port\":443,\"dst_ref\":\"1\",\"protocols\":[\"tcp\"],"
                       "\"src_ref\":\"0\",\"type\":\"network-traffic\"}}") == 0);
    free(text);
    json_decref(scos);
    hunt_layout_free(l);
    struct err err;
    CHECK(hunt_map_load(m, "{\"a\":\"file:name\"}", 17, &err) == 0);
    CHECK(hunt_map_load(m, "{\"a\":\"file:size\"}", 17, &err) == -1);
    CHECK(hunt_map_load(m, "[1]", 3, &err) == -1);
    hunt_map_free(m);
}

/* A FOLLOWEDBY pattern over a window: completed once, in order, within its time. */
static void pattern_windows(void)
{
    struct err err;
    const char *text = "([domain-name:value = 'a.example'] FOLLOWEDBY "
                       "[ipv4-addr:value = '45.33.8.8']) WITHIN 60 SECONDS";
    struct pattern *p = pattern_parse(text, strlen(text), &err);
    FAIL_IF(p == NULL);
    struct hunt_window *w = hunt_window_new(p, 16);
    FAIL_IF(w == NULL);
    json_t *dom = json_pack("{s:{s:s,s:s}}", "0", "type", "domain-name", "value", "a.example");
    json_t *ip = json_pack("{s:{s:s,s:s}}", "0", "type", "ipv4-addr", "value", "45.33.8.8");
    bool m;
    ts_us s = 1000000;
    CHECK(hunt_window_push(w, json_incref(ip), 0, &m) == 0 && !m); /* wrong order */
    CHECK(hunt_window_push(w, json_incref(dom), s, &m) == 0 && !m);
    CHECK(hunt_window_push(w, json_incref(ip), 30 * s, &m) == 0 && m);  /* completes */
    CHECK(hunt_window_push(w, json_incref(ip), 31 * s, &m) == 0 && !m); /* used up */
    CHECK(hunt_window_push(w, json_incref(dom), 100 * s, &m) == 0 && !m);
    CHECK(hunt_window_push(w, json_incref(ip), 161 * s, &m) == 0 && !m); /* too late */
    json_decref(dom);
    json_decref(ip);
    hunt_window_free(w);
    hunt_window_free(NULL);
    pattern_free(p);
}

const struct unit_test hunt_tests[] = {
    {"recognises_every_type", recognises_every_type},
    {"refuses_near_misses", refuses_near_misses},
    {"exact_whole_token_matching", exact_whole_token_matching},
    {"nested_ranges", nested_ranges},
    {"shared_values", shared_values},
    {"prefilter_loses_nothing", prefilter_loses_nothing},
    {"log_times", log_times},
    {"json_records", json_records},
    {"record_observables", record_observables},
    {"pattern_windows", pattern_windows},
    {"warninglists", warninglists},
    {NULL, NULL},
};
