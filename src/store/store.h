/*
 * store — where a node keeps everything: organisations, API keys (hashes only),
 * collections with their audiences and write grants, every STIX object version once as
 * its JSON text, the collection entries that TAXII pages over, status resources and the
 * audit chain. This header is the whole interface; sqlite.c is the embedded
 * implementation. The store enforces no policy: access/ decides, the store remembers.
 *
 * A `struct store` is one database connection and must be used by one thread at a time.
 */
#ifndef CERTMESH_STORE_H
#define CERTMESH_STORE_H

#include "base/base.h"
#include "stix/stix.h"

struct store;

/* ---- lifecycle and transactions ----------------------------------------------------- */

/* Opens (create=true: creates) the database file at path, in WAL mode with full
 * synchronisation, and brings the schema up to date. */
int store_open(const char *path, bool create, struct store **out, struct err *err) BASE_WARN_UNUSED;
void store_close(struct store *s); /* NULL is a no-op */

/* A read transaction: every read until store_read_end() sees one snapshot and takes the
 * WAL read lock once instead of once per statement. No writes inside it. */
int store_read_begin(struct store *s, struct err *err) BASE_WARN_UNUSED;
void store_read_end(struct store *s); /* no-op when none is open */

/* An immediate (write-locking) transaction; nested use is an error. */
int store_begin(struct store *s, struct err *err) BASE_WARN_UNUSED;
int store_commit(struct store *s, struct err *err) BASE_WARN_UNUSED;
void store_rollback(struct store *s);

/* ---- organisations ------------------------------------------------------------------ */

#define STORE_NAME_MAX 128

struct store_org {
    int64_t id;
    char name[STORE_NAME_MAX];
    char identity[STIX_ID_MAX]; /* the org's STIX identity id */
};

int store_org_add(struct store *s, const char *name, int64_t *id, struct err *err) BASE_WARN_UNUSED;
/* 0 and fills org if found; 1 if no such organisation; -1 on error. */
int store_org_get(struct store *s, const char *name, struct store_org *org, struct err *err);
int store_org_get_id(struct store *s, int64_t id, struct store_org *org, struct err *err);
typedef int (*store_org_fn)(void *ctx, const struct store_org *org);
int store_org_list(struct store *s, store_org_fn fn, void *ctx, struct err *err);

/* ---- API keys ----------------------------------------------------------------------- */

#define STORE_KEY_ID_MAX 40

enum store_role { STORE_ROLE_ADMIN, STORE_ROLE_ANALYST, STORE_ROLE_SYNC, STORE_ROLE_READER };

struct store_key {
    char id[STORE_KEY_ID_MAX];
    int64_t org_id;
    enum store_role role;
    unsigned char hash[32];
    ts_us created, expires; /* expires 0 = never */
    bool revoked;
};

int store_key_add(struct store *s, const struct store_key *k, struct err *err) BASE_WARN_UNUSED;
int store_key_get(struct store *s, const char *id, struct store_key *k, struct err *err);
/* 0 if revoked, 1 if there is no such key. */
int store_key_revoke(struct store *s, const char *id, struct err *err);
typedef int (*store_key_fn)(void *ctx, const struct store_key *k);
int store_key_list(struct store *s, int64_t org_id, store_key_fn fn, void *ctx, struct err *err);
const char *store_role_name(enum store_role r);
int store_role_parse(const char *s, enum store_role *out);

/* ---- collections -------------------------------------------------------------------- */

enum store_audience { STORE_AUD_PUBLIC, STORE_AUD_COMMUNITY, STORE_AUD_LIST };

struct store_collection {
    char id[UUID_TEXT];
    char title[256];
    char alias[STORE_NAME_MAX];
    char description[1024];
    enum store_audience audience;
};

int store_collection_add(struct store *s, const struct store_collection *c,
                         struct err *err) BASE_WARN_UNUSED;
/* Finds by id or alias: 0 found, 1 not found, -1 error. */
int store_collection_get(struct store *s, const char *id_or_alias, struct store_collection *c,
                         struct err *err);
typedef int (*store_collection_fn)(void *ctx, const struct store_collection *c);
int store_collection_list(struct store *s, store_collection_fn fn, void *ctx, struct err *err);
/* Adds an organisation to the read audience (an explicit-list collection) or the writers. */
int store_collection_grant(struct store *s, const char *coll, int64_t org_id, bool write,
                           struct err *err) BASE_WARN_UNUSED;
/* Whether org is on the collection's audience list (*read) and has a write grant (*write),
 * in one lookup. 0, or -1 on error. */
int store_collection_grants(struct store *s, const char *coll, int64_t org_id, bool *read,
                            bool *write, struct err *err);
/* Names of the organisations of the audience list or write grants, comma-separated. */
int store_collection_members(struct store *s, const char *coll, bool write, struct buf *out,
                             struct err *err);

