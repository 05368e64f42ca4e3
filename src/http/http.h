/*
 * http — the HTTP(S) server glue around libmicrohttpd: one handler function receives a
 * complete request (headers, raw query string, whole body up to a hard limit, credentials
 * from Basic or Bearer) and fills a response. TLS through GnuTLS, a thread pool on epoll,
 * and a drain on shutdown. Also the node's TLS certificate: creation and fingerprint.
 * Knows nothing of TAXII.
 */
#ifndef CERTMESH_HTTP_H
#define CERTMESH_HTTP_H

#include "base/base.h"

#define HTTP_MAX_HEADERS 8

struct http_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* percent-decoded path, without the query */
    const char *query;  /* raw query string after '?', "" if none */
    const char *accept; /* header values, NULL if absent */
    const char *content_type;
    /* Credentials: Basic user/password, or a Bearer token "ID:SECRET" split at ':'. */
    bool auth_present;
    bool auth_malformed; /* an Authorization header we could not read */
    char auth_user[64];
    char auth_pass[160];
    const char *body;
    size_t body_len;
    bool body_too_large; /* the body passed the limit; body is NULL */
    const char *peer;    /* client address text */
};

struct http_response {
    int status;
    const char *content_type; /* static string */
    struct buf body;
    int n_headers;
    struct {
        const char *name; /* static string */
        char value[128];
    } headers[HTTP_MAX_HEADERS];
};

/* Adds a response header (dropped silently past HTTP_MAX_HEADERS, which is a bug). */
void http_response_header(struct http_response *r, const char *name, const char *value);

typedef void (*http_handler)(void *ctx, const struct http_request *req, struct http_response *resp);

struct http_config {
    const char *listen;   /* "ADDR:PORT", "[V6ADDR]:PORT" */
    const char *cert_pem; /* NULL for plain HTTP */
    const char *key_pem;
    size_t max_body;
    unsigned threads;
    bool thread_per_connection; /* instead of a pool: a handler may block without holding up
                                 * other connections (test servers that hold requests) */
    http_handler handler;
    void *ctx;
};

struct http_server;

/* Starts listening. Refuses plain HTTP on anything but a loopback address. */
int http_server_start(const struct http_config *cfg, struct http_server **out,
                      struct err *err) BASE_WARN_UNUSED;
/* The port actually bound (useful with port 0). */
unsigned http_server_port(const struct http_server *srv);
/* Stops accepting, waits up to drain_ms for in-flight requests to finish, then stops. */
void http_server_stop(struct http_server *srv, int drain_ms);

/* True if "ADDR:PORT" names a loopback address (127.0.0.0/8 or ::1). */
bool http_listen_is_loopback(const char *listen);

/* Creates a self-signed ECDSA P-256 certificate for the node (10 years) and its key, PEM.
 * Both strings are malloc'ed. */
int http_cert_create(const char *common_name, char **cert_pem, char **key_pem,
                     struct err *err) BASE_WARN_UNUSED;
/* SHA-256 fingerprint of the first certificate in a PEM, as 64 lowercase hex digits. */
int http_cert_fingerprint(const char *cert_pem, char out[65], struct err *err) BASE_WARN_UNUSED;

#define HTTP_PIN_MAX 64
/* The public-key pin peers check in the TLS handshake, before any credential is sent:
 * "sha256//" and the base64 SHA-256 of the certificate's SubjectPublicKeyInfo (the form
 * of curl's --pinnedpubkey). */
int http_cert_pin(const char *cert_pem, char out[HTTP_PIN_MAX], struct err *err) BASE_WARN_UNUSED;

#endif
