/*
 * stix — the rules of STIX 2.1 objects: validation of everything that enters a node, the
 * few facts the store indexes (id, type, version, TLP, creator), and TLP 2.0 markings.
 * Knows nothing of HTTP, SQL or who is asking.
 */
#ifndef CERTMESH_STIX_H
#define CERTMESH_STIX_H

#include "base/base.h"

/* type (max 250) + "--" + UUID */
#define STIX_ID_MAX   300
#define STIX_TYPE_MAX 251

/* TLP of an object, from its object_marking_refs. Ordered from least to most restrictive
 * so that the most restrictive of several markings is the maximum. */
enum stix_tlp {
    STIX_TLP_UNMARKED = 0,
    STIX_TLP_CLEAR,
    STIX_TLP_GREEN,
    STIX_TLP_AMBER,
    STIX_TLP_AMBER_STRICT,
    STIX_TLP_RED,
};

enum stix_kind { STIX_SDO, STIX_SRO, STIX_SCO, STIX_META, STIX_CUSTOM };

/* What the store and the access rules need to know of one object version. */
struct stix_meta {
    char id[STIX_ID_MAX];
    char type[STIX_TYPE_MAX];
    char version[TS_MAX_TEXT]; /* modified, else created, else the SCO fixed version */
    ts_us version_us;
    char spec_version[8];
    char created_by_ref[STIX_ID_MAX]; /* "" if absent */
    enum stix_tlp tlp;
    bool revoked;
};

/* Checks one object against STIX 2.1: common properties, the type's required properties
 * and value types, vocabularies that are closed enumerations, reference target types,
 * granular-marking selectors, extensions and the custom-content naming rules. `where`
 * prefixes the message ("objects[3]"), giving "objects[3].valid_from: not an RFC 3339
 * timestamp". Indicator patterns are only checked to be non-empty strings here.
 * Returns 0 if valid, -1 with err filled otherwise. */
int stix_validate(const json_t *obj, const char *where, struct err *err) BASE_WARN_UNUSED;

/* Fills m from an object that stix_validate accepted. Returns 0, or -1 if it lacks id or
 * type (an object that was never validated). */
int stix_meta_of(const json_t *obj, struct stix_meta *m) BASE_WARN_UNUSED;

/* The most restrictive TLP among the object's object_marking_refs (TLP 2.0 ids and the
 * STIX 2.1 TLP 1.0 ids; WHITE counts as CLEAR), or STIX_TLP_UNMARKED. */
enum stix_tlp stix_tlp_of(const json_t *obj);
/* "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED", or "UNMARKED". */
const char *stix_tlp_name(enum stix_tlp tlp);
/* Parses the names above (case-insensitive, "WHITE" = CLEAR); -1 if unknown. */
int stix_tlp_parse(const char *s, enum stix_tlp *out);
/* The TLP 2.0 marking-definition id for a level (NULL for UNMARKED). */
const char *stix_tlp_marking_id(enum stix_tlp tlp);

/* The deterministic id of a cyber-observable (STIX 2.1 section 2.9): "TYPE--" and the
 * UUIDv5 (SHA-1, the STIX namespace 00abedb4-aa42-466c-9c01-fed23315a9b7) of its
 * id-contributing properties serialised per RFC 8785 (canon: compact, keys sorted, as
 * jansson's JSON_COMPACT | JSON_SORT_KEYS writes plain strings). Returns 0, or -1. */
int stix_sco_id(const char *type, const char *canon, char out[STIX_ID_MAX]);
/* Appends the RFC 8785 canonical form of v (JSON Canonicalization Scheme): no white
 * space, object members sorted by UTF-16 code units, strings with the minimal escapes,
 * numbers as ECMAScript writes doubles. Returns 0, or -1 on out-of-memory. */
int stix_canonical(const json_t *v, struct buf *b) BASE_WARN_UNUSED;
/* The same of a STIX object without extensions[ext] (and without "extensions" when ext is
 * its only member): what a node signature covers. No copy is made. */
int stix_canonical_without(const json_t *obj, const char *ext, struct buf *b) BASE_WARN_UNUSED;

/* The TLP 2.0 marking-definition object for a level, as the OASIS common objects define it
 * (new reference; NULL for UNMARKED). */
json_t *stix_tlp_marking_object(enum stix_tlp tlp);

/* The naming rules: type names (3-250 of a-z, 0-9 and single hyphens, a letter first;
 * STIX 2.1 3.1, 11.2.1) and property names (a-z, 0-9 and '_', min to 250; 11.1.1). */
bool stix_type_name_ok(const char *s, size_t n);
bool stix_prop_name_ok(const char *s, size_t n, size_t min);

/* Classifies a type name; unknown types that follow the naming rules are STIX_CUSTOM. */
enum stix_kind stix_kind_of(const char *type);

/* The objects of a bundle, a TAXII envelope or a plain JSON array (new reference), or
 * NULL with err set when the document is neither. */
json_t *stix_objects_of(json_t *doc, struct err *err);

#endif
