/* pattern_test.c — STIX patterning: a corpus of valid patterns covering every construct of
 * the grammar (each must round-trip through the canonical printer), a corpus of invalid
 * ones with the message each must produce, precedence and qualifier binding, and bounds. */
#include "pattern/pattern.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const valid[] = {
    "[ipv4-addr:value = '198.51.100.7']",
    "[ipv4-addr:value == '198.51.100.7']",
    "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
    "[ipv4-addr:value ISSUBSET '203.0.113.0/24' OR ipv4-addr:value ISSUPERSET '203.0.113.9']",
    "[domain-name:value = 'c2.example.net' OR domain-name:value LIKE '%.bad.example']",
    "[url:value MATCHES '^https?://[a-z0-9.-]+/gate\\\\.php$']",
    "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:size > 1024]",
    "[file:size >= 0 AND file:size <= 4096 AND file:size < 5000 AND file:size != 17]",
    "[file:size <> 17]",
    "[file:name NOT = 'calc.exe']",
    "[file:name NOT IN ('a.exe', 'b.exe', 'c.exe')]",
    "[process:pid IN (4, 8, 15.5)]",
    "[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.5]",
    "[file:extensions.'windows-pebinary-ext'.sections[0].name = '.text']",
    "[email-message:to_refs[*].value = 'finance@example.org']",
    "[email-message:body_multipart[1].body_raw_ref.name LIKE 'invoice_%.zip']",
    "[network-traffic:dst_ref.value = '198.51.100.9' AND network-traffic:dst_port = 443]",
    "[network-traffic:extensions.'tcp-ext'.src_flags_hex = h'0a1B']",
    "[artifact:payload_bin = b'SGVsbG8gQ0VSVA==']",
    "[artifact:payload_bin = b'YWJj']",
    "[file:created = t'2026-01-13T07:03:17Z']",
    "[file:mtime > t'2026-01-13T07:03:17.123456Z']",
    "[user-account:is_privileged = true AND user-account:is_disabled = false]",
    "[EXISTS windows-registry-key:values]",
    "[NOT EXISTS windows-registry-key:values[*].data]",
    "[(file:name = 'a' OR file:name = 'b') AND file:size = 3]",
    "[file:name = 'a' OR (file:name = 'b' AND file:size = 3)]",
    "[(type-a:prop_j = 'W' AND type-a:prop_k = 'X') OR (type-b:prop_m = 'Y' AND type-b:prop_n = "
    "'Z')]",
    "[file:name = 'it\\'s here' AND file:name != 'c:\\\\temp']",
    "[x-acme-widget:x_acme_colour = 'red']",
    "[ipv4-addr:value = '198.51.100.1'] AND [ipv4-addr:value = '198.51.100.2']",
    "[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'a.example']",
    "[ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'a.example']",
    "([ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [domain-name:value = 'a.example']) WITHIN 300 "
    "SECONDS",
    "[file:name = 'x'] REPEATS 5 TIMES",
    "[file:name = 'x'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
    "[file:name = 'x'] WITHIN 2.5 SECONDS",
    "[file:name = 'x'] START t'2026-01-01T00:00:00Z' STOP t'2026-02-01T00:00:00Z'",
    "([a-type:p = 1] AND [b-type:q = 2]) REPEATS 2 TIMES WITHIN 60 SECONDS",
    "(([a-type:p = 1] AND [b-type:q = 2]) WITHIN 5 SECONDS) WITHIN 60 SECONDS",
    "[a-type:p = 1] AND ([b-type:q = 2] OR [c-type:r = 3])",
    "([a-type:p = 1] OR [b-type:q = 2]) AND [c-type:r = 3]",
    "[a-type:p = 1] FOLLOWEDBY ([b-type:q = 2] FOLLOWEDBY [c-type:r = 3])",
    "[a-type:p = -1 AND a-type:q = -0.5 AND a-type:r = +7 AND a-type:s = +.25]",
    "  [ file : name\n = /* comment */ 'x' ]  // trailing comment",
    "[file:name\u00a0=\u3000'x']",
    "[domain-name:value = "
    "'\xe0\xb8\x81\xe0\xb8\xa3\xe0\xb8\xb0\xe0\xb8\x97\xe0\xb8\xa3\xe0\xb8\xa7\xe0\xb8\x87.th']",
};

