#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a temp prefix puts every file where
# the manual pages say, the binaries run from there (--version), the unit
# passes `systemd-analyze verify` (where systemd-analyze exists), every key of
# the example ladderd.conf is one ladderd accepts, and the example rules are
# exactly the built-in defaults (ladderd adopts nothing from them).
#   usage: test_install.sh BUILD_DIR
set -euo pipefail
BUILD=$1
P=$(mktemp -d /tmp/ladder-install-test.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$P"; }
trap cleanup EXIT
cmake --install "$BUILD" --prefix "$P" >/dev/null

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
files=(bin/ladderd bin/ladderctl bin/ladder-bench bin/ladder-web bin/ladder-bridge share/ladder/web/index.html
       lib/systemd/system/ladderd.service lib/systemd/system/ladder-web.service
       lib/systemd/system/ladder-bridge.service lib/sysusers.d/ladder.conf
       etc/ladder/ladderd.conf
       share/doc/ladder/examples/ladderd.conf share/doc/ladder/examples/rules.json
       share/doc/ladder/README.md share/doc/ladder/DESIGN.md
       share/ladder/proto/ladder.proto
       share/man/man8/ladderd.8.gz share/man/man1/ladderctl.1.gz share/man/man1/ladder-bench.1.gz
       share/man/man1/ladder-web.1.gz share/man/man1/ladder-bridge.1.gz)
for f in "${files[@]}"; do [ -s "$P/$f" ] && ok || bad "missing $f"; done
for b in ladderd ladderctl ladder-bench ladder-web ladder-bridge; do
    [ -x "$P/bin/$b" ] && "$P/bin/$b" --version | grep -qE "^$b [0-9]+\.[0-9]+\.[0-9]+$" && ok ||
        bad "$b --version"
done
# the man pages render, and name what they must
for m in man8/ladderd.8 man1/ladderctl.1 man1/ladder-bench.1 man1/ladder-web.1 man1/ladder-bridge.1; do
    zcat "$P/share/man/$m.gz" | grep -q '^\.TH' && ok || bad "$m is not a man page"
done
zcat "$P/share/man/man1/ladderctl.1.gz" | grep -q 'backup' && ok || bad "ladderctl.1 lacks backup"
zcat "$P/share/man/man1/ladderctl.1.gz" | grep -q 'EXIT STATUS' && ok || bad "ladderctl.1 lacks EXIT STATUS"
zcat "$P/share/man/man8/ladderd.8.gz" | grep -q 'utc_offset_minutes' && ok || bad "ladderd.8 lacks the rules keys"
# every option the gateway and the bridge accept is in their man pages
for b in ladder-web ladder-bridge; do
    for o in $("$P/bin/$b" --help | grep -oE '^  --[a-z-]+' | sort -u); do
        zcat "$P/share/man/man1/$b.1.gz" | grep -q -- "${o#--}" && ok || bad "$b.1 lacks $o"
    done
done
# every command of the table is in the man page
for cmd in $("$P/bin/ladderctl" --help | sed -n 's/^  \([a-z][a-z-]*\)\( [a-z]*\)\? .*/\1/p; s/^  \([a-z][a-z-]*\)$/\1/p' | sort -u); do
    zcat "$P/share/man/man1/ladderctl.1.gz" | grep -q -- "$cmd" && ok || bad "ladderctl.1 lacks $cmd"
done
# the unit: its own user, notify, hardening; verified by systemd where available
unit=$P/lib/systemd/system/ladderd.service
for k in '^Type=notify' '^User=ladder' '^ProtectSystem=strict' '^StateDirectory=ladder' \
         '^WatchdogSec=' '^NoNewPrivileges=yes' 'ladderd --config .*/ladder/ladderd.conf'; do
    grep -qE "$k" "$unit" && ok || bad "unit lacks $k"
done
if command -v systemd-analyze >/dev/null; then
    # verify copies whose ExecStart names the binaries just installed
    mkdir -p "$P/verify"
    # Documentation= names man pages: found in the prefix just installed
    # and a setting it cannot parse is only a warning: any output fails
    for u in ladderd ladder-web ladder-bridge; do
        sed "s|^ExecStart=[^ ]*/$u|ExecStart=$P/bin/$u|" "$P/lib/systemd/system/$u.service" >"$P/verify/$u.service"
        if out=$(MANPATH="$P/share/man" systemd-analyze verify "$P/verify/$u.service" 2>&1) &&
           [ -z "$out" ]; then ok; else
            bad "systemd-analyze verify $u: $out"; fi
    done
else
    echo "note: systemd-analyze not found; unit not verified"
fi
# every key of the example configuration, uncommented, is accepted
sed -E 's/^# ([a-z-]+ = )/\1/' "$P/etc/ladder/ladderd.conf" >"$P/all-keys.conf"
[ "$(grep -cE '^[a-z-]+ = ' "$P/all-keys.conf")" -ge 10 ] && ok || bad "example conf lists too few keys"
"$P/bin/ladderd" --config "$P/all-keys.conf" --help >/dev/null && ok || bad "example conf keys refused"
# the example rules are the built-in defaults: ladderd runs with them and adopts nothing
"$P/bin/ladderd" --data "$P/data" --command "ipc://$P/cmd" --publish "ipc://$P/pub" \
    --rules "$P/share/doc/ladder/examples/rules.json" 2>"$P/ladderd.log" &
pid=$!
c() { "$P/bin/ladderctl" --endpoint "ipc://$P/cmd" --timeout 2000 "$@"; }
for _ in $(seq 50); do c stats >/dev/null 2>&1 && break; sleep 0.1; done
c stats | grep -q 'rules v0, UTC offset +08:00' && ok || bad "example rules adopted or refused: $(cat "$P/ladderd.log")"
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
