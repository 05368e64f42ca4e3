#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh against the real binary; prints N passed, N failed.
set -u
cd "$(dirname "$0")"
: "${CERTMESH:?set CERTMESH to the certmesh binary}"
: "${GEN:?set GEN to the gen_stix binary}"
export CERTMESH GEN
passed=0
failed=0
for t in test_*.sh; do
    if [ $# -gt 0 ] && [[ "$t" != *"$1"* ]]; then continue; fi
    echo "$t"
    if bash "$t"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $t"; fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
