/* stix_test.c — STIX 2.1 validation: valid objects of every kind, and one failing case per
 * rule with the exact path and rule the message must name. */
#include "stix/stix.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define UUID1 "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define UUID2 "44af6c39-c09b-49c5-9de2-394224b04982"
#define TS    "2026-01-02T03:04:05.678Z"
#define SDO(type)                                                                                  \
    "\"type\":\"" type "\",\"spec_version\":\"2.1\",\"id\":\"" type "--" UUID1                     \
    "\",\"created\":\"" TS "\",\"modified\":\"" TS "\""

/* Returns "" if valid, else the message; the JSON text itself must parse. */
static const char *check(const char *text)
{
    static struct err err;
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (j == NULL) {
        snprintf(err.msg, sizeof(err.msg), "TEST BUG: bad JSON: %s: %s", je.text, text);
        return err.msg;
    }
    int rc = stix_validate(j, "objects[3]", &err);
    json_decref(j);
    return rc == 0 ? "" : err.msg;
}

static bool valid(const char *text)
{
    const char *m = check(text);
    if (m[0] != '\0') {
        fprintf(stderr, "    unexpected: %s\n", m);
    }
    return m[0] == '\0';
}

static bool fails_with(const char *text, const char *expect)
{
    const char *m = check(text);
    if (strstr(m, expect) == NULL) {
        fprintf(stderr, "    expected \"%s\", got \"%s\"\n", expect, m);
        return false;
    }
    return true;
}

