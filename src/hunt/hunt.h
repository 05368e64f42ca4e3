/*
 * hunt — matching shared indicators against a CERT's own logs. This first part is the
 * indicator vocabulary: recognising what kind of value a plain-list indicator is and
 * normalising it to the one form the index and the log tokenizer will agree on. The
 * index, the log readers and the scanner build on it (issue 4).
 */
#ifndef CERTMESH_HUNT_H
#define CERTMESH_HUNT_H

#include "base/base.h"
#include "pattern/pattern.h"

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

/* ---- warninglists ------------------------------------------------------------------------- */

/* Lists of values that must not be hunted for because they would flood analysts with
 * false positives: the built-in special-purpose address ranges of RFC 6890 and
 * well-known public resolvers, plus any user lists. */
struct hunt_warninglists;

/* The built-in lists (builtin=false: none), ready for hunt_warninglists_load(). */
struct hunt_warninglists *hunt_warninglists_new(bool builtin);
void hunt_warninglists_free(struct hunt_warninglists *w);
/* Adds a user list named name from text (one value per line, '#' comments): addresses,
 * ranges, domains, URLs or any other indicator value. Lines that are not indicators are
 * counted in *skipped. */
int hunt_warninglists_load(struct hunt_warninglists *w, const char *name, const char *text,
                           size_t len, size_t *skipped, struct err *err) BASE_WARN_UNUSED;
/* The name of the list that catches an indicator (in normal form), or NULL. An address is
 * caught when a listed range holds it, a range when it overlaps a listed range, anything
 * else when it is listed exactly. */
const char *hunt_warninglists_match(const struct hunt_warninglists *w, enum hunt_type t,
                                    const char *norm);

/* ---- the index and the scanner ---------------------------------------------------------- */

enum hunt_match { HUNT_MATCH_EXACT, HUNT_MATCH_SUBDOMAIN, HUNT_MATCH_IN_RANGE, HUNT_MATCH_PATTERN };

const char *hunt_match_name(enum hunt_match m);

struct hunt_index;

/* An empty index; NULL on out-of-memory. */
struct hunt_index *hunt_index_new(void);
void hunt_index_free(struct hunt_index *ix); /* NULL is a no-op */

/* A domain that must match only exactly: a domain from a STIX pattern is that domain, not
 * its subdomains (STIX 2.1 section 9.6.1 equality). */
#define HUNT_EXACT_ONLY 1u

/* Adds one indicator value (any form hunt_classify accepts) with a caller label (its id or
 * the value itself, copied) and a caller tag handed back in hits (-1 when unused). flags:
 * HUNT_EXACT_ONLY or 0. The same value under another label (another indicator sharing it)
 * is kept beside the first, and both are hit. Returns 0, 1 if the value is already there
 * under this label, -1 with err if the value is not an indicator or memory ran out. */
int hunt_index_add(struct hunt_index *ix, const char *value, size_t n, const char *label,
                   unsigned flags, int32_t tag, struct err *err);
/* The same for a value hunt_classify() has already recognised (type and normal form). */
int hunt_index_add_norm(struct hunt_index *ix, enum hunt_type t, const char *norm,
                        const char *label, unsigned flags, int32_t tag, struct err *err);
/* One value of many to add at once (hunt_index_add_items). */
enum hunt_item_status {
    HUNT_ITEM_ADDED,
    HUNT_ITEM_DUPLICATE, /* already there: the first label and tag stay */
    HUNT_ITEM_INVALID,   /* not an indicator: hunt_classify() says why */
    HUNT_ITEM_SET_ASIDE, /* on a warninglist: list names it */
};

struct hunt_item {
    /* in */
    const char *value; /* need not be NUL-terminated */
    size_t len;
    const char *label; /* NUL-terminated, copied */
    int32_t tag;
    /* out */
    enum hunt_item_status status;
    enum hunt_type type;
    const char *list; /* the warninglist that caught it */
    /* the index's own */
    size_t key;
    uint64_t hash, pf;
    bool has_pf;
};

/* Classifies n values on up to threads threads, sets aside those a warninglist (may be
 * NULL) catches, and adds the others in order, as hunt_index_add() would one by one.
 * Each item's status says what became of it. Returns 0, or -1 with err on out-of-memory. */
int hunt_index_add_items(struct hunt_index *ix, const struct hunt_warninglists *wl,
                         struct hunt_item *items, size_t n, unsigned flags, int threads,
                         struct err *err) BASE_WARN_UNUSED;
