/* store_test.c — the SQLite store: one copy per version, duplicates are no-ops, first and
 * last versions, strictly increasing date_added, filters and exact paging. */
#include "store/store.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
    char path[256];
    struct store *s;
    char coll[UUID_TEXT];
};

static bool setup(struct fixture *f)
{
    struct err err;
    struct store_collection c;
    memset(&c, 0, sizeof(c));
    snprintf(f->path, sizeof(f->path), "/tmp/certmesh-store-%d-%u.db", (int)getpid(),
             (unsigned)rand());
    if (store_open(f->path, true, &f->s, &err) != 0) {
        return false;
    }
    uuid_v4(c.id);
    str_copy(c.title, sizeof(c.title), "t");
    c.audience = STORE_AUD_LIST;
    memcpy(f->coll, c.id, UUID_TEXT);
    return store_collection_add(f->s, &c, &err) == 0;
}

static void teardown(struct fixture *f)
{
    char p[300];
    store_close(f->s);
    unlink(f->path);
    snprintf(p, sizeof(p), "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", f->path);
    unlink(p);
}

static int put(struct fixture *f, const char *type, int n, const char *modified, bool *added)
{
    char text[512];
    struct stix_meta m;
    struct err err;
    snprintf(text, sizeof(text),
             "{\"type\":\"%s\",\"id\":\"%s--00000000-0000-4000-8000-%012d\",\"created\":"
             "\"2026-01-01T00:00:00.000Z\",\"modified\":\"%s\"}",
             type, type, n, modified);
    json_t *j = json_loads(text, 0, NULL);
    int rc = stix_meta_of(j, &m);
    json_decref(j);
    struct store_versions v;
    if (rc != 0 || store_object_versions(f->s, f->coll, m.id, m.version_us, &v, &err) != 0) {
        return -1;
    }
    return store_object_put(f->s, f->coll, &m, text, strlen(text), 7, &v, added, &err);
}

struct collect {
    int n;
    ts_us last;
    bool increasing;
    char ids[64][80];
    char versions[64][40];
};

static int collect_row(void *ctx, const struct store_row *r)
{
    struct collect *c = ctx;
    if (c->n > 0 && r->date_added <= c->last) {
        c->increasing = false;
    }
    c->last = r->date_added;
    if (c->n < 64) {
        str_copy(c->ids[c->n], sizeof(c->ids[0]), r->stix_id);
        str_copy(c->versions[c->n], sizeof(c->versions[0]), r->version);
    }
    c->n++;
    return 0;
}

static void base_query(struct store_query *q, const char *coll)
{
    memset(q, 0, sizeof(*q));
    q->coll = coll;
    q->added_after = -1;
    q->limit = 100;
    q->want_last = true;
    q->tlp_mask = ~0u;
}

static void versions_and_duplicates(void)
{
    struct fixture f;
    struct err err;
    bool added;
    FAIL_IF(!setup(&f));
    CHECK(put(&f, "malware", 1, "2026-01-01T00:00:00.000Z", &added) != 0); /* no transaction */
    CHECK(store_begin(f.s, &err) == 0);
    CHECK(put(&f, "malware", 1, "2026-01-02T00:00:00.000Z", &added) == 0 && added);
    CHECK(put(&f, "malware", 1, "2026-01-02T00:00:00.000Z", &added) == 0 && !added);
    CHECK(put(&f, "malware", 1, "2026-01-03T00:00:00.000Z", &added) == 0 && added);
    CHECK(put(&f, "malware", 1, "2026-01-01T00:00:00.000Z", &added) == 0 && added);
    CHECK(put(&f, "indicator", 2, "2026-01-01T00:00:00.000Z", &added) == 0 && added);
    CHECK(store_commit(f.s, &err) == 0);

    struct store_query q;
    struct collect c = {.increasing = true};
    bool more;
    base_query(&q, f.coll);
    CHECK(store_query_run(f.s, &q, collect_row, &c, &more, &err) == 0);
    CHECK(c.n == 2 && !more && c.increasing);
    CHECK(strcmp(c.versions[0], "2026-01-03T00:00:00.000Z") == 0);

    memset(&c, 0, sizeof(c));
    q.want_last = false;
    q.want_first = true;
    q.ids[0] = "malware--00000000-0000-4000-8000-000000000001";
    q.n_ids = 1;
    CHECK(store_query_run(f.s, &q, collect_row, &c, &more, &err) == 0);
    CHECK(c.n == 1 && strcmp(c.versions[0], "2026-01-01T00:00:00.000Z") == 0);

    memset(&c, 0, sizeof(c));
    c.increasing = true;
    q.want_first = false;
    q.want_all = true;
    CHECK(store_query_run(f.s, &q, collect_row, &c, &more, &err) == 0);
    CHECK(c.n == 3 && c.increasing);

    memset(&c, 0, sizeof(c));
    q.want_all = false;
    CHECK(ts_parse("2026-01-02T00:00:00Z", &q.versions[0], NULL) == 0);
    q.n_versions = 1;
    CHECK(store_query_run(f.s, &q, collect_row, &c, &more, &err) == 0);
    CHECK(c.n == 1 && strcmp(c.versions[0], "2026-01-02T00:00:00.000Z") == 0);
    CHECK(store_object_count(f.s, f.coll) == 4);
    struct store_versions v;
    ts_us t2;
    CHECK(ts_parse("2026-01-02T00:00:00Z", &t2, NULL) == 0);
    CHECK(store_object_versions(f.s, f.coll, "malware--00000000-0000-4000-8000-000000000001", t2,
                                &v, &err) == 0);
    CHECK(v.any && v.exact && v.origin_org == 7);
    CHECK(v.last - v.first == 2 * 86400 * 1000000LL);
    CHECK(store_object_versions(f.s, f.coll, "malware--00000000-0000-4000-8000-000000000001", 0, &v,
                                &err) == 0);
    CHECK(v.any && !v.exact);
    CHECK(store_object_versions(f.s, f.coll, "malware--00000000-0000-4000-8000-000000000009", 0, &v,
                                &err) == 0);
    CHECK(!v.any && !v.exact && v.origin_org == 0);
    int removed;
    CHECK(store_begin(f.s, &err) == 0);
    CHECK(store_object_delete(f.s, f.coll, "malware--00000000-0000-4000-8000-000000000001",
                              &removed, &err) == 0 &&
          removed == 3);
    CHECK(store_commit(f.s, &err) == 0);
    CHECK(store_object_count(f.s, f.coll) == 1);
    teardown(&f);
}

