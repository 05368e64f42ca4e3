/*
 * pattern — STIX 2.1 patterning (STIX 2.1 section 9): a hand-written lexer and
 * recursive-descent parser producing an AST, the spec's semantic checks with errors a
 * person can act on, and a canonical printer whose output parses back to the same AST.
 * Evaluation against observed-data and compilation to hunting terms build on this AST.
 */
#ifndef CERTMESH_PATTERN_H
#define CERTMESH_PATTERN_H

#include "base/base.h"
#include "stix/stix.h"

#define PATTERN_MAX_LEN   65536 /* bytes of pattern text */
#define PATTERN_MAX_DEPTH 64    /* nesting of parentheses and operators */
#define PATTERN_MAX_SET   4096  /* values in one IN list */
#define PATTERN_MAX_NODES 65536 /* AST nodes of one pattern */

enum pattern_lit_kind {
    PATTERN_LIT_INT,
    PATTERN_LIT_FLOAT,
    PATTERN_LIT_STRING,
    PATTERN_LIT_BOOL,
    PATTERN_LIT_BINARY, /* b'…' */
    PATTERN_LIT_HEX,    /* h'…' */
    PATTERN_LIT_TIMESTAMP,
};

struct pattern_lit {
    enum pattern_lit_kind kind;
    int64_t i;                  /* INT, BOOL (0/1) */
    double f;                   /* FLOAT */
    ts_us t;                    /* TIMESTAMP */
    const char *text;           /* STRING: decoded; FLOAT/TIMESTAMP: as written (sign-normalised) */
    size_t len;                 /* bytes of text, or of bytes */
    const unsigned char *bytes; /* BINARY, HEX: decoded octets */
};

enum pattern_step_kind { PATTERN_STEP_KEY, PATTERN_STEP_INDEX, PATTERN_STEP_ANY };

struct pattern_step {
    enum pattern_step_kind kind;
    const char *key; /* KEY */
    bool quoted;     /* KEY was written as a string literal */
    int64_t index;   /* INDEX */
};

struct pattern_path {
    const char *type; /* object type */
    struct pattern_step *steps;
    int n_steps; /* >= 1: the first is always a KEY */
};

enum pattern_op {
    PATTERN_OP_EQ,
    PATTERN_OP_NEQ,
    PATTERN_OP_GT,
    PATTERN_OP_LT,
    PATTERN_OP_GE,
    PATTERN_OP_LE,
    PATTERN_OP_IN,
    PATTERN_OP_LIKE,
    PATTERN_OP_MATCHES,
    PATTERN_OP_ISSUBSET,
    PATTERN_OP_ISSUPERSET,
    PATTERN_OP_EXISTS,
};

enum pattern_cmp_kind { PATTERN_CMP_AND, PATTERN_CMP_OR, PATTERN_CMP_TEST };

/* A comparison expression (inside brackets). */
struct pattern_cmp {
    enum pattern_cmp_kind kind;
    struct pattern_cmp *left, *right; /* AND, OR */
    /* TEST */
    struct pattern_path path;
    enum pattern_op op;
    bool negated;
    struct pattern_lit *lits; /* one literal; IN: the set; EXISTS: none */
    int n_lits;
    void *regex; /* MATCHES: the compiled pcre2_code */
};

enum pattern_obs_kind {
    PATTERN_OBS_SIMPLE, /* [ comparison ] */
    PATTERN_OBS_AND,    /* different observations */
    PATTERN_OBS_OR,
    PATTERN_OBS_FOLLOWEDBY, /* right at or after left */
    PATTERN_OBS_WITHIN,     /* child WITHIN seconds SECONDS */
    PATTERN_OBS_REPEATS,    /* child REPEATS n TIMES */
    PATTERN_OBS_STARTSTOP,  /* child START t STOP t */
};

struct pattern_obs {
    enum pattern_obs_kind kind;
    struct pattern_obs *left, *right; /* AND, OR, FOLLOWEDBY */
    struct pattern_obs *child;        /* qualifiers */
    struct pattern_cmp *cmp;          /* SIMPLE */
    double within;                    /* seconds */
    const char *within_text;
    int64_t repeats;
    ts_us start, stop;
    const char *start_text, *stop_text;
};

struct pattern;

/* Parses and validates a pattern. Returns NULL with err set to
 * "column C: message" (C counts Unicode characters from 1). The AST lives in the pattern. */
struct pattern *pattern_parse(const char *text, size_t len, struct err *err);
void pattern_free(struct pattern *p); /* NULL is a no-op */
const struct pattern_obs *pattern_root(const struct pattern *p);
/* Bytes the pattern holds (the AST arena and compiled regular expressions). */
size_t pattern_memory(const struct pattern *p);