/* ---- objects ------------------------------------------------------------------------ */

/* The organisation that first submitted an object id to this node (0 if never). */
int store_origin_of(struct store *s, const char *stix_id, int64_t *org_id, struct err *err);

/* What a collection already holds of one object id, relative to a version. */
struct store_versions {
    bool any;           /* some version of the id is in the collection */
    bool exact;         /* this very version is */
    ts_us first, last;  /* the earliest and latest versions there (when any) */
    int64_t origin_org; /* the id's first submitter to the node, 0 if never seen */
    bool on_node;       /* this very version is stored on the node (in some collection) */
    ts_us revoked;      /* the latest version on the node marked revoked, -1 if none */
    ts_us created;      /* the first stored version's created, -1 if none or unknown */
};

/* One indexed lookup answering all of the above; on_node, revoked and created take a
 * second, only for an id the node already holds. */
int store_object_versions(struct store *s, const char *coll, const char *stix_id, ts_us version,
                          struct store_versions *v, struct err *err) BASE_WARN_UNUSED;

/* The JSON of the first version of stix_id stored on the node (malloc'ed): 0, 1 if
 * none, -1 on error. */
int store_object_first(struct store *s, const char *stix_id, char **json, struct err *err);

/* Stores one object version into a collection, inside the caller's transaction, given
 * what store_object_versions() said of it in the same transaction. The JSON text is kept
 * once per (id, version); a version already in the collection is a no-op that reports
 * success (*added = false). date_added comes from the node clock, strictly increasing
 * across the whole node. org_id is the submitting organisation. */
int store_object_put(struct store *s, const char *coll, const struct stix_meta *m, const char *json,
                     size_t json_len, int64_t org_id, const struct store_versions *v, bool *added,
                     struct err *err) BASE_WARN_UNUSED;

/* A query over one collection's entries, in date_added order (TAXII 2.1 section 3.3). */
#define STORE_MATCH_MAX 64
struct store_query {
    const char *coll;
    ts_us added_after; /* exclusive; -1 for none */
    int limit;         /* rows to return */
    const char *ids[STORE_MATCH_MAX];
    int n_ids;
    const char *types[STORE_MATCH_MAX];
    int n_types;
    bool want_all, want_first, want_last; /* match[version] keywords */
    ts_us versions[STORE_MATCH_MAX];
    int n_versions;
    const char *spec_versions[8];
    int n_spec_versions;
    unsigned tlp_mask; /* bit (1 << stix_tlp) set for each TLP the reader may see */
};

struct store_row {
    const char *stix_id;
    const char *version;
    const char *json;
    size_t json_len;
    ts_us date_added;
    enum stix_tlp tlp;
    int64_t origin_org; /* the organisation that submitted this version on this node */
};
/* Calls fn for up to q->limit rows; *more is set if another row follows them. fn returns
 * nonzero to stop. Row strings live only during the callback. */
typedef int (*store_row_fn)(void *ctx, const struct store_row *row);
int store_query_run(struct store *s, const struct store_query *q, store_row_fn fn, void *ctx,
                    bool *more, struct err *err);

/* Removes every version of an object from a collection; *removed counts entries. */
int store_object_delete(struct store *s, const char *coll, const char *stix_id, int *removed,
                        struct err *err) BASE_WARN_UNUSED;
int64_t store_object_count(struct store *s, const char *coll);

/* ---- status resources --------------------------------------------------------------- */

int store_status_put(struct store *s, const char *id, const char *coll, int64_t org_id,
                     const char *json, struct err *err) BASE_WARN_UNUSED;
/* 0 found (*json malloc'ed), 1 not found, -1 error. */
int store_status_get(struct store *s, const char *id, char coll[UUID_TEXT], int64_t *org_id,
                     char **json, struct err *err);

/* ---- audit chain -------------------------------------------------------------------- */

struct store_audit_row {
    int64_t seq;
    ts_us at;
    const char *actor, *action, *detail;
    const unsigned char *prev, *hash; /* 32 bytes each */
};
int store_audit_append(struct store *s, const struct store_audit_row *r,
                       struct err *err) BASE_WARN_UNUSED;
/* The last row's hash and sequence (zeros and 0 for an empty chain). */
int store_audit_tail(struct store *s, unsigned char hash[32], int64_t *seq, struct err *err);
typedef int (*store_audit_fn)(void *ctx, const struct store_audit_row *r);
int store_audit_walk(struct store *s, store_audit_fn fn, void *ctx, struct err *err);

/* ---- node settings ------------------------------------------------------------------ */

int store_meta_set(struct store *s, const char *key, const char *value,
                   struct err *err) BASE_WARN_UNUSED;
