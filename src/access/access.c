/*
 * access.c — the TLP and audience rules, API keys and the audit chain.
 *
 * The rules, from the node issue and TLP 2.0 (FIRST): an unmarked object is AMBER; CLEAR
 * may sit in any collection, GREEN in community or explicit-list collections, AMBER,
 * AMBER+STRICT and RED only in explicit-list collections; an AMBER-or-above object may be
 * placed in a further collection only by the organisation that first submitted it; a
 * `sync` key never receives RED. Readers outside a collection's audience get 404, as if
 * it did not exist.
 */
#include "access/access.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static enum stix_tlp effective_tlp(enum stix_tlp t)
{
    return t == STIX_TLP_UNMARKED ? STIX_TLP_AMBER : t;
}

static bool can_see_collection(const struct access_subject *who, const struct access_collection *c)
{
    switch (c->audience) {
    case STORE_AUD_PUBLIC:
        return true;
    case STORE_AUD_COMMUNITY:
        return who->authenticated;
    case STORE_AUD_LIST:
        return who->authenticated && c->org_in_audience;
    }
    return false;
}

/* May an object of this TLP sit in a collection with this audience at all? */
static bool tlp_fits(enum stix_tlp tlp, enum store_audience aud)
{
    switch (effective_tlp(tlp)) {
    case STIX_TLP_CLEAR:
        return true;
    case STIX_TLP_GREEN:
        return aud != STORE_AUD_PUBLIC;
    default:
        return aud == STORE_AUD_LIST;
    }
}

static struct access_decision verdict(enum access_verdict v, const char *rule)
{
    struct access_decision d = {v, rule};
    return d;
}

struct access_decision access_decide(const struct access_subject *who, enum access_action what,
                                     const struct access_collection *coll,
                                     const struct access_object *obj)
{
    bool visible = can_see_collection(who, coll);
    if (!visible) {
        if (!who->authenticated) {
            return verdict(ACCESS_DENY_UNAUTHENTICATED, "this collection needs an API key");
        }
        return verdict(ACCESS_DENY_HIDDEN, "the organisation is outside the collection's audience");
    }
    if (what == ACCESS_READ_COLLECTION) {
        return verdict(ACCESS_ALLOW, "collection visible to the organisation");
    }
    enum stix_tlp tlp = effective_tlp(obj->tlp);
    if (what == ACCESS_READ_OBJECT) {
        if (!tlp_fits(tlp, coll->audience)) {
            return verdict(ACCESS_DENY_FORBIDDEN, "the object's TLP does not allow this audience");
        }
        if (tlp == STIX_TLP_RED && who->authenticated && who->role == STORE_ROLE_SYNC) {
            return verdict(ACCESS_DENY_FORBIDDEN, "TLP:RED never leaves the node by sync");
        }
        if (!access_border_ok(who, obj)) {
            return verdict(ACCESS_DENY_FORBIDDEN,
                           obj->origin_org == who->org_id
                               ? "an object is never sent back to the peer it came from"
                               : "an object learned from a peer goes to another only when "
                                 "GREEN or CLEAR and that peer is transitive");
        }
        return verdict(ACCESS_ALLOW, "object readable by the collection's audience");
    }
    if (!who->authenticated) {
        return verdict(ACCESS_DENY_UNAUTHENTICATED, "writing needs an API key");
    }
    bool admin = who->role == STORE_ROLE_ADMIN;
    if (who->role == STORE_ROLE_READER) {
        return verdict(ACCESS_DENY_FORBIDDEN, "a reader key cannot change collections");
    }
    if (what == ACCESS_DELETE_OBJECT) {
        if (admin) {
            return verdict(ACCESS_ALLOW, "admins may delete");
        }
        if (!coll->org_can_write) {
            return verdict(ACCESS_DENY_FORBIDDEN,
                           "the organisation may not write to this collection");
        }
        if (obj->origin_org != who->org_id) {
            return verdict(ACCESS_DENY_FORBIDDEN,
                           "only the organisation that originated the object may delete it");
        }
        return verdict(ACCESS_ALLOW, "originator with write access");
    }
    /* ACCESS_WRITE_OBJECT */
    if (!coll->org_can_write && !admin) {
        return verdict(ACCESS_DENY_FORBIDDEN, "the organisation may not write to this collection");
    }
    if (!tlp_fits(tlp, coll->audience)) {
        if (tlp == STIX_TLP_GREEN) {
            return verdict(ACCESS_DENY_FORBIDDEN,
                           "TLP rule: TLP:GREEN may not be placed in a public collection");
        }
        return verdict(ACCESS_DENY_FORBIDDEN,
                       "TLP rule: TLP:AMBER, AMBER+STRICT, RED and unmarked objects may only be "
                       "placed in collections with an explicit audience");
    }
    /* STIX 2.1 section 3.6: only the object creator may create new versions, and none
     * after a revocation. The creator is the organisation that first submitted the id here;
     * a peer's node may also relay the creator's new version when the key that signed the
     * first version signed it. Anyone else publishes a new object (derived-from). The node's
     * operators (admin: `certmesh import`) may pass a third party's update on for any
     * organisation, as when several import the same feed. */
    if (obj->after_revoked) {
        return verdict(ACCESS_DENY_FORBIDDEN,
                       "STIX versioning: the object is revoked; no later version may be created");
    }
    if (obj->new_version && obj->created_differs) {
        return verdict(ACCESS_DENY_FORBIDDEN,
                       "STIX versioning: created must not change between versions of an object "
                       "(this one differs from the first version's)");
    }
    if (obj->new_version && obj->origin_org != who->org_id && !obj->creator_signed && !admin) {
        return verdict(
            ACCESS_DENY_FORBIDDEN,
            "STIX versioning: only the object's creator may create a new version (another "
            "organisation first submitted it here); publish a new object with a "
            "derived-from relationship instead");
    }
    if (tlp >= STIX_TLP_AMBER && !obj->in_collection && obj->origin_org != 0 &&
        obj->origin_org != who->org_id) {
        return verdict(ACCESS_DENY_FORBIDDEN,
                       "TLP rule: only the organisation that first submitted an AMBER, "
                       "AMBER+STRICT or RED object may place it in a further collection");
    }
    return verdict(ACCESS_ALLOW, "write granted");
}

