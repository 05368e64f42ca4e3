/*
 * http.c — the requests a node makes of its peers (libcurl): the peer's TLS public key
 * pinned in the handshake before any credential is sent, Basic authentication with the
 * key the peer issued, TAXII 2.1 media types (section 1.6.8), bounded responses.
 */
#include "sync/internal.h"

#include "http/http.h"
#include "taxii/taxii.h"

#include <string.h>
#include <strings.h>

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct sync_response *r = ctx;
    return buf_append(&r->body, p, size * n) == 0 ? size * n : 0; /* 0 stops: too large */
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct sync_response *r = ctx;
    static const char name[] = "X-TAXII-Date-Added-Last:";
    size_t len = size * n;
    if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0) {
        const char *v = p + sizeof(name) - 1;
        size_t vn = len - (sizeof(name) - 1);
        while (vn > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vn--;
        }
        while (vn > 0 && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' ')) {
            vn--;
        }
        snprintf(r->last, sizeof(r->last), "%.*s", (int)vn, v);
    }
    return len;
}

/* Whether url may be used: https, or plain http to a loopback address only. The host is
 * read as the server's --listen check reads it (http_listen_is_loopback): a prefix test
 * let "http://127.example.net/" and "http://127.0.0.1@example.net/" through. */
int sync_check_url(const char *url, struct err *err)
{
    if (strncmp(url, "https://", 8) == 0) {
        return 0;
    }
    if (strncmp(url, "http://", 7) == 0) {
        const char *a = url + 7;
        size_t n = strcspn(a, "/?#");
        char hostport[80];
        if (n + 4 < sizeof(hostport)) {
            snprintf(hostport, sizeof(hostport), "%.*s", (int)n, a);
            if (http_listen_is_loopback(hostport)) {
                return 0;
            }
            snprintf(hostport, sizeof(hostport), "%.*s:80", (int)n, a); /* no port given */
            if (http_listen_is_loopback(hostport)) {
                return 0;
            }
        }
    }
    return err_set(err, "%s: peers are reached over https (plain http only on loopback)", url);
}

int sync_put_query(struct buf *b, const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    int rc = e ? buf_puts(b, e) : -1;
    curl_free(e);
    return rc;
}

/* libcurl's progress callback: non-zero aborts the transfer (CURLE_ABORTED_BY_CALLBACK). */
static int on_progress(void *ctx, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    const atomic_bool *cancel = ctx;
    return atomic_load(cancel) ? 1 : 0;
}

