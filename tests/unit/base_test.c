/* base_test.c — timestamps, UUIDs, encodings, buffers, JSON limits. */
#include "base/base.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

static void ts_valid_forms(void)
{
    ts_us t;
    int d;
    FAIL_IF(ts_parse("1970-01-01T00:00:00Z", &t, &d) != 0 || t != 0 || d != 0);
    FAIL_IF(ts_parse("2016-05-12T08:17:27.000Z", &t, &d) != 0 || d != 3);
    FAIL_IF(t != 1463041047000000LL);
    FAIL_IF(ts_parse("2016-05-12T08:17:27.123456789Z", &t, &d) != 0 || d != 9);
    FAIL_IF(t != 1463041047123456LL);
    FAIL_IF(ts_parse("2024-02-29T23:59:59.5Z", &t, NULL) != 0 || t % 1000000 != 500000);
    FAIL_IF(ts_parse("2000-02-29T00:00:00Z", &t, NULL) != 0);
}

static void ts_invalid_forms(void)
{
    static const char *const bad[] = {"",
                                      "2016-05-12",
                                      "2016-05-12T08:17:27",
                                      "2016-05-12T08:17:27.Z",
                                      "2016-05-12T08:17:27+00:00",
                                      "2016-05-12 08:17:27Z",
                                      "2016-13-12T08:17:27Z",
                                      "2023-02-29T00:00:00Z",
                                      "1900-02-29T00:00:00Z",
                                      "2016-05-12T24:00:00Z",
                                      "2016-05-12T08:60:00Z",
                                      "2016-05-32T08:17:27Z",
                                      "2016-05-12T08:17:27ZZ",
                                      "2016-05-12t08:17:27Z",
                                      "2016-5-12T08:17:27Z",
                                      "2016-05-12T08:17:27.12a4Z"};
    ts_us t;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(ts_parse(bad[i], &t, NULL) != 0);
    }
}

static void ts_format_roundtrip(void)
{
    char s[TS_MAX_TEXT];
    ts_us t, back;
    FAIL_IF(ts_parse("2026-11-28T01:02:03.456789Z", &t, NULL) != 0);
    ts_format(t, 6, s);
    FAIL_IF(strcmp(s, "2026-11-28T01:02:03.456789Z") != 0);
    ts_format(t, 3, s);
    FAIL_IF(strcmp(s, "2026-11-28T01:02:03.456Z") != 0);
    ts_format(t, 0, s);
    FAIL_IF(strcmp(s, "2026-11-28T01:02:03Z") != 0);
    ts_format(-1, 6, s);
    FAIL_IF(strcmp(s, "1969-12-31T23:59:59.999999Z") != 0);
    FAIL_IF(ts_parse(s, &back, NULL) != 0 || back != -1);
}

static void uuid_rules(void)
{
    char u[UUID_TEXT], v[UUID_TEXT];
    uuid_v4(u);
    uuid_v4(v);
    FAIL_IF(!uuid_valid(u, strlen(u)) || strcmp(u, v) == 0);
    FAIL_IF(u[14] != '4');
    FAIL_IF(!uuid_valid("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", 36));
    FAIL_IF(uuid_valid("8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F", 36)); /* uppercase */
    FAIL_IF(uuid_valid("8e2e2d2b-17d4-4cbf-c38f-98ee46b3cd3f", 36)); /* variant */
    FAIL_IF(uuid_valid("8e2e2d2b17d4-4cbf-938f-98ee46b3cd3f0", 36));
    FAIL_IF(uuid_valid("8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3", 35));
}

static void base64_and_hex(void)
{
    char out[64];
    unsigned char raw[32];
    FAIL_IF(b64_encode("hello", 5, out) != 8 || strcmp(out, "aGVsbG8=") != 0);
    FAIL_IF(b64_decode("aGVsbG8=", 8, raw, sizeof(raw)) != 5 || memcmp(raw, "hello", 5) != 0);
    FAIL_IF(!b64_valid("", 0) || !b64_valid("AAAA", 4) || !b64_valid("aGk=", 4));
    FAIL_IF(b64_valid("aGk", 3) || b64_valid("a=Gk", 4) ||
            b64_valid("aGl=", 4)); /* not canonical */
    FAIL_IF(b64_valid("a*Gk", 4));
    FAIL_IF(!hex_valid("00ffAB", 6) || hex_valid("0", 1) || hex_valid("zz", 2));
}