/* Makes room for n more values at once (fewer rehashes when the count is known).
 * Returns 0, or -1 on out-of-memory. */
int hunt_index_reserve(struct hunt_index *ix, size_t n);
size_t hunt_index_size(const struct hunt_index *ix);
/* The label of a value (not a range) in normal form, or NULL if the index lacks it. */
const char *hunt_index_find(const struct hunt_index *ix, enum hunt_type t, const char *norm);
/* Bytes the index holds on the heap. */
size_t hunt_index_memory(const struct hunt_index *ix);

struct hunt_hit {
    const char *label;     /* the indicator's label */
    const char *indicator; /* its normal form */
    int32_t tag;           /* as given to hunt_index_add */
    enum hunt_type type;
    enum hunt_match match;
    const char *value; /* the normal form of what was found in the text */
    size_t offset;     /* byte offset of the token in the scanned text */
};

typedef void (*hunt_hit_fn)(void *ctx, const struct hunt_hit *hit);

/* Finds every indicator in n bytes of text: tokens are matched whole (an address never
 * inside a longer number, a domain never inside a longer label), domains also by their
 * parent domains (reported as subdomain), addresses also inside ranges (in-range), URL
 * hosts as domains or addresses, never as the URL. Hits arrive in text order. Safe to call
 * from several threads on one index that no longer changes. Returns the number of hits. */
size_t hunt_scan(const struct hunt_index *ix, const char *text, size_t n, hunt_hit_fn fn,
                 void *ctx);
/* hunt_scan() that also counts the '\n' in the text into *lines. */
size_t hunt_scan_lines(const struct hunt_index *ix, const char *text, size_t n, hunt_hit_fn fn,
                       void *ctx, size_t *lines);
/* The same hits by the exact layer alone, every token normalised and looked up: the
 * reference hunt_scan() is tested against, and far slower. */
size_t hunt_scan_exact(const struct hunt_index *ix, const char *text, size_t n, hunt_hit_fn fn,
                       void *ctx);

/* Every indicator-shaped value of a text, tokenised as hunt_scan() does it (URL hosts and
 * e-mail domains also as domains), in normal form: the observables of a log record. */
typedef void (*hunt_value_fn)(void *ctx, enum hunt_type t, const char *norm, size_t offset);
size_t hunt_values(const char *text, size_t n, hunt_value_fn fn, void *ctx);

/* ---- log records ------------------------------------------------------------------------- */

enum hunt_format {
    HUNT_FORMAT_AUTO,
    HUNT_FORMAT_PLAIN,
    HUNT_FORMAT_JSON,
    HUNT_FORMAT_ZEEK,
    HUNT_FORMAT_CSV
};

#define HUNT_FIELD_MAX 256

const char *hunt_format_name(enum hunt_format f);
int hunt_format_parse(const char *s, enum hunt_format *f); /* 0, or -1 if unknown */

/* How the lines of one file are laid out: the format (told from the file's first bytes
 * when AUTO: Zeek by "#separator", JSON lines by '{', else plain; CSV only when asked) and,
 * for Zeek TSV and CSV, the column names ("#fields" or the header line). */
struct hunt_layout;

/* A layout from the first bytes of a file; NULL on out-of-memory. */
struct hunt_layout *hunt_layout_new(enum hunt_format forced, const char *head, size_t n);
void hunt_layout_free(struct hunt_layout *l); /* NULL is a no-op */
enum hunt_format hunt_layout_format(const struct hunt_layout *l);

/* The name of the field holding byte off of a record (a line without its newline): the
 * dotted key path in JSON ("dns.rrname"), the column name in Zeek and CSV. False for plain
 * text or when no field holds it. */
bool hunt_record_field(const struct hunt_layout *l, const char *rec, size_t n, size_t off,
                       char *out, size_t cap);
/* The record's time from its format's time field (JSON "timestamp"/"ts"/"time"/
 * "@timestamp", the Zeek or CSV column named so), or for plain text a time at the start of
 * the line or in [brackets] near it. False when there is none. */
bool hunt_record_time(const struct hunt_layout *l, const char *rec, size_t n, ts_us *t);
/* Parses the times logs write: RFC 3339 and ISO 8601 (also with a space and "+hhmm"),
 * "28/Nov/2026:10:00:00 +0000", "28-Nov-2026 10:00:00.123" and Unix seconds. */
bool hunt_time_parse(const char *s, size_t n, ts_us *t);

