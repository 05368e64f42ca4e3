/*
 * sync.c — `certmesh sync --once [PEER]`: one round (pull, then push) with every peer (or
 * one) and exit, for cron and tests. A peer that fails does not stop the others.
 */
#include "cmd/cmd.h"
#include "sync/sync.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh sync --once [PEER] --data DIR\n"
    "\n"
    "One round with each peer (or only PEER): pulls every collection linked for pulling,\n"
    "then pushes every collection linked for pushing. Prints one line per peer: NAME,\n"
    "pages, objects received, stored, refused; and for a peer with pushed collections a\n"
    "second: NAME, \"push\", versions sent, taken, refused by the peer's TLP or STIX\n"
    "versioning rules (final), queued to be sent again, given up. Exits 1 if any peer\n"
    "failed; the others still run.\n";

struct round {
    struct store *s;
    const struct sync_env *env;
    const char *only;
    int failed;
};

static int one_peer(void *ctx, const struct store_peer *p)
{
    struct round *r = ctx;
    if (r->only != NULL && strcmp(r->only, p->name) != 0) {
        return 0;
    }
    struct sync_stats st;
    struct err err;
    if (sync_round(r->s, p, r->env, &st, &err) != 0) {
        cmd_error("%s", err.msg);
        r->failed++;
        return 0;
    }
    if (p->url[0] == '\0') {
        return 0; /* it only sends to us */
    }
    printf("%s\t%zu\t%zu\t%zu\t%zu\n", p->name, st.pages, st.received, st.stored, st.failed);
    if (st.push_links > 0) {
        printf("%s\tpush\t%zu\t%zu\t%zu\t%zu\t%zu\n", p->name, st.sent, st.accepted, st.refused,
               st.retrying, st.gave_up);
    }
    return 0;
}

int cmd_sync(int argc, char **argv)
{
    const char *data = NULL;
    bool once = false;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data), CMD_FLAG("once", &once), CMD_END};
    struct cmd_args a;
    struct err err;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (!once || a.n_pos > 1) {
        fputs(usage, stderr);
        return 2;
    }
    if (sync_global_init() != 0) {
        cmd_error("cannot initialise libcurl");
        return 1;
    }
    struct store *s = cmd_open_store(data);
    if (s == NULL) {
        return 1;
    }
    struct access_signer signer;
    struct sync_env env = {.signer = &signer};
    unsigned char pepper[ACCESS_PEPPER_BYTES];
    if (cmd_load_pepper(data, pepper) != 0 || cmd_load_signer(data, s, &signer) != 0) {
        store_close(s);
        return 1;
    }
    access_seal_key(pepper, env.seal);
    sodium_memzero(pepper, sizeof(pepper));
    struct round r = {s, &env, a.n_pos == 1 ? a.pos[0] : NULL, 0};
    struct store_peer p;
    int rc = 0;
    if (r.only != NULL && (rc = store_peer_get(s, r.only, &p, &err)) != 0) {
        cmd_error(rc > 0 ? "no peer '%s'" : "%s", rc > 0 ? r.only : err.msg);
        access_signer_fini(&signer);
        sodium_memzero(env.seal, sizeof(env.seal));
        store_close(s);
        return 1;
    }
    if (store_peer_list(s, one_peer, &r, &err) != 0) {
        cmd_error("%s", err.msg);
        r.failed++;
    }
    access_signer_fini(&signer);
    sodium_memzero(env.seal, sizeof(env.seal));
    store_close(s);
    return r.failed > 0 ? 1 : 0;
}
