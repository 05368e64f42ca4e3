/*
 * taxii_load.c — a small libcurl TAXII 2.1 client for the benchmarks, over one kept-alive
 * TLS connection (the node's certificate pinned as the CA):
 *
 *   taxii_load post [-j N] URL KEY CAFILE FILE...
 *                                            POST each file (an envelope), then GET each
 *                                            status until complete; prints objects/s.
 *                                            -j N: N clients, each on its own connection
 *   taxii_load walk URL KEY CAFILE LIMIT     page through URL following more/next;
 *                                            prints objects and objects/s
 *
 * URL is the collection's objects endpoint. Output is one line of key=value pairs.
 */
#include "base/base.h"

#include <curl/curl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    return buf_append(b, p, size * n) == 0 ? size * n : 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static CURL *client(const char *key, const char *ca, struct buf *body, struct curl_slist **hdrs)
{
    CURL *c = curl_easy_init();
    *hdrs = curl_slist_append(NULL, "Accept: application/taxii+json;version=2.1");
    *hdrs = curl_slist_append(*hdrs, "Content-Type: application/taxii+json;version=2.1");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    curl_easy_setopt(c, CURLOPT_USERPWD, key);
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    return c;
}

static long perform(CURL *c, const char *url, struct buf *body)
{
    long code = 0;
    buf_reset(body);
    curl_easy_setopt(c, CURLOPT_URL, url);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "taxii_load: %s: %s\n", url, curl_easy_strerror(rc));
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/* Posts the files and follows their statuses; adds to *objects and *failures. */
static int post_files(const char *url, const char *key, const char *ca, int nfiles, char **files,
                      long *objects_out, long *failures_out)
{
    struct buf body, file;
    struct curl_slist *hdrs;
    struct err err;
    buf_init(&body, (size_t)1 << 30);
    buf_init(&file, (size_t)1 << 30);
    CURL *c = client(key, ca, &body, &hdrs);
    char(*status)[UUID_TEXT] = calloc((size_t)nfiles, UUID_TEXT);
    long objects = 0, failures = 0;
    for (int i = 0; i < nfiles; i++) {
        FILE *f = fopen(files[i], "rb");
        char chunk[65536];
        size_t n;
        buf_reset(&file);
        while (f != NULL && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
            if (buf_append(&file, chunk, n) != 0) {
                break;
            }
        }
        if (f != NULL) {
            fclose(f);
        }
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, file.data);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)file.len);
        if (perform(c, url, &body) != 202) {
            fprintf(stderr, "taxii_load: POST %s: %s\n", files[i], body.data ? body.data : "");
            return 1;
        }
        json_t *st = jx_parse(body.data, body.len, JX_MAX_DEPTH, &err);
        str_copy(status[i], UUID_TEXT, jx_str(st, "id") ? jx_str(st, "id") : "");
        json_decref(st);
    }
    /* Follow every status until complete, as a client must (TAXII 2.1 section 4.3). */
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    char root[2048];
    str_copy(root, sizeof(root), url);
    char *coll = strstr(root, "/collections/");
    if (coll != NULL) {
        *coll = '\0';
    }
    for (int i = 0; i < nfiles; i++) {
        char su[2200];
        snprintf(su, sizeof(su), "%s/status/%s/", root, status[i]);
        for (;;) {
            if (perform(c, su, &body) != 200) {
                fprintf(stderr, "taxii_load: status %s failed\n", status[i]);
                return 1;
            }
            json_t *st = jx_parse(body.data, body.len, JX_MAX_DEPTH, &err);
            bool done = jx_str(st, "status") && strcmp(jx_str(st, "status"), "complete") == 0;
            if (done) {
                objects += (long)json_integer_value(json_object_get(st, "success_count"));
                failures += (long)json_integer_value(json_object_get(st, "failure_count"));
            }
            json_decref(st);
            if (done) {
                break;
            }
        }
    }
    *objects_out = objects;
    *failures_out = failures;
    free(status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    buf_fini(&body);
    buf_fini(&file);
    return failures > 0;
}

