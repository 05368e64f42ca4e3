/*
 * taxii_query.c — libFuzzer target for the TAXII 2.1 query-string parser, which reads the
 * raw query of every GET. Checks the parser's promises as well as its memory safety.
 */
#include "taxii/taxii.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct taxii_filter f;
    struct err err;
    char *q = malloc(size + 1);
    if (q == NULL) {
        return 0;
    }
    memcpy(q, data, size);
    q[size] = '\0';
    if (taxii_query_parse(q, &f, &err) == 0) {
        if (f.has_limit && (f.limit < 1 || f.limit > TAXII_MAX_LIMIT)) {
            __builtin_trap();
        }
        if (f.v_all && (f.v_first || f.v_last || f.n_versions > 0)) {
            __builtin_trap();
        }
        for (int i = 0; i < f.n_types; i++) {
            if (f.types[i][0] == '\0') {
                __builtin_trap();
            }
        }
        if (f.used > sizeof(f.arena)) {
            __builtin_trap();
        }
    }
    free(q);
    return 0;
}
