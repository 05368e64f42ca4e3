/*
 * pull.c — pulling from a peer over TAXII 2.1 (section 5.3, Get Objects).
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
#include "sync/internal.h"

#include "taxii/taxii.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct pull {
    struct store *s;
    const struct store_peer *p;
    struct access_peer_keys keys; /* how what the peer sends is judged */
    struct sync_stats *st;
    CURL *c; /* used by one link's fetcher at a time */
    const atomic_bool *cancel;
    struct err *err;
};

/* One page as the fetcher hands it over: parsed, its signatures checked. */
struct page {
    json_t *env; /* the envelope (owned); objs borrowed from it */
    json_t *objs;
    char *body; /* its text (owned): the objects are stored as they came */
    size_t body_len;
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
        free(pg->body);
        free(pg->v);
        free(pg->signer);
        free(pg->why);
        free(pg);
    }
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
    struct sync_response r;
    char cursor[64], next[SYNC_NEXT_MAX];
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
    if (buf_printf(&url, "%scollections/", p->url) || sync_put_query(&url, f->remote) ||
        buf_printf(&url, "/objects/?limit=%d", SYNC_PAGE_LIMIT) ||
        (f->cursor[0] && (buf_puts(&url, "&added_after=") || sync_put_query(&url, f->cursor))) ||
        (f->next[0] && (buf_puts(&url, "&next=") || sync_put_query(&url, f->next)))) {
        buf_fini(&url);
        err_set(&pg->err, "out of memory");
        return pg;
    }
    long status = 0;
    int rc = sync_http(f->c, p, url.data, NULL, &f->r, &status, &pg->err);
    buf_fini(&url);
    const char *body = f->r.body.data ? f->r.body.data : "";
    if (rc != 0) {
        return pg;
    }
    if (status != 200) {
        char what[200];
        snprintf(what, sizeof(what), "collection %s", f->remote);
        sync_http_failed(p, what, status, &f->r, &pg->err);
        return pg;
    }
    struct sync_envelope e;
    if (sync_envelope_parse(body, f->r.body.len, f->r.last, &e, &pg->err) != 0) {
        char why[ERR_MSG_MAX];
        str_copy(why, sizeof(why), pg->err.msg);
        err_set(&pg->err, "peer %s: collection %s: %.300s", p->name, f->remote, why);
        return pg;
    }
    pg->env = e.env; /* the page owns it now */
    pg->objs = e.objs;
    pg->more = e.more;
    str_copy(pg->last, sizeof(pg->last), e.last);
    size_t n = json_array_size(pg->objs);
    pg->v = calloc(n ? n : 1, sizeof(*pg->v));
    pg->signer = calloc(n ? n : 1, sizeof(*pg->signer));
    pg->why = calloc(n ? n : 1, sizeof(*pg->why));
    /* the next request reuses the response buffer: the page keeps its own text */
    if ((pg->body = malloc(f->r.body.len + 1)) != NULL) {
        memcpy(pg->body, body, f->r.body.len);
        pg->body_len = f->r.body.len;
    }
    if (pg->v == NULL || pg->signer == NULL || pg->why == NULL || pg->body == NULL) {
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
    const char *nx = e.next;
    if (pg->more) {
        if (nx != NULL) {
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
    size_t n = json_array_size(pg->objs);
    if (n > 0) {
        /* the verdicts on the signatures verified as the page arrived; the refused are
         * failed, logged and audited by taxii_ingest() with the rest, in its transaction */
        const char **verdicts = calloc(n, sizeof(*verdicts));
        if (verdicts == NULL) {
            return err_set(pl->err, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            verdicts[i] = access_signature_verdict(&pl->keys, pg->v[i], pg->signer[i]);
            verdicts[i] = verdicts[i] != NULL && pg->v[i] < 0 ? pg->why[i] : verdicts[i];
        }
        char status_id[UUID_TEXT], actor[STORE_NAME_MAX + 16];
        uuid_v4(status_id);
        snprintf(actor, sizeof(actor), "sync:%s", p->name);
        struct taxii_ingest_result res;
        /* not this node's to sign */
        struct taxii_ingest_opts o = {.status_id = status_id,
                                      .actor = actor,
                                      .verdicts = verdicts,
                                      .signers = (const char(*)[ACCESS_SIGNING_KEY_B64])pg->signer,
                                      .body = pg->body,
                                      .body_len = pg->body_len};
        int rc = taxii_ingest(pl->s, who, coll, pg->objs, &o, &res, pl->err);
        free(verdicts);
        if (rc != 0) {
            return -1;
        }
        pl->st->received += res.total;
        pl->st->stored += res.ok;
        pl->st->failed += res.failed;
        buf_fini(&res.status_json);
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
    f.r.cancel = pl->cancel;
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

int sync_pull(struct store *s, const struct store_peer *p, const struct sync_env *env, CURL *c,
              struct sync_stats *st, struct err *err)
{
    struct pull pl = {.s = s, .p = p, .st = st, .c = c, .cancel = env->cancel, .err = err};
    if (access_peer_keys_of(s, p, &pl.keys, err) != 0) {
        return -1;
    }
    return store_peer_links(s, p->id, false, pull_link, &pl, err);
}