/* Canonical text: one space around operators, '=' and '!=' spellings, minimal parentheses.
 * Parsing it gives an equal AST. */
int pattern_print(const struct pattern *p, struct buf *out) BASE_WARN_UNUSED;
/* Structural equality of two ASTs (used by the round-trip tests). */
bool pattern_equal(const struct pattern *a, const struct pattern *b);

/* Validates only: 0, or -1 with err as for pattern_parse. */
int pattern_validate(const char *text, size_t len, struct err *err) BASE_WARN_UNUSED;

/* ---- evaluation (STIX 2.1 sections 9.5-9.7) ------------------------------------------ */

#define PATTERN_MAX_BOUND 256 /* observations one match may bind */

/* One observed-data object: its time window, how many observations it stands for, and
 * its SCOs (object_refs resolved in the same bundle, or the deprecated embedded dict). */
struct pattern_observation {
    const char *id;
    ts_us first, last;
    int64_t count;
    json_t *roots; /* borrowed: the observation's SCOs, where object paths start */
    json_t *scos;  /* borrowed: reference -> SCO, for _ref and _refs steps */
};

/* The observed-data of a bundle, ready for matching. Owns what it holds. */
struct pattern_observations {
    struct pattern_observation *items;
    int n;
    json_t *held; /* references kept alive for items */
};

/* Collects every observed-data object of a bundle (or array of objects). Objects that are
 * not observed-data are SCOs to resolve references against. Returns 0, or -1 with err. */
int pattern_observations_load(json_t *bundle, struct pattern_observations *out,
                              struct err *err) BASE_WARN_UNUSED;
void pattern_observations_fini(struct pattern_observations *o);

struct pattern_result {
    bool matched;
    bool truncated;   /* the bounded search dropped candidate bindings */
    bool regex_limit; /* a MATCHES comparison gave up at its backtracking limit: false */
    int n_bound;
    int bound[PATTERN_MAX_BOUND]; /* indexes into the observations, in binding order */
};

/* Evaluates the pattern against the observations: AND/OR/FOLLOWEDBY bind distinct
 * observations (an observed-data with number_observed k counts as k of them), WITHIN
 * bounds the span of a binding, START/STOP its times, REPEATS asks for that many. The
 * search is bounded; res says whether it matched and one binding that did. */
int pattern_match(const struct pattern *p, const struct pattern_observations *obs,
                  struct pattern_result *res) BASE_WARN_UNUSED;

/* ---- compilation for hunting ---------------------------------------------------------- */

enum pattern_term_kind {
    PATTERN_TERM_IPV4,
    PATTERN_TERM_IPV6,
    PATTERN_TERM_CIDR4, /* value is "a.b.c.d/n" */
    PATTERN_TERM_CIDR6,
    PATTERN_TERM_DOMAIN, /* lowercase, no trailing dot */
    PATTERN_TERM_URL,
    PATTERN_TERM_HASH, /* lowercase hex; algo names the algorithm */
    PATTERN_TERM_EMAIL,
};

struct pattern_term {
    enum pattern_term_kind kind;
    char *value;
    const char *algo; /* HASH: "MD5", "SHA-1", "SHA-256", "SHA-512", ... as in the pattern */
};

/* Anchor terms: exact values at least one of which every observation taking part in a match
 * must contain. anchored is false when no such set exists (a LIKE, MATCHES, range, NOT or
 * unknown property somewhere that decides a match); then every record must be evaluated. */
struct pattern_terms {
    bool anchored;
    /* A hit on any term is by itself a match of the whole pattern: one observation, no
     * qualifiers, only OR between tests of the term's own object (ipv4-addr:value,
     * domain-name:value, file:hashes.X, ...). Otherwise the record must be evaluated. */
    bool exact;
    struct pattern_term *terms;
    int n;
};

int pattern_anchor_terms(const struct pattern *p, struct pattern_terms *out,
                         struct err *err) BASE_WARN_UNUSED;
void pattern_terms_fini(struct pattern_terms *t);
const char *pattern_term_kind_name(enum pattern_term_kind k);

/* The NFC form of n bytes of UTF-8 (malloc'ed, *out_len set), or NULL when the text is
 * already NFC for certain (ASCII) or cannot be converted; then use it as it is. */
char *pattern_nfc(const char *s, size_t n, size_t *out_len);

/* Whether one comparison expression holds for one SCO (the start object), resolving
 * references through scos. Exposed for hunting and tests. */
bool pattern_cmp_matches(const struct pattern_cmp *c, const json_t *sco, const json_t *scos);

#endif
