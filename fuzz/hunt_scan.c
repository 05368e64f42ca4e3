/*
 * hunt_scan.c — libFuzzer target for the token scanner. The input's first line holds
 * indicators separated by spaces, the rest is log text. The two-layer scanner (prefilter
 * masks, Bloom keys, address maps) must report exactly what the exact layer alone reports:
 * a difference is a hit the prefilter lost.
 */
#include "hunt/hunt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct out {
    struct buf b;
};

static void collect(void *ctx, const struct hunt_hit *h)
{
    struct out *o = ctx;
    if (buf_printf(&o->b, "%s|%s|%d|%zu\n", h->indicator, h->value, (int)h->match, h->offset) !=
        0) {
        __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t head = nl ? (size_t)(nl - text) : size;
    struct hunt_index *ix = hunt_index_new();
    if (ix == NULL) {
        return 0;
    }
    struct err err;
    for (size_t i = 0; i < head;) {
        size_t e = i;
        while (e < head && text[e] != ' ') {
            e++;
        }
        if (e > i && e - i < 256) {
            char label[256];
            memcpy(label, text + i, e - i);
            label[e - i] = '\0';
            (void)hunt_index_add(ix, text + i, e - i, label, 0, -1, &err);
        }
        i = e + 1;
    }
    const char *log = nl ? nl + 1 : text + size;
    size_t n = size - (size_t)(log - text);
    struct out fast, exact;
    buf_init(&fast.b, (size_t)1 << 24);
    buf_init(&exact.b, (size_t)1 << 24);
    hunt_scan(ix, log, n, collect, &fast);
    hunt_scan_exact(ix, log, n, collect, &exact);
    if (fast.b.len != exact.b.len ||
        (fast.b.len > 0 && memcmp(fast.b.data, exact.b.data, fast.b.len) != 0)) {
        fprintf(stderr, "prefiltered:\n%.*s\nexact:\n%.*s\n", (int)fast.b.len, fast.b.data,
                (int)exact.b.len, exact.b.data);
        __builtin_trap();
    }
    buf_fini(&fast.b);
    buf_fini(&exact.b);
    hunt_index_free(ix);
    return 0;
}
