#!/usr/bin/env bash
# test_hunt.sh — `certmesh hunt` end to end: the exactness corpus, every log format with
# its fields and times, compressed input, stdin, directories, thread counts, and the
# generator's planted hits found with recall and precision both exactly 100%.
. "$(dirname "$0")/lib.sh"
DATA_DIR="$(cd "$(dirname "$0")/../data/hunt" && pwd)"
: "${GEN_LOGS:?set GEN_LOGS to the gen_logs binary}"

# every hit as "line indicator value match"
hits_of() { jq -r '[.line, .indicator, .value, .match] | @tsv'; }

# ---- the exactness corpus: true hits and near misses of every indicator type -------------
out=$(cm hunt --indicators "$DATA_DIR/indicators.txt" "$DATA_DIR/corpus.log" 2>"$TMP/err")
expect_eq "corpus exit" "$?" 0
expect_eq "corpus hits" "$(printf '%s\n' "$out" | hits_of)" "$(cat "$DATA_DIR/expected.tsv")"
expect_eq "corpus summary" "$(tail -n 1 "$TMP/err" | jq -c '[.records, .indicators, .hits]')" \
    "[21,15,$(wc -l <"$DATA_DIR/expected.tsv")]"
expect_eq "corpus offsets point at the value" \
    "$(printf '%s\n' "$out" | head -1 | jq -r '[.offset, .file] | @tsv')" "6	$DATA_DIR/corpus.log"

# the same hits with one thread and with many, with and without SIMD
for j in 1 3 8; do
    got=$(cm hunt -j "$j" --indicators "$DATA_DIR/indicators.txt" "$DATA_DIR/corpus.log" 2>/dev/null | hits_of)
    expect_eq "corpus -j $j" "$got" "$(cat "$DATA_DIR/expected.tsv")"
done
got=$(CERTMESH_NO_SIMD=1 cm hunt --indicators "$DATA_DIR/indicators.txt" "$DATA_DIR/corpus.log" 2>/dev/null | hits_of)
expect_eq "corpus without SIMD" "$got" "$(cat "$DATA_DIR/expected.tsv")"

# ---- compressed input, stdin and directories ------------------------------------------------
mkdir -p "$TMP/logs/sub"
gzip -c "$DATA_DIR/corpus.log" >"$TMP/logs/a.log.gz"
zstd -q -c "$DATA_DIR/corpus.log" >"$TMP/logs/sub/b.zst"
cp "$DATA_DIR/corpus.log" "$TMP/logs/sub/c"
want=$(cat "$DATA_DIR/expected.tsv")
got=$(cm hunt --indicators "$DATA_DIR/indicators.txt" "$TMP/logs/a.log.gz" 2>/dev/null | hits_of)
expect_eq "gzip input" "$got" "$want"
got=$(cm hunt --indicators "$DATA_DIR/indicators.txt" "$TMP/logs/sub/b.zst" 2>/dev/null | hits_of)
expect_eq "zstd input" "$got" "$want"
got=$(cat "$TMP/logs/a.log.gz" "$TMP/logs/a.log.gz" | cm hunt --indicators "$DATA_DIR/indicators.txt" - 2>/dev/null | jq -s 'length')
expect_eq "concatenated gzip members on stdin" "$got" "$((2 * $(wc -l <"$DATA_DIR/expected.tsv")))"
got=$(cm hunt --indicators "$DATA_DIR/indicators.txt" <"$DATA_DIR/corpus.log" 2>/dev/null)
expect_eq "stdin" "$(printf '%s\n' "$got" | hits_of)" "$want"
expect_eq "stdin file name" "$(printf '%s\n' "$got" | jq -r .file | sort -u)" "(stdin)"
got=$(cm hunt --indicators "$DATA_DIR/indicators.txt" "$TMP/logs" 2>/dev/null | jq -r .file | uniq -c | awk '{print $1, $2}')
n=$(wc -l <"$DATA_DIR/expected.tsv")
expect_eq "directory, recursively, in name order" "$got" "$n $TMP/logs/a.log.gz
$n $TMP/logs/sub/b.zst
$n $TMP/logs/sub/c"
printf '\x1f\x8b\x08\x00garbage' >"$TMP/bad.gz"
cm hunt --indicators "$DATA_DIR/indicators.txt" "$TMP/bad.gz" >/dev/null 2>"$TMP/err"
expect_eq "corrupt gzip fails" "$?" 1
expect_contains "corrupt gzip says so" "$(cat "$TMP/err")" "gzip"
cm hunt --indicators "$DATA_DIR/indicators.txt" "$TMP/missing.log" >/dev/null 2>"$TMP/err"
expect_eq "missing log fails" "$?" 1

