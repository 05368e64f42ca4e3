/*
 * sqlite.c — the embedded store. One object version is one row of `objects` (its JSON
 * text plus indexed columns); its presence in a collection is one row of `entries`, keyed
 * by (collection, date_added) so that TAXII paging is an index range scan. `is_first` and
 * `is_last` are kept on entries so that match[version]=first|last needs no aggregate.
 *
 * date_added comes from a node clock: within a write transaction (which SQLite makes
 * exclusive) each new entry gets max(now, previous + 1µs), and the clock row is written
 * back at commit. Strictly increasing date_added makes `added_after` paging exact.
 */
#include "store/store.h"

#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum stmt_id {
    ST_CLOCK_GET,
    ST_CLOCK_SET,
    ST_COLL_KEY,
    ST_OBJ_INSERT,
    ST_OBJ_OID,
    ST_ORIGIN_GET,
    ST_VERSIONS,
    ST_VERSIONS_HELD,
    ST_ENTRY_CLEAR_LAST,
    ST_ENTRY_CLEAR_FIRST,
    ST_ENTRY_INSERT,
    ST_KEY_GET,
    ST_COLL_HAS,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_CLOCK_GET] = "SELECT last FROM clock",
    [ST_CLOCK_SET] = "UPDATE clock SET last = ?1",
    [ST_COLL_KEY] = "SELECT cid FROM collections WHERE id = ?1",
    [ST_OBJ_INSERT] = "INSERT OR IGNORE INTO objects(stix_id, version, version_text, type, "
                      "spec_version, tlp, created_by, org_id, json) VALUES "
                      "(?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    [ST_OBJ_OID] = "SELECT oid FROM objects WHERE stix_id = ?1 AND version = ?2",
    /* The first submitter is the organisation of the earliest stored version. */
    [ST_ORIGIN_GET] = "SELECT org_id FROM objects WHERE stix_id = ?1 ORDER BY oid LIMIT 1",
    [ST_VERSIONS] = "SELECT count(*), min(version), max(version), max(version = ?3), "
                    "(SELECT org_id FROM objects WHERE stix_id = ?2 ORDER BY oid LIMIT 1) "
                    "FROM entries WHERE coll = ?1 AND stix_id = ?2",
    /* for an id the node holds: is this version stored, and the latest revoked version
     * (STIX 2.1 section 3.6) */
    [ST_VERSIONS_HELD] = "SELECT total(version = ?2) > 0, max(CASE WHEN "
                         "json_extract(json, '$.revoked') = 1 THEN version END), "
                         "(SELECT json_extract(json, '$.created') FROM objects "
                         "WHERE stix_id = ?1 ORDER BY oid LIMIT 1) "
                         "FROM objects WHERE stix_id = ?1",
    [ST_ENTRY_CLEAR_LAST] = "UPDATE entries SET is_last = 0 WHERE coll = ?1 AND stix_id = ?2 "
                            "AND is_last = 1",
    [ST_ENTRY_CLEAR_FIRST] = "UPDATE entries SET is_first = 0 WHERE coll = ?1 AND stix_id = ?2 "
                             "AND is_first = 1",
    [ST_ENTRY_INSERT] = "INSERT INTO entries(coll, date_added, oid, stix_id, version, type, "
                        "spec_version, tlp, is_first, is_last) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,"
                        "?9,?10)",
    [ST_KEY_GET] = "SELECT id, org_id, role, hash, created, expires, revoked FROM keys WHERE "
                   "id = ?1",
    [ST_COLL_HAS] = "SELECT coalesce(max(write = 0), 0), coalesce(max(write = 1), 0) FROM grants "
                    "WHERE coll = ?1 AND org_id = ?2",
};

/* Statements prepared from SQL built at run time (queries, and the less frequent fixed
 * ones) are kept here too: preparing was 17% of the server's time on the read path. */
#define STMT_CACHE 24

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[ST_COUNT];
    struct {
        char *sql;
        sqlite3_stmt *st;
        uint64_t used;
    } cache[STMT_CACHE];
    uint64_t tick;
    char coll_text[UUID_TEXT]; /* the last collection id mapped to its integer key */
    int64_t coll_key;
    pthread_mutex_t *writer; /* this database's writers in this process (NULL: none) */
    bool in_tx;
    bool in_read;
    ts_us clock; /* last date_added handed out, valid inside a transaction */
    bool clock_dirty;
};

/* Federation peers (issue 5): the peer's organisation, API root, credentials for it, its
 * TLS public-key pin and signing key; and what is pulled from it or pushed to it, each
 * with the cursor the next round starts from. */
static const char peers_schema[] =
    "CREATE TABLE IF NOT EXISTS peers(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " org_id INTEGER NOT NULL REFERENCES orgs(id), url TEXT NOT NULL, key TEXT NOT NULL,"
    " pin TEXT NOT NULL, signing_key TEXT NOT NULL DEFAULT '', interval INTEGER NOT NULL,"
    " require_signatures INTEGER NOT NULL DEFAULT 0, transitive INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL, last_ok INTEGER NOT NULL DEFAULT 0,"
    " last_error TEXT NOT NULL DEFAULT '', failures INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS peer_links(peer INTEGER NOT NULL REFERENCES peers(id)"
    " ON DELETE CASCADE, push INTEGER NOT NULL, remote TEXT NOT NULL, local TEXT NOT NULL,"
    " cursor TEXT NOT NULL DEFAULT '', PRIMARY KEY(peer, push, remote, local));"
    /* pushed object versions the peer did not take, to be sent again (not TLP refusals) */
    "CREATE TABLE IF NOT EXISTS push_retry(peer INTEGER NOT NULL REFERENCES peers(id)"
    " ON DELETE CASCADE, local TEXT NOT NULL, remote TEXT NOT NULL, stix_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, attempts INTEGER NOT NULL, error TEXT NOT NULL,"
    " PRIMARY KEY(peer, local, remote, stix_id, version)) WITHOUT ROWID;";

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS clock(last INTEGER NOT NULL);"
    "INSERT INTO clock(last) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM clock);"
    "CREATE TABLE IF NOT EXISTS orgs(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  identity TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS keys(id TEXT PRIMARY KEY, org_id INTEGER NOT NULL"
    "  REFERENCES orgs(id), role INTEGER NOT NULL, hash BLOB NOT NULL, created INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS collections(cid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    "  title TEXT NOT NULL, alias TEXT UNIQUE, description TEXT NOT NULL DEFAULT '',"
    "  audience INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS grants(coll TEXT NOT NULL REFERENCES collections(id),"
    "  org_id INTEGER NOT NULL REFERENCES orgs(id), write INTEGER NOT NULL,"
    "  PRIMARY KEY(coll, org_id, write)) WITHOUT ROWID;"
    /* org_id: who submitted this version; the first version's org is the originator. */
    "CREATE TABLE IF NOT EXISTS objects(oid INTEGER PRIMARY KEY, stix_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL, version_text TEXT NOT NULL, type TEXT NOT NULL,"
    "  spec_version TEXT NOT NULL, tlp INTEGER NOT NULL, created_by TEXT,"
    "  org_id INTEGER NOT NULL, json TEXT NOT NULL, UNIQUE(stix_id, version));"
    /* coll is the collection's integer key: entries are the node's largest index. */
    "CREATE TABLE IF NOT EXISTS entries(coll INTEGER NOT NULL, date_added INTEGER NOT NULL,"
    "  oid INTEGER NOT NULL, stix_id TEXT NOT NULL, version INTEGER NOT NULL,"
    "  type TEXT NOT NULL, spec_version TEXT NOT NULL, tlp INTEGER NOT NULL,"
    "  is_first INTEGER NOT NULL, is_last INTEGER NOT NULL,"
    "  PRIMARY KEY(coll, date_added)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS entries_by_id ON entries(coll, stix_id, version);"
    /* match[type] on a rare type would otherwise scan the whole collection; inserts land at
     * the end of each type's range, so this index costs little on ingest. */
    "CREATE INDEX IF NOT EXISTS entries_by_type ON entries(coll, type, date_added);"
    "CREATE TABLE IF NOT EXISTS status(id TEXT PRIMARY KEY, coll TEXT NOT NULL,"
    "  org_id INTEGER NOT NULL, created INTEGER NOT NULL, json TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL, prev BLOB NOT NULL,"
    "  hash BLOB NOT NULL);";

