#!/usr/bin/env bash
# package.sh — the Debian package: a build configured for /usr, then CPack.
# Prints the package's path and its file list (dpkg -c).
#   tools/package.sh [BUILD_DIR]        default build-deb/
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-deb}
tools/setup.sh
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$B" -j"$(nproc)" >/dev/null
(cd "$B" && cpack -G DEB >/dev/null)
deb=$(ls "$B"/ladder_*.deb | tail -n1)
echo "$deb"
dpkg -I "$deb" | grep -E '^ (Package|Version|Depends):'
dpkg -c "$deb"