static const struct {
    const char *pattern;
    const char *message;
} invalid[] = {
    {"", "column 1: empty pattern"},
    {"ipv4-addr:value = '1.2.3.4'",
     "column 1: expected '[' to open an observation expression, found 'ipv4-addr'"},
    {"[file:name = 'x'",
     "column 17: expected ']' to close the observation expression, found the end of the pattern"},
    {"[file:name = 'x' file:size = 3]",
     "column 18: expected ']' to close the observation expression, found 'file'"},
    {"[file:name = 'x'] AND",
     "column 22: expected '[' to open an observation expression, found the end of the pattern"},
    {"[file:name = 'x'] [file:size = 3]",
     "column 19: expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found '['"},
    {"[file:name 'x']", "column 12: expected a comparison operator"},
    {"[file:name = ]", "column 14: expected a constant to compare with, found ']'"},
    {"[file:name = 'x]", "column 14: string not closed: a ' is missing"},
    {"[file name = 'x']", "column 7: expected ':' after the object type, found 'name'"},
    {"[File:name = 'x']", "column 2: 'File' is not a valid object type"},
    {"[ab:name = 'x']", "column 2: 'ab' is not a valid object type"},
    {"[a--b:name = 'x']", "column 2: 'a--b' is not a valid object type"},
    {"[file:Name = 'x']", "column 7: 'Name' is not a valid property name"},
    {"[file:extensions.windows-pebinary-ext.x = 1]",
     "column 18: property name 'windows-pebinary-ext' contains '-': quote it"},
    {"[file:name = 'a\\b']", "column 16: in a string only \\' and \\\\ are escapes"},
    {"[file:mtime > t'2026-02-30T00:00:00Z']",
     "column 15: t'2026-02-30T00:00:00Z' is not a valid RFC 3339 timestamp"},
    {"[file:mtime > t'2026-01-01 00:00:00Z']", "is not a valid RFC 3339 timestamp"},
    {"[artifact:payload_bin = b'SGVsbG8']", "column 25: b'SGVsbG8' is not valid base64"},
    {"[artifact:payload_bin = b'']", "is not valid base64"},
    {"[file:magic_number_hex = h'abc']", "column 26: h'abc' is not an even number of hex digits"},
    {"[file:magic_number_hex = h'zz']", "is not an even number of hex digits"},
    {"[ipv4-addr:value ISSUBSET '198.51.100.0/33']",
     "column 27: '198.51.100.0/33' is not an IP address or CIDR range"},
    {"[ipv4-addr:value ISSUPERSET 'example.com']", "is not an IP address or CIDR range"},
    {"[url:value MATCHES '(unclosed']",
     "column 20: MATCHES operand is not a valid regular expression"},
    {"[url:value LIKE 5]", "column 17: LIKE needs a string constant, found '5'"},
    {"[file:size IN (1, 'two')]", "column 19: IN list mixes types"},
    {"[file:size IN ()]", "IN list is empty"},
    {"[file:size IN (1 2)]", "column 18: expected ',' or ')' in the IN list, found '2'"},
    {"[file:size > true]", "column 14: booleans have no order"},
    {"[file:size = 007]", "column 14: integer 007 has a leading zero"},
    {"[file:size = 99999999999999999999]",
     "column 14: integer 99999999999999999999 is out of range"},
    {"[file:name = 'x'] WITHIN 0 SECONDS", "column 26: WITHIN needs a positive number of seconds"},
    {"[file:name = 'x'] WITHIN -5 SECONDS", "WITHIN needs a positive number of seconds"},
    {"[file:name = 'x'] WITHIN 5",
     "expected SECONDS after the WITHIN value, found the end of the pattern"},
    {"[file:name = 'x'] REPEATS 0 TIMES", "column 27: REPEATS needs a positive whole number"},
    {"[file:name = 'x'] REPEATS 2.5 TIMES", "expected a whole number after REPEATS, found '2.5'"},
    {"[file:name = 'x'] START t'2026-02-01T00:00:00Z' STOP t'2026-01-01T00:00:00Z'",
     "column 54: STOP must be later than START"},
    {"[file:name = 'x'] START t'2026-02-01T00:00:00Z'", "expected STOP after the START timestamp"},
    {"[file:name = 'x'] WITHIN 5 SECONDS WITHIN 6 SECONDS",
     "column 36: more than one WITHIN qualifier on the same observation expression"},
    {"[file:name = 'x'] REPEATS 2 TIMES WITHIN 5 SECONDS REPEATS 3 TIMES",
     "more than one REPEATS qualifier"},
    {"[file:name = 'x' AND ipv4-addr:value = '1.2.3.4']",
     "column 18: AND joins comparisons that no single object can satisfy"},
    {"[(file:name = 'x' OR ipv4-addr:value = '1.2.3.4') AND domain-name:value = 'y']",
     "AND joins comparisons that no single object can satisfy"},
    {"[file:name = 'x'] AND ([file:name = 'y']",
     "expected ')' to close the parenthesised expression"},
    {"[file:sections[x] = 1]", "column 16: expected a list index or '*' in brackets, found 'x'"},
    {"[NOT file:name = 'x']", "column 6: expected EXISTS after NOT before an object path"},
    {"[file:name = 'x'] FOLLOWEDBY",
     "expected '[' to open an observation expression, found the end"},
    {"[file:name = 'x' ] @",
     "column 20: expected AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern, found '@'"},
    {"[domain-name:value = '\xff']", "column 1: pattern is not valid UTF-8 text"},
};

static struct pattern *parse(const char *s, struct err *err)
{
    return pattern_parse(s, strlen(s), err);
}

static void valid_patterns_round_trip(void)
{
    struct err err;
    struct buf b1, b2;
    buf_init(&b1, 1 << 20);
    buf_init(&b2, 1 << 20);
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        struct pattern *p = parse(valid[i], &err);
        if (p == NULL) {
            fprintf(stderr, "    %s\n    -> %s\n", valid[i], err.msg);
            CHECK(p != NULL);
            continue;
        }
        buf_reset(&b1);
        CHECK(pattern_print(p, &b1) == 0);
        struct pattern *q = parse(b1.data, &err);
        if (q == NULL) {
            fprintf(stderr, "    reprint does not parse: %s -> %s\n", b1.data, err.msg);
            CHECK(q != NULL);
        } else {
            CHECK(pattern_equal(p, q));
            buf_reset(&b2);
            CHECK(pattern_print(q, &b2) == 0 && strcmp(b1.data, b2.data) == 0);
        }
        CHECK(pattern_memory(p) > 0);
        pattern_free(q);
        pattern_free(p);
    }
    buf_fini(&b1);
    buf_fini(&b2);
}

