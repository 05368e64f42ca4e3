#!/usr/bin/env bash
# test_sync.sh — federation, first part: node B pulls a collection from node A over
# HTTPS with A's public key pinned, as A's organisation on B; what TLP forbids stays home;
# cursors make rounds resume without loss or duplicates; a wrong pin stops the peer.
. "$(dirname "$0")/lib.sh"

# node A: its analysts (cert-a), and node B's organisation with a sync key
new_node a || exit 1
A=$DATA
cm org add cert-a --data "$A" >/dev/null
cm org add node-b --data "$A" >/dev/null
KEY_B=$(cm key new --org node-b --role sync --data "$A")
SHARED=$(cm collection add --title Shared --alias shared --audience cert-a,node-b --write cert-a --data "$A")
bundle() { local IFS=,; printf '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[%s]}' "$*"; }
bundle "$(indicator 1 "$TLP_GREEN")" "$(indicator 2 "$TLP_AMBER")" "$(indicator 3 "$TLP_RED")" >"$TMP/a1.json"
cm import --data "$A" --collection shared --as cert-a "$TMP/a1.json" 2>/dev/null
TLS=1 start_node "$A" || exit 1
A_URL=$URL
A_PID=$PID
expect_contains "A serves HTTPS" "$A_URL" "https://127.0.0.1:"

