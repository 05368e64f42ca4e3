/*
 * taxii — the TAXII 2.1 API over a store: discovery, the API root, collections, objects
 * (GET, POST, DELETE), one object, manifest, versions and status, with filtering, paging,
 * content negotiation and error bodies as the specification defines them. Every access
 * question goes to access_decide(). Requests and responses are the http module's types;
 * taxii_handle() is an http_handler.
 */
#ifndef CERTMESH_TAXII_H
#define CERTMESH_TAXII_H

#include "access/access.h"
#include "base/base.h"
#include "http/http.h"
#include "store/store.h"

#define TAXII_MEDIA_TYPE      "application/taxii+json;version=2.1"
#define TAXII_STIX_MEDIA_TYPE "application/stix+json;version=2.1"
#define TAXII_QUERY_MAX       8192
#define TAXII_DEFAULT_LIMIT   100
#define TAXII_MAX_LIMIT       1000

/* The URL query parameters of section 3.4, parsed strictly. Strings point into arena. */
struct taxii_filter {
    bool has_added_after;
    ts_us added_after;
    bool has_limit;
    int limit;
    bool has_next;
    ts_us next;
    const char *ids[STORE_MATCH_MAX];
    int n_ids;
    const char *types[STORE_MATCH_MAX];
    int n_types;
    const char *spec_versions[8];
    int n_spec_versions;
    bool has_version, v_all, v_first, v_last;
    ts_us versions[STORE_MATCH_MAX];
    int n_versions;
    char arena[TAXII_QUERY_MAX + 64];
    size_t used;
};

/* Parses a raw query string ("a=b&match[type]=x,y"). Malformed values, repeated
 * parameters, empty lists and over-long input are errors (HTTP 400, section 3.4); unknown
 * parameters and match fields are ignored, as section 3.4 allows. */
int taxii_query_parse(const char *query, struct taxii_filter *f, struct err *err) BASE_WARN_UNUSED;

/* Encodes and decodes the opaque `next` token of an envelope (section 3.7). */
void taxii_next_encode(ts_us date_added, char out[32]);
int taxii_next_decode(const char *s, ts_us *out) BASE_WARN_UNUSED;

struct taxii_config {
    const char *title;
    const char *description;
    const char *contact;
    const char *api_root; /* path segment, e.g. "api" */
    size_t max_content_length;
    const char *db_path;
    unsigned pool_size; /* database connections, one per HTTP worker thread */
    unsigned char pepper[ACCESS_PEPPER_BYTES];
    /* What this node originates is signed as it is stored (taxii_ingest), and objects
     * stored unsigned (before the node had a signer) are signed when a peer's sync key
     * reads them. NULL: nothing is signed. Not copied: must outlive the server. */
    const struct access_signer *signer;
};

struct taxii_server;

int taxii_server_new(const struct taxii_config *cfg, struct taxii_server **out,
                     struct err *err) BASE_WARN_UNUSED;
void taxii_server_free(struct taxii_server *t);

/* The http_handler: answers one request completely. Thread-safe. */
void taxii_handle(void *taxii_server, const struct http_request *req, struct http_response *resp);

/* Appends a stored object version as it leaves the node for a peer: as stored; or, when
 * this node originated it (local_origin) and it was stored before the node had a signer
 * (it carries no signature of sg), signed now. 0, or -1 with err. */
int taxii_outgoing(const struct access_signer *sg, bool local_origin, const char *json, size_t len,
                   struct buf *out, struct err *err) BASE_WARN_UNUSED;

/* ---- ingest, shared by TAXII POST and `certmesh import` ------------------------------- */

struct taxii_ingest_result {
    size_t total, ok, failed;
    struct buf status_json; /* the status resource (section 4.3.1) */
};

/* How taxii_ingest() treats one batch. */
struct taxii_ingest_opts {
    const char *status_id; /* the status resource's id */
    const char *actor;     /* for the audit row */
    /* Signs (access_sign) every object a local organisation (not a federation peer's)
     * stores, and places the objects declaring the signature extension in the
     * collection when it lacks them. NULL: nothing is signed. */
    const struct access_signer *signer;
    /* What a peer's organisation stores has its signatures judged per object
     * (access_verify, access_signature_verdict), unless the caller judged them already:
     * then verdicts[i] is NULL to accept objects[i], else why it is refused. */
    const char *const *verdicts;
    /* With verdicts: the key that signed objects[i], verified ("" when unsigned). */
    const char (*signers)[ACCESS_SIGNING_KEY_B64];
    /* The envelope text the objects were parsed from (jx_parse), when there is one: what a
     * peer's organisation stores is kept as it came (jx_array_spans) instead of being
     * serialised again; objects signed here are serialised. */
    const char *body;
    size_t body_len;
};

/* Validates and stores objects (a JSON array) into coll as who, in one transaction:
 * every object is checked by stix_validate() and access_decide(); valid ones are stored
 * even when others fail. Fills the status resource, stores it under o->status_id, and
 * appends one audit row, all in the same transaction (one more per refused signature).
 * Returns 0, or -1 if nothing could be committed (err says why). */
int taxii_ingest(struct store *s, const struct access_subject *who,
                 const struct store_collection *coll, json_t *objects,
                 const struct taxii_ingest_opts *o, struct taxii_ingest_result *res,
                 struct err *err) BASE_WARN_UNUSED;

#endif
