/*
 * nfc.c — Unicode NFC normalisation for LIKE and MATCHES (STIX 2.1 section 9.6.1: the
 * LIKE constant and a MATCHES string property are compared NFC-normalised). ICU does the
 * work; ASCII text, which is nearly every value, is already NFC and skips it.
 */
#include "pattern/pattern.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

char *pattern_nfc(const char *s, size_t n, size_t *out_len)
{
    bool ascii = true;
    for (size_t i = 0; i < n && ascii; i++) {
        ascii = (unsigned char)s[i] < 0x80;
    }
    if (ascii || n > (size_t)INT32_MAX / 4) {
        return NULL;
    }
    UErrorCode st = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
    if (U_FAILURE(st)) {
        return NULL;
    }
    int32_t ulen = 0;
    u_strFromUTF8(NULL, 0, &ulen, s, (int32_t)n, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st)) {
        return NULL;
    }
    st = U_ZERO_ERROR;
    UChar *u = malloc(sizeof(UChar) * ((size_t)ulen + 1));
    /* NFC can grow a string at most threefold */
    int32_t cap = ulen * 3 + 1;
    UChar *v = malloc(sizeof(UChar) * (size_t)cap);
    char *out = NULL;
    if (u == NULL || v == NULL) {
        goto done;
    }
    u_strFromUTF8(u, ulen + 1, NULL, s, (int32_t)n, &st);
    int32_t vlen = U_SUCCESS(st) ? unorm2_normalize(nfc, u, ulen, v, cap, &st) : 0;
    int32_t olen = 0;
    if (U_FAILURE(st)) {
        goto done;
    }
    u_strToUTF8(NULL, 0, &olen, v, vlen, &st);
    st = U_ZERO_ERROR;
    out = malloc((size_t)olen + 1);
    if (out == NULL) {
        goto done;
    }
    u_strToUTF8(out, olen + 1, NULL, v, vlen, &st);
    if (U_FAILURE(st)) {
        free(out);
        out = NULL;
        goto done;
    }
    *out_len = (size_t)olen;
done:
    free(u);
    free(v);
    return out;
}