static void valid_objects(void)
{
    static const char *const ok[] = {
        "{" SDO("indicator") ",\"pattern\":\"[ipv4-addr:value = '198.51.100.3']\","
                             "\"pattern_type\":\"stix\",\"valid_from\":\"" TS
                             "\",\"indicator_types\":[\"malicious-activity\"],"
                             "\"kill_chain_phases\":[{\"kill_chain_name\":\"lockheed-martin-cyber-"
                             "kill-chain\",\"phase_name\":\"delivery\"}]}",
        "{" SDO("malware") ",\"is_family\":true,\"name\":\"LockBit\"}",
        "{" SDO("malware") ",\"is_family\":false}",
        "{" SDO("identity") ",\"name\":\"ThaiCERT\",\"identity_class\":\"organization\"}",
        "{" SDO("report") ",\"name\":\"r\",\"published\":\"" TS
                          "\",\"object_refs\":[\"indicator--" UUID2 "\"]}",
        "{" SDO("observed-data") ",\"first_observed\":\"" TS "\",\"last_observed\":\"" TS "\","
                                 "\"number_observed\":1,\"object_refs\":[\"ipv4-addr--" UUID2
                                 "\"]}",
        "{" SDO("relationship") ",\"relationship_type\":\"indicates\",\"source_ref\":\"indicator-"
                                "-" UUID2 "\",\"target_ref\":\"malware--" UUID2 "\"}",
        "{" SDO("sighting") ",\"sighting_of_ref\":\"indicator--" UUID2 "\",\"count\":3,"
                            "\"where_sighted_refs\":[\"identity--" UUID2 "\"]}",
        "{" SDO("location") ",\"country\":\"TH\"}",
        "{" SDO("location") ",\"latitude\":13.75,\"longitude\":100.5}",
        "{" SDO("opinion") ",\"opinion\":\"agree\",\"object_refs\":[\"report--" UUID2 "\"]}",
        "{" SDO("grouping") ",\"context\":\"suspicious-activity\",\"object_refs\":[\"file--" UUID2
                            "\"]}",
        "{" SDO("malware-analysis") ",\"product\":\"sandbox\",\"result\":\"malicious\"}",
        "{" SDO("note") ",\"content\":\"c\",\"object_refs\":[\"malware--" UUID2 "\"]}",
        "{" SDO("vulnerability") ",\"name\":\"CVE-2026-0001\",\"external_references\":[{\"source_"
                                 "name\":\"cve\",\"external_id\":\"CVE-2026-0001\"}]}",
        "{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" UUID1 "\",\"value\":\"198.51.100.3\"}",
        "{\"type\":\"file\",\"spec_version\":\"2.1\",\"id\":\"file--" UUID1
        "\",\"hashes\":{\"SHA-256\":"
        "\"6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b\"}}",
        "{\"type\":\"network-traffic\",\"id\":\"network-traffic--" UUID1
        "\",\"dst_ref\":\"ipv4-addr--" UUID2 "\",\"dst_port\":443,\"protocols\":[\"tcp\"]}",
        "{\"type\":\"email-message\",\"id\":\"email-message--" UUID1
        "\",\"is_multipart\":false,\"body\":\"x\"}",
        "{\"type\":\"artifact\",\"id\":\"artifact--" UUID1 "\",\"payload_bin\":\"aGVsbG8=\"}",
        "{\"type\":\"process\",\"id\":\"process--" UUID1 "\",\"pid\":4}",
        "{\"type\":\"network-traffic\",\"id\":\"network-traffic--" UUID1
        "\",\"src_ref\":\"ipv4-addr--" UUID2 "\",\"protocols\":[\"tcp\",\"http\"],\"extensions\":{"
        "\"http-request-ext\":{\"request_method\":\"get\","
        "\"request_value\":\"/"
        "x\",\"x_acme_note\":\"n\"},\"tcp-ext\":{\"src_flags_hex\":\"00000002\"}}}",
        "{\"type\":\"file\",\"id\":\"file--" UUID1
        "\",\"name\":\"a.zip\",\"extensions\":{\"archive-ext\":{"
        "\"contains_refs\":[\"file--" UUID2 "\"]}}}",
        "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition-"
        "-" UUID1 "\",\"created\":\"" TS
        "\",\"definition_type\":\"statement\",\"definition\":{\"statement\":\"c\"}}",
        "{\"type\":\"language-content\",\"spec_version\":\"2.1\",\"id\":\"language-content--" UUID1
        "\",\"created\":\"" TS "\",\"modified\":\"" TS "\",\"object_ref\":\"indicator--" UUID2
        "\",\"contents\":{\"th\":{\"name\":\"x\"}}}",
        "{\"type\":\"extension-definition\",\"spec_version\":\"2.1\",\"id\":\"extension-definition-"
        "-" UUID1 "\",\"created\":\"" TS "\",\"modified\":\"" TS
        "\",\"created_by_ref\":\"identity--" UUID2
        "\",\"name\":\"n\",\"schema\":\"s\",\"version\":\"1.0\",\"extension_types\":[\"property-"
        "extension\"]}",
        "{" SDO("x-acme-widget") ",\"x_acme_size\":3}",
        "{" SDO("tool") ",\"name\":\"t\",\"x_acme_org_score\":7,\"x_blob_hex\":\"00ff\"}",
        "{" SDO("campaign") ",\"name\":\"c\",\"description\":\"d\",\"granular_markings\":[{"
                            "\"marking_ref\":"
                            "\"marking-definition--" UUID2
                            "\",\"selectors\":[\"description\",\"name\"]}]}",
        "{" SDO("attack-pattern") ",\"name\":\"a\",\"external_references\":[{\"source_name\":"
                                  "\"capec\",\"url\":\"u\"}],"
                                  "\"granular_markings\":[{\"lang\":\"th\",\"selectors\":["
                                  "\"external_references.[0].source_name\"]}]}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        CHECK(valid(ok[i]));
    }
}

