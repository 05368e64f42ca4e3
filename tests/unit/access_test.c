/* access_test.c — the one decision function as a table: every subject (unauthenticated,
 * reader, analyst, sync, admin) × audience (public, community, explicit list with and
 * without the subject's organisation) × TLP (unmarked, CLEAR, GREEN, AMBER, AMBER+STRICT,
 * RED), for reads, writes (with and without a write grant, by the originator, by another
 * organisation, into the same or a further collection) and deletes. Also keys and the
 * audit chain, against a real SQLite store. */
#include "access/access.h"
#include "unit.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum subj { S_ANON, S_READER, S_ANALYST, S_SYNC, S_ADMIN };
enum aud { A_PUBLIC, A_COMMUNITY, A_LIST_IN, A_LIST_OUT };
enum orig { O_NEW, O_SELF, O_OTHER };

#define ME   7
#define THEM 9

struct row {
    enum access_action action;
    enum subj subj;
    enum aud aud;
    bool grant;     /* the subject's organisation has a write grant */
    enum orig orig; /* who first submitted the object */
    bool in_coll;   /* a version is already in this collection */
    /* expected verdict per TLP, in the order UNMARKED CLEAR GREEN AMBER AMBER+STRICT RED:
     * y allow, f 403 forbidden, h 404 hidden, u 401 unauthenticated */
    const char *expect;
};

#define R ACCESS_READ_OBJECT
#define W ACCESS_WRITE_OBJECT
#define D ACCESS_DELETE_OBJECT

