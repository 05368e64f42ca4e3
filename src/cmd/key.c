/*
 * key.c — `certmesh key new|list|revoke`: API keys. A new key's secret is printed once,
 * as ID:SECRET, and only its keyed hash is kept.
 */
#include "cmd/cmd.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh key new --org ORG --role ROLE --data DIR [--expires TIMESTAMP]\n"
    "       certmesh key list --data DIR [--org ORG]\n"
    "       certmesh key revoke KEY_ID --data DIR\n"
    "\n"
    "  new      creates a key and prints ID:SECRET on stdout (the secret is shown only once)\n"
    "  list     prints ID<TAB>ORG<TAB>ROLE<TAB>STATE\n"
    "  revoke   revokes a key at once\n"
    "Roles: admin, analyst, sync, reader. Clients send the key as HTTP Basic\n"
    "(user ID, password SECRET) or as 'Authorization: Bearer ID:SECRET'.\n";

struct list_ctx {
    struct store *s;
};

static int print_key(void *ctx, const struct store_key *k)
{
    struct list_ctx *l = ctx;
    struct store_org o;
    struct err err;
    const char *state = k->revoked                                    ? "revoked"
                        : (k->expires != 0 && k->expires <= ts_now()) ? "expired"
                                                                      : "active";
    if (store_org_get_id(l->s, k->org_id, &o, &err) != 0) {
        str_copy(o.name, sizeof(o.name), "?");
    }
    printf("%s\t%s\t%s\t%s\n", k->id, o.name, store_role_name(k->role), state);
    return 0;
}

int cmd_key(int argc, char **argv)
{
    const char *data = NULL, *org = NULL, *role_s = NULL, *expires_s = NULL;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data), CMD_VALUE("org", &org),
                             CMD_VALUE("role", &role_s), CMD_VALUE("expires", &expires_s), CMD_END};
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
    enum store_role role = STORE_ROLE_READER;
    ts_us expires = 0;
    if (strcmp(action, "new") == 0) {
        if (org == NULL || role_s == NULL || a.n_pos != 1) {
            fputs(usage, stderr);
            return 2;
        }
        if (store_role_parse(role_s, &role) != 0) {
            cmd_error("--role: expected admin, analyst, sync or reader, not '%s'", role_s);
            return 2;
        }
        if (expires_s != NULL && ts_parse(expires_s, &expires, NULL) != 0) {
            cmd_error("--expires: expected an RFC 3339 timestamp such as 2027-01-01T00:00:00Z");
            return 2;
        }
    } else if (strcmp(action, "revoke") == 0) {
        if (a.n_pos != 2) {
            fputs(usage, stderr);
            return 2;
        }
    } else if (strcmp(action, "list") != 0 || a.n_pos != 1) {
        cmd_error("key: unknown action '%s'", action);
        fputs(usage, stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        cmd_error("libsodium failed to initialise");
        return 1;
    }
    struct store *s = cmd_open_store(data);
    if (s == NULL) {
        return 1;
    }
    int rc = 1;
    int64_t org_id = 0;
    if (org != NULL && cmd_org_id(s, org, &org_id) != 0) {
        goto out;
    }
    if (strcmp(action, "list") == 0) {
        struct list_ctx l = {s};
        if (store_key_list(s, org_id, print_key, &l, &err) != 0) {
            cmd_error("%s", err.msg);
            goto out;
        }
        rc = 0;
        goto out;
    }
    char detail[256];
    if (strcmp(action, "revoke") == 0) {
        snprintf(detail, sizeof(detail), "key=%.64s", a.pos[1]);
        if (store_begin(s, &err) != 0) {
            cmd_error("%s", err.msg);
            goto out;
        }
        int r = store_key_revoke(s, a.pos[1], &err);
        if (r != 0) {
            store_rollback(s);
            cmd_error(r == 1 ? "no key with id '%s'" : "%s", r == 1 ? a.pos[1] : err.msg);
            goto out;
        }
        if (cmd_audit_admin(s, "key.revoke", detail) != 0 || store_commit(s, &err) != 0) {
            store_rollback(s);
            goto out;
        }
        fprintf(stderr, "revoked %s\n", a.pos[1]);
        rc = 0;
        goto out;
    }
    unsigned char pepper[ACCESS_PEPPER_BYTES];
    char id[STORE_KEY_ID_MAX], secret[ACCESS_SECRET_HEX + 1];
    if (cmd_load_pepper(data, pepper) != 0 || store_begin(s, &err) != 0) {
        goto out;
    }
    if (access_key_new(s, pepper, org_id, role, expires, id, secret, &err) != 0) {
        store_rollback(s);
        cmd_error("%s", err.msg);
        goto out;
    }
    snprintf(detail, sizeof(detail), "key=%s org=%s role=%s", id, org, role_s);
    if (cmd_audit_admin(s, "key.new", detail) != 0 || store_commit(s, &err) != 0) {
        store_rollback(s);
        goto out;
    }
    printf("%s:%s\n", id, secret);
    sodium_memzero(secret, sizeof(secret));
    sodium_memzero(pepper, sizeof(pepper));
    rc = 0;
out:
    store_close(s);
    return rc;
}
