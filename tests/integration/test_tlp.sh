#!/usr/bin/env bash
# TLP 2.0 and audiences through the real server: placement rules on POST, the further-
# collection rule, 404 for organisations outside an audience, no RED for sync keys.
. "$(dirname "$0")/lib.sh"
standard_node || exit 1
start_node "$DATA" || exit 1

post() { # COLLECTION KEY OBJ...
    local c=$1 k=$2
    shift 2
    envelope "$TMP/env" "$@"
    req POST "/api/collections/$c/objects/" "$k" "$TMP/env"
}

# public: CLEAR only
post "$PUB" "$KEY_A" "$(indicator 1 "$TLP_CLEAR")" "$(indicator 2 "$TLP_GREEN")" "$(indicator 3 "$TLP_AMBER")" "$(indicator 4)"
expect_eq "public accepts only CLEAR" "$(jqb '.success_count'),$(jqb '.failure_count')" "1,3"
expect_contains "GREEN rule named" "$(jqb '.failures[0].message')" "TLP:GREEN may not be placed in a public collection"
expect_contains "unmarked is AMBER" "$(jqb '.failures[2].message')" "unmarked objects may only be placed in collections with an explicit audience"
# community: CLEAR and GREEN
post "$COM" "$KEY_A" "$(indicator 5 "$TLP_CLEAR")" "$(indicator 6 "$TLP_GREEN")" "$(indicator 7 "$TLP_AMBER")" "$(indicator 8 "$TLP_STRICT")" "$(indicator 9 "$TLP_RED")"
expect_eq "community accepts CLEAR and GREEN" "$(jqb '[.successes[].id]|join(",")')" "$(oid indicator 5),$(oid indicator 6)"
# explicit list: everything
post "$LIST" "$KEY_A" "$(indicator 10 "$TLP_AMBER")" "$(indicator 11 "$TLP_STRICT")" "$(indicator 12 "$TLP_RED")" "$(indicator 13)" "$(indicator 14 "$TLP_GREEN")"
expect_eq "list accepts all" "$(jqb '.success_count')" 5
# no write grant: cert-c may read community but not write
post "$COM" "$KEY_C" "$(indicator 15 "$TLP_CLEAR")"
expect_eq "no write grant" "$CODE" 403
post "$COM" "$KEY_A_READER" "$(indicator 15 "$TLP_CLEAR")"
expect_eq "reader cannot write" "$CODE" 403

# further collection: only cert-a (first submitter) may copy its RED object into LIST2
post "$LIST2" "$KEY_B" "$(indicator 12 "$TLP_RED")" "$(indicator 14 "$TLP_GREEN")"
expect_eq "other org copies GREEN but not RED" "$(jqb '.success_count'),$(jqb '.failure_count')" "1,1"
expect_contains "further collection rule" "$(jqb '.failures[0].message')" "only the organisation that first submitted"
post "$LIST2" "$KEY_A" "$(indicator 12 "$TLP_RED")"
expect_eq "originator copies RED" "$(jqb '.success_count')" 1

# reads: outside the audience the collection does not exist
req GET "/api/collections/$LIST/" "$KEY_C" ""
expect_eq "outsider collection" "$CODE" 404
req GET "/api/collections/$LIST/objects/" "$KEY_C" ""
expect_eq "outsider objects" "$CODE" 404
req GET "/api/collections/$LIST/manifest/" "$KEY_C" ""
expect_eq "outsider manifest" "$CODE" 404
req GET "/api/collections/$LIST/objects/$(oid indicator 12)/" "$KEY_C" ""
expect_eq "outsider object" "$CODE" 404
req GET "/api/collections/$LIST/objects/$(oid indicator 12)/versions/" "$KEY_C" ""
expect_eq "outsider versions" "$CODE" 404
req GET "/api/collections/$LIST/objects/" "" ""
expect_eq "anonymous on list" "$CODE" 401
req GET "/api/collections/$PUB/objects/" "" ""
expect_eq "anonymous on public" "$(jqb '[.objects|posted|.[].id]|join(",")')" "$(oid indicator 1)"
req GET "/api/collections/$LIST/objects/" "$KEY_B" ""
expect_eq "member sees all" "$(jqb '.objects|posted|length')" 5

