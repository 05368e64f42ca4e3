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

#define SYNC_PAGE_LIMIT     1000        /* objects asked for, or sent, per request */
#define SYNC_MAX_RESPONSE   (64u << 20) /* bytes of one response body */
#define SYNC_PUSH_MAX_BYTES (8u << 20)  /* bytes of one pushed envelope (about) */
#define SYNC_PUSH_ATTEMPTS  5           /* sends of a version before it is reported */
#define SYNC_STATUS_WAIT    60          /* seconds a pending status resource is followed */

struct sync_stats {
    /* pulled */
    size_t pages, received, stored, failed;
    /* pushed: links, versions sent, taken by the peer, refused for TLP (final), queued for
     * another attempt, given up after SYNC_PUSH_ATTEMPTS */
    size_t push_links, sent, accepted, refused, retrying, gave_up;
};

/* Initialises libcurl once per process; call before any thread starts. 0 or -1. */
int sync_global_init(void);

/* What a round needs of this node's secrets. */
struct sync_secrets {
    const struct access_signer *signer;        /* see sync_round; may be NULL */
    unsigned char seal[ACCESS_SEAL_KEY_BYTES]; /* opens the keys peers issued (access_seal) */
};

/* One round with peer p: pulls every collection linked for pulling into its local
 * collection as the peer's organisation, then pushes every collection linked for pushing
 * (sec->signer signs versions this node originated that were stored unsigned). The key
 * the peer issued is unsealed with sec->seal for the round only.
 * A peer without a URL only sends to us: nothing to do. The outcome is recorded in the
 * store for `peer status`. Returns 0, or -1 with err saying what failed. */
int sync_round(struct store *s, const struct store_peer *p, const struct sync_secrets *sec,
               struct sync_stats *st, struct err *err) BASE_WARN_UNUSED;

/* ---- the loop `serve` runs ------------------------------------------------------------- */

#define SYNC_BACKOFF_MAX 3600 /* seconds: the longest wait after failures */

/* The wait before a peer's next round: its interval after a success; after n failures in
 * a row, interval * 2^n capped at SYNC_BACKOFF_MAX, times a random factor in [0.5, 1.5)
 * so that peers that failed together do not retry together. In seconds. */
double sync_next_delay(int64_t interval, int64_t failures, double random01);

struct sync_loop;

/* Starts a thread that runs rounds for every peer of the store at path, each on its own
 * schedule; a failing peer backs off without delaying the others' schedules. Peers added
 * while it runs are picked up. sec must outlive the loop. Returns 0, or -1 with err. */
int sync_loop_start(const char *db_path, const struct sync_secrets *sec, struct sync_loop **out,
                    struct err *err) BASE_WARN_UNUSED;
/* Stops the loop after the round in progress (NULL is a no-op). */
void sync_loop_stop(struct sync_loop *l);

#endif
