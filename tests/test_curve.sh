#!/usr/bin/env bash
# test_curve.sh — CURVE with roles against the real ladderd: only listed keys
# connect, the principal comes from the key (not from the request), and each
# role may do what the core allows it and nothing more.
#   usage: test_curve.sh LADDERD LADDERCTL
set -euo pipefail
LADDERD=$1 CTL=$2
work=$(mktemp -d /tmp/ladder-curve.XXXXXX)
pid="" bpid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; [ -n "$bpid" ] && kill -KILL "$bpid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
keys=$work/keys
mkdir -p "$keys"
for k in server boss e1 auditor stranger; do "$CTL" keygen "$k" --dir "$keys" >/dev/null; done
{
    echo "# key principal roles"
    echo "$(cat "$keys/boss.pub") boss manager"
    echo "$(cat "$keys/e1.pub") e1 employee"
    echo "$(cat "$keys/auditor.pub") audit-1 auditor"
} >"$keys/authorized"
"$LADDERD" --data "$work/data" --command "ipc://$work/cmd" --publish "ipc://$work/pub" \
    --keys "$keys" 2>"$work/ladderd.log" &
pid=$!
as() { local who=$1; shift
       "$CTL" --endpoint "ipc://$work/cmd" --publish "ipc://$work/pub" --timeout 2000 \
              --server-key "$keys/server.pub" --key "$keys/$who.key" "$@"; }
for _ in $(seq 50); do as boss stats >/dev/null 2>&1 && break; sleep 0.1; done
pass=0 fail=0
expect() { # name, expected exit code, pattern, command...
    local name=$1 code=$2 pat=$3; shift 3
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" = "$code" ] && grep -qE -- "$pat" <<<"$out"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL $name: exit $rc (want $code): $out"; fi
}
expect "manager hires"             0 "ok: 1 event"      as boss hire e1 --name "Employee One"
expect "manager hires again"       0 "ok: 1 event"      as boss hire e2 --name "Employee Two"
expect "employee may not hire"     1 "ERR_FORBIDDEN"    as e1 hire e3 --name X
# the request claims to be a manager; the key says e1, an employee
expect "claimed principal ignored" 1 "ERR_FORBIDDEN.*e1 may not" as e1 --as boss --roles manager award e2 5 --reason x
expect "auditor may not command"   1 "ERR_FORBIDDEN"    as auditor award e1 5 --reason x
expect "auditor may query"         0 "Employee One"     as auditor employee e1
expect "unknown key: no answer"    3 "no answer"        as stranger stats
expect "no CURVE: no answer"       3 "no answer" \
    "$CTL" --endpoint "ipc://$work/cmd" --timeout 2000 stats
grep -q "connection refused: unknown key" "$work/ladderd.log" && pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL: no refusal logged"; }
# issue 10 item 5: roles belong to the key; an authorized file that gives one
# principal two keys with different roles, or repeats a key, is refused
bad=$work/badkeys
mkdir -p "$bad"
cp "$keys/server.key" "$keys/server.pub" "$bad/"
refused() { # name, pattern: ladderd must exit 2 within 5 s and log the pattern
    local name=$1 pat=$2 rc=0 i
    "$LADDERD" --data "$work/data2" --command "ipc://$work/cmd2" --publish "ipc://$work/pub2" \
        --keys "$bad" 2>"$work/bad.log" &
    bpid=$!
    for i in $(seq 50); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$bpid" 2>/dev/null; then
        # it serves: what can the e1 key (the second line's key) do?
        local out
        out=$("$CTL" --endpoint "ipc://$work/cmd2" --timeout 2000 --server-key "$bad/server.pub" \
              --key "$keys/e1.key" hire x9 --name X 2>&1) || true
        kill -TERM "$bpid"; wait "$bpid" 2>/dev/null; bpid=""
        fail=$((fail + 1)); echo "FAIL $name: ladderd started; the e1 key's hire: $out"
        return
    fi
    wait "$bpid" || rc=$?
    bpid=""
    if [ "$rc" = 2 ] && grep -qE -- "$pat" "$work/bad.log"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL $name: exit $rc: $(cat "$work/bad.log")"; fi
}
printf '%s alice manager\n%s alice employee\n' "$(cat "$keys/boss.pub")" "$(cat "$keys/e1.pub")" >"$bad/authorized"
refused "one principal, two keys, other roles" "authorized:2: principal alice has other roles on line 1"
printf '%s alice manager\n# again\n%s bob employee\n' "$(cat "$keys/boss.pub")" "$(cat "$keys/boss.pub")" >"$bad/authorized"
refused "a key listed twice" "authorized:3: the key is listed already \\(line 1\\)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
