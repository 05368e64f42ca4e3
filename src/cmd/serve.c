/*
 * serve.c — `certmesh serve`: the TAXII 2.1 server over HTTPS (plain HTTP only on
 * loopback, for tests). Signals are blocked in every thread and taken by sigwait() in the
 * main thread, so SIGTERM turns into an orderly drain: stop accepting, let in-flight
 * requests finish, close the database.
 */
#include "cmd/cmd.h"
#include "sync/sync.h"
#include "http/http.h"
#include "taxii/taxii.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh serve --data DIR --listen ADDR:PORT [options]\n"
    "\n"
    "Serves TAXII 2.1 over HTTPS with the node's certificate. Discovery is at /taxii2/,\n"
    "the API root at /api/. SIGTERM or SIGINT drains in-flight requests and exits.\n"
    "  --data DIR                 the node's data directory\n"
    "  --listen ADDR:PORT         address to listen on (e.g. 0.0.0.0:8443, [::1]:8443)\n"
    "  --plain-http               serve without TLS (loopback addresses only)\n"
    "  --threads N                HTTP worker threads (default 8)\n"
    "  --max-content-length N     largest request body in bytes (default 104857600)\n"
    "  --title TEXT               title in discovery and the API root\n";

int cmd_serve(int argc, char **argv)
{
    const char *data = NULL, *listen = NULL, *threads_s = NULL, *max_s = NULL, *title = NULL;
    bool plain = false;
    struct sync_loop *loop = NULL;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data),
                             CMD_VALUE("listen", &listen),
                             CMD_FLAG("plain-http", &plain),
                             CMD_VALUE("threads", &threads_s),
                             CMD_VALUE("max-content-length", &max_s),
                             CMD_VALUE("title", &title),
                             CMD_END};
    struct cmd_args a;
    struct err err;
    int64_t threads = 8, max_body = 100 * 1024 * 1024;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (data == NULL || listen == NULL || a.n_pos != 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (threads_s && str_to_i64(threads_s, 1, 256, &threads) != 0) {
        cmd_error("--threads: expected 1 to 256");
        return 2;
    }
    if (max_s && str_to_i64(max_s, 1024, (int64_t)1 << 32, &max_body) != 0) {
        cmd_error("--max-content-length: expected 1024 to 4294967296");
        return 2;
    }
    if (plain && !http_listen_is_loopback(listen)) {
        cmd_error("--plain-http is only allowed on a loopback address (127.0.0.0/8, ::1)");
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
    char *name = NULL;
    if (store_meta_get(s, "node_name", &name, &err) < 0) {
        name = NULL;
    }
    store_close(s);

    struct taxii_config tc = {
        .title = title ? title : (name ? name : "certmesh"),
        .description = "certmesh node: STIX 2.1 over TAXII 2.1 with TLP 2.0",
        .api_root = "api",
        .max_content_length = (size_t)max_body,
        .pool_size = (unsigned)threads + 1,
    };
    char dbpath[4096], certp[4096], keyp[4096];
    cmd_path(dbpath, sizeof(dbpath), data, "certmesh.db");
    tc.db_path = dbpath;
    char *cert = NULL, *key = NULL;
    struct taxii_server *t = NULL;
    struct http_server *srv = NULL;
    struct access_signer signer = {0};
    struct sync_env env = {.signer = &signer};
    int rc = 1;
    s = cmd_open_store(data);
    int loaded = s != NULL ? cmd_load_signer(data, s, &signer) : -1;
    store_close(s);
    if (cmd_load_pepper(data, tc.pepper) != 0 || loaded != 0) {
        goto out;
    }
    tc.signer = &signer;
    access_seal_key(tc.pepper, env.seal);
    if (!plain) {
        size_t n;
        cmd_path(certp, sizeof(certp), data, "tls/cert.pem");
        cmd_path(keyp, sizeof(keyp), data, "tls/key.pem");
        cert = cmd_read_file(certp, 1 << 20, &n, &err);
        key = cert ? cmd_read_file(keyp, 1 << 20, &n, &err) : NULL;
        if (cert == NULL || key == NULL) {
            cmd_error("%s", err.msg);
            goto out;
        }
    }
    if (sync_global_init() != 0) { /* before any thread: curl_global_init is not thread-safe */
        cmd_error("cannot initialise libcurl");
        goto out;
    }
    if (taxii_server_new(&tc, &t, &err) != 0) {
        cmd_error("%s", err.msg);
        goto out;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct http_config hc = {.listen = listen,
                             .cert_pem = cert,
                             .key_pem = key,
                             .max_body = (size_t)max_body,
                             .threads = (unsigned)threads,
                             .handler = taxii_handle,
                             .ctx = t};
    if (http_server_start(&hc, &srv, &err) != 0) {
        cmd_error("%s", err.msg);
        goto out;
    }
    /* Print the bound port (the listen address may say port 0). */
    char shown[300];
    str_copy(shown, sizeof(shown), listen);
    char *colon = strrchr(shown, ':');
    if (colon != NULL) {
        snprintf(colon, sizeof(shown) - (size_t)(colon - shown), ":%u", http_server_port(srv));
    }
    fprintf(stderr, "certmesh: serving TAXII 2.1 at %s://%s/taxii2/ (API root /api/)\n",
            plain ? "http" : "https", shown);
    fflush(stderr);
    /* what `certmesh node info` tells peers; a wildcard address is for the operator to fix */
    char api[400];
    snprintf(api, sizeof(api), "%s://%s/api/", plain ? "http" : "https", shown);
    struct store *ms = cmd_open_store(data);
    if (ms == NULL || store_meta_set(ms, "url", api, &err) != 0) {
        log_warn("cannot record the node's URL: %s", ms ? err.msg : "store");
    }
    store_close(ms);
    /* federation: rounds (pull, push) with every peer, each on its own schedule */
    if (sync_loop_start(dbpath, &env, &loop, &err) != 0) {
        cmd_error("sync: %s", "cannot start the sync loop");
        goto out;
    }
    int sig = 0;
    do {
        sigwait(&set, &sig);
    } while (sig == SIGHUP);
    log_info("signal %d: draining in-flight requests", sig);
    sync_loop_stop(loop);
    loop = NULL;
    http_server_stop(srv, 10000);
    srv = NULL;
    log_info("stopped");
    rc = 0;
out:
    sync_loop_stop(loop);
    http_server_stop(srv, 0);
    taxii_server_free(t);
    if (key != NULL) {
        sodium_memzero(key, strlen(key));
    }
    free(cert);
    free(key);
    free(name);
    sodium_memzero(tc.pepper, sizeof(tc.pepper));
    access_signer_fini(&signer);
    sodium_memzero(env.seal, sizeof(env.seal));
    return rc;
}