static void invalid_objects(void)
{
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"[]", "objects[3]: a STIX object must be a JSON object"},
        {"{\"id\":\"indicator--" UUID1 "\"}", "objects[3].type: required property missing"},
        {"{\"type\":\"In\",\"id\":\"x\"}", "objects[3].type: 'In' is not a valid type name"},
        {"{\"type\":\"a--b\",\"id\":\"x\"}", "objects[3].type:"},
        {"{" SDO("indicator") ",\"pattern\":\"x\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-"
                              "01-01\"}",
         "objects[3].valid_from: not an RFC 3339 timestamp"},
        {"{" SDO("indicator") ",\"pattern\":\"\",\"pattern_type\":\"stix\",\"valid_from\":\"" TS
                              "\"}",
         "objects[3].pattern: must not be empty"},
        {"{" SDO("indicator") ",\"pattern_type\":\"stix\",\"valid_from\":\"" TS "\"}",
         "objects[3].pattern: required property missing"},
        {"{" SDO("indicator") ",\"pattern\":\"x\",\"pattern_type\":\"stix\",\"valid_from\":\"" TS
                              "\",\"valid_until\":\"" TS "\"}",
         "objects[3].valid_until: must be later than valid_from"},
        {"{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"malware--" UUID1 "\"}",
         "objects[3].id: must refer to one of: indicator"},
        {"{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--1234\"}",
         "objects[3].id: not a STIX identifier"},
        {"{\"type\":\"malware\",\"id\":\"malware--" UUID1 "\",\"created\":\"" TS "\"}",
         "objects[3].spec_version: required property missing"},
        {"{\"type\":\"malware\",\"spec_version\":\"2.0\",\"id\":\"malware--" UUID1 "\"}",
         "objects[3].spec_version: must be \"2.1\""},
        {"{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--" UUID1
         "\",\"modified\":\"" TS "\"}",
         "objects[3].created: required property missing"},
        {"{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--" UUID1
         "\",\"created\":\"2026-01-02T03:04:05Z\",\"modified\":\"2026-01-02T03:04:05Z\",\"is_"
         "family\":false}",
         "objects[3].created: must have at least millisecond precision"},
        {"{\"type\":\"malware\",\"spec_version\":\"2.1\",\"id\":\"malware--" UUID1
         "\",\"created\":\"" TS "\",\"modified\":\"2020-01-01T00:00:00.000Z\",\"is_family\":false}",
         "objects[3].modified: must be no earlier than created"},
        {"{" SDO("malware") ",\"is_family\":true}",
         "objects[3].name: required when is_family is true"},
        {"{" SDO("malware") ",\"is_family\":\"yes\"}",
         "objects[3].is_family: must be true or false"},
        {"{" SDO("malware") ",\"is_family\":false,\"confidence\":101}",
         "objects[3].confidence: must be between 0 and 100"},
        {"{" SDO("malware") ",\"is_family\":false,\"labels\":[]}",
         "objects[3].labels: must not be an empty list"},
        {"{" SDO("malware") ",\"is_family\":false,\"created_by_ref\":\"malware--" UUID2 "\"}",
         "objects[3].created_by_ref: must refer to one of: identity"},
        {"{" SDO("malware") ",\"is_family\":false,\"object_marking_refs\":[\"identity--" UUID2
                            "\"]}",
         "objects[3].object_marking_refs[0]: must refer to one of: marking-definition"},
        {"{" SDO("malware") ",\"is_family\":false,\"external_references\":[{\"url\":\"u\"}]}",
         "objects[3].external_references[0]: source_name is a required string"},
        {"{" SDO("malware") ",\"is_family\":false,\"granular_markings\":[{\"lang\":\"en\","
                            "\"selectors\":[\"description\"]}]}",
         "objects[3].granular_markings[0].selectors: selector 'description' does not resolve"},
        {"{" SDO("malware") ",\"is_family\":false,\"granular_markings\":[{\"selectors\":[\"is_"
                            "family\"]}]}",
         "objects[3].granular_markings[0]: exactly one of lang or marking_ref"},
        {"{" SDO("malware") ",\"is_family\":false,\"Bad-Name\":1}",
         "objects[3].Bad-Name: custom property names are 3-250 characters"},
        {"{" SDO("malware") ",\"is_family\":false,\"x_data_hex\":\"zz\"}",
         "objects[3].x_data_hex: must be hex"},
        {"{" SDO("malware") ",\"is_family\":false,\"extensions\":{\"extension-definition--" UUID2
                            "\":{\"extension_type\":\"weird\"}}}",
         "objects[3].extensions.extension-definition--" UUID2 ": extension_type is not"},
        {"{" SDO("observed-data") ",\"first_observed\":\"" TS "\",\"last_observed\":\"" TS
                                  "\",\"number_observed\":0,"
                                  "\"object_refs\":[\"ipv4-addr--" UUID2 "\"]}",
         "objects[3].number_observed: must be between 1 and 999999999"},
        {"{" SDO("observed-data") ",\"first_observed\":\"" TS "\",\"last_observed\":\"" TS
                                  "\",\"number_observed\":1}",
         "objects[3].object_refs: exactly one of object_refs or objects"},
        {"{" SDO("opinion") ",\"opinion\":\"maybe\",\"object_refs\":[\"report--" UUID2 "\"]}",
         "objects[3].opinion: must be one of"},
        {"{" SDO("location") ",\"latitude\":91,\"longitude\":0}",
         "objects[3].latitude: must be between -90 and 90"},
        {"{" SDO("location") ",\"name\":\"x\"}", "objects[3]: a location needs region, country"},
        {"{" SDO(
             "relationship") ",\"relationship_type\":\"r\",\"source_ref\":\"relationship--" UUID2
                             "\",\"target_ref\":\"malware--" UUID2 "\"}",
         "objects[3].source_ref: must refer to an SDO or SCO"},
        {"{" SDO("sighting") ",\"sighting_of_ref\":\"ipv4-addr--" UUID2 "\"}",
         "objects[3].sighting_of_ref: must refer to an SDO"},
        {"{" SDO("sighting") ",\"sighting_of_ref\":\"indicator--" UUID2
                             "\",\"where_sighted_refs\":[\"malware--" UUID2 "\"]}",
         "objects[3].where_sighted_refs[0]: must refer to one of: identity,location"},
        {"{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" UUID1 "\"}",
         "objects[3].value: required property missing"},
        {"{\"type\":\"ipv4-addr\",\"id\":\"ipv4-addr--" UUID1
         "\",\"value\":\"1.2.3.4\",\"created\":\"" TS "\"}",
         "objects[3].created: not a property of a cyber-observable"},
        {"{\"type\":\"file\",\"id\":\"file--" UUID1 "\",\"hashes\":{\"MD5\":\"abc\"}}",
         "objects[3].hashes: MD5 must be 32 hex digits"},
        {"{\"type\":\"file\",\"id\":\"file--" UUID1 "\",\"size\":1}",
         "objects[3]: a file needs hashes or name"},
        {"{\"type\":\"network-traffic\",\"id\":\"network-traffic--" UUID1
         "\",\"dst_ref\":\"ipv4-addr--" UUID2 "\",\"dst_port\":70000,\"protocols\":[\"tcp\"]}",
         "objects[3].dst_port: must be between 0 and 65535"},
        {"{\"type\":\"network-traffic\",\"id\":\"network-traffic--" UUID1
         "\",\"protocols\":[\"tcp\"]}",
         "objects[3]: network-traffic needs src_ref or dst_ref"},
        {"{\"type\":\"email-message\",\"id\":\"email-message--" UUID1
         "\",\"is_multipart\":true,\"body\":\"x\"}",
         "objects[3].body: must not be present when is_multipart is true"},
        {"{\"type\":\"artifact\",\"id\":\"artifact--" UUID1 "\",\"payload_bin\":\"!!\"}",
         "objects[3].payload_bin: must be base64"},
        {"{\"type\":\"artifact\",\"id\":\"artifact--" UUID1 "\",\"url\":\"http://x\"}",
         "objects[3].hashes: required when url is present"},
        {"{\"type\":\"process\",\"id\":\"process--" UUID1 "\"}",
         "objects[3]: must contain at least one property"},
        {"{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"marking-definition-"
         "-" UUID1 "\",\"created\":\"" TS
         "\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"purple\"}}",
         "objects[3].definition.tlp: must be one of white, green, amber, red"},
        {"{\"type\":\"language-content\",\"spec_version\":\"2.1\",\"id\":\"language-content--" UUID1
         "\",\"created\":\"" TS "\",\"modified\":\"" TS "\",\"object_ref\":\"indicator--" UUID2
         "\"}",
         "objects[3].contents: required property missing"},
        {"{\"type\":\"extension-definition\",\"spec_version\":\"2.1\",\"id\":\"extension-"
         "definition--" UUID1 "\",\"created\":\"" TS "\",\"modified\":\"" TS
         "\",\"name\":\"n\",\"schema\":\"s\",\"version\":\"1\","
         "\"extension_types\":[\"property-extension\"]}",
         "objects[3].created_by_ref: required property missing"},
        {"{" SDO("x-acme-widget") "}", "objects[3]: a custom object needs one or more properties"},
        {"{\"type\":\"bundle\",\"id\":\"bundle--" UUID1 "\"}",
         "objects[3].type: a bundle cannot be stored"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        CHECK(fails_with(cases[i].json, cases[i].msg));
    }
}