# a stream that pauses: hits arrive before the writer closes it
mkfifo "$TMP/fifo"
(
    cm hunt --indicators "$DATA_DIR/indicators.txt" - <"$TMP/fifo" >"$TMP/live.out" 2>/dev/null
) &
hunter=$!
exec 7>"$TMP/fifo"
echo "first 45.33.12.7" >&7
for _ in $(seq 50); do [ -s "$TMP/live.out" ] && break; sleep 0.1; done
expect_eq "live stream hit before the end" "$(jq -r .value "$TMP/live.out" 2>/dev/null)" "45.33.12.7"
exec 7>&-
wait "$hunter"

# ---- log formats: fields and times -----------------------------------------------------------
printf '%s\n' '{"timestamp":"2026-11-28T10:00:00.123456+0700","event_type":"dns","src_ip":"45.33.12.7","dns":{"rrname":"x.c2.evil-corp.net","answers":[{"rdata":"45.60.1.2"}]}}' >"$TMP/eve.json"
got=$(cm hunt --indicators "$DATA_DIR/indicators.txt" "$TMP/eve.json" 2>/dev/null | jq -r '[.field, .time, .match] | @tsv')
expect_eq "eve fields and time" "$got" "src_ip	2026-11-28T03:00:00.123456Z	exact
dns.rrname	2026-11-28T03:00:00.123456Z	subdomain
dns.answers.rdata	2026-11-28T03:00:00.123456Z	in-range"
printf '#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.resp_h\n#types\ttime\tstring\taddr\taddr\n1795860000.5\tCx1\t10.1.1.1\t45.33.12.7\n' >"$TMP/conn.log"
got=$(cm hunt --indicators "$DATA_DIR/indicators.txt" "$TMP/conn.log" 2>/dev/null | jq -r '[.line, .field, .time] | @tsv')
expect_eq "zeek field and time" "$got" "4	id.resp_h	2026-11-28T10:00:00.500000Z"
printf 'when,who,"remote address"\n2026-11-28 10:00:00,alice,"45.33.12.7, 45.60.9.9"\n' >"$TMP/x.csv"
got=$(cm hunt --format csv --indicators "$DATA_DIR/indicators.txt" "$TMP/x.csv" 2>/dev/null | jq -r '[.field, (.time | tostring)] | @tsv')
expect_eq "csv fields, quoted commas" "$got" "remote address	null
remote address	null"
printf 'time,addr\n28/Nov/2026:10:00:00 +0100,45.33.12.7\n' >"$TMP/y.csv"
got=$(cm hunt --format csv --indicators "$DATA_DIR/indicators.txt" "$TMP/y.csv" 2>/dev/null | jq -r '[.field, .time] | @tsv')
expect_eq "csv time column" "$got" "addr	2026-11-28T09:00:00.000000Z"
printf '45.33.12.7 - - [28/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1\n' >"$TMP/access.log"
got=$(cm hunt --indicators "$DATA_DIR/indicators.txt" "$TMP/access.log" 2>/dev/null | jq -r '[(.field | tostring), .time] | @tsv')
expect_eq "web log time" "$got" "null	2026-11-28T10:00:00.000000Z"
cm hunt --format nonsense --indicators "$DATA_DIR/indicators.txt" "$TMP/access.log" >/dev/null 2>&1
expect_eq "unknown format refused" "$?" 2

# ---- the generator: planted hits, recall and precision exactly 100% ---------------------------
"$GEN_LOGS" --out "$TMP/gen" --indicators 20000 --bytes 3000000 --hits 1500 --seed 7
sort "$TMP/gen/truth.tsv" >"$TMP/truth.sorted"
for j in 1 2; do
    (cd "$TMP/gen" && cm hunt -j "$j" --summary "$TMP/summary$j.json" --indicators indicators.txt \
        access.log dns.log conn.log eve.json 2>/dev/null) >"$TMP/gen$j.jsonl"
    jq -r '[.file, .line, .indicator, .match] | @tsv' "$TMP/gen$j.jsonl" | sort >"$TMP/got$j.sorted"
done
expect_eq "generator: some hits planted" "$([ "$(wc -l <"$TMP/truth.sorted")" -gt 500 ] && echo yes)" yes
expect_eq "generator: every planted hit found, nothing else (recall = precision = 100%)" \
    "$(comm -3 "$TMP/got1.sorted" "$TMP/truth.sorted" | head -5)" ""
expect_eq "generator: -j 1 and -j 2 give the same hits in the same order" \
    "$(cmp "$TMP/gen1.jsonl" "$TMP/gen2.jsonl" && echo same)" same
expect_eq "summary file counts hits per indicator" \
    "$(jq '[.hits_per_indicator[]] | add' "$TMP/summary1.json")" "$(wc -l <"$TMP/truth.sorted")"

