#!/usr/bin/env bash
# The server's life: HTTPS with the node certificate, SIGTERM drains and exits 0, and an
# acknowledged POST survives kill -9.
. "$(dirname "$0")/lib.sh"
standard_node || exit 1

# HTTPS with the self-signed node certificate, verified against that certificate
"$CERTMESH" serve --data "$DATA" --listen 127.0.0.1:0 2>"$TMP/tls.log" &
TPID=$!
PIDS="$PIDS $TPID"
for _ in $(seq 1 100); do grep -q serving "$TMP/tls.log" && break; sleep 0.05; done
TURL=$(sed -n 's/.*at \(https:\/\/[^/]*\)\/taxii2\/.*/\1/p' "$TMP/tls.log")
expect_contains "https url" "$TURL" "https://127.0.0.1:"
out=$(curl -s --cacert "$DATA/tls/cert.pem" -H "Accept: $TAXII" "$TURL/taxii2/")
expect_contains "TLS discovery" "$out" '"api_roots":["/api/"]'
out=$(curl -s -o /dev/null -w '%{http_code}' "$TURL/taxii2/")
expect_eq "untrusted cert refused by client" "$out" 000
out=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$DATA/tls/cert.pem" "http://${TURL#https://}/taxii2/")
expect_eq "plain HTTP to TLS port" "$out" 000
kill -TERM "$TPID"
wait "$TPID"
expect_eq "SIGTERM exit status" "$?" 0
expect_contains "drain logged" "$(cat "$TMP/tls.log")" "draining in-flight requests"

# kill -9 right after a 202: the objects are there after restart
start_node "$DATA" || exit 1
objs=()
for i in $(seq 1 200); do objs+=("$(indicator "$i" "$TLP_AMBER")"); done
envelope "$TMP/env" "${objs[@]}"
req POST "/api/collections/$LIST/objects/" "$KEY_A" "$TMP/env"
expect_eq "post acknowledged" "$CODE,$(jqb .success_count)" "202,200"
STATUS=$(jqb .id)
{ kill -9 "$PID" && wait "$PID"; } 2>/dev/null
start_node "$DATA" || exit 1
req GET "/api/collections/$LIST/manifest/?limit=1000" "$KEY_B" ""
expect_eq "objects survive kill -9" "$(jqb '.objects|posted|length')" 200
req GET "/api/status/$STATUS/" "$KEY_A" ""
expect_eq "status survives kill -9" "$(jqb .success_count)" 200

# SIGTERM during a large in-flight POST: the POST completes, then the server exits
objs=()
for i in $(seq 1000 3999); do objs+=("$(indicator "$i" "$TLP_GREEN")"); done
envelope "$TMP/big" "${objs[@]}"
curl -s -o "$TMP/bigout" -w '%{http_code}' -u "$KEY_A" -H "Accept: $TAXII" -H "Content-Type: $TAXII" \
    --data-binary "@$TMP/big" "$URL/api/collections/$COM/objects/" >"$TMP/bigcode" &
CPID=$!
sleep 0.05
kill -TERM "$PID"
wait "$CPID"
wait "$PID"
expect_eq "server exits 0 after drain" "$?" 0
code=$(cat "$TMP/bigcode")
if [ "$code" = 202 ]; then
    expect_eq "in-flight POST completed" "$(jq .success_count "$TMP/bigout")" 3000
    start_node "$DATA" || exit 1
    req GET "/api/collections/$COM/manifest/?limit=1000" "$KEY_B" ""
    expect_eq "drained POST stored" "$(jqb '.objects|length'),$(jqb .more)" "1000,true"
else
    # the signal won the race and the request never started: nothing may be half-written
    start_node "$DATA" || exit 1
    req GET "/api/collections/$COM/manifest/" "$KEY_B" ""
    expect_eq "refused POST wrote nothing" "$BODY" '{"more":false}'
fi
finish