static json_t *marked(const char *marking)
{
    char text[512];
    snprintf(text, sizeof(text), "{\"id\":\"indicator--" UUID1 "\",\"object_marking_refs\":[%s]}",
             marking);
    return json_loads(text, 0, NULL);
}

static void tlp_levels(void)
{
    static const struct {
        const char *refs;
        enum stix_tlp tlp;
    } cases[] = {
        {"", STIX_TLP_UNMARKED},
        {"\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\"", STIX_TLP_CLEAR},
        {"\"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9\"", STIX_TLP_CLEAR},
        {"\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"", STIX_TLP_GREEN},
        {"\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\"", STIX_TLP_GREEN},
        {"\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\"", STIX_TLP_AMBER},
        {"\"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82\"", STIX_TLP_AMBER},
        {"\"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003\"", STIX_TLP_AMBER_STRICT},
        {"\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\"", STIX_TLP_RED},
        {"\"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\"", STIX_TLP_RED},
        /* several markings: the most restrictive wins */
        {"\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\","
         "\"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1\"",
         STIX_TLP_RED},
        {"\"marking-definition--" UUID2 "\"", STIX_TLP_UNMARKED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = marked(cases[i].refs);
        CHECK(j != NULL && stix_tlp_of(j) == cases[i].tlp);
        json_decref(j);
    }
    enum stix_tlp t;
    FAIL_IF(stix_tlp_parse("TLP:AMBER+STRICT", &t) != 0 || t != STIX_TLP_AMBER_STRICT);
    FAIL_IF(stix_tlp_parse("white", &t) != 0 || t != STIX_TLP_CLEAR);
    FAIL_IF(stix_tlp_parse("purple", &t) == 0);
    /* the published TLP marking objects validate and are themselves CLEAR */
    for (int l = STIX_TLP_CLEAR; l <= STIX_TLP_RED; l++) {
        json_t *m = stix_tlp_marking_object((enum stix_tlp)l);
        struct err err;
        CHECK(m != NULL && stix_validate(m, "m", &err) == 0);
        CHECK(stix_tlp_of(m) == STIX_TLP_CLEAR);
        json_decref(m);
    }
}

static void meta_normalises_versions(void)
{
    struct stix_meta a, b;
    json_t *x = json_loads("{\"type\":\"malware\",\"id\":\"malware--" UUID1
                           "\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":"
                           "\"2026-01-01T00:00:01.000Z\"}",
                           0, NULL);
    json_t *y = json_loads("{\"type\":\"malware\",\"id\":\"malware--" UUID1
                           "\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":"
                           "\"2026-01-01T00:00:01.000000Z\"}",
                           0, NULL);
    FAIL_IF(stix_meta_of(x, &a) != 0 || stix_meta_of(y, &b) != 0);
    FAIL_IF(a.version_us != b.version_us || strcmp(a.version, b.version) != 0);
    FAIL_IF(strcmp(a.version, "2026-01-01T00:00:01.000Z") != 0);
    FAIL_IF(a.tlp != STIX_TLP_UNMARKED);
    json_decref(x);
    json_decref(y);
}

static void objects_of_documents(void)
{
    struct err err;
    json_t *b = json_loads("{\"type\":\"bundle\",\"id\":\"bundle--" UUID1 "\",\"objects\":[{},{}]}",
                           0, NULL);
    json_t *o = stix_objects_of(b, &err);
    FAIL_IF(o == NULL || json_array_size(o) != 2);
    json_decref(o);
    json_decref(b);
    b = json_loads("{\"type\":\"bundle\",\"id\":\"bundle--" UUID1 "\"}", 0, NULL);
    o = stix_objects_of(b, &err);
    FAIL_IF(o == NULL || json_array_size(o) != 0);
    json_decref(o);
    json_decref(b);
    b = json_loads("{\"type\":\"indicator\"}", 0, NULL);
    FAIL_IF(stix_objects_of(b, &err) != NULL);
    json_decref(b);
}

static const char *canon(const char *json)
{
    static char out[512];
    json_error_t e;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    struct buf b;
    buf_init(&b, 4096);
    out[0] = '\0';
    if (v != NULL && stix_canonical(v, &b) == 0) {
        snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data);
    }
    buf_fini(&b);
    json_decref(v);
    return out;
}

/* RFC 8785 (JSON Canonicalization Scheme): its examples of numbers, strings and sorting. */
static void canonical_json(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"1e30", "1e+30"},
        {"4.50", "4.5"},
        {"0.002", "0.002"},
        {"1e-7", "1e-7"},
        {"0.000001", "0.000001"},
        {"333333333.33333329", "333333333.3333333"},
        {"1e21", "1e+21"},
        {"1e20", "100000000000000000000"},
        {"-0.0", "0"},
        {"-1.5e-10", "-1.5e-10"},
        {"5e-324", "5e-324"},
        {"123", "123"},
        {"9007199254740993", "9007199254740992"},
        {"-9007199254740992", "-9007199254740992"},
        {"[true,false,null,\"a\"]", "[true,false,null,\"a\"]"},
        {"\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\"",
         "\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\""},
        {"{\"\\u20ac\":1,\"\\r\":2,\"\\ufb33\":3,\"1\":4,\"\\ud83d\\ude00\":5,"
         "\"\\u0080\":6,\"\\u00f6\":7}",
         "{\"\\r\":2,\"1\":4,\"\xc2\x80\":6,\"\xc3\xb6\":7,\"\xe2\x82\xac\":1,"
         "\"\xf0\x9f\x98\x80\":5,\"\xef\xac\xb3\":3}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = canon(cases[i].in);
        if (strcmp(got, cases[i].want) != 0) {
            fprintf(stderr, "    %s\n    want %s\n    got  %s\n", cases[i].in, cases[i].want, got);
            CHECK(false);
        }
    }
}

