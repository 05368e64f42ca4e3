/*
 * peer.c — `certmesh peer add|set|list|remove|status`: the other CERTs' nodes this node pulls
 * from and pushes to. Each peer maps to a local organisation, so what it sends is
 * attributed to that organisation and the node's access rules apply to it unchanged.
 */
#include "cmd/cmd.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh peer add NAME --org ORG [--url https://HOST:PORT/API-ROOT/ --key ID:SECRET\n"
    "                         --tls-fingerprint sha256//BASE64] [--signing-key BASE64]\n"
    "                         [--pull REMOTE[=LOCAL]]... [--push LOCAL[=REMOTE]]...\n"
    "                         [--interval SECONDS] [--require-signatures] [--transitive]\n"
    "                         --data DIR\n"
    "       certmesh peer set NAME [--url URL] [--key ID:SECRET] [--tls-fingerprint PIN]\n"
    "                         [--signing-key BASE64] [--interval SECONDS] [--pull …]...\n"
    "                         [--push …]... [--drop-pull REMOTE[=LOCAL]]...\n"
    "                         [--drop-push LOCAL[=REMOTE]]... [--[no-]require-signatures]\n"
    "                         [--[no-]transitive] --data DIR\n"
    "       certmesh peer list|status --data DIR\n"
    "       certmesh peer remove NAME --data DIR\n"
    "\n"
    "  add     a peer node: its API root, the key it issued to this node, the pin of its\n"
    "          TLS public key and its signing key (both from `certmesh node info` there),\n"
    "          the collections pulled from it (REMOTE collection id into LOCAL id or\n"
    "          alias, the same name when =LOCAL is left out) and pushed to it (each\n"
    "          option repeats, or takes a comma-separated list); without\n"
    "          --url, --key and --tls-fingerprint a peer that only pushes to this node\n"
    "          (with a sync key issued here): what it sends is attributed to ORG and its\n"
    "          signatures checked against --signing-key\n"
    "  set     changes a peer in place, keeping its links and cursors: a new pin after it\n"
    "          rotated its certificate, a new key, more links; --drop-… removes a link\n"
    "          with its cursor and queued retries (a push already running on it stops\n"
    "          before its next page); serve runs a peer whose URL, pin, key or interval\n"
    "          changed at once, and reads links at every round\n"
    "  list    one line per peer: NAME, ORG, URL, pulled and pushed links\n"
    "  status  one line per peer: NAME, last success, failures in a row, last error,\n"
    "          pushed versions queued to be sent again\n"
    "  remove  forgets a peer, its links and cursors\n";

static int print_link(void *ctx, const struct store_link *l)
{
    const char *dir = ctx;
    printf("\t%s %s=%s", dir, l->push ? l->local : l->remote, l->push ? l->remote : l->local);
    return 0;
}

static int print_peer(void *ctx, const struct store_peer *p)
{
    struct store *s = ctx;
    struct store_org org;
    struct err err;
    if (store_org_get_id(s, p->org_id, &org, &err) != 0) {
        str_copy(org.name, sizeof(org.name), "?");
    }
    printf("%s\t%s\t%s", p->name, org.name, p->url);
    (void)store_peer_links(s, p->id, false, print_link, (void *)"pull", &err);
    (void)store_peer_links(s, p->id, true, print_link, (void *)"push", &err);
    putchar('\n');
    return 0;
}

static int print_status(void *ctx, const struct store_peer *p)
{
    struct store *s = ctx;
    char ok[TS_MAX_TEXT] = "never";
    if (p->last_ok > 0) {
        ts_format(p->last_ok, 0, ok);
    }
    int64_t queued = 0;
    struct err err;
    if (store_push_retry_count(s, p->id, &queued, &err) != 0) {
        queued = -1; /* shown as such: the count could not be read */
    }
    printf("%s\t%s\t%lld\t%s\t%lld\n", p->name, p->url[0] ? ok : "receives only",
           (long long)p->failures, p->last_error[0] ? p->last_error : "-", (long long)queued);
    return 0;
}

/* "A=B,C" into links added (or dropped): for pull, A is remote and B local; for push, A
 * local and B remote. */
static int edit_links(struct store *s, const char *peer, bool push, bool drop, const char *spec,
                      struct err *err)
{
    const char *opt = drop ? (push ? "drop-push" : "drop-pull") : (push ? "push" : "pull");
    char buf[4096];
    if (str_copy(buf, sizeof(buf), spec) != 0) {
        return err_set(err, "--%s: too long", opt);
    }
    if (buf[0] == '\0') {
        return err_set(err, "--%s: empty", opt);
    }
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        const char *first = item, *second = item;
        if (eq != NULL) {
            *eq = '\0';
            second = eq + 1;
        }
        if (*first == '\0' || *second == '\0' || strlen(first) >= 128 || strlen(second) >= 128) {
            return err_set(err, "--%s: '%s' is not NAME or NAME=NAME", opt, item);
        }
        const char *remote = push ? second : first, *local = push ? first : second;
        if (!drop) {
            if (store_peer_link_add(s, peer, push, remote, local, err) != 0) {
                return -1;
            }
            continue;
        }
        int rc = store_peer_link_remove(s, peer, push, remote, local, err);
        if (rc != 0) {
            return rc < 0 ? -1
                          : err_set(err, "--%s: peer %s has no %s link %s=%s", opt, peer,
                                    push ? "push" : "pull", first, second);
        }
    }
    return 0;
}

