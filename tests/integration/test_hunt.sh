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

echo "  $CHECKS checks passed"
[ "$FAILS" -eq 0 ]