static int db_fail(struct store *s, struct err *err, const char *what)
{
    return err_set(err, "database: %s: %s", what, sqlite3_errmsg(s->db));
}

static sqlite3_stmt *stmt(struct store *s, enum stmt_id id, struct err *err)
{
    if (s->stmt[id] == NULL &&
        sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id],
                           NULL) != SQLITE_OK) {
        db_fail(s, err, "prepare");
        return NULL;
    }
    sqlite3_reset(s->stmt[id]);
    sqlite3_clear_bindings(s->stmt[id]);
    return s->stmt[id];
}

static int exec(struct store *s, const char *sql, struct err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        err_set(err, "database: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Writers of one database within this process take turns on a mutex before BEGIN
 * IMMEDIATE. Left to SQLite's busy handler, a waiting writer sleeps 1, 2, 5, 10 … 100 ms
 * between tries and wakes late (perf: a receiving node's cores idled between the
 * envelopes of two concurrent POSTs). Other processes still meet the busy timeout. The
 * registry only grows: a process opens a handful of databases. */
#define WRITERS_MAX 16
static struct {
    char path[PATH_MAX];
    pthread_mutex_t mu;
} writers[WRITERS_MAX];
static int n_writers;
static pthread_mutex_t writers_mu = PTHREAD_MUTEX_INITIALIZER;

static pthread_mutex_t *writer_of(const char *path)
{
    char real[PATH_MAX];
    if (realpath(path, real) == NULL) {
        return NULL; /* not created yet (init): one writer anyway */
    }
    pthread_mutex_t *mu = NULL;
    pthread_mutex_lock(&writers_mu);
    for (int i = 0; i < n_writers && mu == NULL; i++) {
        mu = strcmp(writers[i].path, real) == 0 ? &writers[i].mu : NULL;
    }
    if (mu == NULL && n_writers < WRITERS_MAX) {
        str_copy(writers[n_writers].path, sizeof(writers[n_writers].path), real);
        pthread_mutex_init(&writers[n_writers].mu, NULL);
        mu = &writers[n_writers++].mu;
    }
    pthread_mutex_unlock(&writers_mu);
    return mu;
}

int store_open(const char *path, bool create, struct store **out, struct err *err)
{
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return err_set(err, "out of memory");
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        err_set(err, "cannot open database %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 10000);
    s->writer = writer_of(path);
    sqlite3_extended_result_codes(s->db, 1);
    /* FULL: an acknowledged POST survives a crash of the machine, not only of the process. */
    if (exec(s,
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
             "PRAGMA cache_size=-8000; PRAGMA wal_autocheckpoint=10000;",
             err) != 0) {
        goto fail;
    }
    if (create && exec(s, schema, err) != 0) {
        goto fail;
    }
    /* tables added after the first release: created on open as well (a forward migration) */
    if (exec(s, peers_schema, err) != 0) {
        goto fail;
    }
    if (!create) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM meta LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
            sqlite3_finalize(st);
            err_set(err, "%s is not a certmesh database (run certmesh init)", path);
            goto fail;
        }
        sqlite3_finalize(st);
    }
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_close(struct store *s)
{
    if (s == NULL) {
        return;
    }
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->stmt[i]);
    }
    for (int i = 0; i < STMT_CACHE; i++) {
        sqlite3_finalize(s->cache[i].st);
        free(s->cache[i].sql);
    }
    sqlite3_close_v2(s->db);
    free(s);
}

int store_read_begin(struct store *s, struct err *err)
{
    if (s->in_tx || s->in_read) {
        return err_set(err, "database: transaction already open");
    }
    if (exec(s, "BEGIN DEFERRED", err) != 0) {
        return -1;
    }
    s->in_read = true;
    return 0;
}

void store_read_end(struct store *s)
{
    if (s->in_read) {
        exec(s, "COMMIT", NULL);
        s->in_read = false;
    }
}

int store_begin(struct store *s, struct err *err)
{
    if (s->in_tx || s->in_read) {
        return err_set(err, "database: transaction already open");
    }
    if (s->writer != NULL) {
        pthread_mutex_lock(s->writer);
    }
    if (exec(s, "BEGIN IMMEDIATE", err) != 0) {
        if (s->writer != NULL) {
            pthread_mutex_unlock(s->writer);
        }
        return -1;
    }
    sqlite3_stmt *st = stmt(s, ST_CLOCK_GET, err);
    if (st == NULL || sqlite3_step(st) != SQLITE_ROW) {
        db_fail(s, err, "read clock");
        exec(s, "ROLLBACK", NULL);
        if (s->writer != NULL) {
            pthread_mutex_unlock(s->writer);
        }
        return -1;
    }
    s->clock = sqlite3_column_int64(st, 0);
    /* A statement left on a row holds its read snapshot open; in WAL mode that would hide
     * every later commit from this connection. Reset every SELECT as soon as it is read. */
    sqlite3_reset(st);
    s->clock_dirty = false;
    s->in_tx = true;
    return 0;
}

