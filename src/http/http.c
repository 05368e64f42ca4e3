/*
 * http.c — libmicrohttpd glue. Each connection gets a small state struct from the URI-log
 * callback (so we keep the raw query string for our own strict parser), the body is
 * collected into a bounded buffer, and the handler runs once the request is complete.
 * A Content-Length over the limit is answered at once, before any body is read.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_config cfg;
    unsigned port;
};

struct conn {
    char *uri;
    struct buf body;
    bool started;
    bool too_large;
};

void http_response_header(struct http_response *r, const char *name, const char *value)
{
    if (r->n_headers >= HTTP_MAX_HEADERS) {
        return;
    }
    r->headers[r->n_headers].name = name;
    str_copy(r->headers[r->n_headers].value, sizeof(r->headers[0].value), value);
    r->n_headers++;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_server *srv = cls;
    (void)c;
    struct conn *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        return NULL;
    }
    st->uri = strdup(uri ? uri : "/");
    buf_init(&st->body, srv->cfg.max_body);
    return st;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)c;
    (void)code;
    struct conn *st = *con_cls;
    if (st != NULL) {
        free(st->uri);
        buf_fini(&st->body);
        free(st);
        *con_cls = NULL;
    }
}

/* Authorization: Basic base64(id:secret) (RFC 7617) or Bearer ID:SECRET. */
static void parse_auth(const char *h, struct http_request *req)
{
    char decoded[256];
    const char *cred = NULL;
    if (h == NULL) {
        return;
    }
    req->auth_present = true;
    req->auth_malformed = true;
    if (strncasecmp(h, "Basic ", 6) == 0) {
        const char *b = h + 6;
        while (*b == ' ') {
            b++;
        }
        long n = b64_decode(b, strlen(b), decoded, sizeof(decoded) - 1);
        if (n < 0) {
            return;
        }
        decoded[n] = '\0';
        if (strlen(decoded) != (size_t)n) {
            return; /* embedded NUL */
        }
        cred = decoded;
    } else if (strncasecmp(h, "Bearer ", 7) == 0) {
        cred = h + 7;
        while (*cred == ' ') {
            cred++;
        }
    } else {
        return;
    }
    const char *colon = strchr(cred, ':');
    if (colon == NULL || (size_t)(colon - cred) >= sizeof(req->auth_user) ||
        strlen(colon + 1) >= sizeof(req->auth_pass)) {
        return;
    }
    memcpy(req->auth_user, cred, (size_t)(colon - cred));
    req->auth_user[colon - cred] = '\0';
    str_copy(req->auth_pass, sizeof(req->auth_pass), colon + 1);
    req->auth_malformed = false;
}

static enum MHD_Result respond(struct http_server *srv, struct MHD_Connection *c, struct conn *st,
                               const char *url, const char *method)
{
    struct http_request req;
    struct http_response resp;
    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    buf_init(&resp.body, (size_t)1 << 30);
    req.method = method;
    req.path = url;
    const char *q = st->uri ? strchr(st->uri, '?') : NULL;
    req.query = q ? q + 1 : "";
    req.accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    req.content_type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    parse_auth(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
               &req);
    req.body_too_large = st->too_large;
    req.body = st->too_large ? NULL : (st->body.data ? st->body.data : "");
    req.body_len = st->too_large ? 0 : st->body.len;
    char peer[INET6_ADDRSTRLEN] = "?";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, peer, sizeof(peer));
        } else if (sa->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof(peer));
        }
    }
    req.peer = peer;

    srv->cfg.handler(srv->cfg.ctx, &req, &resp);
    explicit_bzero(req.auth_pass, sizeof(req.auth_pass));

    size_t len;
    char *body = buf_steal(&resp.body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    if (resp.content_type != NULL) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp.content_type);
    }
    for (int i = 0; i < resp.n_headers; i++) {
        MHD_add_response_header(r, resp.headers[i].name, resp.headers[i].value);
    }
    enum MHD_Result ok = MHD_queue_response(c, (unsigned)(resp.status ? resp.status : 500), r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct conn *st = *con_cls;
    (void)version;
    if (st == NULL) {
        return MHD_NO;
    }
    if (!st->started) {
        st->started = true;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        int64_t n;
        if (cl != NULL && str_to_i64(cl, 0, INT64_MAX, &n) == 0 &&
            (uint64_t)n > srv->cfg.max_body) {
            /* Answer before reading: MHD closes the connection after this response. */
            st->too_large = true;
            return respond(srv, c, st, url, method);
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!st->too_large && buf_append(&st->body, upload_data, *upload_data_size) != 0) {
            st->too_large = true;
            buf_fini(&st->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return respond(srv, c, st, url, method);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(listen, ':');
    int64_t port;
    if (colon == NULL || str_to_i64(colon + 1, 0, 65535, &port) != 0) {
        return -1;
    }
    size_t hn = (size_t)(colon - listen);
    if (hn == 0 || hn >= sizeof(host)) {
        return -1;
    }
    memcpy(host, listen, hn);
    host[hn] = '\0';
    memset(ss, 0, sizeof(*ss));
    if (host[0] == '[' && host[hn - 1] == ']') {
        host[hn - 1] = '\0';
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) {
            return -1;
        }
        *len = sizeof(*s6);
        return 0;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0) {
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
        return -1;
    }
    *len = sizeof(*s4);
    return 0;
}

bool http_listen_is_loopback(const char *listen)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_listen(listen, &ss, &len) != 0) {
        return false;
    }
    if (ss.ss_family == AF_INET) {
        uint32_t a = ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr);
        return (a >> 24) == 127;
    }
    return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

