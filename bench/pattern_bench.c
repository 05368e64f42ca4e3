/*
 * pattern_bench.c — STIX patterning throughput on generated, realistic indicator patterns:
 * validation (parse + semantic checks) in patterns per second on one core for four sets of
 * 100,000 patterns each (single comparisons, OR lists of 10 hashes, two-observation
 * FOLLOWEDBY ... WITHIN, MATCHES), memory per compiled pattern, and evaluation in
 * pattern x observation checks per second against 10,000 observed-data objects.
 *
 *   pattern_bench [--patterns N] [--observations M] [--eval-patterns K]
 */
#include "pattern/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void ipv4(char *o, size_t n)
{
    snprintf(o, n, "%u.%u.%u.%u", (unsigned)(45 + rnd() % 150), (unsigned)(rnd() % 256),
             (unsigned)(rnd() % 256), (unsigned)(1 + rnd() % 254));
}

static void sha256(char *o)
{
    unsigned char h[32];
    for (int i = 0; i < 4; i++) {
        uint64_t r = rnd();
        memcpy(h + 8 * i, &r, 8);
    }
    hex_encode(h, 32, o);
}

static const char *const words[] = {"update", "secure", "login", "mail", "cdn",    "portal",
                                    "bank",   "pay",    "cloud", "sync", "verify", "auth"};

static void domain(char *o, size_t n)
{
    snprintf(o, n, "%s-%s%u.%s", words[rnd() % 12], words[rnd() % 12], (unsigned)(rnd() % 1000),
             rnd() % 2 ? "com" : "net");
}

/* kind 0: single comparison; 1: OR of 10 hashes; 2: FOLLOWEDBY WITHIN; 3: MATCHES */
static int gen(int kind, char *out, size_t cap)
{
    char a[160], b[160];
    struct buf x;
    switch (kind) {
    case 0:
        switch (rnd() % 4) {
        case 0:
            ipv4(a, sizeof(a));
            return snprintf(out, cap, "[ipv4-addr:value = '%s']", a);
        case 1:
            domain(a, sizeof(a));
            return snprintf(out, cap, "[domain-name:value = '%s']", a);
        case 2:
            domain(a, sizeof(a));
            return snprintf(out, cap, "[url:value = 'https://%s/%s/gate.php']", a,
                            words[rnd() % 12]);
        default:
            sha256(a);
            return snprintf(out, cap, "[file:hashes.'SHA-256' = '%s']", a);
        }
    case 1:
        buf_init(&x, cap - 1);
        if (buf_puts(&x, "[") != 0) {
            return -1;
        }
        for (int i = 0; i < 10; i++) {
            sha256(a);
            if (buf_printf(&x, "%sfile:hashes.'SHA-256' = '%s'", i ? " OR " : "", a) != 0) {
                return -1;
            }
        }
        if (buf_puts(&x, "]") != 0) {
            return -1;
        }
        memcpy(out, x.data, x.len + 1);
        buf_fini(&x);
        return 0;
    case 2:
        ipv4(a, sizeof(a));
        domain(b, sizeof(b));
        return snprintf(out, cap,
                        "([network-traffic:dst_ref.value = '%s' AND network-traffic:dst_port = "
                        "443] FOLLOWEDBY [domain-name:value = '%s']) WITHIN %u SECONDS",
                        a, b, (unsigned)(60 + rnd() % 3600));
    default:
        domain(a, sizeof(a));
        return snprintf(out, cap, "[url:value MATCHES '^https?://[a-z0-9.-]*%s/[a-z]+\\\\.php$']",
                        words[rnd() % 12]);
    }
}