int store_commit(struct store *s, struct err *err)
{
    if (!s->in_tx) {
        return err_set(err, "database: no transaction open");
    }
    if (s->clock_dirty) {
        sqlite3_stmt *st = stmt(s, ST_CLOCK_SET, err);
        if (st == NULL) {
            store_rollback(s);
            return -1;
        }
        sqlite3_bind_int64(st, 1, s->clock);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_fail(s, err, "write clock");
            store_rollback(s);
            return -1;
        }
    }
    if (exec(s, "COMMIT", err) != 0) {
        store_rollback(s);
        return -1;
    }
    s->in_tx = false;
    if (s->writer != NULL) {
        pthread_mutex_unlock(s->writer);
    }
    return 0;
}

void store_rollback(struct store *s)
{
    if (s->in_tx) {
        exec(s, "ROLLBACK", NULL);
        s->in_tx = false;
        if (s->writer != NULL) {
            pthread_mutex_unlock(s->writer);
        }
    }
}

/* ---- small helpers -------------------------------------------------------------------- */

/* A prepared statement for sql from the connection's cache, reset and unbound. Callers
 * give it back with release(), never sqlite3_finalize(). */
static int prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct err *err)
{
    int victim = 0;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (s->cache[i].sql != NULL && strcmp(s->cache[i].sql, sql) == 0) {
            s->cache[i].used = ++s->tick;
            *st = s->cache[i].st;
            sqlite3_reset(*st);
            sqlite3_clear_bindings(*st);
            return 0;
        }
        if (s->cache[i].used < s->cache[victim].used) {
            victim = i;
        }
    }
    char *copy = strdup(sql);
    if (copy == NULL) {
        return err_set(err, "out of memory");
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
        free(copy);
        *st = NULL;
        return db_fail(s, err, "prepare");
    }
    sqlite3_finalize(s->cache[victim].st);
    free(s->cache[victim].sql);
    s->cache[victim].sql = copy;
    s->cache[victim].st = *st;
    s->cache[victim].used = ++s->tick;
    return 0;
}

/* Resets a statement from prepare() so that it holds no read snapshot (see store_begin). */
static void release(sqlite3_stmt *st)
{
    if (st != NULL) {
        sqlite3_reset(st);
    }
}

static int step_done(struct store *s, sqlite3_stmt *st, struct err *err, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        return db_fail(s, err, what);
    }
    return 0;
}

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t n)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    str_copy(dst, n, t ? t : "");
}

/* ---- organisations ---------------------------------------------------------------------- */

int store_org_add(struct store *s, const char *name, int64_t *id, struct err *err)
{
    sqlite3_stmt *st = NULL;
    char uuid[UUID_TEXT], identity[STIX_ID_MAX];
    uuid_v4(uuid);
    snprintf(identity, sizeof(identity), "identity--%s", uuid);
    if (prepare(s, "INSERT INTO orgs(name, identity, created) VALUES (?1, ?2, ?3)", &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, identity, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ts_now());
    int rc = sqlite3_step(st);
    release(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE) {
        return err_set(err, "organisation '%s' already exists", name);
    }
    if (rc != SQLITE_DONE) {
        return db_fail(s, err, "add organisation");
    }
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int org_query(struct store *s, const char *sql, const char *name, int64_t id,
                     store_org_fn fn, void *ctx, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, sql, &st, err)) {
        return -1;
    }
    if (name != NULL) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    } else if (id != 0) {
        sqlite3_bind_int64(st, 1, id);
    }
    int rc, found = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_org o;
        o.id = sqlite3_column_int64(st, 0);
        col_text(st, 1, o.name, sizeof(o.name));
        col_text(st, 2, o.identity, sizeof(o.identity));
        found++;
        if (fn(ctx, &o) != 0) {
            break;
        }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db_fail(s, err, "read organisations");
        release(st);
        return -1;
    }
    release(st);
    return found;
}

static int org_copy(void *ctx, const struct store_org *o)
{
    *(struct store_org *)ctx = *o;
    return 1;
}

int store_org_get(struct store *s, const char *name, struct store_org *org, struct err *err)
{
    int n = org_query(s, "SELECT id, name, identity FROM orgs WHERE name = ?1", name, 0, org_copy,
                      org, err);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int store_org_get_id(struct store *s, int64_t id, struct store_org *org, struct err *err)
{
    int n = org_query(s, "SELECT id, name, identity FROM orgs WHERE id = ?1", NULL, id, org_copy,
                      org, err);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int store_org_list(struct store *s, store_org_fn fn, void *ctx, struct err *err)
{
    return org_query(s, "SELECT id, name, identity FROM orgs ORDER BY name", NULL, 0, fn, ctx,
                     err) < 0
               ? -1
               : 0;
}

/* ---- keys ---------------------------------------------------------------------------- */

static const char *const role_names[] = {"admin", "analyst", "sync", "reader"};

const char *store_role_name(enum store_role r)
{
    return role_names[r];
}

int store_role_parse(const char *s, enum store_role *out)
{
    for (size_t i = 0; i < BASE_ARRAY_LEN(role_names); i++) {
        if (strcmp(s, role_names[i]) == 0) {
            *out = (enum store_role)i;
            return 0;
        }
    }
    return -1;
}

int store_key_add(struct store *s, const struct store_key *k, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "INSERT INTO keys(id, org_id, role, hash, created, expires) VALUES "
                "(?1,?2,?3,?4,?5,?6)",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, k->org_id);
    sqlite3_bind_int(st, 3, (int)k->role);
    sqlite3_bind_blob(st, 4, k->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->created);
    sqlite3_bind_int64(st, 6, k->expires);
    int rc = step_done(s, st, err, "add key");
    release(st);
    return rc;
}

static void key_from_row(sqlite3_stmt *st, struct store_key *k)
{
    col_text(st, 0, k->id, sizeof(k->id));
    k->org_id = sqlite3_column_int64(st, 1);
    k->role = (enum store_role)sqlite3_column_int(st, 2);
    memset(k->hash, 0, 32);
    if (sqlite3_column_bytes(st, 3) == 32) {
        memcpy(k->hash, sqlite3_column_blob(st, 3), 32);
    }
    k->created = sqlite3_column_int64(st, 4);
    k->expires = sqlite3_column_int64(st, 5);
    k->revoked = sqlite3_column_int(st, 6) != 0;
}

int store_key_get(struct store *s, const char *id, struct store_key *k, struct err *err)
{
    sqlite3_stmt *st = stmt(s, ST_KEY_GET, err);
    if (st == NULL) {
        return -1;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        key_from_row(st, k);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 1 : db_fail(s, err, "read key");
}

int store_key_revoke(struct store *s, const char *id, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "UPDATE keys SET revoked = 1 WHERE id = ?1", &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, "revoke key");
    release(st);
    if (rc != 0) {
        return -1;
    }
    return sqlite3_changes(s->db) == 0 ? 1 : 0;
}

int store_key_list(struct store *s, int64_t org_id, store_key_fn fn, void *ctx, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "SELECT id, org_id, role, hash, created, expires, revoked FROM keys WHERE "
                "?1 = 0 OR org_id = ?1 ORDER BY created",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, org_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_key k;
        key_from_row(st, &k);
        if (fn(ctx, &k) != 0) {
            break;
        }
    }
    release(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, err, "list keys");
}

