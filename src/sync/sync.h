/*
 * sync — federation: this node pulls from and pushes to its peers over standard TAXII 2.1
 * (libcurl), attributes what it receives to the peer's organisation, and keeps every TLP
 * promise across the border: what leaves is decided by access_decide() as if the peer's
 * sync key read it; what arrives is stored through taxii_ingest() as the peer's
 * organisation, its signatures judged by access_signature_verdict().
 */
#ifndef CERTMESH_SYNC_H
#define CERTMESH_SYNC_H

#include "access/access.h"
#include "base/base.h"
#include "store/store.h"

#include <stdatomic.h>

#define SYNC_PAGE_LIMIT     1000        /* objects asked for, or sent, per request */
#define SYNC_MAX_RESPONSE   (64u << 20) /* bytes of one response body */
#define SYNC_PUSH_MAX_BYTES (8u << 20)  /* bytes of one pushed envelope (about) */
#define SYNC_PUSH_ATTEMPTS  5           /* sends of a version before it is reported */
#define SYNC_STATUS_WAIT    60          /* seconds a pending status resource is followed */

struct sync_stats {
    /* pulled */
    size_t pages, received, stored, failed;
    /* pushed: links, versions sent, taken by the peer, refused by its TLP or versioning
     * rules (final), queued for
     * another attempt, given up after SYNC_PUSH_ATTEMPTS */
    size_t push_links, sent, accepted, refused, retrying, gave_up;
};

/* Initialises libcurl once per process; call before any thread starts. 0 or -1. */
int sync_global_init(void);

/* What a round needs of the node. */
struct sync_env {
    const struct access_signer *signer;        /* see sync_round; may be NULL */
    unsigned char seal[ACCESS_SEAL_KEY_BYTES]; /* opens the keys peers issued (access_seal) */
    const atomic_bool *cancel; /* when it becomes true, requests in flight stop (NULL: never) */
};

/* One round with peer p: pulls every collection linked for pulling into its local
 * collection as the peer's organisation, then pushes every collection linked for pushing
 * (env->signer signs versions this node originated that were stored unsigned). The key
 * the peer issued is unsealed with env->seal for the round only.
 * A peer without a URL only sends to us: nothing to do. The outcome is recorded in the
 * store for `peer status`. Returns 0, or -1 with err saying what failed. */
int sync_round(struct store *s, const struct store_peer *p, const struct sync_env *env,
               struct sync_stats *st, struct err *err) BASE_WARN_UNUSED;

/* ---- the loop `serve` runs ------------------------------------------------------------- */

#define SYNC_BACKOFF_MAX 3600 /* seconds: the longest wait after failures */

/* The wait before a peer's next round: its interval after a success; after n failures in
 * a row, interval * 2^n capped at SYNC_BACKOFF_MAX, times a random factor in [0.5, 1.5)
 * so that peers that failed together do not retry together. In seconds. */
double sync_next_delay(int64_t interval, int64_t failures, double random01);

struct sync_loop;

/* Starts a thread that schedules rounds for every peer of the store at path, each on its
 * own schedule and its own thread (with its own store connection), so a peer that is slow
 * or silent delays no other; a failing peer backs off. Peers added while it runs are
 * picked up. env must outlive the loop (its cancel is the loop's own). 0, or -1 with err. */
int sync_loop_start(const char *db_path, const struct sync_env *env, struct sync_loop **out,
                    struct err *err) BASE_WARN_UNUSED;
/* Stops the loop: rounds in progress are cancelled at their current request and joined
 * (NULL is a no-op). */
void sync_loop_stop(struct sync_loop *l);

#endif