static void invalid_patterns_say_why(void)
{
    struct err err;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        err.msg[0] = '\0';
        struct pattern *p = parse(invalid[i].pattern, &err);
        if (p != NULL || strstr(err.msg, invalid[i].message) == NULL) {
            fprintf(stderr, "    %s\n    expected: %s\n    got:      %s\n", invalid[i].pattern,
                    invalid[i].message, p ? "(accepted)" : err.msg);
            CHECK(false);
        }
        pattern_free(p);
    }
}

static void precedence_and_binding(void)
{
    struct err err;
    /* AND binds tighter than OR, OR tighter than FOLLOWEDBY (9.5.3) */
    struct pattern *p =
        parse("[a-t:p = 1] AND [a-t:p = 2] OR [a-t:p = 3] FOLLOWEDBY [a-t:p = 4]", &err);
    FAIL_IF(p == NULL);
    const struct pattern_obs *r = pattern_root(p);
    FAIL_IF(r->kind != PATTERN_OBS_FOLLOWEDBY || r->left->kind != PATTERN_OBS_OR ||
            r->left->left->kind != PATTERN_OBS_AND || r->right->kind != PATTERN_OBS_SIMPLE);
    pattern_free(p);
    /* left associative */
    p = parse("[a-t:p = 1] FOLLOWEDBY [a-t:p = 2] FOLLOWEDBY [a-t:p = 3]", &err);
    FAIL_IF(p == NULL);
    r = pattern_root(p);
    FAIL_IF(r->left->kind != PATTERN_OBS_FOLLOWEDBY || r->right->kind != PATTERN_OBS_SIMPLE);
    pattern_free(p);
    /* a qualifier binds to the expression just before it (9.5.2) */
    p = parse("[a-t:p = 1] FOLLOWEDBY [a-t:p = 2] REPEATS 5 TIMES", &err);
    FAIL_IF(p == NULL);
    r = pattern_root(p);
    FAIL_IF(r->kind != PATTERN_OBS_FOLLOWEDBY || r->right->kind != PATTERN_OBS_REPEATS ||
            r->right->repeats != 5);
    pattern_free(p);
    p = parse("([a-t:p = 1] FOLLOWEDBY [a-t:p = 2]) REPEATS 5 TIMES WITHIN 10.5 SECONDS", &err);
    FAIL_IF(p == NULL);
    r = pattern_root(p);
    FAIL_IF(r->kind != PATTERN_OBS_WITHIN || r->within != 10.5 ||
            r->child->kind != PATTERN_OBS_REPEATS ||
            r->child->child->kind != PATTERN_OBS_FOLLOWEDBY);
    pattern_free(p);
    /* inside brackets: AND before OR */
    p = parse("[a-t:p = 1 OR a-t:q = 2 AND a-t:r = 3]", &err);
    FAIL_IF(p == NULL);
    const struct pattern_cmp *c = pattern_root(p)->cmp;
    FAIL_IF(c->kind != PATTERN_CMP_OR || c->right->kind != PATTERN_CMP_AND);
    pattern_free(p);
    /* literals decode */
    p = parse("[a-t:p IN ('it\\'s', 'c:\\\\x') AND a-t:q = h'FF01' AND a-t:r = b'AAE=']", &err);
    FAIL_IF(p == NULL);
    c = pattern_root(p)->cmp;
    FAIL_IF(strcmp(c->left->left->lits[0].text, "it's") != 0 ||
            strcmp(c->left->left->lits[1].text, "c:\\x") != 0);
    FAIL_IF(c->left->right->lits[0].len != 2 || c->left->right->lits[0].bytes[0] != 0xff);
    FAIL_IF(c->right->lits[0].len != 2 || c->right->lits[0].bytes[1] != 0x01);
    pattern_free(p);
}

static void bounds(void)
{
    struct err err;
    struct buf b;
    buf_init(&b, 1 << 22);
    /* nesting */
    for (int i = 0; i < PATTERN_MAX_DEPTH + 1; i++) {
        CHECK(buf_puts(&b, "(") == 0);
    }
    CHECK(buf_puts(&b, "[a-t:p = 1]") == 0);
    for (int i = 0; i < PATTERN_MAX_DEPTH + 1; i++) {
        CHECK(buf_puts(&b, ")") == 0);
    }
    struct pattern *p = parse(b.data, &err);
    CHECK(p == NULL && strstr(err.msg, "nested deeper than 64") != NULL);
    /* a 4,096-value IN list is fine, one more is not */
    buf_reset(&b);
    CHECK(buf_puts(&b, "[a-t:p IN (0") == 0);
    for (int i = 1; i < PATTERN_MAX_SET; i++) {
        CHECK(buf_printf(&b, ", %d", i) == 0);
    }
    CHECK(buf_puts(&b, ")]") == 0);
    p = parse(b.data, &err);
    CHECK(p != NULL);
    pattern_free(p);
    b.len -= 2;
    CHECK(buf_puts(&b, ", 5000)]") == 0);
    p = parse(b.data, &err);
    CHECK(p == NULL && strstr(err.msg, "IN list longer than 4096 values") != NULL);
    /* length */
    char *big = malloc(PATTERN_MAX_LEN + 2);
    FAIL_IF(big == NULL);
    memset(big, ' ', PATTERN_MAX_LEN + 1);
    big[PATTERN_MAX_LEN + 1] = '\0';
    p = parse(big, &err);
    CHECK(p == NULL && strstr(err.msg, "longer than 65536 bytes") != NULL);
    free(big);
    buf_fini(&b);
}

