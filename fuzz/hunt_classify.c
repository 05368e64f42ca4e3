/*
 * hunt_classify.c — libFuzzer target for indicator recognition (every line of a plain
 * indicator list goes through it). A recognised value's normal form must itself be
 * recognised as the same type with the same normal form.
 */
#include "hunt/hunt.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum hunt_type t, t2;
    char norm[HUNT_VALUE_MAX], norm2[HUNT_VALUE_MAX];
    struct err err;
    if (hunt_classify((const char *)data, size, &t, norm, &err) != 0) {
        return 0;
    }
    if (hunt_classify(norm, strlen(norm), &t2, norm2, &err) != 0 || t2 != t ||
        strcmp(norm, norm2) != 0) {
        __builtin_trap();
    }
    return 0;
}
