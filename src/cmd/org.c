/*
 * org.c — `certmesh org add|list`: the organisations (CERTs and their constituents) that
 * hold keys on this node and appear in collection audiences.
 */
#include "cmd/cmd.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh org add NAME --data DIR\n"
    "       certmesh org list --data DIR\n"
    "\n"
    "  add    creates an organisation; prints its STIX identity id on stdout\n"
    "  list   prints one line per organisation: NAME<TAB>IDENTITY\n"
    "Names are 1-127 characters of letters, digits, '.', '_' and '-'.\n";

static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    return len > 0 && len < STORE_NAME_MAX &&
           strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

static int print_org(void *ctx, const struct store_org *o)
{
    (void)ctx;
    printf("%s\t%s\n", o->name, o->identity);
    return 0;
}

int cmd_org(int argc, char **argv)
{
    const char *data = NULL;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data), CMD_END};
    struct cmd_args a;
    struct err err;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (a.n_pos < 1 || (strcmp(a.pos[0], "add") == 0 && a.n_pos != 2) ||
        (strcmp(a.pos[0], "list") == 0 && a.n_pos != 1)) {
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(a.pos[0], "add") != 0 && strcmp(a.pos[0], "list") != 0) {
        cmd_error("org: unknown action '%s'", a.pos[0]);
        fputs(usage, stderr);
        return 2;
    }
    if (strcmp(a.pos[0], "add") == 0 && !name_ok(a.pos[1])) {
        cmd_error("org add: '%s' is not a valid organisation name", a.pos[1]);
        return 2;
    }
    struct store *s = cmd_open_store(data);
    if (s == NULL) {
        return 1;
    }
    int rc = 1;
    if (strcmp(a.pos[0], "list") == 0) {
        if (store_org_list(s, print_org, NULL, &err) != 0) {
            cmd_error("%s", err.msg);
            goto out;
        }
        rc = 0;
        goto out;
    }
    int64_t id;
    char detail[256];
    snprintf(detail, sizeof(detail), "org=%s", a.pos[1]);
    if (store_begin(s, &err) != 0) {
        cmd_error("%s", err.msg);
        goto out;
    }
    if (store_org_add(s, a.pos[1], &id, &err) != 0) {
        store_rollback(s);
        cmd_error("%s", err.msg);
        goto out;
    }
    if (cmd_audit_admin(s, "org.add", detail) != 0 || store_commit(s, &err) != 0) {
        store_rollback(s);
        goto out;
    }
    struct store_org o;
    if (store_org_get(s, a.pos[1], &o, &err) == 0) {
        printf("%s\n", o.identity);
    }
    rc = 0;
out:
    store_close(s);
    return rc;
}