int http_server_start(const struct http_config *cfg, struct http_server **out, struct err *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_listen(cfg->listen, &ss, &len) != 0) {
        return err_set(err, "--listen %s: expected ADDR:PORT (e.g. 127.0.0.1:8443 or [::1]:8443)",
                       cfg->listen);
    }
    if (cfg->cert_pem == NULL && !http_listen_is_loopback(cfg->listen)) {
        return err_set(err, "plain HTTP is only allowed on a loopback address, not %s",
                       cfg->listen);
    }
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (srv == NULL) {
        return err_set(err, "out of memory");
    }
    srv->cfg = *cfg;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0) |
                     (cfg->thread_per_connection ? MHD_USE_THREAD_PER_CONNECTION : MHD_USE_EPOLL);
    unsigned pool = cfg->thread_per_connection ? 1 : cfg->threads ? cfg->threads : 2;
    if (cfg->cert_pem != NULL) {
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)pool, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, srv},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_done, srv},
        {MHD_OPTION_CONNECTION_TIMEOUT, 60, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, 1000, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, NULL},
        {MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, NULL},
        {cfg->cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cfg->cert_pem},
        {cfg->cert_pem ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)cfg->key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, opts,
                                   MHD_OPTION_END);
    if (srv->daemon == NULL) {
        free(srv);
        return err_set(err, "cannot listen on %s (address in use, or TLS setup failed)",
                       cfg->listen);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : 0;
    *out = srv;
    return 0;
}

unsigned http_server_port(const struct http_server *srv)
{
    return srv->port;
}

void http_server_stop(struct http_server *srv, int drain_ms)
{
    if (srv == NULL) {
        return;
    }
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET) {
        close(fd);
    }
    for (int waited = 0; waited < drain_ms; waited += 20) {
        const union MHD_DaemonInfo *di =
            MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (di == NULL || di->num_connections == 0) {
            break;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(srv->daemon);
    free(srv);
}

/* ---- the node certificate ---------------------------------------------------------- */

int http_cert_create(const char *common_name, char **cert_pem, char **key_pem, struct err *err)
{
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t c = {NULL, 0}, k = {NULL, 0};
    int rc = -1;
    unsigned char serial[16];
    *cert_pem = *key_pem = NULL;
    if (gnutls_x509_privkey_init(&key) < 0 ||
        gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
        gnutls_x509_crt_init(&crt) < 0 || random_bytes(serial, sizeof(serial)) != 0) {
        err_set(err, "cannot generate the TLS key");
        goto out;
    }
    serial[0] &= 0x7f;
    time_t now = time(NULL);
    static const unsigned char lo4[4] = {127, 0, 0, 1};
    static const unsigned char lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
        gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
        gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
        gnutls_x509_crt_set_expiration_time(crt, now + 10L * 365 * 24 * 3600) < 0 ||
        gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, common_name,
                                      (unsigned)strlen(common_name)) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                             GNUTLS_FSAN_APPEND) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, lo4, 4,
                                             GNUTLS_FSAN_APPEND) < 0 ||
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, lo6, 16,
                                             GNUTLS_FSAN_APPEND) < 0 ||
        gnutls_x509_crt_set_key(crt, key) < 0 ||
        gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
        gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
        gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
        gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &c) < 0 ||
        gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &k) < 0) {
        err_set(err, "cannot create the TLS certificate");
        goto out;
    }
    *cert_pem = strndup((const char *)c.data, c.size);
    *key_pem = strndup((const char *)k.data, k.size);
    if (*cert_pem == NULL || *key_pem == NULL) {
        free(*cert_pem);
        free(*key_pem);
        *cert_pem = *key_pem = NULL;
        err_set(err, "out of memory");
        goto out;
    }
    rc = 0;
out:
    gnutls_free(c.data);
    if (k.data != NULL) {
        gnutls_memset(k.data, 0, k.size);
    }
    gnutls_free(k.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc;
}

int http_cert_fingerprint(const char *cert_pem, char out[65], struct err *err)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = {(unsigned char *)cert_pem, (unsigned)strlen(cert_pem)};
    unsigned char fp[32];
    size_t n = sizeof(fp);
    int rc = -1;
    if (gnutls_x509_crt_init(&crt) < 0 ||
        gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
        gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &n) < 0 || n != 32) {
        err_set(err, "cannot read the certificate");
        goto out;
    }
    hex_encode(fp, 32, out);
    rc = 0;
out:
    gnutls_x509_crt_deinit(crt);
    return rc;
}

int http_cert_pin(const char *cert_pem, char out[HTTP_PIN_MAX], struct err *err)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_pubkey_t pub = NULL;
    gnutls_datum_t d = {(unsigned char *)cert_pem, (unsigned)strlen(cert_pem)};
    gnutls_datum_t spki = {NULL, 0};
    unsigned char digest[32];
    int rc = -1;
    if (gnutls_x509_crt_init(&crt) < 0 || gnutls_pubkey_init(&pub) < 0 ||
        gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0 ||
        gnutls_pubkey_import_x509(pub, crt, 0) < 0 ||
        gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) < 0 ||
        gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, digest) < 0) {
        err_set(err, "cannot read the certificate's public key");
        goto out;
    }
    memcpy(out, "sha256//", 8);
    b64_encode(digest, 32, out + 8);
    rc = 0;
out:
    gnutls_free(spki.data);
    gnutls_pubkey_deinit(pub);
    gnutls_x509_crt_deinit(crt);
    return rc;
}
