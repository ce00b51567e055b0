#!/usr/bin/env bash
# ladderd beside its peers in one invocation (issue: the daemon benchmark):
# the disk's fdatasync, raw LMDB and Redis (appendfsync always) from the
# harness in tools/bench/peers, then `ladder-bench daemon` (wal, then
# full), then the ratios.
#   tools/bench-daemon.sh [ladder-bench daemon options]     N=200000 L=5000 by default
# Needs the peers' packages (redis-server, hiredis, ...): installed on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200000}
peers=$(mktemp -d /tmp/ladder-peers.XXXXXX)
out=$(mktemp /tmp/ladder-bench-out.XXXXXX)
trap 'rm -rf "$peers" "$out"' EXIT
cp -r tools/bench/peers/. "$peers/"   # the harness builds in place: keep the tree clean
chmod -R u+w "$peers"
command -v redis-server >/dev/null && [ -e /usr/include/hiredis/hiredis.h ] || sh "$peers/setup.sh" >/dev/null
tools/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target ladder-bench ladderd >/dev/null
PEERS="disk lmdb redis" L=${L:-5000} bash "$peers/run-all.sh" "$N" | tee "$out"
# ladderd at the advised setting (wal: one sequential write-ahead log flush
# per acknowledgment, LMDB fully synced behind it; README, "Durability"), then
# at full (the LMDB commit, two flushes, in front of every ack) for comparison
build/tools/ladder-bench daemon --durability wal "$@" | tee -a "$out"
build/tools/ladder-bench daemon --durability full "$@" | tee -a "$out"
awk '
  $1=="redis" && $2=="A-always" { redis=$3 }
  $1=="disk" && $2=="4k-fdatasync-append" { disk99=$5 }
  $1=="disk" && $2=="4k-groupcommit-at-10000/s" { gc99=$5 }
  $1=="lmdb" && $2=="A-sync-b1" { lmdb99=$5 }
  $1=="ladder" && $2=="A-wal" && $4=="-" { ladder=$3 }
  $1=="ladder" && $2 ~ /^A-wal-at-/ && $3=="-" { l99=$5 }
  $1=="ladder" && $2=="A-full" && $4=="-" { full=$3 }
  $1=="ladder" && $2 ~ /^A-full-at-/ && $3=="-" { f99=$5 }
  END {
    printf "ratio throughput ladder/redis-always = %.2f (target >= 1.0)\n", ladder/redis
    printf "ratio p99@10k/s ladder/disk-fdatasync = %.2f (target <= 1.5); ladder/lmdb-sync-b1 = %.2f\n", l99/disk99, l99/lmdb99
    printf "(--durability full: throughput ladder/redis-always = %.2f; p99@10k/s ladder/disk-fdatasync = %.2f)\n", full/redis, f99/disk99
    if (gc99 > 0)
      printf "(the disk alone, the same 10k/s arrivals through a bare group commit of 4 KiB flushes: p99 %.0f us = %.2f x its fdatasync-append p99; ladder/that = %.2f)\n", gc99, gc99/disk99, l99/gc99
  }' "$out"