/* The name of column col (Zeek, CSV), or NULL past the last. */
const char *hunt_layout_column(const struct hunt_layout *l, int col);
/* The raw text of column col of a Zeek or CSV record (CSV quotes stripped). */
bool hunt_record_column(const struct hunt_layout *l, const char *rec, size_t n, int col,
                        const char **value, size_t *len);

/* One scalar of a JSON record: its dotted key path, raw text (strings without quotes,
 * escapes left as written) and offset in the record. */
struct hunt_leaf {
    const char *path;
    const char *value;
    size_t len;
    size_t offset;
    bool quoted;
};

/* Calls fn for every scalar of a JSON object in order until fn returns non-zero.
 * Returns 0, or -1 if the record is not a well-formed JSON object (depth at most 32). */
typedef int (*hunt_leaf_fn)(void *ctx, const struct hunt_leaf *leaf);
int hunt_json_leaves(const char *rec, size_t n, hunt_leaf_fn fn, void *ctx);

/* ---- records as observations, patterns over streams (observe.c) ------------------------- */

/* Which log fields are which observables, for pattern evaluation: a built-in mapping for
 * Suricata eve and Zeek, overridden or extended by a user's. */
struct hunt_map;

struct hunt_map *hunt_map_new(void); /* the built-in mapping; NULL on out-of-memory */
void hunt_map_free(struct hunt_map *m);
/* Adds a user mapping: a JSON object {"field.path": "TYPE:PROPERTY"} whose targets are
 * ipv4-addr:value, ipv6-addr:value, domain-name:value, url:value, email-addr:value,
 * file:name, file:hashes.ALGO, user-account:user_id and network-traffic:src_ref, dst_ref,
 * src_port, dst_port, protocols. Returns 0, or -1 with err. */
int hunt_map_load(struct hunt_map *m, const char *text, size_t n, struct err *err);

/* A record's observables as the SCO dictionary of an observed-data object ("0": {...}):
 * the mapped fields (m may be NULL) and every indicator-shaped value. NULL on OOM. */
json_t *hunt_record_scos(const struct hunt_layout *l, const struct hunt_map *m, const char *rec,
                         size_t n);

#define HUNT_WINDOW_MAX 256 /* observations one pattern's window holds */

/* The recent observations a pattern is evaluated over. */
struct hunt_window;

struct hunt_window *hunt_window_new(const struct pattern *p, size_t max);
void hunt_window_free(struct hunt_window *w); /* NULL is a no-op */
/* Adds a record's observation (scos: reference taken) at record time t and evaluates the
 * pattern over the window; *matched when this record completes a match. A match uses its
 * observations up: each is reported once. Returns 0, or -1 on out-of-memory. */
int hunt_window_push(struct hunt_window *w, json_t *scos, ts_us t, bool *matched);
/* How many of the window's evaluations had a MATCHES comparison give up at its
 * backtracking limit (counted as false): a pattern the analyst should look at. */
size_t hunt_window_regex_limited(const struct hunt_window *w);

/* ---- reading logs ------------------------------------------------------------------------ */

#define HUNT_BLOCK       ((size_t)64 << 20) /* bytes of lines handed out at a time */
#define HUNT_MAX_THREADS 64

/* A log to read: a file (memory mapped), or "-" for stdin; gzip and zstd streams are
 * recognised by their magic bytes and decompressed on the fly. */
struct hunt_source;

int hunt_source_open(const char *path, struct hunt_source **out, struct err *err) BASE_WARN_UNUSED;
void hunt_source_close(struct hunt_source *s); /* NULL is a no-op */
/* The next block of whole lines (the last line of the input may lack its newline; a line
 * longer than the block is cut): *data stays valid until the next call. *len is 0 at the
 * end. Returns 0, or -1 with err on a read or decompression error. */
int hunt_source_next(struct hunt_source *s, const char **data, size_t *len,
                     struct err *err) BASE_WARN_UNUSED;

struct hunt_progress {
    void (*fn)(void *ctx, size_t bytes_done); /* called on the calling thread, ~5 times a second */
    void *ctx;
};

/* Scans a block of lines with up to threads threads (each line wholly in one thread's
 * part) and calls fn on the calling thread for every hit in text order, offsets from the
 * start of the block, so the hits never depend on the thread count. *newlines gets the
 * number of '\n' in the block. Returns 0, or -1 with err if memory ran out. */
int hunt_scan_block(const struct hunt_index *ix, const char *text, size_t n, int threads,
                    const struct hunt_progress *progress, hunt_hit_fn fn, void *ctx,
                    size_t *newlines, struct err *err) BASE_WARN_UNUSED;

#endif