static const struct row table[] = {
    /* reads: the audience decides visibility, TLP must fit the audience, sync never gets RED */
    {R, S_ANON, A_PUBLIC, false, O_NEW, true, "fyffff"},
    {R, S_ANON, A_COMMUNITY, false, O_NEW, true, "uuuuuu"},
    {R, S_ANON, A_LIST_OUT, false, O_NEW, true, "uuuuuu"},
    {R, S_READER, A_PUBLIC, false, O_NEW, true, "fyffff"},
    {R, S_READER, A_COMMUNITY, false, O_NEW, true, "fyyfff"},
    {R, S_READER, A_LIST_IN, false, O_NEW, true, "yyyyyy"},
    {R, S_READER, A_LIST_OUT, false, O_NEW, true, "hhhhhh"},
    {R, S_ANALYST, A_PUBLIC, true, O_SELF, true, "fyffff"},
    {R, S_ANALYST, A_COMMUNITY, true, O_SELF, true, "fyyfff"},
    {R, S_ANALYST, A_LIST_IN, true, O_OTHER, true, "yyyyyy"},
    {R, S_ANALYST, A_LIST_OUT, true, O_SELF, true, "hhhhhh"},
    {R, S_SYNC, A_PUBLIC, false, O_NEW, true, "fyffff"},
    {R, S_SYNC, A_COMMUNITY, false, O_NEW, true, "fyyfff"},
    {R, S_SYNC, A_LIST_IN, false, O_NEW, true, "yyyyyf"},
    {R, S_SYNC, A_LIST_OUT, false, O_NEW, true, "hhhhhh"},
    {R, S_ADMIN, A_PUBLIC, false, O_NEW, true, "fyffff"},
    {R, S_ADMIN, A_COMMUNITY, false, O_NEW, true, "fyyfff"},
    {R, S_ADMIN, A_LIST_IN, false, O_NEW, true, "yyyyyy"},
    {R, S_ADMIN, A_LIST_OUT, false, O_NEW, true, "hhhhhh"}, /* admins get no read bypass */

    /* writes of objects new to the node, with a write grant */
    {W, S_ANON, A_PUBLIC, false, O_NEW, false, "uuuuuu"},
    {W, S_ANON, A_LIST_IN, false, O_NEW, false, "uuuuuu"},
    {W, S_READER, A_PUBLIC, true, O_NEW, false, "ffffff"},
    {W, S_READER, A_COMMUNITY, true, O_NEW, false, "ffffff"},
    {W, S_READER, A_LIST_IN, true, O_NEW, false, "ffffff"},
    {W, S_READER, A_LIST_OUT, true, O_NEW, false, "hhhhhh"},
    {W, S_ANALYST, A_PUBLIC, true, O_NEW, false, "fyffff"},
    {W, S_ANALYST, A_COMMUNITY, true, O_NEW, false, "fyyfff"},
    {W, S_ANALYST, A_LIST_IN, true, O_NEW, false, "yyyyyy"},
    {W, S_ANALYST, A_LIST_OUT, true, O_NEW, false, "hhhhhh"},
    {W, S_SYNC, A_PUBLIC, true, O_NEW, false, "fyffff"},
    {W, S_SYNC, A_COMMUNITY, true, O_NEW, false, "fyyfff"},
    {W, S_SYNC, A_LIST_IN, true, O_NEW, false, "yyyyyy"},
    {W, S_ADMIN, A_PUBLIC, true, O_NEW, false, "fyffff"},
    {W, S_ADMIN, A_COMMUNITY, true, O_NEW, false, "fyyfff"},
    {W, S_ADMIN, A_LIST_IN, true, O_NEW, false, "yyyyyy"},
    {W, S_ADMIN, A_LIST_OUT, true, O_NEW, false, "hhhhhh"},
    /* without a write grant only admins write; TLP placement still binds them */
    {W, S_ANALYST, A_PUBLIC, false, O_NEW, false, "ffffff"},
    {W, S_ANALYST, A_COMMUNITY, false, O_NEW, false, "ffffff"},
    {W, S_ANALYST, A_LIST_IN, false, O_NEW, false, "ffffff"},
    {W, S_SYNC, A_LIST_IN, false, O_NEW, false, "ffffff"},
    {W, S_ADMIN, A_LIST_IN, false, O_NEW, false, "yyyyyy"},
    {W, S_ADMIN, A_PUBLIC, false, O_NEW, false, "fyffff"},
    /* a further collection: AMBER and above only by the first submitter */
    {W, S_ANALYST, A_LIST_IN, true, O_OTHER, false, "fyyfff"},
    {W, S_ANALYST, A_COMMUNITY, true, O_OTHER, false, "fyyfff"},
    {W, S_ADMIN, A_LIST_IN, true, O_OTHER, false, "fyyfff"},
    {W, S_ANALYST, A_LIST_IN, true, O_SELF, false, "yyyyyy"},
    /* the same collection again (a new version): not a further collection */
    {W, S_ANALYST, A_LIST_IN, true, O_OTHER, true, "yyyyyy"},
    {W, S_ANALYST, A_COMMUNITY, true, O_OTHER, true, "fyyfff"},

    /* deletes: admins, or the originator with write access */
    {D, S_ANON, A_PUBLIC, false, O_OTHER, true, "uuuuuu"},
    {D, S_READER, A_LIST_IN, true, O_SELF, true, "ffffff"},
    {D, S_ANALYST, A_LIST_IN, true, O_SELF, true, "yyyyyy"},
    {D, S_ANALYST, A_PUBLIC, true, O_SELF, true, "yyyyyy"},
    {D, S_ANALYST, A_LIST_IN, true, O_OTHER, true, "ffffff"},
    {D, S_ANALYST, A_LIST_IN, false, O_SELF, true, "ffffff"},
    {D, S_ANALYST, A_LIST_OUT, true, O_SELF, true, "hhhhhh"},
    {D, S_SYNC, A_COMMUNITY, true, O_SELF, true, "yyyyyy"},
    {D, S_ADMIN, A_LIST_IN, false, O_OTHER, true, "yyyyyy"},
    {D, S_ADMIN, A_LIST_OUT, false, O_OTHER, true, "hhhhhh"},
};

static char verdict_char(enum access_verdict v)
{
    switch (v) {
    case ACCESS_ALLOW:
        return 'y';
    case ACCESS_DENY_FORBIDDEN:
        return 'f';
    case ACCESS_DENY_HIDDEN:
        return 'h';
    case ACCESS_DENY_UNAUTHENTICATED:
        return 'u';
    }
    return '?';
}

static void subject_of(enum subj s, struct access_subject *who)
{
    static const enum store_role roles[] = {STORE_ROLE_READER, STORE_ROLE_READER,
                                            STORE_ROLE_ANALYST, STORE_ROLE_SYNC, STORE_ROLE_ADMIN};
    memset(who, 0, sizeof(*who));
    who->authenticated = s != S_ANON;
    who->org_id = s == S_ANON ? 0 : ME;
    who->role = roles[s];
}