/* What `peer add` or `peer set` was told. */
struct peer_spec {
    const char *data, *org, *url, *key, *pin, *signing, *interval;
    struct cmd_list pull, push, drop_pull, drop_push;
    bool require, no_require, transitive, no_transitive;
};

/* Applies the connection options given to p: checked, the key sealed under this node's
 * pepper. Returns 0, or the exit status (the error printed). */
static int apply_spec(const struct peer_spec *o, struct store_peer *p)
{
    struct err err;
    size_t ul = o->url ? strlen(o->url) : 0;
    int64_t iv = p->interval;
    if ((o->url != NULL && (ul == 0 || o->url[ul - 1] != '/')) ||
        (o->key != NULL && strchr(o->key, ':') == NULL) ||
        (o->pin != NULL && (strncmp(o->pin, "sha256//", 8) != 0 || strlen(o->pin) != 52)) ||
        (o->interval != NULL && str_to_i64(o->interval, 1, 86400, &iv) != 0)) {
        cmd_error("--url must end in '/', --key is ID:SECRET, --tls-fingerprint is sha256//BASE64 "
                  "(44 characters), --interval 1-86400");
        return 2;
    }
    if (o->key != NULL) {
        /* the credential the peer issued is kept sealed under this node's pepper */
        unsigned char pepper[ACCESS_PEPPER_BYTES], seal[ACCESS_SEAL_KEY_BYTES];
        if (cmd_load_pepper(o->data, pepper) != 0) {
            return 1;
        }
        access_seal_key(pepper, seal);
        sodium_memzero(pepper, sizeof(pepper));
        int sealed = access_seal(seal, o->key, p->key, sizeof(p->key), &err);
        sodium_memzero(seal, sizeof(seal));
        if (sealed != 0) {
            cmd_error("--key: %s", err.msg);
            return 2;
        }
    }
    if ((o->url != NULL && str_copy(p->url, sizeof(p->url), o->url) != 0) ||
        (o->pin != NULL && str_copy(p->pin, sizeof(p->pin), o->pin) != 0) ||
        (o->signing != NULL && str_copy(p->signing_key, sizeof(p->signing_key), o->signing) != 0)) {
        cmd_error("a value is too long");
        return 2;
    }
    p->interval = iv;
    p->require_signatures = o->require ? true : o->no_require ? false : p->require_signatures;
    p->transitive = o->transitive ? true : o->no_transitive ? false : p->transitive;
    /* A peer that only pushes to us needs no way to reach it: its key here is one we
     * issued (key new --role sync), and its organisation and signing key say how what it
     * sends is attributed and checked. One we reach needs all three. */
    bool reach = p->url[0] != '\0' || p->key[0] != '\0' || p->pin[0] != '\0';
    if (reach && (p->url[0] == '\0' || p->key[0] == '\0' || p->pin[0] == '\0')) {
        cmd_error("a peer this node reaches needs --url, --key and --tls-fingerprint");
        return 2;
    }
    if (!reach && (o->pull.n > 0 || o->push.n > 0)) {
        cmd_error("--pull and --push need --url, --key and --tls-fingerprint");
        return 2;
    }
    return 0;
}

/* Stores the peer (added, or changed) with its new links and an audit row, in one commit. */
static int save_peer(struct store *s, struct store_peer *p, bool add, const struct peer_spec *o)
{
    struct err err;
    char detail[1024];
    size_t d =
        (size_t)snprintf(detail, sizeof(detail), "peer=%s url=%s pin=%s signing_key=%s key=%s",
                         p->name, p->url, p->pin, p->signing_key, o->key ? "new" : "kept");
    /* which links changed, for whoever reads the audit after a leak */
    const struct {
        const char *name;
        const struct cmd_list *l;
    } lists[] = {{"pull+", &o->pull},
                 {"push+", &o->push},
                 {"pull-", &o->drop_pull},
                 {"push-", &o->drop_push}};
    for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        for (int i = 0; i < lists[k].l->n && d < sizeof(detail); i++) {
            d += (size_t)snprintf(detail + d, sizeof(detail) - d, " %s=%s", lists[k].name,
                                  lists[k].l->v[i]);
        }
    }
    int rc = store_begin(s, &err) != 0 ||
                     (add ? store_peer_add(s, p, &err) : store_peer_update(s, p, &err)) != 0
                 ? -1
                 : 0;
    /* dropped first: a link dropped and added in one call starts again from the start */
    for (int i = 0; rc == 0 && i < o->drop_pull.n; i++) {
        rc = edit_links(s, p->name, false, true, o->drop_pull.v[i], &err);
    }
    for (int i = 0; rc == 0 && i < o->drop_push.n; i++) {
        rc = edit_links(s, p->name, true, true, o->drop_push.v[i], &err);
    }
    for (int i = 0; rc == 0 && i < o->pull.n; i++) {
        rc = edit_links(s, p->name, false, false, o->pull.v[i], &err);
    }
    for (int i = 0; rc == 0 && i < o->push.n; i++) {
        rc = edit_links(s, p->name, true, false, o->push.v[i], &err);
    }
    sodium_memzero(p->key, sizeof(p->key));
    if (rc != 0 || cmd_audit_admin(s, add ? "peer.add" : "peer.set", detail) != 0 ||
        store_commit(s, &err) != 0) {
        store_rollback(s);
        cmd_error("%s", err.msg);
        return 1;
    }
    fprintf(stderr, "%s peer %s\n", add ? "added" : "changed", p->name);
    return 0;
}