info=$(cm node info --data "$A" --json)
expect_eq "node info keys" "$(printf '%s' "$info" | jq -r 'keys | join(" ")')" "signing_key tls_fingerprint url"
expect_eq "node info url" "$(printf '%s' "$info" | jq -r .url)" "$A_URL/api/"
PIN=$(printf '%s' "$info" | jq -r .tls_fingerprint)
expect_eq "pin shape" "$(printf %s "$PIN" | grep -cE '^sha256//[A-Za-z0-9+/]{43}=$')" 1
spki=$(openssl x509 -in "$A/tls/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
expect_eq "pin is the SHA-256 of the certificate's public key" "$PIN" "sha256//$spki"

# node B: A's organisation, a collection for what comes from A
new_node b || exit 1
B=$DATA
cm org add cert-b --data "$B" >/dev/null
cm org add node-a --data "$B" >/dev/null
cm org add node-c --data "$B" >/dev/null
FROM_A=$(cm collection add --title "From A" --alias from-a --audience cert-b,node-a,node-c --write node-a --data "$B")
A_SIGN=$(printf '%s' "$info" | jq -r .signing_key)
cm peer add a --org node-a --url "$A_URL/api/" --key "$KEY_B" --tls-fingerprint "$PIN" \
    --signing-key "$A_SIGN" --pull "$SHARED=from-a" --data "$B" 2>/dev/null
expect_eq "peer add" "$?" 0
expect_eq "the key A issued is stored sealed, not in clear" \
    "$(sqlite3 "$B/certmesh.db" "select key like 'sealed:%' and instr(key, '${KEY_B#*:}') = 0 from peers where name = 'a'")" 1
expect_eq "peer list" "$(cm peer list --data "$B")" "a	node-a	$A_URL/api/	pull $SHARED=from-a"
cm peer add a --org node-a --url "$A_URL/api/" --key "$KEY_B" --tls-fingerprint "$PIN" --data "$B" 2>"$TMP/err"
expect_eq "a peer name is taken once" "$?" 1
cm peer add z --org nobody --url "$A_URL/api/" --key "$KEY_B" --tls-fingerprint "$PIN" --data "$B" 2>/dev/null
expect_eq "a peer needs a known organisation" "$?" 1
cm peer add z --org node-a --url "$A_URL/api" --key "$KEY_B" --tls-fingerprint nonsense --data "$B" 2>/dev/null
expect_eq "a peer needs a pin and a URL ending in /" "$?" 2

# one round: GREEN and AMBER arrive (B's organisation is in the audience); RED never leaves A
out=$(cm sync --once --data "$B")
expect_eq "sync exit" "$?" 0
expect_eq "round: pages, received, stored, refused (2 indicators, A's 2 declarations)" "$out" "a	1	4	4	0"
ids() { cm export --data "$B" --collection from-a 2>/dev/null | jq -r '[.objects[] | select(.type == "indicator") | .id | .[-2:]] | sort | join(" ")'; }
expect_eq "B holds GREEN and AMBER, not RED" "$(ids)" "01 02"
A_NID=$(sqlite3 "$A/certmesh.db" "select value from meta where key = 'node_id'")
A_EXT="extension-definition--$A_NID"
expect_eq "A's extension-definition came along, by A's identity, TLP:CLEAR" \
    "$(cm export --data "$B" --collection from-a 2>/dev/null | jq -r --arg e "$A_EXT" '.objects[] | select(.id == $e) | [.created_by_ref, .extension_types[0], .object_marking_refs[0]] | join(" ")')" \
    "identity--$A_NID property-extension $TLP_CLEAR"
expect_eq "what A originates arrives signed by A's key" \
    "$(cm export --data "$B" --collection from-a 2>/dev/null | jq -r --arg e "$A_EXT" '[.objects[].extensions[$e].signed_by] | unique | join(" ")')" "$A_SIGN"
expect_eq "the signature is over the object without it (Ed25519, RFC 8785)" \
    "$(cm export --data "$B" --collection from-a 2>/dev/null | jq -r --arg e "$A_EXT" '.objects[0].extensions[$e].extension_type')" "property-extension"
expect_eq "attributed to A's organisation on B" \
    "$(sqlite3 "$B/certmesh.db" "select count(*) from objects o join orgs g on g.id = o.org_id where g.name = 'node-a'")" 4

# the cursor: nothing again, then only what is new, then a new version beside the old one
expect_eq "second round brings nothing" "$(cm sync --once --data "$B")" "a	1	0	0	0"
bundle "$(indicator 4 "$TLP_GREEN")" "$(indicator 1 "$TLP_GREEN" 2026-06-01T00:00:00.000Z)" >"$TMP/a2.json"
cm import --data "$A" --collection shared --as cert-a "$TMP/a2.json" 2>/dev/null
expect_eq "A stored them signed (its own export shows the signature)" \
    "$(cm export --data "$A" --collection shared 2>/dev/null | jq -r --arg e "$A_EXT" '[.objects[] | select(.type == "indicator") | .extensions[$e].signed_by] | unique | join(" ")')" "$A_SIGN"
# a version stored before the node signed (here: its signature stripped) is signed as it leaves
sqlite3 "$A/certmesh.db" "update objects set json = json_remove(json, '\$.extensions') where stix_id = '$(oid indicator 4)'"
expect_eq "third round brings the new objects only" "$(cm sync --once --data "$B")" "a	1	2	2	0"
expect_eq "an unsigned stored version leaves signed" \
    "$(cm export --data "$B" --collection from-a 2>/dev/null | jq -r --arg e "$A_EXT" --arg i "$(oid indicator 4)" '.objects[] | select(.id == $i) | .extensions[$e].signed_by')" "$A_SIGN"
expect_eq "B holds the new object" "$(ids)" "01 02 04"
expect_eq "both versions of the changed object" \
    "$(cm export --data "$B" --collection from-a --all-versions 2>/dev/null | jq '[.objects[] | select(.id | endswith("01"))] | length')" 2
expect_eq "peer status after success" "$(cm peer status --data "$B" | cut -f1,3,4)" "a	0	-"

# paging: more than a page arrives through more/next
: >"$TMP/many.list"
for n in $(seq 100 1150); do indicator "$n" "$TLP_GREEN" >>"$TMP/many.list"; echo >>"$TMP/many.list"; done
printf '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000002","objects":[%s]}' "$(paste -sd, "$TMP/many.list")" >"$TMP/many.json"
cm import --data "$A" --collection shared --as cert-a "$TMP/many.json" 2>"$TMP/imp.err" || cat "$TMP/imp.err" | head -5
expect_eq "a round pages through 1,051 new objects" "$(cm sync --once --data "$B")" "a	2	1051	1051	0"

# a wrong pin: nothing is sent, the peer stops with a clear message, others go on
cm peer add wrong --org node-a --url "$A_URL/api/" --key "$KEY_B" \
    --tls-fingerprint "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" --pull "$SHARED=from-a" --data "$B" 2>/dev/null
out=$(cm sync --once --data "$B" 2>"$TMP/err")
expect_eq "a wrong pin fails the round" "$?" 1
expect_contains "and says why" "$(cat "$TMP/err")" "does not match the pinned"
expect_eq "the other peer still synced" "$out" "a	1	0	0	0"
expect_eq "status counts the failure" "$(cm peer status --data "$B" | grep '^wrong' | cut -f3)" 1
cm peer remove wrong --data "$B"
expect_eq "peer removed" "$(cm peer list --data "$B" | cut -f1)" "a"
cm peer remove wrong --data "$B" 2>/dev/null
expect_eq "removing twice fails" "$?" 1
expect_eq "audit chain intact" "$(cm audit verify --data "$B" >/dev/null 2>&1; echo $?)" 0

# a second TAXII 2.1 server (tests/fixtures/taxii_plain.c); see below
"$GEN" --count 10 --tlp green --plain --seed 3 >"$TMP/plain.json"
plain_server() { # [args]: starts the fixture, sets XPORT; it stops when its stdin closes
    exec {XIN}> >("$TAXII_PLAIN" "$TMP/plain.json" "$@" >"$TMP/plain.port" 2>&1)
    for _ in $(seq 100); do grep -q '^port' "$TMP/plain.port" && break; sleep 0.05; done
    XPORT=$(sed -n 's/^port //p' "$TMP/plain.port")
}

# serve runs the rounds itself: B, with A as a peer every second, a peer that is down and
# one that is up but never answers, has a new object of A within seconds; the dead peer
# backs off, and neither holds A up (each peer's round runs on its own thread)
cm peer add down --org node-a --url "http://127.0.0.1:1/api/" --key "$KEY_B" --tls-fingerprint "$PIN" \
    --pull "$SHARED=from-a" --interval 1 --data "$B" 2>/dev/null
plain_server --hang
SILENT_IN=$XIN
cm peer add silent --org node-a --url "http://127.0.0.1:$XPORT/api/" --key any:thing --tls-fingerprint "$PIN" \
    --pull "anything=from-a" --interval 1 --data "$B" 2>/dev/null
sqlite3 "$B/certmesh.db" "update peers set interval = 1 where name = 'a'"
start_node "$B" || exit 1
B_PID=$PID
bundle "$(indicator 2000 "$TLP_GREEN")" >"$TMP/a3.json"
cm import --data "$A" --collection shared --as cert-a "$TMP/a3.json" 2>/dev/null
has_new() { cm export --data "$B" --collection from-a 2>/dev/null | grep -c "$(oid indicator 2000)"; }
# (no sync --once runs after this import: only serve's own loop can bring it)
for _ in $(seq 100); do
    [ "$(has_new)" -gt 0 ] && [ "$(cm peer status --data "$B" | grep -c '^down.*[1-9]')" -gt 0 ] && break
    sleep 0.1
done
expect_eq "serve pulled the new object" "$(has_new)" 1
expect_contains "the dead peer is failing" "$(cm peer status --data "$B" | grep '^down')" "Couldn't connect"
expect_eq "A keeps succeeding" "$(cm peer status --data "$B" | grep '^a' | cut -f3)" 0
expect_eq "the silent peer is still in its first round" "$(cm peer status --data "$B" | grep '^silent' | cut -f2,3)" "never	0"
cm peer remove silent --data "$B"
# a peer backed off for an hour, then fixed with `peer set`: serve runs it at once
sqlite3 "$B/certmesh.db" "update peers set failures = 20 where name = 'down'"
for _ in $(seq 100); do
    [ "$(cm peer status --data "$B" | grep '^down' | cut -f3)" -ge 21 ] && break
    sleep 0.1
done
cm peer set down --url "$A_URL/api/" --key "$KEY_B" --tls-fingerprint "$PIN" --data "$B" 2>/dev/null
for _ in $(seq 100); do
    [ "$(cm peer status --data "$B" | grep '^down' | cut -f2)" != never ] && break
    sleep 0.1
done
expect_eq "a changed peer is not left to its backoff" "$(cm peer status --data "$B" | grep '^down' | cut -f3,4)" "0	-"

# ---- kill -9 in the middle of a large pull: the next round ends with exactly A's objects
"$GEN" --count 6000 --tlp green --plain --seed 11 >"$TMP/big.json"
BIG=$(cm collection add --title Big --alias big --audience cert-a,node-b --write cert-a --data "$A")
cm import --data "$A" --collection big --as cert-a "$TMP/big.json" 2>/dev/null
new_node d || exit 1
D=$DATA
cm org add node-a --data "$D" >/dev/null
cm collection add --title Big --alias big --audience node-a --write node-a --data "$D" >/dev/null
cm peer add a --org node-a --url "$A_URL/api/" --key "$KEY_B" --tls-fingerprint "$PIN" \
    --pull "$BIG=big" --data "$D" 2>/dev/null
for attempt in 1 2 3; do
    cm sync --once --data "$D" >/dev/null 2>&1 &
    victim=$!
    sleep "0.$((attempt * 3))"
    kill -9 "$victim" 2>/dev/null
    wait "$victim" 2>/dev/null
done
cm sync --once --data "$D" >/dev/null 2>&1
got=$(cm export --data "$D" --collection big 2>/dev/null | jq -r --arg n "$A_NID" '.objects[].id | select(endswith($n) | not)' | sort)
want=$(jq -r '.objects[].id' "$TMP/big.json" | sort)
expect_eq "after kill -9 three times: every object, once" "$(printf '%s\n' "$got" | uniq | wc -l) $(printf '%s\n' "$got" | wc -l)" "6000 6000"
expect_eq "exactly A's objects" "$(cmp <(printf '%s\n' "$got") <(printf '%s\n' "$want") && echo same)" same
expect_eq "one entry per object at D (no duplicate versions)" \
    "$(sqlite3 "$D/certmesh.db" "select count(*) from entries where stix_id not like '%$A_NID'")" 6000

# ---- signatures that do not hold are refused, logged and audited
BAD_SIG=$(head -c 64 /dev/zero | base64 -w0)
printf '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000003","objects":[%s]}' \
    "$(indicator 3000 "$TLP_GREEN" | sed "s|}\$|,\"extensions\":{\"extension-definition--11111111-1111-4111-8111-111111111111\":{\"extension_type\":\"property-extension\",\"signature\":\"$BAD_SIG\",\"signed_by\":\"$A_SIGN\"}}}|")" >"$TMP/forged.json"
