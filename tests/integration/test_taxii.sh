#!/usr/bin/env bash
# The TAXII 2.1 API end to end: discovery, API root, collections, POST with a status
# resource, objects, manifest, one object, versions, every filter, paging, DELETE.
. "$(dirname "$0")/lib.sh"
standard_node || exit 1
start_node "$DATA" --max-content-length 200000 || exit 1

req GET /taxii2/ "" ""
expect_eq "discovery code" "$CODE" 200
expect_eq "discovery api_roots" "$(jqb '.api_roots[0]')" "/api/"
expect_eq "discovery default" "$(jqb '.default')" "/api/"
expect_contains "content type" "$HEADERS" "Content-Type: application/taxii+json;version=2.1"

req GET /api/ "" ""
expect_eq "api root code" "$CODE" 200
expect_eq "api root versions" "$(jqb '.versions[0]')" "application/taxii+json;version=2.1"
expect_eq "max_content_length" "$(jqb '.max_content_length')" 200000

# collections: anonymous sees only public; cert-a sees all four; cert-c not the lists
req GET /api/collections/ "" ""
expect_eq "anon collections" "$(jqb '[.collections[].alias]|join(",")')" "public"
req GET /api/collections/ "$KEY_A" ""
expect_eq "cert-a collections" "$(jqb '[.collections[].alias]|join(",")')" "public,community,taskforce,second"
expect_eq "cert-a can_write taskforce" "$(jqb '.collections[2].can_write')" "true"
req GET /api/collections/ "$KEY_C" ""
expect_eq "cert-c collections" "$(jqb '[.collections[].alias]|join(",")')" "public,community"
expect_eq "cert-c can_write community" "$(jqb '.collections[1].can_write')" "false"
req GET /api/collections/ "$KEY_A_READER" ""
expect_eq "reader can_write" "$(jqb '[.collections[].can_write]|any')" "false"
req GET "/api/collections/$LIST/" "$KEY_B" ""
expect_eq "collection by id" "$(jqb '.id')" "$LIST"
expect_eq "media_types" "$(jqb '.media_types[0]')" "application/stix+json;version=2.1"
req GET "/api/collections/taskforce/" "$KEY_B" ""
expect_eq "collection by alias" "$(jqb '.id')" "$LIST"

# POST: valid objects stored even when others in the envelope fail
envelope "$TMP/e1" "$(indicator 1 "$TLP_AMBER")" "$(indicator 2 "$TLP_RED")" \
    '{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000099","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[x:y = 1]","pattern_type":"stix","valid_from":"soon"}' \
    "$(indicator 3 "$TLP_GREEN")"
req POST "/api/collections/$LIST/objects/" "$KEY_A" "$TMP/e1"
expect_eq "post code" "$CODE" 202
expect_eq "post status" "$(jqb '.status')" complete
expect_eq "post total" "$(jqb '.total_count')" 4
expect_eq "post success" "$(jqb '.success_count')" 3
expect_eq "post failure" "$(jqb '.failure_count')" 1
expect_eq "post pending" "$(jqb '.pending_count')" 0
expect_eq "failure message" "$(jqb '.failures[0].message')" "objects[2].valid_from: not an RFC 3339 timestamp"
expect_eq "failure id" "$(jqb '.failures[0].id')" "indicator--00000000-0000-4000-8000-000000000099"
STATUS=$(jqb '.id')
req GET "/api/status/$STATUS/" "$KEY_A" ""
expect_eq "status get" "$CODE" 200
expect_eq "status same" "$(jqb '.success_count')" 3
req GET "/api/status/$STATUS/" "$KEY_B" ""
expect_eq "status hidden from other org" "$CODE" 404
req GET "/api/status/00000000-0000-4000-8000-000000000000/" "$KEY_A" ""
expect_eq "unknown status" "$CODE" 404

