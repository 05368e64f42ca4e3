/*
 * pattern.c — `certmesh pattern check`: validates STIX patterns, one per line, and says
 * where each invalid one goes wrong.
 */
#include "cmd/cmd.h"
#include "pattern/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh pattern check [FILE|-] [--print]\n"
    "\n"
    "Checks STIX 2.1 patterns, one per line (blank lines are skipped), from FILE or stdin.\n"
    "Prints 'line N: column C: message' for each invalid pattern on stdout and exits 1 if\n"
    "any is invalid. --print also prints each valid pattern in canonical form.\n";

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
    for (char *p = text; p < text + len;) {
        char *nl = memchr(p, '\n', (size_t)(text + len - p));
        size_t full = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
        size_t n = full;
        line++;
        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }
        size_t blank = 0;
        while (blank < n && (p[blank] == ' ' || p[blank] == '\t')) {
            blank++;
        }
        if (blank < n) {
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
        p += full + 1;
    }
    buf_fini(&out);
    free(text);
    if (bad > 0) {
        fprintf(stderr, "%d invalid pattern%s\n", bad, bad == 1 ? "" : "s");
    }
    return bad > 0 ? 1 : 0;
}

int cmd_pattern(int argc, char **argv)
{
    bool print = false;
    struct cmd_opt opts[] = {{"print", NULL, &print}, {NULL, NULL, NULL}};
    struct cmd_args a;
    if (cmd_parse(argc, argv, opts, &a, usage) != 0) {
        return 2;
    }
    if (a.help) {
        return 0;
    }
    if (a.n_pos < 1 || a.n_pos > 2 || strcmp(a.pos[0], "check") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    return check(a.n_pos == 2 ? a.pos[1] : "-", print);
}
