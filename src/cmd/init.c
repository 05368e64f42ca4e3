/*
 * init.c — `certmesh init --data DIR`: a new node. Creates the database, the node's
 * Ed25519 identity key, the API-key pepper and a self-signed TLS certificate, and prints
 * the certificate's SHA-256 fingerprint (the value peers pin).
 */
#include "cmd/cmd.h"
#include "http/http.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: certmesh init --data DIR [--name NAME]\n"
    "\n"
    "Creates a new node in DIR: the SQLite database, the node's Ed25519 signing key and a\n"
    "self-signed TLS certificate. Prints the certificate's SHA-256 fingerprint on stdout.\n"
    "  --data DIR    data directory (created if missing; must not hold a node yet)\n"
    "  --name NAME   the node's name, used in the certificate and discovery (default certmesh)\n";

int cmd_init(int argc, char **argv)
{
    const char *data = NULL, *name = "certmesh";
    struct cmd_opt opts[] = {CMD_VALUE("data", &data), CMD_VALUE("name", &name), CMD_END};
    struct cmd_args a;
    struct err err;
    struct store *s = NULL;
    char *cert = NULL, *key = NULL;
    char path[4096];
    int rc = 1;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (data == NULL || a.n_pos != 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (mkdir(data, 0700) != 0 && errno != EEXIST) {
        cmd_error("cannot create %s: %s", data, strerror(errno));
        return 1;
    }
    cmd_path(path, sizeof(path), data, "certmesh.db");
    if (access(path, F_OK) == 0) {
        cmd_error("%s already holds a node", data);
        return 1;
    }
    if (sodium_init() < 0) {
        cmd_error("libsodium failed to initialise");
        return 1;
    }
    /* Keys first, database last: a half-finished init leaves no database behind. */
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    unsigned char pepper[ACCESS_PEPPER_BYTES];
    crypto_sign_keypair(pk, sk);
    randombytes_buf(pepper, sizeof(pepper));
    char tls[4096];
    cmd_path(tls, sizeof(tls), data, "tls");
    if (mkdir(tls, 0700) != 0 && errno != EEXIST) {
        cmd_error("cannot create %s: %s", tls, strerror(errno));
        goto out;
    }
    if (http_cert_create(name, &cert, &key, &err) != 0) {
        cmd_error("%s", err.msg);
        goto out;
    }
    char fp[65];
    if (http_cert_fingerprint(cert, fp, &err) != 0) {
        cmd_error("%s", err.msg);
        goto out;
    }
    cmd_path(path, sizeof(path), data, "node.key");
    if (cmd_write_file(path, sk, sizeof(sk), 0600, &err) != 0) {
        goto fail;
    }
    cmd_path(path, sizeof(path), data, "key-pepper");
    if (cmd_write_file(path, pepper, sizeof(pepper), 0600, &err) != 0) {
        goto fail;
    }
    cmd_path(path, sizeof(path), data, "tls/cert.pem");
    if (cmd_write_file(path, cert, strlen(cert), 0644, &err) != 0) {
        goto fail;
    }
    cmd_path(path, sizeof(path), data, "tls/key.pem");
    if (cmd_write_file(path, key, strlen(key), 0600, &err) != 0) {
        goto fail;
    }
    cmd_path(path, sizeof(path), data, "certmesh.db");
    char pkb64[64], node_id[UUID_TEXT], detail[256];
    b64_encode(pk, sizeof(pk), pkb64);
    uuid_v4(node_id);
    snprintf(detail, sizeof(detail), "name=%s tls_fingerprint=%s", name, fp);
    if (store_open(path, true, &s, &err) != 0 || store_begin(s, &err) != 0 ||
        store_meta_set(s, "schema_version", "1", &err) != 0 ||
        store_meta_set(s, "node_name", name, &err) != 0 ||
        store_meta_set(s, "node_id", node_id, &err) != 0 ||
        store_meta_set(s, "signing_key", pkb64, &err) != 0 ||
        store_meta_set(s, "tls_fingerprint", fp, &err) != 0 ||
        cmd_audit_admin(s, "node.init", detail) != 0 || store_commit(s, &err) != 0) {
        goto fail;
    }
    fprintf(stderr, "initialised node '%s' in %s\nTLS certificate SHA-256 fingerprint:\n", name,
            data);
    printf("%s\n", fp);
    rc = 0;
    goto out;
fail:
    cmd_error("%s", err.msg);
out:
    sodium_memzero(sk, sizeof(sk));
    sodium_memzero(pepper, sizeof(pepper));
    if (key != NULL) {
        sodium_memzero(key, strlen(key));
    }
    free(cert);
    free(key);
    store_close(s);
    return rc;
}
