/*
 * pattern_match.c — libFuzzer target for pattern evaluation: the first line of the input is
 * a pattern, the rest a STIX bundle of observed-data. Evaluation must stay in bounds,
 * terminate, and report only observations that exist.
 */
#include "pattern/pattern.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    if (nl == NULL) {
        return 0;
    }
    struct err err;
    struct pattern *p = pattern_parse(text, (size_t)(nl - text), &err);
    if (p == NULL) {
        return 0;
    }
    json_t *bundle = jx_parse(nl + 1, size - (size_t)(nl - text) - 1, JX_MAX_DEPTH, &err);
    struct pattern_observations obs;
    if (bundle != NULL && pattern_observations_load(bundle, &obs, &err) == 0) {
        struct pattern_result res;
        if (pattern_match(p, &obs, &res) == 0 && res.matched) {
            if (res.n_bound < 1 || res.n_bound > PATTERN_MAX_BOUND) {
                __builtin_trap();
            }
            for (int i = 0; i < res.n_bound; i++) {
                if (res.bound[i] < 0 || res.bound[i] >= obs.n) {
                    __builtin_trap();
                }
            }
        }
        pattern_observations_fini(&obs);
    }
    json_decref(bundle);
    pattern_free(p);
    return 0;
}