bool access_border_ok(const struct access_subject *who, const struct access_object *obj)
{
    if (!who->authenticated || who->role != STORE_ROLE_SYNC || obj->origin_org == 0) {
        return true;
    }
    if (obj->origin_org == who->org_id) {
        return !obj->from_peer; /* the peer's own objects do not go back to it */
    }
    enum stix_tlp tlp = effective_tlp(obj->tlp);
    return !obj->from_peer || (who->transitive && tlp <= STIX_TLP_GREEN);
}

unsigned access_read_mask(const struct access_subject *who, const struct access_collection *coll)
{
    unsigned mask = 0;
    for (int t = STIX_TLP_UNMARKED; t <= STIX_TLP_RED; t++) {
        struct access_object o = {.tlp = (enum stix_tlp)t, .in_collection = true};
        if (access_decide(who, ACCESS_READ_OBJECT, coll, &o).verdict == ACCESS_ALLOW) {
            mask |= 1u << t;
        }
    }
    return mask;
}

bool access_origin_is_peer(struct store *s, struct access_origins *c, int64_t org)
{
    for (int i = 0; i < c->n; i++) {
        if (c->org[i] == org) {
            return c->peer[i];
        }
    }
    bool is_peer = true, transitive;
    struct err err;
    if (store_peer_org(s, org, &is_peer, &transitive, &err) != 0) {
        return true;
    }
    if (c->n < ACCESS_ORIGINS_MAX) {
        c->org[c->n] = org;
        c->peer[c->n++] = is_peer;
    }
    return is_peer;
}

int access_collection_facts(struct store *s, const struct access_subject *who,
                            const struct store_collection *c, struct access_collection *out,
                            struct err *err)
{
    out->audience = c->audience;
    out->org_in_audience = false;
    out->org_can_write = false;
    if (!who->authenticated) {
        return 0;
    }
    return store_collection_grants(s, c->id, who->org_id, &out->org_in_audience,
                                   &out->org_can_write, err);
}

