#!/usr/bin/env bash
# Builds Ladder and runs every test through ctest. Quick start command #2.
#   tools/test.sh            setup, configure build/, build, ctest
#   LADDER_SANITIZE=ON tools/test.sh   the same in build-asan/ with ASan+UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

werror=${LADDER_WERROR:-OFF}
[ -n "${CI:-}" ] && werror=ON
sanitize=${LADDER_SANITIZE:-OFF}
build=build
[ "$sanitize" = ON ] && build=build-asan

cmake -S . -B "$build" -DLADDER_WERROR="$werror" -DLADDER_SANITIZE="$sanitize" >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