/* ---- evaluation ----------------------------------------------------------------------- */

/* An observed-data in the embedded-objects form: numbered n, observed from first to last
 * (seconds after 2026-01-01T00:00:00Z), standing for count observations. */
struct od {
    int n, first, last, count;
    const char *objects;
};

/* The number at the end of an id (only the last 9 digits: ours are small). */
static int trailing_number(const char *id)
{
    int v = 0, mul = 1;
    const char *p = id + strlen(id);
    for (int k = 0; k < 9 && p > id && p[-1] >= '0' && p[-1] <= '9'; k++, p--) {
        v += (p[-1] - '0') * mul;
        mul *= 10;
    }
    return v;
}

/* "match N N ..." (the numbers of the bound observed-data), "no-match" or the error. */
static const char *eval(const char *pattern, int n_od, const struct od *ods)
{
    static char out[512];
    struct err err;
    struct buf b;
    buf_init(&b, 1 << 20);
    int rc = buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--44af6c39-c09b-49c5-9de2-"
                          "394224b04982\",\"objects\":[");
    for (int i = 0; i < n_od; i++) {
        const struct od *o = &ods[i];
        rc = rc || (i && buf_puts(&b, ",")) ||
             buf_printf(&b,
                        "{\"type\":\"observed-data\",\"id\":\"observed-data--00000000-0000-4000-"
                        "8000-%012d\",\"first_observed\":\"2026-01-01T%02d:%02d:%02dZ\","
                        "\"last_observed\":\"2026-01-01T%02d:%02d:%02dZ\",\"number_observed\":%d,"
                        "\"objects\":%s}",
                        o->n, o->first / 3600, o->first / 60 % 60, o->first % 60, o->last / 3600,
                        o->last / 60 % 60, o->last % 60, o->count, o->objects);
    }
    rc = rc || buf_puts(&b, "]}");
    json_t *bundle = rc ? NULL : json_loads(b.data, 0, NULL);
    buf_fini(&b);
    struct pattern *p = parse(pattern, &err);
    struct pattern_observations obs;
    if (p == NULL) {
        snprintf(out, sizeof(out), "invalid: %.400s", err.msg);
    } else if (bundle == NULL || pattern_observations_load(bundle, &obs, &err) != 0) {
        str_copy(out, sizeof(out), "bad bundle");
    } else {
        struct pattern_result res;
        if (pattern_match(p, &obs, &res) != 0) {
            str_copy(out, sizeof(out), "error");
        } else if (!res.matched) {
            str_copy(out, sizeof(out), "no-match");
        } else {
            size_t o = (size_t)snprintf(out, sizeof(out), "match");
            for (int i = 0; i < res.n_bound && o < sizeof(out) - 16; i++) {
                o += (size_t)snprintf(out + o, sizeof(out) - o, " %d",
                                      trailing_number(obs.items[res.bound[i]].id));
            }
        }
        pattern_observations_fini(&obs);
    }
    pattern_free(p);
    json_decref(bundle);
    return out;
}

static bool expect_eval(const char *pattern, int n, const struct od *ods, const char *want)
{
    const char *got = eval(pattern, n, ods);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "    %s\n    expected %s, got %s\n", pattern, want, got);
        return false;
    }
    return true;
}

#define IP "{\"0\":{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.7\"}}"
#define FILE_                                                                                      \
    "{\"0\":{\"type\":\"file\",\"name\":\"invoice.zip\",\"size\":2048,\"mtime\":"                  \
    "\"2026-01-05T10:00:00Z\",\"hashes\":{\"SHA-256\":\"aa\"},\"x_score\":7.5}}"
#define ART  "{\"0\":{\"type\":\"artifact\",\"payload_bin\":\"dGhpcyBpcyBhIHRlc3Q=\"}}"
#define ACCT "{\"0\":{\"type\":\"user-account\",\"user_id\":\"1007\",\"is_privileged\":true}}"
#define NET                                                                                        \
    "{\"0\":{\"type\":\"network-traffic\",\"src_ref\":\"1\",\"dst_ref\":\"2\",\"dst_port\":"       \
    "443,\"protocols\":[\"ipv4\",\"tcp\"]},\"1\":{\"type\":\"ipv4-addr\",\"value\":"               \
    "\"10.0.0.5\"},\"2\":{\"type\":\"ipv4-addr\",\"value\":\"203.0.113.9\"}}"
