/*
 * push.c — sending to a peer that cannot pull from us (TAXII 2.1 section 5.4, Add
 * Objects; section 4.3, Get Status).
 *
 * For each pushed collection, the versions added since the link's cursor (this node's
 * date_added, in microseconds) are read in date_added order, and each goes only if
 * access_decide() lets the peer's organisation read it as a sync key would: the same
 * decision as a pull by that peer, TLP and audience and border alike. They are POSTed
 * in envelopes of up to SYNC_PAGE_LIMIT objects (about SYNC_PUSH_MAX_BYTES), and the
 * status resource is followed until complete. Then, in one commit, the cursor moves past
 * the page, and the versions the peer did not take are queued for another attempt —
 * unless it refused them for TLP, which is final and reported. Queued versions go first
 * in every round; after SYNC_PUSH_ATTEMPTS sends they are reported (log, audit
 * "sync.push_failed") and dropped. A crash between the POST and the commit sends the page
 * again, and the peer answers for versions it holds as successes: nothing is lost.
 */
#include "sync/internal.h"

#include "taxii/taxii.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Envelopes on their way at once: the peer parses and verifies one while it stores
 * another (perf: with one in flight the receiver's cores idled between envelopes). */
#define PUSH_IN_FLIGHT 3

/* One envelope: built by the round's thread, POSTed (and its status followed) by a
 * sender thread while the next is built and sent, settled in order. */
struct batch {
    struct buf env;
    struct sync_sent *sent; /* every version taken from the store for this envelope */
    size_t n_sent, cap_sent;
    size_t n_env; /* of them, in the envelope (not: too large for the peer) */
    ts_us last;   /* date_added of the last row looked at, sent or not */
    bool full;    /* the envelope reached SYNC_PUSH_MAX_BYTES */
    bool failed;  /* out of memory while building it */
    CURL *c;
    struct sync_response r;
    struct err err;
    pthread_t thread;
    bool in_flight;
    int rc; /* of the POST */
};

struct push {
    struct store *s;
    const struct store_peer *p;
    const struct access_signer *signer;
    struct sync_stats *st;
    struct err *err;
    /* the link being pushed */
    const struct store_link *l;
    struct store_collection coll;
    struct access_subject who; /* the peer's organisation, reading as a sync key would */
    struct access_collection facts;
    unsigned mask;    /* TLP levels it may read there (access_read_mask) */
    size_t max_bytes; /* of one envelope: ours, or the peer's max_content_length if less */
    struct batch b[PUSH_IN_FLIGHT]; /* envelopes: some in flight while the next is built */
    struct batch *cur;              /* the one rows go into */
    struct access_origins origins;  /* submitting organisations: a peer's, or local */
};

/* A row of the collection: into the envelope if the peer may have it. */
static int add_row(void *ctx, const struct store_row *row)
{
    struct push *ps = ctx;
    struct batch *b = ps->cur;
    bool peer_origin = access_origin_is_peer(ps->s, &ps->origins, row->origin_org);
    struct access_object o = {.tlp = row->tlp,
                              .origin_org = row->origin_org,
                              .in_collection = true,
                              .from_peer = peer_origin};
    if (access_decide(&ps->who, ACCESS_READ_OBJECT, &ps->facts, &o).verdict != ACCESS_ALLOW) {
        b->last = row->date_added;
        return 0; /* not for this peer: the cursor still moves past it */
    }
    if (b->n_sent == b->cap_sent) {
        size_t cap = b->cap_sent * 2 + 64;
        struct sync_sent *n = realloc(b->sent, cap * sizeof(*n));
        if (n == NULL) {
            b->failed = true;
            return err_set(ps->err, "out of memory");
        }
        b->sent = n;
        b->cap_sent = cap;
    }
    struct sync_sent *x = &b->sent[b->n_sent];
    memset(x, 0, sizeof(*x));
    if (str_copy(x->id, sizeof(x->id), row->stix_id) != 0 ||
        ts_parse(row->version, &x->version, NULL) != 0) {
        b->last = row->date_added;
        return 0; /* the store only holds valid ids and versions */
    }
    size_t before = b->env.len;
    if ((b->n_env > 0 && buf_append(&b->env, ",", 1) != 0) ||
        taxii_outgoing(ps->signer, !peer_origin, row->json, row->json_len, &b->env, ps->err) != 0) {
        b->failed = true;
        return err_set(ps->err, "out of memory");
    }
    if (b->env.len + 2 > ps->max_bytes) { /* 2: the closing "]}" */
        buf_truncate(&b->env, before);
        if (b->n_env > 0) {
            b->full = true; /* this row starts the next envelope */
            return 1;
        }
        /* alone too large for the peer: never sent, reported after its attempts */
        x->outcome = SYNC_FAILED;
        snprintf(x->msg, sizeof(x->msg), "larger than the peer takes (max_content_length %zu)",
                 ps->max_bytes);
        b->n_sent++;
        b->last = row->date_added;
        return 0;
    }
    b->n_sent++;
    b->n_env++;
    b->last = row->date_added;
    return 0;
}

static int envelope_start(struct push *ps, struct batch *b)
{
    ps->cur = b;
    buf_reset(&b->env);
    b->n_sent = b->n_env = 0;
    b->full = b->failed = false;
    return buf_puts(&b->env, "{\"objects\":[") == 0 ? 0 : err_set(ps->err, "out of memory");
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* POSTs the envelope and follows its status resource until complete (at most
 * SYNC_STATUS_WAIT seconds; what is still pending then is a failure to retry). */
static int post_envelope(const struct store_peer *p, const char *remote, struct batch *b)
{
    char what[200];
    snprintf(what, sizeof(what), "pushing to collection %s", remote);
    struct buf url;
    buf_init(&url, 8192);
    long status = 0;
    int rc = buf_printf(&url, "%scollections/", p->url) || sync_put_query(&url, remote) ||
                     buf_puts(&url, "/objects/") || buf_puts(&b->env, "]}")
                 ? err_set(&b->err, "out of memory")
                 : sync_http(b->c, p, url.data, &b->env, &b->r, &status, &b->err);
    if (rc == 0 && status != 202 && status != 200) {
        rc = sync_http_failed(p, what, status, &b->r, &b->err);
    }
    ts_us until = ts_now() + (ts_us)SYNC_STATUS_WAIT * 1000000;
    for (long wait = 100; rc == 0;) {
        json_t *st =
            jx_parse(b->r.body.data ? b->r.body.data : "", b->r.body.len, JX_MAX_DEPTH, &b->err);
        const char *sid = st ? jx_str(st, "id") : NULL;
        bool complete = st != NULL && sync_status_apply(b->sent, b->n_sent, st);
        char sidbuf[256] = "";
        str_copy(sidbuf, sizeof(sidbuf), sid ? sid : "");
        json_decref(st);
        if (st == NULL) {
            rc = err_set(&b->err, "peer %s: %s: the status resource is not JSON", p->name, what);
            break;
        }
        if (complete) {
            break;
        }
        if (sidbuf[0] == '\0' || ts_now() >= until ||
            (b->r.cancel != NULL && atomic_load(b->r.cancel))) {
            for (size_t k = 0; k < b->n_sent; k++) {
                if (b->sent[k].outcome == SYNC_PENDING) {
                    b->sent[k].outcome = SYNC_FAILED;
                    str_copy(b->sent[k].msg, sizeof(b->sent[k].msg), "still pending at the peer");
                }
            }
            break;
        }
        pause_ms(wait);
        wait = wait < 2000 ? wait * 2 : 2000;
        buf_reset(&url);
        if (buf_printf(&url, "%sstatus/", p->url) || sync_put_query(&url, sidbuf) ||
            buf_puts(&url, "/")) {
            rc = err_set(&b->err, "out of memory");
        } else if ((rc = sync_http(b->c, p, url.data, NULL, &b->r, &status, &b->err)) == 0 &&
                   status != 200) {
            rc = sync_http_failed(p, "following a push's status", status, &b->r, &b->err);
        }
    }
    buf_fini(&url);
    return rc;
}

struct send_job {
    const struct store_peer *p;
    const char *remote;
    struct batch *b;
};

static void *sender(void *arg)
{
    struct send_job *j = arg;
    j->b->rc = post_envelope(j->p, j->remote, j->b);
    free(j);
    return NULL;
}

/* Starts the batch's POST on its own thread (or here, when no thread can be had). */
static void send_batch(struct push *ps, struct batch *b)
{
    struct send_job *j = malloc(sizeof(*j));
    b->rc = 0;
    b->in_flight = false;
    if (j != NULL) {
        *j = (struct send_job){ps->p, ps->l->remote, b};
        if (pthread_create(&b->thread, NULL, sender, j) == 0) {
            b->in_flight = true;
            return;
        }
        free(j);
    }
    b->rc = post_envelope(ps->p, ps->l->remote, b);
}

/* Waits for the batch's POST; its outcome, with err set from the batch on failure. */
static int wait_batch(struct push *ps, struct batch *b)
{
    if (b->in_flight) {
        pthread_join(b->thread, NULL);
        b->in_flight = false;
    }
    if (b->rc != 0) {
        *ps->err = b->err;
    }
    return b->rc;
}

/* Says and audits what will not reach the peer; inside the caller's transaction. */
static int report(struct push *ps, const struct sync_sent *x, const char *action, const char *why)
{
    char detail[1024], actor[STORE_NAME_MAX + 16], ver[TS_MAX_TEXT];
    ts_format(x->version, 3, ver);
    snprintf(detail, sizeof(detail), "peer=%s collection=%s id=%s version=%s reason=%s",
             ps->p->name, ps->coll.id, x->id, ver, why);
    snprintf(actor, sizeof(actor), "sync:%s", ps->p->name);
    log_warn("sync: peer %s: %s %s: %s", ps->p->name,
             strcmp(action, "sync.push_refused") == 0 ? "refused" : "gave up on", x->id, why);
    return access_audit(ps->s, actor, action, detail, ps->err);
}

/* Records the outcome of one envelope, in the caller's transaction: successes leave the
 * retry queue, TLP refusals leave it reported, failures (re)enter it until they have had
 * SYNC_PUSH_ATTEMPTS sends. */
static int settle(struct push *ps, const struct batch *b)
{
    ps->st->sent += b->n_sent;
    for (size_t k = 0; k < b->n_sent; k++) {
        const struct sync_sent *x = &b->sent[k];
        struct store_retry q = {
            .peer = ps->p->id, .version = x->version, .attempts = x->attempts + 1};
        str_copy(q.local, sizeof(q.local), ps->l->local);
        str_copy(q.remote, sizeof(q.remote), ps->l->remote);
        str_copy(q.stix_id, sizeof(q.stix_id), x->id);
        str_copy(q.error, sizeof(q.error), x->msg);
        int rc = 0;
        switch (x->outcome) {
        case SYNC_TAKEN:
            ps->st->accepted++;
            rc = x->attempts > 0 ? store_push_retry_remove(ps->s, &q, ps->err) : 0;
            break;
        case SYNC_REFUSED:
            ps->st->refused++;
            rc = (x->attempts > 0 ? store_push_retry_remove(ps->s, &q, ps->err) : 0) ||
                 report(ps, x, "sync.push_refused", x->msg);
            break;
        case SYNC_PENDING:
        case SYNC_FAILED:
            if (q.attempts >= SYNC_PUSH_ATTEMPTS) {
                ps->st->gave_up++;
                rc = store_push_retry_remove(ps->s, &q, ps->err) ||
                     report(ps, x, "sync.push_failed", x->msg);
            } else {
                ps->st->retrying++;
                rc = store_push_retry_put(ps->s, &q, ps->err);
            }
            break;
        }
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

/* Sends the queued retries of the link again, SYNC_PAGE_LIMIT at a time. */
static int push_retries(struct push *ps)
{
    struct store_retry *q = NULL;
    size_t n = 0;
    if (store_push_retry_list(ps->s, ps->l, ps->p->id, SYNC_PAGE_LIMIT, &q, &n, ps->err) != 0) {
        return -1;
    }
    struct batch *b = &ps->b[0];
    int rc = envelope_start(ps, b);
    size_t gone = 0;
    struct store_retry *dropped = calloc(n ? n : 1, sizeof(*dropped));
    if (dropped == NULL) {
        free(q);
        return err_set(ps->err, "out of memory");
    }
    for (size_t i = 0; i < n && rc == 0 && !b->full; i++) {
        struct store_query sq = {.coll = ps->coll.id,
                                 .added_after = -1,
                                 .limit = 1,
                                 .n_ids = 1,
                                 .n_versions = 1,
                                 .tlp_mask = ps->mask};
        sq.ids[0] = q[i].stix_id;
        sq.versions[0] = q[i].version;
        size_t before = b->n_sent;
        bool more;
        rc = store_query_run(ps->s, &sq, add_row, ps, &more, ps->err) != 0 || b->failed ? -1 : 0;
        if (rc == 0 && b->full && b->n_sent == before) {
            break; /* the envelope is full: this one waits for the next round, still queued */
        }
        if (rc == 0 && b->n_sent == before) {
            dropped[gone++] = q[i]; /* deleted, or no longer for this peer */
        } else if (rc == 0) {
            b->sent[b->n_sent - 1].attempts = q[i].attempts;
        }
    }
    if (rc == 0 && b->n_env > 0) {
        send_batch(ps, b);
        rc = wait_batch(ps, b);
    }
    if (rc == 0 && (b->n_sent > 0 || gone > 0)) {
        rc = store_begin(ps->s, ps->err);
        for (size_t i = 0; i < gone && rc == 0; i++) {
            rc = store_push_retry_remove(ps->s, &dropped[i], ps->err);
        }
        rc = rc == 0 ? settle(ps, b) : rc;
        rc = rc == 0 ? store_commit(ps->s, ps->err) : rc;
        if (rc != 0) {
            store_rollback(ps->s);
        }
    }
    free(dropped);
    free(q);
    return rc;
}

/* Waits for a sent batch, then records its outcome and moves the cursor past it, in one
 * commit. */
static int finish_batch(struct push *ps, struct batch *b)
{
    if (b->n_env > 0 && wait_batch(ps, b) != 0) {
        return -1; /* the cursor stays: the page goes again next round */
    }
    char text[32];
    snprintf(text, sizeof(text), "%lld", (long long)b->last);
    if (store_begin(ps->s, ps->err) != 0 || settle(ps, b) != 0 ||
        store_link_cursor_set(ps->s, ps->l, text, ps->err) != 0 ||
        store_commit(ps->s, ps->err) != 0) {
        store_rollback(ps->s);
        return -1;
    }
    return 0;
}

/* Reads the link's collection, the organisation's standing in it and the TLP levels it
 * may read there: 0 shared with it, 1 no such collection, 2 not shared, -1 error. */
static int load_collection(struct push *ps)
{
    int found = store_collection_get(ps->s, ps->l->local, &ps->coll, ps->err);
    if (found != 0) {
        return found;
    }
    if (access_collection_facts(ps->s, &ps->who, &ps->coll, &ps->facts, ps->err) != 0) {
        return -1;
    }
    if (access_decide(&ps->who, ACCESS_READ_COLLECTION, &ps->facts, NULL).verdict != ACCESS_ALLOW) {
        return 2;
    }
    ps->mask = access_read_mask(&ps->who, &ps->facts);
    return 0;
}

/* Whether the link may still send: still configured, and its collection still shared
 * with the peer's organisation. Read again before every page, so that an analyst who
 * drops the link (peer set --drop-push) or takes the organisation out of the audience
 * stops a round already running, and the TLP levels and audience each page is judged by
 * are the current ones. 0 yes, 1 no, -1 error. */
static int still_sending(struct push *ps)
{
    bool exists = false;
    if (store_peer_link_exists(ps->s, ps->l, &exists, ps->err) != 0) {
        return -1;
    }
    int rc = exists ? load_collection(ps) : 1;
    return rc > 0 ? 1 : rc;
}

/* The new versions of the link, page by page: while pages are on their way (the peer
 * parses, verifies and stores them), the next is read and sent, up to PUSH_IN_FLIGHT at
 * once; they are settled in order, so the cursor never passes a page that is not. */
static int push_new(struct push *ps, int64_t cursor)
{
    struct batch *queue[PUSH_IN_FLIGHT]; /* sent, not yet settled: oldest first */
    int queued = 0, next = 0, rc = 0;
    for (;;) {
        if (queued == PUSH_IN_FLIGHT) { /* every batch is out: settle the oldest */
            rc = finish_batch(ps, queue[0]);
            memmove(queue, queue + 1, (size_t)--queued * sizeof(*queue));
            if (rc != 0) {
                break;
            }
        }
        int go = still_sending(ps);
        if (go != 0) {
            rc = go < 0 ? -1 : 0;
            break;
        }
        struct batch *b = &ps->b[next]; /* round robin: the one settled longest ago */
        next = (next + 1) % PUSH_IN_FLIGHT;
        struct store_query q = {.coll = ps->coll.id,
                                .added_after = cursor,
                                .limit = SYNC_PAGE_LIMIT,
                                .want_all = true, /* every version is pushed */
                                .tlp_mask = ps->mask};
        bool more = false;
        if (envelope_start(ps, b) != 0) {
            rc = -1;
            break;
        }
        b->last = cursor;
        if (store_query_run(ps->s, &q, add_row, ps, &more, ps->err) != 0 || b->failed) {
            rc = -1;
            break;
        }
        if (b->last == cursor) {
            break; /* nothing new */
        }
        if (b->n_env > 0) {
            send_batch(ps, b);
        }
        queue[queued++] = b;
        cursor = b->last;
        if (!more && !b->full) {
            break;
        }
    }
    /* the rest in order; after a failure only waited for, not settled */
    for (int i = 0; i < queued; i++) {
        if (rc == 0) {
            rc = finish_batch(ps, queue[i]);
        } else if (queue[i]->in_flight) {
            struct err keep = *ps->err;
            (void)wait_batch(ps, queue[i]);
            *ps->err = keep;
        }
    }
    return rc;
}

static int push_link(void *ctx, const struct store_link *l)
{
    struct push *ps = ctx;
    const struct store_peer *p = ps->p;
    ps->l = l;
    int state = load_collection(ps);
    if (state == 1) {
        return err_set(ps->err, "peer %s: no local collection '%s'", p->name, l->local);
    }
    if (state == 2) {
        return err_set(ps->err,
                       "peer %s: collection %s is not shared with the peer's organisation: "
                       "nothing of it is pushed (add the organisation to its audience)",
                       p->name, l->local);
    }
    if (state != 0) {
        return -1;
    }
    ps->st->push_links++;
    int64_t cursor = -1;
    if (l->cursor[0] != '\0' && str_to_i64(l->cursor, 0, INT64_MAX, &cursor) != 0) {
        return err_set(ps->err, "peer %s: push cursor of %s is not a time", p->name, l->local);
    }
    return push_retries(ps) == 0 ? push_new(ps, cursor) : -1;
}

static int has_link(void *ctx, const struct store_link *l)
{
    (void)l;
    *(bool *)ctx = true;
    return 1;
}

/* The peer's max_content_length from its API root (TAXII 2.1 section 4.2): no envelope
 * goes over it. */
static int peer_limit(struct push *ps)
{
    struct batch *b = &ps->b[0];
    long status = 0;
    if (sync_http(b->c, ps->p, ps->p->url, NULL, &b->r, &status, ps->err) != 0) {
        return -1;
    }
    if (status != 200) {
        return sync_http_failed(ps->p, "reading its API root", status, &b->r, ps->err);
    }
    struct err perr;
    json_t *root = jx_parse(b->r.body.data ? b->r.body.data : "", b->r.body.len, 8, &perr);
    json_int_t max = json_integer_value(json_object_get(root, "max_content_length"));
    json_decref(root);
    if (max > 1024 && (uint64_t)max < ps->max_bytes) {
        ps->max_bytes = (size_t)max;
    }
    return 0;
}

int sync_push(struct store *s, const struct store_peer *p, const struct sync_env *env, CURL *c,
              struct sync_stats *st, struct err *err)
{
    struct push ps = {.s = s, .p = p, .signer = env->signer, .st = st, .err = err};
    ps.who = (struct access_subject){.authenticated = true,
                                     .org_id = p->org_id,
                                     .role = STORE_ROLE_SYNC,
                                     .transitive = p->transitive};
    snprintf(ps.who.key_id, sizeof(ps.who.key_id), "push:%.24s", p->name);
    int rc = 0;
    ps.max_bytes = SYNC_PUSH_MAX_BYTES;
    for (int k = 0; k < PUSH_IN_FLIGHT; k++) {
        struct batch *b = &ps.b[k];
        buf_init(&b->r.body, SYNC_MAX_RESPONSE);
        b->r.cancel = env->cancel;
        buf_init(&b->env, (size_t)SYNC_PUSH_MAX_BYTES * 2);
        /* the round's handle for one, a second for the envelope in flight beside it */
        b->c = k == 0 ? c : curl_easy_init();
        if (b->c == NULL) {
            rc = err_set(err, "out of memory");
        }
    }
    bool any = false;
    if (rc == 0 && store_peer_links(s, p->id, true, has_link, &any, err) != 0) {
        rc = -1;
    }
    if (rc == 0 && any) {
        rc = peer_limit(&ps);
    }
    if (rc == 0 && any) {
        rc = store_peer_links(s, p->id, true, push_link, &ps, err);
    }
    for (int k = 0; k < PUSH_IN_FLIGHT; k++) {
        struct batch *b = &ps.b[k];
        buf_fini(&b->env);
        buf_fini(&b->r.body);
        free(b->sent);
        if (k > 0 && b->c != NULL) {
            curl_easy_cleanup(b->c);
        }
    }
    return rc;
}
