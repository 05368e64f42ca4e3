/*
 * hunt — matching shared indicators against a CERT's own logs. This first part is the
 * indicator vocabulary: recognising what kind of value a plain-list indicator is and
 * normalising it to the one form the index and the log tokenizer will agree on. The
 * index, the log readers and the scanner build on it (issue 4).
 */
#ifndef CERTMESH_HUNT_H
#define CERTMESH_HUNT_H

#include "base/base.h"

enum hunt_type {
    HUNT_IPV4,
    HUNT_IPV6,
    HUNT_CIDR4,
    HUNT_CIDR6,
    HUNT_DOMAIN,
    HUNT_URL,
    HUNT_MD5,
    HUNT_SHA1,
    HUNT_SHA256,
    HUNT_SHA512,
    HUNT_EMAIL,
    HUNT_BTC,  /* Base58Check (P2PKH, P2SH) or Bech32/Bech32m (segwit) address */
    HUNT_ETH,  /* 0x and 40 hex digits */
    HUNT_IBAN, /* ISO 13616, mod-97 checked */
};

#define HUNT_VALUE_MAX 2048

/* Recognises one indicator value (surrounding spaces ignored) and writes its normal form:
 * IPv6 in RFC 5952 form, CIDR ranges with their network address, domains lowercase
 * without a trailing dot, URLs with lowercase scheme and host, no
 * default port and unreserved characters decoded, hashes and e-mail addresses lowercase,
 * IBANs uppercase
 * without spaces. Bitcoin addresses must pass their checksum, IBANs mod 97. Returns 0, or
 * -1 with err saying why the value is not a usable indicator. */
int hunt_classify(const char *s, size_t n, enum hunt_type *type, char norm[HUNT_VALUE_MAX],
                  struct err *err) BASE_WARN_UNUSED;

const char *hunt_type_name(enum hunt_type t);

#endif
