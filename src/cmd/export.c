/*
 * export.c — `certmesh export --collection C`: writes the collection as one STIX bundle on
 * stdout, in date_added order, streaming page by page so memory stays flat.
 */
#include "cmd/cmd.h"
#include "taxii/taxii.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh export --collection C --data DIR [--match-type T[,T...]]\n"
    "                       [--added-after TIMESTAMP] [--all-versions]\n"
    "\n"
    "Writes the collection (id or alias) as a STIX 2.1 bundle on stdout: the latest\n"
    "version of each object, or every version with --all-versions. This is an operator's\n"
    "view: every TLP level is included.\n";

struct export_ctx {
    size_t n;
    ts_us last;
};

static int write_row(void *ctx, const struct store_row *row)
{
    struct export_ctx *e = ctx;
    if (e->n++ > 0) {
        fputs(",\n", stdout);
    }
    fwrite(row->json, 1, row->json_len, stdout);
    e->last = row->date_added;
    return 0;
}

int cmd_export(int argc, char **argv)
{
    const char *data = NULL, *coll_s = NULL, *types = NULL, *after = NULL;
    bool all = false;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data),        CMD_VALUE("collection", &coll_s),
                             CMD_VALUE("match-type", &types), CMD_VALUE("added-after", &after),
                             CMD_FLAG("all-versions", &all),  CMD_END};
    struct cmd_args a;
    struct err err;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (coll_s == NULL || a.n_pos != 0) {
        fputs(usage, stderr);
        return 2;
    }
    struct store_query q;
    memset(&q, 0, sizeof(q));
    q.added_after = -1;
    if (after != NULL && ts_parse(after, &q.added_after, NULL) != 0) {
        cmd_error("--added-after: not an RFC 3339 timestamp");
        return 2;
    }
    char typebuf[4096];
    if (types != NULL) {
        if (str_copy(typebuf, sizeof(typebuf), types) != 0) {
            cmd_error("--match-type: too long");
            return 2;
        }
        char *save = NULL;
        for (char *t = strtok_r(typebuf, ",", &save); t && q.n_types < STORE_MATCH_MAX;
             t = strtok_r(NULL, ",", &save)) {
            q.types[q.n_types++] = t;
        }
    }
    struct store *s = cmd_open_store(data);
    if (s == NULL) {
        return 1;
    }
    int rc = 1;
    struct store_collection coll;
    int found = store_collection_get(s, coll_s, &coll, &err);
    if (found != 0) {
        cmd_error(found < 0 ? "%s" : "no collection '%s'", found < 0 ? err.msg : coll_s);
        goto out;
    }
    q.coll = coll.id;
    q.limit = 1000;
    q.want_all = all;
    q.want_last = !all;
    q.tlp_mask = ~0u;
    char bundle[UUID_TEXT];
    uuid_v4(bundle);
    printf("{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[\n", bundle);
    struct export_ctx e = {0, 0};
    bool more = true;
    while (more) {
        if (store_query_run(s, &q, write_row, &e, &more, &err) != 0) {
            cmd_error("%s", err.msg);
            goto out;
        }
        q.added_after = e.last;
    }
    printf("\n]}\n");
    fprintf(stderr, "exported %zu objects from %s\n", e.n, coll.id);
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    store_close(s);
    return rc;
}
