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

#endif
