/*
 * base — the small toolkit every other module stands on: error messages for people,
 * logging, bounded growable buffers, RFC 3339 timestamps, UUIDs, base64/hex checks and
 * JSON parsing with hard limits. Each noun has its own short prefix (err_, log_, buf_,
 * ts_, uuid_, b64_, hex_, jx_) the way Redis has sds and dict. Nothing here knows STIX,
 * HTTP or SQL.
 */
#ifndef CERTMESH_BASE_H
#define CERTMESH_BASE_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BASE_WARN_UNUSED  __attribute__((warn_unused_result))
#define BASE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define BASE_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ------------------------------------------------------------------------ */

/* A message for a person, filled by the function that failed. Callers own it. */
#define ERR_MSG_MAX 512
struct err {
    char msg[ERR_MSG_MAX];
};

/* Sets err->msg (truncating if needed); err may be NULL. Always returns -1 so that a
 * failing function can `return err_set(err, ...)`. */
int err_set(struct err *err, const char *fmt, ...) BASE_PRINTF(2, 3);

/* ---- logging ----------------------------------------------------------------------- */

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Messages below this level are dropped. Default LOG_INFO; CERTMESH_LOG=debug lowers it. */
void log_set_level(enum log_level level);
/* One line on stderr: time, level, message. Thread-safe (one write(2) per line). */
void log_msg(enum log_level level, const char *fmt, ...) BASE_PRINTF(2, 3);
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* ---- buffers ----------------------------------------------------------------------- */

/* A growable byte buffer with a hard maximum: appends that would pass `max` fail with -1
 * and leave the buffer as it was. `data` is always NUL-terminated when non-NULL. */
struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_fini(struct buf *b);
void buf_reset(struct buf *b);
/* Drops everything after the first len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Makes room for `extra` more bytes at once (fewer copies when the size is known). */
int buf_reserve(struct buf *b, size_t extra) BASE_WARN_UNUSED;
int buf_append(struct buf *b, const void *p, size_t n) BASE_WARN_UNUSED;
int buf_puts(struct buf *b, const char *s) BASE_WARN_UNUSED;
int buf_printf(struct buf *b, const char *fmt, ...) BASE_PRINTF(2, 3) BASE_WARN_UNUSED;
/* Appends s as a JSON string literal, quotes included. */
int buf_json_str(struct buf *b, const char *s) BASE_WARN_UNUSED;
/* Hands the bytes to the caller (free() them) and leaves the buffer empty. */
char *buf_steal(struct buf *b, size_t *len);

/* ---- strings ----------------------------------------------------------------------- */

/* Copies at most dst_size-1 bytes and terminates; returns -1 if src was truncated. */
int str_copy(char *dst, size_t dst_size, const char *src);
/* Parses a whole decimal integer in [min, max]; no sign games, no trailing bytes. */
int str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out) BASE_WARN_UNUSED;
bool str_has_prefix(const char *s, const char *prefix);
/* Line iteration over a buffer: sets *line and *len to the next line without its "\n" or
 * "\r\n" and advances *pos; false when the buffer is used up. */
bool str_next_line(const char **pos, const char *end, const char **line, size_t *len);
/* Trims spaces, tabs and CRs at both ends of (*s, *n). */
void str_trim(const char **s, size_t *n);
/* Cuts a '#' comment off a line, then trims it: what list files (indicators, warninglists)
 * hold. */
void str_list_value(const char **s, size_t *n);
/* True if the n bytes at s are valid UTF-8 (no overlongs, no surrogates). */
bool str_utf8_valid(const char *s, size_t n);

/* ---- timestamps -------------------------------------------------------------------- */

/* Microseconds since 1970-01-01T00:00:00Z. */
typedef int64_t ts_us;
#define TS_MAX_TEXT 40

/* Parses the strict STIX/TAXII form YYYY-MM-DDTHH:MM:SS[.s+]Z (RFC 3339, UTC, "Z").
 * Sub-microsecond digits are accepted and truncated. *frac_digits gets the number of
 * fractional digits written (0 if none); it may be NULL. Returns 0 or -1. */
