#!/usr/bin/env bash
# test_ladderctl.sh — every ladderctl subcommand against a real ladderd loaded
# by `ladderctl demo` (fixed seed, manual clock), compared with golden output
# in tests/golden/. UPDATE_GOLDEN=1 rewrites the golden files.
#   usage: test_ladderctl.sh LADDERD LADDERCTL GOLDEN_DIR
set -euo pipefail
LADDERD=$1 CTL=$2 GOLDEN=$3
work=$(mktemp -d /tmp/ladder-ctl-test.XXXXXX)
pid=""
tpid=""
cleanup() { [ -n "$tpid" ] && kill "$tpid" 2>/dev/null; [ -n "$pid" ] && kill "$pid" 2>/dev/null
            wait 2>/dev/null || true; rm -rf "$work"; }
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
    out="${out//$work/WORK}"
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
# issue 11 (v2) through the protocol: §2 placement, §12 reversal, §11 explain of a demotion
echo '{"commands":[{"hire":{"employeeId":"x5","name":"Placed One"}},{"placeEmployee":{"employeeId":"x5","level":2,"reason":"a teacher before Ladder"}}]}' >"$work/place.json"
expect v2-place        'ok: 2 events'                      c send "$work/place.json"
expect v2-placed       'level +2 +教师'                     c employee x5
echo '{"placeEmployee":{"employeeId":"x5","level":3,"reason":"again"}}' >"$work/place2.json"
expect v2-place-once   '§2: x5 was already placed at level 2' c send "$work/place2.json"
echo '{"reportVolunteer":{"reportId":"wv2","entries":[{"employeeId":"x5","hours":3}]}}' >"$work/vol.json"
vseq=$(c send "$work/vol.json" | sed -n 's/^ok: .*seq \([0-9]*\).*/\1/p')
expect v2-volunteer    '^points +30 total'                 c employee x5
echo "{\"reverseFact\":{\"seq\":\"$vseq\",\"reason\":\"wrong week\"}}" >"$work/rev.json"
expect v2-reverse      'ok: 2 events'                      c send "$work/rev.json"
expect v2-reversed     '^points +0 total'                  c employee x5
expect v2-reverse-twice "§12: the volunteer hours at seq $vseq was already reversed" c send "$work/rev.json"
expect v2-demotion     '"cause": "demoted"'                c --json explain e059
expect v2-conditions   '"gap": "GAP_QUERY_TEST"'           c --json explain e059
expect v2-cond-text    'query test: none in the re-test window, needs below 140.000 s' c --json explain e059
expect v2-evidence     '"evidenceSeqs": \['                c --json explain e000
# the v2 shorthands (issue 11): place, extend, reverse, confirm-mentor, exam expire; explain's facts
c hire x6 --name "Placed Two" >/dev/null
check place         c place x6 1 --reason "trained before Ladder"
check place-again   c place x6 2 --reason again
check extend-61     c extend x6 61 --reason "sick leave"
check extend        c extend x6 60 --reason "sick leave"
check extend-twice  c extend x6 5 --reason "more leave"
rseq=$(c query-test x6 1510 | sed -n 's/^ok: .*seq \([0-9]*\).*/\1/p')
expect reverse      '^ok: 1 event'                      c reverse "$rseq" --reason "typed 1510 s for 151.0 s"
expect reverse-again 'already reversed'                 c reverse "$rseq" --reason again
c hire x7 --name "Apprentice Seven" >/dev/null
check mentor-propose c mentor e000 x7
check confirm-self  c --as e000 --roles employee confirm-mentor e000 x7
check confirm       c --as x7 --roles employee confirm-mentor e000 x7
check exam-expire   c exam expire x6
check explain-demotion c explain e000
check explain-placed c explain e059
check clock         c clock +1d
# display: names in any script line up by display width (wcswidth)
check hire-cjk      c hire x9 --name "王小明" --team cjk
c hire x10 --name "Li Na" --team cjk >/dev/null
c award x9 50 --reason cjk >/dev/null
c award x10 40 --reason cjk >/dev/null
check award-negative c award x10 -5 --reason "a negative amount is an argument"
check board-cjk     c board --scope team:cjk --top 5
# strict parsing: every bad invocation exits 2 with a message naming the argument
check bad-asof      c explain e013 --as-of yesterday
check bad-date      c explain e013 --as-of 2026-02-30
check bad-top       c board --top abc
check bad-amount    c award e013 abc
check bad-timeout   c --timeout abc stats
check bad-option    c events --bogus
check bad-extra     c ready e013 extra
check bad-seconds   c query-test x1 12s
check bad-rating    c rate x1 L1-billing-00 great
check bad-clock     c clock tomorrow
check bad-window    c board --window fortnight
check bad-value     c board --top
check bad-verb      c exam mark x1
check bad-roles     c --roles king stats
check bad-endpoint  "$CTL" --endpoint 127.0.0.1:7601 stats
check dashdash      c employee -- --bogus
check demo-again    c demo --employees 40
# options anywhere, --json anywhere
check events-json-after c events --from 1 --max 2 --json
expect version      '^ladderctl [0-9]+\.[0-9]+\.[0-9]+$' c --version
expect version-sub  '^ladderctl [0-9]+\.[0-9]+\.[0-9]+$' c board --version
expect help-h       'exit codes'                         c -h
expect help-cmd     'exit codes'                         c help
expect help-board   '^usage: ladderctl board'            c help board
expect help-example '^  ladderctl board --top 10'        c board -h
# nobody answering: exit 3 within --timeout (a second of slack for start-up)
timed() { # name, limit ms, expected exit, command
    local name=$1 limit=$2 want=$3; shift 3
    local t0 t1 rc=0
    t0=$(date +%s%N); "$@" >"$work/timed.out" 2>&1 || rc=$?; t1=$(date +%s%N)
    local ms=$(((t1 - t0) / 1000000))
    if [ "$rc" = "$want" ] && [ "$ms" -le "$limit" ] && grep -q "no answer" "$work/timed.out"; then
        pass=$((pass + 1)); else fail=$((fail + 1))
        echo "FAIL $name: exit $rc (want $want) after $ms ms (limit $limit):"; cat "$work/timed.out"; fi
}
timed noanswer      1500 3 "$CTL" --endpoint "ipc://$work/nobody" --timeout 400 stats
timed noanswer-tcp  1500 3 "$CTL" --endpoint tcp://127.0.0.1:9 --timeout 400 employee e013
timed tail-nodaemon 1800 3 "$CTL" --endpoint "ipc://$work/nobody" --publish "ipc://$work/nopub" --timeout 400 tail
check unknown       c frobnicate
check no-id         c employee
expect stats        'head seq [0-9]+, 6[0-9] employees' c stats
expect help         'exit codes'                          c --help
for sub in send hire award task study rate submit-case review mentor confirm-mentor place extend reverse query-test exam appeal \
           decide-appeal clock employee ready explain board cases kb pending committee propose-kb review-kb suggest judge stats events tail verify audit demo keygen \
           retire-case restore-case check-library adopt-rules rules-in-force; do
    expect "help-$sub" "^usage: ladderctl $sub" c "$sub" --help
