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
    char last[64]; /* X-TAXII-Date-Added-Last */
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

/* The halves of a round with one peer; c is a curl handle they may use. 0, or -1 with err. */
int sync_pull(struct store *s, const struct store_peer *p, CURL *c, struct sync_stats *st,
              struct err *err) BASE_WARN_UNUSED;
int sync_push(struct store *s, const struct store_peer *p, const struct access_signer *signer,
              CURL *c, struct sync_stats *st, struct err *err) BASE_WARN_UNUSED;

#endif