/* 0 and *value malloc'ed, 1 if unset, -1 on error. */
int store_meta_get(struct store *s, const char *key, char **value, struct err *err);

/* ---- federation peers ---------------------------------------------------------------------- */

struct store_peer {
    int64_t id;
    char name[STORE_NAME_MAX];
    int64_t org_id; /* everything received from the peer is attributed to this organisation */
    char url[512];  /* the peer's API root, ending in '/' */
    char key[256];  /* ID:SECRET of the key the peer issued to us */
    char pin[64];   /* "sha256//BASE64" of its certificate's public key */
    char signing_key[64];
    int64_t interval; /* seconds between rounds */
    bool require_signatures, transitive;
    ts_us last_ok;
    char last_error[256];
    int64_t failures; /* in a row */
};

struct store_link {
    int64_t peer;
    bool push;        /* false: pulled from the peer's remote into local */
    char remote[128]; /* the peer's collection id */
    char local[128];  /* our collection (id or alias) */
    char cursor[64];  /* pull: the peer's X-TAXII-Date-Added-Last of the last committed page */
};

/* Adds a peer; err says so if the name is taken. */
int store_peer_add(struct store *s, const struct store_peer *p, struct err *err) BASE_WARN_UNUSED;
/* Changes peer p->id's url, key, pin, signing key, interval and flags (not its name or
 * organisation); its failure count starts again. */
int store_peer_update(struct store *s, const struct store_peer *p,
                      struct err *err) BASE_WARN_UNUSED;
int store_peer_link_add(struct store *s, const char *peer, bool push, const char *remote,
                        const char *local, struct err *err) BASE_WARN_UNUSED;
/* Removes a link of the named peer, with its cursor and (push) the versions queued to be
 * sent again on it: 0 removed, 1 no such link, -1 error. */
int store_peer_link_remove(struct store *s, const char *peer, bool push, const char *remote,
                           const char *local, struct err *err);
/* Whether link l (peer, direction, remote, local) is still configured. */
int store_peer_link_exists(struct store *s, const struct store_link *l, bool *exists,
                           struct err *err) BASE_WARN_UNUSED;
/* 0 found, 1 not found, -1 error. */
int store_peer_get(struct store *s, const char *name, struct store_peer *p, struct err *err);
typedef int (*store_peer_fn)(void *ctx, const struct store_peer *p);
int store_peer_list(struct store *s, store_peer_fn fn, void *ctx, struct err *err);
/* 0 removed (with its links and cursors), 1 no such peer, -1 error. */
int store_peer_remove(struct store *s, const char *name, struct err *err);
/* The pull (push false) or push links of a peer; fn returns non-zero to stop (-1: error). */
typedef int (*store_link_fn)(void *ctx, const struct store_link *l);
int store_peer_links(struct store *s, int64_t peer, bool push, store_link_fn fn, void *ctx,
                     struct err *err);
/* Moves a link's cursor; call in the transaction that committed what it covers. */
int store_link_cursor_set(struct store *s, const struct store_link *l, const char *cursor,
                          struct err *err) BASE_WARN_UNUSED;
/* Whether org_id is the organisation of a federation peer, and whether any such peer is
 * marked transitive. Returns 0, or -1 with err. */
int store_peer_org(struct store *s, int64_t org_id, bool *is_peer, bool *transitive,
                   struct err *err) BASE_WARN_UNUSED;
/* The (first by name) peer whose organisation is org_id: 0 found, 1 none, -1 error. */
int store_peer_by_org(struct store *s, int64_t org_id, struct store_peer *p, struct err *err);

/* A pushed object version the peer did not take, queued to be sent again. */
struct store_retry {
    int64_t peer;
    char local[128];  /* the push link's local collection */
    char remote[128]; /* and the peer's */
    char stix_id[STIX_ID_MAX];
    ts_us version;
    int64_t attempts; /* sends so far */
    char error[256];  /* the peer's last message */
};
/* Queues (or updates) a retry; call in the transaction that moves the push cursor. */
int store_push_retry_put(struct store *s, const struct store_retry *r,
                         struct err *err) BASE_WARN_UNUSED;
int store_push_retry_remove(struct store *s, const struct store_retry *r,
                            struct err *err) BASE_WARN_UNUSED;
/* Up to limit retries of a push link l of the peer, malloc'ed into *out. */
int store_push_retry_list(struct store *s, const struct store_link *l, int64_t peer, int limit,
                          struct store_retry **out, size_t *n, struct err *err) BASE_WARN_UNUSED;
/* How many versions are queued for the peer, over all its links. */
int store_push_retry_count(struct store *s, int64_t peer, int64_t *n,
                           struct err *err) BASE_WARN_UNUSED;

/* Records a round's outcome: error NULL for success (failures reset), else the message. */
int store_peer_result(struct store *s, int64_t peer, const char *error, struct err *err);

#endif