cm import --data "$A" --collection big --as cert-a "$TMP/forged.json" 2>/dev/null
sqlite3 "$D/certmesh.db" "update peers set signing_key = '$A_SIGN' where name = 'a'"
out=$(cm sync --once --data "$D" 2>"$TMP/err")
expect_eq "a forged signature: refused, nothing stored" "$out" "a	1	1	0	1"
expect_contains "and said" "$(cat "$TMP/err")" "the signature does not verify"
expect_eq "and audited" "$(sqlite3 "$D/certmesh.db" "select count(*) from audit where action = 'sync.reject'")" 1
# a peer whose objects are signed by a key this node does not know
B_SIGN=$(cm node info --data "$B" --json | jq -r .signing_key)
sqlite3 "$D/certmesh.db" "update peers set signing_key = '$B_SIGN' where name = 'a'"
bundle "$(indicator 3001 "$TLP_GREEN")" >"$TMP/a4.json"
cm import --data "$A" --collection big --as cert-a "$TMP/a4.json" 2>/dev/null
out=$(cm sync --once --data "$D" 2>"$TMP/err")
expect_contains "signed with another key than the peer's: refused" "$(cat "$TMP/err")" "signed by a key this node does not know"
expect_eq "nothing of it stored" "$(cm export --data "$D" --collection big 2>/dev/null | grep -c "$(oid indicator 3001)")" 0

