/*
 * sync.c — pulling from a peer over TAXII 2.1 (section 5.3, Get Objects).
 *
 * A round pages through each pulled collection with added_after = the link's cursor and
 * limit = SYNC_PAGE_LIMIT. Paging follows the envelope's more/next (section 3.4); when
 * a server says more without next, the next request uses the last page's
 * X-TAXII-Date-Added-Last as added_after, which works against any conforming server,
 * also one that returns fewer objects than asked. Each page is stored through
 * taxii_ingest() as the peer's organisation — validated, TLP-checked and audited like
 * any write — and only then does the cursor move, in its own commit. A crash between the
 * two repeats one page on the next round; storing a version that is already there is a
 * no-op, so nothing is lost and nothing doubled.
 */
#include "sync/sync.h"

#include "taxii/taxii.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int sync_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

struct response {
    struct buf body;
    char last[64]; /* X-TAXII-Date-Added-Last */
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct response *r = ctx;
    return buf_append(&r->body, p, size * n) == 0 ? size * n : 0; /* 0 stops: too large */
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
    struct response *r = ctx;
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

/* Whether url may be used: https, or plain http to a loopback address only. */
static int check_url(const char *url, struct err *err)
{
    if (strncmp(url, "https://", 8) == 0) {
        return 0;
    }
    if (strncmp(url, "http://127.", 11) == 0 || strncmp(url, "http://[::1]", 12) == 0 ||
        strncmp(url, "http://localhost", 16) == 0) {
        return 0;
    }
    return err_set(err, "%s: peers are reached over https (plain http only on loopback)", url);
}

/* One GET; *status gets the HTTP status. */
static int get(CURL *c, const struct store_peer *p, const char *url, struct response *r,
               long *status, struct err *err)
{
    buf_reset(&r->body);
    r->last[0] = '\0';
    struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/taxii+json;version=2.1");
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
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
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hdr);
    if (rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
        return err_set(err,
                       "peer %s: its TLS public key does not match the pinned %s: the "
                       "certificate changed or this is not the peer; sync with it stopped",
                       p->name, p->pin);
    }
    if (rc != CURLE_OK) {
        return err_set(err, "peer %s: %s", p->name, curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

struct pull {
    struct store *s;
    const struct store_peer *p;
    struct access_peer_keys keys; /* how what the peer sends is judged */
    struct sync_stats *st;
    CURL *c; /* used by one link's fetcher at a time */
    struct err *err;
};

/* Appends s percent-encoded for a query value. */
static int put_query(struct buf *b, const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    int rc = e ? buf_puts(b, e) : -1;
    curl_free(e);
    return rc;
}

/* Rejects one object of a page: logged and audited (issue 5: a bad signature is). */
static void reject(struct pull *pl, const json_t *o, const char *why)
{
    const char *id = jx_str(o, "id");
    char detail[512], actor[STORE_NAME_MAX + 16];
    snprintf(detail, sizeof(detail), "id=%s reason=%s", id ? id : "(none)", why);
    snprintf(actor, sizeof(actor), "sync:%s", pl->p->name);
    log_warn("sync: peer %s: %s refused: %s", pl->p->name, id ? id : "an object", why);
    struct err err;
    if (store_begin(pl->s, &err) != 0 ||
        access_audit(pl->s, actor, "sync.reject", detail, &err) != 0 ||
        store_commit(pl->s, &err) != 0) {
        store_rollback(pl->s);
        log_warn("sync: cannot audit a refused object: %s", err.msg);
    }
    pl->st->received++;
    pl->st->failed++;
}

/* One page as the fetcher hands it over: parsed, its signatures checked. */
struct page {
    json_t *env; /* the envelope (owned); objs borrowed from it */
    json_t *objs;
    bool more;
    char last[64]; /* X-TAXII-Date-Added-Last */
    int *v;        /* access_verify per object */
    char (*signer)[ACCESS_SIGNING_KEY_B64];
    char (*why)[ERR_MSG_MAX];
    int rc; /* -1: the fetch failed, err says why (no more pages follow) */
    struct err err;
    atomic_size_t claimed, verified; /* objects taken for and done with verification */
};

#define VERIFY_CHUNK 16

/* Verifies chunks of the page until none is left unclaimed; any thread may help. Each
 * chunk's objects are only read; results go to the page's per-object slots. */
static void verify_some(struct page *pg)
{
    size_t n = json_array_size(pg->objs);
    for (;;) {
        size_t from = atomic_fetch_add(&pg->claimed, VERIFY_CHUNK);
        if (from >= n) {
            return;
        }
        size_t to = from + VERIFY_CHUNK < n ? from + VERIFY_CHUNK : n;
        for (size_t i = from; i < to; i++) {
            struct err err;
            pg->v[i] = access_verify(json_array_get(pg->objs, i), pg->signer[i], &err);
            if (pg->v[i] < 0) {
                str_copy(pg->why[i], sizeof(pg->why[i]), err.msg);
            }
        }
        atomic_fetch_add(&pg->verified, to - from);
    }
}

static void page_free(struct page *pg)
{
    if (pg != NULL) {
        json_decref(pg->env);
        free(pg->v);
        free(pg->signer);
        free(pg->why);
        free(pg);
    }
}

/* The objects of a page whose signatures access_signature_verdict() accepts (new
 * reference; NULL on out-of-memory); the others are refused, logged and audited. */
static json_t *checked(struct pull *pl, const struct page *pg)
{
    json_t *out = json_array();
    for (size_t i = 0; out != NULL && i < json_array_size(pg->objs); i++) {
        json_t *o = json_array_get(pg->objs, i);
        const char *why = access_signature_verdict(&pl->keys, pg->v[i], pg->signer[i]);
        if (why != NULL) {
            reject(pl, o, pg->v[i] < 0 ? pg->why[i] : why);
        } else if (json_array_append(out, o) != 0) {
            json_decref(out);
            out = NULL;
        }
    }
    return out;
}

/* ---- one pulled collection: a fetcher thread and the storing thread ---------------------

   The fetcher requests, parses and verifies the next page while this thread stores the
   last one; when this thread has nothing to store it helps verify (perf: verification
   was 44% of a pull, storing most of the rest; now both cores work on one or the
   other). The fetcher never touches the store: refusals are audited and the cursor moved
   by the storing thread, after the page commits. */

struct fetcher {
    const struct store_peer *p;
    const char *remote;
    CURL *c;
    struct response r;
    char cursor[64], next[256];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct page *slot;      /* handed over, not yet taken */
    struct page *verifying; /* being verified: the storing thread may help */
    bool done, stop;
    pthread_t thread;
};

/* Fetches, parses and verifies one page. Returns it (rc -1 and err on failure), or NULL
 * on out-of-memory. */
static struct page *fetch_page(struct fetcher *f)
{
    const struct store_peer *p = f->p;
    struct page *pg = calloc(1, sizeof(*pg));
    if (pg == NULL) {
        return NULL;
    }
    pg->rc = -1;
    struct buf url;
    buf_init(&url, 8192);
    if (buf_printf(&url, "%scollections/", p->url) || put_query(&url, f->remote) ||
        buf_printf(&url, "/objects/?limit=%d", SYNC_PAGE_LIMIT) ||
        (f->cursor[0] && (buf_puts(&url, "&added_after=") || put_query(&url, f->cursor))) ||
        (f->next[0] && (buf_puts(&url, "&next=") || put_query(&url, f->next)))) {
        buf_fini(&url);
        err_set(&pg->err, "out of memory");
        return pg;
    }
    long status = 0;
    int rc = get(f->c, p, url.data, &f->r, &status, &pg->err);
    buf_fini(&url);
    const char *body = f->r.body.data ? f->r.body.data : "";
    if (rc != 0) {
        return pg;
    }
    if (status != 200) {
        /* the TAXII error body says why (section 3.6.1) */
        json_t *e = jx_parse(body, f->r.body.len, 8, &pg->err);
        const char *why = e ? jx_str(e, "description") : NULL;
        why = why ? why : e ? jx_str(e, "title") : NULL;
        err_set(&pg->err, "peer %s: collection %s: HTTP %ld%s%.200s", p->name, f->remote, status,
                why ? ": " : "", why ? why : "");
        json_decref(e);
        return pg;
    }
    if ((pg->env = jx_parse(body, f->r.body.len, JX_MAX_DEPTH, &pg->err)) == NULL) {
        return pg;
    }
    pg->objs = json_object_get(pg->env, "objects");
    if (!json_is_array(pg->objs)) {
        pg->objs = NULL;
    }
    pg->more = json_is_true(json_object_get(pg->env, "more"));
    str_copy(pg->last, sizeof(pg->last), f->r.last);
    size_t n = json_array_size(pg->objs);
    pg->v = calloc(n ? n : 1, sizeof(*pg->v));
    pg->signer = calloc(n ? n : 1, sizeof(*pg->signer));
    pg->why = calloc(n ? n : 1, sizeof(*pg->why));
    if (pg->v == NULL || pg->signer == NULL || pg->why == NULL) {
        err_set(&pg->err, "out of memory");
        return pg;
    }
    pthread_mutex_lock(&f->mu);
    f->verifying = pg;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    verify_some(pg);
    pthread_mutex_lock(&f->mu);
    while (atomic_load(&pg->verified) < n) { /* a helper finishes its last chunk */
        pthread_cond_wait(&f->cv, &f->mu);
    }
    f->verifying = NULL;
    pthread_mutex_unlock(&f->mu);
    /* where the next request starts: the server's own next token, else (more without
     * next) added_after the page's last */
    const char *nx = jx_str(pg->env, "next");
    if (pg->more) {
        if (nx != NULL && strlen(nx) < sizeof(f->next)) {
            str_copy(f->next, sizeof(f->next), nx);
        } else if (pg->last[0] != '\0' && strcmp(pg->last, f->cursor) != 0) {
            str_copy(f->cursor, sizeof(f->cursor), pg->last);
            f->next[0] = '\0';
        } else {
            err_set(&pg->err,
                    "peer %s: collection %s says more but gives neither next nor "
                    "X-TAXII-Date-Added-Last",
                    p->name, f->remote);
            return pg;
        }
    }
    pg->rc = 0;
    return pg;
}

static void *fetcher_main(void *arg)
{
    struct fetcher *f = arg;
    for (bool last = false; !last;) {
        struct page *pg = fetch_page(f);
        last = pg == NULL || pg->rc != 0 || !pg->more;
        pthread_mutex_lock(&f->mu);
        while (f->slot != NULL && !f->stop) {
            pthread_cond_wait(&f->cv, &f->mu);
        }
        if (f->stop) {
            pthread_mutex_unlock(&f->mu);
            page_free(pg);
            return NULL;
        }
        f->slot = pg; /* NULL: out of memory, taken as a failure */
        f->done = last;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
    }
    return NULL;
}

/* The next page from the fetcher; NULL when out of memory. */
static struct page *take_page(struct fetcher *f, bool *last)
{
    pthread_mutex_lock(&f->mu);
    while (f->slot == NULL && !f->done) {
        struct page *help = f->verifying;
        if (help != NULL && atomic_load(&help->claimed) < json_array_size(help->objs)) {
            /* nothing to store yet: verify beside the fetcher */
            pthread_mutex_unlock(&f->mu);
            verify_some(help);
            pthread_mutex_lock(&f->mu);
            pthread_cond_broadcast(&f->cv);
            continue;
        }
        pthread_cond_wait(&f->cv, &f->mu);
    }
    struct page *pg = f->slot;
    *last = f->done;
    f->slot = NULL;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return pg;
}

/* Stores one page as the peer's organisation; then moves the cursor in its own commit. */
static int store_page(struct pull *pl, const struct store_link *l,
                      const struct store_collection *coll, const struct access_subject *who,
                      const struct page *pg, char *cursor, size_t cursor_size)
{
    const struct store_peer *p = pl->p;
    pl->st->pages++;
    if (pg->objs != NULL && json_array_size(pg->objs) > 0) {
        json_t *objs = checked(pl, pg);
        if (objs == NULL) {
            return err_set(pl->err, "out of memory");
        }
        if (json_array_size(objs) > 0) {
            char status_id[UUID_TEXT], actor[STORE_NAME_MAX + 16];
            uuid_v4(status_id);
            snprintf(actor, sizeof(actor), "sync:%s", p->name);
            struct taxii_ingest_result res;
            /* not this node's to sign; its signatures were checked as the page arrived */
            struct taxii_ingest_opts o = {.status_id = status_id, .actor = actor, .checked = true};
            if (taxii_ingest(pl->s, who, coll, objs, &o, &res, pl->err) != 0) {
                json_decref(objs);
                return -1;
            }
            pl->st->received += res.total;
            pl->st->stored += res.ok;
            pl->st->failed += res.failed;
            buf_fini(&res.status_json);
        }
        json_decref(objs);
    }
    /* committed: now the cursor may move past this page */
    if (pg->last[0] != '\0' && strcmp(pg->last, cursor) != 0) {
        if (store_begin(pl->s, pl->err) != 0 ||
            store_link_cursor_set(pl->s, l, pg->last, pl->err) != 0 ||
            store_commit(pl->s, pl->err) != 0) {
            store_rollback(pl->s);
            return -1;
        }
        str_copy(cursor, cursor_size, pg->last);
    }
    return 0;
}

static int pull_link(void *ctx, const struct store_link *l)
{
    struct pull *pl = ctx;
    const struct store_peer *p = pl->p;
    struct store_collection coll;
    int found = store_collection_get(pl->s, l->local, &coll, pl->err);
    if (found != 0) {
        if (found > 0) {
            err_set(pl->err, "peer %s: no local collection '%s'", p->name, l->local);
        }
        return -1;
    }
    struct access_subject who = {
        .authenticated = true, .org_id = p->org_id, .role = STORE_ROLE_ANALYST};
    snprintf(who.key_id, sizeof(who.key_id), "peer:%.24s", p->name);
    struct fetcher f = {.p = p, .remote = l->remote, .c = pl->c};
    buf_init(&f.r.body, SYNC_MAX_RESPONSE);
    str_copy(f.cursor, sizeof(f.cursor), l->cursor);
    char cursor[64];
    str_copy(cursor, sizeof(cursor), l->cursor);
    pthread_mutex_init(&f.mu, NULL);
    pthread_cond_init(&f.cv, NULL);
    int rc = -1;
    if (pthread_create(&f.thread, NULL, fetcher_main, &f) != 0) {
        err_set(pl->err, "cannot start a thread");
    } else {
        for (bool last = false; !last;) {
            struct page *pg = take_page(&f, &last);
            if (pg == NULL) {
                rc = err_set(pl->err, "out of memory");
                break;
            }
            if (pg->rc != 0) {
                *pl->err = pg->err;
                page_free(pg);
                break;
            }
            rc = store_page(pl, l, &coll, &who, pg, cursor, sizeof(cursor));
            page_free(pg);
            if (rc != 0) {
                break;
            }
        }
        pthread_mutex_lock(&f.mu);
        f.stop = true;
        pthread_cond_broadcast(&f.cv);
        pthread_mutex_unlock(&f.mu);
        pthread_join(f.thread, NULL);
        page_free(f.slot);
    }
    pthread_mutex_destroy(&f.mu);
    pthread_cond_destroy(&f.cv);
    buf_fini(&f.r.body);
    return rc;
}

int sync_pull_round(struct store *s, const struct store_peer *p, struct sync_stats *st,
                    struct err *err)
{
    memset(st, 0, sizeof(*st));
    if (check_url(p->url, err) != 0) {
        (void)store_peer_result(s, p->id, err->msg, err);
        return -1;
    }
    struct pull pl = {.s = s, .p = p, .st = st, .c = curl_easy_init(), .err = err};
    if (pl.c == NULL) {
        return err_set(err, "out of memory");
    }
    int rc = access_peer_keys_of(s, p, &pl.keys, err);
    rc = rc == 0 ? store_peer_links(s, p->id, false, pull_link, &pl, err) : rc;
    curl_easy_cleanup(pl.c);
    struct err e2;
    (void)store_peer_result(s, p->id, rc == 0 ? NULL : err->msg, &e2);
    return rc;
}

/* ---- the loop ----------------------------------------------------------------------------- */

double sync_next_delay(int64_t interval, int64_t failures, double random01)
{
    double d = (double)interval;
    for (int64_t i = 0; i < failures && d < SYNC_BACKOFF_MAX; i++) {
        d *= 2;
    }
    if (d > SYNC_BACKOFF_MAX) {
        d = SYNC_BACKOFF_MAX;
    }
    return failures > 0 ? d * (0.5 + random01) : d;
}

#define MAX_SCHEDULED 256

struct due {
    int64_t peer;
    ts_us at;
};

struct sync_loop {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    char path[4096];
    struct due due[MAX_SCHEDULED];
    int n_due;
};

struct loop_round {
    struct sync_loop *l;
    struct store *s;
    ts_us now, next_wake;
};

static ts_us *due_of(struct sync_loop *l, int64_t peer)
{
    for (int i = 0; i < l->n_due; i++) {
        if (l->due[i].peer == peer) {
            return &l->due[i].at;
        }
    }
    if (l->n_due == MAX_SCHEDULED) {
        return NULL;
    }
    l->due[l->n_due] = (struct due){peer, 0};
    return &l->due[l->n_due++].at;
}

static int maybe_pull(void *ctx, const struct store_peer *p)
{
    struct loop_round *r = ctx;
    ts_us *at = due_of(r->l, p->id);
    if (at == NULL || r->l->stop) {
        return 0;
    }
    if (*at <= r->now) {
        struct sync_stats st;
        struct err err;
        int rc = sync_pull_round(r->s, p, &st, &err);
        if (rc != 0) {
            log_warn("sync: %s", err.msg);
        } else if (st.received > 0) {
            log_info("sync: peer %s: %zu objects received, %zu stored, %zu refused", p->name,
                     st.received, st.stored, st.failed);
        }
        double r01 = (double)randombytes_uniform(1000000) / 1e6;
        double delay = sync_next_delay(p->interval, rc == 0 ? 0 : p->failures + 1, r01);
        *at = ts_now() + (ts_us)(delay * 1e6);
    }
    if (r->next_wake == 0 || *at < r->next_wake) {
        r->next_wake = *at;
    }
    return 0;
}

static void *loop_main(void *arg)
{
    struct sync_loop *l = arg;
    struct store *s = NULL;
    struct err err;
    if (store_open(l->path, false, &s, &err) != 0) {
        log_error("sync: %s", err.msg);
        return NULL;
    }
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        pthread_mutex_unlock(&l->mu);
        struct loop_round r = {l, s, ts_now(), 0};
        if (store_peer_list(s, maybe_pull, &r, &err) != 0) {
            log_warn("sync: %s", err.msg);
        }
        /* sleep until the next peer is due, at most a second (new peers, stop) */
        ts_us wake = r.next_wake ? r.next_wake : ts_now() + 1000000;
        ts_us cap = ts_now() + 1000000;
        wake = wake < cap ? wake : cap;
        struct timespec ts = {(time_t)(wake / 1000000), (long)(wake % 1000000) * 1000};
        pthread_mutex_lock(&l->mu);
        if (!l->stop) {
            pthread_cond_timedwait(&l->cv, &l->mu, &ts);
        }
    }
    pthread_mutex_unlock(&l->mu);
    store_close(s);
    return NULL;
}

int sync_loop_start(const char *db_path, struct sync_loop **out, struct err *err)
{
    struct sync_loop *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return err_set(err, "out of memory");
    }
    if (str_copy(l->path, sizeof(l->path), db_path) != 0) {
        free(l);
        return err_set(err, "database path too long");
    }
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL); /* CLOCK_REALTIME, as ts_now() */
    if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
        free(l);
        return err_set(err, "cannot start the sync thread");
    }
    *out = l;
    return 0;
}

void sync_loop_stop(struct sync_loop *l)
{
    if (l == NULL) {
        return;
    }
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l);
}