done
# tail: the Clone pattern prints the level update of a promotion made meanwhile
"$CTL" --endpoint "ipc://$work/cmd" --publish "ipc://$work/pub" tail level. \
    >"$work/tail.out" 2>"$work/tail.err" &
tpid=$!
sleep 0.5
c award x1 800 --reason catch-up >/dev/null
c --as x1 --roles employee study x1 L1-billing-01 >/dev/null 2>&1 || true  # the test half may not be studied (§4 v2)
for k in $(seq 0 15); do for cat in billing roaming network; do
  c --as x1 --roles employee study x1 "L1-$cat-$(printf %02d "$k")" >/dev/null 2>&1 || true; done; done
c exam draw xt x1 >/dev/null
c exam grade xt 90 90 90 90 90 90 90 90 90 90 >/dev/null
sleep 0.5
kill -INT $tpid; wait $tpid 2>/dev/null || true; tpid=""
expect tail 'level\.x1 +level 0 -> 1 .* Undergraduate \(promoted\)' cat "$work/tail.out"
# §4 v2: the demo deleted a KB item by quorum; a chair retires and restores; the library
# check has nothing to do (no partition above its cap); §10 v2: documents merge
expect kb-deleted    'item outage, version 2, deleted .*history stays readable' c kb outage
expect kb-deleted-v  'v2 .*deleted: Outages are now announced' c kb outage
expect kb-revise-deleted 'was deleted at version 2' c --as e001 --roles employee propose-kb kx outage e001 --text again
expect kb-delete     '^ok: 1 event' c --as e001 --roles employee propose-kb kd refund-days e001 --delete --text obsolete
expect retire-mgr    'may not retire cases \(a chair does\)' c retire-case L4-billing-14 --reason old
expect retire        '^ok: 1 event' c --as chair-b --roles chair retire-case L4-billing-14 --reason "tariff withdrawn"
expect retired       'L4-billing-14 .*' c cases 4 billing --history
expect restore-case  '^ok: 1 event' c --as chair-b --roles chair restore-case L4-billing-14 --reason "asked again"
expect check-library 'no partition above its cap of 120' c --as system --roles system check-library
expect adopt-1       '^ok: 1 event' c adopt-rules '{"case":{"cap":100}}'
expect adopt-2       '^ok: 1 event' c adopt-rules '{"retention":{"points":300}}'
expect rules-cap     '"cap": 100' c rules-in-force
expect rules-points  '"points": 300' c rules-in-force
expect rules-list    'v2 +seq [0-9]+ .*\(in force\)' c rules-in-force
expect rules-v1      '"points": 200' c rules-in-force 1
expect rules-none    'no rules version 9' c rules-in-force 9
# keygen writes a Z85 key pair
expect keygen '^.{40}$' c keygen demo-client --dir "$work"
expect keygen-files 'demo-client.key' ls "$work"
# backup while ladderd runs: a compacted, verified copy; restore only into an empty directory
expect backup        'backup: .*/data -> .*/b1.mdb: [0-9]+ events, [0-9]+ bytes' c backup --data "$work/data" --to "$work/b1.mdb"
live=$(c stats --digest | sed -n 's/^state digest: //p')
check backup-exists  c backup --data "$work/data" --to "$work/b1.mdb"
check backup-nodata  c backup --data "$work/nothing" --to "$work/b2.mdb"
check restore-nonempty c restore --from "$work/b1.mdb" --data "$work/data"
check restore-missing  c restore --from "$work/none.mdb" --data "$work/r0"
expect restore       'restore: [0-9]+ events chain from seq 1 to the head: ok' c restore --from "$work/b1.mdb" --data "$work/r1"
restored=$(c verify --data "$work/r1" --digest | sed -n 's/^state digest: //p')
[ -n "$live" ] && [ "$live" = "$restored" ] && pass=$((pass + 1)) ||
    { fail=$((fail + 1)); echo "FAIL restore digest: live $live, restored $restored"; }