# sync keys never receive RED
req GET "/api/collections/$LIST/objects/" "$KEY_A_SYNC" ""
expect_eq "sync sees no RED" "$(jqb '[.objects|posted|.[].id]|join(",")')" "$(oid indicator 10),$(oid indicator 11),$(oid indicator 13),$(oid indicator 14)"
req GET "/api/collections/$LIST/manifest/" "$KEY_A_SYNC" ""
expect_not_contains "sync manifest no RED" "$BODY" "$(oid indicator 12)"
req GET "/api/collections/$LIST/objects/$(oid indicator 12)/" "$KEY_A_SYNC" ""
expect_eq "sync RED object" "$CODE" 404
req GET "/api/collections/$LIST/objects/$(oid indicator 12)/versions/" "$KEY_A_SYNC" ""
expect_eq "sync RED versions" "$CODE" 404

# STIX 2.1 section 3.6: only the object's creator (here: the organisation that first
# submitted it) adds versions, and none after a revocation
post "$LIST" "$KEY_A" "$(indicator 40 "$TLP_GREEN")"
post "$LIST" "$KEY_B" "$(indicator 40 "$TLP_GREEN" 2026-02-01T00:00:00.000Z)"
expect_eq "another organisation's new version is refused" "$(jqb '.success_count'),$(jqb '.failure_count')" "0,1"
expect_contains "and says why" "$(jqb '.failures[0].message')" "only the object's creator may create a new version"
revoked() { indicator "$@" | sed 's/}$/,"revoked":true}/'; }
post "$LIST" "$KEY_B" "$(revoked 40 "$TLP_GREEN" 2026-02-01T00:00:00.000Z)"
expect_eq "nor may it revoke the object" "$(jqb '.failure_count')" 1
post "$LIST2" "$KEY_B" "$(indicator 40 "$TLP_GREEN")"
expect_eq "re-publishing the same version elsewhere is not a new version" "$(jqb '.success_count')" 1
req GET "/api/collections/$LIST/objects/$(oid indicator 40)/" "$KEY_B" ""
expect_eq "readers still get the creator's version" "$(jqb '[.objects[].modified]|join(",")')" "2026-01-01T00:00:00.000Z"
post "$LIST" "$KEY_A" "$(indicator 40 "$TLP_GREEN" 2026-02-01T00:00:00.000Z)"
expect_eq "the creator's new version is taken" "$(jqb '.success_count')" 1
recreated() { indicator 40 "$TLP_GREEN" "$1" | sed "s/\"created\":\"2026-01-01T00:00:00.000Z\"/\"created\":\"$2\"/"; }
post "$LIST" "$KEY_A" "$(recreated 2026-02-10T00:00:00.000Z 2026-01-02T00:00:00.000Z)"
expect_contains "a version whose created changed is refused" "$(jqb '.failures[0].message')" "created must not change"
post "$LIST" "$KEY_A" "$(recreated 2026-02-20T00:00:00.000Z 2026-01-01T00:00:00.000000Z)"
expect_eq "the same instant written another way is the same created" "$(jqb '.success_count')" 1
post "$LIST" "$KEY_A" "$(revoked 40 "$TLP_GREEN" 2026-03-01T00:00:00.000Z)"
expect_eq "the creator revokes" "$(jqb '.success_count')" 1
post "$LIST" "$KEY_A" "$(indicator 40 "$TLP_GREEN" 2026-04-01T00:00:00.000Z)"
expect_eq "no version after the revocation" "$(jqb '.failure_count')" 1
expect_contains "and says why" "$(jqb '.failures[0].message')" "the object is revoked"
finish
