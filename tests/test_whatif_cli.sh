#!/usr/bin/env bash
# test_whatif_cli.sh — `ladderctl what-if` (§10) on a demo organisation built
# on a manual clock: a higher retention minimum names the agents it would
# demote with their reasons; the rules in force change nothing; --json
# round-trips through the JSON mapper (ladderctl send parses it back); --csv
# has a row per decision; bad invocations exit 2; the store is never written.
#   usage: test_whatif_cli.sh LADDERD LADDERCTL
set -euo pipefail
LADDERD=$1 CTL=$2
work=$(mktemp -d /tmp/ladder-whatif-test.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$LADDERD" --data "$work/data" --command "ipc://$work/cmd" --publish "ipc://$work/pub" \
    --clock manual 2>"$work/ladderd.log" &
pid=$!
c() { "$CTL" --endpoint "ipc://$work/cmd" --publish "ipc://$work/pub" --timeout 20000 "$@"; }
for _ in $(seq 50); do c stats >/dev/null 2>&1 && break; sleep 0.1; done
c demo --employees 40 >"$work/demo.out" 2>&1

fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
echo '{"retention":{"points":400}}' >"$work/r400.json"
# the same what-if asked of ladderd (its thread pool, from the nearest snapshot)
c what-if "$work/r400.json" >"$work/online.txt" || bad "online what-if exit $?"
rc=0; c --as e001 --roles employee what-if "$work/r400.json" >"$work/forbidden.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] && grep -q '§10' "$work/forbidden.out" || bad "an employee's what-if: exit $rc, $(cat "$work/forbidden.out")"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
sum() { sha256sum "$work/data/data.mdb" | cut -d' ' -f1; }
before=$(sum)

"$CTL" what-if "$work/r400.json" --data "$work/data" >"$work/r400.txt" || bad "what-if r400 exit $?"
diff -u "$work/r400.txt" "$work/online.txt" >"$work/online.diff" || bad "ladderd's what-if differs: $(head -20 "$work/online.diff")"
n=$(sed -n 's/^employees whose outcome differs: \([0-9]*\)$/\1/p' "$work/r400.txt")
[ "${n:-0}" -ge 1 ] || bad "400 points: nobody would be demoted"
# every listed decision is a demotion at the year's close for fewer than 400 points
grep -q 'actual:  kept level 1' "$work/r400.txt" || bad "no kept year listed"
grep -Eq 'what-if: demoted 1 -> 0: §7: .*[0-9]+ points in the year, needs 400' "$work/r400.txt" \
    || bad "no demotion with its reason"
if grep -Eo '[0-9]+ points in the year, needs 400' "$work/r400.txt" | awk '$1 >= 400 {exit 1}'; then :; else
    bad "an agent with 400 or more points listed"; fi

# the rules in force: no difference (the what-if doubles as an audit)
echo '{"retention":{"points":200}}' >"$work/same.json"
"$CTL" what-if "$work/same.json" --data "$work/data" >"$work/same.txt"
grep -q '^employees whose outcome differs: 0$' "$work/same.txt" || bad "the rules in force differ"
grep -q '^facts of the log the proposal refuses: 0$' "$work/same.txt" || bad "refusals under the rules in force"

# --json: a WhatIfReport that the mapper reads back (ladderctl's JSON round trip)
"$CTL" --json what-if "$work/r400.json" --data "$work/data" >"$work/r400.json.out"
python3 - "$work/r400.json.out" "$n" <<'PY' || bad "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
emps = r["employees"]
assert len(emps) == int(sys.argv[2]), (len(emps), sys.argv[2])
for e in emps:
    assert e["actualLevel"] == 1 and "whatIfLevel" not in e, e   # level 0 is the default
    assert e["decisions"][0]["section"] == "§7", e
assert int(r["whatIf"]["demotions"]) == int(r["actual"]["demotions"]) + len(emps), r
PY
# from a seq and to a date; stdin for the rules
echo '{"retention":{"points":400}}' | "$CTL" --json what-if - --data "$work/data" --from 2 --to 2099-01-01 \
    >"$work/stdin.json" || bad "what-if from stdin"
cmp -s <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(len(r["employees"]))' "$work/stdin.json") \
    <(echo "$n") || bad "--from 2 --to 2099-01-01 differs from the whole log"

# --csv: a header and a row per decision
"$CTL" what-if "$work/r400.json" --data "$work/data" --csv >"$work/r400.csv"
head -1 "$work/r400.csv" | grep -q '^employee_id,name,date,seq,section,actual,what_if' || bad "CSV header"
[ "$(($(wc -l <"$work/r400.csv") - 1))" -eq "$n" ] || bad "CSV rows != employees"

# bad invocations: exit 2 with the field named
for args in "--data $work/data" "$work/r400.json --data /no/such/dir" \
            "$work/r400.json --data $work/data --from yesterday" \
            "$work/r400.json --data $work/data --to 2026-02-30" \
            "$work/r400.json --data $work/data --csv --json"; do
    rc=0; "$CTL" what-if $args >"$work/bad.out" 2>&1 || rc=$?
    [ "$rc" -eq 2 ] || bad "what-if $args: exit $rc, want 2"
done
echo '{"retention":{"points":"many"}}' >"$work/badrules.json"
rc=0; "$CTL" what-if "$work/badrules.json" --data "$work/data" >"$work/bad.out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q 'points' "$work/bad.out" || bad "a bad rules document: exit $rc, $(cat "$work/bad.out")"
[ ! -e /no/such/dir ] || bad "a directory was created"

[ "$(sum)" = "$before" ] || bad "the what-if wrote to the store"
echo "what-if CLI: $n employees named at 400 points; $fail failures"
[ "$fail" -eq 0 ]