/* ---- collections ------------------------------------------------------------------------ */

int store_collection_add(struct store *s, const struct store_collection *c, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "INSERT INTO collections(id, title, alias, description, audience, created) "
                "VALUES (?1,?2,?3,?4,?5,?6)",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->title, -1, SQLITE_STATIC);
    if (c->alias[0] != '\0') {
        sqlite3_bind_text(st, 3, c->alias, -1, SQLITE_STATIC);
    }
    sqlite3_bind_text(st, 4, c->description, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, (int)c->audience);
    sqlite3_bind_int64(st, 6, ts_now());
    int rc = sqlite3_step(st);
    release(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return err_set(err, "a collection with alias '%s' already exists", c->alias);
    }
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "add collection");
}

static int coll_query(struct store *s, const char *key, store_collection_fn fn, void *ctx,
                      struct err *err)
{
    sqlite3_stmt *st = NULL;
    const char *sql = key ? "SELECT id, title, alias, description, audience FROM collections "
                            "WHERE id = ?1 OR alias = ?1"
                          : "SELECT id, title, alias, description, audience FROM collections "
                            "ORDER BY created, id";
    if (prepare(s, sql, &st, err)) {
        return -1;
    }
    if (key != NULL) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    }
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_collection c;
        col_text(st, 0, c.id, sizeof(c.id));
        col_text(st, 1, c.title, sizeof(c.title));
        col_text(st, 2, c.alias, sizeof(c.alias));
        col_text(st, 3, c.description, sizeof(c.description));
        c.audience = (enum store_audience)sqlite3_column_int(st, 4);
        n++;
        if (fn(ctx, &c) != 0) {
            break;
        }
    }
    release(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return db_fail(s, err, "read collections");
    }
    return n;
}

static int coll_copy(void *ctx, const struct store_collection *c)
{
    *(struct store_collection *)ctx = *c;
    return 1;
}

int store_collection_get(struct store *s, const char *id_or_alias, struct store_collection *c,
                         struct err *err)
{
    int n = coll_query(s, id_or_alias, coll_copy, c, err);
    return n < 0 ? -1 : n == 0 ? 1 : 0;
}

int store_collection_list(struct store *s, store_collection_fn fn, void *ctx, struct err *err)
{
    return coll_query(s, NULL, fn, ctx, err) < 0 ? -1 : 0;
}

int store_collection_grant(struct store *s, const char *coll, int64_t org_id, bool write,
                           struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "INSERT OR IGNORE INTO grants(coll, org_id, write) VALUES (?1, ?2, ?3)", &st,
                err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, org_id);
    sqlite3_bind_int(st, 3, write);
    int rc = step_done(s, st, err, "grant");
    release(st);
    return rc;
}

int store_collection_grants(struct store *s, const char *coll, int64_t org_id, bool *read,
                            bool *write, struct err *err)
{
    sqlite3_stmt *st = stmt(s, ST_COLL_HAS, err);
    if (st == NULL) {
        return -1;
    }
    sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, org_id);
    int rc = sqlite3_step(st);
    *read = rc == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    *write = rc == SQLITE_ROW && sqlite3_column_int(st, 1) == 1;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s, err, "read grants");
}

int store_collection_members(struct store *s, const char *coll, bool write, struct buf *out,
                             struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "SELECT o.name FROM grants g JOIN orgs o ON o.id = g.org_id WHERE "
                "g.coll = ?1 AND g.write = ?2 ORDER BY o.name",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, write);
    int rc, n = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((n++ > 0 && buf_puts(out, ",") != 0) ||
            buf_puts(out, (const char *)sqlite3_column_text(st, 0)) != 0) {
            release(st);
            return err_set(err, "out of memory");
        }
    }
    release(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "read grants");
}

/* ---- objects -------------------------------------------------------------------------- */

/* The integer key of a collection (entries are keyed by it). Collections are never
 * removed, so the last mapping is cached. */
static int coll_key(struct store *s, const char *coll, int64_t *key, struct err *err)
{
    if (strcmp(s->coll_text, coll) == 0) {
        *key = s->coll_key;
        return 0;
    }
    sqlite3_stmt *st = stmt(s, ST_COLL_KEY, err);
    if (st == NULL) {
        return -1;
    }
    sqlite3_bind_text(st, 1, coll, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *key = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? err_set(err, "no collection %s", coll)
                                 : db_fail(s, err, "read collection");
    }
    str_copy(s->coll_text, sizeof(s->coll_text), coll);
    s->coll_key = *key;
    return 0;
}

int store_origin_of(struct store *s, const char *stix_id, int64_t *org_id, struct err *err)
{
    sqlite3_stmt *st = stmt(s, ST_ORIGIN_GET, err);
    if (st == NULL) {
        return -1;
    }
    sqlite3_bind_text(st, 1, stix_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *org_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, err, "read origin");
}