# ---- across the border: what B learned from A goes on to C only when GREEN or CLEAR and
# C is a transitive peer of B; nothing goes back to A
KEY_C=$(cm key new --org node-c --role sync --data "$B")
KEY_A_AT_B=$(cm key new --org node-a --role sync --data "$B")
B_URL=$URL
new_node c || exit 1
C=$DATA
cm org add node-b --data "$C" >/dev/null
cm collection add --title "From B" --alias from-b --audience node-b --write node-b --data "$C" >/dev/null
cm peer add b --org node-b --url "$B_URL/api/" --key "$KEY_C" --tls-fingerprint "$PIN" \
    --pull "$FROM_A=from-b" --data "$C" 2>/dev/null
cm sync --once --data "$C" >/dev/null 2>&1
expect_eq "C is not a transitive peer of B: nothing of A's reaches it" \
    "$(cm export --data "$C" --collection from-b 2>/dev/null | jq '.objects | length')" 0
cm peer add c --org node-c --url "http://127.0.0.1:1/api/" --key x:y --tls-fingerprint "$PIN" --transitive --data "$B" 2>/dev/null
cm sync --once --data "$C" >/dev/null 2>&1
got=$(cm export --data "$C" --collection from-b 2>/dev/null | jq -r '[.objects[] | select(.type == "indicator") | .object_marking_refs[0]] | unique | join(" ")')
expect_eq "transitive: only GREEN crosses a second border" "$got" "$TLP_GREEN"
expect_eq "exactly once at C: one entry per object version" \
    "$(sqlite3 "$C/certmesh.db" "select count(*) = count(distinct stix_id || version) from entries")" 1
expect_eq "transitive: all of A's GREEN objects" \
    "$(cm export --data "$C" --collection from-b 2>/dev/null | jq '[.objects[] | select(.type == "indicator")] | length')" 1054
expect_eq "and A's CLEAR declarations, still signed by A" \
    "$(cm export --data "$C" --collection from-b 2>/dev/null | jq -r --arg e "$A_EXT" '[.objects[] | select(.id | endswith($e[22:])) | .extensions[$e].signed_by] | join(" ")')" "$A_SIGN $A_SIGN"
expect_eq "the AMBER object stayed at B" \
    "$(cm export --data "$C" --collection from-b 2>/dev/null | grep -c "$(oid indicator 2)")" 0
# A pulling B's collection gets nothing back of its own
cm collection add --title Back --alias back --audience node-b --write node-b --data "$A" >/dev/null
cm peer add b --org node-b --url "$B_URL/api/" --key "$KEY_A_AT_B" --tls-fingerprint "$PIN" \
    --pull "$FROM_A=back" --data "$A" 2>/dev/null
expect_eq "never sent back to the node it came from" "$(cm sync --once --data "$A" | cut -f3)" 0

# ---- another TAXII 2.1 server: pages of 3 whatever the limit, more without next; the pull
# goes on from X-TAXII-Date-Added-Last. Without that header it stops and says why.
plain_server --page 3
new_node x || exit 1
X=$DATA
cm org add other --data "$X" >/dev/null
cm collection add --title Other --alias other --audience other --write other --data "$X" >/dev/null
cm peer add plain --org other --url "http://127.0.0.1:$XPORT/api/" --key any:thing \
    --tls-fingerprint "$PIN" --pull "anything=other" --data "$X" 2>/dev/null
expect_eq "another server: 10 objects in 4 pages of at most 3, more without next" \
    "$(cm sync --once --data "$X" 2>&1)" "plain	4	10	10	0"
expect_eq "all of them, once" "$(cm export --data "$X" --collection other 2>/dev/null | jq -r '.objects[].id' | sort -u | wc -l)" 10
expect_eq "the cursor is the server's last date_added" \
    "$(sqlite3 "$X/certmesh.db" "select cursor from peer_links")" "2026-01-01T00:00:09.000000Z"
expect_eq "the next round: nothing" "$(cm sync --once --data "$X" 2>&1)" "plain	1	0	0	0"
exec {XIN}>&-
sqlite3 "$X/certmesh.db" "update peer_links set cursor = ''"
plain_server --page 3 --no-header
sqlite3 "$X/certmesh.db" "update peers set url = 'http://127.0.0.1:$XPORT/api/'"
cm sync --once --data "$X" >/dev/null 2>"$TMP/err"
expect_eq "more with neither next nor the header: the round fails" "$?" 1
expect_contains "and says why" "$(cat "$TMP/err")" "says more but gives neither next nor X-TAXII-Date-Added-Last"
exec {XIN}>&-