static void decision_table(void)
{
    static const enum store_audience auds[] = {STORE_AUD_PUBLIC, STORE_AUD_COMMUNITY,
                                               STORE_AUD_LIST, STORE_AUD_LIST};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct row *r = &table[i];
        struct access_subject who;
        subject_of(r->subj, &who);
        struct access_collection c = {auds[r->aud], r->aud == A_LIST_IN && who.authenticated,
                                      r->grant && who.authenticated};
        char got[7] = {0};
        for (int t = STIX_TLP_UNMARKED; t <= STIX_TLP_RED; t++) {
            struct access_object o = {.tlp = (enum stix_tlp)t,
                                      .origin_org = r->orig == O_NEW    ? 0
                                                    : r->orig == O_SELF ? ME
                                                                        : THEM,
                                      .in_collection = r->in_coll};
            struct access_decision d = access_decide(&who, r->action, &c, &o);
            got[t] = verdict_char(d.verdict);
            CHECK(d.rule != NULL && d.rule[0] != '\0');
        }
        if (strcmp(got, r->expect) != 0) {
            fprintf(stderr, "    table row %zu: expected %s, got %s\n", i, r->expect, got);
            CHECK(strcmp(got, r->expect) == 0);
        }
    }
}

/* Across the border: what a peer's sync key may be sent, by TLP (UNMARKED CLEAR GREEN
 * AMBER AMBER+STRICT RED), for objects of a local organisation, of the asking peer
 * itself, and of another peer; transitive or not. Other subjects are not concerned. */
static void border_table(void)
{
    static const struct {
        enum store_role role;
        bool transitive;
        int64_t origin;
        bool from_peer;
        const char *expect;
    } rows[] = {
        /* a local organisation's objects: TLP and the audience decide, RED never */
        {STORE_ROLE_SYNC, false, THEM, false, "yyyyyf"},
        /* a local organisation's own sync tooling reads its own objects */
        {STORE_ROLE_SYNC, false, ME, false, "yyyyyf"},
        /* never back to the peer the object came from */
        {STORE_ROLE_SYNC, false, ME, true, "ffffff"},
        {STORE_ROLE_SYNC, true, ME, true, "ffffff"},
        /* learned from another peer: only GREEN and CLEAR, only to a transitive peer */
        {STORE_ROLE_SYNC, false, THEM, true, "ffffff"},
        {STORE_ROLE_SYNC, true, THEM, true, "fyyfff"},
        /* an analyst on this node reads what the audience allows, wherever it came from */
        {STORE_ROLE_ANALYST, false, THEM, true, "yyyyyy"},
    };
    struct access_collection c = {STORE_AUD_LIST, true, false};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct access_subject who = {.authenticated = true,
                                     .org_id = ME,
                                     .role = rows[i].role,
                                     .transitive = rows[i].transitive};
        char got[7] = {0};
        for (int t = STIX_TLP_UNMARKED; t <= STIX_TLP_RED; t++) {
            struct access_object o = {.tlp = (enum stix_tlp)t,
                                      .origin_org = rows[i].origin,
                                      .in_collection = true,
                                      .from_peer = rows[i].from_peer};
            got[t] = verdict_char(access_decide(&who, ACCESS_READ_OBJECT, &c, &o).verdict);
            /* access_decide applies the border rule: what it refuses, the decision refuses */
            CHECK(access_border_ok(&who, &o) || got[t] == 'f');
        }
        if (strcmp(got, rows[i].expect) != 0) {
            fprintf(stderr, "    border row %zu: expected %s, got %s\n", i, rows[i].expect, got);
            CHECK(false);
        }
    }
}

/* STIX 2.1 section 3.6: who may add a version of an object the node holds. Columns: a
 * re-publication of a stored version; a new version by the first submitter; a new version
 * by another organisation; the same relayed by a peer with the first version's signing
 * key; and any of these later than a revoked version. For an analyst with a write grant
 * in a listed collection, TLP:GREEN. */
