/*
 * pattern.c — `certmesh pattern check` (validates STIX patterns, one per line, and says
 * where each invalid one goes wrong) and `certmesh pattern match` (evaluates patterns
 * against the observed-data of a bundle).
 */
#include "cmd/cmd.h"
#include "pattern/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh pattern check [FILE|-] [--print]\n"
    "       certmesh pattern match (--pattern TEXT | --patterns FILE) --observations BUNDLE\n"
    "                              [--json]\n"
    "\n"
    "check   validates STIX 2.1 patterns, one per line (blank lines are skipped), from FILE\n"
    "        or stdin; prints 'line N: column C: message' for each invalid one and exits 1\n"
    "        if any is invalid. --print also prints each valid pattern in canonical form.\n"
    "match   evaluates each pattern against the observed-data of a STIX bundle and prints\n"
    "        one line per pattern, in input order: 'match' and the ids of the observed-data\n"
    "        that bound to it, 'no-match', or 'invalid' and the error; --json prints JSON\n"
    "        lines instead. Exit status 0 if every pattern was valid.\n";

static int check(const char *path, bool print)
{
    struct err err;
    size_t len;
    char *text = cmd_read_file(path, (size_t)1 << 31, &len, &err);
    if (text == NULL) {
        cmd_error("%s", err.msg);
        return 1;
    }
    int bad = 0;
    size_t line = 0;
    struct buf out;
    buf_init(&out, (size_t)PATTERN_MAX_LEN * 8);
    const char *pos = text, *p;
    size_t n;
    while (str_next_line(&pos, text + len, &p, &n)) {
        const char *v = p;
        size_t vn = n;
        line++;
        str_trim(&v, &vn);
        if (vn == 0) {
            continue;
        }
        struct pattern *pat = pattern_parse(p, n, &err);
        if (pat == NULL) {
            printf("line %zu: %s\n", line, err.msg);
            bad++;
        } else if (print) {
            buf_reset(&out);
            if (pattern_print(pat, &out) == 0) {
                printf("%s\n", out.data);
            }
        }
        pattern_free(pat);
    }
    buf_fini(&out);
    free(text);
    if (bad > 0) {
        fprintf(stderr, "%d invalid pattern%s\n", bad, bad == 1 ? "" : "s");
    }
    return bad > 0 ? 1 : 0;
}

static void match_line(struct pattern *p, const char *text, size_t n, const char *errmsg,
                       const struct pattern_observations *obs, bool as_json)
{
    struct pattern_result res;
    struct buf out;
    buf_init(&out, (size_t)1 << 24);
    bool ok = p != NULL && pattern_match(p, obs, &res) == 0;
    int rc = 0;
    if (as_json) {
        char *pat = strndup(text, n);
        rc = buf_puts(&out, "{\"pattern\":") || buf_json_str(&out, pat ? pat : "");
        free(pat);
        if (!ok) {
            rc = rc || buf_puts(&out, ",\"result\":\"invalid\",\"error\":") ||
                 buf_json_str(&out, errmsg) || buf_puts(&out, "}");
        } else {
            rc = rc || buf_printf(&out, ",\"result\":\"%s\",\"observed_data\":[",
                                  res.matched ? "match" : "no-match");
            for (int i = 0; i < res.n_bound && !rc; i++) {
                rc = (i && buf_puts(&out, ",")) || buf_json_str(&out, obs->items[res.bound[i]].id);
            }
            rc = rc || buf_printf(&out, "]%s%s}", res.truncated ? ",\"truncated\":true" : "",
                                  res.regex_limit ? ",\"regex_limit\":true" : "");
        }
    } else if (!ok) {
        rc = buf_printf(&out, "invalid %s", errmsg);
    } else {
        rc = buf_puts(&out, res.matched ? "match" : "no-match");
        for (int i = 0; i < res.n_bound && !rc; i++) {
            rc = buf_printf(&out, " %s", obs->items[res.bound[i]].id);
        }
    }
    if (rc != 0) {
        cmd_error("result too large to print");
    }
    if (ok && res.regex_limit && !as_json) {
        fprintf(stderr,
                "certmesh: '%.*s': a MATCHES comparison gave up at its backtracking "
                "limit and counted as false\n",
                (int)(n > 120 ? 120 : n), text);
    }
    printf("%s\n", out.data ? out.data : "");
    buf_fini(&out);
}

/* Evaluates one pattern line (blank lines are skipped); 1 if it was invalid. */
static int match_one(const char *p, size_t n, const struct pattern_observations *obs, bool as_json)
{
    struct err err;
    const char *v = p;
    size_t vn = n;
    str_trim(&v, &vn);
    if (vn == 0) {
        return 0;
    }
    struct pattern *pat = pattern_parse(p, n, &err);
    int invalid = pat == NULL;
    match_line(pat, p, n, err.msg, obs, as_json);
    pattern_free(pat);
    return invalid;
}

static int match(const char *one, const char *file, const char *bundle_path, bool as_json)
{
    struct err err;
    size_t blen, plen = 0;
    char *btext = cmd_read_file(bundle_path, (size_t)1 << 31, &blen, &err);
    if (btext == NULL) {
        cmd_error("%s", err.msg);
        return 1;
    }
    json_t *bundle = jx_parse(btext, blen, JX_MAX_DEPTH, &err);
    free(btext);
    struct pattern_observations obs;
    if (bundle == NULL || pattern_observations_load(bundle, &obs, &err) != 0) {
        cmd_error("%s: %s", bundle_path, err.msg);
        json_decref(bundle);
        return 1;
    }
    char *ptext = NULL;
    if (file != NULL && (ptext = cmd_read_file(file, (size_t)1 << 31, &plen, &err)) == NULL) {
        cmd_error("%s", err.msg);
        pattern_observations_fini(&obs);
        json_decref(bundle);
        return 1;
    }
    int bad = 0;
    if (one != NULL) {
        bad = match_one(one, strlen(one), &obs, as_json); /* --pattern: newlines are spaces */
    } else {
        const char *pos = ptext, *p;
        size_t n;
        while (str_next_line(&pos, ptext + plen, &p, &n)) {
            bad += match_one(p, n, &obs, as_json);
        }
    }
    free(ptext);
    pattern_observations_fini(&obs);
    json_decref(bundle);
    return bad > 0 ? 1 : 0;
}

int cmd_pattern(int argc, char **argv)
{
    bool print = false, as_json = false;
    const char *one = NULL, *file = NULL, *observations = NULL;
    struct cmd_opt opts[] = {CMD_FLAG("print", &print),
                             CMD_FLAG("json", &as_json),
                             CMD_VALUE("pattern", &one),
                             CMD_VALUE("patterns", &file),
                             CMD_VALUE("observations", &observations),
                             CMD_END};
    struct cmd_args a;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (a.n_pos == 1 && strcmp(a.pos[0], "match") == 0) {
        if ((one == NULL) == (file == NULL) || observations == NULL) {
            fputs(usage, stderr);
            return 2;
        }
        return match(one, file, observations, as_json);
    }
    if (a.n_pos < 1 || a.n_pos > 2 || strcmp(a.pos[0], "check") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    return check(a.n_pos == 2 ? a.pos[1] : "-", print);
}