int main(int argc, char **argv)
{
    int64_t n_pat = 100000, n_obs = 10000, n_eval = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        int64_t *t = strcmp(argv[i], "--patterns") == 0        ? &n_pat
                     : strcmp(argv[i], "--observations") == 0  ? &n_obs
                     : strcmp(argv[i], "--eval-patterns") == 0 ? &n_eval
                                                               : NULL;
        if (t == NULL || str_to_i64(argv[i + 1], 1, 100000000, t) != 0) {
            fputs("usage: pattern_bench [--patterns N] [--observations M] [--eval-patterns K]\n",
                  stderr);
            return 2;
        }
    }
    static const char *const names[] = {"single comparison", "OR of 10 SHA-256",
                                        "FOLLOWEDBY WITHIN", "MATCHES"};
    char **texts = calloc((size_t)n_pat, sizeof(char *));
    size_t *lens = calloc((size_t)n_pat, sizeof(size_t));
    if (texts == NULL || lens == NULL) {
        return 1;
    }
    printf("validation, one core, %lld patterns per set\n", (long long)n_pat);
    double single_rate = 0;
    struct pattern **eval_set = calloc((size_t)n_eval * 4, sizeof(*eval_set));
    int n_eval_set = 0;
    for (int kind = 0; kind < 4; kind++) {
        char buf[4096];
        size_t bytes = 0;
        for (int64_t i = 0; i < n_pat; i++) {
            if (gen(kind, buf, sizeof(buf)) < 0) {
                return 1;
            }
            lens[i] = strlen(buf);
            texts[i] = strdup(buf);
            bytes += lens[i];
        }
        struct err err;
        int bad = 0;
        double t0 = now();
        for (int64_t i = 0; i < n_pat; i++) {
            bad += pattern_validate(texts[i], lens[i], &err) != 0;
        }
        double dt = now() - t0;
        /* memory held by a compiled pattern */
        size_t mem = 0;
        for (int64_t i = 0; i < 1000 && i < n_pat; i++) {
            struct pattern *p = pattern_parse(texts[i], lens[i], &err);
            if (p != NULL) {
                mem += pattern_memory(p);
                if (i < n_eval) {
                    eval_set[n_eval_set++] = p;
                } else {
                    pattern_free(p);
                }
            }
        }
        double rate = (double)n_pat / dt;
        if (kind == 0) {
            single_rate = rate;
        }
        printf("  %-20s %10.0f patterns/s  %7.1f MB/s  %6.0f bytes/pattern held  %d invalid\n",
               names[kind], rate, (double)bytes / dt / 1e6,
               (double)mem / (double)(n_pat < 1000 ? n_pat : 1000), bad);
        for (int64_t i = 0; i < n_pat; i++) {
            free(texts[i]);
        }
    }
    printf("  single comparisons: %.2fx the 500,000/s target\n", single_rate / 500000.0);

    /* evaluation: observed-data of network traffic to addresses and domains */
    struct buf b;
    buf_init(&b, (size_t)1 << 30);
    if (buf_puts(&b, "{\"type\":\"bundle\",\"id\":\"bundle--44af6c39-c09b-49c5-9de2-394224b04982\","
                     "\"objects\":[") != 0) {
        return 1;
    }
    for (int64_t i = 0; i < n_obs; i++) {
        char ip[64], dom[160], url[256], h[65];
        ipv4(ip, sizeof(ip));
        domain(dom, sizeof(dom));
        snprintf(url, sizeof(url), "https://%s/%s.php", dom, words[rnd() % 12]);
        sha256(h);
        int s = (int)(i % 86400);
        if (buf_printf(&b,
                       "%s{\"type\":\"observed-data\",\"id\":\"observed-data--00000000-0000-4000-"
                       "8000-%012lld\",\"first_observed\":\"2026-01-01T%02d:%02d:%02dZ\","
                       "\"last_observed\":\"2026-01-01T%02d:%02d:%02dZ\",\"number_observed\":1,"
                       "\"objects\":{\"0\":{\"type\":\"network-traffic\",\"dst_ref\":\"1\","
                       "\"dst_port\":443,\"protocols\":[\"tcp\"]},\"1\":{\"type\":\"ipv4-addr\","
                       "\"value\":\"%s\"},\"2\":{\"type\":\"domain-name\",\"value\":\"%s\"},\"3\":"
                       "{\"type\":\"url\",\"value\":\"%s\"},\"4\":{\"type\":\"file\",\"hashes\":"
                       "{\"SHA-256\":\"%s\"}}}}",
                       i ? "," : "", (long long)i, s / 3600, s / 60 % 60, s % 60, s / 3600,
                       s / 60 % 60, s % 60, ip, dom, url, h) != 0) {
            return 1;
        }
    }
    if (buf_puts(&b, "]}") != 0) {
        return 1;
    }
    struct err err;
    json_t *bundle = jx_parse(b.data, b.len, JX_MAX_DEPTH, &err);
    buf_fini(&b);
    struct pattern_observations obs;
    if (bundle == NULL || pattern_observations_load(bundle, &obs, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    printf("evaluation against %d observed-data (5 SCOs each), %d patterns of each set\n", obs.n,
           n_eval_set / 4);
    for (int kind = 0; kind < 4; kind++) {
        double t0 = now();
        int matched = 0;
        int per = n_eval_set / 4;
        for (int i = 0; i < per; i++) {
            struct pattern_result res;
            if (pattern_match(eval_set[kind * per + i], &obs, &res) == 0 && res.matched) {
                matched++;
            }
        }
        double dt = now() - t0;
        printf("  %-20s %12.0f pattern x observation checks/s  (%d matched)\n", names[kind],
               (double)per * obs.n / dt, matched);
    }
    for (int i = 0; i < n_eval_set; i++) {
        pattern_free(eval_set[i]);
    }
    free(eval_set);
    pattern_observations_fini(&obs);
    json_decref(bundle);
    free(texts);
    free(lens);
    return 0;
}