static void versioning_table(void)
{
    static const struct {
        int64_t origin;
        bool new_version, creator_signed, after_revoked;
        char expect;
    } rows[] = {
        {THEM, false, false, false, 'y'}, /* the same version again: a re-publication */
        {ME, true, false, false, 'y'},    /* the creator's new version */
        {THEM, true, false, false, 'f'},  /* someone else's: refused */
        {THEM, true, true, false, 'y'},   /* the creator's, relayed with its signature */
        {ME, true, false, true, 'f'},     /* after a revocation: not even the creator */
        {THEM, true, true, true, 'f'},    {0, false, false, false, 'y'}, /* a new id */
    };
    struct access_subject who = {.authenticated = true, .org_id = ME, .role = STORE_ROLE_ANALYST};
    struct access_collection c = {STORE_AUD_LIST, true, true};
    /* an operator (admin) passes on a third party's update for any organisation, but
     * nothing after a revocation */
    struct access_subject op = {.authenticated = true, .org_id = ME, .role = STORE_ROLE_ADMIN};
    struct access_object upd = {.tlp = STIX_TLP_GREEN, .origin_org = THEM, .new_version = true};
    CHECK(access_decide(&op, ACCESS_WRITE_OBJECT, &c, &upd).verdict == ACCESS_ALLOW);
    upd.after_revoked = true;
    CHECK(access_decide(&op, ACCESS_WRITE_OBJECT, &c, &upd).verdict == ACCESS_DENY_FORBIDDEN);
    /* a new version keeps the first version's created, whoever makes it */
    struct access_object recreated = {
        .tlp = STIX_TLP_GREEN, .origin_org = ME, .new_version = true, .created_differs = true};
    CHECK(access_decide(&who, ACCESS_WRITE_OBJECT, &c, &recreated).verdict ==
          ACCESS_DENY_FORBIDDEN);
    recreated.new_version = false; /* the same version again: nothing new is created */
    CHECK(access_decide(&who, ACCESS_WRITE_OBJECT, &c, &recreated).verdict == ACCESS_ALLOW);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct access_object o = {.tlp = STIX_TLP_GREEN,
                                  .origin_org = rows[i].origin,
                                  .in_collection = true,
                                  .new_version = rows[i].new_version,
                                  .creator_signed = rows[i].creator_signed,
                                  .after_revoked = rows[i].after_revoked};
        struct access_decision d = access_decide(&who, ACCESS_WRITE_OBJECT, &c, &o);
        if (verdict_char(d.verdict) != rows[i].expect) {
            fprintf(stderr, "    versioning row %zu: expected %c, got %c (%s)\n", i, rows[i].expect,
                    verdict_char(d.verdict), d.rule);
            CHECK(false);
        }
        CHECK(rows[i].expect == 'y' || strstr(d.rule, "STIX versioning") != NULL);
    }
}

/* Beyond the hand-written table: every combination of subject, audience, membership,
 * grant, TLP, originator, presence in the collection and action, checked against the
 * promises the node makes whatever else changes. */