# ---- STIX patterns that need records evaluated, over the stream ------------------------------------
pind() {
    printf '{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"%s","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}' \
        "$(printf 'indicator--00000000-0000-4000-8000-%012d' "$1")" "$2"
}
printf '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000009","objects":[%s,%s,%s]}' \
    "$(pind 71 "[network-traffic:dst_ref.value = '45.33.7.7' AND network-traffic:dst_port = 443]")" \
    "$(pind 72 "([domain-name:value = 'stage1.example.net'] FOLLOWEDBY [ipv4-addr:value = '45.33.8.8']) WITHIN 60 SECONDS")" \
    "$(pind 73 "[url:value LIKE '%evil%']")" >"$TMP/patterns.json"
eve() { printf '{"timestamp":"2026-11-28T%s.000000+0000","event_type":"%s","src_ip":"10.0.0.5","src_port":50000,"dest_ip":"%s","dest_port":%s,"proto":"TCP"%s}\n' "$@"; }
{
    eve 10:00:00 flow 45.33.7.7 80 ''
    eve 10:00:01 flow 45.33.7.7 443 ''
    eve 10:00:02 dns 10.0.0.53 53 ',"dns":{"rrname":"stage1.example.net"}'
    eve 10:00:32 flow 45.33.8.8 8080 ''
    eve 10:05:00 dns 10.0.0.53 53 ',"dns":{"rrname":"stage1.example.net"}'
    eve 10:07:00 flow 45.33.8.8 8080 ''
    eve 10:10:10 dns 10.0.0.53 53 ',"dns":{"rrname":"stage1.example.net"}'
} >"$TMP/pat.json"
got=$(cm hunt --bundle "$TMP/patterns.json" "$TMP/pat.json" 2>"$TMP/err" | jq -r '[.line, .indicator[-2:], .value, .match, .field] | @tsv')
expect_eq "patterns: compound network-traffic and FOLLOWEDBY ... WITHIN" "$got" "2	71	45.33.7.7	pattern	dest_ip
4	72	45.33.8.8	pattern	dest_ip"
expect_contains "patterns: what cannot be anchored is said" "$(cat "$TMP/err")" "indicator--00000000-0000-4000-8000-000000000073: not hunted"
expect_contains "patterns: counted" "$(cat "$TMP/err")" "2 indicators hunted (2 by evaluating records)"
# the same with a user mapping for a CSV firewall log
printf '{"dst":"network-traffic:dst_ref","dport":"network-traffic:dst_port"}' >"$TMP/map.json"
printf 'time,dst,dport\n2026-11-28T10:00:00Z,45.33.7.7,80\n2026-11-28T10:00:01Z,45.33.7.7,443\n' >"$TMP/fw.csv"
got=$(cm hunt --format csv --map "$TMP/map.json" --bundle "$TMP/patterns.json" "$TMP/fw.csv" 2>/dev/null | jq -r '[.line, .field, .match] | @tsv')
expect_eq "patterns: --map makes CSV columns observables" "$got" "3	dst	pattern"
# a MATCHES from someone else's indicator that would backtrack for ever gives up, and says so
slow=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example
printf '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000010","objects":[%s]}' \
    "$(pind 74 "[domain-name:value = '$slow' AND domain-name:value MATCHES '^(a+)+\$']")" >"$TMP/slow.json"
eve 10:00:00 dns 10.0.0.53 53 ",\"dns\":{\"rrname\":\"$slow\"}" >"$TMP/slow.log"
cm hunt --bundle "$TMP/slow.json" --summary "$TMP/slow-summary.json" "$TMP/slow.log" >"$TMP/out" 2>"$TMP/err"
expect_eq "patterns: a runaway MATCHES is no hit" "$(wc -l <"$TMP/out")" 0
expect_eq "patterns: and the summary counts it" "$(tail -n 1 "$TMP/err" | jq .regex_limited)" 1
expect_eq "patterns: and names the indicator" "$(jq -c .regex_limited_indicators "$TMP/slow-summary.json")" \
    '{"indicator--00000000-0000-4000-8000-000000000074":1}'
printf '{"dst":"no-such:thing"}' >"$TMP/badmap.json"
cm hunt --map "$TMP/badmap.json" --bundle "$TMP/patterns.json" "$TMP/fw.csv" >/dev/null 2>"$TMP/err"
expect_eq "patterns: a bad mapping is refused" "$?" 1
expect_contains "patterns: and says why" "$(cat "$TMP/err")" "the target must be one of"

# ---- indicators from the node, as one organisation may read them; sightings --------------------
# ind N PATTERN TLP_ID [EXTRA]: an indicator object on one line
ind() {
    printf '{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"%s","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["%s"]%s}' \
        "$(oid indicator "$1")" "$2" "$3" "${4:-}"
}
standard_node
printf '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[%s,%s,%s]}' \
    "$(ind 1 "[ipv4-addr:value = '45.33.1.1']" "$TLP_CLEAR")" \
    "$(ind 4 "[ipv4-addr:value = '45.33.4.4']" "$TLP_CLEAR" ',"revoked":true')" \
    "$(ind 5 "[ipv4-addr:value = '45.33.5.5']" "$TLP_CLEAR" ',"valid_until":"2026-02-01T00:00:00Z"')" \
    >"$TMP/pub.json"