# same id and version again: success, nothing new
envelope "$TMP/e2" "$(indicator 1 "$TLP_AMBER")"
req POST "/api/collections/$LIST/objects/" "$KEY_A" "$TMP/e2"
expect_eq "duplicate ok" "$(jqb '.success_count')" 1
req GET "/api/collections/$LIST/manifest/" "$KEY_A" ""
expect_eq "manifest count" "$(jqb '.objects|posted|length')" 3
expect_eq "manifest media type" "$(jqb '.objects[0].media_type')" "application/stix+json;version=2.1"
expect_eq "manifest version" "$(jqb '.objects[0].version')" "2026-01-01T00:00:00.000Z"
expect_contains "date added first" "$HEADERS" "X-TAXII-Date-Added-First: "
expect_contains "date added last" "$HEADERS" "X-TAXII-Date-Added-Last: "

# versions: two newer versions of indicator 1
envelope "$TMP/e3" "$(indicator 1 "$TLP_AMBER" 2026-02-01T00:00:00.000Z)" "$(indicator 1 "$TLP_AMBER" 2026-03-01T00:00:00.000Z)"
req POST "/api/collections/$LIST/objects/" "$KEY_A" "$TMP/e3"
expect_eq "versions posted" "$(jqb '.success_count')" 2
I1=$(oid indicator 1)
req GET "/api/collections/$LIST/objects/$I1/" "$KEY_B" ""
expect_eq "one object: last by default" "$(jqb '.objects|length'),$(jqb '.objects[0].modified')" "1,2026-03-01T00:00:00.000Z"
req GET "/api/collections/$LIST/objects/$I1/?match%5Bversion%5D=first" "$KEY_B" ""
expect_eq "version=first" "$(jqb '.objects[0].modified')" "2026-01-01T00:00:00.000Z"
req GET "/api/collections/$LIST/objects/$I1/?match[version]=all" "$KEY_B" "" -g
expect_eq "version=all" "$(jqb '[.objects[].modified]|join(",")')" "2026-01-01T00:00:00.000Z,2026-02-01T00:00:00.000Z,2026-03-01T00:00:00.000Z"
req GET "/api/collections/$LIST/objects/$I1/?match[version]=2026-02-01T00:00:00Z" "$KEY_B" "" -g
expect_eq "version=<ts>" "$(jqb '[.objects[].modified]|join(",")')" "2026-02-01T00:00:00.000Z"
req GET "/api/collections/$LIST/objects/$I1/?match[version]=first,last" "$KEY_B" "" -g
expect_eq "version=first,last" "$(jqb '.objects|length')" 2
req GET "/api/collections/$LIST/objects/$I1/versions/" "$KEY_B" ""
expect_eq "versions endpoint" "$(jqb '.versions|join(",")')" "2026-01-01T00:00:00.000Z,2026-02-01T00:00:00.000Z,2026-03-01T00:00:00.000Z"
expect_eq "versions more" "$(jqb '.more')" false
req GET "/api/collections/$LIST/objects/$(oid indicator 77)/" "$KEY_B" ""
expect_eq "unknown object" "$CODE" 404
req GET "/api/collections/$LIST/objects/$(oid indicator 77)/versions/" "$KEY_B" ""
expect_eq "unknown object versions" "$CODE" 404

# filters on the objects endpoint
req GET "/api/collections/$LIST/objects/?match[type]=malware" "$KEY_B" "" -g
expect_eq "type filter none" "$BODY" '{"more":false}'
req GET "/api/collections/$LIST/objects/?match[type]=malware,indicator" "$KEY_B" "" -g
expect_eq "type filter list" "$(jqb '.objects|length')" 3
req GET "/api/collections/$LIST/objects/?match[id]=$(oid indicator 2),$(oid indicator 3)" "$KEY_B" "" -g
expect_eq "id filter" "$(jqb '[.objects[].id]|join(",")')" "$(oid indicator 2),$(oid indicator 3)"
req GET "/api/collections/$LIST/objects/?match[spec_version]=2.0" "$KEY_B" "" -g
expect_eq "spec_version 2.0" "$(jqb '.objects|length')" 0
req GET "/api/collections/$LIST/objects/?match[spec_version]=2.1&match[version]=all" "$KEY_B" "" -g
expect_eq "spec_version 2.1 all" "$(jqb '.objects|posted|length')" 5