static void integers(void)
{
    int64_t v;
    FAIL_IF(str_to_i64("42", 0, 100, &v) != 0 || v != 42);
    FAIL_IF(str_to_i64("-5", -10, 10, &v) != 0 || v != -5);
    FAIL_IF(str_to_i64("101", 0, 100, &v) == 0);
    FAIL_IF(str_to_i64("", 0, 100, &v) == 0 || str_to_i64("4x", 0, 100, &v) == 0);
    FAIL_IF(str_to_i64(" 4", 0, 100, &v) == 0 || str_to_i64("+4", 0, 100, &v) == 0);
    FAIL_IF(str_to_i64("99999999999999999999", 0, INT64_MAX, &v) == 0);
}

static void utf8(void)
{
    FAIL_IF(!str_utf8_valid("plain", 5));
    FAIL_IF(!str_utf8_valid("\xe0\xb8\x81\xe0\xb8\xa3", 6)); /* Thai */
    FAIL_IF(str_utf8_valid("\xc0\xaf", 2));                  /* overlong */
    FAIL_IF(str_utf8_valid("\xed\xa0\x80", 3));              /* surrogate */
    FAIL_IF(str_utf8_valid("\xe0\xb8", 2));                  /* truncated */
    FAIL_IF(str_utf8_valid("\xff", 1));
}

static void buffers_are_bounded(void)
{
    struct buf b;
    buf_init(&b, 8);
    FAIL_IF(buf_puts(&b, "12345678") != 0);
    FAIL_IF(buf_puts(&b, "9") == 0);
    FAIL_IF(b.len != 8 || strcmp(b.data, "12345678") != 0);
    buf_reset(&b);
    FAIL_IF(buf_json_str(&b, "a\"\n") != 0 || strcmp(b.data, "\"a\\\"\\n\"") != 0);
    buf_fini(&b);
    buf_fini(NULL);
}

static void json_limits(void)
{
    struct err err;
    char deep[200];
    for (int i = 0; i < 65; i++) {
        deep[i] = '[';
        deep[65 + i] = ']';
    }
    json_t *j = jx_parse(deep, 130, JX_MAX_DEPTH, &err);
    FAIL_IF(j != NULL || strstr(err.msg, "deeper than 64") == NULL);
    j = jx_parse(deep + 1, 128, JX_MAX_DEPTH, &err);
    FAIL_IF(j == NULL);
    json_decref(j);
    j = jx_parse("{\"a\":1,\"a\":2}", 13, JX_MAX_DEPTH, &err);
    FAIL_IF(j != NULL);
    j = jx_parse("{\"a\":\"\xff\"}", 9, JX_MAX_DEPTH, &err);
    FAIL_IF(j != NULL || strstr(err.msg, "UTF-8") == NULL);
    j = jx_parse("{\"a\":\"[[[[\"}", 12, 2, &err); /* brackets inside strings do not count */
    FAIL_IF(j == NULL);
    json_decref(j);
    j = jx_parse("{\"a\":1} x", 9, JX_MAX_DEPTH, &err);
    FAIL_IF(j != NULL || strstr(err.msg, "line 1") == NULL);
}

static void ip_prefixes(void)
{
    struct ip_prefix a, b;
    char out[64];
    FAIL_IF(ip_prefix_parse("198.51.100.7", 12, &a) != 0 || a.family != 4 || a.bits != 32);
    FAIL_IF(ip_prefix_parse("198.51.100.0/24", 15, &b) != 0 || b.bits != 24);
    FAIL_IF(!ip_prefix_within(&a, &b) || ip_prefix_within(&b, &a));
    FAIL_IF(ip_prefix_parse("198.51.101.7", 12, &a) != 0 || ip_prefix_within(&a, &b));
    FAIL_IF(ip_prefix_parse("2001:0DB8:0:0:0:0:0:1", 21, &a) != 0 || a.family != 6);
    ip_prefix_format(&a, out);
    FAIL_IF(strcmp(out, "2001:db8::1") != 0);
    FAIL_IF(ip_prefix_parse("2001:db8::/33", 13, &b) != 0 || !ip_prefix_within(&a, &b));
    ip_prefix_format(&b, out);
    FAIL_IF(strcmp(out, "2001:db8::/33") != 0);
    FAIL_IF(ip_prefix_parse("10.0.0.0/8", 10, &b) != 0 || ip_prefix_within(&a, &b)); /* family */
    FAIL_IF(ip_prefix_parse("10.0.0.0/33", 11, &b) == 0);
    FAIL_IF(ip_prefix_parse("10.0.0.0/-1", 11, &b) == 0);
    FAIL_IF(ip_prefix_parse("10.0.0.0/", 9, &b) == 0);
    FAIL_IF(ip_prefix_parse("example.com", 11, &b) == 0);
    FAIL_IF(ip_prefix_parse("", 0, &b) == 0);
    FAIL_IF(ip_prefix_parse("0.0.0.0/0", 9, &b) != 0 || !ip_prefix_within(&a, &a));
}