/* What a node signature covers: the object without one extension, as if it were removed. */
static void canonical_without(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"{\"b\":1,\"extensions\":{\"x\":{\"s\":1}},\"a\":2}", "{\"a\":2,\"b\":1}"},
        {"{\"b\":1,\"extensions\":{\"y\":{},\"x\":{\"s\":1}}}",
         "{\"b\":1,\"extensions\":{\"y\":{}}}"},
        {"{\"b\":1,\"extensions\":{\"y\":{}}}", "{\"b\":1,\"extensions\":{\"y\":{}}}"},
        {"{\"b\":{\"extensions\":{\"x\":1}}}", "{\"b\":{\"extensions\":{\"x\":1}}}"},
        {"{\"extensions\":{}}", "{\"extensions\":{}}"},
        {"{\"x\":1}", "{\"x\":1}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_error_t e;
        json_t *v = json_loads(cases[i].in, 0, &e);
        struct buf b;
        buf_init(&b, 4096);
        CHECK(v != NULL && stix_canonical_without(v, "x", &b) == 0);
        CHECK(b.data != NULL && b.len == strlen(cases[i].want) &&
              memcmp(b.data, cases[i].want, b.len) == 0);
        buf_fini(&b);
        json_decref(v);
    }
    /* more members than the stack array holds */
    json_t *big = json_object();
    for (int i = 0; i < 40; i++) {
        char k[8];
        snprintf(k, sizeof(k), "k%02d", 39 - i);
        json_object_set_new(big, k, json_integer(i));
    }
    struct buf b;
    buf_init(&b, 4096);
    CHECK(stix_canonical(big, &b) == 0 && b.data != NULL &&
          strncmp(b.data, "{\"k00\":39,", 10) == 0);
    buf_fini(&b);
    json_decref(big);
}

const struct unit_test stix_tests[] = {
    {"canonical_without", canonical_without},
    {"canonical_json", canonical_json},
    {"valid_objects", valid_objects},
    {"invalid_objects", invalid_objects},
    {"tlp_levels", tlp_levels},
    {"meta_normalises_versions", meta_normalises_versions},
    {"objects_of_documents", objects_of_documents},
    {NULL, NULL},
};
