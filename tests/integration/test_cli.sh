#!/usr/bin/env bash
# The CLI verbs: --help everywhere, scripts get one result on stdout, clear errors,
# import/export round trip, audit verify catching a tampered row, TLS certificate.
. "$(dirname "$0")/lib.sh"

for v in init serve org key collection import export audit pattern hunt; do
    out=$(cm "$v" --help 2>&1)
    expect_eq "$v --help exit" "$?" 0
    expect_contains "$v --help" "$out" "usage: certmesh $v"
done
out=$(cm frobnicate 2>&1)
expect_eq "unknown verb exit" "$?" 2
expect_contains "unknown verb" "$out" "unknown verb 'frobnicate'"
out=$(cm org list --data "$TMP/nowhere" 2>&1)
expect_eq "missing data dir exit" "$?" 1
expect_contains "missing data dir" "$out" "is not a certmesh data directory"

# init prints exactly the certificate fingerprint, which is the SHA-256 of its DER
new_node n1 || exit 1
fp=$(cat "$TMP/n1.fp")
expect_eq "fingerprint shape" "$(printf %s "$fp" | grep -cE '^[0-9a-f]{64}$')" 1
der_fp=$(sed '/-----/d' "$DATA/tls/cert.pem" | base64 -d | sha256sum | cut -d' ' -f1)
expect_eq "fingerprint is SHA-256 of DER" "$fp" "$der_fp"
expect_eq "journal mode WAL" "$(sqlite3 "$DATA/certmesh.db" 'pragma journal_mode')" wal
expect_eq "node key private" "$(stat -c %a "$DATA/node.key")" 600
out=$(cm init --data "$DATA" 2>&1)
expect_eq "init twice exit" "$?" 1
expect_contains "init twice" "$out" "already holds a node"

# organisations, keys, collections: one result on stdout
ident=$(cm org add thaicert --data "$DATA" 2>/dev/null)
expect_eq "org add prints identity" "$(printf %s "$ident" | grep -cE '^identity--[0-9a-f-]{36}$')" 1
cm org add singcert --data "$DATA" >/dev/null 2>&1
out=$(cm org add thaicert --data "$DATA" 2>&1)
expect_contains "duplicate org" "$out" "already exists"
out=$(cm org add 'bad name' --data "$DATA" 2>&1)
expect_eq "bad org name exit" "$?" 2
expect_eq "org list" "$(cm org list --data "$DATA" | cut -f1 | tr '\n' ,)" "singcert,thaicert,"
key=$(cm key new --org thaicert --role analyst --data "$DATA" 2>/dev/null)
expect_eq "key new prints ID:SECRET" "$(printf %s "$key" | grep -cE '^k[0-9a-f]{18}:[0-9a-f]{64}$')" 1
expect_not_contains "secret not stored" "$(sqlite3 "$DATA/certmesh.db" .dump)" "${key#*:}"
out=$(cm key new --org thaicert --role god --data "$DATA" 2>&1)
expect_contains "bad role" "$out" "--role: expected admin, analyst, sync or reader"
out=$(cm key new --org nobody --role reader --data "$DATA" 2>&1)
expect_contains "unknown org" "$out" "no organisation named 'nobody'"
expect_eq "key list" "$(cm key list --data "$DATA" | cut -f2-4)" "$(printf 'thaicert\tanalyst\tactive')"
cm key revoke "${key%%:*}" --data "$DATA" 2>/dev/null
expect_eq "key revoked" "$(cm key list --data "$DATA" | cut -f4)" revoked
coll=$(cm collection add --title "Ransomware task force" --alias rtf --audience thaicert --write thaicert --data "$DATA" 2>/dev/null)
expect_eq "collection add prints id" "$(printf %s "$coll" | grep -cE '^[0-9a-f-]{36}$')" 1
out=$(cm collection add --title Again --alias rtf --audience public --data "$DATA" 2>&1)
expect_contains "duplicate alias" "$out" "already exists"
out=$(cm collection add --title X --audience nobody --data "$DATA" 2>&1)
expect_contains "unknown audience org" "$out" "no organisation named 'nobody'"
cm collection grant rtf --audience singcert --write singcert --data "$DATA" 2>/dev/null
expect_eq "collection list" "$(cm collection list --data "$DATA" | cut -f2-4)" "$(printf 'rtf\tlist:singcert,thaicert\tsingcert,thaicert')"
pubc=$(cm collection add --title Pub --audience public --data "$DATA" 2>/dev/null)
out=$(cm collection grant "$pubc" --audience thaicert --data "$DATA" 2>&1)
expect_contains "grant audience on public" "$out" "only explicit lists take organisations"