# ---- a new version at A replaces the old one at C, through B; match[version]=all shows both
bundle "$(indicator 4 "$TLP_GREEN" 2026-09-01T00:00:00.000Z)" >"$TMP/a5.json"
cm import --data "$A" --collection shared --as cert-a "$TMP/a5.json" 2>/dev/null
cm sync --once a --data "$B" >/dev/null 2>&1
cm sync --once --data "$C" >/dev/null 2>&1
KEY_C_READ=$(cm key new --org node-b --role reader --data "$C")
FROM_B=$(sqlite3 "$C/certmesh.db" "select id from collections where alias = 'from-b'")
start_node "$C" || exit 1
req GET "/api/collections/$FROM_B/objects/?match[id]=$(oid indicator 4)" "$KEY_C_READ" "" -g
expect_eq "C serves A's newest version" "$(jqb '[.objects[].modified] | join(" ")')" "2026-09-01T00:00:00.000Z"
req GET "/api/collections/$FROM_B/objects/?match[id]=$(oid indicator 4)&match[version]=all" "$KEY_C_READ" "" -g
expect_eq "match[version]=all shows both" "$(jqb '[.objects[].modified] | join(" ")')" \
    "2026-01-01T00:00:00.000Z 2026-09-01T00:00:00.000Z"

# ---- STIX versioning (2.1 section 3.6) across nodes. C holds A's object through B (it
# was first submitted there by B's organisation); A's next version reaches C straight
# from A, signed with the key that signed the version C holds: the creator's, so taken.
cm org add node-c --data "$A" >/dev/null
KEY_C_AT_A=$(cm key new --org node-c --role sync --data "$A")
MESH=$(cm collection add --title Mesh --alias mesh --audience cert-a,node-c --write cert-a --data "$A")
bundle "$(indicator 4 "$TLP_GREEN" 2026-10-01T00:00:00.000Z)" >"$TMP/a6.json"
cm import --data "$A" --collection mesh --as cert-a "$TMP/a6.json" 2>/dev/null
cm org add node-a --data "$C" >/dev/null
cm collection add --title "From A" --alias from-a --audience node-a,node-b --write node-a --data "$C" >/dev/null
cm peer add a --org node-a --url "$A_URL/api/" --key "$KEY_C_AT_A" --tls-fingerprint "$PIN" \
    --signing-key "$A_SIGN" --pull "$MESH=from-a" --data "$C" 2>/dev/null
expect_eq "the creator's new version, by another way: taken (with A's declarations)" \
    "$(cm sync --once a --data "$C" 2>&1)" "a	1	3	3	0"
# ... but an organisation at B may not make a new version of A's object
MINE=$(cm collection add --title Mine --alias mine --audience cert-b --write cert-b --data "$B")
KEY_CERT_B=$(cm key new --org cert-b --role analyst --data "$B")
printf '{"objects":[%s]}' "$(indicator 4 "$TLP_GREEN" 2026-11-01T00:00:00.000Z)" >"$TMP/b1.json"
C_URL=$URL
URL=$B_URL
req POST "/api/collections/$MINE/objects/" "$KEY_CERT_B" "$TMP/b1.json"
URL=$C_URL
expect_contains "a new version of another's object is refused" "$(jqb '.failures[0].message')" "only the object's creator may create a new version"
# ... and it is the signature that lets A's new version in: with the first version C
# holds unsigned (as if stored before A signed), the creator cannot be told apart
sqlite3 "$C/certmesh.db" "update objects set json = json_remove(json, '\$.extensions') where oid = (select min(oid) from objects where stix_id = '$(oid indicator 4)')"
bundle "$(indicator 4 "$TLP_GREEN" 2026-12-01T00:00:00.000Z)" >"$TMP/a7.json"
cm import --data "$A" --collection mesh --as cert-a "$TMP/a7.json" 2>/dev/null
expect_eq "without it, refused" "$(cm sync --once a --data "$C" 2>/dev/null)" "a	1	1	0	1"

# ---- push: B sends its outbox to E, which cannot reach B. E knows B as a peer that only
# pushes: what arrives is attributed to B's organisation and its signatures checked.
t0=$(date +%s%N)
stop_node "$B_PID" # from here on only `sync --once` runs rounds at B
expect_eq "stopping cancels the silent peer's round at once (under 5 s)" \
    "$(( ($(date +%s%N) - t0) / 1000000000 < 5 ))" 1