int store_object_first(struct store *s, const char *stix_id, char **json, struct err *err)
{
    sqlite3_stmt *st = NULL;
    *json = NULL;
    if (prepare(s, "SELECT json FROM objects WHERE stix_id = ?1 ORDER BY oid LIMIT 1", &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, stix_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        *json = strdup(text != NULL ? text : "");
    }
    release(st);
    if (rc == SQLITE_ROW) {
        return *json != NULL ? 0 : err_set(err, "out of memory");
    }
    return rc == SQLITE_DONE ? 1 : db_fail(s, err, "read first version");
}

int store_object_versions(struct store *s, const char *coll, const char *stix_id, ts_us version,
                          struct store_versions *v, struct err *err)
{
    int64_t ck;
    memset(v, 0, sizeof(*v));
    if (coll_key(s, coll, &ck, err) != 0) {
        return -1;
    }
    sqlite3_stmt *st = stmt(s, ST_VERSIONS, err);
    if (st == NULL) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, ck);
    sqlite3_bind_text(st, 2, stix_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, version);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        v->any = sqlite3_column_int64(st, 0) > 0;
        v->first = sqlite3_column_int64(st, 1);
        v->last = sqlite3_column_int64(st, 2);
        v->exact = sqlite3_column_int(st, 3) == 1;
        v->origin_org = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    v->revoked = v->created = -1;
    if (rc != SQLITE_ROW) {
        return db_fail(s, err, "read versions");
    }
    if (v->origin_org == 0) {
        return 0; /* a new id (the common case): nothing more to read */
    }
    if ((st = stmt(s, ST_VERSIONS_HELD, err)) == NULL) {
        return -1;
    }
    sqlite3_bind_text(st, 1, stix_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        v->on_node = sqlite3_column_int(st, 0) == 1;
        v->revoked = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
        const char *created = (const char *)sqlite3_column_text(st, 2);
        if (created == NULL || ts_parse(created, &v->created, NULL) != 0) {
            v->created = -1;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s, err, "read held versions");
}

static int run_update(struct store *s, enum stmt_id id, int64_t ck, const char *stix_id,
                      struct err *err)
{
    sqlite3_stmt *st = stmt(s, id, err);
    if (st == NULL) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, ck);
    sqlite3_bind_text(st, 2, stix_id, -1, SQLITE_STATIC);
    return step_done(s, st, err, "update entries");
}

int store_object_put(struct store *s, const char *coll, const struct stix_meta *m, const char *json,
                     size_t json_len, int64_t org_id, const struct store_versions *v, bool *added,
                     struct err *err)
{
    int64_t ck;
    *added = false;
    if (!s->in_tx) {
        return err_set(err, "database: store_object_put outside a transaction");
    }
    if (v->exact) {
        return 0; /* the same id and version again: a no-op that succeeds */
    }
    if (coll_key(s, coll, &ck, err) != 0) {
        return -1;
    }
    sqlite3_stmt *st = stmt(s, ST_OBJ_INSERT, err);
    if (st == NULL) {
        return -1;
    }
    sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, m->version_us);
    sqlite3_bind_text(st, 3, m->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, m->spec_version, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, (int)m->tlp);
    if (m->created_by_ref[0] != '\0') {
        sqlite3_bind_text(st, 7, m->created_by_ref, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, 8, org_id);
    sqlite3_bind_text(st, 9, json, (int)json_len, SQLITE_STATIC);
    if (step_done(s, st, err, "insert object") != 0) {
        return -1;
    }
    sqlite3_int64 oid;
    if (sqlite3_changes(s->db) > 0) {
        oid = sqlite3_last_insert_rowid(s->db);
    } else {
        /* The version is stored already (in another collection): reuse its text. */
        st = stmt(s, ST_OBJ_OID, err);
        if (st == NULL) {
            return -1;
        }
        sqlite3_bind_text(st, 1, m->id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, m->version_us);
        int rc = sqlite3_step(st);
        oid = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW) {
            return db_fail(s, err, "find object");
        }
    }

    /* Where does this version fall among the versions already in the collection? */
    bool is_first = !v->any || m->version_us < v->first;
    bool is_last = !v->any || m->version_us > v->last;
    if (v->any && is_last && run_update(s, ST_ENTRY_CLEAR_LAST, ck, m->id, err) != 0) {
        return -1;
    }
    if (v->any && is_first && run_update(s, ST_ENTRY_CLEAR_FIRST, ck, m->id, err) != 0) {
        return -1;
    }

    ts_us now = ts_now();
    s->clock = now > s->clock ? now : s->clock + 1;
    s->clock_dirty = true;
    st = stmt(s, ST_ENTRY_INSERT, err);
    if (st == NULL) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, ck);
    sqlite3_bind_int64(st, 2, s->clock);
    sqlite3_bind_int64(st, 3, oid);
    sqlite3_bind_text(st, 4, m->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, m->version_us);
    sqlite3_bind_text(st, 6, m->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, m->spec_version, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, (int)m->tlp);
    sqlite3_bind_int(st, 9, is_first);
    sqlite3_bind_int(st, 10, is_last);
    if (step_done(s, st, err, "insert entry") != 0) {
        return -1;
    }
    *added = true;
    return 0;
}

static int bind_list(sqlite3_stmt *st, int *idx, const char *const *v, int n)
{
    for (int i = 0; i < n; i++) {
        sqlite3_bind_text(st, (*idx)++, v[i], -1, SQLITE_STATIC);
    }
    return 0;
}

static int placeholders(struct buf *b, const char *col, int n)
{
    if (buf_printf(b, " AND %s IN (", col) != 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (buf_puts(b, i ? ",?" : "?") != 0) {
            return -1;
        }
    }
    return buf_puts(b, ")");
}