static void paging_is_exact(void)
{
    struct fixture f;
    struct err err;
    bool added;
    FAIL_IF(!setup(&f));
    CHECK(store_begin(f.s, &err) == 0);
    for (int i = 0; i < 25; i++) {
        CHECK(put(&f, i % 2 ? "indicator" : "malware", 100 + i, "2026-01-01T00:00:00.000Z",
                  &added) == 0);
    }
    CHECK(store_commit(f.s, &err) == 0);
    struct store_query q;
    base_query(&q, f.coll);
    q.limit = 10;
    int pages = 0, total = 0;
    bool more = true;
    ts_us prev_last = -1;
    while (more) {
        struct collect c = {.increasing = true};
        CHECK(store_query_run(f.s, &q, collect_row, &c, &more, &err) == 0);
        CHECK(c.increasing);
        CHECK(c.n == 0 || c.last > prev_last);
        total += c.n;
        pages++;
        q.added_after = prev_last = c.last;
        if (pages > 5) {
            break;
        }
    }
    CHECK(total == 25 && pages == 3);
    /* type filter */
    base_query(&q, f.coll);
    q.types[0] = "indicator";
    q.n_types = 1;
    struct collect c = {0};
    CHECK(store_query_run(f.s, &q, collect_row, &c, &more, &err) == 0 && c.n == 12);
    /* TLP mask: these objects are unmarked, so a mask without UNMARKED hides them all */
    base_query(&q, f.coll);
    q.tlp_mask = 1u << STIX_TLP_CLEAR;
    memset(&c, 0, sizeof(c));
    CHECK(store_query_run(f.s, &q, collect_row, &c, &more, &err) == 0 && c.n == 0);
    teardown(&f);
}

static void date_added_survives_reopen(void)
{
    struct fixture f;
    struct err err;
    bool added, more;
    FAIL_IF(!setup(&f));
    CHECK(store_begin(f.s, &err) == 0);
    CHECK(put(&f, "malware", 1, "2026-01-01T00:00:00.000Z", &added) == 0);
    CHECK(store_commit(f.s, &err) == 0);
    struct store_query q;
    base_query(&q, f.coll);
    struct collect c1 = {0};
    CHECK(store_query_run(f.s, &q, collect_row, &c1, &more, &err) == 0);
    store_close(f.s);
    CHECK(store_open(f.path, false, &f.s, &err) == 0);
    CHECK(store_begin(f.s, &err) == 0);
    CHECK(put(&f, "malware", 2, "2026-01-01T00:00:00.000Z", &added) == 0);
    CHECK(store_commit(f.s, &err) == 0);
    struct collect c2 = {.increasing = true};
    CHECK(store_query_run(f.s, &q, collect_row, &c2, &more, &err) == 0);
    CHECK(c2.n == 2 && c2.increasing && c2.last > c1.last);
    teardown(&f);
}

const struct unit_test store_tests[] = {
    {"versions_and_duplicates", versions_and_duplicates},
    {"paging_is_exact", paging_is_exact},
    {"date_added_survives_reopen", date_added_survives_reopen},
    {NULL, NULL},
};