#define DNS                                                                                        \
    "{\"0\":{\"type\":\"domain-name\",\"value\":\"c2.example.net\",\"resolves_to_refs\":"          \
    "[\"1\",\"2\"]},\"1\":{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.1\"},\"2\":"              \
    "{\"type\":\"ipv6-addr\",\"value\":\"2001:db8::1\"}}"
#define CIDR "{\"0\":{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.0/24\"}}"

static void comparison_operators(void)
{
    const struct {
        const char *objects, *pattern, *want;
    } cases[] = {
        {IP, "[ipv4-addr:value = '198.51.100.7']", "match 1"},
        {IP, "[ipv4-addr:value = '198.51.100.8']", "no-match"},
        {IP, "[domain-name:value = '198.51.100.7']", "no-match"},
        {FILE_, "[file:name != 'calc.exe']", "match 1"},
        {FILE_, "[file:name != 'invoice.zip']", "no-match"},
        {FILE_, "[file:size != 'big']", "match 1"}, /* incomparable: only != is true */
        {FILE_, "[file:size = 'big']", "no-match"},
        {FILE_, "[file:size > 2047 AND file:size < 2049]", "match 1"},
        {FILE_, "[file:size >= 2048 AND file:size <= 2048]", "match 1"},
        {FILE_, "[file:size > 2048]", "no-match"},
        {FILE_, "[file:size < 2048.5 AND file:x_score > 7]", "match 1"},
        {FILE_, "[file:size = 2048.0]", "match 1"},
        {FILE_, "[file:x_score = 7]", "no-match"}, /* 7 is not 7.5: no truncation */
        {FILE_, "[file:name > 'a' AND file:name < 'j']", "match 1"},
        {FILE_, "[file:name IN ('a.zip', 'invoice.zip')]", "match 1"},
        {FILE_, "[file:name IN ('a.zip', 'b.zip')]", "no-match"},
        {FILE_, "[file:name NOT IN ('a.zip', 'b.zip')]", "match 1"},
        {FILE_, "[file:name LIKE 'inv%.zip']", "match 1"},
        {FILE_, "[file:name LIKE 'invoice._ip']", "match 1"},
        {FILE_, "[file:name LIKE 'inv%.rar']", "no-match"},
        {FILE_, "[file:name LIKE 'invoice.zi']", "no-match"},
        {FILE_, "[file:name MATCHES '^inv[a-z]+\\\\.zip$']", "match 1"},
        {FILE_, "[file:name MATCHES 'voice']", "match 1"}, /* search, not anchored */
        {FILE_, "[file:name MATCHES '^voice']", "no-match"},
        {FILE_, "[file:name NOT MATCHES '^voice']", "match 1"},
        {FILE_, "[file:name NOT = 'invoice.zip']", "no-match"},
        {FILE_, "[file:mtime > t'2026-01-05T09:59:59Z']", "match 1"},
        {FILE_, "[file:mtime < t'2026-01-05T09:59:59Z']", "no-match"},
        {FILE_, "[file:hashes.'SHA-256' = 'aa']", "match 1"},
        {FILE_, "[file:hashes.MD5 = 'aa']", "no-match"},
        {FILE_, "[file:hashes.MD5 != 'aa']", "no-match"}, /* absent: false whatever the op */
        {FILE_, "[EXISTS file:hashes]", "match 1"},
        {FILE_, "[EXISTS file:ctime]", "no-match"},
        {FILE_, "[NOT EXISTS file:ctime]", "match 1"},
        {ART, "[artifact:payload_bin = 'this is a test']", "match 1"},
        {ART, "[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']", "match 1"},
        {ART, "[artifact:payload_bin = h'7468697320697320612074657374']", "match 1"},
        {ART, "[artifact:payload_bin = 'dGhpcyBpcyBhIHRlc3Q=']", "no-match"},
        {ART, "[artifact:payload_bin > h'74']", "match 1"},
        {ACCT, "[user-account:is_privileged = true]", "match 1"},
        {ACCT, "[user-account:is_privileged = false]", "no-match"},
        {ACCT, "[user-account:user_id = 1007]", "no-match"}, /* a string is not an integer */
        {NET, "[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]",
         "match 1"},
        {NET, "[network-traffic:src_ref.value ISSUBSET '10.0.0.0/8']", "match 1"},
        {NET, "[network-traffic:dst_ref.value ISSUBSET '10.0.0.0/8']", "no-match"},
        {NET, "[network-traffic:protocols[*] = 'tcp']", "match 1"},
        {NET, "[network-traffic:protocols[0] = 'tcp']", "no-match"},
        {NET, "[network-traffic:protocols[1] = 'tcp']", "match 1"},
        {DNS, "[domain-name:resolves_to_refs[*].value = '2001:db8::1']", "match 1"},
        {DNS, "[domain-name:resolves_to_refs[0].value = '2001:db8::1']", "no-match"},
        {DNS, "[domain-name:resolves_to_refs[*].value ISSUBSET '198.51.100.0/30']", "match 1"},
        {IP, "[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "match 1"},
        {IP, "[ipv4-addr:value ISSUBSET '198.51.101.0/24']", "no-match"},
        {IP, "[ipv4-addr:value ISSUBSET '198.51.100.7']", "match 1"},
        {CIDR, "[ipv4-addr:value ISSUPERSET '198.51.100.7']", "match 1"},
        {CIDR, "[ipv4-addr:value ISSUPERSET '198.51.0.0/16']", "no-match"},
        {CIDR, "[ipv4-addr:value ISSUBSET '198.51.0.0/16']", "match 1"},
        {IP, "[ipv4-addr:value = '198.51.100.7' OR domain-name:value = 'x.example']", "match 1"},
        /* LIKE and MATCHES compare NFC forms; = compares code points as written (9.6.1-2) */
        {"{\"0\":{\"type\":\"file\",\"name\":\"cafe\\u0301.txt\"}}",
         "[file:name LIKE 'caf\xc3\xa9%']", "match 1"},
        {"{\"0\":{\"type\":\"file\",\"name\":\"cafe\\u0301.txt\"}}",
         "[file:name MATCHES '^caf\xc3\xa9\\\\.txt$']", "match 1"},
        {"{\"0\":{\"type\":\"file\",\"name\":\"cafe\\u0301.txt\"}}",
         "[file:name = 'caf\xc3\xa9.txt']", "no-match"},
        /* 9.5: all comparisons start from the same SCO */
        {"{\"0\":{\"type\":\"network-traffic\",\"src_ref\":\"1\"},\"1\":{\"type\":\"ipv4-addr\","
         "\"value\":\"203.0.113.10\"},\"2\":{\"type\":\"network-traffic\",\"dst_ref\":\"3\"},"
         "\"3\":{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.58\"}}",
         "[network-traffic:src_ref.value = '203.0.113.10' AND "
         "network-traffic:dst_ref.value = '198.51.100.58']",
         "no-match"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct od o = {1, 0, 10, 1, cases[i].objects};
        CHECK(expect_eval(cases[i].pattern, 1, &o, cases[i].want));
    }
}

static void object_refs_form(void)
{
    json_t *bundle = json_loads(
        "{\"type\":\"bundle\",\"id\":\"bundle--44af6c39-c09b-49c5-9de2-394224b04982\","
        "\"objects\":[{\"type\":\"observed-data\",\"id\":\"observed-data--00000000-0000-4000-"
        "8000-000000000004\",\"first_observed\":\"2026-01-01T00:00:00Z\",\"last_observed\":"
        "\"2026-01-01T00:00:00Z\",\"number_observed\":1,\"object_refs\":[\"network-traffic--"
        "00000000-0000-4000-8000-000000000021\"]},{\"type\":\"network-traffic\",\"id\":"
        "\"network-traffic--00000000-0000-4000-8000-000000000021\",\"dst_ref\":\"ipv4-addr--"
        "00000000-0000-4000-8000-000000000022\",\"protocols\":[\"tcp\"]},{\"type\":\"ipv4-addr\","
        "\"id\":\"ipv4-addr--00000000-0000-4000-8000-000000000022\",\"value\":\"198.51.100.3\"}]}",
        0, NULL);
    FAIL_IF(bundle == NULL);
    struct pattern_observations obs;
    struct err err;
    struct pattern_result res;
    FAIL_IF(pattern_observations_load(bundle, &obs, &err) != 0 || obs.n != 1);
    struct pattern *p = parse("[network-traffic:dst_ref.value = '198.51.100.3']", &err);
    struct pattern *q = parse("[ipv4-addr:value = '198.51.100.3']", &err);
    CHECK(p != NULL && pattern_match(p, &obs, &res) == 0 && res.matched && res.n_bound == 1);
    /* only the observation's own objects are start objects */
    CHECK(q != NULL && pattern_match(q, &obs, &res) == 0 && !res.matched);
    pattern_free(p);
    pattern_free(q);
    pattern_observations_fini(&obs);
    json_decref(bundle);
    /* an observed-data without an id is still an observation (found by fuzz/pattern_match) */
    bundle = json_loads("[{\"type\":\"observed-data\",\"first_observed\":\"2026-01-01T00:00:00Z\","
                        "\"last_observed\":\"2026-01-01T00:00:00Z\",\"objects\":{\"0\":{\"type\":"
                        "\"ipv4-addr\",\"value\":\"198.51.100.3\"}}},{\"type\":\"observed-data\"}]",
                        0, NULL);
    FAIL_IF(bundle == NULL);
    CHECK(pattern_observations_load(bundle, &obs, &err) != 0); /* the second has no times */
    json_array_remove(bundle, 1);
    FAIL_IF(pattern_observations_load(bundle, &obs, &err) != 0 || obs.n != 1);
    CHECK(obs.items[0].count == 1 && obs.items[0].id != NULL);
    pattern_observations_fini(&obs);
    json_decref(bundle);
}

#define A_OBJ "{\"0\":{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.1\"}}"
#define B_OBJ "{\"0\":{\"type\":\"domain-name\",\"value\":\"c2.example.net\"}}"
#define PA    "[ipv4-addr:value = '198.51.100.1']"
#define PB    "[domain-name:value = 'c2.example.net']"

static void observation_operators_and_qualifiers(void)
{
    const struct od ab[] = {{1, 0, 0, 1, A_OBJ}, {2, 60, 60, 1, B_OBJ}};
    const struct od ba[] = {{1, 0, 0, 1, B_OBJ}, {2, 60, 60, 1, A_OBJ}};
    const struct od a_only[] = {{1, 0, 0, 1, A_OBJ}};
    const struct od far[] = {{1, 0, 0, 1, A_OBJ}, {2, 600, 600, 1, B_OBJ}};
    const struct od three_a[] = {{1, 0, 0, 1, A_OBJ}, {2, 10, 10, 1, A_OBJ}, {3, 20, 20, 1, A_OBJ}};
    const struct od two_a[] = {{1, 0, 0, 1, A_OBJ}, {2, 10, 10, 1, A_OBJ}};
    const struct od counted[] = {{1, 0, 30, 3, A_OBJ}};
    const struct od both_in_one[] = {
        {1, 0, 0, 1,
         "{\"0\":{\"type\":\"ipv4-addr\",\"value\":\"198.51.100.1\"},\"1\":{\"type\":"
         "\"domain-name\",\"value\":\"c2.example.net\"}}"}};
    const struct od bab[] = {{1, 0, 0, 1, B_OBJ}, {2, 10, 10, 1, A_OBJ}, {3, 20, 20, 1, A_OBJ}};
    CHECK(expect_eval(PA " AND " PB, 2, ab, "match 1 2"));
    CHECK(expect_eval(PA " AND " PB, 1, a_only, "no-match"));
    /* AND needs different observations */
    CHECK(expect_eval(PA " AND " PA, 1, a_only, "no-match"));
    CHECK(expect_eval(PA " AND " PA, 2, two_a, "match 1 2"));
    CHECK(expect_eval(PA " AND " PB, 1, both_in_one, "no-match"));
    CHECK(expect_eval(PA " OR " PB, 1, a_only, "match 1"));
    CHECK(expect_eval(PB " OR " PB, 1, a_only, "no-match"));
    CHECK(expect_eval(PA " FOLLOWEDBY " PB, 2, ab, "match 1 2"));
    CHECK(expect_eval(PA " FOLLOWEDBY " PB, 2, ba, "no-match"));
    CHECK(expect_eval("(" PA " FOLLOWEDBY " PB ") WITHIN 120 SECONDS", 2, ab, "match 1 2"));
    CHECK(expect_eval("(" PA " FOLLOWEDBY " PB ") WITHIN 60 SECONDS", 2, ab, "no-match"));
    CHECK(expect_eval("(" PA " AND " PB ") WITHIN 300 SECONDS", 2, far, "no-match"));
    CHECK(expect_eval("(" PA " AND " PB ") WITHIN 601 SECONDS", 2, far, "match 1 2"));
    CHECK(expect_eval(PA " REPEATS 3 TIMES", 3, three_a, "match 1 2 3"));
    CHECK(expect_eval(PA " REPEATS 3 TIMES", 2, two_a, "no-match"));
    CHECK(expect_eval(PA " REPEATS 3 TIMES", 1, counted, "match 1 1 1"));
    CHECK(expect_eval(PA " REPEATS 4 TIMES", 1, counted, "no-match"));
    CHECK(expect_eval(PA " REPEATS 3 TIMES WITHIN 15 SECONDS", 3, three_a, "no-match"));
    CHECK(expect_eval(PA " REPEATS 3 TIMES WITHIN 21 SECONDS", 3, three_a, "match 1 2 3"));
    CHECK(expect_eval(PA " START t'2026-01-01T00:00:05Z' STOP t'2026-01-01T00:00:30Z'", 3, three_a,
                      "match 2"));
    CHECK(expect_eval(PA " START t'2026-01-01T00:00:21Z' STOP t'2026-01-01T00:01:00Z'", 3, three_a,
                      "no-match"));
    CHECK(expect_eval(PA " REPEATS 2 TIMES START t'2026-01-01T00:00:05Z' STOP "
                         "t'2026-01-01T00:00:30Z'",
                      3, three_a, "match 2 3"));
    /* a qualifier binds to the expression before it: one B, then two As after it */
    CHECK(expect_eval(PB " FOLLOWEDBY " PA " REPEATS 2 TIMES", 3, bab, "match 1 2 3"));
    CHECK(expect_eval("(" PB " FOLLOWEDBY " PA ") REPEATS 2 TIMES", 3, bab, "no-match"));
}

/* ---- anchor terms for hunting ---------------------------------------------------------- */

/* "kind:value kind:value" in order, "none" when unanchored. */
static const char *anchors(const char *pattern)
{
    static char out[1024];
    struct err err;
    struct pattern *p = parse(pattern, &err);
    struct pattern_terms t;
    if (p == NULL) {
        snprintf(out, sizeof(out), "invalid: %.400s", err.msg);
        return out;
    }
    if (pattern_anchor_terms(p, &t, &err) != 0) {
        pattern_free(p);
        return "error";
    }
    size_t o = 0;
    out[0] = '\0';
    if (!t.anchored) {
        str_copy(out, sizeof(out), "none");
    } else if (t.exact) {
        o = (size_t)snprintf(out, sizeof(out), "exact ");
    }
    for (int i = 0; t.anchored && i < t.n && o < sizeof(out) - 1; i++) {
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s%s%s:%s", i ? " " : "",
                              pattern_term_kind_name(t.terms[i].kind), t.terms[i].algo ? "/" : "",
                              t.terms[i].algo ? t.terms[i].algo : "", t.terms[i].value);
    }
    pattern_terms_fini(&t);
    pattern_free(p);
    return out;
}

static void anchor_terms(void)
{
    static const struct {
        const char *pattern, *want;
    } cases[] = {
        {"[ipv4-addr:value = '198.51.100.7']", "exact ipv4:198.51.100.7"},
        {"[ipv4-addr:value = '198.51.100.7/32']", "exact ipv4:198.51.100.7"},
        {"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", "exact cidr4:198.51.100.0/24"},
        {"[ipv6-addr:value = '2001:0DB8:0000:0000:0000:0000:0000:0001']", "exact ipv6:2001:db8::1"},
        {"[domain-name:value = 'C2.Example.NET.']", "exact domain:c2.example.net"},
        {"[url:value = 'https://c2.example.net/gate.php']",
         "exact url:https://c2.example.net/gate.php"},
        {"[email-addr:value = 'Boss@Example.org']", "exact email:boss@example.org"},
        {"[file:hashes.'SHA-256' = "
         "'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']",
         "exact hash/SHA-256:aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"},
        {"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' OR file:hashes.'SHA-1' = "
         "'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
         "exact hash/MD5:d41d8cd98f00b204e9800998ecf8427e hash/SHA-1:"
         "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
        {"[domain-name:value IN ('a.example', 'b.example')]",
         "exact domain:a.example domain:b.example"},
        {"[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]",
         "ipv4:203.0.113.9"},
        {"[network-traffic:dst_ref.value = 'evil.example']", "domain:evil.example"},
        {"[email-message:from_ref.value = 'ceo@example.org']", "email:ceo@example.org"},
        /* AND inside brackets: one side is enough, the smaller */
        {"[file:name = 'x.exe' AND file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
         "hash/MD5:d41d8cd98f00b204e9800998ecf8427e"},
        /* OR: both sides must be anchored */
        {"[domain-name:value = 'a.example' OR domain-name:value LIKE '%.b.example']", "none"},
        {"[domain-name:value LIKE '%.b.example']", "none"},
        {"[url:value MATCHES 'gate']", "none"},
        {"[ipv4-addr:value != '198.51.100.7']", "none"},
        {"[ipv4-addr:value NOT = '198.51.100.7']", "none"},
        {"[file:size > 10]", "none"},
        {"[file:name = 'x.exe']", "none"},
        {"[EXISTS file:hashes]", "none"},
        /* between observations every side must be anchored, and all sides count */
        {"[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value = 'c2.example'] "
         "WITHIN 60 SECONDS",
         "ipv4:198.51.100.7 domain:c2.example"},
        {"[ipv4-addr:value = '198.51.100.7'] AND [file:name = 'x']", "none"},
        {"([ipv4-addr:value = '198.51.100.7'] OR [url:value = 'http://a.example/']) REPEATS 2 "
         "TIMES",
         "ipv4:198.51.100.7 url:http://a.example/"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = anchors(cases[i].pattern);
        if (strcmp(got, cases[i].want) != 0) {
            fprintf(stderr, "    %s\n    expected %s\n    got      %s\n", cases[i].pattern,
                    cases[i].want, got);
            CHECK(false);
        }
    }
}

/* A MATCHES operand from another organisation cannot make evaluation backtrack for long:
 * it gives up at its limit, counts as false, and the result says so. */
static void regex_backtracking_is_bounded(void)
{
    json_t *bundle = json_loads(
        "[{\"type\":\"observed-data\",\"id\":\"observed-data--00000000-0000-4000-8000-"
        "000000000001\",\"first_observed\":\"2026-01-01T00:00:00Z\",\"last_observed\":"
        "\"2026-01-01T00:00:00Z\",\"number_observed\":1,\"objects\":{\"0\":{\"type\":\"url\","
        "\"value\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\"}}}]",
        0, NULL);
    FAIL_IF(bundle == NULL);
    struct pattern_observations obs;
    struct err err;
    struct pattern_result res;
    FAIL_IF(pattern_observations_load(bundle, &obs, &err) != 0);
    struct pattern *evil = parse("[url:value MATCHES '^(a+)+$']", &err);
    struct pattern *fine = parse("[url:value MATCHES '^a+!$']", &err);
    CHECK(evil != NULL && pattern_match(evil, &obs, &res) == 0 && !res.matched && res.regex_limit);
    CHECK(fine != NULL && pattern_match(fine, &obs, &res) == 0 && res.matched && !res.regex_limit);
    /* the flag is per evaluation: the next one starts clean */
    CHECK(fine != NULL && pattern_match(fine, &obs, &res) == 0 && !res.regex_limit);
    pattern_free(evil);
    pattern_free(fine);
    pattern_observations_fini(&obs);
    json_decref(bundle);
}

const struct unit_test pattern_tests[] = {
    {"valid_patterns_round_trip", valid_patterns_round_trip},
    {"invalid_patterns_say_why", invalid_patterns_say_why},
    {"precedence_and_binding", precedence_and_binding},
    {"bounds", bounds},
    {"comparison_operators", comparison_operators},
    {"object_refs_form", object_refs_form},
    {"observation_operators_and_qualifiers", observation_operators_and_qualifiers},
    {"anchor_terms", anchor_terms},
    {"regex_backtracking_is_bounded", regex_backtracking_is_bounded},
    {NULL, NULL},
};
