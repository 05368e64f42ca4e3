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

int sync_round(struct store *s, const struct store_peer *p, const struct sync_env *env,
               struct sync_stats *st, struct err *err)
{
    memset(st, 0, sizeof(*st));
    if (p->url[0] == '\0') {
        return 0; /* the peer only sends to us (pushes, with the key we issued it) */
    }
    struct store_peer q = *p; /* with the key it issued us, unsealed for this round */
    int rc = sync_check_url(p->url, err);
    rc = rc == 0 ? access_unseal(env->seal, p->key, q.key, sizeof(q.key), err) : rc;
    CURL *c = rc == 0 ? curl_easy_init() : NULL;
    if (rc == 0 && c == NULL) {
        rc = err_set(err, "out of memory");
    }
    rc = rc == 0 ? sync_pull(s, &q, env, c, st, err) : rc;
    rc = rc == 0 ? sync_push(s, &q, env, c, st, err) : rc;
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

/* One peer's schedule, and its round when one is running. Entries never move or go away
 * while the loop lives, so a worker may hold a pointer to its own. */
struct due {
    int64_t peer;
    ts_us at;      /* when its next round may start */
    bool running;  /* a worker is in a round */
    bool finished; /* ... and has ended it: to be joined */
    pthread_t thread;
    struct store_peer p; /* the peer as the round started */
    struct sync_loop *l;
};

struct sync_loop {
    pthread_t thread;
    pthread_mutex_t mu; /* guards the schedule and stop */
    pthread_cond_t cv;
    bool stop;
    atomic_bool cancel; /* rounds in flight stop at their current request */
    char path[4096];
    struct sync_env env; /* the caller's, with the loop's cancel */
    struct due due[MAX_SCHEDULED];
    int n_due;
};

static void log_round(const struct store_peer *p, int rc, const struct sync_stats *st,
                      const struct err *err)
{
    if (rc != 0) {
        log_warn("sync: %s", err->msg);
    }
    if (st->received > 0) {
        log_info("sync: peer %s: %zu objects received, %zu stored, %zu refused", p->name,
                 st->received, st->stored, st->failed);
    }
    if (st->sent > 0) {
        log_info(
            "sync: peer %s: %zu pushed, %zu taken, %zu refused by its rules, %zu to retry, %zu "
            "given up",
            p->name, st->sent, st->accepted, st->refused, st->retrying, st->gave_up);
    }
}

/* One round with one peer, on its own thread and store connection. */
static void *worker(void *arg)
{
    struct due *d = arg;
    struct sync_loop *l = d->l;
    struct store *s = NULL;
    struct sync_stats st = {0};
    struct err err;
    int rc = store_open(l->path, false, &s, &err);
    rc = rc == 0 ? sync_round(s, &d->p, &l->env, &st, &err) : rc;
    store_close(s);
    log_round(&d->p, rc, &st, &err);
    double r01 = (double)randombytes_uniform(1000000) / 1e6;
    double delay = sync_next_delay(d->p.interval, rc == 0 ? 0 : d->p.failures + 1, r01);
    pthread_mutex_lock(&l->mu);
    d->at = ts_now() + (ts_us)(delay * 1e6);
    d->finished = true;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

struct schedule {
    struct sync_loop *l;
    ts_us now, next_wake;
};

/* For each peer (under the loop's lock): start its round when due and idle. */
static int schedule_peer(void *ctx, const struct store_peer *p)
{
    struct schedule *r = ctx;
    struct sync_loop *l = r->l;
    struct due *d = NULL;
    for (int i = 0; i < l->n_due && d == NULL; i++) {
        d = l->due[i].peer == p->id ? &l->due[i] : NULL;
    }
    if (d == NULL && l->n_due < MAX_SCHEDULED) {
        d = &l->due[l->n_due++];
        *d = (struct due){.peer = p->id, .l = l};
    }
    if (d == NULL || l->stop || p->url[0] == '\0') {
        return 0; /* beyond the schedule's size, stopping, or a peer that only sends to us */
    }
    if (d->finished) {
        pthread_join(d->thread, NULL);
        d->running = d->finished = false;
    }
    if (!d->running && d->p.id != 0 &&
        (strcmp(d->p.url, p->url) != 0 || strcmp(d->p.pin, p->pin) != 0 ||
         strcmp(d->p.key, p->key) != 0 || d->p.interval != p->interval)) {
        d->at = 0; /* changed (peer set): no waiting out a backoff meant for the old one */
    }
    if (!d->running && d->at <= r->now) {
        d->p = *p;
        if (pthread_create(&d->thread, NULL, worker, d) == 0) {
            d->running = true;
        } else {
            log_warn("sync: peer %s: cannot start a thread for its round", p->name);
            d->at = r->now + 1000000;
        }
    }
    if (!d->running && (r->next_wake == 0 || d->at < r->next_wake)) {
        r->next_wake = d->at;
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
        struct schedule r = {l, ts_now(), 0};
        if (store_peer_list(s, schedule_peer, &r, &err) != 0) {
            log_warn("sync: %s", err.msg);
        }
        /* until the next peer is due, a round ends, or a second (new peers, stop) */
        ts_us cap = ts_now() + 1000000;
        ts_us wake = r.next_wake && r.next_wake < cap ? r.next_wake : cap;
        struct timespec ts = {(time_t)(wake / 1000000), (long)(wake % 1000000) * 1000};
        if (!l->stop) {
            pthread_cond_timedwait(&l->cv, &l->mu, &ts);
        }
    }
    pthread_mutex_unlock(&l->mu);
    /* stopping: rounds in flight end at their current request */
    for (int i = 0; i < l->n_due; i++) {
        if (l->due[i].running) {
            pthread_join(l->due[i].thread, NULL);
        }
    }
    store_close(s);
    return NULL;
}

int sync_loop_start(const char *db_path, const struct sync_env *env, struct sync_loop **out,
                    struct err *err)
{
    struct sync_loop *l = calloc(1, sizeof(*l));
    if (l == NULL) {
        return err_set(err, "out of memory");
    }
    l->env = *env;
    atomic_init(&l->cancel, false);
    l->env.cancel = &l->cancel;
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
    atomic_store(&l->cancel, true);
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    sodium_memzero(l->env.seal, sizeof(l->env.seal));
    free(l);
}