int store_query_run(struct store *s, const struct store_query *q, store_row_fn fn, void *ctx,
                    bool *more, struct err *err)
{
    struct buf sql;
    sqlite3_stmt *st = NULL;
    int rc = -1;
    buf_init(&sql, 16384);
    *more = false;
    /* With match[id] the planner would walk the collection in date_added order and filter;
     * the id index finds the few rows at once (1.5 s -> under 1 ms for one object of a
     * 1M-object collection), and sorting them is trivial. */
    if (buf_printf(&sql,
                   "SELECT e.date_added, e.stix_id, o.version_text, o.json, e.tlp, o.org_id "
                   "FROM entries e %s JOIN objects o ON o.oid = e.oid "
                   "WHERE e.coll = ? AND e.date_added > ? AND ((1 << e.tlp) & ?) != 0",
                   q->n_ids > 0 ? "INDEXED BY entries_by_id" : "") ||
        (q->n_ids && placeholders(&sql, "e.stix_id", q->n_ids)) ||
        (q->n_types && placeholders(&sql, "e.type", q->n_types)) ||
        (q->n_spec_versions && placeholders(&sql, "e.spec_version", q->n_spec_versions))) {
        err_set(err, "query too large");
        goto out;
    }
    if (!q->want_all) {
        /* match[version] values are ORed (TAXII 2.1 section 3.4.1). */
        if (buf_puts(&sql, " AND (0") || (q->want_first && buf_puts(&sql, " OR e.is_first = 1")) ||
            (q->want_last && buf_puts(&sql, " OR e.is_last = 1"))) {
            err_set(err, "query too large");
            goto out;
        }
        for (int i = 0; i < q->n_versions; i++) {
            if (buf_puts(&sql, " OR e.version = ?") != 0) {
                err_set(err, "query too large");
                goto out;
            }
        }
        if (buf_puts(&sql, ")") != 0) {
            goto out;
        }
    }
    if (buf_puts(&sql, " ORDER BY e.date_added LIMIT ?") != 0) {
        goto out;
    }
    if (prepare(s, sql.data, &st, err) != 0) {
        goto out;
    }
    int64_t ck;
    if (coll_key(s, q->coll, &ck, err) != 0) {
        goto out;
    }
    int idx = 1;
    sqlite3_bind_int64(st, idx++, ck);
    sqlite3_bind_int64(st, idx++, q->added_after);
    sqlite3_bind_int64(st, idx++, (sqlite3_int64)q->tlp_mask);
    bind_list(st, &idx, q->ids, q->n_ids);
    bind_list(st, &idx, q->types, q->n_types);
    bind_list(st, &idx, q->spec_versions, q->n_spec_versions);
    if (!q->want_all) {
        for (int i = 0; i < q->n_versions; i++) {
            sqlite3_bind_int64(st, idx++, q->versions[i]);
        }
    }
    sqlite3_bind_int64(st, idx++, (sqlite3_int64)q->limit + 1);
    int n = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == q->limit) {
            *more = true;
            break;
        }
        struct store_row row = {
            .date_added = sqlite3_column_int64(st, 0),
            .stix_id = (const char *)sqlite3_column_text(st, 1),
            .version = (const char *)sqlite3_column_text(st, 2),
            .json = (const char *)sqlite3_column_text(st, 3),
            .json_len = (size_t)sqlite3_column_bytes(st, 3),
            .tlp = (enum stix_tlp)sqlite3_column_int(st, 4),
            .origin_org = sqlite3_column_int64(st, 5),
        };
        n++;
        if (fn(ctx, &row) != 0) {
            break;
        }
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        db_fail(s, err, "query objects");
        goto out;
    }
    rc = 0;
out:
    release(st);
    buf_fini(&sql);
    return rc;
}

int store_object_delete(struct store *s, const char *coll, const char *stix_id, int *removed,
                        struct err *err)
{
    sqlite3_stmt *st = NULL;
    int64_t ck;
    *removed = 0;
    if (coll_key(s, coll, &ck, err) != 0 ||
        prepare(s, "DELETE FROM entries WHERE coll = ?1 AND stix_id = ?2", &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, ck);
    sqlite3_bind_text(st, 2, stix_id, -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, "delete entries");
    release(st);
    *removed = rc == 0 ? sqlite3_changes(s->db) : 0;
    return rc;
}

int64_t store_object_count(struct store *s, const char *coll)
{
    sqlite3_stmt *st = NULL;
    int64_t ck = 0;
    if ((coll != NULL && coll_key(s, coll, &ck, NULL) != 0) ||
        prepare(s, "SELECT count(*) FROM entries WHERE ?1 IS NULL OR coll = ?1", &st, NULL)) {
        return -1;
    }
    if (coll != NULL) {
        sqlite3_bind_int64(st, 1, ck);
    }
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    release(st);
    return n;
}

/* ---- status ------------------------------------------------------------------------- */

int store_status_put(struct store *s, const char *id, const char *coll, int64_t org_id,
                     const char *json, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "INSERT OR REPLACE INTO status(id, coll, org_id, created, json) VALUES "
                "(?1,?2,?3,?4,?5)",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, coll, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, org_id);
    sqlite3_bind_int64(st, 4, ts_now());
    sqlite3_bind_text(st, 5, json, -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, "store status");
    release(st);
    return rc;
}

int store_status_get(struct store *s, const char *id, char coll[UUID_TEXT], int64_t *org_id,
                     char **json, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "SELECT coll, org_id, json FROM status WHERE id = ?1", &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        col_text(st, 0, coll, UUID_TEXT);
        *org_id = sqlite3_column_int64(st, 1);
        *json = strdup((const char *)sqlite3_column_text(st, 2));
        release(st);
        return *json ? 0 : err_set(err, "out of memory");
    }
    release(st);
    return rc == SQLITE_DONE ? 1 : db_fail(s, err, "read status");
}

/* ---- audit -------------------------------------------------------------------------- */

int store_audit_append(struct store *s, const struct store_audit_row *r, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "INSERT INTO audit(seq, at, actor, action, detail, prev, hash) VALUES "
                "(?1,?2,?3,?4,?5,?6,?7)",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, r->seq);
    sqlite3_bind_int64(st, 2, r->at);
    sqlite3_bind_text(st, 3, r->actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->detail, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 6, r->prev, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, r->hash, 32, SQLITE_STATIC);
    int rc = step_done(s, st, err, "append audit");
    release(st);
    return rc;
}

int store_audit_tail(struct store *s, unsigned char hash[32], int64_t *seq, struct err *err)
{
    sqlite3_stmt *st = NULL;
    memset(hash, 0, 32);
    *seq = 0;
    if (prepare(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &st, err)) {
        return -1;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        if (sqlite3_column_bytes(st, 1) == 32) {
            memcpy(hash, sqlite3_column_blob(st, 1), 32);
        }
    }
    release(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, err, "read audit");
}

int store_audit_walk(struct store *s, store_audit_fn fn, void *ctx, struct err *err)
{
    static const unsigned char zero[32];
    sqlite3_stmt *st = NULL;
    if (prepare(s, "SELECT seq, at, actor, action, detail, prev, hash FROM audit ORDER BY seq", &st,
                err)) {
        return -1;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_audit_row r = {
            .seq = sqlite3_column_int64(st, 0),
            .at = sqlite3_column_int64(st, 1),
            .actor = (const char *)sqlite3_column_text(st, 2),
            .action = (const char *)sqlite3_column_text(st, 3),
            .detail = (const char *)sqlite3_column_text(st, 4),
        };
        r.prev = sqlite3_column_bytes(st, 5) == 32 ? sqlite3_column_blob(st, 5) : zero;
        r.hash = sqlite3_column_bytes(st, 6) == 32 ? sqlite3_column_blob(st, 6) : zero;
        if (fn(ctx, &r) != 0) {
            break;
        }
    }
    release(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, err, "read audit");
}

/* ---- meta --------------------------------------------------------------------------- */

int store_meta_set(struct store *s, const char *key, const char *value, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, "write setting");
    release(st);
    return rc;
}

