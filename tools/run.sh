#!/usr/bin/env bash
# Quick start #1: installs what is missing, builds, and runs ladderd in the
# foreground on ./data with the default rules, and ladder-web (the wallboard,
# http://127.0.0.1:7680/) beside it; LADDER_WEB=0 leaves ladder-web out. Extra
# arguments go to ladderd (see build/daemon/ladderd --help). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" --target ladderd ladderctl ladder-web >/dev/null
cat <<'MSG'
ladderd: requests on tcp://127.0.0.1:7601 (ZeroMQ ROUTER), updates on tcp://127.0.0.1:7602 (PUB)
         data in ./data; logs below (logfmt). Try, in another terminal:
  build/tools/ladderctl hire e1 --name "Wang Fang" --team alpha --centre north
  build/tools/ladderctl employee e1
MSG
if [ "${LADDER_WEB:-1}" != 0 ]; then
    # same process group: Ctrl-C reaches both; ladder-web waits for ladderd by itself
    echo "ladder-web: the wallboard on http://127.0.0.1:7680/ (metrics on /metrics)"
    build/daemon/web/ladder-web &
fi
exec build/daemon/ladderd --data ./data "$@"
