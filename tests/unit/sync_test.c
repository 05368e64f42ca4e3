/* sync_test.c — federation: schedules (backoff doubles from the interval, is capped, and
 * is spread by jitter so that peers that failed together do not retry together), and
 * what peers answer: envelopes and status resources, well-formed and not. */
#include "sync/internal.h"
#include "unit.h"

#include <math.h>
#include <string.h>

static bool near(double a, double b)
{
    return fabs(a - b) < 1e-9;
}

static void backoff(void)
{
    CHECK(near(sync_next_delay(60, 0, 0.9), 60));                    /* success: the interval */
    CHECK(near(sync_next_delay(60, 1, 0.5), 120));                   /* 2x, jitter factor 1.0 */
    CHECK(near(sync_next_delay(60, 3, 0.5), 480));                   /* 8x */
    CHECK(near(sync_next_delay(60, 3, 0.0), 240));                   /* jitter down to half */
    CHECK(near(sync_next_delay(60, 3, 0.999999), 719.99952));        /* and up to 1.5x */
    CHECK(near(sync_next_delay(60, 40, 0.5), SYNC_BACKOFF_MAX));     /* capped */
    CHECK(near(sync_next_delay(1, 1000000, 0.5), SYNC_BACKOFF_MAX)); /* no overflow */
}

static int parse(const char *body, const char *last, struct sync_envelope *e, struct err *err)
{
    return sync_envelope_parse(body, strlen(body), last, e, err);
}

static void envelopes(void)
{
    struct sync_envelope e;
    struct err err;
    CHECK(parse("{\"more\":true,\"next\":\"abc\",\"objects\":[{\"id\":\"x\"}]}",
                "2026-01-01T00:00:00.000001Z", &e, &err) == 0);
    CHECK(e.more && strcmp(e.next, "abc") == 0 && json_array_size(e.objs) == 1);
    CHECK(strcmp(e.last, "2026-01-01T00:00:00.000001Z") == 0);
    sync_envelope_fini(&e);
    /* an empty result omits objects (TAXII 2.1 section 3.7); a bad header is ignored */
    CHECK(parse("{}", "yesterday", &e, &err) == 0 && e.objs == NULL && !e.more && e.next == NULL &&
          e.last[0] == '\0');
    sync_envelope_fini(&e);
    static const char *const bad[] = {
        "",
        "[]",
        "{\"objects\":{}}",
        "{\"objects\":[],\"more\":\"true\"}",
        "{\"next\":5}",
        "{\"objects\":[",
        "{\"a\":\"\\ud800\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(parse(bad[i], NULL, &e, &err) == -1 && e.env == NULL);
    }
    char longnext[600];
    snprintf(longnext, sizeof(longnext), "{\"next\":\"%0300d\"}", 1);
    CHECK(parse(longnext, NULL, &e, &err) == -1 && strstr(err.msg, "too long") != NULL);
    char deep[2 * JX_MAX_DEPTH + 8];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    CHECK(parse(deep, NULL, &e, &err) == -1);
}

static json_t *js(const char *text)
{
    json_error_t e;
    return json_loads(text, 0, &e);
}

static void statuses(void)
{
    struct sync_sent sent[3] = {
        {.id = "indicator--1", .version = 1000},
        {.id = "indicator--2", .version = 2000},
        {.id = "indicator--3", .version = 3000},
    };
    json_t *st = js("{\"id\":\"s\",\"status\":\"pending\",\"successes\":[{\"id\":"
                    "\"indicator--2\",\"version\":\"1970-01-01T00:00:00.002Z\"}],\"failures\":["
                    "{\"id\":\"indicator--1\",\"message\":\"TLP rule: no\"},"
                    "{\"id\":\"indicator--9\",\"message\":\"not ours\"},"
                    "{\"id\":\"indicator--3\",\"version\":\"1970-01-01T00:00:00.009Z\","
                    "\"message\":\"another version\"}]}");
    CHECK(!sync_status_apply(sent, 3, st)); /* pending */
    CHECK(sent[0].outcome == SYNC_REFUSED && strcmp(sent[0].msg, "TLP rule: no") == 0);
    CHECK(sent[1].outcome == SYNC_TAKEN);
    CHECK(sent[2].outcome == SYNC_PENDING);
    json_decref(st);
    /* complete, listing nothing more: counts decide */
    st = js("{\"status\":\"complete\",\"failure_count\":1}");
    CHECK(sync_status_apply(sent, 3, st) && sent[2].outcome == SYNC_FAILED);
    json_decref(st);
    sent[2].outcome = SYNC_PENDING;
    st = js("{\"status\":\"complete\",\"failure_count\":0}");
    CHECK(sync_status_apply(sent, 3, st) && sent[2].outcome == SYNC_TAKEN);
    json_decref(st);
    /* nonsense changes nothing and is not complete */
    sent[2].outcome = SYNC_PENDING;
    static const char *const junk[] = {"[]", "{\"successes\":5}", "{\"failures\":[1,null,{}]}",
                                       "{\"status\":true}", "\"complete\""};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        json_error_t je;
        st = json_loads(junk[i], JSON_DECODE_ANY, &je);
        CHECK(st != NULL && !sync_status_apply(sent, 3, st) && sent[2].outcome == SYNC_PENDING);
        json_decref(st);
    }
    CHECK(!sync_status_apply(sent, 3, NULL));
    /* a certmesh peer's versioning rule is final too; any other failure is retried */
    sent[0].outcome = sent[1].outcome = SYNC_PENDING;
    st = js("{\"status\":\"complete\",\"failures\":[{\"id\":\"indicator--1\",\"message\":"
            "\"objects[0]: STIX versioning: only the object's creator may create a new version\"},"
            "{\"id\":\"indicator--2\",\"message\":\"objects[1]: database is busy\"}]}");
    CHECK(sync_status_apply(sent, 3, st));
    CHECK(sent[0].outcome == SYNC_REFUSED && sent[1].outcome == SYNC_FAILED);
    json_decref(st);
}

/* Peers are reached over https; plain http only to a loopback host, read as an address. */
static void peer_urls(void)
{
    static const char *const fine[] = {
        "https://cert.example.org:8443/api/",
        "http://127.0.0.1:8443/api/",
        "http://127.8.9.10/api/",
        "http://[::1]:8443/api/",
        "http://localhost:8443/api/",
    };
    static const char *const refused[] = {
        "http://cert.example.org/api/",
        "http://127.example.net/api/",
        "http://127.0.0.1@example.net/api/",
        "http://128.0.0.1:8443/api/",
        "ftp://127.0.0.1/",
        "http://[::2]:8443/api/",
    };
    struct err err;
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
        CHECK(sync_check_url(fine[i], &err) == 0);
    }
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        CHECK(sync_check_url(refused[i], &err) != 0 && strstr(err.msg, "https") != NULL);
    }
}

const struct unit_test sync_tests[] = {
    {"backoff", backoff},   {"envelopes", envelopes},
    {"statuses", statuses}, {"peer_urls", peer_urls},
    {NULL, NULL},
};
