/*
 * audit.c — `certmesh audit verify`: walks the hash-chained audit table and reports the
 * first row that was altered or removed.
 */
#include "cmd/cmd.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: certmesh audit verify --data DIR\n"
    "\n"
    "Checks the audit chain: every row carries the SHA-256 of the row before it. Prints\n"
    "the number of rows when intact (exit 0), or the first altered or missing row (exit 1).\n";

int cmd_audit(int argc, char **argv)
{
    const char *data = NULL;
    struct cmd_opt opts[] = {CMD_VALUE("data", &data), CMD_END};
    struct cmd_args a;
    struct err err;
    int done = cmd_start(argc, argv, opts, &a, usage);
    if (done >= 0) {
        return done;
    }
    if (a.n_pos != 1 || strcmp(a.pos[0], "verify") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        return 1;
    }
    struct store *s = cmd_open_store(data);
    if (s == NULL) {
        return 1;
    }
    int64_t rows = 0, bad = 0;
    int rc = access_audit_verify(s, &rows, &bad, &err);
    store_close(s);
    if (rc < 0) {
        cmd_error("%s", err.msg);
        return 1;
    }
    if (rc == 1) {
        printf("audit chain broken at row %lld: %s\n", (long long)bad, err.msg);
        return 1;
    }
    printf("audit chain intact: %lld rows\n", (long long)rows);
    return 0;
}