static void lines_and_list_values(void)
{
    const char *text = "one\r\n  two # note\n\n#only\nlast";
    const char *pos = text, *end = text + strlen(text), *p;
    size_t n;
    static const char *const want[] = {"one", "two", "", "", "last"};
    int i = 0;
    while (str_next_line(&pos, end, &p, &n)) {
        str_list_value(&p, &n);
        FAIL_IF(i >= 5 || n != strlen(want[i]) || strncmp(p, want[i], n) != 0);
        i++;
    }
    FAIL_IF(i != 5);
    const char *s = " \t x y \r";
    n = strlen(s);
    str_trim(&s, &n);
    FAIL_IF(n != 3 || strncmp(s, "x y", 3) != 0);
}

/* The elements of a member array as they stand in the text, found the way jansson reads
 * the member: escaped names, strings holding brackets and quotes, nesting, spacing. */
static void json_spans(void)
{
    static const char text[] =
        " {\"more\" : [\"]\", {\"objects\":[9]}], \"x\\\"y\":\"[{\\\"\","
        "\r\n \"obj\\u0065cts\" :[ {\"a\":\"}\\\\\",\"b\":[1,{\"c\":\"]\"}]} ,\t-1.5e3 ,"
        "\"s\\\"]\",[] ,{} ] , \"next\":null}";
    struct err err;
    json_t *doc = jx_parse(text, strlen(text), JX_MAX_DEPTH, &err);
    FAIL_IF(doc == NULL);
    json_t *objs = json_object_get(doc, "objects");
    FAIL_IF(json_array_size(objs) != 5);
    struct jx_span sp[8];
    CHECK(jx_array_spans(text, strlen(text), "objects", sp, 8) == 5);
    for (size_t i = 0; i < 5; i++) {
        json_error_t je;
        json_t *back = json_loadb(sp[i].p, sp[i].n, JSON_DECODE_ANY, &je);
        CHECK(back != NULL && json_equal(back, json_array_get(objs, i)));
        json_decref(back);
    }
    CHECK(sp[1].n == 6 && strncmp(sp[1].p, "-1.5e3", 6) == 0); /* no spacing around */
    /* at most max written, all counted; a missing or non-array member */
    CHECK(jx_array_spans(text, strlen(text), "objects", sp, 2) == 5);
    CHECK(jx_array_spans(text, strlen(text), "object", sp, 8) == -1);
    CHECK(jx_array_spans(text, strlen(text), "next", sp, 8) == -1);
    CHECK(jx_array_spans("[1]", 3, "objects", sp, 8) == -1);
    CHECK(jx_array_spans("{\"objects\":[]}", 14, "objects", sp, 8) == 0);
    json_decref(doc);
}

const struct unit_test base_tests[] = {
    {"ts_valid_forms", ts_valid_forms},
    {"ts_invalid_forms", ts_invalid_forms},
    {"ts_format_roundtrip", ts_format_roundtrip},
    {"uuid_rules", uuid_rules},
    {"base64_and_hex", base64_and_hex},
    {"integers", integers},
    {"utf8", utf8},
    {"buffers_are_bounded", buffers_are_bounded},
    {"json_limits", json_limits},
    {"json_spans", json_spans},
    {"ip_prefixes", ip_prefixes},
    {"lines_and_list_values", lines_and_list_values},
    {NULL, NULL},
};