int store_meta_get(struct store *s, const char *key, char **value, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "SELECT value FROM meta WHERE key = ?1", &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *value = strdup((const char *)sqlite3_column_text(st, 0));
        release(st);
        return *value ? 0 : err_set(err, "out of memory");
    }
    release(st);
    return rc == SQLITE_DONE ? 1 : db_fail(s, err, "read setting");
}

/* ---- peers ------------------------------------------------------------------------------- */

/* A peer's changeable columns (url, key, pin, signing key, interval, flags), bound from
 * parameter `first` on, in that order: add and update share them. */
static void bind_peer_settings(sqlite3_stmt *st, int first, const struct store_peer *p)
{
    sqlite3_bind_text(st, first, p->url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, first + 1, p->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, first + 2, p->pin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, first + 3, p->signing_key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, first + 4, p->interval);
    sqlite3_bind_int(st, first + 5, p->require_signatures);
    sqlite3_bind_int(st, first + 6, p->transitive);
}

int store_peer_add(struct store *s, const struct store_peer *p, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "INSERT INTO peers(name, org_id, url, key, pin, signing_key, interval,"
                " require_signatures, transitive, created) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, p->org_id);
    bind_peer_settings(st, 3, p);
    sqlite3_bind_int64(st, 10, ts_now());
    int rc = sqlite3_step(st);
    release(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE) {
        return err_set(err, "a peer named '%s' exists already", p->name);
    }
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "add peer");
}

int store_peer_update(struct store *s, const struct store_peer *p, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "UPDATE peers SET url = ?2, key = ?3, pin = ?4, signing_key = ?5, interval = ?6,"
                " require_signatures = ?7, transitive = ?8, failures = 0 WHERE id = ?1",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, p->id);
    bind_peer_settings(st, 2, p);
    int rc = step_done(s, st, err, "change peer");
    release(st);
    return rc;
}

/* Runs a statement over one link named by peer name (?1), direction (?2), remote (?3) and
 * local (?4); *changed gets the rows it changed. 0, or -1 with err. */
static int link_run(struct store *s, const char *sql, const char *peer, bool push,
                    const char *remote, const char *local, const char *what, int *changed,
                    struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, sql, &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, push);
    sqlite3_bind_text(st, 3, remote, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, local, -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, what);
    *changed = sqlite3_changes(s->db);
    release(st);
    return rc;
}

int store_peer_link_add(struct store *s, const char *peer, bool push, const char *remote,
                        const char *local, struct err *err)
{
    int changed;
    return link_run(s,
                    "INSERT OR IGNORE INTO peer_links(peer, push, remote, local)"
                    " SELECT id, ?2, ?3, ?4 FROM peers WHERE name = ?1",
                    peer, push, remote, local, "add peer link", &changed, err);
}

int store_peer_link_remove(struct store *s, const char *peer, bool push, const char *remote,
                           const char *local, struct err *err)
{
    int changed;
    if (link_run(s,
                 "DELETE FROM peer_links WHERE peer = (SELECT id FROM peers WHERE name = ?1)"
                 " AND push = ?2 AND remote = ?3 AND local = ?4",
                 peer, push, remote, local, "remove peer link", &changed, err) != 0) {
        return -1;
    }
    if (changed == 0 || !push) {
        return changed == 0;
    }
    /* what was queued to be sent again on it is not sent (?2 is not needed) */
    return link_run(s,
                    "DELETE FROM push_retry WHERE peer = (SELECT id FROM peers WHERE name = ?1)"
                    " AND remote = ?3 AND local = ?4",
                    peer, push, remote, local, "drop the link's push retries", &changed, err);
}

/* Prepares a statement over link l: ?1 its peer, ?2 its direction, ?3 remote, ?4 local. */
static int link_prepare(struct store *s, const char *sql, const struct store_link *l,
                        sqlite3_stmt **st, struct err *err)
{
    if (prepare(s, sql, st, err)) {
        return -1;
    }
    sqlite3_bind_int64(*st, 1, l->peer);
    sqlite3_bind_int(*st, 2, l->push);
    sqlite3_bind_text(*st, 3, l->remote, -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, 4, l->local, -1, SQLITE_STATIC);
    return 0;
}

int store_peer_link_exists(struct store *s, const struct store_link *l, bool *exists,
                           struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (link_prepare(s,
                     "SELECT 1 FROM peer_links WHERE peer = ?1 AND push = ?2 AND remote = ?3"
                     " AND local = ?4",
                     l, &st, err) != 0) {
        return -1;
    }
    int rc = sqlite3_step(st);
    *exists = rc == SQLITE_ROW;
    release(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, err, "read peer link");
}

static const char peer_cols[] = "SELECT id, name, org_id, url, key, pin, signing_key, interval,"
                                " require_signatures, transitive, last_ok, last_error, failures"
                                " FROM peers";

static void peer_from_row(sqlite3_stmt *st, struct store_peer *p)
{
    memset(p, 0, sizeof(*p));
    p->id = sqlite3_column_int64(st, 0);
    col_text(st, 1, p->name, sizeof(p->name));
    p->org_id = sqlite3_column_int64(st, 2);
    col_text(st, 3, p->url, sizeof(p->url));
    col_text(st, 4, p->key, sizeof(p->key));
    col_text(st, 5, p->pin, sizeof(p->pin));
    col_text(st, 6, p->signing_key, sizeof(p->signing_key));
    p->interval = sqlite3_column_int64(st, 7);
    p->require_signatures = sqlite3_column_int(st, 8) != 0;
    p->transitive = sqlite3_column_int(st, 9) != 0;
    p->last_ok = sqlite3_column_int64(st, 10);
    col_text(st, 11, p->last_error, sizeof(p->last_error));
    p->failures = sqlite3_column_int64(st, 12);
}

int store_peer_get(struct store *s, const char *name, struct store_peer *p, struct err *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "%s WHERE name = ?1", peer_cols);
    sqlite3_stmt *st = NULL;
    if (prepare(s, sql, &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        peer_from_row(st, p);
    }
    release(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : db_fail(s, err, "get peer");
}

int store_peer_list(struct store *s, store_peer_fn fn, void *ctx, struct err *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "%s ORDER BY name", peer_cols);
    sqlite3_stmt *st = NULL;
    if (prepare(s, sql, &st, err)) {
        return -1;
    }
    /* rows are copied out first: fn may use the store */
    struct store_peer *rows = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap * 2 + 4;
            struct store_peer *r = realloc(rows, cap * sizeof(*r));
            if (r == NULL) {
                free(rows);
                release(st);
                return err_set(err, "out of memory");
            }
            rows = r;
        }
        peer_from_row(st, &rows[n++]);
    }
    release(st);
    if (rc != SQLITE_DONE) {
        free(rows);
        return db_fail(s, err, "list peers");
    }
    for (size_t i = 0; i < n; i++) {
        if (fn(ctx, &rows[i]) != 0) {
            break;
        }
    }
    free(rows);
    return 0;
}