# paging: 25 more objects, limit 10, follow next; then added_after from the header
objs=()
for i in $(seq 100 124); do objs+=("$(indicator "$i" "$TLP_GREEN")"); done
envelope "$TMP/e4" "${objs[@]}"
req POST "/api/collections/$COM/objects/" "$KEY_B" "$TMP/e4"
expect_eq "bulk post" "$(jqb '.success_count')" 25
seen=""
next=""
pages=0
while :; do
    q="limit=10"
    [ -n "$next" ] && q="$q&next=$next"
    req GET "/api/collections/$COM/objects/?$q" "$KEY_C" ""
    pages=$((pages + 1))
    seen="$seen$(jqb '[.objects // [] | posted | .[].id]|join(" ")') "
    [ "$(jqb '.more')" = true ] || break
    next=$(jqb '.next')
    [ $pages -gt 5 ] && break
done
expect_eq "paged pages" "$pages" 3
expect_eq "paged count" "$(echo $seen | wc -w)" 25
expect_eq "paged unique" "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" 25
req GET "/api/collections/$COM/objects/?limit=10" "$KEY_C" ""
last=$(printf '%s' "$HEADERS" | sed -n 's/^X-TAXII-Date-Added-Last: \(.*\)\r$/\1/p')
req GET "/api/collections/$COM/objects/?added_after=$last&limit=100" "$KEY_C" ""
expect_eq "added_after rest" "$(jqb '.objects|posted|length')" 15
expect_eq "added_after more" "$(jqb '.more')" false
req GET "/api/collections/$COM/manifest/?limit=5" "$KEY_C" ""
expect_eq "manifest paging" "$(jqb '.objects|length'),$(jqb '.more')" "5,true"

# DELETE: the originator's org with write access, and admins
I2=$(oid indicator 2)
req DELETE "/api/collections/$LIST/objects/$I2/" "$KEY_B" ""
expect_eq "delete by non-originator" "$CODE" 403
req DELETE "/api/collections/$LIST/objects/$I2/" "$KEY_A_READER" ""
expect_eq "delete by reader" "$CODE" 403
req DELETE "/api/collections/$LIST/objects/$I2/" "$KEY_A" ""
expect_eq "delete by originator" "$CODE" 200
req GET "/api/collections/$LIST/objects/$I2/" "$KEY_A" ""
expect_eq "deleted object gone" "$CODE" 404
req DELETE "/api/collections/$LIST/objects/$I2/" "$KEY_A" ""
expect_eq "delete again" "$CODE" 404
req DELETE "/api/collections/$COM/objects/$(oid indicator 100)/" "$KEY_ADMIN" ""
expect_eq "delete by admin" "$CODE" 200

# indicators with pattern_type stix must carry a valid pattern
bad_pattern='{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000500","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '"'"'1.2.3.4'"'"'","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}'
other_lang='{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000501","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"alert tcp any any -> any 80","pattern_type":"snort","valid_from":"2026-01-01T00:00:00Z"}'
envelope "$TMP/e5" "$bad_pattern" "$other_lang"
req POST "/api/collections/$LIST/objects/" "$KEY_A" "$TMP/e5"
expect_eq "pattern checked" "$(jqb '.success_count'),$(jqb '.failure_count')" "1,1"
expect_eq "pattern message" "$(jqb '.failures[0].message')" "objects[0].pattern: column 29: expected ']' to close the observation expression, found the end of the pattern"

# the audit chain recorded all of it and is intact
out=$(cm audit verify --data "$DATA")
expect_contains "audit intact" "$out" "audit chain intact"
finish
