/*
 * access — who may do what. One decision function, access_decide(), answers every
 * question of the form "may this key do this to this object in this collection", for
 * TAXII reads and writes today and for federation later. Also here: API keys (random
 * 256-bit secrets, stored only as a keyed BLAKE2b hash) and the hash-chained audit log.
 */
#ifndef CERTMESH_ACCESS_H
#define CERTMESH_ACCESS_H

#include "base/base.h"
#include "stix/stix.h"
#include "store/store.h"

#define ACCESS_PEPPER_BYTES 32
#define ACCESS_SECRET_HEX   64

/* Who is asking. An unauthenticated subject has org_id 0. */
struct access_subject {
    bool authenticated;
    int64_t org_id;
    enum store_role role;
    char key_id[STORE_KEY_ID_MAX];
    bool transitive; /* a sync key of a peer marked --transitive on this node */
};

enum access_action {
    ACCESS_READ_COLLECTION, /* see that the collection exists, read its description */
    ACCESS_READ_OBJECT,     /* see an object, a manifest entry, a version or status entry */
    ACCESS_WRITE_OBJECT,    /* place an object version into the collection */
    ACCESS_DELETE_OBJECT,   /* remove an object from the collection */
};

/* What the decision needs to know of the collection, relative to the subject. */
struct access_collection {
    enum store_audience audience;
    bool org_in_audience; /* subject's org is on the explicit audience list */
    bool org_can_write;   /* subject's org has a write grant */
};

/* What the decision needs to know of the object (ignored for ACCESS_READ_COLLECTION). */
struct access_object {
    enum stix_tlp tlp;  /* as marked; UNMARKED is treated as AMBER */
    int64_t origin_org; /* first submitter on this node, 0 if new */
    bool in_collection; /* some version is already in this collection */
    bool from_peer;     /* origin_org is a federation peer: the object was learned from it */
    /* writes only (STIX 2.1 section 3.6, versioning): */
    bool new_version;     /* a version of an id the node holds, this version not yet stored */
    bool creator_signed;  /* it is signed, by a peer's node, with the key that signed the
                           * id's first version here: the creator's own new version, relayed */
    bool after_revoked;   /* a stored version is revoked and this one is later */
    bool created_differs; /* a new version whose created is not the first version's */
};

enum access_verdict {
    ACCESS_ALLOW = 0,
    ACCESS_DENY_UNAUTHENTICATED, /* 401: a key is needed */
    ACCESS_DENY_HIDDEN,          /* 404: the subject may not know the collection exists */
    ACCESS_DENY_FORBIDDEN,       /* 403: known, but not allowed */
};

struct access_decision {
    enum access_verdict verdict;
    const char *rule; /* why, for a person; static text */
};

/* The one decision. Pure: no I/O, no allocation; safe from any thread. */
struct access_decision access_decide(const struct access_subject *who, enum access_action what,
                                     const struct access_collection *coll,
                                     const struct access_object *obj);

/* The TLP levels `who` may read in `coll`, as a bit mask (1 << enum stix_tlp), derived by
 * asking access_decide about each level — so bulk queries follow the same rule. */
unsigned access_read_mask(const struct access_subject *who, const struct access_collection *coll);

/* Across the border (issue 5): whether a sync key may be sent an object. Objects go back
 * to no peer they came from (a local organisation's sync key reads its own objects); objects
 * learned from one peer go to another only when GREEN or CLEAR and the receiving peer is
 * transitive; RED never (access_decide). For other subjects: true. */
bool access_border_ok(const struct access_subject *who, const struct access_object *obj);

/* Which submitting organisations are federation peers', each looked up once (a request's
 * or a round's worth; the cache holds ACCESS_ORIGINS_MAX). */
#define ACCESS_ORIGINS_MAX 16
struct access_origins {
    int64_t org[ACCESS_ORIGINS_MAX];
    bool peer[ACCESS_ORIGINS_MAX];
    int n;
};
/* Whether versions submitted by org came from a federation peer (access_object.from_peer);
 * in doubt (a store error), yes — the stricter answer at the border. */
bool access_origin_is_peer(struct store *s, struct access_origins *c, int64_t org);

/* Builds the collection facts for who (one grant lookup for an authenticated subject). */
int access_collection_facts(struct store *s, const struct access_subject *who,
                            const struct store_collection *c, struct access_collection *out,
                            struct err *err);

/* ---- keys ---------------------------------------------------------------------------- */

/* Creates a key for org with role; writes its id and the 64-hex-digit secret, which is
 * shown once and never stored. */
int access_key_new(struct store *s, const unsigned char pepper[ACCESS_PEPPER_BYTES], int64_t org_id,
                   enum store_role role, ts_us expires, char id[STORE_KEY_ID_MAX],
                   char secret[ACCESS_SECRET_HEX + 1], struct err *err) BASE_WARN_UNUSED;

/* Checks a presented key id and secret. 0: *who filled; 1: refused (unknown, revoked,
 * expired or wrong secret; err says which, for the audit log, not for the client);
 * -1: store error. The secret comparison is constant-time. */
int access_authenticate(struct store *s, const unsigned char pepper[ACCESS_PEPPER_BYTES],
                        const char *key_id, const char *secret, struct access_subject *who,
                        struct err *err);

/* ---- secrets this node keeps for others ------------------------------------------------ */

/* The API keys peers issued to this node must be presented, so they cannot be hashed like
 * ours: they are sealed (XSalsa20-Poly1305, a random nonce each) under a key derived from
 * the node's pepper file, so the database alone does not give them away. */