exec {SILENT_IN}>&-
new_node e || exit 1
E=$DATA
cm org add node-b --data "$E" >/dev/null
KEY_B_AT_E=$(cm key new --org node-b --role sync --data "$E")
INBOX=$(cm collection add --title Inbox --alias inbox --audience node-b --write node-b --data "$E")
OPEN=$(cm collection add --title Open --alias open --audience community --write node-b --data "$E")
cm peer add b --org node-b --signing-key "$B_SIGN" --data "$E" 2>/dev/null
expect_eq "a peer that only pushes needs no URL" "$?" 0
expect_eq "and its status says so" "$(cm peer status --data "$E" | cut -f1,2,5)" "b	receives only	0"
TLS=1 start_node "$E" || exit 1
E_URL=$URL
E_INFO=$(cm node info --data "$E" --json)
cm org add node-e --data "$B" >/dev/null
cm collection add --title Outbox --alias outbox --audience cert-b,node-e --write cert-b --data "$B" >/dev/null
cm collection add --title Private --alias private --audience cert-b --write cert-b --data "$B" >/dev/null
bundle "$(indicator 5001 "$TLP_GREEN")" "$(indicator 5002 "$TLP_AMBER")" "$(indicator 5003 "$TLP_RED")" \
    "$(indicator 5004 "$TLP_CLEAR")" >"$TMP/out1.json"
cm import --data "$B" --collection outbox --as cert-b "$TMP/out1.json" 2>/dev/null
cm peer add e --org node-e --url "$E_URL/api/" --key "$KEY_B_AT_E" \
    --tls-fingerprint "$(printf '%s' "$E_INFO" | jq -r .tls_fingerprint)" \
    --signing-key "$(printf '%s' "$E_INFO" | jq -r .signing_key)" \
    --push "outbox=$INBOX" --push "outbox=$OPEN" --data "$B" 2>/dev/null
expect_eq "--push repeats" "$(cm peer list --data "$B" | grep '^e	' | cut -f4- | tr '\t' '\n' | sort)" \
    "$(printf 'push outbox=%s\n' "$INBOX" "$OPEN" | sort)"
out=$(cm sync --once e --data "$B" 2>"$TMP/err")
expect_eq "push exit" "$?" 0
# inbox: GREEN, AMBER, CLEAR and B's 2 declarations; open: the same, AMBER refused by E's TLP rule
expect_eq "push: sent, taken, refused for TLP, to retry, given up" "$(printf '%s' "$out" | grep push)" "e	push	10	9	1	0	0"
eids() { cm export --data "$E" --collection "$1" 2>/dev/null | jq -r '[.objects[] | select(.type == "indicator") | .id | .[-4:]] | sort | join(" ")'; }
expect_eq "E's inbox: GREEN, AMBER, CLEAR; RED never leaves B" "$(eids inbox)" "5001 5002 5004"
expect_eq "E's open collection: AMBER refused there" "$(eids open)" "5001 5004"
expect_contains "the refusal is reported at B" "$(cat "$TMP/err")" "TLP rule"
expect_eq "and audited" "$(sqlite3 "$B/certmesh.db" "select count(*) from audit where action = 'sync.push_refused'")" 1
B_EXT="extension-definition--$(sqlite3 "$B/certmesh.db" "select value from meta where key = 'node_id'")"
expect_eq "pushed objects arrive signed by B" \
    "$(cm export --data "$E" --collection inbox 2>/dev/null | jq -r --arg e "$B_EXT" '[.objects[].extensions[$e].signed_by] | unique | join(" ")')" "$B_SIGN"
expect_eq "attributed to B's organisation at E" \
    "$(sqlite3 "$E/certmesh.db" "select count(distinct o.stix_id) from objects o join orgs g on g.id = o.org_id where g.name = 'node-b'")" 5
expect_eq "the next round sends nothing (the TLP refusal is final)" "$(cm sync --once e --data "$B" | grep push)" "e	push	0	0	0	0	0"
# a collection the peer's organisation is not in the audience of: nothing of it leaves
cm peer add e2 --org node-e --url "$E_URL/api/" --key "$KEY_B_AT_E" \
    --tls-fingerprint "$(printf '%s' "$E_INFO" | jq -r .tls_fingerprint)" --push "private=$INBOX" --data "$B" 2>/dev/null
cm sync --once e2 --data "$B" >/dev/null 2>"$TMP/err"
expect_eq "pushing a collection not shared with the peer fails" "$?" 1
expect_contains "and says why" "$(cat "$TMP/err")" "not shared with the peer's organisation"
cm peer remove e2 --data "$B"

# E refuses what B sends for a reason other than TLP (here: E holds a wrong key for B):
# queued and sent again next round; taken once E is fixed
sqlite3 "$E/certmesh.db" "update peers set signing_key = '$A_SIGN' where name = 'b'"
bundle "$(indicator 5005 "$TLP_GREEN")" >"$TMP/out2.json"
cm import --data "$B" --collection outbox --as cert-b "$TMP/out2.json" 2>/dev/null
expect_eq "refused at E: queued for retry" "$(cm sync --once e --data "$B" 2>/dev/null | grep push)" "e	push	2	0	0	2	0"
expect_eq "B's peer status counts the queue" "$(cm peer status --data "$B" | grep '^e' | cut -f5)" 2
expect_eq "E audited the refused signature" \
    "$(sqlite3 "$E/certmesh.db" "select count(*) from audit where action = 'sync.reject'")" 2