printf '{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000002","objects":[%s]}' \
    "$(ind 2 "[domain-name:value = 'secret.example.net']" "$TLP_AMBER")" >"$TMP/tf.json"
cm import --data "$DATA" --collection public --as cert-a "$TMP/pub.json" 2>/dev/null
cm import --data "$DATA" --collection taskforce --as cert-b "$TMP/tf.json" 2>/dev/null
printf '2026-11-28T10:00:00Z conn 45.33.1.1 45.33.4.4 45.33.5.5 secret.example.net x.secret.example.net\n' >"$TMP/node.log"
got=$(cm hunt --data "$DATA" --as cert-c "$TMP/node.log" 2>/dev/null | jq -r '[.indicator, .value] | @tsv')
expect_eq "cert-c hunts only what it may read (not the task force's)" "$got" "$(oid indicator 1)	45.33.1.1"
got=$(cm hunt --data "$DATA" --as cert-b "$TMP/node.log" 2>/dev/null | jq -r '[.indicator, .value, .match] | @tsv')
expect_eq "cert-b hunts the task force's too; STIX domains match exactly" "$got" "$(oid indicator 1)	45.33.1.1	exact
$(oid indicator 2)	secret.example.net	exact"
cm hunt --data "$DATA" --as nobody "$TMP/node.log" >/dev/null 2>"$TMP/err"
expect_eq "unknown organisation refused" "$?" 1

cm hunt --data "$DATA" --as cert-b --sightings "$TMP/s.json" --with-observed-data "$TMP/node.log" "$TMP/node.log" >/dev/null 2>"$TMP/err"
expect_eq "sightings written" "$?" 0
ident=$(sqlite3 "$DATA/certmesh.db" "select identity from orgs where name = 'cert-b'" 2>/dev/null)
expect_eq "one sighting per indicator hit" "$(jq -c '[.objects[] | select(.type == "sighting") | [.sighting_of_ref, .count, .first_seen, .last_seen]] | sort' "$TMP/s.json")" \
    "$(printf '[["%s",2,"2026-11-28T10:00:00.000Z","2026-11-28T10:00:00.000Z"],["%s",2,"2026-11-28T10:00:00.000Z","2026-11-28T10:00:00.000Z"]]' "$(oid indicator 1)" "$(oid indicator 2)")"
expect_eq "where sighted: the organisation's identity" \
    "$(jq -r '[.objects[] | select(.type == "sighting") | .where_sighted_refs[0]] | unique | .[]' "$TMP/s.json")" "$ident"
expect_eq "sightings marked AMBER" \
    "$(jq -r '[.objects[] | .object_marking_refs[0]] | unique | .[]' "$TMP/s.json")" "$TLP_AMBER"
expect_eq "observed-data holds the values found" \
    "$(jq -r '[.objects[] | select(.type == "ipv4-addr" or .type == "domain-name") | .value] | sort | join(" ")' "$TMP/s.json")" \
    "45.33.1.1 secret.example.net"
expect_eq "deterministic SCO ids (STIX 2.1 section 2.9)" \
    "$(jq -r '.objects[] | select(.type == "ipv4-addr") | .id' "$TMP/s.json")" \
    "ipv4-addr--$(python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7"), "{\"value\":\"45.33.1.1\"}"))')"
cm hunt --data "$DATA" --as cert-b --sightings - "$TMP/node.log" 2>/dev/null | tail -n 1 >"$TMP/s2.json"
expect_eq "without --with-observed-data no log content" \
    "$(jq -r '[.objects[].type] | unique | join(" ")' "$TMP/s2.json")" "sighting"
cm hunt --indicators "$DATA_DIR/indicators.txt" --sightings "$TMP/s3.json" "$DATA_DIR/corpus.log" >/dev/null 2>"$TMP/err"
expect_eq "sightings without an identity refused" "$?" 1
cm hunt --data "$DATA" --as cert-b --report taskforce "$TMP/node.log" >/dev/null 2>"$TMP/err"
expect_eq "report exit" "$?" 0
expect_contains "report says where" "$(cat "$TMP/err")" "reported 2 of 2 objects to"
got=$(cm export --data "$DATA" --collection taskforce 2>/dev/null | jq -r '[.objects[] | select(.type == "sighting") | .sighting_of_ref] | sort | join(" ")')
expect_eq "reported sightings are in the collection" "$got" "$(oid indicator 1) $(oid indicator 2)"

echo "  $CHECKS checks passed"
[ "$FAILS" -eq 0 ]