static void every_combination_keeps_the_promises(void)
{
    static const enum store_audience auds[] = {STORE_AUD_PUBLIC, STORE_AUD_COMMUNITY,
                                               STORE_AUD_LIST};
    static const enum access_action acts[] = {ACCESS_READ_OBJECT, ACCESS_WRITE_OBJECT,
                                              ACCESS_DELETE_OBJECT};
    int checked = 0;
    for (int sj = S_ANON; sj <= S_ADMIN; sj++) {
        struct access_subject who;
        subject_of((enum subj)sj, &who);
        for (size_t a = 0; a < 3; a++) {
            for (int member = 0; member <= 1; member++) {
                for (int grant = 0; grant <= 1; grant++) {
                    struct access_collection c = {auds[a], member && who.authenticated,
                                                  grant && who.authenticated};
                    bool visible = c.audience == STORE_AUD_PUBLIC ||
                                   (who.authenticated &&
                                    (c.audience == STORE_AUD_COMMUNITY || c.org_in_audience));
                    for (int t = STIX_TLP_UNMARKED; t <= STIX_TLP_RED; t++) {
                        for (int o = O_NEW; o <= O_OTHER; o++) {
                            for (int in = 0; in <= 1; in++) {
                                struct access_object ob = {.tlp = (enum stix_tlp)t,
                                                           .origin_org = o == O_NEW    ? 0
                                                                         : o == O_SELF ? ME
                                                                                       : THEM,
                                                           .in_collection = in};
                                for (size_t k = 0; k < 3; k++) {
                                    enum access_verdict v =
                                        access_decide(&who, acts[k], &c, &ob).verdict;
                                    bool allow = v == ACCESS_ALLOW;
                                    checked++;
                                    /* nothing is shown or changed outside the audience */
                                    CHECK(!(allow && !visible));
                                    /* outsiders learn nothing: 404 or 401, never 403 */
                                    CHECK(visible || v != ACCESS_DENY_FORBIDDEN);
                                    CHECK(v != ACCESS_DENY_HIDDEN || who.authenticated);
                                    /* TLP: only CLEAR in public, never AMBER+ in community */
                                    CHECK(!(allow && acts[k] != ACCESS_DELETE_OBJECT &&
                                            c.audience == STORE_AUD_PUBLIC && t != STIX_TLP_CLEAR));
                                    CHECK(!(allow && acts[k] != ACCESS_DELETE_OBJECT &&
                                            c.audience == STORE_AUD_COMMUNITY &&
                                            t != STIX_TLP_CLEAR && t != STIX_TLP_GREEN));
                                    /* RED never reaches a sync key */
                                    CHECK(!(allow && acts[k] == ACCESS_READ_OBJECT &&
                                            t == STIX_TLP_RED && sj == S_SYNC));
                                    /* readers and the anonymous never change anything */
                                    CHECK(!(allow && acts[k] != ACCESS_READ_OBJECT &&
                                            (sj == S_READER || sj == S_ANON)));
                                    /* only the originator (or an admin) deletes */
                                    CHECK(!(allow && acts[k] == ACCESS_DELETE_OBJECT &&
                                            sj != S_ADMIN && o != O_SELF));
                                    /* AMBER+ into a further collection: originator only */
                                    CHECK(!(allow && acts[k] == ACCESS_WRITE_OBJECT && !in &&
                                            o == O_OTHER && t != STIX_TLP_CLEAR &&
                                            t != STIX_TLP_GREEN));
                                    /* writes need a grant, unless admin */
                                    CHECK(!(allow && acts[k] == ACCESS_WRITE_OBJECT && !grant &&
                                            sj != S_ADMIN));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    CHECK(checked == 5 * 3 * 2 * 2 * 6 * 3 * 2 * 3);
}

static void collection_visibility(void)
{
    struct access_subject anon, reader;
    subject_of(S_ANON, &anon);
    subject_of(S_READER, &reader);
    struct access_collection pub = {STORE_AUD_PUBLIC, false, false};
    struct access_collection com = {STORE_AUD_COMMUNITY, false, false};
    struct access_collection out = {STORE_AUD_LIST, false, false};
    struct access_collection in = {STORE_AUD_LIST, true, false};
    FAIL_IF(access_decide(&anon, ACCESS_READ_COLLECTION, &pub, NULL).verdict != ACCESS_ALLOW);
    FAIL_IF(access_decide(&anon, ACCESS_READ_COLLECTION, &com, NULL).verdict !=
            ACCESS_DENY_UNAUTHENTICATED);
    FAIL_IF(access_decide(&reader, ACCESS_READ_COLLECTION, &com, NULL).verdict != ACCESS_ALLOW);
    FAIL_IF(access_decide(&reader, ACCESS_READ_COLLECTION, &out, NULL).verdict !=
            ACCESS_DENY_HIDDEN);
    FAIL_IF(access_decide(&reader, ACCESS_READ_COLLECTION, &in, NULL).verdict != ACCESS_ALLOW);
}

static void read_mask_follows_decisions(void)
{
    struct access_subject sync, anon;
    subject_of(S_SYNC, &sync);
    subject_of(S_ANON, &anon);
    struct access_collection in = {STORE_AUD_LIST, true, false};
    struct access_collection pub = {STORE_AUD_PUBLIC, false, false};
    unsigned all = (1u << (STIX_TLP_RED + 1)) - 1;
    FAIL_IF(access_read_mask(&sync, &in) != (all & ~(1u << STIX_TLP_RED)));
    FAIL_IF(access_read_mask(&anon, &pub) != (1u << STIX_TLP_CLEAR));
}

static struct store *temp_store(char *path, size_t n)
{
    struct store *s = NULL;
    struct err err;
    snprintf(path, n, "/tmp/certmesh-unit-%d-%u.db", (int)getpid(), (unsigned)rand());
    if (store_open(path, true, &s, &err) != 0) {
        fprintf(stderr, "    %s\n", err.msg);
        return NULL;
    }
    return s;
}

static void remove_db(const char *path)
{
    char p[300];
    unlink(path);
    snprintf(p, sizeof(p), "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", path);
    unlink(p);
}

static void keys_authenticate(void)
{
    char path[256];
    struct err err;
    unsigned char pepper[ACCESS_PEPPER_BYTES] = {1, 2, 3};
    FAIL_IF(sodium_init() < 0);
    struct store *s = temp_store(path, sizeof(path));
    FAIL_IF(s == NULL);
    int64_t org;
    char id[STORE_KEY_ID_MAX], secret[ACCESS_SECRET_HEX + 1], id2[STORE_KEY_ID_MAX],
        secret2[ACCESS_SECRET_HEX + 1];
    struct access_subject who;
    CHECK(store_org_add(s, "cert-a", &org, &err) == 0);
    CHECK(access_key_new(s, pepper, org, STORE_ROLE_ANALYST, 0, id, secret, &err) == 0);
    CHECK(access_key_new(s, pepper, org, STORE_ROLE_READER, ts_now() - 1, id2, secret2, &err) == 0);
    CHECK(strlen(secret) == 64);
    CHECK(access_authenticate(s, pepper, id, secret, &who, &err) == 0);
    CHECK(who.authenticated && who.org_id == org && who.role == STORE_ROLE_ANALYST);
    secret[0] = secret[0] == 'a' ? 'b' : 'a';
    CHECK(access_authenticate(s, pepper, id, secret, &who, &err) == 1 && !who.authenticated);
    CHECK(strcmp(err.msg, "wrong secret") == 0);
    CHECK(access_authenticate(s, pepper, "knope", secret, &who, &err) == 1);
    CHECK(access_authenticate(s, pepper, id2, secret2, &who, &err) == 1);
    CHECK(strcmp(err.msg, "key expired") == 0);
    /* the stored hash is keyed: another pepper does not accept the same secret */
    unsigned char other[ACCESS_PEPPER_BYTES] = {9};
    CHECK(access_authenticate(s, other, id2, secret2, &who, &err) == 1);
    CHECK(store_key_revoke(s, id2, &err) == 0);
    CHECK(store_key_revoke(s, "knope", &err) == 1);
    store_close(s);
    remove_db(path);
}

static void audit_chain_detects_tampering(void)
{
    char path[256];
    struct err err;
    FAIL_IF(sodium_init() < 0);
    struct store *s = temp_store(path, sizeof(path));
    FAIL_IF(s == NULL);
    for (int i = 0; i < 5; i++) {
        char d[32];
        snprintf(d, sizeof(d), "change %d", i);
        CHECK(access_audit(s, "tester", "test", d, &err) == 0);
    }
    int64_t rows, bad;
    CHECK(access_audit_verify(s, &rows, &bad, &err) == 0 && rows == 5);
    sqlite3 *db;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE audit SET detail = 'nothing' WHERE seq = 3", 0, 0, 0) ==
          SQLITE_OK);
    CHECK(access_audit_verify(s, &rows, &bad, &err) == 1 && bad == 3);
    CHECK(strstr(err.msg, "altered") != NULL);
    CHECK(sqlite3_exec(db, "UPDATE audit SET detail = 'change 2' WHERE seq = 3", 0, 0, 0) ==
          SQLITE_OK);
    CHECK(access_audit_verify(s, &rows, &bad, &err) == 0);
    CHECK(sqlite3_exec(db, "DELETE FROM audit WHERE seq = 2", 0, 0, 0) == SQLITE_OK);
    CHECK(access_audit_verify(s, &rows, &bad, &err) == 1 && bad == 3);
    CHECK(strstr(err.msg, "removed") != NULL);
    sqlite3_close(db);
    store_close(s);
    remove_db(path);
}

/* How what a peer sends is judged: access_verify's result, the signer, the peer's policy. */
static void signature_verdicts(void)
{
    struct access_peer_keys open = {0}, pinned = {.pinned = true, .n_known = 2},
                            strict = {.require = true, .pinned = true, .n_known = 1};
    str_copy(pinned.known[0], sizeof(pinned.known[0]), "peer-key");
    str_copy(pinned.known[1], sizeof(pinned.known[1]), "origin-key");
    str_copy(strict.known[0], sizeof(strict.known[0]), "peer-key");
    /* a signature that does not verify: refused whatever the policy */
    CHECK(access_signature_verdict(&open, -1, "") != NULL);
    CHECK(access_signature_verdict(&pinned, -1, "peer-key") != NULL);
    /* unsigned: accepted unless the peer must sign */
    CHECK(access_signature_verdict(&open, 1, "") == NULL);
    CHECK(access_signature_verdict(&pinned, 1, "") == NULL);
    CHECK(access_signature_verdict(&strict, 1, "") != NULL);
    /* signed: by any key when the peer has none here; else by a key this node knows */
    CHECK(access_signature_verdict(&open, 0, "anyone") == NULL);
    CHECK(access_signature_verdict(&pinned, 0, "peer-key") == NULL);
    CHECK(access_signature_verdict(&pinned, 0, "origin-key") == NULL);
    CHECK(access_signature_verdict(&pinned, 0, "stranger") != NULL);
    CHECK(access_signature_verdict(&strict, 0, "origin-key") != NULL);
}

/* The keys peers issue this node are kept sealed under a key from the pepper. */
static void sealed_secrets(void)
{
    unsigned char pepper[ACCESS_PEPPER_BYTES], key[ACCESS_SEAL_KEY_BYTES],
        other[ACCESS_SEAL_KEY_BYTES];
    memset(pepper, 7, sizeof(pepper));
    access_seal_key(pepper, key);
    pepper[0] = 8;
    access_seal_key(pepper, other);
    CHECK(memcmp(key, other, sizeof(key)) != 0);
    char sealed[256], again[256], out[256];
    struct err err;
    const char *secret =
        "k0123456789abcdef01:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    CHECK(access_seal(key, secret, sealed, sizeof(sealed), &err) == 0);
    CHECK(strncmp(sealed, ACCESS_SEAL_PREFIX, strlen(ACCESS_SEAL_PREFIX)) == 0);
    CHECK(strstr(sealed, "0011223344") == NULL);
    CHECK(access_seal(key, secret, again, sizeof(again), &err) == 0 && strcmp(sealed, again) != 0);
    CHECK(access_unseal(key, sealed, out, sizeof(out), &err) == 0 && strcmp(out, secret) == 0);
    CHECK(access_unseal(other, sealed, out, sizeof(out), &err) == -1);
    sealed[strlen(sealed) - 3] ^= 1; /* altered */
    CHECK(access_unseal(key, sealed, out, sizeof(out), &err) == -1);
    CHECK(access_unseal(key, "sealed:", out, sizeof(out), &err) == -1);
    CHECK(access_unseal(key, "sealed:!!!!", out, sizeof(out), &err) == -1);
    CHECK(access_unseal(key, "id:clear", out, sizeof(out), &err) == 0 &&
          strcmp(out, "id:clear") == 0);
    char longer[ACCESS_SEALABLE_MAX + 2];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    CHECK(access_seal(key, longer, sealed, sizeof(sealed), &err) == -1);
    longer[ACCESS_SEALABLE_MAX] = '\0'; /* the longest that may be sealed fits a peer's key */
    struct store_peer p;
    CHECK(access_seal(key, longer, p.key, sizeof(p.key), &err) == 0);
    CHECK(access_unseal(key, p.key, out, sizeof(out), &err) == 0 && strcmp(out, longer) == 0);
}

const struct unit_test access_tests[] = {
    {"signature_verdicts", signature_verdicts},
    {"sealed_secrets", sealed_secrets},
    {"decision_table", decision_table},
    {"border_table", border_table},
    {"versioning_table", versioning_table},
    {"every_combination_keeps_the_promises", every_combination_keeps_the_promises},
    {"collection_visibility", collection_visibility},
    {"read_mask_follows_decisions", read_mask_follows_decisions},
    {"keys_authenticate", keys_authenticate},
    {"audit_chain_detects_tampering", audit_chain_detects_tampering},
    {NULL, NULL},
};
