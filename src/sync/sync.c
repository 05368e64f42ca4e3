/*
 * sync.c — a round with one peer (pull, then push), and the loop `serve` runs: every peer
 * on its own schedule, backing off exponentially with jitter after failures.
 */
#include "sync/internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int sync_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int sync_round(struct store *s, const struct store_peer *p, const struct sync_secrets *sec,
               struct sync_stats *st, struct err *err)
{
    memset(st, 0, sizeof(*st));
    if (p->url[0] == '\0') {
        return 0; /* the peer only sends to us (pushes, with the key we issued it) */
    }
    struct store_peer q = *p; /* with the key it issued us, unsealed for this round */
    int rc = sync_check_url(p->url, err);
    rc = rc == 0 ? access_unseal(sec->seal, p->key, q.key, sizeof(q.key), err) : rc;
    CURL *c = rc == 0 ? curl_easy_init() : NULL;
    if (rc == 0 && c == NULL) {
        rc = err_set(err, "out of memory");
    }
    rc = rc == 0 ? sync_pull(s, &q, c, st, err) : rc;
    rc = rc == 0 ? sync_push(s, &q, sec->signer, c, st, err) : rc;
    curl_easy_cleanup(c);
    sodium_memzero(q.key, sizeof(q.key));
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
    const struct sync_secrets *sec;
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

static int maybe_sync(void *ctx, const struct store_peer *p)
{
    struct loop_round *r = ctx;
    ts_us *at = due_of(r->l, p->id);
    if (at == NULL || r->l->stop) {
        return 0;
    }
    if (*at <= r->now) {
        struct sync_stats st;
        struct err err;
        int rc = sync_round(r->s, p, r->l->sec, &st, &err);
        if (rc != 0) {
            log_warn("sync: %s", err.msg);
        }
        if (st.received > 0) {
            log_info("sync: peer %s: %zu objects received, %zu stored, %zu refused", p->name,
                     st.received, st.stored, st.failed);
        }
        if (st.sent > 0) {
            log_info("sync: peer %s: %zu pushed, %zu taken, %zu refused for TLP, %zu to retry,"
                     " %zu given up",
                     p->name, st.sent, st.accepted, st.refused, st.retrying, st.gave_up);
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
        if (store_peer_list(s, maybe_sync, &r, &err) != 0) {
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

int sync_loop_start(const char *db_path, const struct sync_secrets *sec, struct sync_loop **out,
                    struct err *err)
{
    struct sync_loop *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return err_set(err, "out of memory");
    }
    l->sec = sec;
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