#define ACCESS_SEAL_KEY_BYTES 32
#define ACCESS_SEAL_PREFIX    "sealed:"
#define ACCESS_SEALABLE_MAX   140 /* bytes of a secret: sealed, it fits a peer's key column */

/* Derives the sealing key from the pepper (BLAKE2b KDF, its own context). */
void access_seal_key(const unsigned char pepper[ACCESS_PEPPER_BYTES],
                     unsigned char key[ACCESS_SEAL_KEY_BYTES]);
/* out (n bytes) gets "sealed:" and the base64 of nonce and box. 0, or -1 with err. */
int access_seal(const unsigned char key[ACCESS_SEAL_KEY_BYTES], const char *secret, char *out,
                size_t n, struct err *err) BASE_WARN_UNUSED;
/* The secret sealed in stored (text without the prefix is taken as it is: stored before
 * sealing). 0, or -1 with err when it does not open (another node's pepper, altered). */
int access_unseal(const unsigned char key[ACCESS_SEAL_KEY_BYTES], const char *stored, char *out,
                  size_t n, struct err *err) BASE_WARN_UNUSED;

/* ---- node signatures (issue 5) ------------------------------------------------------------ */

#define ACCESS_SIGNING_KEY_B64 45 /* base64 of 32 bytes, NUL included */

/* Signs an object version as this node: adds extensions[ext_id] (a property extension the
 * node's extension-definition declares) holding "signature", the Ed25519 signature by sk
 * over the RFC 8785 canonical JSON of the object without that extension, and "signed_by",
 * the base64 public key. Returns 0, or -1 with err. */
int access_sign(json_t *obj, const char *ext_id, const unsigned char sk[64],
                struct err *err) BASE_WARN_UNUSED;

/* What a node signs with: its Ed25519 secret key, the id of the extension its signatures
 * live in, and the objects that declare that extension (issue 5: "declared by an
 * extension-definition object the node publishes"): a JSON array of the node's identity
 * and its extension-definition, both TLP:CLEAR, themselves signed. */
/* One object the node places beside what it signs: its metadata and stored text. */
struct access_declaration {
    struct stix_meta m;
    char *text; /* malloc'ed */
    size_t len;
};

struct access_signer {
    unsigned char sk[64];
    char ext[STIX_ID_MAX];             /* "extension-definition--<node id>" */
    char ext_key[STIX_ID_MAX + 8];     /* "\"extension-definition--<node id>\":{", as stored */
    struct access_declaration decl[2]; /* the node's identity and the extension-definition */
};

/* Builds signer->decl for a node (STIX 2.1 section 7.3: an extension-definition
 * needs created_by_ref, name, schema, version and extension_types). created fixes the
 * objects' single version, so every collection gets the same one. 0 or -1 with err. */
int access_signer_publish(struct access_signer *sg, const char *node_id, const char *node_name,
                          ts_us created, struct err *err) BASE_WARN_UNUSED;
void access_signer_fini(struct access_signer *sg);

/* The base64 signing key named by the object's node signature (not verified: for a
 * version verified when it was stored), or "" when it carries none. */
void access_signed_by(const json_t *obj, char signer[ACCESS_SIGNING_KEY_B64]);

/* Checks node signatures: 1 the object carries none; 0 every one verifies, signer set to
 * the base64 public key of one; -1 one does not verify (err says why). */
int access_verify(const json_t *obj, char signer[ACCESS_SIGNING_KEY_B64], struct err *err);

/* How what a peer sends is judged on receipt (issue 5): a signature must verify; with a
 * signing key configured for the peer, it must be by a key this node knows (the peer's, or
 * another peer's when the object originated there); --require-signatures refuses unsigned
 * objects. The same for pulled and pushed objects. */
#define ACCESS_KNOWN_KEYS_MAX 64
struct access_peer_keys {
    bool require; /* unsigned objects are refused */
    bool pinned;  /* the peer has a signing key here: signers must be known keys */
    int n_known;
    char known[ACCESS_KNOWN_KEYS_MAX][ACCESS_SIGNING_KEY_B64]; /* every peer's signing key */
};

/* The policy for what peer p sends. 0, or -1 with err. */
int access_peer_keys_of(struct store *s, const struct store_peer *p, struct access_peer_keys *k,
                        struct err *err) BASE_WARN_UNUSED;
/* The same for the peer whose organisation is org_id; *is_peer false when there is none. */
int access_peer_keys_load(struct store *s, int64_t org_id, struct access_peer_keys *k,
                          bool *is_peer, struct err *err) BASE_WARN_UNUSED;
/* The verdict on one received object given access_verify()'s result v and signer: NULL to
 * accept it, else why not (static text; for v < 0 the caller has access_verify's reason). */
const char *access_signature_verdict(const struct access_peer_keys *k, int v, const char *signer);

/* ---- audit ----------------------------------------------------------------------------- */

/* Appends a row whose hash covers the previous row's hash and this row's fields. Call it
 * inside the transaction of the change it records when there is one. */
int access_audit(struct store *s, const char *actor, const char *action, const char *detail,
                 struct err *err) BASE_WARN_UNUSED;
/* Walks the chain. 0 if intact (*rows = count); 1 if broken, with *bad_seq the first row
 * that was altered, inserted or follows a removed one, and err saying what; -1 error. */
int access_audit_verify(struct store *s, int64_t *rows, int64_t *bad_seq, struct err *err);

#endif