int ts_parse(const char *s, ts_us *out, int *frac_digits) BASE_WARN_UNUSED;
/* Formats with exactly `digits` fractional digits (0, 3 or 6). out needs TS_MAX_TEXT. */
void ts_format(ts_us t, int digits, char out[TS_MAX_TEXT]);
ts_us ts_now(void);

/* ---- identifiers and encodings ----------------------------------------------------- */

#define UUID_TEXT 37
/* A random (version 4) UUID in lowercase text. Uses getrandom(2). */
void uuid_v4(char out[UUID_TEXT]);
/* A version 4 UUID text from 16 caller-chosen bytes (deterministic test data). */
void uuid_from_bytes(const unsigned char bytes[16], char out[UUID_TEXT]);
/* The same with another version number (5 for name-based SHA-1, RFC 4122 4.3). */
void uuid_from_bytes_v(const unsigned char bytes[16], int version, char out[UUID_TEXT]);
/* True for an RFC 4122 UUID in lowercase canonical text (8-4-4-4-12, variant 10xx). */
bool uuid_valid(const char *s, size_t n);
/* Fills n bytes from the kernel CSPRNG; returns 0 or -1. */
int random_bytes(void *p, size_t n) BASE_WARN_UNUSED;

/* True if s is canonical padded base64 (RFC 4648 section 4). */
bool b64_valid(const char *s, size_t n);
/* Encodes n bytes; out needs 4*((n+2)/3)+1 bytes. Returns the text length. */
size_t b64_encode(const void *p, size_t n, char *out);
/* Decodes into out (capacity cap); returns the byte count or -1 on bad input/overflow. */
long b64_decode(const char *s, size_t n, void *out, size_t cap);
bool hex_valid(const char *s, size_t n);
void hex_encode(const void *p, size_t n, char *out);

/* ---- IP addresses and prefixes --------------------------------------------------------- */

/* An IPv4 or IPv6 address with a prefix length (32 or 128 for a single address). */
struct ip_prefix {
    int family; /* 4 or 6 */
    unsigned char addr[16];
    int bits;
};

/* Parses "addr" or "addr/len" (n bytes). 0, or -1 if it is neither an address nor a prefix. */
int ip_prefix_parse(const char *s, size_t n, struct ip_prefix *out) BASE_WARN_UNUSED;
/* True if every address of inner lies in outer (same family). */
bool ip_prefix_within(const struct ip_prefix *inner, const struct ip_prefix *outer);
/* Canonical text (RFC 5952 for IPv6), "/len" only for a proper prefix. out needs 64. */
void ip_prefix_format(const struct ip_prefix *p, char out[64]);

/* ---- JSON -------------------------------------------------------------------------- */

#define JX_MAX_DEPTH 64

/* Parses n bytes of JSON text with the limits outside input needs: nesting deeper than
 * max_depth, invalid UTF-8, duplicate object keys and trailing bytes are errors with a
 * message naming the position. Returns a new reference or NULL. */
json_t *jx_parse(const char *p, size_t n, int max_depth, struct err *err);
/* Compact serialisation into a fresh string (free() it), NULL on out-of-memory. */
char *jx_dump(const json_t *j, size_t *len);
/* The string value of key, or NULL if absent or not a string. */
const char *jx_str(const json_t *obj, const char *key);

/* Bytes of a JSON text. */
struct jx_span {
    const char *p;
    size_t n;
};

/* The text of each element of the array that is member `key` of the top-level object of
 * a JSON text that jx_parse() has accepted: the scan relies on that (well-formed, no
 * duplicate keys) and only follows strings and nesting, decoding member names so that an
 * escaped "obj\u0065cts" is found too. Writes at most max spans; returns how many
 * elements there are, or -1 when the member is missing or not an array. Lets what was
 * received be kept as it came instead of serialised again. */
long jx_array_spans(const char *text, size_t n, const char *key, struct jx_span *out, size_t max);

#endif
