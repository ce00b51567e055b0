#!/usr/bin/env bash
# test_damaged.sh — damaged data directories against the real ladderd and
# ladderctl verify (issue 10 items 4, 10, 11, 12, 13): each row damages its own
# copy of one store and reports on its own. ladderd must refuse to start
# (exit 2, a sentence naming the fault) instead of serving, dying by SIGBUS or
# failing every write later; verify must name the first altered seq.
#   usage: test_damaged.sh LADDERD LADDERCTL   (needs lmdb-utils: mdb_dump, mdb_load, mdb_stat)
set -uo pipefail
LADDERD=$1 CTL=$2
work=$(mktemp -d /tmp/ladder-damaged.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

# One store: three events whose bytes are easy to find (seq 1 and 2 are hires
# with distinctive names, seq 3 an award of 300 points), left by kill -9.
src=$work/src
"$LADDERD" --data "$src" --command "ipc://$work/cmd" --publish "ipc://$work/pub" 2>"$work/src.log" &
pid=$!
c() { "$CTL" --endpoint "ipc://$work/cmd" --publish "ipc://$work/pub" --timeout 3000 "$@"; }
for _ in $(seq 50); do c stats >/dev/null 2>&1 && break; sleep 0.1; done
c hire e1 --name Aaronfirstname >/dev/null && c hire e2 --name Bbsecondname >/dev/null &&
    c award e1 300 --reason Zreasonthird >/dev/null || { echo "cannot build the store"; exit 1; }
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=""

fresh() { rm -rf "$work/d"; cp -a "$src" "$work/d"; rm -f "$work/d/lock"; }
# alter(FROM, TO): every copy of FROM in data.mdb (LMDB keeps old page copies
# too) becomes TO, same length
alter() { python3 - "$work/d/data.mdb" "$1" "$2" <<'EOF'
import sys
p, a, b = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
d = open(p, 'rb').read()
assert a in d and len(a) == len(b)
open(p, 'wb').write(d.replace(a, b))
EOF
}
# refused(NAME, PATTERN): ladderd on $work/d must exit 2 within 10 s and log PATTERN
refused() {
    local name=$1 pat=$2 rc=0
    timeout -s KILL 10 "$LADDERD" --data "$work/d" --command "ipc://$work/cmd2" \
        --publish "ipc://$work/pub2" 2>"$work/d.log" || rc=$?
    local why="exit $rc"
    [ "$rc" = 137 ] && why="still running after 10 s (killed)"
    [ "$rc" = 135 ] && why="died by SIGBUS"
    if [ "$rc" = 2 ] && grep -qE -- "$pat" "$work/d.log"; then ok; else
        bad "$name: $why: $(tail -c 400 "$work/d.log")"; fi
}

# item 12: a 0-byte data.mdb is not a new store
rm -rf "$work/d" && mkdir "$work/d" && : >"$work/d/data.mdb"
refused "0-byte data.mdb (item 12)" "is empty \\(0 bytes\\)"
[ "$(stat -c %s "$work/d/data.mdb")" = 0 ] && ok || bad "0-byte data.mdb was written to"

# item 10: data.mdb cut to half of LMDB's used pages
fresh
pages=$(mdb_stat -e "$work/d" | sed -n 's/.*Number of pages used: //p')
psize=$(mdb_stat -e "$work/d" | sed -n 's/.*Page size: //p')
truncate -s $((pages * psize / 2)) "$work/d/data.mdb"
refused "data.mdb cut to half (item 10)" "is truncated"

# item 11: meta head says seq 9 over a 3-event log
fresh
mdb_dump -s meta "$work/d" >"$work/meta.dump"
python3 - "$work/meta.dump" <<'EOF'
import sys
p = sys.argv[1]
lines = [l for l in open(p).read().split('\n') if not l.startswith('db_pagesize=')]
i = lines.index(' ' + b'head'.hex())
v = lines[i + 1].strip()
assert int(v[:16], 16) == 3
lines[i + 1] = ' ' + '%016x' % 9 + v[16:]
open(p, 'w').write('\n'.join(lines))
EOF
mdb_load -s meta -f "$work/meta.dump" "$work/d"
refused "meta head 9 over a 3-event log (item 11)" "says seq 9 but the log ends at seq 3"

# item 4: after kill -9, the bytes of an event are changed (the award's
# reason, a hire's name): the tail after the last snapshot is checked at open
fresh
alter Zreasonthird Zreasonfifth
refused "an altered event in the tail (item 4)" "fails its hash chain at seq 3"
fresh
alter Bbsecondname Bbsecondnamf
refused "an altered name in the tail (item 4)" "fails its hash chain at seq 2"

# item 13: seqs 1 and 2 both altered: verify names seq 1
fresh
alter Aaronfirstname Aaronfirstnamf
alter Bbsecondname Bbsecondnamf
rc=0
out=$("$CTL" verify --data "$work/d" 2>&1) || rc=$?
if [ "$rc" != 0 ] && grep -qE "seq 1\b" <<<"$out" && ! grep -qE "seq 2\b" <<<"$out"; then ok; else
    bad "verify with seqs 1 and 2 altered (item 13): exit $rc: $out"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