int store_peer_remove(struct store *s, const char *name, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "DELETE FROM peers WHERE name = ?1", &st, err)) {
        return -1;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, "remove peer");
    int changed = sqlite3_changes(s->db);
    release(st);
    return rc != 0 ? -1 : changed > 0 ? 0 : 1;
}

int store_peer_links(struct store *s, int64_t peer, bool push, store_link_fn fn, void *ctx,
                     struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "SELECT remote, local, cursor FROM peer_links WHERE peer = ?1 AND push = ?2"
                " ORDER BY remote, local",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, peer);
    sqlite3_bind_int(st, 2, push);
    struct store_link *rows = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap * 2 + 4;
            struct store_link *r = realloc(rows, cap * sizeof(*r));
            if (r == NULL) {
                free(rows);
                release(st);
                return err_set(err, "out of memory");
            }
            rows = r;
        }
        struct store_link *l = &rows[n++];
        l->peer = peer;
        l->push = push;
        col_text(st, 0, l->remote, sizeof(l->remote));
        col_text(st, 1, l->local, sizeof(l->local));
        col_text(st, 2, l->cursor, sizeof(l->cursor));
    }
    release(st);
    if (rc != SQLITE_DONE) {
        free(rows);
        return db_fail(s, err, "list peer links");
    }
    int out = 0;
    for (size_t i = 0; i < n && out == 0; i++) {
        out = fn(ctx, &rows[i]);
    }
    free(rows);
    return out < 0 ? -1 : 0;
}

int store_link_cursor_set(struct store *s, const struct store_link *l, const char *cursor,
                          struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (link_prepare(s,
                     "UPDATE peer_links SET cursor = ?5 WHERE peer = ?1 AND push = ?2"
                     " AND remote = ?3 AND local = ?4",
                     l, &st, err) != 0) {
        return -1;
    }
    sqlite3_bind_text(st, 5, cursor, -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, "set cursor");
    release(st);
    return rc;
}

int store_peer_result(struct store *s, int64_t peer, const char *error, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                error == NULL ? "UPDATE peers SET last_ok = ?2, last_error = '', failures = 0"
                                " WHERE id = ?1"
                              : "UPDATE peers SET last_error = ?3, failures = failures + 1"
                                " WHERE id = ?1",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, peer);
    if (error == NULL) {
        sqlite3_bind_int64(st, 2, ts_now());
    } else {
        sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
    }
    int rc = step_done(s, st, err, "record peer result");
    release(st);
    return rc;
}

int store_peer_org(struct store *s, int64_t org_id, bool *is_peer, bool *transitive,
                   struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "SELECT count(*), coalesce(max(transitive), 0) FROM peers WHERE org_id = ?1",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, org_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *is_peer = sqlite3_column_int64(st, 0) > 0;
        *transitive = sqlite3_column_int(st, 1) != 0;
    }
    release(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s, err, "peer organisation");
}

int store_peer_by_org(struct store *s, int64_t org_id, struct store_peer *p, struct err *err)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "%s WHERE org_id = ?1 ORDER BY name LIMIT 1", peer_cols);
    sqlite3_stmt *st = NULL;
    if (prepare(s, sql, &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, org_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        peer_from_row(st, p);
    }
    release(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : db_fail(s, err, "peer by organisation");
}

/* A retry's key, the same five parameters in both statements that use it. */
static void bind_retry_key(sqlite3_stmt *st, const struct store_retry *r)
{
    sqlite3_bind_int64(st, 1, r->peer);
    sqlite3_bind_text(st, 2, r->local, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->remote, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->stix_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->version);
}

int store_push_retry_put(struct store *s, const struct store_retry *r, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "INSERT INTO push_retry(peer, local, remote, stix_id, version, attempts, error)"
                " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET"
                " attempts = excluded.attempts, error = excluded.error",
                &st, err)) {
        return -1;
    }
    bind_retry_key(st, r);
    sqlite3_bind_int64(st, 6, r->attempts);
    sqlite3_bind_text(st, 7, r->error, -1, SQLITE_STATIC);
    int rc = step_done(s, st, err, "queue a push retry");
    release(st);
    return rc;
}

int store_push_retry_remove(struct store *s, const struct store_retry *r, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s,
                "DELETE FROM push_retry WHERE peer = ?1 AND local = ?2 AND remote = ?3"
                " AND stix_id = ?4 AND version = ?5",
                &st, err)) {
        return -1;
    }
    bind_retry_key(st, r);
    int rc = step_done(s, st, err, "drop a push retry");
    release(st);
    return rc;
}

int store_push_retry_list(struct store *s, const struct store_link *l, int64_t peer, int limit,
                          struct store_retry **out, size_t *n, struct err *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    *n = 0;
    if (prepare(s,
                "SELECT stix_id, version, attempts, error, local, remote FROM push_retry"
                " WHERE peer = ?1 AND local = ?2 AND remote = ?4"
                " ORDER BY stix_id, version LIMIT ?3",
                &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, peer);
    sqlite3_bind_text(st, 2, l->local, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, l->remote, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap * 2 + 16;
            struct store_retry *r = realloc(*out, cap * sizeof(*r));
            if (r == NULL) {
                release(st);
                free(*out);
                *out = NULL;
                return err_set(err, "out of memory");
            }
            *out = r;
        }
        struct store_retry *r = &(*out)[(*n)++];
        memset(r, 0, sizeof(*r));
        r->peer = peer;
        col_text(st, 4, r->local, sizeof(r->local));
        col_text(st, 5, r->remote, sizeof(r->remote));
        col_text(st, 0, r->stix_id, sizeof(r->stix_id));
        r->version = sqlite3_column_int64(st, 1);
        r->attempts = sqlite3_column_int64(st, 2);
        col_text(st, 3, r->error, sizeof(r->error));
    }
    release(st);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return db_fail(s, err, "list push retries");
    }
    return 0;
}

int store_push_retry_count(struct store *s, int64_t peer, int64_t *n, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (prepare(s, "SELECT count(*) FROM push_retry WHERE peer = ?1", &st, err)) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, peer);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    release(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s, err, "count push retries");
}
