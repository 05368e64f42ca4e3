/*
 * stix_validate.c — libFuzzer target: arbitrary bytes through the same path a POST body
 * takes (bounded JSON parse, envelope/bundle unwrapping, STIX validation, metadata and
 * TLP extraction). Any crash, leak or sanitizer report is a bug.
 */
#include "base/base.h"
#include "stix/stix.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err;
    json_t *doc = jx_parse((const char *)data, size, JX_MAX_DEPTH, &err);
    if (doc == NULL) {
        return 0;
    }
    json_t *objs = stix_objects_of(doc, &err);
    if (objs == NULL) {
        /* a single object is worth validating too */
        if (stix_validate(doc, "objects[0]", &err) == 0) {
            struct stix_meta m;
            (void)stix_meta_of(doc, &m);
        }
        json_decref(doc);
        return 0;
    }
    size_t i;
    json_t *o;
    json_array_foreach(objs, i, o)
    {
        char where[32];
        snprintf(where, sizeof(where), "objects[%zu]", i);
        if (stix_validate(o, where, &err) == 0) {
            struct stix_meta m;
            if (stix_meta_of(o, &m) == 0 && (m.tlp < STIX_TLP_UNMARKED || m.tlp > STIX_TLP_RED)) {
                __builtin_trap();
            }
        } else if (strncmp(err.msg, where, strlen(where)) != 0) {
            __builtin_trap(); /* every message must name the object */
        }
    }
    json_decref(objs);
    json_decref(doc);
    return 0;
}