sqlite3 "$E/certmesh.db" "update peers set signing_key = '$B_SIGN' where name = 'b'"
expect_eq "the retry is taken" "$(cm sync --once e --data "$B" 2>/dev/null | grep push)" "e	push	2	2	0	0	0"
expect_eq "queue empty" "$(cm peer status --data "$B" | grep '^e' | cut -f5)" 0
expect_eq "E holds it" "$(eids inbox)" "5001 5002 5004 5005"
# ... and after SYNC_PUSH_ATTEMPTS (5) sends it is reported and dropped
sqlite3 "$E/certmesh.db" "update peers set signing_key = '$A_SIGN' where name = 'b'"
bundle "$(indicator 5006 "$TLP_GREEN")" >"$TMP/out3.json"
cm import --data "$B" --collection outbox --as cert-b "$TMP/out3.json" 2>/dev/null
for _ in 1 2 3 4; do cm sync --once e --data "$B" >/dev/null 2>&1; done
expect_eq "fifth send: given up" "$(cm sync --once e --data "$B" 2>"$TMP/err" | grep push)" "e	push	2	0	0	0	2"
expect_contains "reported" "$(cat "$TMP/err")" "gave up on $(oid indicator 5006)"
expect_eq "and audited" "$(sqlite3 "$B/certmesh.db" "select count(*) from audit where action = 'sync.push_failed'")" 2
expect_eq "queue empty again" "$(cm peer status --data "$B" | grep '^e' | cut -f5)" 0
sqlite3 "$E/certmesh.db" "update peers set signing_key = '$B_SIGN' where name = 'b'"
# a crash between a POST and its commit sends the page again: E takes it as already held
before=$(sqlite3 "$E/certmesh.db" "select count(*) from entries")
sqlite3 "$B/certmesh.db" "update peer_links set cursor = '' where push = 1"
out=$(cm sync --once e --data "$B" 2>/dev/null | grep push)
expect_eq "a repeated page: everything E may have, taken" "$(printf '%s' "$out" | cut -f1-3,5-7)" "e	push	14	1	0	0"
expect_eq "no duplicates at E (5006 arrives now)" "$(( $(sqlite3 "$E/certmesh.db" "select count(*) from entries") - before ))" 2
# a link dropped in place: nothing more goes on it, its queue goes with it, the rest stays
sqlite3 "$B/certmesh.db" "insert into push_retry select peer, local, remote, 'indicator--00000000-0000-4000-8000-000000009999', 1, 1, 'x' from peer_links where push = 1 and remote = '$OPEN'"
cm peer set e --drop-push "outbox=$OPEN" --data "$B" 2>/dev/null
expect_eq "peer set --drop-push" "$?" 0
expect_eq "the link is gone, the other kept" "$(cm peer list --data "$B" | grep '^e	' | cut -f4-)" "push outbox=$INBOX"
expect_eq "with its queued retries" "$(cm peer status --data "$B" | grep '^e' | cut -f5)" 0
expect_contains "and the audit says which" \
    "$(sqlite3 "$B/certmesh.db" "select detail from audit where action = 'peer.set' order by seq desc limit 1")" "push-=outbox=$OPEN"
bundle "$(indicator 5007 "$TLP_GREEN")" >"$TMP/out4.json"
cm import --data "$B" --collection outbox --as cert-b "$TMP/out4.json" 2>/dev/null
expect_eq "only the kept link sends" "$(cm sync --once e --data "$B" 2>/dev/null | grep push)" "e	push	1	1	0	0	0"
expect_eq "E's open collection got nothing new" "$(eids open)" "5001 5004 5005 5006"
# what a peer sends is stored as it came, byte for byte, not serialised again
printf '{"objects": [ %s ]}' "$(indicator 5008 "$TLP_GREEN" | sed 's/,"/, "/g')" >"$TMP/spaced.json"
SAVED_URL=$URL
URL=$E_URL
req POST "/api/collections/$INBOX/objects/" "$KEY_B_AT_E" "$TMP/spaced.json" -k
URL=$SAVED_URL
expect_eq "a peer's POST is taken" "$(jqb '.success_count')" 1
expect_eq "and stored as it came" \
    "$(sqlite3 "$E/certmesh.db" "select json from objects where stix_id = '$(oid indicator 5008)'")" \
    "$(indicator 5008 "$TLP_GREEN" | sed 's/,"/, "/g')"
cm peer set e --drop-push "outbox=$OPEN" --data "$B" 2>"$TMP/err"
expect_eq "dropping a link that is not there fails" "$?" 1
expect_contains "and says why" "$(cat "$TMP/err")" "peer e has no push link outbox=$OPEN"
# ... and a push already running on a link that is dropped stops before its next page:
# the peer (the fixture) holds every POST until told, so the drop lands while three
# envelopes of 1,000 are in flight; without the check all five would go
"$GEN" --count 5000 --tlp green --plain --seed 11 >"$TMP/five.json"
cm collection add --title Big --alias big --audience cert-b,node-e --write cert-b --data "$B" >/dev/null
cm import --data "$B" --collection big --as cert-b "$TMP/five.json" 2>/dev/null
plain_server --hold-posts
cm peer add hold --org node-e --url "http://127.0.0.1:$XPORT/api/" --key any:thing \
    --tls-fingerprint "$PIN" --push "big=anything" --data "$B" 2>/dev/null
