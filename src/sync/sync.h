/*
 * sync — federation: this node pulls from and pushes to its peers over standard TAXII 2.1
 * (libcurl), attributes what it receives to the peer's organisation, and keeps every TLP
 * promise across the border. This first part pulls: one round over a peer's pulled
 * collections, paging with added_after from a cursor that advances only after a page is
 * committed.
 */
#ifndef CERTMESH_SYNC_H
#define CERTMESH_SYNC_H

#include "access/access.h"
#include "base/base.h"
#include "store/store.h"

#define SYNC_PAGE_LIMIT   1000        /* objects asked for per request */
#define SYNC_MAX_RESPONSE (64u << 20) /* bytes of one response body */

struct sync_stats {
    size_t pages, received, stored, failed;
};

/* Initialises libcurl once per process; call before any thread starts. 0 or -1. */
int sync_global_init(void);

/* Pulls every collection linked for pulling from peer p into its local collection, as
 * the peer's organisation (the node's access rules decide what it may write). The peer's
 * TLS public key must match p->pin before any credential is sent; plain http is only
 * allowed to loopback addresses (tests). Returns 0, or -1 with err saying what failed
 * (the peer's outcome is also recorded in the store). */
int sync_pull_round(struct store *s, const struct store_peer *p, struct sync_stats *st,
                    struct err *err) BASE_WARN_UNUSED;

/* ---- the loop `serve` runs ------------------------------------------------------------- */

#define SYNC_BACKOFF_MAX 3600 /* seconds: the longest wait after failures */

/* The wait before a peer's next round: its interval after a success; after n failures in
 * a row, interval * 2^n capped at SYNC_BACKOFF_MAX, times a random factor in [0.5, 1.5)
 * so that peers that failed together do not retry together. In seconds. */
double sync_next_delay(int64_t interval, int64_t failures, double random01);

struct sync_loop;

/* Starts a thread that runs pull rounds for every peer of the store at path, each on its
 * own schedule; a failing peer backs off without delaying the others' schedules. Peers
 * added while it runs are picked up. Returns 0, or -1 with err. */
int sync_loop_start(const char *db_path, struct sync_loop **out, struct err *err) BASE_WARN_UNUSED;
/* Stops the loop after the round in progress (NULL is a no-op). */
void sync_loop_stop(struct sync_loop *l);

#endif
