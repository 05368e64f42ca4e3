/*
 * hunt_record.c — libFuzzer target for the record parsers that read log lines: format
 * detection and column headers (Zeek "#fields", CSV), the JSON walker that names fields,
 * field-at-offset and time extraction for every format, the log time parser, and the
 * mapping of a record to STIX observables for pattern evaluation.
 */
#include "hunt/hunt.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int leaf(void *ctx, const struct hunt_leaf *lf)
{
    size_t *n = ctx;
    /* a leaf lies inside the record */
    if (lf->offset > n[0] || lf->len > n[0] - lf->offset || strlen(lf->path) >= HUNT_FIELD_MAX) {
        __builtin_trap();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    static struct hunt_map *map;
    if (map == NULL && (map = hunt_map_new()) == NULL) {
        return 0;
    }
    static const enum hunt_format formats[] = {HUNT_FORMAT_AUTO, HUNT_FORMAT_PLAIN,
                                               HUNT_FORMAT_JSON, HUNT_FORMAT_ZEEK, HUNT_FORMAT_CSV};
    for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
        struct hunt_layout *l = hunt_layout_new(formats[f], text, size);
        if (l == NULL) {
            continue;
        }
        const char *pos = text, *line;
        size_t n;
        while (str_next_line(&pos, text + size, &line, &n)) {
            char field[HUNT_FIELD_MAX];
            ts_us t;
            for (size_t off = 0; off <= n; off += 1 + n / 8) {
                (void)hunt_record_field(l, line, n, off, field, sizeof(field));
            }
            (void)hunt_record_time(l, line, n, &t);
            (void)hunt_time_parse(line, n, &t);
            size_t len[1] = {n};
            (void)hunt_json_leaves(line, n, leaf, len);
            json_decref(hunt_record_scos(l, map, line, n));
        }
        hunt_layout_free(l);
    }
    return 0;
}
