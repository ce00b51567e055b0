#!/usr/bin/env bash
# test_ladderctl.sh — every ladderctl subcommand against a real ladderd loaded
# by `ladderctl demo` (fixed seed, manual clock), compared with golden output
# in tests/golden/. UPDATE_GOLDEN=1 rewrites the golden files.
#   usage: test_ladderctl.sh LADDERD LADDERCTL GOLDEN_DIR
set -euo pipefail
LADDERD=$1 CTL=$2 GOLDEN=$3
work=$(mktemp -d /tmp/ladder-ctl-test.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
"$LADDERD" --data "$work/data" --command "ipc://$work/cmd" --publish "ipc://$work/pub" \
    --clock manual 2>"$work/ladderd.log" &
pid=$!
c() { "$CTL" --endpoint "ipc://$work/cmd" --publish "ipc://$work/pub" "$@"; }
for _ in $(seq 50); do c stats >/dev/null 2>&1 && break; sleep 0.1; done

pass=0 fail=0
check() { # name, then the command; compares stdout+stderr and the exit code
    local name=$1; shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    out="$out
exit $rc"
    if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
        printf '%s\n' "$out" >"$GOLDEN/$name.txt"
    fi
    if [ "$out" = "$(cat "$GOLDEN/$name.txt" 2>/dev/null)" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $name"; diff <(printf '%s\n' "$out") "$GOLDEN/$name.txt" | head -20 || true
    fi
}
expect() { # name, pattern, command: output must match the pattern
    local name=$1 pat=$2; shift 2
    local out
    out=$("$@" 2>&1 || true)
    if grep -qE -- "$pat" <<<"$out"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAIL $name: /$pat/ not in:"; echo "$out" | head -10; fi
}

check demo          c demo --employees 60 --seed 7
check employee      c employee e000
check employee-json c --json employee e013
check ready         c ready e013
check ready-top     c ready e000
check explain       c explain e013
check explain-asof  c explain e013 --as-of 3400
check explain-time  c explain e013 --as-of 2026-06-01
check board         c board --top 10
check board-centre  c board --scope centre:north --top 5
check board-around  c board --around e013
check board-level   c board --scope level:2 --top 3
check board-bad     c board --scope planet:mars
check cases         c cases 1 billing
check cases-all     c cases 2
check kb            c kb refund-days
check kb-missing    c kb nothing
check pending       c pending
check pending-mgr   c pending --reviewer mgr-north
check committee     c committee
check events        c events --from 1 --max 4
check events-stream c events --stream emp/e013 --max 3
check hire          c hire x1 --name "Test Person" --team t --centre c
check hire-dup      c hire x1 --name "Test Person"
check award         c award x1 25 --reason "helped a colleague"
check award-noreason c award x1 25
check forbidden     c --as e001 --roles employee award x1 5 --reason self-service
check task          c task x1 level-0
check query-test    c query-test x1 131.5
check study         c --as x1 --roles employee study x1 L1-billing-00
check rate          c --as x1 --roles employee rate x1 L1-billing-00 excellent
check rate-twice    c --as x1 --roles employee rate x1 L1-billing-00 poor
check mentor-l1     c mentor e013 x1
check exam-small    c exam draw xa x1
check appeal-none   c --as x1 --roles employee appeal x1 --reason unfair
check decide-none   c decide-appeal x1 --uphold --reason checked
check submit-case   c --as x1 --roles employee submit-case sx cx x1 --title "Lost SIM" --question "My SIM card is gone"
check review-self   c --as x1 --roles manager review sx --approve --amount 30 --level 1 --category sim
check review        c --as mgr-a review sx --approve --amount 30 --level 1 --category sim
check propose-kb    c --as x1 --roles employee propose-kb kbx refund-days x1 --text "Refunds in 3 days"
check review-kb-self c --as x1 --roles manager review-kb kbx --approve --amount 3
check review-kb     c --as mgr-a review-kb kbx --approve --amount 3
check suggest       c --as x1 --roles employee suggest sx x1 --text "Fewer menus"
check judge         c judge sx adopted --amount 40 --reason good
check judge-again   c judge sx feasible --amount 90
echo '{"commands":[{"hire":{"employeeId":"x2","name":"Batch One"}},{"adjustPoints":{"employeeId":"x2","amount":"40","reason":"batch"}}]}' >"$work/batch.json"
check send-batch    c send "$work/batch.json"
echo '{"commands":[{"hire":{"employeeId":"x3","name":"Batch Two"}},{"adjustPoints":{"employeeId":"nobody","amount":"40","reason":"batch"}}]}' >"$work/bad.json"
check send-refused  c send "$work/bad.json"
check send-after    c employee x3
echo '{"hire":{"employeeId":"x4","nmae":"typo"}}' >"$work/typo.json"
check send-typo     c send "$work/typo.json"
check clock         c clock +1d
check unknown       c frobnicate
check no-id         c employee
expect stats        'head seq [0-9]+, 6[0-9] employees' c stats
expect help         'exit codes'                          c --help
for sub in send hire award task study rate submit-case review mentor query-test exam appeal \
           decide-appeal clock employee ready explain board cases kb pending committee propose-kb review-kb suggest judge stats events tail verify audit demo keygen; do
    expect "help-$sub" "^usage: ladderctl $sub" c "$sub" --help
done
# tail: the Clone pattern prints the level update of a promotion made meanwhile
"$CTL" --endpoint "ipc://$work/cmd" --publish "ipc://$work/pub" tail level. \
    >"$work/tail.out" 2>"$work/tail.err" &
tpid=$!
sleep 0.5
c award x1 800 --reason catch-up >/dev/null
c --as x1 --roles employee study x1 L1-billing-02 >/dev/null  # a training case (§4 v2)
for k in $(seq 0 15); do for cat in billing roaming network; do
  c --as x1 --roles employee study x1 "L1-$cat-$(printf %02d "$k")" >/dev/null 2>&1 || true; done; done
c exam draw xt x1 >/dev/null
c exam grade xt 90 90 90 90 90 90 90 90 90 90 >/dev/null
sleep 0.5
kill -INT $tpid; wait $tpid 2>/dev/null || true
expect tail 'level.x1 .*"title_en"|level.x1 .*"titleEn":"Undergraduate"' cat "$work/tail.out"
# keygen writes a Z85 key pair
expect keygen '^.{40}$' c keygen demo-client --dir "$work"
expect keygen-files 'demo-client.key' ls "$work"
# offline, on a copy of the data directory after a clean stop
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
cp -r "$work/data" "$work/copy"
expect audit  'audit: [0-9]+ events, [0-9]+ facts re-decided, [0-9]+ derived events compared, 0 discrepancies' c audit --data "$work/copy"
expect verify 'chain from seq 1 to the head: ok' c verify --data "$work/copy"
expect verify-missing 'verify needs --data' c verify
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