/* ---- keys ------------------------------------------------------------------------------ */

static void key_hash(const unsigned char pepper[ACCESS_PEPPER_BYTES], const char *secret,
                     unsigned char out[32])
{
    crypto_generichash(out, 32, (const unsigned char *)secret, strlen(secret), pepper,
                       ACCESS_PEPPER_BYTES);
}

int access_key_new(struct store *s, const unsigned char pepper[ACCESS_PEPPER_BYTES], int64_t org_id,
                   enum store_role role, ts_us expires, char id[STORE_KEY_ID_MAX],
                   char secret[ACCESS_SECRET_HEX + 1], struct err *err)
{
    unsigned char idb[9], sb[32];
    randombytes_buf(idb, sizeof(idb));
    randombytes_buf(sb, sizeof(sb));
    char idhex[19];
    hex_encode(idb, sizeof(idb), idhex);
    snprintf(id, STORE_KEY_ID_MAX, "k%s", idhex);
    hex_encode(sb, sizeof(sb), secret);
    sodium_memzero(sb, sizeof(sb));
    struct store_key k = {.org_id = org_id, .role = role, .created = ts_now(), .expires = expires};
    str_copy(k.id, sizeof(k.id), id);
    key_hash(pepper, secret, k.hash);
    return store_key_add(s, &k, err);
}

int access_authenticate(struct store *s, const unsigned char pepper[ACCESS_PEPPER_BYTES],
                        const char *key_id, const char *secret, struct access_subject *who,
                        struct err *err)
{
    struct store_key k;
    memset(who, 0, sizeof(*who));
    if (strlen(key_id) >= STORE_KEY_ID_MAX) {
        err_set(err, "unknown key id");
        return 1;
    }
    int rc = store_key_get(s, key_id, &k, err);
    if (rc < 0) {
        return -1;
    }
    unsigned char h[32];
    key_hash(pepper, secret, h);
    if (rc == 1) {
        err_set(err, "unknown key id");
        return 1;
    }
    if (sodium_memcmp(h, k.hash, 32) != 0) {
        err_set(err, "wrong secret");
        return 1;
    }
    if (k.revoked) {
        err_set(err, "key revoked");
        return 1;
    }
    if (k.expires != 0 && k.expires <= ts_now()) {
        err_set(err, "key expired");
        return 1;
    }
    who->authenticated = true;
    who->org_id = k.org_id;
    who->role = k.role;
    str_copy(who->key_id, sizeof(who->key_id), k.id);
    return 0;
}

/* ---- audit ------------------------------------------------------------------------------ */

static void audit_hash(const struct store_audit_row *r, unsigned char out[32])
{
    crypto_hash_sha256_state st;
    unsigned char num[16];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, r->prev, 32);
    for (int i = 0; i < 8; i++) {
        num[i] = (unsigned char)((uint64_t)r->seq >> (56 - 8 * i));
        num[8 + i] = (unsigned char)((uint64_t)r->at >> (56 - 8 * i));
    }
    crypto_hash_sha256_update(&st, num, sizeof(num));
    /* Fields are NUL-separated so that moving bytes between them changes the hash. */
    crypto_hash_sha256_update(&st, (const unsigned char *)r->actor, strlen(r->actor) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)r->action, strlen(r->action) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)r->detail, strlen(r->detail) + 1);
    crypto_hash_sha256_final(&st, out);
}

int access_audit(struct store *s, const char *actor, const char *action, const char *detail,
                 struct err *err)
{
    unsigned char prev[32], hash[32];
    int64_t seq;
    if (store_audit_tail(s, prev, &seq, err) != 0) {
        return -1;
    }
    struct store_audit_row r = {seq + 1, ts_now(), actor, action, detail, prev, NULL};
    audit_hash(&r, hash);
    r.hash = hash;
    return store_audit_append(s, &r, err);
}