cm sync --once hold --data "$B" >"$TMP/hold.out" 2>&1 &
HOLD_SYNC=$!
for _ in $(seq 600); do [ "$(grep -c '^post' "$TMP/plain.port")" -ge 3 ] && break; sleep 0.05; done
expect_eq "three envelopes in flight" "$(grep -c '^post' "$TMP/plain.port")" 3
cm peer set hold --drop-push "big=anything" --data "$B" 2>/dev/null
printf 'xxxxxxxx' >&"$XIN" # answer them (and any more that came)
wait "$HOLD_SYNC"
expect_eq "the round ends well" "$?" 0
expect_eq "and nothing went after the drop" "$(grep -c '^post' "$TMP/plain.port")" 3
expect_eq "what was in flight settled: sent and taken" "$(grep push "$TMP/hold.out" | cut -f3,4)" "3000	3000"
exec {XIN}>&-
cm peer remove hold --data "$B"

# ---- a peer that takes small bodies: no envelope passes its max_content_length (read from
# its API root), and a version that alone is larger is never sent, but kept to report
new_node g || exit 1
G=$DATA
cm org add node-b --data "$G" >/dev/null
KEY_B_AT_G=$(cm key new --org node-b --role sync --data "$G")
SMALL=$(cm collection add --title Small --alias small --audience node-b --write node-b --data "$G")
cm peer add b --org node-b --signing-key "$B_SIGN" --data "$G" 2>/dev/null
TLS=1 start_node "$G" --max-content-length 2048 || exit 1
G_INFO=$(cm node info --data "$G" --json)
cm org add node-g --data "$B" >/dev/null
cm collection add --title Outbox2 --alias outbox2 --audience cert-b,node-g --write cert-b --data "$B" >/dev/null
big=$(indicator 6100 "$TLP_GREEN" | sed "s|}\$|,\"description\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}|")
bundle "$(indicator 6001 "$TLP_GREEN")" "$(indicator 6002 "$TLP_GREEN")" "$(indicator 6003 "$TLP_GREEN")" \
    "$(indicator 6004 "$TLP_GREEN")" "$(indicator 6005 "$TLP_GREEN")" "$big" "$(indicator 6006 "$TLP_GREEN")" >"$TMP/out4.json"
cm import --data "$B" --collection outbox2 --as cert-b "$TMP/out4.json" 2>/dev/null
cm peer add g --org node-g --url "$URL/api/" --key "$KEY_B_AT_G" \
    --tls-fingerprint "$(printf '%s' "$G_INFO" | jq -r .tls_fingerprint)" --push "outbox2=$SMALL" --data "$B" 2>/dev/null
expect_eq "small bodies: every version that fits is taken, the large one kept to retry" \
    "$(cm sync --once g --data "$B" 2>/dev/null | grep push)" "g	push	9	8	0	1	0"
expect_eq "G holds the six that fit" "$(cm export --data "$G" --collection small 2>/dev/null | jq -r '[.objects[] | select(.type == "indicator") | .id | .[-4:]] | sort | join(" ")')" \
    "6001 6002 6003 6004 6005 6006"
expect_contains "B's queue says why" "$(sqlite3 "$B/certmesh.db" "select error from push_retry")" "larger than the peer takes (max_content_length 2048)"

# ---- A's certificate changes (a new key): B's sync with A stops and says why; E goes on
A_PORT=${A_URL##*:}
stop_node "$A_PID"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=a \
    -keyout "$A/tls/key.pem" -out "$A/tls/cert.pem" 2>/dev/null
LISTEN=127.0.0.1:$A_PORT TLS=1 start_node "$A" || exit 1
expect_eq "A is back at its URL" "$URL" "$A_URL"
out=$(cm sync --once --data "$B" 2>"$TMP/err")
expect_eq "the round fails for A" "$?" 1
expect_contains "saying the certificate changed" "$(cat "$TMP/err")" "peer a: its TLS public key does not match the pinned"
expect_eq "E still took its round" "$(printf '%s' "$out" | grep -c '^e	push	')" 1
expect_contains "B's status for A says why" "$(cm peer status --data "$B" | grep '^a	')" "certificate changed"
# the operator checks A's new pin out of band and sets it: links and cursors stay
NEW_PIN=$(cm node info --data "$A" --json | jq -r .tls_fingerprint)
cm peer set a --org node-b --tls-fingerprint "$NEW_PIN" --data "$B" 2>/dev/null
expect_eq "a peer's organisation does not change" "$?" 2
cm peer set a --tls-fingerprint "$NEW_PIN" --data "$B" 2>/dev/null
expect_eq "peer set" "$?" 0
expect_eq "A again, from where B was: nothing new" "$(cm sync --once a --data "$B" 2>/dev/null)" "a	1	0	0	0"
expect_eq "the changes are audited" "$(sqlite3 "$B/certmesh.db" "select count(*) from audit where action = 'peer.set' and detail like 'peer=a %'")" 1

finish
