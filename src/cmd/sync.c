/*
 * sync.c — `certmesh sync --once [PEER]`: one pull round with every peer (or one) and
 * exit, for cron and tests. A peer that fails does not stop the others.
 */
#include "cmd/cmd.h"
#include "sync/sync.h"

#include <stdio.h>
#include <string.h>

static const char usage[] = "usage: certmesh sync --once [PEER] --data DIR\n"
                            "\n"
                            "Pulls every linked collection from each peer (or only PEER) once,\n"
                            "printing one line per peer: NAME, pages, objects received, stored,\n"
                            "refused. Exits 1 if any peer failed.\n";

struct round {
    struct store *s;
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
    if (sync_pull_round(r->s, p, &st, &err) != 0) {
        cmd_error("%s", err.msg);
        r->failed++;
        return 0;
    }
    printf("%s\t%zu\t%zu\t%zu\t%zu\n", p->name, st.pages, st.received, st.stored, st.failed);
    return 0;
}

int cmd_sync(int argc, char **argv)
{
    const char *data = NULL;
    bool once = false;
    struct cmd_opt opts[] = {{"data", &data, NULL}, {"once", NULL, &once}, {NULL, NULL, NULL}};
    struct cmd_args a;
    struct err err;
    if (cmd_parse(argc, argv, opts, &a, usage) != 0) {
        return 2;
    }
    if (a.help) {
        return 0;
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
    struct round r = {s, a.n_pos == 1 ? a.pos[0] : NULL, 0};
    struct store_peer p;
    int rc = 0;
    if (r.only != NULL && (rc = store_peer_get(s, r.only, &p, &err)) != 0) {
        cmd_error(rc > 0 ? "no peer '%s'" : "%s", rc > 0 ? r.only : err.msg);
        store_close(s);
        return 1;
    }
    if (store_peer_list(s, one_peer, &r, &err) != 0) {
        cmd_error("%s", err.msg);
        r.failed++;
    }
    store_close(s);
    return r.failed > 0 ? 1 : 0;
}