struct verify_ctx {
    unsigned char prev[32];
    int64_t expect_seq;
    int64_t bad_seq;
    int64_t rows;
    struct err *err;
};

static int verify_row(void *ctx, const struct store_audit_row *r)
{
    struct verify_ctx *v = ctx;
    unsigned char h[32];
    if (r->seq != v->expect_seq) {
        v->bad_seq = r->seq;
        err_set(v->err, "row %lld follows row %lld: rows between them were removed",
                (long long)r->seq, (long long)(v->expect_seq - 1));
        return 1;
    }
    if (memcmp(r->prev, v->prev, 32) != 0) {
        v->bad_seq = r->seq;
        err_set(v->err, "row %lld does not chain to the row before it", (long long)r->seq);
        return 1;
    }
    audit_hash(r, h);
    if (memcmp(h, r->hash, 32) != 0) {
        v->bad_seq = r->seq;
        err_set(v->err, "row %lld was altered (its hash does not match its contents)",
                (long long)r->seq);
        return 1;
    }
    memcpy(v->prev, r->hash, 32);
    v->expect_seq++;
    v->rows++;
    return 0;
}

int access_audit_verify(struct store *s, int64_t *rows, int64_t *bad_seq, struct err *err)
{
    struct verify_ctx v = {.expect_seq = 1, .err = err};
    memset(v.prev, 0, 32);
    if (store_audit_walk(s, verify_row, &v, err) != 0) {
        return -1;
    }
    *rows = v.rows;
    *bad_seq = v.bad_seq;
    return v.bad_seq != 0 ? 1 : 0;
}

/* ---- node signatures ---------------------------------------------------------------------- */

int access_sign(json_t *obj, const char *ext_id, const unsigned char sk[64], struct err *err)
{
    struct buf b;
    buf_init(&b, (size_t)1 << 26);
    unsigned char sig[crypto_sign_BYTES];
    char sig64[96], pk64[ACCESS_SIGNING_KEY_B64];
    if (stix_canonical_without(obj, ext_id, &b) != 0) {
        buf_fini(&b);
        return err_set(err, "out of memory");
    }
    crypto_sign_detached(sig, NULL, (const unsigned char *)b.data, b.len, sk);
    buf_fini(&b);
    b64_encode(sig, sizeof(sig), sig64);
    b64_encode(sk + 32, 32, pk64); /* libsodium's secret key ends with the public key */
    json_t *exts = json_object_get(obj, "extensions");
    if (exts == NULL) {
        exts = json_object();
        if (exts == NULL || json_object_set_new(obj, "extensions", exts) != 0) {
            return err_set(err, "out of memory");
        }
    }
    if (!json_is_object(exts) ||
        json_object_set_new(exts, ext_id,
                            json_pack("{s:s,s:s,s:s}", "extension_type", "property-extension",
                                      "signature", sig64, "signed_by", pk64)) != 0) {
        return err_set(err, "cannot add the signature extension");
    }
    return 0;
}

void access_signed_by(const json_t *obj, char signer[ACCESS_SIGNING_KEY_B64])
{
    signer[0] = '\0';
    const char *k;
    json_t *e;
    json_object_foreach(json_object_get(obj, "extensions"), k, e)
    {
        const char *pk64 = jx_str(e, "signed_by");
        if (pk64 != NULL && jx_str(e, "signature") != NULL &&
            strncmp(k, "extension-definition--", 22) == 0 &&
            strlen(pk64) < ACCESS_SIGNING_KEY_B64) {
            snprintf(signer, ACCESS_SIGNING_KEY_B64, "%s", pk64); /* the last, as access_verify */
        }
    }
}