# import: a generated bundle, then one with a bad object; export round trip
"$GEN" --count 500 --seed 7 >"$TMP/b.json"
out=$(cm import "$TMP/b.json" --collection rtf --as thaicert --data "$DATA" 2>&1)
expect_eq "import exit" "$?" 0
expect_contains "import summary" "$out" "imported 500 of 500 objects"
jq -c '.objects[0:3] + [{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","is_family":"no"}]' "$TMP/b.json" >"$TMP/arr.json"
out=$(cm import - --collection rtf --as thaicert --data "$DATA" <"$TMP/arr.json" 2>&1)
expect_eq "import with failure exit" "$?" 1
expect_contains "import names the failure" "$out" "objects[3].is_family: must be true or false"
expect_contains "import summary 2" "$out" "imported 3 of 4 objects"
cm export --collection rtf --data "$DATA" >"$TMP/out.json" 2>/dev/null
expect_eq "export is a bundle" "$(jq -r .type "$TMP/out.json")" bundle
posted() { jq -r --arg nid "$NODE_ID" "$POSTED_DEF $1"; }
expect_eq "export count" "$(posted '.objects|posted|length' <"$TMP/out.json")" 500
expect_eq "export same ids" "$(posted '.objects|posted|.[].id' <"$TMP/out.json" | sort | md5sum)" "$(jq -r '.objects[].id' "$TMP/b.json" | sort | md5sum)"
expect_eq "export match-type" "$(cm export --collection rtf --match-type malware,identity --data "$DATA" 2>/dev/null | posted '.objects|posted|length')" 13
printf 'not json' >"$TMP/bad.json"
out=$(cm import "$TMP/bad.json" --collection rtf --as thaicert --data "$DATA" 2>&1)
expect_contains "import malformed" "$out" "malformed JSON at line 1"

# pattern check: one pattern per line, line and column of each error, exit 1 if any
printf '%s\n' "[ipv4-addr:value = '198.51.100.1']" "" "[file:name = 'x' AND]" "[url:value MATCHES '(']" \
    "([a-t:p = 1] FOLLOWEDBY [a-t:q = 2]) WITHIN 300 SECONDS" >"$TMP/patterns.txt"
out=$(cm pattern check "$TMP/patterns.txt" 2>/dev/null)
expect_eq "pattern check exit" "$?" 1
expect_eq "pattern check report" "$out" "$(printf '%s\n' "line 3: column 21: expected an object path such as file:name, found ']'" "line 4: column 20: MATCHES operand is not a valid regular expression: missing closing parenthesis at offset 1")"
out=$(printf '%s\n' "[ipv4-addr:value == '198.51.100.1']" | cm pattern check - --print)
expect_eq "pattern check canonical" "$out" "[ipv4-addr:value = '198.51.100.1']"
expect_eq "pattern check ok exit" "$(printf '[a-t:p = 1]\n' | cm pattern check >/dev/null; echo $?)" 0

# pattern match: one line per pattern, in order, with the observed-data that bound
cat >"$TMP/obs.json" <<'JSON'
{"type":"bundle","id":"bundle--44af6c39-c09b-49c5-9de2-394224b04982","objects":[
{"type":"observed-data","spec_version":"2.1","id":"observed-data--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","first_observed":"2026-01-01T00:00:00Z","last_observed":"2026-01-01T00:00:10Z","number_observed":1,"object_refs":["network-traffic--00000000-0000-4000-8000-000000000012"]},
{"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-4000-8000-000000000011","value":"198.51.100.7"},
{"type":"network-traffic","id":"network-traffic--00000000-0000-4000-8000-000000000012","dst_ref":"ipv4-addr--00000000-0000-4000-8000-000000000011","dst_port":443,"protocols":["tcp"]},
{"type":"observed-data","spec_version":"2.1","id":"observed-data--00000000-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","first_observed":"2026-01-01T00:01:00Z","last_observed":"2026-01-01T00:01:00Z","number_observed":1,"objects":{"0":{"type":"domain-name","value":"c2.example.net"}}}
]}
JSON
printf '%s\n' "[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port = 443]" \
    "[domain-name:value = 'c2.example.net'] FOLLOWEDBY [network-traffic:dst_port = 443]" \
    "[network-traffic:dst_port = 443] FOLLOWEDBY [domain-name:value LIKE '%.example.net'] WITHIN 120 SECONDS" \
    "[broken" >"$TMP/match.txt"
out=$(cm pattern match --patterns "$TMP/match.txt" --observations "$TMP/obs.json" 2>&1)
expect_eq "pattern match exit" "$?" 1
expect_eq "pattern match lines" "$out" "$(printf '%s\n' \
    "match observed-data--00000000-0000-4000-8000-000000000001" \
    "no-match" \
    "match observed-data--00000000-0000-4000-8000-000000000001 observed-data--00000000-0000-4000-8000-000000000002" \
    "invalid column 8: expected ':' after the object type, found the end of the pattern")"
