/*
 * stix_validate.c — libFuzzer target: arbitrary bytes through the same path a POST body
 * takes (bounded JSON parse, envelope/bundle unwrapping, STIX validation, metadata and
 * TLP extraction), and the path a peer's object takes on receipt: its node signatures
 * checked over its RFC 8785 canonical form, which must be stable (canonicalising the
 * canonical text again gives the same bytes). Any crash, leak or sanitizer report is a bug.
 */
#include "access/access.h"
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
    struct buf c1, c2;
    buf_init(&c1, (size_t)1 << 24);
    buf_init(&c2, (size_t)1 << 24);
    if (stix_canonical(doc, &c1) == 0) {
        json_t *again = jx_parse(c1.data, c1.len, JX_MAX_DEPTH + 1, &err);
        if (again != NULL && stix_canonical(again, &c2) == 0 &&
            (c1.len != c2.len || memcmp(c1.data, c2.data, c1.len) != 0)) {
            __builtin_trap();
        }
        json_decref(again);
    }
    buf_fini(&c1);
    buf_fini(&c2);
    char signer[ACCESS_SIGNING_KEY_B64];
    (void)access_verify(doc, signer, &err);
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