int access_verify(const json_t *obj, char signer[ACCESS_SIGNING_KEY_B64], struct err *err)
{
    int found = 1;
    json_t *exts = json_object_get(obj, "extensions");
    const char *k;
    json_t *e;
    json_object_foreach(exts, k, e)
    {
        const char *sig64 = jx_str(e, "signature"), *pk64 = jx_str(e, "signed_by");
        if (sig64 == NULL || pk64 == NULL || strncmp(k, "extension-definition--", 22) != 0) {
            continue;
        }
        unsigned char sig[crypto_sign_BYTES + 3], pk[32 + 3];
        if (b64_decode(sig64, strlen(sig64), sig, sizeof(sig)) != crypto_sign_BYTES ||
            b64_decode(pk64, strlen(pk64), pk, sizeof(pk)) != 32 ||
            strlen(pk64) >= ACCESS_SIGNING_KEY_B64) {
            return err_set(err, "the signature or its key is not base64 of the right length");
        }
        struct buf b;
        buf_init(&b, (size_t)1 << 26);
        if (stix_canonical_without(obj, k, &b) != 0) {
            buf_fini(&b);
            return err_set(err, "out of memory");
        }
        int ok = crypto_sign_verify_detached(sig, (const unsigned char *)b.data, b.len, pk);
        buf_fini(&b);
        if (ok != 0) {
            return err_set(err, "the signature does not verify: the object was changed or "
                                "signed with another key");
        }
        /* every signature the object carries must hold; the last one names the signer */
        snprintf(signer, ACCESS_SIGNING_KEY_B64, "%s", pk64);
        found = 0;
    }
    return found;
}

/* ---- the extension the signatures live in ------------------------------------------------- */

int access_signer_publish(struct access_signer *sg, const char *node_id, const char *node_name,
                          ts_us created, struct err *err)
{
    char when[TS_MAX_TEXT], identity[STIX_ID_MAX];
    const char *clear = stix_tlp_marking_id(STIX_TLP_CLEAR);
    ts_format(created, 3, when);
    snprintf(identity, sizeof(identity), "identity--%s", node_id);
    snprintf(sg->ext, sizeof(sg->ext), "extension-definition--%s", node_id);
    snprintf(sg->ext_key, sizeof(sg->ext_key), "\"%s\":{", sg->ext);
    json_t *ident =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type", "identity", "spec_version", "2.1",
                  "id", identity, "created", when, "modified", when, "name", node_name,
                  "identity_class", "organization", "object_marking_refs", clear);
    json_t *def = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:[s]}", "type", "extension-definition",
        "spec_version", "2.1", "id", sg->ext, "created", when, "modified", when, "created_by_ref",
        identity, "name", "certmesh node signature", "description",
        "Ed25519 signature by the node's key over the RFC 8785 canonical JSON of the object "
        "without this extension. Every signature an object carries must verify.",
        "schema",
        "{\"type\":\"object\",\"required\":[\"extension_type\",\"signature\",\"signed_by\"],"
        "\"properties\":{\"extension_type\":{\"const\":\"property-extension\"},"
        "\"signature\":{\"type\":\"string\",\"description\":\"base64 of the 64-byte Ed25519 "
        "signature\"},\"signed_by\":{\"type\":\"string\",\"description\":\"base64 of the "
        "signer's 32-byte public key\"}}}",
        "version", "1.0", "extension_types", "property-extension", "object_marking_refs", clear);
    /* signed and serialised once: every ingest that signs places these as they are */
    json_t *objs[2] = {ident, def};
    int rc = ident == NULL || def == NULL ? err_set(err, "out of memory") : 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        struct access_declaration *d = &sg->decl[i];
        free(d->text);
        d->text = NULL;
        if (access_sign(objs[i], sg->ext, sg->sk, err) != 0 || stix_meta_of(objs[i], &d->m) != 0) {
            rc = err_set(err, "the node's declarations cannot be signed");
        } else if ((d->text = jx_dump(objs[i], &d->len)) == NULL) {
            rc = err_set(err, "out of memory");
        }
    }
    json_decref(ident);
    json_decref(def);
    return rc;
}

void access_signer_fini(struct access_signer *sg)
{
    sodium_memzero(sg->sk, sizeof(sg->sk));
    for (int i = 0; i < 2; i++) {
        free(sg->decl[i].text);
        sg->decl[i].text = NULL;
    }
}

/* ---- what peers send -------------------------------------------------------------------- */

