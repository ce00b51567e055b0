#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each (default 60) from the seed
# corpora in tests/fuzz/<target>/, with ASan+UBSan; fails on any crash.
#   tools/fuzz.sh [SECONDS]      CI runs it with 60
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
secs=${1:-60}
CC=clang cmake -S . -B build-fuzz -DLADDER_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_request fuzz_json fuzz_stored >/dev/null
total=0
for t in fuzz_request fuzz_json fuzz_stored; do
    corpus=$(mktemp -d /tmp/ladder-fuzz-$t.XXXXXX)
    log=$(mktemp /tmp/ladder-fuzz-$t-log.XXXXXX)
    rc=0
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        build-fuzz/tests/fuzz/$t -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -artifact_prefix="$corpus/" "$corpus" "tests/fuzz/$t" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    echo "fuzz $t: ${execs:-0} executions in ${secs}s, exit $rc"
    if [ "$rc" -ne 0 ]; then
        grep -E "ERROR|SUMMARY|runtime error" "$log" | head -20
        ls "$corpus"/crash-* "$corpus"/leak-* "$corpus"/timeout-* 2>/dev/null || true
        exit 1
    fi
    total=$((total + ${execs:-0}))
    rm -rf "$corpus" "$log"
done
echo "fuzz: $total executions in total, 0 crashes"