# a backup altered in one event's bytes is refused at that seq, and nothing is left
python3 - "$work/b1.mdb" "$work/bad.mdb" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b"helped a colleague")
b[i] ^= 0x20
open(sys.argv[2], "wb").write(b)
PY
expect restore-bad   'restore: FIRST BAD SEQ [0-9]+' c restore --from "$work/bad.mdb" --data "$work/r2"
rc=0; c restore --from "$work/bad.mdb" --data "$work/r3" >/dev/null 2>&1 || rc=$?
[ "$rc" = 4 ] && [ -z "$(ls -A "$work/r3")" ] && pass=$((pass + 1)) ||
    { fail=$((fail + 1)); echo "FAIL restore-bad: exit $rc, left $(ls -A "$work/r3")"; }
# offline, on a copy of the data directory after a clean stop
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
cp -r "$work/data" "$work/copy"
expect audit  'audit: [0-9]+ events, [0-9]+ facts re-decided, [0-9]+ derived events compared, 0 discrepancies' c audit --data "$work/copy"
expect verify 'chain from seq 1 to the head: ok' c verify --data "$work/copy"
expect verify-missing 'verify: missing --data' c verify
# times are shown and parsed in the offset of the rules in force, which ladderd reports
echo '{"calendar":{"utc_offset_minutes":-300}}' >"$work/rules-5.json"
"$LADDERD" --data "$work/data5" --command "ipc://$work/cmd5" --publish "ipc://$work/pub5" \
    --clock manual --rules "$work/rules-5.json" 2>>"$work/ladderd.log" &
pid=$!
c5() { "$CTL" --endpoint "ipc://$work/cmd5" --publish "ipc://$work/pub5" "$@"; }
for _ in $(seq 50); do c5 stats >/dev/null 2>&1 && break; sleep 0.1; done
c5 clock 2026-03-01T10:00 >/dev/null
c5 hire y1 --name "Offset Person" >/dev/null
expect offset-stats  'rules v1, UTC offset -05:00; clock manual, now 2026-03-01 10:00-05:00' c5 stats
expect offset-hired  '^hired +2026-03-01 10:00-05:00$' c5 employee y1
expect offset-asof   'y1 as of seq [0-9]+: level 0' c5 explain y1 --as-of 2026-03-01T10:00
expect offset-before 'no employee y1'               c5 explain y1 --as-of 2026-03-01T09:59
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
