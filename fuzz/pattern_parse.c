/*
 * pattern_parse.c — libFuzzer target for the STIX pattern parser: any input either fails
 * with a "column N: ..." message, or parses, prints canonically, and parses back to an
 * equal AST whose reprint is identical.
 */
#include "pattern/pattern.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err;
    struct pattern *p = pattern_parse((const char *)data, size, &err);
    if (p == NULL) {
        if (strncmp(err.msg, "column ", 7) != 0 && strcmp(err.msg, "out of memory") != 0) {
            __builtin_trap();
        }
        return 0;
    }
    struct buf a, b;
    buf_init(&a, (size_t)1 << 24);
    buf_init(&b, (size_t)1 << 24);
    if (pattern_print(p, &a) == 0) {
        struct pattern *q = pattern_parse(a.data, a.len, &err);
        if (q == NULL || !pattern_equal(p, q) || pattern_print(q, &b) != 0 || a.len != b.len ||
            memcmp(a.data, b.data, a.len) != 0) {
            __builtin_trap();
        }
        pattern_free(q);
    }
    buf_fini(&a);
    buf_fini(&b);
    pattern_free(p);
    return 0;
}
