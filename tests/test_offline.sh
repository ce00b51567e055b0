#!/usr/bin/env bash
# test_offline.sh — the offline tools (ladderctl verify, audit) open the store
# read-only: a missing, empty or 0-byte store is refused, and no file is made
# (issue 10 item 15); a store with two altered events names the first (item 13
# is in test_store).
#   usage: test_offline.sh LADDERCTL
set -uo pipefail
CTL=$1
work=$(mktemp -d /tmp/ladder-offline.XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
expect() { # name, pattern; then the command: it must fail and print the pattern
    local name=$1 pat=$2; shift 2
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" != 0 ] && grep -qE -- "$pat" <<<"$out"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL $name: exit $rc: $out"; fi
}
expect "verify, no such directory" "^ladderctl: (no store in /no/such/dir|/no/such/dir: No such file or directory)" "$CTL" verify --data /no/such/dir
# a missing directory whose parent exists: refused, and not created
expect "verify, a missing directory" "(no store in $work/missing|$work/missing: No such file or directory)" "$CTL" verify --data "$work/missing"
expect "audit, a missing directory" "(no store in $work/missing|$work/missing: No such file or directory)" "$CTL" audit --data "$work/missing"
[ ! -e "$work/missing" ] && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: $work/missing was created"; }
mkdir "$work/empty"
expect "audit, a directory without a store" "no data.mdb" "$CTL" audit --data "$work/empty"
expect "verify, a directory without a store" "no data.mdb" "$CTL" verify --data "$work/empty"
if [ -z "$(ls -A "$work/empty")" ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAIL: files were created: $(ls "$work/empty")"; fi
mkdir "$work/zero" && : >"$work/zero/data.mdb"
expect "verify, a 0-byte data.mdb" "is empty \\(0 bytes\\)" "$CTL" verify --data "$work/zero"
[ "$(stat -c %s "$work/zero/data.mdb")" = 0 ] && [ "$(ls "$work/zero")" = data.mdb ] &&
    pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: the 0-byte store was touched"; }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
