/*
 * sync_response.c — libFuzzer target for what a peer answers a node: a Get Objects
 * envelope (with an X-TAXII-Date-Added-Last header), each object's signatures judged as a
 * pull judges them, and the same bytes as a status resource for three versions pushed.
 * Checks the parsers' promises as well as their memory safety, and that the spans the
 * objects are stored from (jx_array_spans) read back to what jansson parsed.
 */
#include "sync/internal.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sync_envelope e;
    struct err err;
    /* the header: the input's first line, when it has one */
    char last[80] = "";
    const uint8_t *nl = memchr(data, '\n', size < sizeof(last) ? size : sizeof(last));
    if (nl != NULL) {
        memcpy(last, data, (size_t)(nl - data));
        last[nl - data] = '\0';
        size -= (size_t)(nl - data) + 1;
        data = nl + 1;
    }
    if (sync_envelope_parse((const char *)data, size, last, &e, &err) == 0) {
        if ((e.objs != NULL && !json_is_array(e.objs)) ||
            (e.next != NULL && strlen(e.next) >= SYNC_NEXT_MAX) ||
            strlen(e.last) >= sizeof(e.last)) {
            __builtin_trap();
        }
        /* the spans a peer's objects are stored from are exactly the elements jansson
         * parsed: each reads back to the same value (the scanner against the parser) */
        size_t n = json_array_size(e.objs);
        struct jx_span spans[64];
        long got = jx_array_spans((const char *)data, size, "objects", spans, 64);
        if (e.objs != NULL && got != (long)n) {
            __builtin_trap();
        }
        for (size_t k = 0; e.objs != NULL && k < n && k < 64; k++) {
            json_error_t je;
            json_t *back = json_loadb(spans[k].p, spans[k].n, JSON_DECODE_ANY, &je);
            if (back == NULL || !json_equal(back, json_array_get(e.objs, k))) {
                __builtin_trap();
            }
            json_decref(back);
        }
        struct access_peer_keys keys = {.require = true, .pinned = true, .n_known = 1};
        str_copy(keys.known[0], sizeof(keys.known[0]),
                 "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
        size_t i;
        json_t *o;
        json_array_foreach(e.objs, i, o)
        {
            char signer[ACCESS_SIGNING_KEY_B64] = "";
            int v = access_verify(o, signer, &err);
            const char *why = access_signature_verdict(&keys, v, signer);
            if (v < -1 || v > 1 || (v == 0 && strlen(signer) != 44) || (v != 0 && why == NULL)) {
                __builtin_trap();
            }
        }
        sync_envelope_fini(&e);
    }
    json_t *st = jx_parse((const char *)data, size, JX_MAX_DEPTH, &err);
    struct sync_sent sent[3] = {
        {.id = "indicator--00000000-0000-4000-8000-000000000001", .version = 1767225600000000},
        {.id = "indicator--00000000-0000-4000-8000-000000000002", .version = 1767225600000000},
        {.id = "indicator--00000000-0000-4000-8000-000000000001", .version = 1767225601000000},
    };
    bool complete = sync_status_apply(sent, 3, st);
    for (int k = 0; k < 3; k++) {
        if (sent[k].outcome > SYNC_FAILED || (complete && sent[k].outcome == SYNC_PENDING) ||
            memchr(sent[k].msg, '\0', sizeof(sent[k].msg)) == NULL) {
            __builtin_trap();
        }
    }
    json_decref(st);
    return 0;
}
