# lib.sh — helpers for integration tests: each test starts real certmesh nodes on
# loopback and talks to them with curl. Sourced by test_*.sh; needs $CERTMESH and $GEN.
set -u

TMP=$(mktemp -d /tmp/certmesh-it.XXXXXX)
PIDS=""
FAILS=0
CHECKS=0
TAXII='application/taxii+json;version=2.1'

cleanup() {
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

cm() { "$CERTMESH" "$@"; }

fail() { echo "    FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { CHECKS=$((CHECKS + 1)); }

# expect_eq WHAT GOT WANT
expect_eq() {
    if [ "$2" = "$3" ]; then ok; else fail "$1: got '$2', want '$3'"; fi
}
# expect_contains WHAT HAYSTACK NEEDLE
expect_contains() {
    case "$2" in *"$3"*) ok ;; *) fail "$1: '$3' not in: $(printf %s "$2" | head -c 400)" ;; esac
}
expect_not_contains() {
    case "$2" in *"$3"*) fail "$1: '$3' unexpectedly in: $(printf %s "$2" | head -c 400)" ;; *) ok ;; esac
}

# new_node NAME: init a data dir $TMP/NAME; sets DATA
new_node() {
    DATA="$TMP/$1"
    cm init --data "$DATA" --name "$1" >"$TMP/$1.fp" 2>/dev/null || { fail "init $1"; return 1; }
    NODE_ID=$(sqlite3 "$DATA/certmesh.db" "select value from meta where key = 'node_id'")
}

# start_node DATA [extra serve args...]: starts on a free loopback port, sets URL and PID
start_node() {
    local data=$1
    shift
    local log="$data.log"
    local plain=--plain-http
    [ "${TLS:-0}" = 1 ] && plain="" # TLS=1 start_node …: HTTPS with the node's certificate
    # LISTEN=127.0.0.1:PORT start_node …: a fixed port (a restarted node keeps its URL)
    "$CERTMESH" serve --data "$data" --listen "${LISTEN:-127.0.0.1:0}" $plain "$@" 2>"$log" &
    PID=$!
    PIDS="$PIDS $PID"
    for _ in $(seq 1 100); do
        if grep -q 'serving TAXII' "$log" 2>/dev/null; then
            URL=$(sed -n 's/.*serving TAXII 2.1 at \(http[s]*:\/\/[^/]*\)\/taxii2\/.*/\1/p' "$log" | head -1)
            return 0
        fi
        if ! kill -0 "$PID" 2>/dev/null; then
            fail "server exited: $(cat "$log")"
            return 1
        fi
        sleep 0.05
    done
    fail "server did not start: $(cat "$log")"
    return 1
}

stop_node() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# req METHOD PATH [KEY] [BODY_FILE] [extra curl args...]: sets CODE and BODY
req() {
    local method=$1 path=$2 key=${3:-} body=${4:-}
    shift 4 2>/dev/null || shift $#
    local args=(-s -o "$TMP/body" -w '%{http_code}' -X "$method" -H "Accept: $TAXII" -D "$TMP/headers")
    [ -n "$key" ] && args+=(-u "$key")
    [ -n "$body" ] && args+=(-H "Content-Type: $TAXII" --data-binary "@$body")
    CODE=$(curl "${args[@]}" "$@" "$URL$path")
    BODY=$(cat "$TMP/body")
    HEADERS=$(cat "$TMP/headers")
}

# jqb FILTER: apply jq to the last BODY. A node places its identity and the
# extension-definition of its signatures beside what it signs (issue 5); `posted` leaves
# the last new_node's two out of a list of objects.
POSTED_DEF='def posted: [.[] | select(.id | test("^(identity|extension-definition)--" + $nid + "$") | not)];'
jqb() { printf '%s' "$BODY" | jq -r --arg nid "${NODE_ID:-}" "$POSTED_DEF $1"; }

# obj TYPE N [TLP_MARKING_ID] [MODIFIED]: a valid STIX object as one line
TLP_CLEAR=marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487
TLP_GREEN=marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb
TLP_AMBER=marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421
TLP_STRICT=marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003
TLP_RED=marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1
oid() { printf '%s--00000000-0000-4000-8000-%012d' "$1" "$2"; }
indicator() {
    local n=$1 tlp=${2:-} mod=${3:-2026-01-01T00:00:00.000Z}
    local marks=""
    [ -n "$tlp" ] && marks=",\"object_marking_refs\":[\"$tlp\"]"
    printf '{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"%s","pattern":"[ipv4-addr:value = '"'"'203.0.113.%d'"'"']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}' \
        "$(oid indicator "$n")" "$mod" "$((n % 250))" "$marks"
}
# envelope FILE OBJ...
envelope() {
    local f=$1
    shift
    local IFS=,
    printf '{"objects":[%s]}' "$*" >"$f"
}

finish() {
    # a sanitizer report from any server this test started is a failure
    if grep -lE 'runtime error:|AddressSanitizer|LeakSanitizer' "$TMP"/*.log >/dev/null 2>&1; then
        grep -hE -A20 'runtime error:|AddressSanitizer|LeakSanitizer' "$TMP"/*.log | head -60 >&2
        fail "sanitizer report in a server log"
    fi
    if [ "$FAILS" -gt 0 ]; then
        echo "  $FAILS of $((CHECKS + FAILS)) checks failed" >&2
        exit 1
    fi
    echo "  $CHECKS checks passed"
}

# A node with three organisations, keys and the three kinds of collection.
standard_node() {
    new_node node || return 1
    for o in cert-a cert-b cert-c; do cm org add "$o" --data "$DATA" >/dev/null; done
    KEY_A=$(cm key new --org cert-a --role analyst --data "$DATA")
    KEY_B=$(cm key new --org cert-b --role analyst --data "$DATA")
    KEY_C=$(cm key new --org cert-c --role analyst --data "$DATA")
    KEY_A_READER=$(cm key new --org cert-a --role reader --data "$DATA")
    KEY_A_SYNC=$(cm key new --org cert-a --role sync --data "$DATA")
    KEY_ADMIN=$(cm key new --org cert-c --role admin --data "$DATA")
    PUB=$(cm collection add --title Public --alias public --audience public --write cert-a --data "$DATA")
    COM=$(cm collection add --title Community --alias community --audience community --write cert-a,cert-b --data "$DATA")
    LIST=$(cm collection add --title "Task force" --alias taskforce --audience cert-a,cert-b --write cert-a,cert-b --data "$DATA")
    LIST2=$(cm collection add --title "Second" --alias second --audience cert-a,cert-b --write cert-a,cert-b --data "$DATA")
}