out=$(cm pattern match --pattern "[domain-name:value = 'c2.example.net']" --observations "$TMP/obs.json" --json)
expect_eq "pattern match json" "$(printf '%s' "$out" | jq -r '.result + " " + .observed_data[0]')" "match observed-data--00000000-0000-4000-8000-000000000002"

# hunt: plain-list indicators in a log, whole tokens only, one JSON line per hit
printf '%s\n' "1.2.3.4" "evil.example  # a C2 domain" "203.0.113.0/24" "not an indicator" >"$TMP/ind.txt"
printf '%s\n' "a 1.2.3.4 b 11.2.3.45 c 1.2.3.45" "GET http://x.evil.example/ from 203.0.113.9" \
    "query notevil.example" >"$TMP/log.txt"
out=$(cm hunt --no-warninglists --indicators "$TMP/ind.txt" "$TMP/log.txt" 2>"$TMP/hunt.err")
expect_eq "hunt exit" "$?" 0
expect_eq "hunt hits" "$(printf '%s\n' "$out" | jq -r '[.indicator, .value, .match, .line, .offset] | join(" ")')" \
    "$(printf '%s\n' "1.2.3.4 1.2.3.4 exact 1 2" "evil.example x.evil.example subdomain 2 37" \
        "203.0.113.0/24 203.0.113.9 in-range 2 65")"
expect_contains "hunt refuses bad indicator" "$(cat "$TMP/hunt.err")" "line 4: 'not an indicator' is not a recognised indicator"
expect_eq "hunt summary" "$(tail -n 1 "$TMP/hunt.err" | jq -c '[.records, .hits, .refused]')" "[3,3,1]"
out=$(printf 'x evil.example\n' | cm hunt --indicators "$TMP/ind.txt" 2>/dev/null | jq -r .file)
expect_eq "hunt stdin" "$out" "(stdin)"
# warninglists: the documentation range is set aside by default, a user list adds more
printf 'evil.example\n' >"$TMP/wl.txt"
out=$(cm hunt --indicators "$TMP/ind.txt" --warninglist "$TMP/wl.txt" "$TMP/log.txt" 2>"$TMP/hunt.err")
expect_eq "hunt with warninglists" "$(printf '%s\n' "$out" | jq -r .indicator)" "1.2.3.4"
expect_contains "hunt reports the builtin list" "$(cat "$TMP/hunt.err")" "203.0.113.0/24 set aside: on warninglist rfc6890-documentation"
expect_contains "hunt reports the user list" "$(cat "$TMP/hunt.err")" "evil.example set aside: on warninglist $TMP/wl.txt"

# hunt --bundle: active, unrevoked stix indicators decided by one value; STIX domains exact
cat >"$TMP/ib.json" <<'JSON'
{"type":"bundle","id":"bundle--44af6c39-c09b-49c5-9de2-394224b04982","objects":[
{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[network-traffic:dst_ref.value = '5.6.7.8' AND network-traffic:dst_port = 443]","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000003","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '9.9.9.10']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","valid_until":"2026-02-01T00:00:00Z"},
{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000004","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '9.9.9.11']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","revoked":true}
]}
JSON
out=$(printf 'x 1.2.3.4 y c2.evil.example evil.example 5.6.7.8 9.9.9.10 9.9.9.11\n' |
    cm hunt --bundle "$TMP/ib.json" 2>"$TMP/hunt.err")
expect_eq "hunt bundle hits" "$(printf '%s\n' "$out" | jq -r '[.indicator, .value, .match] | join(" ")')" \
    "$(printf '%s\n' "indicator--00000000-0000-4000-8000-000000000001 1.2.3.4 exact" \
        "indicator--00000000-0000-4000-8000-000000000001 evil.example exact")"
expect_contains "hunt bundle summary" "$(cat "$TMP/hunt.err")" "2 indicators hunted (1 by evaluating records); 2 inactive or revoked"

# serve refuses plain HTTP off loopback
out=$(cm serve --data "$DATA" --listen 0.0.0.0:0 --plain-http 2>&1)
expect_eq "plain-http off loopback exit" "$?" 2
expect_contains "plain-http off loopback" "$out" "only allowed on a loopback address"

# audit: intact, then a row edited behind certmesh's back
out=$(cm audit verify --data "$DATA")
expect_contains "audit intact" "$out" "audit chain intact"
sqlite3 "$DATA/certmesh.db" "update audit set detail = 'org=mallory' where action = 'org.add' and detail = 'org=singcert'"
out=$(cm audit verify --data "$DATA")
expect_eq "audit tampered exit" "$?" 1
expect_contains "audit tampered" "$out" "audit chain broken at row 3"
finish