static int collect_known(void *ctx, const struct store_peer *p)
{
    struct access_peer_keys *k = ctx;
    if (p->signing_key[0] != '\0' && k->n_known < ACCESS_KNOWN_KEYS_MAX) {
        str_copy(k->known[k->n_known++], sizeof(k->known[0]), p->signing_key);
    }
    return 0;
}

int access_peer_keys_of(struct store *s, const struct store_peer *p, struct access_peer_keys *k,
                        struct err *err)
{
    memset(k, 0, sizeof(*k));
    k->require = p->require_signatures;
    k->pinned = p->signing_key[0] != '\0';
    return store_peer_list(s, collect_known, k, err);
}

int access_peer_keys_load(struct store *s, int64_t org_id, struct access_peer_keys *k,
                          bool *is_peer, struct err *err)
{
    struct store_peer p;
    int rc = store_peer_by_org(s, org_id, &p, err);
    *is_peer = rc == 0;
    return rc < 0 ? -1 : rc == 1 ? 0 : access_peer_keys_of(s, &p, k, err);
}

const char *access_signature_verdict(const struct access_peer_keys *k, int v, const char *signer)
{
    if (v < 0) {
        return "the signature does not verify";
    }
    if (v == 1) {
        return k->require ? "unsigned, and this peer must sign" : NULL;
    }
    if (k->pinned) {
        for (int i = 0; i < k->n_known; i++) {
            if (strcmp(k->known[i], signer) == 0) {
                return NULL;
            }
        }
        return "signed by a key this node does not know";
    }
    return NULL;
}

/* ---- sealed secrets ------------------------------------------------------------------------ */

void access_seal_key(const unsigned char pepper[ACCESS_PEPPER_BYTES],
                     unsigned char key[ACCESS_SEAL_KEY_BYTES])
{
    crypto_kdf_derive_from_key(key, ACCESS_SEAL_KEY_BYTES, 1, "peersecr", pepper);
}

#define SEAL_BOX_MAX (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + ACCESS_SEALABLE_MAX)

int access_seal(const unsigned char key[ACCESS_SEAL_KEY_BYTES], const char *secret, char *out,
                size_t n, struct err *err)
{
    size_t len = strlen(secret);
    unsigned char box[SEAL_BOX_MAX];
    char text[2 * SEAL_BOX_MAX];
    if (len > ACCESS_SEALABLE_MAX) {
        return err_set(err, "the secret is longer than %d bytes", ACCESS_SEALABLE_MAX);
    }
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)secret, len,
                          box, key);
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    b64_encode(box, blen, text);
    sodium_memzero(box, sizeof(box));
    if ((size_t)snprintf(out, n, "%s%s", ACCESS_SEAL_PREFIX, text) >= n) {
        return err_set(err, "the sealed secret does not fit");
    }
    return 0;
}

int access_unseal(const unsigned char key[ACCESS_SEAL_KEY_BYTES], const char *stored, char *out,
                  size_t n, struct err *err)
{
    size_t pl = strlen(ACCESS_SEAL_PREFIX);
    if (strncmp(stored, ACCESS_SEAL_PREFIX, pl) != 0) {
        return str_copy(out, n, stored) == 0 ? 0 : err_set(err, "the secret is too long");
    }
    unsigned char box[SEAL_BOX_MAX + 3];
    const char *text = stored + pl;
    long blen = b64_decode(text, strlen(text), box, sizeof(box));
    size_t mlen = blen > (long)(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
                      ? (size_t)blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES
                      : 0;
    if (mlen == 0 || mlen >= n ||
        crypto_secretbox_open_easy((unsigned char *)out, box + crypto_secretbox_NONCEBYTES,
                                   (size_t)blen - crypto_secretbox_NONCEBYTES, box, key) != 0) {
        sodium_memzero(box, sizeof(box));
        return err_set(err, "the stored peer secret does not open: it was sealed under "
                            "another node's key-pepper, or altered");
    }
    out[mlen] = '\0';
    sodium_memzero(box, sizeof(box));
    return 0;
}
