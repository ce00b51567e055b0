#!/usr/bin/env bash
# Quick start #1: installs what is missing, builds, and runs ladderd in the
# foreground on ./data with the default rules. Extra arguments go to ladderd
# (see build/daemon/ladderd --help). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target ladderd ladderctl >/dev/null
cat <<'MSG'
ladderd: requests on tcp://127.0.0.1:7601 (ZeroMQ ROUTER), updates on tcp://127.0.0.1:7602 (PUB)
         data in ./data; logs below (logfmt). Try, in another terminal:
  build/tools/ladderctl hire e1 --name "Wang Fang" --team alpha --centre north
  build/tools/ladderctl employee e1
MSG
exec build/daemon/ladderd --data ./data "$@"