int sync_http(CURL *c, const struct store_peer *p, const char *url, const struct buf *body,
              struct sync_response *r, long *status, struct err *err)
{
    buf_reset(&r->body);
    r->last[0] = '\0';
    struct curl_slist *hdr = curl_slist_append(NULL, "Accept: " TAXII_MEDIA_TYPE);
    if (body != NULL && hdr != NULL) {
        struct curl_slist *h2 = curl_slist_append(hdr, "Content-Type: " TAXII_MEDIA_TYPE);
        hdr = h2 ? h2 : hdr;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data ? body->data : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    }
    curl_easy_setopt(c, CURLOPT_USERPWD, p->key);
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    /* Node certificates are self-signed: the trust is the pinned public key, checked in
     * the handshake, before the request and its credentials are sent. */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, p->pin);
    if (r->cancel != NULL) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)r->cancel);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdr);
    if (rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
        return err_set(err,
                       "peer %s: its TLS public key does not match the pinned %s: the "
                       "certificate changed or this is not the peer; sync with it stopped",
                       p->name, p->pin);
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        return err_set(err, "peer %s: the round was stopped (the node is shutting down)", p->name);
    }
    if (rc != CURLE_OK) {
        return err_set(err, "peer %s: %s", p->name, curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

int sync_http_failed(const struct store_peer *p, const char *what, long status,
                     const struct sync_response *r, struct err *err)
{
    /* the TAXII error body says why (section 3.6.1) */
    struct err perr;
    json_t *e = jx_parse(r->body.data ? r->body.data : "", r->body.len, 8, &perr);
    const char *why = e ? jx_str(e, "description") : NULL;
    why = why ? why : e ? jx_str(e, "title") : NULL;
    err_set(err, "peer %s: %s: HTTP %ld%s%.200s", p->name, what, status, why ? ": " : "",
            why ? why : "");
    json_decref(e);
    return -1;
}

int sync_envelope_parse(const char *body, size_t len, const char *last_header,
                        struct sync_envelope *e, struct err *err)
{
    memset(e, 0, sizeof(*e));
    ts_us t;
    if (last_header != NULL && strlen(last_header) < sizeof(e->last) &&
        ts_parse(last_header, &t, NULL) == 0) {
        str_copy(e->last, sizeof(e->last), last_header);
    }
    if ((e->env = jx_parse(body, len, JX_MAX_DEPTH, err)) == NULL) {
        return -1;
    }
    json_t *objs = json_object_get(e->env, "objects"), *more = json_object_get(e->env, "more");
    json_t *next = json_object_get(e->env, "next");
    const char *bad = !json_is_object(e->env)                  ? "not a JSON object"
                      : objs != NULL && !json_is_array(objs)   ? "objects is not a list"
                      : more != NULL && !json_is_boolean(more) ? "more is not true or false"
                      : next != NULL && !json_is_string(next)  ? "next is not a string"
                      : next != NULL && json_string_length(next) >= SYNC_NEXT_MAX
                          ? "next is too long"
                          : NULL;
    if (bad != NULL) {
        sync_envelope_fini(e);
        return err_set(err, "the response is not a TAXII envelope: %s", bad);
    }
    e->objs = objs;
    e->more = json_is_true(more);
    e->next = json_string_value(next);
    return 0;
}

void sync_envelope_fini(struct sync_envelope *e)
{
    json_decref(e->env);
    memset(e, 0, sizeof(*e));
}

/* The sent entry for a status entry (id, version); NULL when not ours. Status lists are
 * usually in the order sent: the search starts after the last match. */
static struct sync_sent *find_sent(struct sync_sent *sent, size_t n, const json_t *e, size_t *hint)
{
    const char *id = jx_str(e, "id"), *ver = jx_str(e, "version");
    ts_us v = 0;
    bool has_v = ver != NULL && ts_parse(ver, &v, NULL) == 0;
    for (size_t k = 0; id != NULL && k < n; k++) {
        size_t i = (*hint + k) % n;
        if (strcmp(sent[i].id, id) == 0 && (!has_v || sent[i].version == v)) {
            *hint = i + 1;
            return &sent[i];
        }
    }
    return NULL;
}

bool sync_status_apply(struct sync_sent *sent, size_t n, const json_t *status)
{
    size_t hint = 0, i;
    json_t *e;
    json_array_foreach(json_object_get(status, "successes"), i, e)
    {
        struct sync_sent *x = find_sent(sent, n, e, &hint);
        if (x != NULL) {
            x->outcome = SYNC_TAKEN;
        }
    }
    json_array_foreach(json_object_get(status, "failures"), i, e)
    {
        struct sync_sent *x = find_sent(sent, n, e, &hint);
        if (x == NULL) {
            continue;
        }
        /* a refusal by the peer's rules is final: sending it again cannot change it. TAXII
         * has no code for it; certmesh peers say "TLP rule:" or "STIX versioning:" */
        const char *m = jx_str(e, "message");
        x->outcome =
            m != NULL && (strcasestr(m, "TLP") != NULL || strstr(m, "STIX versioning:") != NULL)
                ? SYNC_REFUSED
                : SYNC_FAILED;
        str_copy(x->msg, sizeof(x->msg), m ? m : "failed at the peer, no reason given");
    }
    const char *state = jx_str(status, "status");
    bool complete = state != NULL && strcmp(state, "complete") == 0;
    if (complete) {
        /* a server that lists no entries: its counts say whether the rest went in */
        json_int_t failures = json_integer_value(json_object_get(status, "failure_count"));
        for (size_t k = 0; k < n; k++) {
            if (sent[k].outcome == SYNC_PENDING) {
                sent[k].outcome = failures == 0 ? SYNC_TAKEN : SYNC_FAILED;
                if (failures != 0) {
                    str_copy(sent[k].msg, sizeof(sent[k].msg),
                             "not accounted for in the peer's status");
                }
            }
        }
    }
    return complete;
}
