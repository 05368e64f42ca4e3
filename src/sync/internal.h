/*
 * internal.h — what the sync module's files share: requests to a peer (http.c), and the
 * pull (pull.c) and push (push.c) halves of a round that sync.c runs.
 */
#ifndef CERTMESH_SYNC_INTERNAL_H
#define CERTMESH_SYNC_INTERNAL_H

#include "sync/sync.h"

#include <curl/curl.h>

/* A peer's response: the body (at most SYNC_MAX_RESPONSE bytes) and the one header the
 * pull needs. */
struct sync_response {
    struct buf body;
    char last[64];             /* X-TAXII-Date-Added-Last */
    const atomic_bool *cancel; /* set by the owner: the transfer stops when it is true */
};

/* https, or plain http to a loopback address only (tests). 0, or -1 with err. */
int sync_check_url(const char *url, struct err *err) BASE_WARN_UNUSED;
/* Appends s percent-encoded for a URL query value or path segment. 0 or -1. */
int sync_put_query(struct buf *b, const char *s) BASE_WARN_UNUSED;
/* One request to peer p: GET, or POST of body (a TAXII envelope) when body is not NULL.
 * The peer's TLS public key must match p->pin before anything is sent. 0 and *status
 * set, or -1 with err (connection, TLS, pin, size). */
int sync_http(CURL *c, const struct store_peer *p, const char *url, const struct buf *body,
              struct sync_response *r, long *status, struct err *err) BASE_WARN_UNUSED;
/* Sets err from an unexpected HTTP status and the TAXII error body; returns -1. */
int sync_http_failed(const struct store_peer *p, const char *what, long status,
                     const struct sync_response *r, struct err *err);

/* ---- what peers answer: bounded, checked, fuzzed (fuzz/sync_response.c) ---------------- */

#define SYNC_NEXT_MAX 256 /* bytes of a peer's `next` token, NUL included */

/* A Get Objects response (TAXII 2.1 section 3.7, envelope). */
struct sync_envelope {
    json_t *env;      /* owned */
    json_t *objs;     /* borrowed from env: the objects list, NULL when absent */
    bool more;        /* more objects follow */
    const char *next; /* borrowed: the server's next token, NULL when absent */
    char last[64];    /* X-TAXII-Date-Added-Last when it is a timestamp, else empty */
};
/* Parses a body (at most JX_MAX_DEPTH deep) and the X-TAXII-Date-Added-Last header
 * value: an object whose objects is absent or a list, more absent or a boolean, next
 * absent or a string shorter than SYNC_NEXT_MAX. 0, or -1 with err saying what is wrong. */
int sync_envelope_parse(const char *body, size_t len, const char *last_header,
                        struct sync_envelope *e, struct err *err) BASE_WARN_UNUSED;
void sync_envelope_fini(struct sync_envelope *e);

/* What became of one pushed version, by the peer's status resource. */
enum sync_outcome { SYNC_PENDING, SYNC_TAKEN, SYNC_REFUSED, SYNC_FAILED };
struct sync_sent {
    char id[STIX_ID_MAX];
    ts_us version;
    enum sync_outcome outcome;
    int64_t attempts; /* sends before this one (queued retries) */
    char msg[256];    /* the peer's message for a failure */
};
/* Takes a status resource's verdicts (section 4.3.1) for the versions sent: listed
 * successes are taken; a listed failure whose message speaks of TLP is the peer's TLP
 * rule refusing the object (final), any other a failure to retry. When the status is
 * complete, versions it does not list are taken if it counts no failures, else failed.
 * Any JSON is accepted; returns whether the status says complete. */
bool sync_status_apply(struct sync_sent *sent, size_t n, const json_t *status);

/* The halves of a round with one peer; c is a curl handle they may use. 0, or -1 with err. */
int sync_pull(struct store *s, const struct store_peer *p, const struct sync_env *env, CURL *c,
              struct sync_stats *st, struct err *err) BASE_WARN_UNUSED;
int sync_push(struct store *s, const struct store_peer *p, const struct sync_env *env, CURL *c,
              struct sync_stats *st, struct err *err) BASE_WARN_UNUSED;

#endif
