#!/usr/bin/env bash
# Bad input gets the right status code and a TAXII error body, the server keeps serving,
# and nothing is half-written.
. "$(dirname "$0")/lib.sh"
standard_node || exit 1
start_node "$DATA" --max-content-length 4096 || exit 1

envelope "$TMP/good" "$(indicator 1 "$TLP_AMBER")"
req POST "/api/collections/$LIST/objects/" "$KEY_A" "$TMP/good"
expect_eq "baseline post" "$CODE" 202

is_error_body() {
    expect_eq "$1: error title" "$(jqb 'has("title")')" true
    expect_eq "$1: http_status" "$(jqb '.http_status')" "$CODE"
    expect_contains "$1: content type" "$HEADERS" "application/taxii+json;version=2.1"
}
post_raw() { # NAME FILE EXPECTED_CODE
    req POST "/api/collections/$LIST/objects/" "$KEY_A" "$2"
    expect_eq "$1" "$CODE" "$3"
    is_error_body "$1"
}

printf '{"objects":[{"type":"indicator",' >"$TMP/trunc"
post_raw "truncated JSON" "$TMP/trunc" 400
printf '{"objects":[{"type":"indicator","name":"\xff\xfe"}]}' >"$TMP/utf8"
post_raw "invalid UTF-8" "$TMP/utf8" 400
expect_contains "utf8 message" "$(jqb .description)" "UTF-8"
{ printf '{"objects":['; for i in $(seq 1 70); do printf '['; done; for i in $(seq 1 70); do printf ']'; done; printf ']}'; } >"$TMP/deep"
post_raw "nesting over 64" "$TMP/deep" 400
expect_contains "depth message" "$(jqb .description)" "deeper than 64"
printf '{"objects":[{"a":1,"a":2}]}' >"$TMP/dup"
post_raw "duplicate keys" "$TMP/dup" 400
printf '[{"type":"indicator"}]' >"$TMP/notenv"
post_raw "not an envelope" "$TMP/notenv" 422
printf '{"objects":[]}' >"$TMP/empty"
post_raw "empty envelope" "$TMP/empty" 422
head -c 5000 /dev/zero | tr '\0' ' ' >"$TMP/big"
post_raw "over max_content_length" "$TMP/big" 413
# a chunked body (no Content-Length) over the limit is refused too
CODE=$(head -c 6000 /dev/zero | tr '\0' ' ' | curl -s -o /dev/null -w '%{http_code}' -u "$KEY_A" \
    -H "Accept: $TAXII" -H "Content-Type: $TAXII" -H "Transfer-Encoding: chunked" \
    --data-binary @- "$URL/api/collections/$LIST/objects/")
expect_eq "chunked over limit" "$CODE" 413

# media types
req POST "/api/collections/$LIST/objects/" "$KEY_A" "" -H "Content-Type: application/json" --data-binary "@$TMP/good"
expect_eq "wrong content type" "$CODE" 415
is_error_body "415"
accept() { curl -s -o /dev/null -w '%{http_code}' -u "$KEY_A" -H "Accept: $1" "$URL/api/collections/"; }
expect_eq "unacceptable accept" "$(accept application/json)" 406
expect_eq "taxii 2.0 accept" "$(accept 'application/taxii+json;version=2.0')" 406
expect_eq "q=0 accept" "$(accept 'application/taxii+json;version=2.1;q=0')" 406
expect_eq "unversioned taxii accept" "$(accept application/taxii+json)" 200
expect_eq "accept list" "$(accept 'text/html, application/taxii+json;version=2.1;q=0.5')" 200
expect_eq "wildcard accept" "$(accept '*/*')" 200

# methods and paths
req PUT "/api/collections/$LIST/objects/" "$KEY_A" ""
expect_eq "PUT" "$CODE" 405
expect_contains "Allow header" "$HEADERS" "Allow: GET, HEAD, POST"
req DELETE "/api/collections/" "$KEY_A" ""
expect_eq "DELETE collections" "$CODE" 405
req POST "/api/collections/$LIST/objects/$(oid indicator 1)/" "$KEY_A" "$TMP/good"
expect_eq "POST one object" "$CODE" 405
req GET "/api/collections" "$KEY_A" ""
expect_eq "no trailing slash" "$CODE" 404
req GET "/nothing/here/" "$KEY_A" ""
expect_eq "unknown root" "$CODE" 404
req GET "/api/collections/00000000-0000-4000-8000-000000000000/" "$KEY_A" ""
expect_eq "unknown collection" "$CODE" 404
req GET "/api/collections/00000000-0000-4000-8000-000000000000/objects/" "$KEY_A" ""
expect_eq "unknown collection objects" "$CODE" 404

# malformed filters
for q in "added_after=yesterday" "added_after=2026-01-01T00:00:00Z&added_after=2026-01-01T00:00:00Z" \
    "limit=0" "limit=-1" "limit=abc" "next=not-ours" "match%5Bversion%5D=all,first" "match%5Btype%5D=a,,b"; do
    req GET "/api/collections/$LIST/objects/?$q" "$KEY_A" ""
    expect_eq "filter $q" "$CODE" 400
    is_error_body "filter $q"
done
req GET "/api/collections/$LIST/manifest/?limit=zero" "$KEY_A" ""
expect_eq "manifest bad limit" "$CODE" 400

# keys: none, wrong, malformed, revoked, expired
req GET "/api/collections/$LIST/objects/" "" ""
expect_eq "no key" "$CODE" 401
expect_contains "WWW-Authenticate" "$HEADERS" "WWW-Authenticate: Basic"
req POST "/api/collections/$PUB/objects/" "" "$TMP/good"
expect_eq "anonymous post" "$CODE" 401
req GET "/api/collections/" "${KEY_A%%:*}:0000" ""
expect_eq "wrong secret" "$CODE" 401
req GET "/api/collections/" "" "" -H "Authorization: Basic !!!"
expect_eq "malformed basic" "$CODE" 401
req GET "/api/collections/" "" "" -H "Authorization: Bearer $KEY_B"
expect_eq "bearer" "$CODE" 200
REV=$(cm key new --org cert-a --role analyst --data "$DATA")
req GET "/api/collections/" "$REV" ""
expect_eq "before revoke" "$CODE" 200
cm key revoke "${REV%%:*}" --data "$DATA" 2>/dev/null
req GET "/api/collections/" "$REV" ""
expect_eq "revoked key" "$CODE" 401
EXP=$(cm key new --org cert-a --role analyst --expires 2020-01-01T00:00:00Z --data "$DATA")
req GET "/api/collections/" "$EXP" ""
expect_eq "expired key" "$CODE" 401

# still serving, and nothing half-written: only the baseline object is stored
req GET "/api/collections/$LIST/manifest/" "$KEY_A" ""
expect_eq "server alive" "$CODE" 200
expect_eq "nothing half-written" "$(jqb '.objects|posted|length')" 1
expect_eq "auth failures audited" "$(sqlite3 "$DATA/certmesh.db" "select count(*) >= 4 from audit where action='auth.fail'")" 1
finish