static int do_post(int jobs, const char *url, const char *key, const char *ca, int nfiles,
                   char **files)
{
    int fds[64][2];
    pid_t pids[64];
    double t0 = now_s();
    for (int j = 0; j < jobs; j++) {
        if (pipe(fds[j]) != 0 || (pids[j] = fork()) < 0) {
            perror("taxii_load");
            return 1;
        }
        if (pids[j] == 0) {
            /* child j takes files j, j+jobs, j+2*jobs, ... */
            char **mine = calloc((size_t)nfiles, sizeof(char *));
            int n = 0;
            for (int i = j; i < nfiles; i += jobs) {
                mine[n++] = files[i];
            }
            long objects = 0, failures = 0;
            int rc = post_files(url, key, ca, n, mine, &objects, &failures);
            dprintf(fds[j][1], "%ld %ld %d\n", objects, failures, rc);
            _exit(0);
        }
        close(fds[j][1]);
    }
    long objects = 0, failures = 0;
    int bad = 0;
    for (int j = 0; j < jobs; j++) {
        char line[128] = "";
        long o = 0, f = 0;
        int rc = 1;
        ssize_t r = read(fds[j][0], line, sizeof(line) - 1);
        line[r > 0 ? r : 0] = '\0';
        if (sscanf(line, "%ld %ld %d", &o, &f, &rc) != 3) {
            rc = 1;
        }
        objects += o;
        failures += f;
        bad |= rc;
        waitpid(pids[j], NULL, 0);
    }
    double dt = now_s() - t0;
    printf("clients=%d envelopes=%d objects=%ld failed=%ld seconds=%.3f objects_per_s=%.0f\n", jobs,
           nfiles, objects, failures, dt, (double)objects / dt);
    return bad;
}

static int do_walk(const char *url, const char *key, const char *ca, const char *limit)
{
    struct buf body;
    struct curl_slist *hdrs;
    struct err err;
    buf_init(&body, (size_t)1 << 30);
    CURL *c = client(key, ca, &body, &hdrs);
    char next[64] = "";
    long objects = 0, pages = 0;
    double t0 = now_s();
    for (;;) {
        char u[4096];
        snprintf(u, sizeof(u), "%s?limit=%s%s%s", url, limit, next[0] ? "&next=" : "", next);
        if (perform(c, u, &body) != 200) {
            fprintf(stderr, "taxii_load: GET %s failed\n", u);
            return 1;
        }
        pages++;
        json_t *env = jx_parse(body.data, body.len, JX_MAX_DEPTH, &err);
        if (env == NULL) {
            fprintf(stderr, "taxii_load: %s\n", err.msg);
            return 1;
        }
        objects += (long)json_array_size(json_object_get(env, "objects"));
        bool more = json_is_true(json_object_get(env, "more"));
        str_copy(next, sizeof(next), jx_str(env, "next") ? jx_str(env, "next") : "");
        json_decref(env);
        if (!more) {
            break;
        }
    }
    double dt = now_s() - t0;
    printf("pages=%ld objects=%ld seconds=%.3f objects_per_s=%.0f\n", pages, objects, dt,
           (double)objects / dt);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    buf_fini(&body);
    return 0;
}

int main(int argc, char **argv)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (argc >= 6 && strcmp(argv[1], "post") == 0) {
        int jobs = 1, a = 2;
        if (strcmp(argv[2], "-j") == 0 && argc >= 8) {
            int64_t j;
            if (str_to_i64(argv[3], 1, 64, &j) != 0) {
                return 2;
            }
            jobs = (int)j;
            a = 4;
        }
        return do_post(jobs, argv[a], argv[a + 1], argv[a + 2], argc - a - 3, argv + a + 3);
    }
    if (argc == 6 && strcmp(argv[1], "walk") == 0) {
        return do_walk(argv[2], argv[3], argv[4], argv[5]);
    }
    fputs("usage: taxii_load post [-j N] URL KEY CAFILE FILE...\n"
          "       taxii_load walk URL KEY CAFILE LIMIT\n",
          stderr);
    return 2;
}
