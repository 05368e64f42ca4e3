/* taxii_test.c — the query-string parser (section 3.4) and the paging token. */
#include "taxii/taxii.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct taxii_filter f;

static bool parses(const char *q)
{
    struct err err;
    if (taxii_query_parse(q, &f, &err) != 0) {
        fprintf(stderr, "    %s: %s\n", q, err.msg);
        return false;
    }
    return true;
}

static bool rejects(const char *q, const char *msg)
{
    struct err err;
    if (taxii_query_parse(q, &f, &err) == 0) {
        fprintf(stderr, "    accepted: %s\n", q);
        return false;
    }
    if (strstr(err.msg, msg) == NULL) {
        fprintf(stderr, "    %s: expected '%s', got '%s'\n", q, msg, err.msg);
        return false;
    }
    return true;
}

static void valid_queries(void)
{
    FAIL_IF(!parses(""));
    FAIL_IF(f.has_added_after || f.has_limit || f.n_types || f.has_version);
    FAIL_IF(!parses("added_after=2016-02-01T00:00:01.000Z&limit=10"));
    FAIL_IF(!f.has_added_after || f.limit != 10);
    FAIL_IF(!parses("match[type]=indicator,sighting&match[id]=indicator--x"));
    FAIL_IF(f.n_types != 2 || strcmp(f.types[1], "sighting") != 0 || f.n_ids != 1);
    FAIL_IF(!parses("match%5Btype%5D=malware"));
    FAIL_IF(f.n_types != 1 || strcmp(f.types[0], "malware") != 0);
    FAIL_IF(!parses("match[version]=first,2018-03-02T01:01:01.123Z,last"));
    FAIL_IF(!f.v_first || !f.v_last || f.v_all || f.n_versions != 1);
    FAIL_IF(!parses("match[version]=all&match[spec_version]=2.0,2.1"));
    FAIL_IF(!f.v_all || f.n_spec_versions != 2);
    FAIL_IF(!parses("limit=999999"));
    FAIL_IF(f.limit != TAXII_MAX_LIMIT);
    FAIL_IF(!parses("match[color]=blue&flavour=x&&")); /* unknown fields are ignored */
    char next[32];
    taxii_next_encode(1463041047123456LL, next);
    char q[64];
    snprintf(q, sizeof(q), "next=%s", next);
    FAIL_IF(!parses(q) || !f.has_next || f.next != 1463041047123456LL);
}

static void malformed_queries(void)
{
    CHECK(rejects("added_after=yesterday", "added_after: not an RFC 3339 timestamp"));
    CHECK(rejects("added_after=2016-02-01T00:00:01Z&added_after=2016-02-01T00:00:01Z",
                  "added_after: given more than once"));
    CHECK(rejects("limit=0", "limit: must be a positive integer"));
    CHECK(rejects("limit=-3", "limit: must be a positive integer"));
    CHECK(rejects("limit=ten", "limit: must be a positive integer"));
    CHECK(rejects("limit=", "limit: must be a positive integer"));
    CHECK(rejects("next=zz", "next: not a value this server issued"));
    CHECK(rejects("match[type]=a,,b", "empty value"));
    CHECK(rejects("match[type]=a&match[type]=b", "given more than once"));
    CHECK(rejects("match[version]=all,last", "'all' must not be combined"));
    CHECK(rejects("match[version]=last,last", "given more than once"));
    CHECK(rejects("match[version]=2016-01-01T00:00:00Z,2016-01-01T00:00:00.000Z",
                  "given more than once"));
    CHECK(rejects("match[version]=latest", "is not first, last, all"));
    CHECK(rejects("added_after=%zz", "percent-encoding"));
    CHECK(rejects("limit=1%00", "percent-encoding"));
    CHECK(rejects("limit", "without a value"));
    char *big = malloc(TAXII_QUERY_MAX + 10);
    FAIL_IF(big == NULL);
    memset(big, 'a', TAXII_QUERY_MAX + 9);
    big[TAXII_QUERY_MAX + 9] = '\0';
    CHECK(rejects(big, "longer than"));
    free(big);
}

const struct unit_test taxii_tests[] = {
    {"valid_queries", valid_queries},
    {"malformed_queries", malformed_queries},
    {NULL, NULL},
};
