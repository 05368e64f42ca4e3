/*
 * node.c — `certmesh node info`: what another CERT needs to peer with this node — its
 * TAXII API root URL, the pin of its TLS public key and its Ed25519 signing key.
 */
#include "cmd/cmd.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: certmesh node info --data DIR [--json]\n"
                            "\n"
                            "Prints this node's API root URL (as `serve` last announced it),\n"
                            "its TLS public-key pin (sha256//BASE64, what `peer add\n"
                            "--tls-fingerprint` takes on the other side) and its signing key.\n"
                            "--json prints one object with the keys url, tls_fingerprint and\n"
                            "signing_key.\n";

int cmd_node(int argc, char **argv)
{
    const char *data = NULL;
    bool json = false;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data), CMD_FLAG("json", &json), CMD_END};
    struct cmd_args a;
    struct err err;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (a.n_pos != 1 || strcmp(a.pos[0], "info") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    struct store *s = cmd_open_store(data);
    if (s == NULL) {
        return 1;
    }
    int rc = 1;
    char *url = NULL, *signing = NULL, *cert = NULL, path[4096], pin[HTTP_PIN_MAX];
    size_t n;
    cmd_path(path, sizeof(path), data, "tls/cert.pem");
    if (store_meta_get(s, "signing_key", &signing, &err) != 0 ||
        (cert = cmd_read_file(path, 1 << 20, &n, &err)) == NULL ||
        http_cert_pin(cert, pin, &err) != 0) {
        cmd_error("%s", err.msg);
        goto out;
    }
    if (store_meta_get(s, "url", &url, &err) < 0) {
        cmd_error("%s", err.msg);
        goto out;
    }
    if (json) {
        json_t *o = json_pack("{s:o,s:s,s:s}", "url", url ? json_string(url) : json_null(),
                              "tls_fingerprint", pin, "signing_key", signing ? signing : "");
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (text != NULL) {
            puts(text);
            rc = 0;
        }
        free(text);
        json_decref(o);
    } else {
        printf("url\t%s\ntls_fingerprint\t%s\nsigning_key\t%s\n", url ? url : "(not served yet)",
               pin, signing ? signing : "");
        rc = 0;
    }
out:
    free(url);
    free(signing);
    free(cert);
    store_close(s);
    return rc;
}
