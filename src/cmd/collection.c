/*
 * collection.c — `certmesh collection add|list|grant`: collections, who may read them
 * (their audience) and who may write to them.
 */
#include "cmd/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh collection add --title TITLE --audience AUDIENCE --data DIR\n"
    "                               [--alias ALIAS] [--description TEXT] [--write ORG,...]\n"
    "       certmesh collection list --data DIR\n"
    "       certmesh collection grant COLLECTION --data DIR [--audience ORG,...] [--write "
    "ORG,...]\n"
    "\n"
    "AUDIENCE is 'public' (readable without a key, TLP:CLEAR only), 'community' (every\n"
    "organisation on the node; CLEAR and GREEN) or a comma-separated list of organisations\n"
    "(any TLP). --write grants organisations the right to add objects.\n"
    "  add     prints the new collection's id on stdout\n"
    "  list    prints ID<TAB>ALIAS<TAB>AUDIENCE<TAB>WRITERS<TAB>OBJECTS<TAB>TITLE\n"
    "  grant   adds organisations to an explicit audience or to the writers\n";

/* Grants each organisation of a comma list; returns -1 after printing on failure. */
static int grant_list(struct store *s, const char *coll, const char *list, bool write)
{
    char copy[4096];
    struct err err;
    if (str_copy(copy, sizeof(copy), list) != 0) {
        cmd_error("organisation list too long");
        return -1;
    }
    char *save = NULL;
    for (char *org = strtok_r(copy, ",", &save); org != NULL; org = strtok_r(NULL, ",", &save)) {
        int64_t id;
        if (cmd_org_id(s, org, &id) != 0) {
            return -1;
        }
        if (store_collection_grant(s, coll, id, write, &err) != 0) {
            cmd_error("%s", err.msg);
            return -1;
        }
    }
    return 0;
}

static int print_coll(void *ctx, const struct store_collection *c)
{
    struct store *s = ctx;
    struct buf readers, writers;
    struct err err;
    buf_init(&readers, 65536);
    buf_init(&writers, 65536);
    if (store_collection_members(s, c->id, false, &readers, &err) != 0 ||
        store_collection_members(s, c->id, true, &writers, &err) != 0) {
        cmd_error("%s", err.msg);
    }
    const char *aud = c->audience == STORE_AUD_PUBLIC      ? "public"
                      : c->audience == STORE_AUD_COMMUNITY ? "community"
                                                           : NULL;
    printf("%s\t%s\t%s%s\t%s\t%lld\t%s\n", c->id, c->alias[0] ? c->alias : "-",
           aud ? aud : "list:", aud ? "" : (readers.data ? readers.data : ""),
           writers.data ? writers.data : "-", (long long)store_object_count(s, c->id), c->title);
    buf_fini(&readers);
    buf_fini(&writers);
    return 0;
}

int cmd_collection(int argc, char **argv)
{
    const char *data = NULL, *title = NULL, *alias = NULL, *desc = NULL, *audience = NULL,
               *write = NULL;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data),
                             CMD_VALUE("title", &title),
                             CMD_VALUE("alias", &alias),
                             CMD_VALUE("description", &desc),
                             CMD_VALUE("audience", &audience),
                             CMD_VALUE("write", &write),
                             CMD_END};
    struct cmd_args a;
    struct err err;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (a.n_pos < 1) {
        fputs(usage, stderr);
        return 2;
    }
    const char *action = a.pos[0];
    bool add = strcmp(action, "add") == 0, list = strcmp(action, "list") == 0,
         grant = strcmp(action, "grant") == 0;
    if (!add && !list && !grant) {
        cmd_error("collection: unknown action '%s'", action);
        fputs(usage, stderr);
        return 2;
    }
    if ((add && (title == NULL || audience == NULL || a.n_pos != 1)) || (list && a.n_pos != 1) ||
        (grant && (a.n_pos != 2 || (audience == NULL && write == NULL)))) {
        fputs(usage, stderr);
        return 2;
    }
    struct store *s = cmd_open_store(data);
    if (s == NULL) {
        return 1;
    }
    int rc = 1;
    if (list) {
        if (store_collection_list(s, print_coll, s, &err) != 0) {
            cmd_error("%s", err.msg);
            goto out;
        }
        rc = 0;
        goto out;
    }
    struct store_collection c;
    memset(&c, 0, sizeof(c));
    char detail[1024];
    if (add) {
        uuid_v4(c.id);
        if (str_copy(c.title, sizeof(c.title), title) != 0 ||
            str_copy(c.alias, sizeof(c.alias), alias ? alias : "") != 0 ||
            str_copy(c.description, sizeof(c.description), desc ? desc : "") != 0) {
            cmd_error("title, alias or description too long");
            goto out;
        }
        if (alias != NULL && (alias[0] == '\0' || strspn(alias, "abcdefghijklmnopqrstuvwxyz"
                                                                "0123456789-_") != strlen(alias))) {
            cmd_error("--alias: lowercase letters, digits, '-' and '_' only");
            goto out;
        }
        c.audience = strcmp(audience, "public") == 0      ? STORE_AUD_PUBLIC
                     : strcmp(audience, "community") == 0 ? STORE_AUD_COMMUNITY
                                                          : STORE_AUD_LIST;
        snprintf(detail, sizeof(detail), "collection=%s title=%.200s audience=%.300s write=%.300s",
                 c.id, title, audience, write ? write : "-");
        if (store_begin(s, &err) != 0) {
            cmd_error("%s", err.msg);
            goto out;
        }
        if (store_collection_add(s, &c, &err) != 0) {
            cmd_error("%s", err.msg);
            goto rollback;
        }
        if ((c.audience == STORE_AUD_LIST && grant_list(s, c.id, audience, false) != 0) ||
            (write != NULL && grant_list(s, c.id, write, true) != 0) ||
            cmd_audit_admin(s, "collection.add", detail) != 0) {
            goto rollback;
        }
        if (store_commit(s, &err) != 0) {
            cmd_error("%s", err.msg);
            goto rollback;
        }
        printf("%s\n", c.id);
        rc = 0;
        goto out;
    }
    int found = store_collection_get(s, a.pos[1], &c, &err);
    if (found != 0) {
        cmd_error(found < 0 ? "%s" : "no collection '%s'", found < 0 ? err.msg : a.pos[1]);
        goto out;
    }
    if (audience != NULL && c.audience != STORE_AUD_LIST) {
        cmd_error("collection %s has a %s audience; only explicit lists take organisations",
                  a.pos[1], c.audience == STORE_AUD_PUBLIC ? "public" : "community");
        goto out;
    }
    snprintf(detail, sizeof(detail), "collection=%s audience+=%.400s write+=%.400s", c.id,
             audience ? audience : "-", write ? write : "-");
    if (store_begin(s, &err) != 0) {
        cmd_error("%s", err.msg);
        goto out;
    }
    if ((audience != NULL && grant_list(s, c.id, audience, false) != 0) ||
        (write != NULL && grant_list(s, c.id, write, true) != 0) ||
        cmd_audit_admin(s, "collection.grant", detail) != 0 || store_commit(s, &err) != 0) {
        goto rollback;
    }
    rc = 0;
    goto out;
rollback:
    store_rollback(s);
out:
    store_close(s);
    return rc;
}