static int peer_add(struct store *s, const char *name, const struct peer_spec *o)
{
    struct store_peer p = {.interval = 60};
    if (o->org == NULL || o->no_require || o->no_transitive || o->drop_pull.n > 0 ||
        o->drop_push.n > 0) {
        cmd_error("peer add needs --org (and takes no --no-… or --drop-… options)");
        return 2;
    }
    if (str_copy(p.name, sizeof(p.name), name) != 0) {
        cmd_error("the name is too long");
        return 2;
    }
    int rc = apply_spec(o, &p);
    if (rc != 0) {
        return rc;
    }
    if (cmd_org_id(s, o->org, &p.org_id) != 0) {
        return 1;
    }
    return save_peer(s, &p, true, o);
}

/* Changes a peer in place: its links and cursors stay (a new certificate pin after the
 * peer rotated its certificate, a new key, another interval). */
static int peer_set(struct store *s, const char *name, const struct peer_spec *o)
{
    struct store_peer p;
    struct err err;
    int found = store_peer_get(s, name, &p, &err);
    if (found != 0) {
        cmd_error(found > 0 ? "no peer '%s'" : "%s", found > 0 ? name : err.msg);
        return 1;
    }
    if (o->org != NULL) {
        cmd_error("a peer's organisation does not change (what it sent is attributed to it): "
                  "remove the peer and add it again");
        return 2;
    }
    int rc = apply_spec(o, &p);
    return rc != 0 ? rc : save_peer(s, &p, false, o);
}

int cmd_peer(int argc, char **argv)
{
    struct peer_spec o = {0};
    struct cmd_opt opts[] = {CMD_VALUE("data", &o.data),
                             CMD_VALUE("org", &o.org),
                             CMD_VALUE("url", &o.url),
                             CMD_VALUE("key", &o.key),
                             CMD_VALUE("tls-fingerprint", &o.pin),
                             CMD_VALUE("signing-key", &o.signing),
                             CMD_LIST("pull", &o.pull),
                             CMD_LIST("push", &o.push),
                             CMD_LIST("drop-pull", &o.drop_pull),
                             CMD_LIST("drop-push", &o.drop_push),
                             CMD_VALUE("interval", &o.interval),
                             CMD_FLAG("require-signatures", &o.require),
                             CMD_FLAG("no-require-signatures", &o.no_require),
                             CMD_FLAG("transitive", &o.transitive),
                             CMD_FLAG("no-transitive", &o.no_transitive),
                             CMD_END};
    struct cmd_args a;
    struct err err;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    const char *verb = a.n_pos > 0 ? a.pos[0] : "";
    bool named =
        strcmp(verb, "add") == 0 || strcmp(verb, "set") == 0 || strcmp(verb, "remove") == 0;
    if (a.n_pos != (named ? 2 : 1) ||
        (!named && strcmp(verb, "list") != 0 && strcmp(verb, "status") != 0)) {
        fputs(usage, stderr);
        return 2;
    }
    struct store *s = cmd_open_store(o.data);
    if (s == NULL) {
        return 1;
    }
    int rc = 0;
    if (strcmp(verb, "add") == 0) {
        rc = peer_add(s, a.pos[1], &o);
    } else if (strcmp(verb, "set") == 0) {
        rc = peer_set(s, a.pos[1], &o);
    } else if (strcmp(verb, "remove") == 0) {
        int r = -1;
        char detail[256];
        snprintf(detail, sizeof(detail), "peer=%s", a.pos[1]);
        if (store_begin(s, &err) != 0 || (r = store_peer_remove(s, a.pos[1], &err)) != 0 ||
            cmd_audit_admin(s, "peer.remove", detail) != 0 || store_commit(s, &err) != 0) {
            store_rollback(s);
            cmd_error(r == 1 ? "no peer '%s'" : "%s", r == 1 ? a.pos[1] : err.msg);
            rc = 1;
        }
    } else if (store_peer_list(s, strcmp(verb, "list") == 0 ? print_peer : print_status, s, &err) !=
               0) {
        cmd_error("%s", err.msg);
        rc = 1;
    }
    store_close(s);
    return rc;
}
